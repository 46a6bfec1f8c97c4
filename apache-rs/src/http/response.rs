//! The response: its languages, allowed methods, caching, validators and conditions, and
//! sending a file as its body.

use crate::core::strings;
use crate::core::{Error, Status};
use crate::http::{MethodMask, Request};
use apache_sys as ffi;
use std::os::raw::{c_char, c_int};

impl Request {
    /// The response's `Content-Language` values.
    pub fn content_languages(&self) -> Vec<&str> {
        // SAFETY: NULL or an APR array of C strings in the request pool.
        unsafe { strings::str_array(self.raw().content_languages) }
    }

    /// Sets the response's `Content-Language` values (`r->content_languages`); an empty list
    /// removes them.
    pub fn set_content_languages(&mut self, languages: &[&str]) {
        if languages.is_empty() {
            self.raw_mut().content_languages = std::ptr::null_mut();
            return;
        }
        let pool = self.pool().as_ptr();
        let n = c_int::try_from(languages.len()).unwrap_or(c_int::MAX);
        // SAFETY: an APR array of C string pointers in the request pool, as httpd makes it;
        // each element is a pool copy.
        let a = unsafe {
            let a = ffi::apr_array_make(pool, n, std::mem::size_of::<*const c_char>() as c_int);
            for lang in languages {
                let slot = ffi::apr_array_push(a) as *mut *const c_char;
                *slot = self.pool().c_str(lang);
            }
            a
        };
        self.raw_mut().content_languages = a;
    }

    /// `r->allowed`: the methods handlers said they allow, none until one does. httpd 2.4
    /// does not make its `Allow` header from this mask but from the list
    /// [`Request::allow_methods`] fills.
    pub fn allowed(&self) -> MethodMask {
        MethodMask::from_bits(self.raw().allowed as u64)
    }

    /// Sets `r->allowed`, as C handlers do with `r->allowed |= AP_METHOD_BIT << M_GET`.
    pub fn set_allowed(&mut self, methods: MethodMask) {
        self.raw_mut().allowed = methods.bits() as i64;
    }

    /// Adds methods to those the `Allow` header of an `OPTIONS` answer or a 405 lists
    /// (`ap_allow_methods`); `reset` first forgets the ones already there.
    pub fn allow_methods(&mut self, reset: bool, methods: &[&str]) {
        let list = self.raw().allowed_methods;
        if list.is_null() {
            return;
        }
        // SAFETY: the request's method list, made by httpd with the request; the names are
        // copied into the request pool, which the list lives in.
        unsafe {
            if reset {
                ffi::ap_clear_method_list(list);
            }
            for m in methods {
                ffi::ap_method_list_add(list, self.pool().c_str(m));
            }
        }
    }

    /// The extension methods (not known to httpd by number) in `r->allowed_xmethods`.
    pub fn allowed_xmethods(&self) -> Vec<&str> {
        // SAFETY: NULL or an array of the request's pool, as long as this borrow.
        unsafe { strings::str_array(self.raw().allowed_xmethods) }
    }

    /// The methods [`Request::allow_methods`] added: those httpd knows by number, and the
    /// names of the others, as httpd keeps them in `r->allowed_methods`.
    pub fn allowed_methods(&self) -> (MethodMask, Vec<&str>) {
        let l = self.raw().allowed_methods;
        if l.is_null() {
            return (MethodMask::NONE, Vec::new());
        }
        // SAFETY: the request's method list, in its pool.
        unsafe {
            (
                MethodMask::from_bits((*l).method_mask as u64),
                strings::str_array((*l).method_list),
            )
        }
    }

    /// Whether the response must not be cached (`r->no_cache`).
    pub fn no_cache(&self) -> bool {
        self.raw().no_cache != 0
    }

    /// Marks the response as not to be cached (`r->no_cache`): httpd then sends an `Expires`
    /// header dated now (unless one is set) and caches leave it alone.
    pub fn set_no_cache(&mut self, no_cache: bool) {
        self.raw_mut().no_cache = c_int::from(no_cache);
    }

