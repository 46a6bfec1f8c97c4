//! Entering Python from httpd's threads, in one of several interpreters, and ending Python
//! when the child exits.
//!
//! `Python::attach` creates a Python thread state when a thread has none and destroys it when
//! the call ends, so every request would pay for both, under a lock all threads share. Instead
//! each thread keeps one thread state per interpreter it has entered, for its lifetime, and only
//! takes and releases the GIL with it. (Worker threads live as long as their child process; the
//! thread states go with the process, or with the interpreter when it is ended at child exit.)
//!
//! Every entry into Python goes through [`with_interp`], which counts the threads inside it
//! (holding the GIL, waiting for it, or in a call that released it). At child exit
//! [`begin_close`] stops new entries and waits, a bounded time, for that count to fall to
//! zero: only then may Python be finalized ([`Closing::finalize`]). Afterwards every entry is
//! refused without touching Python.
//!
//! This file, rawbytes.rs and startup.rs hold mod-python's `unsafe` (but for the one
//! environment write in hooks.rs): here, CPython's thread-state and interpreter API, which
//! pyo3 does not wrap.

use apache::core::logging::{Level, log};
use pyo3::Python;
use pyo3::ffi;
use std::cell::{Cell, RefCell};
use std::os::raw::c_int;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

unsafe extern "C" {
    // Public since 3.9 (Doc/c-api/init.rst); pyo3-ffi skips it.
    fn PyThreadState_GetInterpreter(ts: *mut ffi::PyThreadState) -> *mut ffi::PyInterpreterState;
    // The current thread state, or NULL where `PyThreadState_Get` would end the process. Public
    // as `PyThreadState_GetUnchecked` since 3.13 (pyo3-ffi 0.27 does not declare it)...
    #[cfg(Py_3_13)]
    fn PyThreadState_GetUnchecked() -> *mut ffi::PyThreadState;
    // ... and the same function under the name it had from 3.5 to 3.12, declared by those
    // versions' headers (Include/cpython/pystate.h) and exported by their libpython: 3.13's
    // documentation of the public name says so, and CPython's pythoncapi-compat maps the one to
    // the other. No public function of 3.11 or 3.12 reads the thread state without a fatal
    // error when there is none.
    #[cfg(not(Py_3_13))]
    #[link_name = "_PyThreadState_UncheckedGet"]
    fn PyThreadState_GetUnchecked() -> *mut ffi::PyThreadState;
}

/// The current thread state, or NULL: up to 3.11 the one holding the GIL, whichever thread's it
/// is; since 3.12 this thread's. Callers compare it with this thread's own states, which is
/// right under both meanings.
fn current_thread_state() -> *mut ffi::PyThreadState {
    // SAFETY: reads the runtime's (or this thread's) current state; needs no GIL, and gives
    // NULL rather than failing when there is none.
    unsafe { PyThreadState_GetUnchecked() }
}

/// A Python interpreter of this process: the main one or a sub-interpreter. Interpreters are
/// only destroyed by [`Closing::finalize`], after which nothing uses the pointer.
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
    OURS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((interp, ts as usize));
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
            // SAFETY: the interpreter lives until Python is finalized, and nothing gets here
            // after that (entries are refused); PyThreadState_New needs no GIL.
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
    // SAFETY: `known` is a live thread state of this thread (states are only destroyed when
    // Python is finalized, after which nothing gets here).
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

/// Runs `f` holding the GIL in `interp`, with this thread's own state for it; once Python has
/// been finalized at child exit, `f` is not run and the call returns [`Refused::refused`]
/// (see [`try_with_interp`]).
///
/// pyo3 counts the entry as attached (see [`attached`]): a `Py<T>` or `PyErr` dropped inside
/// `f` is released at once, in `interp`. (mod_python is built without pyo3's deferred-decref
/// pool, so a drop outside any counted entry aborts the child: a closure refused here must not
/// own Python objects, or must forget them.)
pub fn with_interp<R: Refused>(
    interp: InterpState,
    f: impl for<'py> FnOnce(Python<'py>) -> R,
) -> R {
    try_with_interp(interp, f).unwrap_or_else(R::refused)
}

