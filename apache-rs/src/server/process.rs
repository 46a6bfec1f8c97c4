//! What httpd knows of the whole process: its MPM, its start, its defines and its `Server:`
//! banner.

use crate::apr::Pool;
use apache_sys as ffi;

/// Adds `component` (e.g. `mod_python/3.5.0 Python/3.11.2`) to the `Server:` banner
/// (`ap_add_version_component`); call it from `post_config`, with the configuration pool.
pub fn add_version_component(pconf: &Pool, component: &str) {
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
    // SAFETY: APR returns a pointer to a static string.
    unsafe { crate::core::strings::to_str(ffi::apr_version_string()) }
}

/// `ap_mpm_query`: a fact about the running MPM (`AP_MPMQ_IS_THREADED`, `AP_MPMQ_MAX_THREADS`,
/// ... from `apache::ffi`); `None` when the MPM does not know it.
pub fn mpm_query(code: i32) -> Option<i32> {
    let mut v = 0;
    // SAFETY: writes one int.
    let rc = unsafe { ffi::ap_mpm_query(code, &mut v) };
    (rc == 0).then_some(v)
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
