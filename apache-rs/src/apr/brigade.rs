//! Bucket brigades: the lists of buckets (data, files, flush and end-of-stream markers) that
//! filters pass along.

use crate::apr::{AprError, Pool};
use apache_sys as ffi;
use std::cell::UnsafeCell;
use std::io;
use std::marker::PhantomData;
use std::os::raw::c_char;
use std::ptr::NonNull;

/// A borrowed bucket.
#[repr(transparent)]
pub struct Bucket(UnsafeCell<ffi::apr_bucket>, PhantomData<*mut ()>);

impl Bucket {
    fn ptr(&self) -> *mut ffi::apr_bucket {
        self.0.get()
    }

    /// The end-of-stream marker: nothing follows it.
    pub fn is_eos(&self) -> bool {
        // SAFETY: a valid bucket in a brigade we borrow.
        unsafe { ffi::APR_BUCKET_IS_EOS(self.ptr()) }
    }

    /// A flush marker: pass what came before it on now.
    pub fn is_flush(&self) -> bool {
        // SAFETY: as above.
        unsafe { ffi::APR_BUCKET_IS_FLUSH(self.ptr()) }
    }

    /// A metadata bucket (EOS, flush, error, ...): it carries no data.
    pub fn is_metadata(&self) -> bool {
        // SAFETY: as above.
        unsafe { ffi::APR_BUCKET_IS_METADATA(self.ptr()) }
    }

    /// httpd's error bucket (an error status travelling down the output filters).
    pub fn is_error(&self) -> bool {
        // SAFETY: as above.
        unsafe { ffi::AP_BUCKET_IS_ERROR(self.ptr()) }
    }

    /// The length in bytes, when known without reading (pipes and sockets do not know).
    pub fn len(&self) -> Option<usize> {
        // SAFETY: as above.
        let n = unsafe { (*self.ptr()).length };
        (n != usize::MAX).then_some(n)
    }

    /// Whether the bucket holds no data.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// Reads the bucket's data (blocking); a file or pipe bucket may turn into several buckets
    /// in its brigade as it is read.
    pub fn read(&self) -> io::Result<&[u8]> {
        self.read_as(ffi::APR_BLOCK_READ)
    }

    /// Reads without waiting: a pipe or socket bucket with nothing ready yet gives an error of
    /// kind [`io::ErrorKind::WouldBlock`] (then pass on what you have, with a flush, and read
    /// blocking).
    pub fn try_read(&self) -> io::Result<&[u8]> {
        self.read_as(ffi::APR_NONBLOCK_READ)
    }

    fn read_as(&self, block: ffi::apr_read_type_e) -> io::Result<&[u8]> {
        let mut data: *const c_char = std::ptr::null();
        let mut len = 0usize;
        // SAFETY: apr_bucket_read fills data/len with memory owned by the bucket.
        let rv = unsafe { ffi::apr_bucket_read(self.ptr(), &mut data, &mut len, block) };
        if ffi::APR_STATUS_IS_EAGAIN(rv) {
            return Err(io::Error::new(io::ErrorKind::WouldBlock, AprError::new(rv)));
        }
        if rv != 0 {
            return Err(io::Error::other(AprError::new(rv)));
        }
        if data.is_null() || len == 0 {
            return Ok(&[]);
        }
        // SAFETY: the bucket owns `len` bytes at `data` for as long as it lives.
        Ok(unsafe { std::slice::from_raw_parts(data as *const u8, len) })
    }
}

/// A borrowed brigade. Brigades and their buckets belong to the connection's thread:
///
/// ```compile_fail,E0277
/// fn send<T: Send>() {}
/// send::<&mut apache::apr::Brigade>();
/// ```
#[repr(transparent)]
pub struct Brigade(UnsafeCell<ffi::apr_bucket_brigade>, PhantomData<*mut ()>);

impl Brigade {
    /// Borrows a brigade httpd handed over.
    ///
    /// # Safety
    /// `b` is a valid brigade used only by this thread for `'a`.
    pub unsafe fn from_raw<'a>(b: *mut ffi::apr_bucket_brigade) -> &'a mut Brigade {
        // SAFETY: Brigade is a transparent wrapper of apr_bucket_brigade; validity, thread and
        // lifetime are the caller's promise (see # Safety).
        unsafe { &mut *(b as *mut Brigade) }
    }

    /// The `apr_bucket_brigade` pointer.
    pub fn as_ptr(&self) -> *mut ffi::apr_bucket_brigade {
        self.0.get()
    }

