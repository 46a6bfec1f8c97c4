//! More of the request: file information, conditional responses, sending files, redirects,
//! subrequests, authentication data and CGI variables.

use crate::cstr;
use crate::{Error, Request, Status};
use apache_sys as ffi;
use std::ops::{Deref, DerefMut};
use std::os::raw::{c_char, c_int};
use std::ptr::NonNull;

/// What httpd knows of the file a request maps to (`r->finfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// `None` when there is no such file.
    pub kind: Option<FileKind>,
    /// The APR file type (`APR_NOFILE` 0, `APR_REG` 1, `APR_DIR` 2, `APR_CHR` 3, `APR_BLK` 4,
    /// `APR_PIPE` 5, `APR_LNK` 6, `APR_SOCK` 7, `APR_UNKFILE` 127).
    pub filetype: i32,
    /// Which fields are known: a mask of `APR_FINFO_*` bits (0 when there is no such file).
    pub valid: i32,
    /// Size in bytes.
    pub size: i64,
    /// Modification time, microseconds since the epoch.
    pub mtime: i64,
    /// Access time, microseconds since the epoch.
    pub atime: i64,
    /// Inode change time, microseconds since the epoch.
    pub ctime: i64,
    /// Unix permission bits as APR reports them.
    pub protection: i32,
    /// Owner uid.
    pub user: u32,
    /// Group gid.
    pub group: u32,
    /// Inode number.
    pub inode: u64,
    /// Device number.
    pub device: u64,
    /// Hard link count.
    pub nlink: i32,
    /// The file name as found.
    pub fname: Option<String>,
    /// The base name as found.
    pub name: Option<String>,
}

/// The type of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// Anything else (device, pipe, socket, link).
    Other,
}

/// The parts of the request URI (`r->parsed_uri`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedUri {
    /// `http`, when the client sent an absolute URI.
    pub scheme: Option<String>,
    /// `user:password@host:port`.
    pub hostinfo: Option<String>,
    /// The user part.
    pub user: Option<String>,
    /// The password part.
    pub password: Option<String>,
    /// The host part.
    pub hostname: Option<String>,
    /// The port, as given.
    pub port_str: Option<String>,
    /// The path.
    pub path: Option<String>,
    /// The query string.
    pub query: Option<String>,
    /// The fragment.
    pub fragment: Option<String>,
    /// The port number (0 when not given).
    pub port: u16,
}

fn owned(p: *const c_char) -> Option<String> {
    // SAFETY: NULL or a pool string of the request.
    unsafe { cstr::to_str(p) }.map(str::to_string)
}

fn file_info(f: &ffi::apr_finfo_t) -> FileInfo {
    let kind = match f.filetype {
        ffi::APR_NOFILE => None,
        ffi::APR_REG => Some(FileKind::File),
        ffi::APR_DIR => Some(FileKind::Directory),
        _ => Some(FileKind::Other),
    };
    FileInfo {
        kind,
        filetype: f.filetype as i32,
        valid: if f.filetype == ffi::APR_NOFILE {
            0
        } else {
            f.valid
        },
        size: f.size,
        mtime: f.mtime,
        atime: f.atime,
        ctime: f.ctime,
        protection: f.protection,
        user: f.user,
        group: f.group,
        inode: f.inode,
        device: f.device,
        nlink: f.nlink,
        fname: owned(f.fname),
        name: owned(f.name),
    }
}

