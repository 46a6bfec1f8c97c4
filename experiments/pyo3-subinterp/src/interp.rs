//! Making, entering and ending interpreters with raw CPython calls, the way mod_python's
//! gil.rs does (pyo3 wraps none of this).

use pyo3::ffi;
use pyo3::Python;

extern "C" {
    // Exported since 3.9; pyo3-ffi does not declare it.
    pub fn PyThreadState_GetInterpreter(
        ts: *mut ffi::PyThreadState,
    ) -> *mut ffi::PyInterpreterState;
}

/// An interpreter, with the thread state it was made with (it belongs to the main thread).
#[derive(Clone, Copy)]
pub struct Interp {
    pub state: *mut ffi::PyInterpreterState,
    pub first: *mut ffi::PyThreadState,
    pub own_gil: bool,
}

// SAFETY: only addresses, handed back to CPython by the threads that use them.
unsafe impl Send for Interp {}
// SAFETY: as above.
unsafe impl Sync for Interp {}

impl Interp {
    pub fn id(&self) -> i64 {
        // SAFETY: the interpreter is alive while an Interp is used.
        unsafe { ffi::PyInterpreterState_GetID(self.state) }
    }
}

/// Starts Python; returns the main thread's state, not holding the GIL.
pub fn start() -> *mut ffi::PyThreadState {
    Python::initialize();
    // SAFETY: Python is initialized; this thread initialized it, so PyGILState knows its state.
    unsafe { ffi::PyGILState_GetThisThreadState() }
}

/// What mod_python would give an own-GIL interpreter: its own allocator (required for its
/// own GIL), so only multi-phase extensions; fork, exec and threads allowed as in 3.5.
#[cfg(Py_3_12)]
fn config(own_gil: bool) -> ffi::PyInterpreterConfig {
    ffi::PyInterpreterConfig {
        use_main_obmalloc: i32::from(!own_gil),
        allow_fork: 1,
        allow_exec: 1,
        allow_threads: 1,
        allow_daemon_threads: 1,
        check_multi_interp_extensions: i32::from(own_gil),
        gil: if own_gil {
            ffi::PyInterpreterConfig_OWN_GIL
        } else {
            ffi::PyInterpreterConfig_SHARED_GIL
        },
    }
}

