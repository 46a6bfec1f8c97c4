//! `server_rec`: the main server and each virtual host.

use crate::cstr;
use apache_sys as ffi;
use std::cell::UnsafeCell;
use std::marker::PhantomData;

/// A borrowed `server_rec`: the main server or one virtual host.
#[repr(transparent)]
pub struct Server(UnsafeCell<ffi::server_rec>, PhantomData<*mut ()>);

impl Server {
    /// Borrows a server_rec httpd handed over.
    ///
    /// # Safety
    /// `s` is a valid server_rec that outlives `'a`.
    pub unsafe fn from_raw<'a>(s: *mut ffi::server_rec) -> &'a Server {
        &*(s as *const Server)
    }

    /// The `server_rec` pointer.
    pub fn as_ptr(&self) -> *mut ffi::server_rec {
        self.0.get()
    }

    fn raw(&self) -> &ffi::server_rec {
        // SAFETY: server_recs are not changed after configuration.
        unsafe { &*self.0.get() }
    }

    /// `ServerName` of this (virtual) server.
    pub fn server_hostname(&self) -> Option<&str> {
        // SAFETY: pool string of the configuration.
        unsafe { cstr::to_str(self.raw().server_hostname) }
    }

    /// `ServerAdmin`.
    pub fn server_admin(&self) -> Option<&str> {
        // SAFETY: as above.
        unsafe { cstr::to_str(self.raw().server_admin) }
    }

    /// The configuration file this server was defined in.
    pub fn defn_name(&self) -> Option<&str> {
        // SAFETY: as above.
        unsafe { cstr::to_str(self.raw().defn_name) }
    }

    /// The line of [`Server::defn_name`] where it was defined.
    pub fn defn_line_number(&self) -> u32 {
        self.raw().defn_line_number
    }

    /// The port from `ServerName` (0 when not given).
    pub fn port(&self) -> u16 {
        self.raw().port
    }

    /// Whether this is a `<VirtualHost>` rather than the main server.
    pub fn is_virtual(&self) -> bool {
        self.raw().is_virtual != 0
    }

    /// `Timeout` in microseconds.
    pub fn timeout_usec(&self) -> i64 {
        self.raw().timeout
    }

    /// `KeepAliveTimeout` in microseconds.
    pub fn keep_alive_timeout_usec(&self) -> i64 {
        self.raw().keep_alive_timeout
    }

    /// `MaxKeepAliveRequests`.
    pub fn keep_alive_max(&self) -> i32 {
        self.raw().keep_alive_max
    }

    /// Whether `KeepAlive` is on.
    pub fn keep_alive(&self) -> bool {
        self.raw().keep_alive != 0
    }

    /// `LimitRequestLine`.
    pub fn limit_req_line(&self) -> i32 {
        self.raw().limit_req_line
    }

    /// `LimitRequestFieldSize`.
    pub fn limit_req_fieldsize(&self) -> i32 {
        self.raw().limit_req_fieldsize
    }

    /// `LimitRequestFields`.
    pub fn limit_req_fields(&self) -> i32 {
        self.raw().limit_req_fields
    }

    /// `ErrorLog`: the file name (or `syslog:...`, `|program`) as configured.
    pub fn error_fname(&self) -> Option<&str> {
        // SAFETY: configuration string.
        unsafe { cstr::to_str(self.raw().error_fname) }
    }

    /// `LogLevel` of this server (`APLOG_EMERG` 0 ... `APLOG_DEBUG` 7, `APLOG_TRACE1` 8 ...).
    pub fn loglevel(&self) -> i32 {
        self.raw().log.level
    }

    /// `ServerAlias` names without wildcards.
    pub fn names(&self) -> Vec<&str> {
        str_array(self.raw().names)
    }

    /// `ServerAlias` names with wildcards (`*.example.com`).
    pub fn wild_names(&self) -> Vec<&str> {
        str_array(self.raw().wild_names)
    }

    /// `ServerPath`, for legacy name-based hosts; `None` when not set.
    pub fn path(&self) -> Option<&str> {
        // SAFETY: configuration string.
        unsafe { cstr::to_str(self.raw().path) }
    }

    /// The length of [`Server::path`] (0 when not set).
    pub fn pathlen(&self) -> i32 {
        self.raw().pathlen
    }

    /// The process's pool (lives until the server stops or restarts).
    pub fn process_pool(&self) -> &crate::Pool {
        // SAFETY: every server_rec points at the process_rec, whose pool outlives it.
        unsafe { crate::Pool::from_raw((*self.raw().process).pool) }
    }

    /// The next virtual host in httpd's list (the main server comes first).
    pub fn next(&self) -> Option<&Server> {
        let n = self.raw().next;
        // SAFETY: the list is made at configuration and lives as long as the main server.
        (!n.is_null()).then(|| unsafe { Server::from_raw(n) })
    }

    /// This server and every virtual host after it.
    pub fn iter(&self) -> impl Iterator<Item = &Server> {
        std::iter::successors(Some(self), |s| s.next())
    }

    /// The main server of the running process (`ap_server_conf`), once configuration is read.
    pub fn main() -> Option<&'static Server> {
        // SAFETY: ap_server_conf is set by httpd once the configuration is read and lives until
        // the next restart; read-only use.
        unsafe {
            let s = ffi::ap_server_conf;
            (!s.is_null()).then(|| Server::from_raw(s))
        }
    }
}

