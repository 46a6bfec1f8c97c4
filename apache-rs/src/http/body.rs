//! Reading the request body as `std::io::Read`.
//!
//! httpd's client-block API de-chunks `Transfer-Encoding: chunked` bodies, honours
//! `Content-Length`, and enforces `LimitRequestBody` (a larger body is answered with 413).

use crate::core::Status;
use crate::http::Request;
use apache_sys as ffi;
use std::io;
use std::mem::MaybeUninit;
use std::os::raw::c_int;

/// Why the body could not be read: the inner error of the `io::Error`s body reads return
/// (`e.get_ref().and_then(|e| e.downcast_ref::<BodyError>())`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// httpd refused the body before any of it was read (413 for a declared length over
    /// `LimitRequestBody`, 400 for malformed framing): nothing has been sent yet, and the
    /// request should be answered with this status.
    Refused(u16),
    /// Reading failed part-way (the client went away, or a chunked body grew past
    /// `LimitRequestBody`, which httpd's input filter has already answered with 413).
    Failed,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Refused(status) => write!(f, "the request body cannot be read ({status})"),
            BodyError::Failed => f.write_str("the request body could not be read"),
        }
    }
}

impl std::error::Error for BodyError {}

/// The request body, read through the input filters.
pub struct Body<'r> {
    r: &'r mut Request,
    done: bool,
}

impl Request {
    /// Prepares to read the body (`ap_setup_client_block` with chunked bodies de-chunked).
    /// Fails with the status httpd chose, e.g. 413 when `LimitRequestBody` is exceeded by the
    /// declared length or 400 for a malformed request.
    pub fn body(&mut self) -> Result<Body<'_>, Status> {
        // SAFETY: valid request; REQUEST_CHUNKED_DECHUNK accepts both framings.
        let rc = unsafe {
            ffi::ap_setup_client_block(self.as_ptr(), ffi::REQUEST_CHUNKED_DECHUNK as c_int)
        };
        if rc != ffi::OK as c_int {
            return Err(Status::from_raw(rc));
        }
        // SAFETY: valid request after setup.
        let has_body = unsafe { ffi::ap_should_client_block(self.as_ptr()) } != 0;
        Ok(Body {
            r: self,
            done: !has_body,
        })
    }

    /// Reads the next part of the body into `buf`; 0 at the end. The first call prepares the
    /// read as [`Request::body`] does, so callers that keep no reader (an embedded language's
    /// request object) can read piecemeal; do not mix with a [`Body`] reader.
    pub fn read_body_part(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: initialized bytes are valid MaybeUninit bytes, and read_body_part_uninit
        // only writes to them.
        let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        self.read_body_part_uninit(uninit)
    }

    /// [`Request::read_body_part`] into memory that need not be initialized (a buffer another
    /// runtime allocated, which would otherwise have to be zeroed first): the first `n` bytes
    /// of `buf` are written, for the `n` returned.
    pub fn read_body_part_uninit(&mut self, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        if self.response_ended() {
            return Err(io::Error::other(crate::http::ENDED));
        }
        if self.raw().read_body == ffi::REQUEST_NO_BODY as c_int {
            match self.body() {
                Ok(Body { done: true, .. }) => return Ok(0),
                Ok(_) => {}
                Err(s) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        BodyError::Refused(status_code(s)),
                    ));
                }
            }
        }
        read_block(self, buf)
    }

    /// The whole body; see [`Request::body`].
    pub fn read_body(&mut self) -> Result<Vec<u8>, crate::core::Error> {
        let mut body = self
            .body()
            .map_err(|s| crate::core::Error::new(status_code(s), "reading the request body"))?;
        let mut out = Vec::new();
        io::Read::read_to_end(&mut body, &mut out)?;
        Ok(out)
    }

    /// Bytes of the body still to come, when the length was declared.
    pub fn remaining(&self) -> i64 {
        self.raw().remaining
    }

    /// Bytes of the body read so far.
    pub fn read_length(&self) -> i64 {
        self.raw().read_length
    }

    /// Reads and throws away the body (`ap_discard_request_body`), so the connection can be
    /// kept alive when a handler answers without reading it.
    pub fn discard_request_body(&mut self) -> Status {
        // SAFETY: valid request.
        Status::from_raw(unsafe { ffi::ap_discard_request_body(self.as_ptr()) })
    }
}

fn status_code(s: Status) -> u16 {
    match s {
        Status::Http(c) => c,
        _ => 500,
    }
}

/// One `ap_get_client_block` call, after the read was set up.
fn read_block(r: &mut Request, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    if buf.is_empty() {
        return Ok(0);
    }
    let want = buf.len().min(c_int::MAX as usize);
    // SAFETY: buf is valid for writes of `want` bytes; httpd only writes to it.
    let n = unsafe { ffi::ap_get_client_block(r.as_ptr(), buf.as_mut_ptr().cast(), want) };
    if n >= 0 {
        Ok(n as usize)
    } else {
        // httpd has already chosen the answer (413 over LimitRequestBody, 400 for bad chunking);
        // the reader sees an error.
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            BodyError::Failed,
        ))
    }
}

impl io::Read for Body<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        // SAFETY: as in read_body_part: read_block only writes to the bytes.
        let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        let result = read_block(self.r, uninit);
        if matches!(result, Ok(0) | Err(_)) && !buf.is_empty() {
            self.done = true;
        }
        result
    }
}