    fn alloc(&self) -> *mut ffi::apr_bucket_alloc_t {
        // SAFETY: valid brigade.
        unsafe { (*self.as_ptr()).bucket_alloc }
    }

    /// Whether the brigade has no buckets.
    pub fn is_empty(&self) -> bool {
        // SAFETY: valid brigade.
        unsafe { ffi::APR_BRIGADE_EMPTY(self.as_ptr()) }
    }

    /// The buckets in order.
    pub fn buckets(&self) -> Buckets<'_> {
        // SAFETY: valid brigade.
        let first = unsafe { ffi::APR_BRIGADE_FIRST(self.as_ptr()) };
        Buckets {
            brigade: self,
            next: first,
        }
    }

    fn insert_tail(&mut self, e: *mut ffi::apr_bucket) {
        // SAFETY: e is a new bucket from this brigade's allocator, in no other brigade.
        unsafe { ffi::APR_BRIGADE_INSERT_TAIL(self.as_ptr(), e) }
    }

    /// Appends a copy of `data` (a heap bucket).
    pub fn append_bytes(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        // SAFETY: with no free function APR copies the bytes into its own memory.
        let e = unsafe {
            ffi::apr_bucket_heap_create(data.as_ptr().cast(), data.len(), None, self.alloc())
        };
        self.insert_tail(e);
    }

    /// Appends `data` that lives in `pool` without copying it (a pool bucket).
    pub fn append_pool_bytes(&mut self, pool: &Pool, data: &str) {
        let copy = pool.alloc_str(data);
        // SAFETY: the bytes live as long as the pool; APR copies them out if the pool goes first.
        let e = unsafe {
            ffi::apr_bucket_pool_create(
                copy.as_ptr().cast(),
                copy.len(),
                pool.as_ptr(),
                self.alloc(),
            )
        };
        self.insert_tail(e);
    }

    /// Appends an end-of-stream marker.
    pub fn append_eos(&mut self) {
        // SAFETY: creating a metadata bucket from this brigade's allocator.
        let e = unsafe { ffi::apr_bucket_eos_create(self.alloc()) };
        self.insert_tail(e);
    }

    /// Appends httpd's error bucket for an HTTP `status` (`ap_bucket_error_create`). Sent down
    /// a request's output filters, it makes httpd's HTTP header filter answer with that status
    /// (and its error page) instead of the response: what a filter does before it returns
    /// [`AprError::FILTER_ERROR`]. Follow it with an end-of-stream marker.
    pub fn append_error(&mut self, status: u16) {
        // SAFETY: without a message nothing is copied into the pool; the bucket comes from
        // this brigade's allocator and goes into no other brigade.
        let e = unsafe {
            ffi::ap_bucket_error_create(
                std::os::raw::c_int::from(status),
                std::ptr::null(),
                (*self.as_ptr()).p,
                self.alloc(),
            )
        };
        self.insert_tail(e);
    }

    /// Appends a flush marker.
    pub fn append_flush(&mut self) {
        // SAFETY: as above.
        let e = unsafe { ffi::apr_bucket_flush_create(self.alloc()) };
        self.insert_tail(e);
    }

    /// Moves every bucket of `other` to the end of this brigade.
    pub fn append_brigade(&mut self, other: &mut Brigade) {
        while !other.is_empty() {
            // SAFETY: unlink the first bucket of `other` and link it at our tail.
            unsafe {
                let e = ffi::APR_BRIGADE_FIRST(other.as_ptr());
                ffi::APR_BUCKET_REMOVE(e);
                ffi::APR_BRIGADE_INSERT_TAIL(self.as_ptr(), e);
            }
        }
    }

    /// Destroys every bucket, leaving the brigade empty and usable.
    pub fn cleanup(&mut self) {
        // SAFETY: valid brigade.
        unsafe { ffi::apr_brigade_cleanup(self.as_ptr().cast()) };
    }

    /// The data of every bucket, read (blocking) and joined.
    pub fn flatten(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        for b in self.buckets() {
            if !b.is_metadata() {
                out.extend_from_slice(b.read()?);
            }
        }
        Ok(out)
    }

    /// Whether an end-of-stream bucket is in the brigade.
    pub fn has_eos(&self) -> bool {
        self.buckets().any(Bucket::is_eos)
    }

    /// The number of data bytes (`apr_brigade_length`). Buckets of unknown length (pipes,
    /// sockets) are read, blocking, to find out.
    pub fn len(&self) -> io::Result<u64> {
        let mut n: ffi::apr_off_t = 0;
        // SAFETY: valid brigade; read_all=1 morphs unknown-length buckets in place, which the
        // brigade (and any `&Bucket` into it) survives.
        let rv = unsafe { ffi::apr_brigade_length(self.as_ptr(), 1, &mut n) };
        AprError::check(rv).map_err(io::Error::other)?;
        Ok(n as u64)
    }

    /// Appends the whole file at `path` as a file bucket: the data is not read into memory,
    /// and httpd can `sendfile` it. The file is opened in the brigade's pool and closed with
    /// it. Returns the file's size.
    pub fn append_file(&mut self, path: &std::path::Path) -> io::Result<u64> {
        use std::os::unix::ffi::OsStrExt;
        // SAFETY: valid brigade; its pool lives at least as long as the brigade.
        let pool = unsafe { Pool::from_raw((*self.as_ptr()).p) };
        let name = pool.alloc_cstr_bytes(path.as_os_str().as_bytes());
        if name[..name.len() - 1].contains(&0) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"));
        }
        let mut file: *mut ffi::apr_file_t = std::ptr::null_mut();
        let flags = ffi::APR_FOPEN_READ | ffi::APR_FOPEN_BINARY | ffi::APR_FOPEN_SENDFILE_ENABLED;
        // SAFETY: name is NUL-terminated in the pool; the file is closed by the pool's cleanup.
        let rv = unsafe {
            ffi::apr_file_open(
                &mut file,
                name.as_ptr().cast(),
                flags as i32,
                ffi::APR_OS_DEFAULT as i32,
                pool.as_ptr(),
            )
        };
        AprError::check(rv).map_err(|e| io::Error::from_raw_os_error(e.status()))?;
        // SAFETY: apr_finfo_t is plain data; apr_file_info_get fills it from an open file.
        let mut info: ffi::apr_finfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let rv = unsafe { ffi::apr_file_info_get(&mut info, ffi::APR_FINFO_SIZE as i32, file) };
        AprError::check(rv).map_err(io::Error::other)?;
        // SAFETY: the file and the brigade share the pool; apr_brigade_insert_file splits files
        // larger than a bucket can hold into several buckets.
        unsafe { ffi::apr_brigade_insert_file(self.as_ptr(), file, 0, info.size, pool.as_ptr()) };
        Ok(info.size as u64)
    }

    /// A cursor on the first bucket, to split, delete, move and insert buckets in place.
    pub fn cursor(&mut self) -> Cursor<'_> {
        // SAFETY: valid brigade.
        let at = unsafe { ffi::APR_BRIGADE_FIRST(self.as_ptr()) };
        Cursor { brigade: self, at }
    }
}

