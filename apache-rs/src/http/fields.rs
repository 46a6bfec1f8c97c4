//! Request fields modules rarely need, read (and some set) as httpd keeps them.

use crate::core::strings;
use crate::http::Request;
use std::os::raw::c_int;

impl Request {
    /// Whether this is an HTTP/0.9 "simple" request: no headers are sent back
    /// (`r->assbackwards`).
    pub fn assbackwards(&self) -> bool {
        self.raw().assbackwards != 0
    }

    /// Sets `r->assbackwards`: when true httpd sends the body without a status line or headers.
    pub fn set_assbackwards(&mut self, on: bool) {
        self.raw_mut().assbackwards = c_int::from(on);
    }

    /// `r->proxyreq`: 0 no proxy, 1 forward proxy, 2 reverse proxy, 3 an origin's response
    /// (`PROXYREQ_*`).
    pub fn proxyreq(&self) -> i32 {
        self.raw().proxyreq
    }

    /// Sets `r->proxyreq`, as a translate hook that proxies the request does.
    pub fn set_proxyreq(&mut self, kind: i32) {
        self.raw_mut().proxyreq = kind;
    }

    /// The body length counted by httpd so far, headers excluded (`r->sent_bodyct`, non-zero once
    /// the body has begun to go out).
    pub fn sent_bodyct(&self) -> i64 {
        self.raw().sent_bodyct
    }

    /// How the request body is to be read (`r->read_body`: `REQUEST_NO_BODY` 0,
    /// `REQUEST_CHUNKED_ERROR` 1, `REQUEST_CHUNKED_DECHUNK` 2), set by `ap_setup_client_block`.
    pub fn read_body_policy(&self) -> i32 {
        self.raw().read_body
    }

    /// Whether the request body comes chunked (`r->read_chunked`).
    pub fn read_chunked(&self) -> bool {
        self.raw().read_chunked != 0
    }

    /// Whether the client sent `Expect: 100-continue` and still waits for the 100
    /// (`r->expecting_100`).
    pub fn expecting_100(&self) -> bool {
        self.raw().expecting_100 != 0
    }

    /// The variant list validator of a negotiated response (`r->vlist_validator`).
    pub fn vlist_validator(&self) -> Option<&str> {
        // SAFETY: NULL or a request pool string.
        unsafe { strings::to_str(self.raw().vlist_validator) }
    }

    /// Whether path information after the file name is accepted (`r->used_path_info`:
    /// `AP_REQ_ACCEPT_PATH_INFO` 0, `AP_REQ_REJECT_PATH_INFO` 1, `AP_REQ_DEFAULT_PATH_INFO` 2).
    pub fn used_path_info(&self) -> i32 {
        self.raw().used_path_info
    }

    /// Sets `r->used_path_info` (see [`Request::used_path_info`]).
    pub fn set_used_path_info(&mut self, how: i32) {
        self.raw_mut().used_path_info = how;
    }

    /// Whether the end of the response has gone down the filters (`r->eos_sent`).
    pub fn eos_sent(&self) -> bool {
        self.raw().eos_sent != 0
    }

    /// Whether conditional requests are answered with the whole body (`r->no_local_copy`).
    pub fn no_local_copy(&self) -> bool {
        self.raw().no_local_copy != 0
    }

    /// Sets `r->no_local_copy`: true makes httpd ignore `If-Modified-Since` and the like.
    pub fn set_no_local_copy(&mut self, on: bool) {
        self.raw_mut().no_local_copy = c_int::from(on);
    }
}
