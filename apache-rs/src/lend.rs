//! Lending the request being served to code that calls back later on the same thread.
//!
//! An embedded language runtime (mod_python's CPython) receives control from a hook and calls
//! back into httpd through objects it keeps. [`Request::lend`] gives up the hook's `&mut Request`
//! for the duration of a call; inside it, [`Request::with_lent`] hands the request out again, one
//! borrow at a time. Nothing can reach the request after `lend` returns: an object kept past its
//! request gets [`NotLent`].

use crate::Request;
use apache_sys as ffi;
use std::cell::Cell;

thread_local! {
    static LENT: Cell<*mut ffi::request_rec> = const { Cell::new(std::ptr::null_mut()) };
}

/// The request is not (or no longer) lent to this thread, or is already borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLent;

impl std::fmt::Display for NotLent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request is not being served by this thread")
    }
}

impl std::error::Error for NotLent {}

/// Puts back the previously lent request when a lend ends, even by unwinding.
struct Restore(*mut ffi::request_rec);

impl Drop for Restore {
    fn drop(&mut self) {
        LENT.with(|l| l.set(self.0));
    }
}

impl Request {
    /// Runs `f` with this request lent to the thread; `f` reaches it through
    /// [`Request::with_lent`]. Lends nest (a subrequest lent inside a handler), the innermost
    /// being the one handed out.
    pub fn lend<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let _restore = Restore(LENT.with(|l| l.replace(self.as_ptr())));
        f()
    }

    /// Borrows the request lent to this thread by [`Request::lend`]. While `f` runs the request
    /// is taken, so a nested call gets [`NotLent`] instead of a second `&mut`.
    pub fn with_lent<R>(f: impl FnOnce(&mut Request) -> R) -> Result<R, NotLent> {
        let r = LENT.with(|l| l.replace(std::ptr::null_mut()));
        if r.is_null() {
            return Err(NotLent);
        }
        let _restore = Restore(r);
        // SAFETY: `r` was lent by `lend`, whose caller's &mut borrow is suspended for the whole
        // lend; taking it out of the slot makes this the only live reference until restored.
        Ok(f(unsafe { Request::from_raw(r) }))
    }

    /// The address of the lent request, to check that an object still belongs to it.
    pub fn lent_id() -> Option<usize> {
        let r = LENT.with(Cell::get);
        (!r.is_null()).then_some(r as usize)
    }

    /// An identity for this request, comparable with [`Request::lent_id`].
    pub fn id(&self) -> usize {
        self.as_ptr() as usize
    }
}

thread_local! {
    static LENT_FILTER: Cell<(*mut ffi::ap_filter_t, *mut ffi::apr_bucket_brigade)> =
        const { Cell::new((std::ptr::null_mut(), std::ptr::null_mut())) };
}

/// Puts back the previously lent filter when a lend ends, even by unwinding.
struct RestoreFilter((*mut ffi::ap_filter_t, *mut ffi::apr_bucket_brigade));

impl Drop for RestoreFilter {
    fn drop(&mut self) {
        LENT_FILTER.with(|l| l.set(self.0));
    }
}

impl crate::filter::Filter {
    /// Runs `f` with this filter and the brigade of its call lent to the thread, as
    /// [`Request::lend`] does for a request; `f` reaches them through [`Filter::with_lent`].
    /// The filter's request, if any, is lent too (for code that reaches it with
    /// [`Request::with_lent`]). Lends nest: a filter further down the chain, called while `f`
    /// passes data on, lends itself in turn.
    ///
    /// [`Filter::with_lent`]: crate::filter::Filter::with_lent
    pub fn lend<R>(&mut self, bb: &mut crate::bucket::Brigade, f: impl FnOnce() -> R) -> R {
        let me = self as *mut crate::filter::Filter as *mut ffi::ap_filter_t;
        let _restore = RestoreFilter(LENT_FILTER.with(|l| l.replace((me, bb.as_ptr()))));
        match self.request() {
            Some(r) => r.lend(f),
            None => f(),
        }
    }

    /// Borrows the filter and brigade lent to this thread by [`Filter::lend`]; while `f` runs
    /// they are taken, so a nested call gets [`NotLent`].
    ///
    /// [`Filter::lend`]: crate::filter::Filter::lend
    pub fn with_lent<R>(
        f: impl FnOnce(&mut crate::filter::Filter, &mut crate::bucket::Brigade) -> R,
    ) -> Result<R, NotLent> {
        let (flt, bb) =
            LENT_FILTER.with(|l| l.replace((std::ptr::null_mut(), std::ptr::null_mut())));
        if flt.is_null() {
            return Err(NotLent);
        }
        let _restore = RestoreFilter((flt, bb));
        // SAFETY: both were lent by `lend`, whose caller's &mut borrows are suspended for the
        // whole lend; taking them out of the slot makes these the only live references until
        // restored.
        Ok(unsafe {
            f(
                &mut *(flt as *mut crate::filter::Filter),
                crate::bucket::Brigade::from_raw(bb),
            )
        })
    }

    /// An identity for this filter instance, comparable with [`Filter::lent_id`].
    ///
    /// [`Filter::lent_id`]: crate::filter::Filter::lent_id
    pub fn id(&self) -> usize {
        self as *const crate::filter::Filter as usize
    }

    /// The identity of the filter lent to this thread, if any.
    pub fn lent_id() -> Option<usize> {
        let (f, _) = LENT_FILTER.with(Cell::get);
        (!f.is_null()).then_some(f as usize)
    }
}