/// Adds `component` (e.g. `mod_python/3.5.0 Python/3.11.2`) to the `Server:` banner
/// (`ap_add_version_component`); call it from `post_config`, with the configuration pool.
pub fn add_version_component(pconf: &crate::Pool, component: &str) {
    let c = pconf.c_str(component);
    // SAFETY: the string lives in the configuration pool, as httpd requires.
    unsafe { ffi::ap_add_version_component(pconf.as_ptr(), c) }
}

/// The version of the running httpd, as (major, minor, patch) (`ap_get_server_revision`).
pub fn httpd_version() -> (i32, i32, i32) {
    let mut v = ffi::ap_version_t {
        major: 0,
        minor: 0,
        patch: 0,
        add_string: std::ptr::null(),
    };
    // SAFETY: httpd fills in the struct it is given.
    unsafe { ffi::ap_get_server_revision(&mut v) };
    (v.major, v.minor, v.patch)
}

/// The version of the APR library httpd runs with (`apr_version_string`), e.g. `1.7.2`.
pub fn apr_version() -> Option<&'static str> {
    // SAFETY: APR returns a static string.
    unsafe { cstr::to_str(ffi::apr_version_string()) }
}

/// `ServerRoot`.
pub fn server_root() -> Option<&'static str> {
    // SAFETY: ap_server_root is set from the command line / config and lives for the process.
    unsafe { cstr::to_str(ffi::ap_server_root) }
}

/// `ap_mpm_query`: a fact about the running MPM (`AP_MPMQ_IS_THREADED`, `AP_MPMQ_MAX_THREADS`,
/// ... from `apache::ffi`); `None` when the MPM does not know it.
pub fn mpm_query(code: i32) -> Option<i32> {
    let mut v = 0;
    // SAFETY: writes one int.
    let rc = unsafe { ffi::ap_mpm_query(code, &mut v) };
    (rc == 0).then_some(v)
}

fn str_array<'a>(a: *const ffi::apr_array_header_t) -> Vec<&'a str> {
    if a.is_null() {
        return Vec::new();
    }
    // SAFETY: an APR array of C strings made at configuration, living as long as the server.
    unsafe {
        let elts = (*a).elts as *const *const std::os::raw::c_char;
        (0..(*a).nelts.max(0) as usize)
            .filter_map(|i| cstr::to_str(*elts.add(i)))
            .collect()
    }
}

/// When the server was last (re)started, in microseconds since the epoch, from the scoreboard;
/// `None` before the scoreboard exists.
pub fn restart_time() -> Option<i64> {
    // SAFETY: the scoreboard image is set up before children start and lives until the server
    // stops; its global record is read-only here.
    unsafe {
        let sb = ffi::ap_scoreboard_image;
        if sb.is_null() || (*sb).global.is_null() {
            return None;
        }
        Some((*(*sb).global).restart_time)
    }
}

/// Whether `name` was defined on httpd's command line (`-D name`) or with `Define`
/// (`ap_exists_config_define`).
pub fn exists_config_define(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else {
        return false;
    };
    // SAFETY: reads httpd's define list with a NUL-terminated name.
    unsafe { ffi::ap_exists_config_define(c.as_ptr()) != 0 }
}

/// One directive of the configuration httpd read (`ap_directive_t`): a section such as
/// `<Directory /srv>` has the directives inside it as children.
#[derive(Clone, Copy)]
pub struct ConfigNode {
    raw: *const ffi::ap_directive_t,
}

impl ConfigNode {
    fn at(p: *const ffi::ap_directive_t) -> Option<ConfigNode> {
        (!p.is_null()).then_some(ConfigNode { raw: p })
    }

    fn raw(&self) -> &ffi::ap_directive_t {
        // SAFETY: the tree lives in the configuration pool for the whole generation and is not
        // changed after it is read.
        unsafe { &*self.raw }
    }

    /// The directive's name as written; a section's begins with `<` (`<Directory`).
    pub fn directive(&self) -> &'static str {
        // SAFETY: configuration string (see raw).
        unsafe { cstr::to_str(self.raw().directive) }.unwrap_or("")
    }

    /// The directive's arguments as written; a section's end with `>`.
    pub fn args(&self) -> &'static str {
        // SAFETY: as above.
        unsafe { cstr::to_str(self.raw().args) }.unwrap_or("")
    }

    /// The file the directive was read from.
    pub fn filename(&self) -> Option<&'static str> {
        // SAFETY: as above.
        unsafe { cstr::to_str(self.raw().filename) }
    }

    /// Its line in [`ConfigNode::filename`].
    pub fn line_num(&self) -> i32 {
        self.raw().line_num
    }

    /// The first directive inside this section.
    pub fn first_child(&self) -> Option<ConfigNode> {
        ConfigNode::at(self.raw().first_child)
    }

    /// The directive after this one at the same level.
    pub fn next(&self) -> Option<ConfigNode> {
        ConfigNode::at(self.raw().next)
    }

    /// The directives inside this section, in order.
    pub fn children(&self) -> impl Iterator<Item = ConfigNode> {
        std::iter::successors(self.first_child(), ConfigNode::next)
    }
}

/// The top-level directives of the configuration httpd read (`ap_conftree`), in order;
/// sections hold their own ([`ConfigNode::children`]). Empty when httpd has none.
pub fn config_tree() -> impl Iterator<Item = ConfigNode> {
    // SAFETY: ap_conftree is set when the configuration is read and kept for the generation.
    let first = unsafe { ffi::ap_conftree };
    std::iter::successors(ConfigNode::at(first), ConfigNode::next)
}
