//! Lending a filter and the brigade of its call to code that calls back later on the same
//! thread, as [`Request::lend`](crate::Request::lend) does for a request.

use crate::apr::Brigade;
use crate::core::NotLent;
use crate::filter::Filter;
use apache_sys as ffi;
use std::cell::Cell;

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

impl Filter {
    /// Runs `f` with this filter and the brigade of its call lent to the thread, as
    /// [`Request::lend`](crate::Request::lend) does for a request; `f` reaches them through [`Filter::with_lent`].
    /// The filter's request, if any, is lent too (for code that reaches it with
    /// [`Request::with_lent`](crate::Request::with_lent)). Lends nest: a filter further down the chain, called while `f`
    /// passes data on, lends itself in turn.
    ///
    /// [`Filter::with_lent`]: Filter::with_lent
    pub fn lend<R>(&mut self, bb: &mut Brigade, f: impl FnOnce() -> R) -> R {
        let me = self as *mut Filter as *mut ffi::ap_filter_t;
        let _restore = RestoreFilter(LENT_FILTER.with(|l| l.replace((me, bb.as_ptr()))));
        match self.request() {
            Some(r) => r.lend(f),
            None => f(),
        }
    }

    /// Borrows the filter and brigade lent to this thread by [`Filter::lend`]; while `f` runs
    /// they are taken, so a nested call gets [`NotLent`].
    ///
    /// [`Filter::lend`]: Filter::lend
    pub fn with_lent<R>(f: impl FnOnce(&mut Filter, &mut Brigade) -> R) -> Result<R, NotLent> {
        let (flt, bb) =
            LENT_FILTER.with(|l| l.replace((std::ptr::null_mut(), std::ptr::null_mut())));
        if flt.is_null() {
            return Err(NotLent);
        }
        let _restore = RestoreFilter((flt, bb));
        // SAFETY: both were lent by `lend`, whose caller's &mut borrows are suspended for the
        // whole lend; taking them out of the slot makes these the only live references until
        // restored.
        Ok(unsafe { f(&mut *(flt as *mut Filter), Brigade::from_raw(bb)) })
    }

    /// An identity for this filter instance, comparable with [`Filter::lent_id`].
    ///
    /// [`Filter::lent_id`]: Filter::lent_id
    pub fn id(&self) -> usize {
        self as *const Filter as usize
    }

    /// The identity of the filter lent to this thread, if any.
    pub fn lent_id() -> Option<usize> {
        let (f, _) = LENT_FILTER.with(Cell::get);
        (!f.is_null()).then_some(f as usize)
    }
}
