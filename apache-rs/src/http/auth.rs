//! Authentication data of a request: HTTP Basic credentials, `AuthName` and `AuthType`.

use crate::core::{Status, strings};
use crate::http::Request;
use apache_sys as ffi;
use std::os::raw::{c_char, c_int};

impl Request {
    /// The password of HTTP Basic authentication (`ap_get_basic_auth_pw`), which also sets the
    /// user. `Err` carries httpd's answer (401 with the challenge set, or 500 when no AuthType),
    /// or 400 for a password that is not UTF-8: [`Request::basic_auth_pw_bytes`] gives it as
    /// the client sent it (browsers send Latin-1 unless the challenge says `charset="UTF-8"`).
    pub fn basic_auth_pw(&mut self) -> Result<&str, Status> {
        let pw = self.basic_auth_pw_bytes()?;
        std::str::from_utf8(pw).map_err(|_| Status::Http(400))
    }

    /// [`Request::basic_auth_pw`] as bytes, whatever their charset.
    pub fn basic_auth_pw_bytes(&mut self) -> Result<&[u8], Status> {
        let mut pw: *const c_char = std::ptr::null();
        // SAFETY: valid request; pw is set to a pool string.
        let rc = unsafe { ffi::ap_get_basic_auth_pw(self.as_ptr(), &mut pw) };
        if rc != ffi::OK as c_int {
            return Err(Status::from_raw(rc));
        }
        // SAFETY: pool string.
        Ok(unsafe { strings::to_bytes(pw) }.unwrap_or(b""))
    }

    /// `AuthName` for this request.
    pub fn auth_name(&self) -> Option<&str> {
        // SAFETY: configuration string.
        unsafe { strings::to_str(ffi::ap_auth_name(self.as_ptr())) }
    }

    /// `AuthType` for this request.
    pub fn auth_type(&self) -> Option<&str> {
        // SAFETY: configuration string.
        unsafe { strings::to_str(ffi::ap_auth_type(self.as_ptr())) }
    }

    /// Sets the authentication scheme (`r->ap_auth_type`), as authentication hooks do.
    pub fn set_ap_auth_type(&mut self, scheme: impl AsRef<[u8]>) {
        let p = self.pool().c_str(scheme);
        self.raw_mut().ap_auth_type = p as *mut _;
    }
}