/// What the file system says of `path` (`apr_stat`), asking for the `APR_FINFO_*` fields in
/// `wanted` (`APR_FINFO_MIN`, `APR_FINFO_NORM`, ...); `None` when there is no such file.
pub fn stat(path: &str, wanted: i32) -> Option<FileInfo> {
    if path.contains('\0') {
        return None;
    }
    let mut p = std::ptr::null_mut();
    // SAFETY: a pool of its own (parent: APR's global pool, which serializes creation across
    // threads), destroyed below after the answer is copied out of it.
    unsafe { ffi::apr_pool_create_ex(&mut p, std::ptr::null_mut(), None, std::ptr::null_mut()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: p is a valid pool until destroyed below.
    let pool = unsafe { crate::Pool::from_raw(p) };
    // SAFETY: zeroed apr_finfo_t is valid (null pointers, zero numbers).
    let mut f: ffi::apr_finfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: f is written by apr_stat; the name lives in the pool.
    let rv = unsafe { ffi::apr_stat(&mut f, pool.c_str(path), wanted, p) };
    // APR_INCOMPLETE (some of `wanted` unavailable) still describes the file.
    let found = rv == 0 || rv == ffi::APR_INCOMPLETE as i32;
    let info = found.then(|| file_info(&f));
    // SAFETY: made above; nothing refers to it any more (file_info copied the strings).
    unsafe { ffi::apr_pool_destroy(p) };
    info
}

/// How [`Request::remote_host`] may find the client's name (`REMOTE_*` of `http_core.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteHost {
    /// The name if known or looked up (per `HostnameLookups`), else `None`.
    Host,
    /// The name if known, else the IP address.
    Name,
    /// Never look up: the name if already known, else the IP address.
    NoLookup,
    /// A double-reverse-checked name (looked up both ways, whatever `HostnameLookups` says),
    /// else `None`.
    DoubleRev,
}

impl Request {
    /// `r->finfo`, filled by httpd when the URI maps to a file.
    pub fn finfo(&self) -> FileInfo {
        file_info(&self.raw().finfo)
    }

    /// `r->parsed_uri`.
    pub fn parsed_uri(&self) -> ParsedUri {
        let u = &self.raw().parsed_uri;
        ParsedUri {
            scheme: owned(u.scheme),
            hostinfo: owned(u.hostinfo),
            user: owned(u.user),
            password: owned(u.password),
            hostname: owned(u.hostname),
            port_str: owned(u.port_str),
            path: owned(u.path),
            query: owned(u.query),
            fragment: owned(u.fragment),
            port: u.port,
        }
    }

    /// The response's `Content-Language` values.
    pub fn content_languages(&self) -> Vec<&str> {
        let a = self.raw().content_languages;
        if a.is_null() {
            return Vec::new();
        }
        // SAFETY: an APR array of C strings in the request pool.
        unsafe {
            let elts = (*a).elts as *const *const c_char;
            (0..(*a).nelts.max(0) as usize)
                .filter_map(|i| cstr::to_str(*elts.add(i)))
                .collect()
        }
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

    /// `r->allowed`: the bitmask of methods (`1 << M_GET`, `1 << M_POST`, ...; see
    /// `apache::ffi::M_*`) handlers said they allow, 0 until one does. httpd 2.4 does not
    /// make its `Allow` header from this mask but from the list [`Request::allow_methods`]
    /// fills.
    pub fn allowed(&self) -> u64 {
        self.raw().allowed as u64
    }

    /// Sets `r->allowed`, as C handlers do with `r->allowed |= AP_METHOD_BIT << M_GET`.
    pub fn set_allowed(&mut self, mask: u64) {
        self.raw_mut().allowed = mask as i64;
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
            return Err(Error::internal(crate::request::ENDED));
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

    /// Serves `uri` instead, as a new request through every phase (`ap_internal_redirect`).
    /// The handler should return [`Status::Ok`] afterwards.
    pub fn internal_redirect(&mut self, uri: &str) {
        if self.response_ended() {
            crate::logging::request_error(self.as_ptr(), crate::request::ENDED);
            return;
        }
        let u = self.pool().c_str(uri);
        // SAFETY: valid request; the URI lives in its pool.
        unsafe { ffi::ap_internal_redirect(u, self.as_ptr()) }
    }

    /// Like [`Request::internal_redirect`], keeping this request's handler and content type.
    pub fn internal_redirect_handler(&mut self, uri: &str) {
        if self.response_ended() {
            crate::logging::request_error(self.as_ptr(), crate::request::ENDED);
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

    /// The absolute URL of `uri` on this server (`ap_construct_url`).
    pub fn construct_url(&self, uri: &str) -> String {
        let u = self.pool().c_str(uri);
        // SAFETY: the result is a pool string.
        unsafe {
            cstr::to_str(ffi::ap_construct_url(
                self.pool().as_ptr(),
                u,
                self.as_ptr(),
            ))
        }
        .unwrap_or("")
        .to_string()
    }

    /// The password of HTTP Basic authentication (`ap_get_basic_auth_pw`), which also sets the
    /// user. `Err` carries httpd's answer (401 with the challenge set, or 500 when no AuthType).
    pub fn get_basic_auth_pw(&mut self) -> Result<&str, Status> {
        let mut pw: *const c_char = std::ptr::null();
        // SAFETY: valid request; pw is set to a pool string.
        let rc = unsafe { ffi::ap_get_basic_auth_pw(self.as_ptr(), &mut pw) };
        if rc != ffi::OK as c_int {
            return Err(Status::from_raw(rc));
        }
        // SAFETY: pool string.
        Ok(unsafe { cstr::to_str(pw) }.unwrap_or(""))
    }

    /// `AuthName` for this request.
    pub fn auth_name(&self) -> Option<&str> {
        // SAFETY: configuration string.
        unsafe { cstr::to_str(ffi::ap_auth_name(self.as_ptr())) }
    }

    /// `AuthType` for this request.
    pub fn auth_type(&self) -> Option<&str> {
        // SAFETY: configuration string.
        unsafe { cstr::to_str(ffi::ap_auth_type(self.as_ptr())) }
    }

    /// `DocumentRoot` for this request.
    pub fn document_root(&self) -> Option<&str> {
        // SAFETY: configuration string.
        unsafe { cstr::to_str(ffi::ap_document_root(self.as_ptr())) }
    }

    /// The client's host name, or its IP address when `HostnameLookups` is off.
    pub fn get_remote_host(&self) -> Option<&str> {
        // SAFETY: valid request; REMOTE_NAME never does a lookup beyond the configured one.
        unsafe {
            let r = self.as_ptr();
            cstr::to_str(ffi::ap_get_remote_host(
                (*r).connection,
                (*r).per_dir_config as *mut _,
                ffi::REMOTE_NAME as c_int,
                std::ptr::null_mut(),
            ))
        }
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

fn str_array(a: *const ffi::apr_array_header_t) -> Vec<&'static str> {
    if a.is_null() {
        return Vec::new();
    }
    // SAFETY: an APR array of C strings; callers tie the result to the borrow of its owner.
    unsafe {
        let elts = (*a).elts as *const *const c_char;
        (0..(*a).nelts.max(0) as usize)
            .filter_map(|i| cstr::to_str(*elts.add(i)))
            .collect()
    }
}

/// Request fields modules rarely need, read (and some set) as httpd keeps them.
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
        unsafe { cstr::to_str(self.raw().vlist_validator) }
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

    /// Asks for (or against) chunked transfer-coding of the response (`r->chunked`), before
    /// the headers go out.
    pub fn set_chunked(&mut self, on: bool) {
        self.raw_mut().chunked = c_int::from(on);
    }

    /// Sets the authentication scheme (`r->ap_auth_type`), as authentication hooks do.
    pub fn set_ap_auth_type(&mut self, scheme: &str) {
        let p = self.pool().c_str(scheme);
        self.raw_mut().ap_auth_type = p as *mut _;
    }

    /// The extension methods (not known to httpd by number) in `r->allowed_xmethods`.
    pub fn allowed_xmethods(&self) -> Vec<&str> {
        str_array(self.raw().allowed_xmethods)
    }

    /// The methods [`Request::allow_methods`] added: the mask of known methods (`1 << M_GET`,
    /// ...) and the names of the others, as httpd keeps them in `r->allowed_methods`.
    pub fn allowed_methods(&self) -> (u64, Vec<&str>) {
        let l = self.raw().allowed_methods;
        if l.is_null() {
            return (0, Vec::new());
        }
        // SAFETY: the request's method list, in its pool.
        unsafe { ((*l).method_mask as u64, str_array((*l).method_list)) }
    }

    /// The client's host name as `kind` asks (`ap_get_remote_host`, which may look it up in
    /// the DNS), with whether the answer is an IP address rather than a name.
    pub fn remote_host(&self, kind: RemoteHost) -> (Option<&str>, bool) {
        let kind = match kind {
            RemoteHost::Host => ffi::REMOTE_HOST,
            RemoteHost::Name => ffi::REMOTE_NAME,
            RemoteHost::NoLookup => ffi::REMOTE_NOLOOKUP,
            RemoteHost::DoubleRev => ffi::REMOTE_DOUBLE_REV,
        };
        let mut is_ip: c_int = 0;
        // SAFETY: valid request of this thread; the answer is a connection pool string.
        let name = unsafe {
            let r = self.as_ptr();
            cstr::to_str(ffi::ap_get_remote_host(
                (*r).connection,
                (*r).per_dir_config as *mut _,
                kind as c_int,
                &mut is_ip,
            ))
        };
        (name, is_ip != 0)
    }

    /// The client's port as the request sees it (`r->useragent_addr`, which `mod_remoteip`
    /// may set to the address a proxy reported); 0 when unknown.
    pub fn useragent_port(&self) -> u16 {
        let a = self.raw().useragent_addr;
        if a.is_null() {
            0
        } else {
            // SAFETY: NULL or the request's (or its connection's) address record.
            unsafe { (*a).port }
        }
    }

    /// The connection, to change what belongs to it (its notes).
    pub fn connection_mut(&mut self) -> &mut crate::Connection {
        // SAFETY: the connection outlives its requests; `&mut self` keeps this the only
        // borrow made through this request.
        unsafe { crate::Connection::from_raw_mut(self.raw().connection) }
    }
}

impl Request {
    /// Fills `r->finfo` anew from the file system (`apr_stat` of `path`, asking for the
    /// `APR_FINFO_*` fields in `wanted`), as a handler that changed the file name does; when
    /// there is no such file `r->finfo` says so (`APR_NOFILE`). Returns whether it exists.
    pub fn set_finfo_from(&mut self, path: &str, wanted: i32) -> bool {
        let found = !path.contains('\0') && {
            let name = self.pool().c_str(path);
            let pool = self.pool().as_ptr();
            let f = &mut self.raw_mut().finfo;
            // SAFETY: apr_stat writes the request's own apr_finfo_t, its strings in the
            // request pool.
            let rv = unsafe { ffi::apr_stat(f, name, wanted, pool) };
            rv == 0 || rv == ffi::APR_INCOMPLETE as i32
        };
        if !found {
            self.raw_mut().finfo.filetype = ffi::APR_NOFILE;
        }
        found
    }
}
