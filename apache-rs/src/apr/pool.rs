//! APR memory pools: memory that lives as long as a request, a connection, a configuration or a
//! process, freed all at once.

use apache_sys as ffi;
use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::os::raw::c_void;
use std::ptr::NonNull;

/// A borrowed `apr_pool_t`. Values allocated in it live as long as the borrow says, which is
/// never longer than the pool.
///
/// The borrow checker holds pool memory to that. A string from a sub-pool cannot outlive it:
///
/// ```compile_fail,E0597
/// fn keep(p: &apache::Pool) -> usize {
///     let s;
///     {
///         let sub = p.sub_pool();
///         s = sub.alloc_str("gone with the sub-pool");
///     }
///     s.len()
/// }
/// ```
///
/// nor can a pool be cleared while anything allocated in it is still in use:
///
/// ```compile_fail,E0502
/// fn clear_too_soon(p: &apache::Pool) -> usize {
///     let mut sub = p.sub_pool();
///     let s = sub.alloc_str("still needed");
///     sub.clear();
///     s.len()
/// }
/// ```
///
/// and a pool, used by one thread at a time as APR requires, cannot be sent to another:
///
/// ```compile_fail,E0277
/// fn send<T: Send>() {}
/// send::<&apache::Pool>();
/// ```
///
/// # Values that a pool drops
/// A pool's cleanups run on whichever thread clears or destroys it, which need not be the
/// thread that put the value there: under the event MPM a request's pool is destroyed when
/// the end of its response has been written, by any worker thread that finishes the write
/// (httpd's write completion), and a connection's pool is cleared by the listener thread
/// once the connection has closed. So what a pool drops ([`Pool::alloc`], [`Pool::on_cleanup`],
/// and the pool-kept [`Request::state`](crate::Request::state),
/// [`Filter::ctx`](crate::filter::Filter::ctx) and the filter contexts of
/// [`Request::add_output_filter_with`](crate::Request::add_output_filter_with)) must be `Send`.
/// An `Rc`, whose count is not atomic, is refused:
///
/// ```compile_fail,E0277
/// fn keep(p: &apache::Pool) {
///     p.alloc(std::rc::Rc::new(1));
/// }
/// ```
///
/// ```compile_fail,E0277
/// fn keep(p: &apache::Pool) {
///     let shared = std::rc::Rc::new(1);
///     p.on_cleanup(move || drop(shared));
/// }
/// ```
///
/// while an `Arc` is taken:
///
/// ```
/// fn keep(p: &apache::Pool) {
///     let shared = std::sync::Arc::new(1);
///     p.alloc(shared.clone());
///     p.on_cleanup(move || drop(shared));
/// }
/// ```
#[repr(transparent)]
pub struct Pool(UnsafeCell<ffi::apr_pool_t>, PhantomData<*mut ()>);

impl Pool {
    /// Borrows a pool httpd handed over.
    ///
    /// # Safety
    /// `p` is a valid pool that outlives `'a` and is used only by this thread meanwhile.
    pub unsafe fn from_raw<'a>(p: *mut ffi::apr_pool_t) -> &'a Pool {
        // SAFETY: Pool is a transparent wrapper of apr_pool_t; validity, thread and lifetime
        // are the caller's promise (see # Safety).
        unsafe { &*(p as *const Pool) }
    }

    /// The `apr_pool_t` pointer, for calling APR directly.
    pub fn as_ptr(&self) -> *mut ffi::apr_pool_t {
        self.0.get()
    }

    /// Copies a string into the pool; the copy is NUL-terminated for C callers.
    pub fn alloc_str(&self, s: &str) -> &str {
        let bytes = self.alloc_cstr_bytes(s.as_bytes());
        // SAFETY: the bytes are a copy of a str.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// Copies bytes into the pool with a NUL after them; the returned slice excludes the NUL.
    pub(crate) fn alloc_cstr_bytes(&self, b: &[u8]) -> &[u8] {
        // SAFETY: apr_pstrmemdup copies len bytes and adds a NUL, in this pool.
        unsafe {
            let p = ffi::apr_pstrmemdup(self.as_ptr(), b.as_ptr().cast(), b.len());
            std::slice::from_raw_parts(p as *const u8, b.len())
        }
    }

    /// A NUL-terminated pool copy of `s` (text, or bytes that need not be UTF-8) for C
    /// functions. Interior NULs end the string early, as C would read it.
    pub(crate) fn c_str(&self, s: impl AsRef<[u8]>) -> *const std::os::raw::c_char {
        self.alloc_cstr_bytes(s.as_ref()).as_ptr().cast()
    }

    /// Moves a Rust value into the pool's care: it is dropped when the pool is cleared or
    /// destroyed, possibly on another thread (hence `Send`; see [Values that a pool
    /// drops](Pool#values-that-a-pool-drops)). Returns a reference valid as long as the pool
    /// borrow.
    pub fn alloc<T: Send + 'static>(&self, value: T) -> &T {
        // SAFETY: the pointer is valid until the pool is cleared, which needs &mut or outlives
        // the borrow of self.
        unsafe { &*self.alloc_raw(value) }
    }

