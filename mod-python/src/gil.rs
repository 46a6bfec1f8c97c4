//! Entering Python from httpd's worker threads.
//!
//! `Python::attach` creates a Python thread state when a thread has none and destroys it when
//! the call ends, so every request would pay for both, under a lock all threads share. Instead
//! each worker thread keeps one thread state for its lifetime and only takes and releases the
//! GIL with it. (Worker threads live as long as their child process; the thread states go with
//! the process.)

use pyo3::Python;
use std::cell::Cell;

extern "C" {
    // Exported by libpython (renamed PyThreadState_GetUnchecked in 3.13, the old name kept);
    // pyo3-ffi does not declare it.
    fn _PyThreadState_UncheckedGet() -> *mut pyo3::ffi::PyThreadState;
}

thread_local! {
    static THREAD_STATE: Cell<*mut pyo3::ffi::PyThreadState> = const { Cell::new(std::ptr::null_mut()) };
}

/// The interpreter worker threads run in: the main one for now.
static INTERPRETER: std::sync::atomic::AtomicPtr<pyo3::ffi::PyInterpreterState> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

/// Remembers the interpreter; called with the GIL held once Python is initialized.
pub fn set_interpreter(_py: Python<'_>) {
    // SAFETY: the GIL is held (the token proves it), so there is a current thread state.
    let interp = unsafe { pyo3::ffi::PyInterpreterState_Get() };
    INTERPRETER.store(interp, std::sync::atomic::Ordering::Release);
}

/// Runs `f` holding the GIL with this thread's own thread state, made on first use.
///
/// pyo3 does not count a GIL taken this way (`assume_attached`): a `Py<T>` dropped inside `f`
/// is queued in pyo3's deferred-decref pool instead of released, and that pool is only emptied
/// by `Python::attach`. So code under `with_gil` drops Python objects as `Bound` values
/// (`py_obj.into_bound(py)`), never as `Py`. (Entering through `Python::attach` after restoring
/// the thread state would deadlock on 3.11: PyGILState does not know states made with
/// PyThreadState_New and takes the GIL again.)
pub fn with_gil<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    let interp = INTERPRETER.load(std::sync::atomic::Ordering::Acquire);
    if interp.is_null() {
        return Python::attach(f);
    }
    let mut ts = THREAD_STATE.with(Cell::get);
    // A request pool's cleanup can run while this thread is inside Python (a subrequest made by
    // a handler ends there): taking the GIL again would deadlock, and it is already ours.
    // (PyGILState_Check cannot tell: it answers yes for everyone once subinterpreters exist.)
    // SAFETY: only reads which thread state is current.
    if !ts.is_null() && unsafe { _PyThreadState_UncheckedGet() } == ts {
        // SAFETY: this thread's own state is the current one: it holds the GIL.
        return f(unsafe { Python::assume_attached() });
    }
    if ts.is_null() {
        // SAFETY: the interpreter lives until the process ends; PyThreadState_New needs no GIL
        // and registers the state as this thread's for PyGILState (so nested attach reuses it).
        ts = unsafe { pyo3::ffi::PyThreadState_New(interp) };
        THREAD_STATE.with(|c| c.set(ts));
    }
    /// Releases the GIL when the call ends, even by unwinding.
    struct Release;
    impl Drop for Release {
        fn drop(&mut self) {
            // SAFETY: paired with the PyEval_RestoreThread below on this thread.
            unsafe { pyo3::ffi::PyEval_SaveThread() };
        }
    }
    // SAFETY: `ts` belongs to this thread and is not current (we released it last time).
    unsafe { pyo3::ffi::PyEval_RestoreThread(ts) };
    let _release = Release;
    // SAFETY: the GIL is held with this thread's state until `_release` drops.
    f(unsafe { Python::assume_attached() })
}
