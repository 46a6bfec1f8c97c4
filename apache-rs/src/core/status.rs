//! What a hook returns: httpd's `OK`/`DECLINED`/`DONE` or an HTTP status, and errors that carry one.

use std::fmt;
use std::os::raw::c_int;

/// The outcome of a hook, as httpd understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `OK`: the hook did its job (for "run first" hooks, the others are skipped).
    Ok,
    /// `DECLINED`: the hook has nothing to do here; httpd asks the next one.
    Declined,
    /// `DONE`: the request is complete; httpd skips the remaining phases.
    Done,
    /// An HTTP status (e.g. 403, 404, 500, 301): httpd stops and sends that response.
    Http(u16),
    /// `AP_FILTER_ERROR`: a filter has already sent an error response (httpd's own input
    /// filter does for a body over `LimitRequestBody`), so httpd sends nothing more; should no
    /// response have gone out after all, httpd answers 500.
    FilterError,
    /// A number that is none of httpd's codes nor an HTTP status (a handler returning `1` or
    /// `-7`). It goes back to httpd as it is, so httpd reports it as it does for any module's
    /// bug: `AH00524` ("Handler for ... returned invalid result code") from a content
    /// handler, `AH01579` ("Invalid response status") from the other phases, and a 500.
    Invalid(c_int),
}

impl Status {
    /// The `int` httpd expects from a hook.
    pub fn into_raw(self) -> c_int {
        match self {
            Status::Ok => apache_sys::OK as c_int,
            Status::Declined => apache_sys::DECLINED,
            Status::Done => apache_sys::DONE,
            Status::Http(code) => c_int::from(code),
            Status::FilterError => apache_sys::AP_FILTER_ERROR,
            Status::Invalid(raw) => raw,
        }
    }

    /// The status for an `int` a hook or httpd function returned. An HTTP status is a number
    /// httpd accepts as one (100 to 599, `ap_is_HTTP_VALID_RESPONSE`); any other number is
    /// [`Status::Invalid`], left for httpd to report, except `SUSPENDED`: a handler returning
    /// it tells httpd the module keeps the request to finish it later, which a module that
    /// did not mean to would never do, so the connection would hang. That one is logged here
    /// (`AH00524`'s words) and answered 500.
    ///
    /// ```no_run
    /// use apache::Status;
    /// assert_eq!(Status::from_raw(0), Status::Ok);
    /// assert_eq!(Status::from_raw(404), Status::Http(404));
    /// // Neither httpd's nor HTTP's: httpd is told, and reports it.
    /// assert_eq!(Status::from_raw(1), Status::Invalid(1));
    /// assert_eq!(Status::from_raw(-7), Status::Invalid(-7));
    /// assert_eq!(Status::from_raw(1000), Status::Invalid(1000));
    /// assert_eq!(Status::from_raw(1).into_raw(), 1);
    /// ```
    pub fn from_raw(raw: c_int) -> Status {
        match raw {
            0 => Status::Ok,
            -1 => Status::Declined,
            -2 => Status::Done,
            apache_sys::AP_FILTER_ERROR => Status::FilterError,
            code if (100..600).contains(&code) => Status::Http(code as u16),
            SUSPENDED => {
                use crate::core::logging::{Level, log};
                log(
                    Level::Warning,
                    &format!(
                        "Handler returned invalid result code {raw} (SUSPENDED): answered 500"
                    ),
                );
                Status::Http(500)
            }
            _ => Status::Invalid(raw),
        }
    }
}

/// httpd's `SUSPENDED` (httpd.h): the handler keeps the request to finish it later.
const SUSPENDED: c_int = -3;

/// An error that ends a hook with an HTTP status; its message goes to the error_log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The HTTP status sent (500 unless said otherwise).
    pub status: u16,
    /// What went wrong, for the error_log.
    pub message: String,
}

impl Error {
    /// An error answered with `status`.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Error {
            status,
            message: message.into(),
        }
    }

    /// A 500 Internal Server Error.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(500, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal(e.to_string())
    }
}

impl From<std::str::Utf8Error> for Error {
    fn from(e: std::str::Utf8Error) -> Self {
        Error::new(400, e.to_string())
    }
}

/// What request-level hooks return: `Ok(Status)` or an [`Error`] whose status is sent.
///
/// An error (or a panic) once the request's response is complete, e.g. after httpd's input
/// filter answered 413 to a body over `LimitRequestBody` and the read failed, is logged and
/// returned to httpd as [`Status::FilterError`]: no second response follows the first.
pub type HookResult = Result<Status, Error>;

/// APR's description of a status code (`apr_strerror`), for error messages.
pub(crate) fn apr_strerror(rv: apache_sys::apr_status_t) -> String {
    let mut buf = [0 as std::os::raw::c_char; 256];
    // SAFETY: apr_strerror writes at most bufsize bytes, NUL included, and returns buf.
    let p = unsafe { apache_sys::apr_strerror(rv, buf.as_mut_ptr(), buf.len()) };
    // SAFETY: p is buf, NUL-terminated by apr_strerror.
    let text = unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy();
    format!("{text} (APR status {rv})")
}
