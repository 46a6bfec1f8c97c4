//! `request_rec`: one HTTP request, its headers and its response.

use crate::apr::{Pool, Table};
use crate::conn::Connection;
use crate::core::strings;
use crate::server::Server;
use apache_sys as ffi;
use std::cell::UnsafeCell;
use std::io;
use std::marker::PhantomData;
use std::os::raw::c_int;

/// A borrowed `request_rec`. Not `Send` nor `Sync`: a request belongs to the thread serving it.
///
/// Text accessors return `None` for fields httpd left NULL and for bytes that are not UTF-8;
/// the `_bytes` forms give the raw bytes. Setters take text or bytes (`impl AsRef<[u8]>`), so
/// a path that is not UTF-8 can be given back as it came.
///
/// The compiler enforces the thread rule; neither of these compiles:
///
/// ```compile_fail,E0277
/// fn send<T: Send>() {}
/// send::<apache::Request>();
/// ```
///
/// ```compile_fail,E0277
/// fn share<T: Sync>() {}
/// share::<&apache::Request>();
/// ```
///
/// while the same check passes for a type that may cross threads:
///
/// ```
/// fn send<T: Send>() {}
/// send::<apache::Error>();
/// ```
#[repr(transparent)]
pub struct Request(UnsafeCell<ffi::request_rec>, PhantomData<*mut ()>);

macro_rules! str_fields {
    ($($(#[$doc:meta])* $name:ident, $bytes:ident => $field:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(&self) -> Option<&str> {
            // SAFETY: request strings live in the request pool, longer than this borrow.
            unsafe { strings::to_str(self.raw().$field) }
        }
        #[doc = concat!("[`Request::", stringify!($name), "`] as bytes.")]
        pub fn $bytes(&self) -> Option<&[u8]> {
            // SAFETY: as above.
            unsafe { strings::to_bytes(self.raw().$field) }
        }
    )*};
}

/// The error of a write or read in an [`Request::on_pool_cleanup`] callback.
pub(crate) const ENDED: &str = "the response has ended: nothing more can be sent or read";

impl Request {
    /// Borrows a request_rec httpd handed over, to read it.
    ///
    /// # Safety
    /// `r` is a valid request_rec used by this thread only for `'a`, and nothing changes it
    /// meanwhile except through the `&Request` methods that change httpd-owned state.
    pub unsafe fn from_raw<'a>(r: *mut ffi::request_rec) -> &'a Request {
        // SAFETY: Request is a transparent wrapper of request_rec; validity, thread and
        // lifetime are the caller's promise (see # Safety).
        unsafe { &*(r as *const Request) }
    }

    /// Borrows a request_rec httpd handed over, to change it.
    ///
    /// # Safety
    /// `r` is a valid request_rec used by this thread only for `'a`, through this borrow only.
    pub unsafe fn from_raw_mut<'a>(r: *mut ffi::request_rec) -> &'a mut Request {
        // SAFETY: Request is a transparent wrapper of request_rec; validity, thread and
        // lifetime are the caller's promise (see # Safety).
        unsafe { &mut *(r as *mut Request) }
    }

    /// The `request_rec` pointer, for calling httpd directly.
    pub fn as_ptr(&self) -> *mut ffi::request_rec {
        self.0.get()
    }

    pub(crate) fn raw(&self) -> &ffi::request_rec {
        // SAFETY: the request is only used by this thread; fields are read between calls into
        // httpd, which is when httpd may change them.
        unsafe { &*self.0.get() }
    }

    pub(crate) fn raw_mut(&mut self) -> &mut ffi::request_rec {
        // SAFETY: as above, with exclusive access through &mut self.
        unsafe { &mut *self.0.get() }
    }

    str_fields! {
        /// The method name (`GET`, `POST`, ...).
        method, method_bytes => method;
        /// The path part of the URI, decoded (`%2F` etc. resolved).
        uri, uri_bytes => uri;
        /// The URI as the client sent it.
        unparsed_uri, unparsed_uri_bytes => unparsed_uri;
        /// The query string, without the `?`.
        args, args_bytes => args;
        /// Path information after the file name.
        path_info, path_info_bytes => path_info;
        /// The file the URI maps to.
        filename, filename_bytes => filename;
        /// The true file name, before any changes made by the handler.
        canonical_filename, canonical_filename_bytes => canonical_filename;
        /// The host name the client asked for (`Host:`).
        hostname, hostname_bytes => hostname;
        /// The protocol (`HTTP/1.1`).
        protocol, protocol_bytes => protocol;
        /// The request line as received.
        the_request, the_request_bytes => the_request;
        /// The status line sent (e.g. `404 Not Found`), when set.
        status_line, status_line_bytes => status_line;
        /// The response content type.
        content_type, content_type_bytes => content_type;
        /// The response content encoding.
        content_encoding, content_encoding_bytes => content_encoding;
        /// The handler name chosen by `SetHandler`/`AddHandler` or the content type.
        handler, handler_bytes => handler;
        /// The authenticated user.
        user, user_bytes => user;
        /// The authentication scheme (`Basic`, `Digest`).
        ap_auth_type, ap_auth_type_bytes => ap_auth_type;
        /// The client IP address (after `mod_remoteip` changes, if any).
        useragent_ip, useragent_ip_bytes => useragent_ip;
        /// The range header value, when the response may be partial.
        range, range_bytes => range;
    }

