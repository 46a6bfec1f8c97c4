//! What mod_ssl knows of a connection, through the optional functions it exports
//! (`ssl_is_https`, `ssl_var_lookup`).
//!
//! mod_ssl need not be loaded: without it a connection is not HTTPS and no SSL variable has a
//! value. The functions are looked up at each call (a hash lookup), so a graceful restart that
//! loads or unloads mod_ssl is followed.

use crate::conn::Connection;
use crate::core::strings;
use apache_sys as ffi;
use std::os::raw::{c_char, c_int};
use std::ptr;

/// `APR_DECLARE_OPTIONAL_FN(int, ssl_is_https, (conn_rec *))` in mod_ssl.h.
type IsHttps = unsafe extern "C" fn(*mut ffi::conn_rec) -> c_int;

/// `APR_DECLARE_OPTIONAL_FN(char *, ssl_var_lookup, (apr_pool_t *, server_rec *, conn_rec *,
/// request_rec *, char *))` in mod_ssl.h.
type VarLookup = unsafe extern "C" fn(
    *mut ffi::apr_pool_t,
    *mut ffi::server_rec,
    *mut ffi::conn_rec,
    *mut ffi::request_rec,
    *mut c_char,
) -> *mut c_char;

fn is_https_fn() -> Option<IsHttps> {
    // SAFETY: a lookup by NUL-terminated name; mod_ssl registers `ssl_is_https` with the
    // signature above, so the pointer has that type.
    unsafe {
        let f = ffi::apr_dynamic_fn_retrieve(c"ssl_is_https".as_ptr())?;
        Some(std::mem::transmute::<unsafe extern "C" fn(), IsHttps>(f))
    }
}

fn var_lookup_fn() -> Option<VarLookup> {
    // SAFETY: as above, for `ssl_var_lookup`.
    unsafe {
        let f = ffi::apr_dynamic_fn_retrieve(c"ssl_var_lookup".as_ptr())?;
        Some(std::mem::transmute::<unsafe extern "C" fn(), VarLookup>(f))
    }
}

/// Asks mod_ssl for `name` about connection `c` (and request `r`, which may be NULL), with
/// results in `pool`. mod_ssl answers "" for variables without a value: that is `None`.
pub(crate) fn lookup(
    pool: &crate::apr::Pool,
    s: *mut ffi::server_rec,
    c: *mut ffi::conn_rec,
    r: *mut ffi::request_rec,
    name: &str,
) -> Option<String> {
    let f = var_lookup_fn()?;
    if name.contains('\0') {
        return None;
    }
    let n = pool.c_str(name) as *mut c_char;
    // SAFETY: valid pool, server, connection and (NULL or) request of this thread; mod_ssl
    // only reads the name and returns a string in the pool, or NULL.
    let v = unsafe { f(pool.as_ptr(), s, c, r, n) };
    // SAFETY: NULL or a NUL-terminated string in the pool.
    let v = unsafe { strings::to_str(v) }?;
    (!v.is_empty()).then(|| v.to_string())
}

impl Connection {
    /// Whether the connection is TLS-encrypted by mod_ssl (`false` when mod_ssl is not loaded).
    pub fn is_https(&self) -> bool {
        // SAFETY: a valid connection of this thread.
        is_https_fn().is_some_and(|f| unsafe { f(self.as_ptr()) } != 0)
    }

    /// An SSL variable of the connection from mod_ssl (`SSL_PROTOCOL`, `SSL_CIPHER`,
    /// `SSL_CLIENT_S_DN`, ...; see mod_ssl's documentation). `None` when mod_ssl is not
    /// loaded or the variable has no value, which for the connection's own variables is the
    /// case on plain HTTP. mod_ssl answers some variables on any connection: `HTTPS` is `off`
    /// there, `SSL_VERSION_LIBRARY` names the TLS library.
    pub fn ssl_var_lookup(&self, name: &str) -> Option<String> {
        // SAFETY: base_server is set for every connection.
        let s = unsafe { (*self.as_ptr()).base_server };
        lookup(self.pool(), s, self.as_ptr(), ptr::null_mut(), name)
    }
}
