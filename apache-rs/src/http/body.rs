//! Reading the request body as `std::io::Read`.
//!
//! httpd's client-block API de-chunks `Transfer-Encoding: chunked` bodies, honours
//! `Content-Length`, and enforces `LimitRequestBody` (a larger body is answered with 413).
//! Reads go through the input filters as `ap_get_client_block` does, but keep the status of
//! a failed read, so that [`BodyError`] tells a client that stopped sending (400, 408) from a
//! body httpd has already answered.

use crate::apr::OwnedBrigade;
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
    /// httpd's input filters found the body bad part-way (a chunked body grown past
    /// `LimitRequestBody`, a malformed chunk) and have already sent the error response
    /// (413, 400): the handler has nothing more to send.
    Answered,
    /// The client stopped sending before the end of the body it announced: it closed the
    /// connection short of its `Content-Length` or in the middle of a chunk, or sent nothing
    /// for `Timeout` seconds. Nothing has been answered; the status is the one httpd gives
    /// such a request (400, 408 after a timeout), and the connection will not be kept alive.
    Incomplete(u16),
    /// Reading failed for another reason.
    Failed,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Refused(status) => write!(f, "the request body cannot be read ({status})"),
            BodyError::Answered => f.write_str("the request body is bad and has been answered"),
            BodyError::Incomplete(status) => write!(
                f,
                "the client stopped sending the request body before its end ({status})"
            ),
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

/// One read of the body, after it was set up: what `ap_get_client_block` does, keeping the
/// status of a failed read, which that function loses (it says only -1), to tell a client
/// that stopped sending from a body httpd has already answered.
fn read_block(r: &mut Request, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    let chunked = r.raw().read_chunked != 0;
    if buf.is_empty() || r.raw().remaining < 0 || (!chunked && r.raw().remaining == 0) {
        return Ok(0);
    }
    match fetch_into(r, buf) {
        Ok((len, eos)) => {
            if eos {
                // The next read returns 0 without asking the filters again.
                r.raw_mut().remaining = if chunked { -1 } else { 0 };
            }
            r.raw_mut().read_length += len as ffi::apr_off_t;
            Ok(len)
        }
        Err(why) => {
            // What is left of the body on the wire cannot be told from a next request.
            r.connection_mut().close_after_request();
            Err(io::Error::new(io::ErrorKind::InvalidData, why))
        }
    }
}

/// Asks the request's input filters for up to `buf.len()` bytes and copies them into `buf`:
/// the length copied, and whether the end of the body came with them.
fn fetch_into(r: &Request, buf: &mut [MaybeUninit<u8>]) -> Result<(usize, bool), BodyError> {
    let want = buf.len().min(c_int::MAX as usize);
    let bb = OwnedBrigade::new(r.pool(), r.connection());
    // SAFETY: the request's input chain is set up before handlers run; bb is a valid brigade
    // in the request's pool.
    let rv = unsafe {
        ffi::ap_get_brigade(
            r.raw().input_filters,
            bb.as_ptr(),
            ffi::AP_MODE_READBYTES,
            ffi::APR_BLOCK_READ,
            want as ffi::apr_off_t,
        )
    };
    if rv == ffi::AP_FILTER_ERROR {
        return Err(BodyError::Answered);
    }
    if rv != ffi::APR_SUCCESS as ffi::apr_status_t {
        return Err(client_failure(rv).map_or(BodyError::Failed, BodyError::Incomplete));
    }
    let mut len = want as ffi::apr_size_t;
    // SAFETY: buf is valid for writes of `want` bytes; flatten writes at most `len` of them
    // and sets `len` to the number written.
    let rv = unsafe { ffi::apr_brigade_flatten(bb.as_ptr(), buf.as_mut_ptr().cast(), &mut len) };
    if rv != ffi::APR_SUCCESS as ffi::apr_status_t {
        return Err(BodyError::Failed);
    }
    Ok((len as usize, bb.has_eos()))
}

/// The answer httpd gives a request whose body the client did not finish (`rv` from the
/// input filters): 408 when it sent nothing for `Timeout` seconds, 400 when the connection
/// ended early; `None` for a failure that is not the client's (a filter's own error).
fn client_failure(rv: ffi::apr_status_t) -> Option<u16> {
    let is = |code: u32| rv == code as ffi::apr_status_t;
    if ffi::APR_STATUS_IS_TIMEUP(rv) {
        Some(408)
    } else if ffi::APR_STATUS_IS_EOF(rv)
        || is(ffi::APR_INCOMPLETE)
        || is(ffi::APR_ECONNRESET)
        || is(ffi::APR_ECONNABORTED)
    {
        Some(400)
    } else {
        None
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