/// A position in a brigade: on a bucket, or past the last one. Made by [`Brigade::cursor`].
///
/// Changing the brigade goes through the cursor, which holds it exclusively, so no reference
/// to a bucket can outlive the bucket's deletion.
pub struct Cursor<'b> {
    brigade: &'b mut Brigade,
    at: *mut ffi::apr_bucket,
}

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        // SAFETY: valid brigade.
        self.at == unsafe { ffi::APR_BRIGADE_SENTINEL(self.brigade.as_ptr()) }
    }

    /// The bucket under the cursor; `None` past the last one.
    pub fn bucket(&self) -> Option<&Bucket> {
        // SAFETY: `at` is a bucket of the brigade, which the cursor holds exclusively.
        (!self.at_end()).then(|| unsafe { &*(self.at as *const Bucket) })
    }

    /// Moves to the next bucket; `false` when already past the last one.
    pub fn move_next(&mut self) -> bool {
        if self.at_end() {
            return false;
        }
        // SAFETY: `at` is in the ring; its successor is a bucket or the sentinel.
        self.at = unsafe { ffi::APR_BUCKET_NEXT(self.at) };
        true
    }

    /// Splits the bucket under the cursor after its first `at` bytes: the rest becomes the next
    /// bucket and the cursor stays on the first part. A bucket of unknown length is read first.
    pub fn split(&mut self, at: usize) -> io::Result<()> {
        let b = self
            .bucket()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no bucket to split"))?;
        let len = match b.len() {
            Some(n) => n,
            None => b.read()?.len(),
        };
        if at > len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("split at {at} of a {len}-byte bucket"),
            ));
        }
        // SAFETY: `at` is a bucket of known length in the ring; the new bucket is linked after it.
        let rv = unsafe { ffi::apr_bucket_split(self.at, at) };
        AprError::check(rv).map_err(io::Error::other)
    }

    /// Deletes the bucket under the cursor and moves to the next one.
    pub fn delete(&mut self) {
        if self.at_end() {
            return;
        }
        let e = self.at;
        // SAFETY: e is in the ring; take its successor before unlinking and freeing it.
        unsafe {
            self.at = ffi::APR_BUCKET_NEXT(e);
            ffi::apr_bucket_delete(e);
        }
    }

    /// Moves the bucket under the cursor to the end of `other` and moves to the next one.
    pub fn move_to(&mut self, other: &mut Brigade) {
        if self.at_end() {
            return;
        }
        let e = self.at;
        // SAFETY: e is in our ring; unlinked, then linked into `other`, a different brigade
        // (both are borrowed mutably, so they are not the same one).
        unsafe {
            self.at = ffi::APR_BUCKET_NEXT(e);
            ffi::APR_BUCKET_REMOVE(e);
            ffi::APR_BRIGADE_INSERT_TAIL(other.as_ptr(), e);
        }
    }

    /// Moves every bucket of `other` in front of the cursor (at the end when past the last
    /// bucket); the cursor stays where it is.
    pub fn insert_before(&mut self, other: &mut Brigade) {
        while !other.is_empty() {
            // SAFETY: unlink the first bucket of `other`, link it before `at` (a bucket of our
            // ring or its sentinel, whose link field is valid).
            unsafe {
                let e = ffi::APR_BRIGADE_FIRST(other.as_ptr());
                ffi::APR_BUCKET_REMOVE(e);
                ffi::APR_BUCKET_INSERT_BEFORE(self.at, e);
            }
        }
    }

    /// Moves every bucket of `other` right after the bucket under the cursor (at the end when
    /// past the last bucket); the cursor stays where it is.
    pub fn insert_after(&mut self, other: &mut Brigade) {
        if self.at_end() {
            return self.insert_before(other);
        }
        // SAFETY: `at` is a bucket of the ring, so its successor is a bucket or the sentinel.
        let next = unsafe { ffi::APR_BUCKET_NEXT(self.at) };
        let here = std::mem::replace(&mut self.at, next);
        self.insert_before(other);
        self.at = here;
    }
}