/// Makes an interpreter from the main thread, which holds no GIL before and after; `setup`
/// runs in the new interpreter holding its GIL, counted by pyo3 (see [`enter`]).
pub fn create(
    main_ts: *mut ffi::PyThreadState,
    own_gil: bool,
    setup: impl FnOnce(Python<'_>),
) -> Interp {
    // SAFETY: main_ts is this (main) thread's state and not current.
    unsafe { ffi::PyEval_RestoreThread(main_ts) };
    let ts = new_interpreter(own_gil);
    // SAFETY: the new interpreter's state is current with its GIL.
    let state = unsafe { PyThreadState_GetInterpreter(ts) };
    let interp = Interp {
        state,
        first: ts,
        own_gil,
    };
    counted(&interp, main_ts, ts, setup);
    // SAFETY: the new interpreter's state is current; afterwards none is and no GIL is held.
    unsafe { ffi::PyEval_SaveThread() };
    interp
}

#[cfg(Py_3_12)]
fn new_interpreter(own_gil: bool) -> *mut ffi::PyThreadState {
    let mut ts = std::ptr::null_mut();
    let config = config(own_gil);
    // SAFETY: called holding the main GIL with a current state, as CPython requires; with an
    // own GIL it releases the main one and returns holding the new one.
    let status = unsafe { ffi::Py_NewInterpreterFromConfig(&mut ts, &config) };
    // SAFETY: reads the status just returned.
    if unsafe { ffi::PyStatus_Exception(status) } != 0 || ts.is_null() {
        eprintln!("Py_NewInterpreterFromConfig failed");
        std::process::exit(1);
    }
    ts
}

#[cfg(not(Py_3_12))]
fn new_interpreter(own_gil: bool) -> *mut ffi::PyThreadState {
    assert!(!own_gil, "no own GIL before 3.12");
    // SAFETY: called holding the (only) GIL.
    unsafe { ffi::Py_NewInterpreter() }
}

/// Runs `f` in `interp` on this thread with a thread state made for the call, taking the
/// interpreter's GIL and giving it back, as mod_python's `with_interp` does (which keeps one
/// state per thread and interpreter instead), with pyo3 counting the thread as attached (see
/// [`counted`]).
pub fn enter<R>(interp: &Interp, f: impl FnOnce(Python<'_>) -> R) -> R {
    // On 3.11 the thread needs a main-interpreter state, made before any other so that
    // PyGILState knows it, to be counted (see `counted`); mod_python's gil.rs makes it so.
    #[cfg(not(Py_3_12))]
    // SAFETY: makes a state of this thread; no GIL needed.
    let main_ts = unsafe { ffi::PyThreadState_New(ffi::PyInterpreterState_Main()) };
    #[cfg(Py_3_12)]
    let main_ts = std::ptr::null_mut();
    let out = with_state(interp, |ts| {
        let mut out = None;
        counted(interp, main_ts, ts, |py| out = Some(f(py)));
        out
    });
    #[cfg(not(Py_3_12))]
    // SAFETY: main_ts is this thread's and not current: take the GIL with it to delete it.
    unsafe {
        ffi::PyEval_RestoreThread(main_ts);
        ffi::PyThreadState_Clear(main_ts);
        ffi::PyThreadState_DeleteCurrent();
    }
    out.unwrap()
}

/// [`enter`] without pyo3 counting the thread: the token comes from `assume_attached`, as
/// mod_python's `with_interp` makes it today.
pub fn enter_uncounted<R>(interp: &Interp, f: impl FnOnce(Python<'_>) -> R) -> R {
    // SAFETY: the interpreter's GIL is held with the thread's state inside with_state.
    with_state(interp, |_| f(unsafe { Python::assume_attached() }))
}

/// Makes a state of this thread in `interp`, takes the interpreter's GIL with it, runs `f`,
/// and deletes the state (releasing the GIL).
fn with_state<R>(interp: &Interp, f: impl FnOnce(*mut ffi::PyThreadState) -> R) -> R {
    // SAFETY: no GIL is needed to make a thread state; it belongs to this thread.
    let ts = unsafe { ffi::PyThreadState_New(interp.state) };
    // SAFETY: ts is this thread's, not current.
    unsafe { ffi::PyEval_RestoreThread(ts) };
    let r = f(ts);
    // SAFETY: ts is current with its GIL; clearing it needs the GIL, deleting it releases it.
    unsafe {
        ffi::PyThreadState_Clear(ts);
        ffi::PyThreadState_DeleteCurrent();
    }
    r
}

/// Runs `f` with pyo3 counting this thread as attached, `ts` (of `interp`) being current
/// with its GIL before and after.
///
/// 3.12 and later: `Python::attach`. PyGILState's state of a thread follows the state made
/// current (checked by `attach`), so its PyGILState_Ensure finds `ts` current and only
/// counts.
///
/// 3.11: PyGILState knows a thread's first state only, which mod_python makes in the main
/// interpreter (`main_ts`). `Python::attach` there would wait for the GIL the thread holds,
/// so the thread attaches with its main state current, then swaps to `ts` (3.11's
/// interpreters share the GIL; the swap keeps it) and back at the end.
fn counted(
    interp: &Interp,
    main_ts: *mut ffi::PyThreadState,
    ts: *mut ffi::PyThreadState,
    f: impl FnOnce(Python<'_>),
) {
    let _ = (interp, main_ts);
    #[cfg(Py_3_12)]
    {
        let _ = ts;
        Python::attach(f);
    }
    #[cfg(not(Py_3_12))]
    // SAFETY: the shared GIL is held by this thread; main_ts and ts are its own states.
    unsafe {
        ffi::PyThreadState_Swap(main_ts);
        Python::attach(|py| {
            ffi::PyThreadState_Swap(ts);
            f(py);
            ffi::PyThreadState_Swap(main_ts);
        });
        ffi::PyThreadState_Swap(ts);
    }
}

/// Ends `interp` from the main thread (holding no GIL before and after) with its first
/// state. After Py_EndInterpreter no GIL is held on 3.12 and 3.13, while 3.11 still holds
/// the shared one (checked by the C experiment's `handoff`), which main_ts then releases.
pub fn end(main_ts: *mut ffi::PyThreadState, interp: Interp) {
    // SAFETY: `first` belongs to this (main) thread; no other thread is in the interpreter.
    unsafe {
        ffi::PyEval_RestoreThread(interp.first);
        ffi::Py_EndInterpreter(interp.first);
    }
    #[cfg(not(Py_3_12))]
    // SAFETY: 3.11: the shared GIL is still held, with no current state.
    unsafe {
        ffi::PyThreadState_Swap(main_ts);
        ffi::PyEval_SaveThread();
    }
    let _ = main_ts;
}

/// The interpreter the current thread state belongs to; call holding a GIL.
pub fn current_id(_py: Python<'_>) -> i64 {
    // SAFETY: a GIL is held, so there is a current state.
    unsafe { ffi::PyInterpreterState_GetID(ffi::PyInterpreterState_Get()) }
}

/// Ends the process after `secs` unless `done` is set: a call that may never return (a
/// thread waiting for a GIL it holds) is reported instead of hanging the run.
pub fn watchdog(secs: u64, what: &'static str) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(secs));
        if !flag.load(std::sync::atomic::Ordering::SeqCst) {
            println!("  HUNG for {secs} s: {what}");
            use std::io::Write;
            let _ = std::io::stdout().flush();
            std::process::exit(3);
        }
    });
    done
}
