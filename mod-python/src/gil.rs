//! Entering Python from httpd's threads, in one of several interpreters.
//!
//! `Python::attach` creates a Python thread state when a thread has none and destroys it when
//! the call ends, so every request would pay for both, under a lock all threads share. Instead
//! each thread keeps one thread state per interpreter it has entered, for its lifetime, and only
//! takes and releases the GIL with it. (Worker threads live as long as their child process; the
//! thread states go with the process.)
//!
//! This file and rawbytes.rs hold all of mod-python's `unsafe`: here, CPython's thread-state
//! and interpreter API, which pyo3 does not wrap.

use pyo3::ffi;
use pyo3::Python;
use std::cell::RefCell;

extern "C" {
    // Exported by libpython (renamed PyThreadState_GetUnchecked in 3.13, the old name kept);
    // pyo3-ffi does not declare it.
    fn _PyThreadState_UncheckedGet() -> *mut ffi::PyThreadState;
    // Exported by libpython since 3.9; pyo3-ffi skips it.
    fn PyThreadState_GetInterpreter(ts: *mut ffi::PyThreadState) -> *mut ffi::PyInterpreterState;
}

/// A Python interpreter of this process: the main one or a sub-interpreter. Interpreters are
/// never destroyed while the process lives, so the pointer stays valid.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct InterpState(*mut ffi::PyInterpreterState);

// SAFETY: an interpreter is a process-wide object; every use of it below holds the GIL or
// is PyThreadState_New, which CPython allows from any thread.
unsafe impl Send for InterpState {}
// SAFETY: as above; the value is only an address that is never written through here.
unsafe impl Sync for InterpState {}

thread_local! {
    /// This thread's thread state in each interpreter it has entered.
    static STATES: RefCell<Vec<(InterpState, *mut ffi::PyThreadState)>> =
        const { RefCell::new(Vec::new()) };
}

fn remember(interp: InterpState, ts: *mut ffi::PyThreadState) {
    STATES.with(|s| s.borrow_mut().push((interp, ts)));
}

/// This thread's state for `interp`, made on first use.
fn state_for(interp: InterpState) -> *mut ffi::PyThreadState {
    let known = STATES.with(|s| {
        s.borrow()
            .iter()
            .find(|(i, _)| *i == interp)
            .map(|(_, ts)| *ts)
    });
    known.unwrap_or_else(|| {
        let ts = gilstate_state(interp).unwrap_or_else(|| {
            // SAFETY: the interpreter lives until the process ends; PyThreadState_New needs
            // no GIL.
            unsafe { ffi::PyThreadState_New(interp.0) }
        });
        remember(interp, ts);
        ts
    })
}

/// CPython's `PyGILState_*` API (used by tracemalloc and by C extensions that call back into
/// Python) knows one thread state per thread: the first made on it, in whatever interpreter.
/// Code using it in the main interpreter takes the GIL with that state, and waits forever for
/// a GIL its thread already holds when the thread entered Python with another one. So the
/// main interpreter's state of a thread is the one PyGILState knows: the state Python started
/// with on the thread that initialized it (the only thread of a prefork child), or a state
/// made for the main interpreter before any other on a new thread. (In a sub-interpreter the
/// API cannot work: CPython does not support it there.)
fn gilstate_state(interp: InterpState) -> Option<*mut ffi::PyThreadState> {
    // SAFETY: reads thread-specific storage of the initialized runtime; no GIL needed.
    let known = unsafe { ffi::PyGILState_GetThisThreadState() };
    // SAFETY: the main interpreter exists while Python is initialized.
    let main = unsafe { ffi::PyInterpreterState_Main() };
    if known.is_null() {
        if interp.0 != main {
            // Make the main interpreter's state first, so that it is the one PyGILState knows.
            state_for(InterpState(main));
        }
        return None;
    }
    // SAFETY: `known` is a live thread state of this thread (states are never destroyed).
    let known_interp = unsafe { PyThreadState_GetInterpreter(known) };
    (known_interp == interp.0 && interp.0 == main && !is_mine(known)).then_some(known)
}

/// Whether `ts` is one of this thread's own states.
fn is_mine(ts: *mut ffi::PyThreadState) -> bool {
    !ts.is_null() && STATES.with(|s| s.borrow().iter().any(|(_, t)| *t == ts))
}

/// The interpreter the caller is in; call with the GIL held.
pub fn current_interpreter(_py: Python<'_>) -> InterpState {
    // SAFETY: the GIL is held (the token proves it), so there is a current thread state.
    InterpState(unsafe { ffi::PyInterpreterState_Get() })
}