/// [`with_interp`], or `None` without running `f` when Python has been finalized (a request
/// or connection pool cleaned up after the child's own cleanup) or is being finalized.
pub fn try_with_interp<R>(
    interp: InterpState,
    f: impl for<'py> FnOnce(Python<'py>) -> R,
) -> Option<R> {
    let _inside = Inside::enter()?;
    Some(enter(interp, f))
}

/// What a call into Python returns when Python is gone and the call is skipped.
pub trait Refused {
    fn refused() -> Self;
}

impl Refused for () {
    fn refused() {}
}

impl<T> Refused for Option<T> {
    fn refused() -> Self {
        None
    }
}

/// A status for httpd: 500, the handler could not run.
impl Refused for c_int {
    fn refused() -> Self {
        500
    }
}

/// Takes the GIL in `interp` with this thread's state and runs `f`; the caller is counted in
/// `INSIDE` (or is the closing thread).
fn enter<R>(interp: InterpState, f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    let ts = state_for(interp);
    let current = current_thread_state();
    if current == ts {
        // A request pool's cleanup can run while this thread is inside Python (a subrequest
        // made by a handler ends there): the GIL is already ours, in this interpreter, and the
        // outer entry (or pyo3's trampoline of the native function running) counts it.
        // SAFETY: this thread's own state is the current one: it holds the GIL.
        return f(unsafe { Python::assume_attached() });
    }
    if is_mine(current) {
        // The same, but the thread is in another interpreter: switch, and back at the end.
        // SAFETY: this thread holds the GIL with its own state `current`, inside a counted
        // entry; the switch gives up that interpreter's GIL and takes `interp`'s when they
        // differ (3.12+), and keeps the one GIL otherwise. No Rust lock is held here.
        unsafe { ffi::PyThreadState_Swap(ts) };
        let _back = SwapBack(current);
        // SAFETY: the GIL is held with this thread's state for `interp` until `_back` drops;
        // the outer entry keeps pyo3's count.
        return f(unsafe { Python::assume_attached() });
    }
    attached(ts, f)
}

/// Puts back the thread state a thread switched from, taking that interpreter's GIL again.
pub(super) struct SwapBack(pub(super) *mut ffi::PyThreadState);

impl Drop for SwapBack {
    fn drop(&mut self) {
        // SAFETY: this thread holds a GIL with a state it switched to; it switches back to its
        // own state `self.0`.
        unsafe { ffi::PyThreadState_Swap(self.0) };
    }
}

/// Releases the GIL taken with `PyEval_RestoreThread` when dropped, even by unwinding.
struct Release;

impl Drop for Release {
    fn drop(&mut self) {
        // SAFETY: paired with a PyEval_RestoreThread on this thread, whose state (or the one
        // switched back to) is current.
        unsafe { ffi::PyEval_SaveThread() };
    }
}

/// Takes the GIL with `ts` (this thread's own state, not current, no GIL held) and runs `f`
/// with pyo3 counting the thread as attached, then releases the GIL.
///
/// 3.12 and later: `Python::attach` after `PyEval_RestoreThread`. CPython binds a thread's
/// `PyGILState` state to the state made current, so pyo3's `PyGILState_Ensure` finds `ts`
/// holding the GIL and only counts.
#[cfg(Py_3_12)]
fn attached<R>(ts: *mut ffi::PyThreadState, f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    // SAFETY: `ts` belongs to this thread and is not current; the thread holds no GIL.
    unsafe { ffi::PyEval_RestoreThread(ts) };
    let _release = Release;
    Python::attach(f)
}

