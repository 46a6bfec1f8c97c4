//! Bucket brigades: the lists of buckets (data, files, flush and end-of-stream markers) that
//! filters pass along.

use crate::Pool;
use apache_sys as ffi;
use std::cell::UnsafeCell;
use std::io;
use std::marker::PhantomData;
use std::os::raw::c_char;
use std::ptr::NonNull;

/// An APR error status, as filters return them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AprError(pub i32);

impl AprError {
    /// `APR_EGENERAL`: something failed; the reason was logged.
    pub const GENERAL: AprError = AprError(ffi::APR_EGENERAL as i32);
    /// `AP_FILTER_ERROR`: the filter already produced an error response.
    pub const FILTER_ERROR: AprError = AprError(ffi::AP_FILTER_ERROR);

    pub(crate) fn check(rv: ffi::apr_status_t) -> Result<(), AprError> {
        if rv == ffi::APR_SUCCESS as ffi::apr_status_t {
            Ok(())
        } else {
            Err(AprError(rv))
        }
    }

    /// Whether this is `APR_EOF`.
    pub fn is_eof(&self) -> bool {
        ffi::APR_STATUS_IS_EOF(self.0)
    }
}

impl std::fmt::Display for AprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "APR error {}", self.0)
    }
}

impl std::error::Error for AprError {}

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
        let mut data: *const c_char = std::ptr::null();
        let mut len = 0usize;
        // SAFETY: apr_bucket_read fills data/len with memory owned by the bucket.
        let rv =
            unsafe { ffi::apr_bucket_read(self.ptr(), &mut data, &mut len, ffi::APR_BLOCK_READ) };
        if rv != 0 {
            return Err(io::Error::other(AprError(rv)));
        }
        if data.is_null() || len == 0 {
            return Ok(&[]);
        }
        // SAFETY: the bucket owns `len` bytes at `data` for as long as it lives.
        Ok(unsafe { std::slice::from_raw_parts(data as *const u8, len) })
    }
}

/// A borrowed brigade.
#[repr(transparent)]
pub struct Brigade(UnsafeCell<ffi::apr_bucket_brigade>, PhantomData<*mut ()>);

impl Brigade {
    /// Borrows a brigade httpd handed over.
    ///
    /// # Safety
    /// `b` is a valid brigade used only by this thread for `'a`.
    pub unsafe fn from_raw<'a>(b: *mut ffi::apr_bucket_brigade) -> &'a mut Brigade {
        &mut *(b as *mut Brigade)
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
    pub(crate) fn new(pool: &'p Pool, alloc: *mut ffi::apr_bucket_alloc_t) -> OwnedBrigade<'p> {
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