    /// Whether this is a `HEAD` request (no body must be sent).
    pub fn header_only(&self) -> bool {
        self.raw().header_only != 0
    }

    /// The protocol as a number: 1001 for HTTP/1.1.
    pub fn proto_num(&self) -> i32 {
        self.raw().proto_num
    }

    /// The response status.
    pub fn status(&self) -> i32 {
        self.raw().status
    }

    /// Sets the response status (e.g. 201). Use [`crate::core::Error`] to answer with an error page.
    pub fn set_status(&mut self, status: u16) {
        self.raw_mut().status = c_int::from(status);
    }

    /// Sets the status line sent to the client, e.g. `"299 Custom"`; it must begin with the
    /// three-digit status.
    pub fn set_status_line(&mut self, line: impl AsRef<[u8]>) {
        let p = self.pool().c_str(line);
        self.raw_mut().status_line = p;
    }

    /// When the request started, in microseconds since the epoch.
    pub fn request_time(&self) -> i64 {
        self.raw().request_time
    }

    /// The request's pool, cleared when the request ends.
    pub fn pool(&self) -> &Pool {
        // SAFETY: the pool lives as long as the request.
        unsafe { Pool::from_raw(self.raw().pool) }
    }

    /// The request headers.
    pub fn headers_in(&self) -> &Table {
        // SAFETY: the table lives as long as the request.
        unsafe { Table::from_raw(self.raw().headers_in) }
    }

    /// The request headers, to change them (for handlers that run later).
    pub fn headers_in_mut(&mut self) -> &mut Table {
        // SAFETY: as above.
        unsafe { Table::from_raw_mut(self.raw().headers_in) }
    }

    /// The response headers (sent only with 2xx responses).
    pub fn headers_out(&self) -> &Table {
        // SAFETY: the table lives as long as the request.
        unsafe { Table::from_raw(self.raw().headers_out) }
    }

    /// [`Request::headers_out`], to change them.
    pub fn headers_out_mut(&mut self) -> &mut Table {
        // SAFETY: as above; &mut self makes this the only borrow made through the request.
        unsafe { Table::from_raw_mut(self.raw().headers_out) }
    }

    /// The response headers sent with every status, errors included.
    pub fn err_headers_out(&self) -> &Table {
        // SAFETY: the table lives as long as the request.
        unsafe { Table::from_raw(self.raw().err_headers_out) }
    }

    /// [`Request::err_headers_out`], to change them.
    pub fn err_headers_out_mut(&mut self) -> &mut Table {
        // SAFETY: as above; &mut self makes this the only borrow made through the request.
        unsafe { Table::from_raw_mut(self.raw().err_headers_out) }
    }

    /// The environment for CGI and SSI (`SetEnv`, `add_cgi_vars`).
    pub fn subprocess_env(&self) -> &Table {
        // SAFETY: the table lives as long as the request.
        unsafe { Table::from_raw(self.raw().subprocess_env) }
    }

    /// [`Request::subprocess_env`], to change them.
    pub fn subprocess_env_mut(&mut self) -> &mut Table {
        // SAFETY: as above; &mut self makes this the only borrow made through the request.
        unsafe { Table::from_raw_mut(self.raw().subprocess_env) }
    }

    /// Notes passed between modules for this request.
    pub fn notes(&self) -> &Table {
        // SAFETY: the table lives as long as the request.
        unsafe { Table::from_raw(self.raw().notes) }
    }

    /// [`Request::notes`], to change them.
    pub fn notes_mut(&mut self) -> &mut Table {
        // SAFETY: as above; &mut self makes this the only borrow made through the request.
        unsafe { Table::from_raw_mut(self.raw().notes) }
    }

    /// The connection the request came on.
    pub fn connection(&self) -> &Connection {
        // SAFETY: the connection outlives its requests.
        unsafe { Connection::from_raw(self.raw().connection) }
    }

    /// The connection, to change what belongs to it (its notes).
    pub fn connection_mut(&mut self) -> &mut Connection {
        // SAFETY: the connection outlives its requests; `&mut self` keeps this the only
        // borrow made through this request.
        unsafe { Connection::from_raw_mut(self.raw().connection) }
    }

    /// The (virtual) server handling the request.
    pub fn server(&self) -> &Server {
        // SAFETY: server_recs outlive requests.
        unsafe { Server::from_raw(self.raw().server) }
    }