/// 3.11: `PyGILState` knows only a thread's first state, its main-interpreter one, and
/// `Python::attach` with another state current would wait for the GIL the thread holds. So the
/// thread takes the GIL with its main state, attaches (which finds that state current), and
/// inside switches to `ts` and back: 3.11's interpreters share one GIL, which switching keeps.
#[cfg(not(Py_3_12))]
fn attached<R>(ts: *mut ffi::PyThreadState, f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    // SAFETY: the main interpreter exists while Python is initialized.
    let main_ts = state_for(InterpState(unsafe { ffi::PyInterpreterState_Main() }));
    // SAFETY: `main_ts` belongs to this thread and is not current; the thread holds no GIL.
    unsafe { ffi::PyEval_RestoreThread(main_ts) };
    let _release = Release;
    Python::attach(|py| {
        if ts == main_ts {
            return f(py);
        }
        // SAFETY: the (one) GIL is held with this thread's main state; `ts` is its own.
        unsafe { ffi::PyThreadState_Swap(ts) };
        let _back = SwapBack(main_ts);
        f(py)
    })
}

/// Makes `ts`, the first thread state of an interpreter just made on this thread and current,
/// this thread's state for that interpreter, and returns the interpreter. Call holding its GIL.
pub(super) fn adopt_first_state(ts: *mut ffi::PyThreadState) -> InterpState {
    // SAFETY: `ts` is current, with its interpreter's GIL: the current interpreter is its own.
    let interp = InterpState(unsafe { ffi::PyInterpreterState_Get() });
    remember(interp, ts);
    interp
}

/// The current thread state, for a caller about to switch away from it and back
/// ([`SwapBack`]). Call holding a GIL.
pub(super) fn this_thread_state(_py: Python<'_>) -> *mut ffi::PyThreadState {
    // SAFETY: the GIL is held (the token proves it), so there is a current thread state.
    unsafe { ffi::PyThreadState_Get() }
}

/// An interpreter with its own GIL was made (for [`Closing::finalize`]).
pub(super) fn note_own_gil() {
    OWN_GIL_MADE.store(true, SeqCst);
}

/// Runs `f` without the GIL when this thread holds it with one of its own states (httpd code
/// called from a native function that did not release it, such as a Python filter run while a
/// handler's call reads the body), and takes it back afterwards; otherwise just runs `f`.
/// Used around `interpreters::get`, which may wait for another thread making an
/// interpreter, and that thread for the GIL.
pub fn released<R>(f: impl FnOnce() -> R) -> R {
    let current = current_thread_state();
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

// ---- The end of Python at child exit ----

/// Python runs; entries are allowed.
const OPEN: u8 = 0;
/// A thread is deciding whether Python can be finalized: new entries wait for the decision.
const CLOSING: u8 = 1;
/// Python has been (or is being) finalized: entries are refused.
const FINALIZED: u8 = 2;

static PHASE: AtomicU8 = AtomicU8::new(OPEN);
/// Threads inside [`try_with_interp`] (each counted once however deeply it nests).
static INSIDE: AtomicUsize = AtomicUsize::new(0);
/// Signalled when `PHASE` leaves `CLOSING`.
static DECIDED: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());
/// Every thread state mod_python made or adopted, of every thread, by interpreter: those of
/// threads that have exited stay in their interpreter until it ends, and must be deleted
/// before it can. (Addresses as `usize`, only compared and handed back to CPython.)
static OURS: Mutex<Vec<(InterpState, usize)>> = Mutex::new(Vec::new());
static REFUSAL_LOGGED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// How deeply this thread is inside `try_with_interp`.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// This thread is the one ending Python: its own entries are refused.
    static CLOSER: Cell<bool> = const { Cell::new(false) };
}

/// Longest a thread entering Python waits for a closing thread's decision (the closing
/// thread's own waits are shorter).
const DECISION_WAIT: Duration = Duration::from_secs(10);

/// This thread's count in `INSIDE`, given back on drop.
struct Inside;

