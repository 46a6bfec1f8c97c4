//! The CGI environment of a request (`subprocess_env`), as CGI and SSI see it.

use crate::core::strings;
use crate::http::Request;
use apache_sys as ffi;

impl Request {
    /// `DocumentRoot` for this request.
    pub fn document_root(&self) -> Option<&str> {
        // SAFETY: configuration string.
        unsafe { strings::to_str(ffi::ap_document_root(self.as_ptr())) }
    }

    /// Fills `subprocess_env` with the common CGI variables (`ap_add_common_vars`).
    pub fn add_common_vars(&mut self) {
        // SAFETY: valid request.
        unsafe { ffi::ap_add_common_vars(self.as_ptr()) }
    }

    /// Fills `subprocess_env` with the request's CGI variables (`ap_add_cgi_vars`).
    pub fn add_cgi_vars(&mut self) {
        // SAFETY: valid request.
        unsafe { ffi::ap_add_cgi_vars(self.as_ptr()) }
    }
}