    /// Whether this is the initial request (not a subrequest or internal redirect).
    pub fn is_initial_req(&self) -> bool {
        // SAFETY: valid request.
        unsafe { ffi::ap_is_initial_req(self.as_ptr()) != 0 }
    }

    /// Sets the response content type (`ap_set_content_type`, which also informs the filters).
    pub fn set_content_type(&mut self, ct: impl AsRef<[u8]>) {
        let p = self.pool().c_str(ct);
        // SAFETY: the string lives in the request pool.
        unsafe { ffi::ap_set_content_type(self.as_ptr(), p) }
    }

    /// Sets `Content-Length`.
    pub fn set_content_length(&mut self, len: u64) {
        // SAFETY: valid request.
        unsafe { ffi::ap_set_content_length(self.as_ptr(), len as ffi::apr_off_t) }
    }

    /// Sets the handler name (for hooks that run before the handler).
    pub fn set_handler(&mut self, handler: impl AsRef<[u8]>) {
        let p = self.pool().c_str(handler);
        self.raw_mut().handler = p;
    }

    /// Removes the handler name (`r->handler = NULL`): the content type then chooses the
    /// handler, as for a request no `SetHandler` applies to.
    pub fn unset_handler(&mut self) {
        self.raw_mut().handler = std::ptr::null();
    }

    /// Sets the file name (for translate_name / map_to_storage hooks).
    pub fn set_filename(&mut self, filename: impl AsRef<[u8]>) {
        let p = self.pool().c_str(filename);
        self.raw_mut().filename = p as *mut _;
    }

    /// Sets the authenticated user (for authentication hooks).
    pub fn set_user(&mut self, user: impl AsRef<[u8]>) {
        let p = self.pool().c_str(user);
        self.raw_mut().user = p as *mut _;
    }

    /// Sets the URI path (`r->uri`), e.g. in `translate_name` to map a request elsewhere;
    /// `parsed_uri` and `unparsed_uri` keep what the client sent.
    pub fn set_uri(&mut self, uri: impl AsRef<[u8]>) {
        let p = self.pool().c_str(uri);
        self.raw_mut().uri = p as *mut _;
    }

    /// Sets the query string (`r->args`, without the `?`).
    pub fn set_args(&mut self, args: impl AsRef<[u8]>) {
        let p = self.pool().c_str(args);
        self.raw_mut().args = p as *mut _;
    }

    /// Removes the query string (`r->args = NULL`).
    pub fn unset_args(&mut self) {
        self.raw_mut().args = std::ptr::null_mut();
    }

    /// Sets the path information after the file name (`r->path_info`, `PATH_INFO` for CGI).
    pub fn set_path_info(&mut self, path_info: impl AsRef<[u8]>) {
        let p = self.pool().c_str(path_info);
        self.raw_mut().path_info = p as *mut _;
    }

    /// Sets the true file name (`r->canonical_filename`), which httpd compares with
    /// `r->filename` to know whether a module changed the mapping.
    pub fn set_canonical_filename(&mut self, filename: impl AsRef<[u8]>) {
        let p = self.pool().c_str(filename);
        self.raw_mut().canonical_filename = p as *mut _;
    }

    /// Sets the response content encoding (`r->content_encoding`, sent as
    /// `Content-Encoding`).
    pub fn set_content_encoding(&mut self, encoding: impl AsRef<[u8]>) {
        let p = self.pool().c_str(encoding);
        self.raw_mut().content_encoding = p;
    }

    /// Writes response body bytes (`ap_rwrite`); headers go out with the first write.
    pub fn write_bytes(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.response_ended() {
            return Err(io::Error::other(ENDED));
        }
        if buf.is_empty() {
            return Ok(());
        }
        let len = c_int::try_from(buf.len()).map_err(|_| io::Error::other("write too large"))?;
        // SAFETY: buf is valid for len bytes during the call.
        let n = unsafe { ffi::ap_rwrite(buf.as_ptr().cast(), len, self.as_ptr()) };
        if n < 0 {
            Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "client connection closed",
            ))
        } else {
            Ok(())
        }
    }

    /// Sends what was written so far to the client (`ap_rflush`).
    pub fn flush_output(&mut self) -> io::Result<()> {
        if self.response_ended() {
            return Err(io::Error::other(ENDED));
        }
        // SAFETY: valid request.
        if unsafe { ffi::ap_rflush(self.as_ptr()) } < 0 {
            Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "client connection closed",
            ))
        } else {
            Ok(())
        }
    }
}

impl io::Write for Request {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // ap_rwrite takes an int length; larger buffers go in pieces.
        let chunk = &buf[..buf.len().min(c_int::MAX as usize)];
        self.write_bytes(chunk)?;
        Ok(chunk.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_output()
    }
}