impl Inside {
    fn enter() -> Option<Inside> {
        let depth = DEPTH.with(Cell::get);
        if depth > 0 {
            // Already counted: Python cannot be finalized while this thread is inside it.
            DEPTH.with(|d| d.set(depth + 1));
            return Some(Inside);
        }
        if CLOSER.with(Cell::get) {
            return refuse();
        }
        // Read only when Python is closing: entering is on every request's path.
        let mut give_up = None;
        loop {
            // Counted first, then the phase read (both SeqCst): either the closing thread sees
            // this count, or this thread sees the phase it set.
            INSIDE.fetch_add(1, SeqCst);
            match PHASE.load(SeqCst) {
                OPEN => {
                    DEPTH.with(|d| d.set(1));
                    return Some(Inside);
                }
                FINALIZED => {
                    INSIDE.fetch_sub(1, SeqCst);
                    return refuse();
                }
                _ => {
                    INSIDE.fetch_sub(1, SeqCst);
                    let until = *give_up.get_or_insert_with(|| Instant::now() + DECISION_WAIT);
                    if !wait_for_decision(until) {
                        return refuse();
                    }
                }
            }
        }
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let depth = DEPTH.with(Cell::get) - 1;
        DEPTH.with(|d| d.set(depth));
        if depth == 0 {
            INSIDE.fetch_sub(1, SeqCst);
        }
    }
}

fn refuse<T>() -> Option<T> {
    if !REFUSAL_LOGGED.swap(true, SeqCst) {
        log(
            Level::Info,
            "mod_python: Python has been finalized (the child is exiting): a late call into it is skipped",
        );
    }
    None
}

/// Waits until `PHASE` is no longer `CLOSING`, at most until `give_up`; whether it left it.
fn wait_for_decision(give_up: Instant) -> bool {
    let (lock, cond) = &DECIDED;
    let mut guard = lock.lock().unwrap_or_else(|e| e.into_inner());
    while PHASE.load(SeqCst) == CLOSING {
        let now = Instant::now();
        if now >= give_up {
            return false;
        }
        guard = cond
            .wait_timeout(guard, give_up - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    true
}

fn set_phase(phase: u8) {
    let (lock, cond) = &DECIDED;
    let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
    PHASE.store(phase, SeqCst);
    cond.notify_all();
}

/// Why Python cannot be finalized now.
#[derive(Debug)]
pub enum Busy {
    /// The exiting thread is itself inside Python (prefork runs the child's cleanups from its
    /// SIGTERM handler, which can interrupt a handler).
    ThisThread,
    /// Threads still inside Python after the wait.
    Threads(usize),
    /// Python is already finalized or being closed.
    Closed,
}

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Busy::ThisThread => write!(
                f,
                "the child exits from a signal that interrupted Python (a request in progress)"
            ),
            Busy::Threads(n) => write!(f, "{n} worker thread(s) still inside Python"),
            Busy::Closed => write!(f, "Python is already finalized"),
        }
    }
}

