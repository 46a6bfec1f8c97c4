//! `server_rec`: the main server and each virtual host.

use crate::core::strings;
use crate::server::ConfigNode;
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
        // SAFETY: Server is a transparent wrapper of server_rec; validity and lifetime are the
        // caller's promise (see # Safety).
        unsafe { &*(s as *const Server) }
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
        unsafe { strings::to_str(self.raw().server_hostname) }
    }

    /// `ServerAdmin`.
    pub fn server_admin(&self) -> Option<&str> {
        // SAFETY: as above.
        unsafe { strings::to_str(self.raw().server_admin) }
    }

    /// The configuration file this server was defined in.
    pub fn defn_name(&self) -> Option<&str> {
        // SAFETY: as above.
        unsafe { strings::to_str(self.raw().defn_name) }
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
        unsafe { strings::to_str(self.raw().error_fname) }
    }

    /// `LogLevel` of this server (`APLOG_EMERG` 0 ... `APLOG_DEBUG` 7, `APLOG_TRACE1` 8 ...).
    pub fn loglevel(&self) -> i32 {
        self.raw().log.level
    }

    /// `ServerAlias` names without wildcards.
    pub fn names(&self) -> Vec<&str> {
        // SAFETY: NULL or a configuration-pool array, as long as the server.
        unsafe { strings::str_array(self.raw().names) }
    }

    /// `ServerAlias` names with wildcards (`*.example.com`).
    pub fn wild_names(&self) -> Vec<&str> {
        // SAFETY: as above.
        unsafe { strings::str_array(self.raw().wild_names) }
    }

    /// `ServerPath`, for legacy name-based hosts; `None` when not set.
    pub fn path(&self) -> Option<&str> {
        // SAFETY: configuration string.
        unsafe { strings::to_str(self.raw().path) }
    }

    /// The length of [`Server::path`] (0 when not set).
    pub fn pathlen(&self) -> i32 {
        self.raw().pathlen
    }

    /// The process's pool (lives until the server stops or restarts).
    pub fn process_pool(&self) -> &crate::apr::Pool {
        // SAFETY: every server_rec points at the process_rec, whose pool outlives it.
        unsafe { crate::apr::Pool::from_raw((*self.raw().process).pool) }
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

    /// Runs `f` with the main server of the running process (`ap_server_conf`), once the
    /// configuration is read; `None` before. The server lives in the configuration pool, which
    /// a restart clears, so it is lent for the call only, not handed out for `'static`:
    ///
    /// ```compile_fail,E0521
    /// fn keep() -> Option<&'static apache::Server> {
    ///     apache::Server::with_main(|s| s).flatten()
    /// }
    /// ```
    pub fn with_main<R>(f: impl FnOnce(&Server) -> R) -> Option<R> {
        // SAFETY: ap_server_conf is set by httpd once the configuration is read and stays
        // valid until the next restart, which cannot happen while a hook or a Python call on
        // this thread is running `f`; read-only use.
        let main = unsafe {
            let s = ffi::ap_server_conf;
            (!s.is_null()).then(|| Server::from_raw(s))
        };
        main.map(f)
    }

    /// `ServerRoot` (the same for every server of the configuration; it lives, as they do,
    /// in the configuration pool).
    pub fn server_root(&self) -> Option<&str> {
        // SAFETY: ap_server_root is set while the configuration is read, in the configuration
        // pool (or a static default), which outlives this server borrow.
        unsafe { strings::to_str(ffi::ap_server_root) }
    }

    /// The top-level directives of the configuration httpd read (`ap_conftree`), in order;
    /// sections hold their own ([`ConfigNode::children`]). Empty when httpd has none. The tree
    /// lives in the configuration pool, as this server does.
    pub fn config_tree(&self) -> impl Iterator<Item = ConfigNode<'_>> {
        // SAFETY: ap_conftree is set when the configuration is read and kept for the
        // generation, as long as this server.
        let first = unsafe { ffi::ap_conftree };
        std::iter::successors(ConfigNode::at(first), ConfigNode::next)
    }
}
