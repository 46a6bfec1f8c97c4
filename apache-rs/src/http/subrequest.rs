//! Subrequests and internal redirects: running another URI or file through httpd's phases
//! for this request, and the requests such runs link together.

use crate::core::Status;
use crate::http::Request;
use apache_sys as ffi;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

impl Request {
    /// Serves `uri` instead, as a new request through every phase (`ap_internal_redirect`).
    /// The handler should return [`Status::Ok`] afterwards.
    pub fn internal_redirect(&mut self, uri: &str) {
        if self.response_ended() {
            crate::core::logging::request_error(self.as_ptr(), crate::http::ENDED);
            return;
        }
        let u = self.pool().c_str(uri);
        // SAFETY: valid request; the URI lives in its pool.
        unsafe { ffi::ap_internal_redirect(u, self.as_ptr()) }
    }

    /// Like [`Request::internal_redirect`], keeping this request's handler and content type.
    pub fn internal_redirect_handler(&mut self, uri: &str) {
        if self.response_ended() {
            crate::core::logging::request_error(self.as_ptr(), crate::http::ENDED);
            return;
        }
        let u = self.pool().c_str(uri);
        // SAFETY: as above.
        unsafe { ffi::ap_internal_redirect_handler(u, self.as_ptr()) }
    }

    /// Looks up `uri` as a subrequest (runs the phases up to the handler).
    pub fn lookup_uri(&self, uri: &str) -> SubRequest<'_> {
        let u = self.pool().c_str(uri);
        // SAFETY: valid request. The subrequest writes into our own output filters (after what
        // this request has written so far), as a handler's subrequest should.
        let s = unsafe { ffi::ap_sub_req_lookup_uri(u, self.as_ptr(), self.raw().output_filters) };
        SubRequest {
            raw: NonNull::new(s).expect("ap_sub_req_lookup_uri"),
            _parent: std::marker::PhantomData,
        }
    }

    /// Looks up a file (relative to this request's directory) as a subrequest.
    pub fn lookup_file(&self, file: &str) -> SubRequest<'_> {
        let f = self.pool().c_str(file);
        // SAFETY: as above.
        let s = unsafe { ffi::ap_sub_req_lookup_file(f, self.as_ptr(), self.raw().output_filters) };
        SubRequest {
            raw: NonNull::new(s).expect("ap_sub_req_lookup_file"),
            _parent: std::marker::PhantomData,
        }
    }

    /// The request this subrequest was made for.
    pub fn main(&self) -> Option<&Request> {
        let m = self.raw().main;
        // SAFETY: the main request outlives its subrequests.
        (!m.is_null()).then(|| unsafe { Request::from_raw(m) })
    }

    /// The request this one was internally redirected from.
    pub fn prev(&self) -> Option<&Request> {
        let p = self.raw().prev;
        // SAFETY: a redirected request keeps its predecessor alive.
        (!p.is_null()).then(|| unsafe { Request::from_raw(p) })
    }

    /// The request this one was internally redirected to.
    pub fn next(&self) -> Option<&Request> {
        let n = self.raw().next;
        // SAFETY: as above.
        (!n.is_null()).then(|| unsafe { Request::from_raw(n) })
    }
}

/// A subrequest, destroyed when dropped. Reads like a [`Request`].
pub struct SubRequest<'parent> {
    raw: NonNull<ffi::request_rec>,
    _parent: std::marker::PhantomData<&'parent Request>,
}

impl SubRequest<'_> {
    /// The status the lookup ended with (200 when the subrequest can be served).
    pub fn lookup_status(&self) -> i32 {
        self.status()
    }

    /// Runs the subrequest's handler, sending its output with the main response
    /// (`ap_run_sub_req`).
    pub fn run(&mut self) -> Status {
        if self.response_ended() {
            return Status::Http(500);
        }
        // SAFETY: a looked-up subrequest not yet destroyed.
        Status::from_raw(unsafe { ffi::ap_run_sub_req(self.raw.as_ptr()) })
    }
}

impl Deref for SubRequest<'_> {
    type Target = Request;
    fn deref(&self) -> &Request {
        // SAFETY: lives until drop.
        unsafe { Request::from_raw(self.raw.as_ptr()) }
    }
}

impl DerefMut for SubRequest<'_> {
    fn deref_mut(&mut self) -> &mut Request {
        // SAFETY: lives until drop; owned exclusively.
        unsafe { Request::from_raw_mut(self.raw.as_ptr()) }
    }
}

impl Drop for SubRequest<'_> {
    fn drop(&mut self) {
        // SAFETY: made by ap_sub_req_lookup_*; destroyed once.
        unsafe { ffi::ap_destroy_sub_req(self.raw.as_ptr()) }
    }
}