/// Starts ending Python: new entries wait, and this waits up to `wait` for every thread inside
/// Python to leave it. `Err` (entries allowed again) when some are still inside.
pub fn begin_close(wait: Duration) -> Result<Closing, Busy> {
    if DEPTH.with(Cell::get) > 0 {
        return Err(Busy::ThisThread);
    }
    let current = current_thread_state();
    // SAFETY: reads thread-specific storage of the initialized runtime; no GIL needed.
    let gilstate = unsafe { ffi::PyGILState_GetThisThreadState() };
    if !current.is_null() && (is_mine(current) || current == gilstate) {
        // This thread holds the GIL outside `with_interp` (Python starting in child_init).
        return Err(Busy::ThisThread);
    }
    if PHASE
        .compare_exchange(OPEN, CLOSING, SeqCst, SeqCst)
        .is_err()
    {
        return Err(Busy::Closed);
    }
    let deadline = Instant::now() + wait;
    loop {
        let inside = INSIDE.load(SeqCst);
        if inside == 0 {
            break;
        }
        if Instant::now() >= deadline {
            set_phase(OPEN);
            return Err(Busy::Threads(inside));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    CLOSER.with(|c| c.set(true));
    Ok(Closing { open: true })
}

/// No other mod_python thread is inside Python, and none can enter: Python can be looked at
/// and then finalized. Dropped without [`Closing::finalize`], entries are allowed again.
pub struct Closing {
    open: bool,
}

impl Closing {
    /// Runs `f` holding the GIL in `interp` (entries of other threads stay held back).
    pub fn run<R>(&self, interp: InterpState, f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
        enter(interp, f)
    }

    /// Thread states in `interp` that are not mod_python's: Python threads still there
    /// (daemon threads, or threads started without `threading`), which would make
    /// `Py_EndInterpreter` abort the process. Call inside [`Closing::run`] for `interp`.
    pub fn foreign_threads(&self, _py: Python<'_>, interp: InterpState) -> usize {
        let ours = OURS.lock().unwrap_or_else(|e| e.into_inner());
        let mut count = 0;
        // SAFETY: the GIL is held (the token proves it): the interpreter's list of thread
        // states does not change while it is walked.
        let mut ts = unsafe { ffi::PyInterpreterState_ThreadHead(interp.0) };
        while !ts.is_null() {
            if !ours.iter().any(|(i, t)| *i == interp && *t == ts as usize) {
                count += 1;
            }
            // SAFETY: as above; `ts` is a live member of the list.
            ts = unsafe { ffi::PyThreadState_Next(ts) };
        }
        count
    }

    /// Ends every sub-interpreter of `subs` (in that order) with `Py_EndInterpreter`, then the
    /// main interpreter with `Py_FinalizeEx`. In each, `last_words` runs first (atexit
    /// functions, flushing output). From the start of this call every entry into Python is
    /// refused, for good. `Err` says why finalization stopped part-way (Python then stays as
    /// it is, unused).
    ///
    /// In each interpreter the order is: take its GIL with this thread's state for it, run
    /// `last_words` counted by pyo3, then delete the states other (exited) threads left there,
    /// then end it. Deleting a state that was `PyGILState`'s on its own thread also clears this
    /// thread's `PyGILState` binding (CPython assumes a state is deleted by its thread), after
    /// which pyo3's `attach` would make a fresh state and hang (3.12) or abort (3.13); making a
    /// state current again binds it anew, so each interpreter's pyo3 code runs before its
    /// deletions.
    pub fn finalize(
        mut self,
        subs: &[InterpState],
        main: InterpState,
        mut last_words: impl for<'py> FnMut(Python<'py>, InterpState),
    ) -> Result<Finalized, String> {
        self.open = false;
        set_phase(FINALIZED);
        for &sub in subs {
            let ts = state_for(sub);
            attached(ts, |py| last_words(py, sub));
            take_again(ts);
            delete_other_states(sub, ts);
            // SAFETY: the GIL of `sub` is held with `ts`; the token is only the proof of it.
            if self.foreign_threads(unsafe { Python::assume_attached() }, sub) > 0 {
                drop(Release);
                return Err("a thread was started in a sub-interpreter at exit".into());
            }
            // SAFETY: `ts` is current, holds the GIL, has no frame running (this thread is
            // not inside Python) and is now the interpreter's only thread state.
            unsafe { ffi::Py_EndInterpreter(ts) };
            after_end();
            forget(sub);
        }
        let main_ts = state_for(main);
        // SAFETY: `main_ts` is this thread's state, not current, and it holds no GIL (every
        // sub-interpreter was left without one).
        unsafe { ffi::PyEval_RestoreThread(main_ts) };
        Python::attach(|py| last_words(py, main));
        if let Some(why) = finalizing_would_crash() {
            drop(Release);
            return Ok(Finalized::MainKept(why));
        }
        // SAFETY: called with the GIL held in the main interpreter, every sub-interpreter
        // ended, no other mod_python thread inside Python or able to enter it; nothing calls
        // into Python afterwards (PHASE is FINALIZED).
        Ok(Finalized::Ended(unsafe { ffi::Py_FinalizeEx() }))
    }
}

/// How [`Closing::finalize`] ended Python.
pub enum Finalized {
    /// `Py_FinalizeEx` ran, and returned this (0, or -1 when output could not be flushed).
    Ended(c_int),
    /// Every sub-interpreter was ended and the main interpreter's last words ran, but it was
    /// not finalized, for this reason.
    MainKept(&'static str),
}

/// Takes `ts`'s GIL again after [`attached`] released it, without pyo3 (nothing of pyo3 runs
/// until the interpreter ends).
fn take_again(ts: *mut ffi::PyThreadState) {
    #[cfg(not(Py_3_12))]
    {
        // SAFETY: the main interpreter exists while Python is initialized.
        let main_ts = state_for(InterpState(unsafe { ffi::PyInterpreterState_Main() }));
        // SAFETY: both are this thread's states, neither current; 3.11's one GIL is taken
        // with the main state (as `attached` does), then kept by the switch.
        unsafe {
            ffi::PyEval_RestoreThread(main_ts);
            ffi::PyThreadState_Swap(ts);
        }
    }
    #[cfg(Py_3_12)]
    // SAFETY: `ts` is this thread's state, not current; the thread holds no GIL.
    unsafe {
        ffi::PyEval_RestoreThread(ts)
    };
}

/// Leaves no GIL held after `Py_EndInterpreter`: 3.12 and later hold none afterwards (for an
/// own-GIL and a shared-GIL interpreter alike); 3.11 still holds its one GIL, with no current
/// state, which this thread's main state gives back.
fn after_end() {
    #[cfg(not(Py_3_12))]
    {
        // SAFETY: the main interpreter exists while Python is initialized.
        let main_ts = state_for(InterpState(unsafe { ffi::PyInterpreterState_Main() }));
        // SAFETY: the GIL is held with no current state; `main_ts` is this thread's own.
        unsafe {
            ffi::PyThreadState_Swap(main_ts);
            ffi::PyEval_SaveThread();
        }
    }
}

/// Why `Py_FinalizeEx` must not run in this process, if it must not: CPython 3.12.1 aborts in
/// it (`free(): invalid pointer`) once an own-GIL interpreter imported `_asyncio` (or
/// `hashlib` and its kin) and was ended; 3.13 does not (docs/src/interpreters.md).
fn finalizing_would_crash() -> Option<&'static str> {
    let affected = cfg!(all(Py_3_12, not(Py_3_13)));
    (affected && OWN_GIL_MADE.load(SeqCst))
        .then_some("CPython 3.12 can crash finalizing a process that had an own-GIL interpreter")
}

/// An interpreter with its own GIL was made in this process.
static OWN_GIL_MADE: AtomicBool = AtomicBool::new(false);

impl Drop for Closing {
    fn drop(&mut self) {
        CLOSER.with(|c| c.set(false));
        if self.open {
            set_phase(OPEN);
        }
    }
}

/// Deletes the thread states of `interp` mod_python made for other threads (exited workers,
/// or threads that will never enter Python again), keeping `keep`. Call holding the GIL.
fn delete_other_states(interp: InterpState, keep: *mut ffi::PyThreadState) {
    let mut ours = OURS.lock().unwrap_or_else(|e| e.into_inner());
    ours.retain(|&(i, t)| {
        if i != interp || t == keep as usize {
            return true;
        }
        let ts = t as *mut ffi::PyThreadState;
        // SAFETY: the GIL is held; `ts` is a thread state of `interp` made by mod_python,
        // not current, and its thread is not inside Python (no mod_python thread is) and
        // will never use it again (entries are refused from now on).
        unsafe {
            ffi::PyThreadState_Clear(ts);
            ffi::PyThreadState_Delete(ts);
        }
        false
    });
}

/// Drops every record of `interp`'s thread states (it has been ended).
fn forget(interp: InterpState) {
    OURS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|(i, _)| *i != interp);
    STATES.with(|s| s.borrow_mut().retain(|(i, _)| *i != interp));
}

/// Ends the process with `_exit(0)` if it is still alive `limit` after this was made, unless
/// dropped before: the last bound on a child's exit (an atexit function or a thread's join
/// that never returns).
pub struct Watchdog(Option<mpsc::Sender<()>>);

impl Watchdog {
    pub fn start(limit: Duration) -> Watchdog {
        let (tx, rx) = mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("mod_python-exit".into())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                    log(
                        Level::Warning,
                        &format!(
                            "mod_python: Python's exit did not end within {} s; the child exits now",
                            limit.as_secs()
                        ),
                    );
                    unsafe extern "C" {
                        fn _exit(status: c_int) -> !;
                    }
                    // SAFETY: ends the process at once; nothing of it is used afterwards.
                    unsafe { _exit(0) };
                }
            });
        Watchdog(spawned.ok().map(|_| tx))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}