    /// Whether the response body is sent with chunked transfer-coding (`r->chunked`); known
    /// once the headers are out (after the first write is flushed).
    pub fn chunked(&self) -> bool {
        self.raw().chunked != 0
    }

    /// Asks for (or against) chunked transfer-coding of the response (`r->chunked`), before
    /// the headers go out.
    pub fn set_chunked(&mut self, on: bool) {
        self.raw_mut().chunked = c_int::from(on);
    }

    /// Body bytes sent so far (`r->bytes_sent`), as counted by httpd's content-length filter
    /// when they pass it (after a flush, or at the end).
    pub fn bytes_sent(&self) -> i64 {
        self.raw().bytes_sent
    }

    /// The response's length as set by [`Request::set_content_length`] (`r->clength`), 0 when
    /// not set.
    pub fn clength(&self) -> i64 {
        self.raw().clength
    }

    /// `Last-Modified` from the request's mtime (`ap_set_last_modified`).
    pub fn set_last_modified(&mut self) {
        // SAFETY: valid request.
        unsafe { ffi::ap_set_last_modified(self.as_ptr()) }
    }

    /// Moves the request's mtime forward to `mtime` (microseconds) if later (`ap_update_mtime`).
    pub fn update_mtime(&mut self, mtime: i64) {
        // SAFETY: valid request.
        unsafe { ffi::ap_update_mtime(self.as_ptr(), mtime) }
    }

    /// The request's modification time (microseconds since the epoch).
    pub fn mtime(&self) -> i64 {
        self.raw().mtime
    }

    /// An `ETag` from the file information (`ap_set_etag`).
    pub fn set_etag(&mut self) {
        // SAFETY: valid request.
        unsafe { ffi::ap_set_etag(self.as_ptr()) }
    }

    /// Checks `If-Modified-Since`, `If-None-Match` and the others against the response's
    /// validators: `Ok` to send the body, or the status to answer with (304, 412).
    pub fn meets_conditions(&mut self) -> Status {
        // SAFETY: valid request.
        Status::from_raw(unsafe { ffi::ap_meets_conditions(self.as_ptr()) })
    }

    /// Sends a file's bytes `offset..offset+len` (the whole file when `len` is `None`) without
    /// copying them through Rust (`ap_send_fd`). Returns bytes sent. As with files core serves,
    /// the kernel's sendfile is used only where `EnableSendfile On` applies (otherwise the file
    /// is memory-mapped or read, per `EnableMMAP`).
    pub fn sendfile(&mut self, path: &str, offset: u64, len: Option<u64>) -> Result<u64, Error> {
        if self.response_ended() {
            return Err(Error::internal(crate::http::ENDED));
        }
        let pool = self.pool();
        let name = pool.c_str(path);
        let mut fd = std::ptr::null_mut();
        let mut flags = ffi::APR_FOPEN_READ as i32;
        if self.sendfile_enabled() {
            flags |= ffi::APR_FOPEN_SENDFILE_ENABLED as i32;
        }
        // SAFETY: opening a file in the request pool, which closes it at the request's end.
        let rv = unsafe {
            ffi::apr_file_open(
                &mut fd,
                name,
                flags,
                ffi::APR_OS_DEFAULT as i32,
                pool.as_ptr(),
            )
        };
        if rv != 0 {
            return Err(Error::new(404, format!("cannot open {path}")));
        }
        let len = match len {
            Some(l) => l,
            None => std::fs::metadata(path)
                .map(|m| m.len().saturating_sub(offset))
                .map_err(Error::from)?,
        };
        let mut sent = 0usize;
        // SAFETY: fd is open; sent is written by httpd.
        let rv = unsafe {
            ffi::ap_send_fd(
                fd,
                self.as_ptr(),
                offset as ffi::apr_off_t,
                len as usize,
                &mut sent,
            )
        };
        if rv != 0 {
            return Err(Error::internal(format!(
                "sending {path} failed (APR error {rv})"
            )));
        }
        Ok(sent as u64)
    }
}