    /// Like [`Pool::alloc`], as the raw pointer httpd's configuration vectors store.
    pub(crate) fn alloc_raw<T: Send + 'static>(&self, value: T) -> *mut T {
        let boxed = Box::into_raw(Box::new(value));
        unsafe extern "C" fn drop_box<T>(data: *mut c_void) -> ffi::apr_status_t {
            // SAFETY: registered below with a pointer from Box::into_raw::<T>, run once.
            drop(unsafe { Box::from_raw(data as *mut T) });
            0
        }
        // SAFETY: the cleanup frees the box exactly once, when the pool is cleared.
        unsafe {
            ffi::apr_pool_cleanup_register(
                self.as_ptr(),
                boxed as *const c_void,
                Some(drop_box::<T>),
                Some(ffi::apr_pool_cleanup_null),
            );
        }
        boxed
    }

    /// Runs `f` when the pool is cleared or destroyed (`apr_pool_cleanup_register`), possibly
    /// on another thread (hence `Send`; see [Values that a pool
    /// drops](Pool#values-that-a-pool-drops)).
    pub fn on_cleanup<F: FnOnce() + Send + 'static>(&self, f: F) {
        struct Once<F>(Option<F>);
        unsafe extern "C" fn run<F: FnOnce()>(data: *mut c_void) -> ffi::apr_status_t {
            // SAFETY: data is the Box made below; the pool runs each cleanup once.
            let mut b = unsafe { Box::from_raw(data as *mut Once<F>) };
            if let Some(f) = b.0.take() {
                crate::core::panic::guard(f, |msg| {
                    crate::core::logging::server_error(std::ptr::null_mut(), &msg)
                });
            }
            0
        }
        let data = Box::into_raw(Box::new(Once(Some(f))));
        // SAFETY: the cleanup takes ownership of the box.
        unsafe {
            ffi::apr_pool_cleanup_register(
                self.as_ptr(),
                data as *const c_void,
                Some(run::<F>),
                Some(ffi::apr_pool_cleanup_null),
            );
        }
    }

    /// Makes a sub-pool, destroyed when the returned owner is dropped or with this pool.
    pub fn sub_pool(&self) -> OwnedPool<'_> {
        let mut p = std::ptr::null_mut();
        // SAFETY: creating a child pool of a valid pool; aborts (in APR) on out of memory.
        unsafe { ffi::apr_pool_create_ex(&mut p, self.as_ptr(), None, std::ptr::null_mut()) };
        OwnedPool {
            raw: NonNull::new(p).expect("apr_pool_create_ex"),
            _parent: PhantomData,
        }
    }

    /// Clears the pool: runs its cleanups and frees its memory. Needs exclusive access, so no
    /// reference into the pool can be alive.
    pub fn clear(&mut self) {
        // SAFETY: &mut self proves nothing borrows from the pool.
        unsafe { ffi::apr_pool_clear(self.as_ptr()) }
    }
}

/// A pool this code created and destroys on drop.
pub struct OwnedPool<'parent> {
    raw: NonNull<ffi::apr_pool_t>,
    _parent: PhantomData<&'parent Pool>,
}

impl std::ops::Deref for OwnedPool<'_> {
    type Target = Pool;
    fn deref(&self) -> &Pool {
        // SAFETY: the pool lives until drop.
        unsafe { Pool::from_raw(self.raw.as_ptr()) }
    }
}

impl std::ops::DerefMut for OwnedPool<'_> {
    fn deref_mut(&mut self) -> &mut Pool {
        // SAFETY: the pool lives until drop and we own it exclusively.
        unsafe { &mut *(self.raw.as_ptr() as *mut Pool) }
    }
}

impl Drop for OwnedPool<'_> {
    fn drop(&mut self) {
        // SAFETY: created by apr_pool_create_ex and destroyed once.
        unsafe { ffi::apr_pool_destroy(self.raw.as_ptr()) }
    }
}
