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

/// The pids the scoreboard lists for child processes. In the parent during a restart (from
/// `post_config`) these are the children of the generation being replaced. Empty before the
/// scoreboard exists.
pub fn scoreboard_children() -> Vec<i32> {
    // SAFETY: the scoreboard image is set up before children start and lives until the server
    // stops (a restart keeps it); `parent` holds `server_limit` records, read-only here.
    unsafe {
        let sb = ffi::ap_scoreboard_image;
        if sb.is_null() || (*sb).global.is_null() || (*sb).parent.is_null() {
            return Vec::new();
        }
        let limit = usize::try_from((*(*sb).global).server_limit).unwrap_or(0);
        (0..limit)
            .map(|i| (*(*sb).parent.add(i)).pid)
            .filter(|pid| *pid > 0)
            .collect()
    }
}

/// Waits until each of `pids`, children of this process, has ended, or `limit` has passed;
/// whether they all ended. A child is not reaped (`waitid` with `WNOWAIT`): the MPM reaps
/// its own children and counts them as it does. A pid that is not a child of this process
/// counts as ended.
pub fn wait_children_ended(pids: &[i32], limit: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    let ended = |pid: i32| {
        // SAFETY: an all-zero siginfo_t is a valid value; waitid writes into the one given.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid takes the pointer to that siginfo_t; WNOHANG makes it return at
        // once, WNOWAIT leaves the child waitable.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        // SAFETY: si_pid is the field waitid fills for a child that ended (0 when none did).
        rc != 0 || unsafe { info.si_pid() } != 0
    };
    let mut waiting: Vec<i32> = pids.to_vec();
    loop {
        waiting.retain(|pid| !ended(*pid));
        if waiting.is_empty() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}