/// The buckets of a brigade, in order. Reading a bucket may add buckets after it; they are
/// visited too.
pub struct Buckets<'a> {
    brigade: &'a Brigade,
    next: *mut ffi::apr_bucket,
}

impl<'a> Iterator for Buckets<'a> {
    type Item = &'a Bucket;

    fn next(&mut self) -> Option<&'a Bucket> {
        // SAFETY: valid brigade; the sentinel ends the ring.
        let sentinel = unsafe { ffi::APR_BRIGADE_SENTINEL(self.brigade.as_ptr()) };
        if self.next == sentinel || self.next.is_null() {
            return None;
        }
        let current = self.next;
        // SAFETY: current is a bucket of the ring. Its successor is taken now; a read that
        // splits `current` links the pieces right after it, and they are read through it.
        unsafe {
            self.next = ffi::APR_BUCKET_NEXT(current);
            Some(&*(current as *const Bucket))
        }
    }
}

/// A brigade this code created; destroyed on drop.
pub struct OwnedBrigade<'p> {
    raw: NonNull<ffi::apr_bucket_brigade>,
    _pool: PhantomData<&'p Pool>,
}

impl<'p> OwnedBrigade<'p> {
    /// A new empty brigade in `pool`, with buckets from `alloc` (a connection's allocator).
    pub(crate) fn with_alloc(
        pool: &'p Pool,
        alloc: *mut ffi::apr_bucket_alloc_t,
    ) -> OwnedBrigade<'p> {
        // SAFETY: creating a brigade in a valid pool.
        let b = unsafe { ffi::apr_brigade_create(pool.as_ptr(), alloc) };
        OwnedBrigade {
            raw: NonNull::new(b).expect("apr_brigade_create"),
            _pool: PhantomData,
        }
    }
}

impl std::ops::Deref for OwnedBrigade<'_> {
    type Target = Brigade;
    fn deref(&self) -> &Brigade {
        // SAFETY: lives until drop.
        unsafe { &*(self.raw.as_ptr() as *const Brigade) }
    }
}

impl std::ops::DerefMut for OwnedBrigade<'_> {
    fn deref_mut(&mut self) -> &mut Brigade {
        // SAFETY: lives until drop; owned exclusively.
        unsafe { Brigade::from_raw(self.raw.as_ptr()) }
    }
}

impl Drop for OwnedBrigade<'_> {
    fn drop(&mut self) {
        // SAFETY: made by apr_brigade_create; destroy also unregisters its pool cleanup.
        unsafe { ffi::apr_brigade_destroy(self.raw.as_ptr()) };
    }
}
