//! What a failed APR call returns, and what a filter returns to fail: an APR status.

use crate::core::apr_strerror;
use apache_sys as ffi;
use std::io;

/// A failed APR call, or a filter's failure: an APR status (`apr_status_t`) other than
/// `APR_SUCCESS`. Filters return it up the chain, where httpd and the other filters read the
/// status. (Its description comes from APR, so this example runs only inside httpd.)
///
/// ```no_run
/// use apache::apr::AprError;
/// let e = AprError::new(libc::EPIPE);
/// assert_eq!(e.status(), libc::EPIPE);
/// assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::BrokenPipe);
/// assert!(AprError::check(0).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AprError(ffi::apr_status_t);

impl AprError {
    /// `APR_EGENERAL`: something failed; the reason was logged.
    pub const GENERAL: AprError = AprError(ffi::APR_EGENERAL as ffi::apr_status_t);
    /// `AP_FILTER_ERROR`: the filter already produced an error response.
    pub const FILTER_ERROR: AprError = AprError(ffi::AP_FILTER_ERROR);

    /// The error of APR status `status`; `APR_SUCCESS`, which is no error, gives
    /// [`AprError::GENERAL`].
    pub const fn new(status: ffi::apr_status_t) -> AprError {
        if status == ffi::APR_SUCCESS as ffi::apr_status_t {
            AprError::GENERAL
        } else {
            AprError(status)
        }
    }

    /// `Ok` for `APR_SUCCESS`, else the error: for the status an APR function returned.
    pub fn check(status: ffi::apr_status_t) -> Result<(), AprError> {
        if status == ffi::APR_SUCCESS as ffi::apr_status_t {
            Ok(())
        } else {
            Err(AprError(status))
        }
    }

    /// The APR status, as httpd and C filters read it.
    pub const fn status(self) -> ffi::apr_status_t {
        self.0
    }

    /// Whether this is `APR_EOF`.
    pub fn is_eof(&self) -> bool {
        ffi::APR_STATUS_IS_EOF(self.0)
    }
}

/// APR's description of the status, with its number.
impl std::fmt::Display for AprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&apr_strerror(self.0))
    }
}

impl std::error::Error for AprError {}

impl From<AprError> for io::Error {
    /// APR's codes for system errors are the OS's `errno` values on Unix, so they keep their
    /// kind (`BrokenPipe`, `ConnectionReset`, ...); `APR_TIMEUP` becomes `TimedOut` and
    /// `APR_EOF` `UnexpectedEof`.
    fn from(e: AprError) -> io::Error {
        if ffi::APR_STATUS_IS_TIMEUP(e.0) {
            io::Error::new(io::ErrorKind::TimedOut, e)
        } else if e.is_eof() {
            io::Error::new(io::ErrorKind::UnexpectedEof, e)
        } else if e.0 > 0 && e.0 < ffi::APR_OS_START_ERROR as i32 {
            io::Error::from_raw_os_error(e.0)
        } else {
            io::Error::other(e)
        }
    }
}
