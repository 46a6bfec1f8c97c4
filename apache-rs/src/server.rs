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
