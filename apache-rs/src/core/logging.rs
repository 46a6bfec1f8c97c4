//! Logging into httpd's error_log: a `log` crate backend and direct functions.
//!
//! `log::info!` and friends go to `ap_log_rerror` when a request hook is running on this thread,
//! `ap_log_cerror` inside a connection hook, and `ap_log_error` otherwise, tagged with this
//! module so that `LogLevel <module>:<level>` applies, and with the Rust caller's file and line.

use apache_sys as ffi;
use std::cell::Cell;
use std::ffi::CString;
use std::os::raw::c_int;
use std::ptr;

#[derive(Clone, Copy)]
enum Current {
    None,
    Request(*mut ffi::request_rec),
    Connection(*mut ffi::conn_rec),
}

thread_local! {
    static CURRENT: Cell<Current> = const { Cell::new(Current::None) };
}

/// Marks the request or connection this thread is serving, for the length of a hook.
pub(crate) struct Scope(Current);

impl Scope {
    pub(crate) fn request(r: *mut ffi::request_rec) -> Scope {
        Scope(CURRENT.with(|c| c.replace(Current::Request(r))))
    }
    pub(crate) fn connection(c: *mut ffi::conn_rec) -> Scope {
        Scope(CURRENT.with(|cur| cur.replace(Current::Connection(c))))
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// httpd's log levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub enum Level {
    /// `APLOG_EMERG`
    Emerg = 0,
    /// `APLOG_ALERT`
    Alert = 1,
    /// `APLOG_CRIT`
    Crit = 2,
    /// `APLOG_ERR`
    Error = 3,
    /// `APLOG_WARNING`
    Warning = 4,
    /// `APLOG_NOTICE`
    Notice = 5,
    /// `APLOG_INFO`
    Info = 6,
    /// `APLOG_DEBUG`
    Debug = 7,
    /// `APLOG_TRACE1`
    Trace1 = 8,
}

impl From<log::Level> for Level {
    fn from(l: log::Level) -> Level {
        match l {
            log::Level::Error => Level::Error,
            log::Level::Warn => Level::Warning,
            log::Level::Info => Level::Info,
            log::Level::Debug => Level::Debug,
            log::Level::Trace => Level::Trace1,
        }
    }
}

/// Writes one message at `level`, attributed to `file:line`, to the most specific log target
/// this thread has (request, connection, or the given or main server).
fn emit(level: Level, file: &str, line: u32, server: *mut ffi::server_rec, msg: &str) {
    let file = CString::new(file).unwrap_or_default();
    let msg = CString::new(msg.replace('\0', "\\0")).unwrap_or_default();
    let index = crate::core::identity::module_index();
    let fmt = c"%s".as_ptr();
    let level = level as c_int;
    // SAFETY: all strings are NUL-terminated and live across the call; the pointers in CURRENT
    // are valid while their Scope is alive on this thread.
    unsafe {
        match CURRENT.with(Cell::get) {
            Current::Request(r) => ffi::ap_log_rerror_(
                file.as_ptr(),
                line as c_int,
                index,
                level,
                0,
                r,
                fmt,
                msg.as_ptr(),
            ),
            Current::Connection(c) => ffi::ap_log_cerror_(
                file.as_ptr(),
                line as c_int,
                index,
                level,
                0,
                c,
                fmt,
                msg.as_ptr(),
            ),
            Current::None => {
                let s = if server.is_null() {
                    ffi::ap_server_conf
                } else {
                    server
                };
                ffi::ap_log_error_(
                    file.as_ptr(),
                    line as c_int,
                    index,
                    level,
                    0,
                    s,
                    fmt,
                    msg.as_ptr(),
                )
            }
        }
    }
}

/// Logs `msg` at `level` for the current request, connection or the main server.
#[track_caller]
pub fn log(level: Level, msg: &str) {
    let loc = std::panic::Location::caller();
    emit(level, loc.file(), loc.line(), ptr::null_mut(), msg);
}

#[track_caller]
pub(crate) fn request_error(r: *mut ffi::request_rec, msg: &str) {
    let _scope = Scope::request(r);
    log(Level::Error, msg);
}

#[track_caller]
pub(crate) fn connection_error(c: *mut ffi::conn_rec, msg: &str) {
    let _scope = Scope::connection(c);
    log(Level::Error, msg);
}

#[track_caller]
pub(crate) fn server_error(s: *mut ffi::server_rec, msg: &str) {
    let loc = std::panic::Location::caller();
    emit(Level::Error, loc.file(), loc.line(), s, msg);
}

struct HttpdLogger;

impl log::Log for HttpdLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        // httpd filters by the module's LogLevel itself.
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let msg = record.args().to_string();
        emit(
            record.level().into(),
            record.file().unwrap_or("?"),
            record.line().unwrap_or(0),
            ptr::null_mut(),
            &msg,
        );
    }

    fn flush(&self) {}
}

static LOGGER: HttpdLogger = HttpdLogger;

/// Makes the `log` crate write to httpd's error_log; done when the module registers its hooks.
pub(crate) fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }
}