/// Runs `f` holding the GIL in `interp`, with this thread's own state for it.
///
/// pyo3 does not count a GIL taken this way (`assume_attached`): a `Py<T>` dropped inside `f`
/// is queued in pyo3's deferred-decref pool instead of released, and that pool is only emptied
/// by `Python::attach`. So code under `with_interp` drops Python objects as `Bound` values
/// (`py_obj.into_bound(py)`), never as `Py`. (Code called from Python through a
/// `#[pyfunction]` is counted, and may drop `Py`.) Entering through `Python::attach` after
/// restoring the thread state would deadlock on 3.11: PyGILState does not know states made
/// with PyThreadState_New and takes the GIL again.
pub fn with_interp<R>(interp: InterpState, f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    let ts = state_for(interp);
    // SAFETY: only reads which thread state holds the GIL.
    let current = unsafe { _PyThreadState_UncheckedGet() };
    if current == ts {
        // A request pool's cleanup can run while this thread is inside Python (a subrequest
        // made by a handler ends there): the GIL is already ours, in this interpreter.
        // SAFETY: this thread's own state is the current one: it holds the GIL.
        return f(unsafe { Python::assume_attached() });
    }
    if is_mine(current) {
        // The same, but the thread is in another interpreter: switch, and back at the end.
        struct SwapBack(*mut ffi::PyThreadState);
        impl Drop for SwapBack {
            fn drop(&mut self) {
                // SAFETY: this thread holds the GIL; it puts back the state it had.
                unsafe { ffi::PyThreadState_Swap(self.0) };
            }
        }
        // SAFETY: the GIL is held by this thread (its own state is current); interpreters
        // share one GIL (3.11 has no other kind), so switching states keeps it.
        unsafe { ffi::PyThreadState_Swap(ts) };
        let _back = SwapBack(current);
        // SAFETY: the GIL is held with this thread's state for `interp` until `_back` drops.
        return f(unsafe { Python::assume_attached() });
    }
    /// Releases the GIL when the call ends, even by unwinding.
    struct Release;
    impl Drop for Release {
        fn drop(&mut self) {
            // SAFETY: paired with the PyEval_RestoreThread below on this thread.
            unsafe { ffi::PyEval_SaveThread() };
        }
    }
    // SAFETY: `ts` belongs to this thread and is not current (we released it last time).
    unsafe { ffi::PyEval_RestoreThread(ts) };
    let _release = Release;
    // SAFETY: the GIL is held with this thread's state until `_release` drops.
    f(unsafe { Python::assume_attached() })
}

/// Creates a sub-interpreter and runs `setup` in it (its `sys.modules` and builtins are its
/// own). Call inside [`with_interp`]; the caller's interpreter is current again afterwards.
/// The new interpreter's first thread state becomes this thread's state for it.
pub fn new_interpreter<R>(
    _py: Python<'_>,
    setup: impl for<'py> FnOnce(Python<'py>, InterpState) -> R,
) -> Option<R> {
    // SAFETY: the GIL is held (the token proves it), so there is a current thread state.
    let caller = unsafe { ffi::PyThreadState_Get() };
    // SAFETY: called with the GIL held, as CPython requires; it returns the new interpreter's
    // first thread state, made current, or NULL (with the caller's state current again).
    let ts = unsafe { ffi::Py_NewInterpreter() };
    if ts.is_null() {
        // SAFETY: puts back the caller's state, in case CPython left none current.
        unsafe { ffi::PyThreadState_Swap(caller) };
        return None;
    }
    // SAFETY: `ts` is current, with the GIL: the current interpreter is the new one.
    let interp = InterpState(unsafe { ffi::PyInterpreterState_Get() });
    remember(interp, ts);
    struct SwapBack(*mut ffi::PyThreadState);
    impl Drop for SwapBack {
        fn drop(&mut self) {
            // SAFETY: this thread holds the GIL; it puts back the caller's state.
            unsafe { ffi::PyThreadState_Swap(self.0) };
        }
    }
    let _back = SwapBack(caller);
    // SAFETY: the GIL is held with the new interpreter's state until `_back` drops.
    Some(setup(unsafe { Python::assume_attached() }, interp))
}

/// Runs `f` without the GIL when this thread holds it with one of its own states (httpd code
/// called from a native function that did not release it, such as a Python filter run while a
/// handler's call reads the body), and takes it back afterwards; otherwise just runs `f`.
/// Used around [`crate::interp::get`], which may wait for another thread making an
/// interpreter, and that thread for the GIL.
pub fn released<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: only reads which thread state holds the GIL.
    let current = unsafe { _PyThreadState_UncheckedGet() };
    if !is_mine(current) {
        return f();
    }
    /// Takes the GIL back when `f` ends, even by unwinding.
    struct Retake(*mut ffi::PyThreadState);
    impl Drop for Retake {
        fn drop(&mut self) {
            // SAFETY: paired with the PyEval_SaveThread below, on this thread.
            unsafe { ffi::PyEval_RestoreThread(self.0) };
        }
    }
    // SAFETY: this thread holds the GIL with its own state; it is given up here and taken
    // back by `_retake`. The Python frames below this call are suspended meanwhile, as they
    // are while pyo3's `detach` runs.
    let _retake = Retake(unsafe { ffi::PyEval_SaveThread() });
    f()
}
