//! Whether pyo3 counts a thread as attached when it entered an interpreter with raw CPython
//! calls, and what it does with a `Py<T>` or `PyErr` dropped there.
//!
//! pyo3 decides by its own per-thread count: `Python::attach` and its trampolines (a
//! `#[pyfunction]` called from Python) count; `Python::assume_attached` does not. A `Py<T>`
//! dropped while not counted goes to pyo3's process-wide deferred-decref pool, or, built with
//! `--cfg pyo3_disable_reference_pool` (as here), aborts the process.

use crate::interp::{self, Interp};
use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyList;

extern "C" {
    fn PyGILState_Check() -> i32;
}

/// Drops a second reference to a fresh list as `Py<T>`; whether the count fell at once.
fn drop_py_clone(py: Python<'_>) -> bool {
    let list: Py<PyAny> = PyList::empty(py).into_any().unbind();
    let extra = list.clone_ref(py);
    // SAFETY: list is alive; reads its reference count.
    let before = unsafe { ffi::Py_REFCNT(list.as_ptr()) };
    drop(extra);
    // SAFETY: as above.
    let after = unsafe { ffi::Py_REFCNT(list.as_ptr()) };
    // Released as Bound: a decref now, counted or not.
    drop(list.into_bound(py));
    after == before - 1
}

/// Python::attach on a worker thread that first made a main-interpreter state (what gil.rs
/// does so that PyGILState knows it) and then entered `sub` with a state of its own.
pub fn run(main_ts: *mut ffi::PyThreadState, own_gil: bool) {
    let sub = interp::create(main_ts, own_gil, |_| {});
    let sub_id = sub.id();
    std::thread::spawn(move || probe(sub, sub_id))
        .join()
        .unwrap();
    interp::end(main_ts, sub);
}

fn probe(sub: Interp, sub_id: i64) {
    // SAFETY: Python is initialized; no GIL is needed to make thread states.
    let (ts_main, ts_sub) = unsafe {
        (
            ffi::PyThreadState_New(ffi::PyInterpreterState_Main()),
            ffi::PyThreadState_New(sub.state),
        )
    };
    // SAFETY: ts_sub is this thread's and not current.
    unsafe { ffi::PyEval_RestoreThread(ts_sub) };
    // SAFETY: thread-specific storage of the runtime; no GIL needed.
    let known = unsafe { ffi::PyGILState_GetThisThreadState() };
    println!(
        "  in the sub-interpreter ({} GIL), PyGILState's state for this thread is {}; PyGILState_Check() = {}",
        if sub.own_gil { "own" } else { "shared" },
        if known == ts_sub {
            "the sub-interpreter's (it follows the state made current)"
        } else if known == ts_main {
            "the main interpreter's (the first one made)"
        } else {
            "another one"
        },
        // SAFETY: as above.
        unsafe { PyGILState_Check() }
    );
    let done = interp::watchdog(
        3,
        "Python::attach waits in PyGILState_Ensure for a GIL this thread holds",
    );
    let seen = Python::attach(|py| {
        let id = interp::current_id(py);
        let counted = drop_py_clone(py);
        // A PyErr dropped here: counted, its exception is released at once.
        drop(PyRuntimeError::new_err("dropped"));
        let e = py.import("no_such_module_anywhere").unwrap_err();
        drop(e);
        (id, counted)
    });
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    println!(
        "  Python::attach returned; inside it the current interpreter was {} and a dropped Py<T> was {}",
        if seen.0 == sub_id {
            "the sub-interpreter"
        } else {
            "the MAIN interpreter (attach switched to PyGILState's state)"
        },
        if seen.1 {
            "released at once (pyo3 counted the thread as attached)"
        } else {
            "not released"
        }
    );
    // SAFETY: ts_sub is current; clear and delete it (releasing the GIL), then the main one.
    unsafe {
        if ffi::PyGILState_GetThisThreadState() == ts_sub || seen.0 == sub_id {
            ffi::PyThreadState_Clear(ts_sub);
            ffi::PyThreadState_DeleteCurrent();
        } else {
            ffi::PyEval_SaveThread();
        }
        ffi::PyEval_RestoreThread(ts_main);
        ffi::PyThreadState_Clear(ts_main);
        ffi::PyThreadState_DeleteCurrent();
    }
}

/// Drops a `Py<T>` (`what` = "py") or a `PyErr` (`what` = "pyerr"), or lets pyo3 drop one
/// (`what` = "add": `PyModule::add_function`), inside a raw entry with
/// `assume_attached`, the way mod_python enters today: expected to abort the process when
/// built with `--cfg pyo3_disable_reference_pool`.
/// (3.11: a legacy sub-interpreter.)
pub fn drop_uncounted(main_ts: *mut ffi::PyThreadState, what: &str) {
    let sub = interp::create(main_ts, cfg!(Py_3_12), |_| {});
    let what = what.to_string();
    std::thread::spawn(move || {
        interp::enter_uncounted(&sub, |py| {
            if what == "add" {
                // What `_apache` does in each interpreter: a function added to a new module.
                println!("  PyModule::add_function on a new module inside an uncounted entry ...");
                use std::io::Write;
                let _ = std::io::stdout().flush();
                let m = pyo3::types::PyModule::new(py, "fresh").unwrap();
                let f = pyo3::types::PyCFunction::new_closure(py, None, None, |_, _| ()).unwrap();
                m.add_function(f).unwrap();
            } else if what == "pyerr" {
                let e = py.import("no_such_module_anywhere").unwrap_err();
                println!("  dropping a PyErr (a failed import) inside an uncounted entry ...");
                use std::io::Write;
                let _ = std::io::stdout().flush();
                drop(e);
            } else {
                println!("  dropping a Py<T> inside an uncounted entry ...");
                use std::io::Write;
                let _ = std::io::stdout().flush();
                let counted = drop_py_clone(py);
                println!(
                    "  ... it was {}",
                    if counted { "released" } else { "queued" }
                );
            }
            println!("  survived");
        })
    })
    .join()
    .unwrap();
}

/// The same drops inside [`interp::enter`], which pyo3 counts (3.12+: `Python::attach`;
/// 3.11: attached with the thread's main state, then swapped to the sub-interpreter's).
pub fn drop_counted(main_ts: *mut ffi::PyThreadState) {
    let sub = interp::create(main_ts, cfg!(Py_3_12), |_| {});
    let sub_id = sub.id();
    std::thread::spawn(move || {
        interp::enter(&sub, |py| {
            let in_sub = interp::current_id(py) == sub_id;
            let released = drop_py_clone(py);
            drop(py.import("no_such_module_anywhere").unwrap_err());
            println!(
                "  counted entry into the sub-interpreter: current interpreter is {}; a dropped Py<T> was {}; a dropped PyErr did not abort",
                if in_sub { "the sub-interpreter" } else { "WRONG" },
                if released { "released at once" } else { "not released" }
            );
        })
    })
    .join()
    .unwrap();
    // mod_python keeps a thread's state for its life: the same state, entered many times.
    #[cfg(Py_3_12)]
    std::thread::spawn(move || {
        let sub = sub;
        // SAFETY: a state of this thread, kept across entries and deleted at the end.
        let ts = unsafe { ffi::PyThreadState_New(sub.state) };
        for _ in 0..1000 {
            // SAFETY: ts is this thread's and not current.
            unsafe { ffi::PyEval_RestoreThread(ts) };
            Python::attach(|py| drop(py.import("no_such_module_anywhere").unwrap_err()));
            // SAFETY: ts is current.
            unsafe { ffi::PyEval_SaveThread() };
        }
        // SAFETY: ts is this thread's; still alive after 1000 PyGILState_Ensure/Release pairs.
        unsafe {
            ffi::PyEval_RestoreThread(ts);
            ffi::PyThreadState_Clear(ts);
            ffi::PyThreadState_DeleteCurrent();
        }
        println!(
            "  one long-lived thread state entered 1000 times with Python::attach: still alive"
        );
    })
    .join()
    .unwrap();
    interp::end(main_ts, sub);
}

/// A thread inside own-GIL interpreter A (counted) runs code of own-GIL interpreter B, as
/// mod_python does when a request pool's cleanup runs while a handler is inside Python:
/// PyThreadState_Swap to its state in B (3.12+: gives up A's GIL, takes B's), runs there
/// with the same token, drops objects of B, and swaps back.
#[cfg(Py_3_12)]
pub fn nested(main_ts: *mut ffi::PyThreadState) {
    let a = interp::create(main_ts, true, |_| {});
    let b = interp::create(main_ts, true, |_| {});
    let (a_id, b_id) = (a.id(), b.id());
    std::thread::spawn(move || {
        let (a, b) = (a, b);
        // SAFETY: this thread's states, made without a GIL.
        let (ts_a, ts_b) = unsafe { (ffi::PyThreadState_New(a.state), ffi::PyThreadState_New(b.state)) };
        for _ in 0..100 {
            // SAFETY: ts_a is this thread's, not current.
            unsafe { ffi::PyEval_RestoreThread(ts_a) };
            Python::attach(|py| {
                let outer = PyList::empty(py);
                // SAFETY: this thread holds A's GIL with ts_a; ts_b is its own state in B.
                unsafe { ffi::PyThreadState_Swap(ts_b) };
                let inner_id = interp::current_id(py);
                let released = drop_py_clone(py);
                drop(py.import("no_such_module_anywhere").unwrap_err());
                // SAFETY: back to A (gives up B's GIL, takes A's).
                unsafe { ffi::PyThreadState_Swap(ts_a) };
                assert_eq!(inner_id, b_id);
                assert!(released);
                assert_eq!(interp::current_id(py), a_id);
                outer.append(1).unwrap();
            });
            // SAFETY: ts_a is current.
            unsafe { ffi::PyEval_SaveThread() };
        }
        // SAFETY: delete both states, each under its interpreter's GIL.
        unsafe {
            ffi::PyEval_RestoreThread(ts_b);
            ffi::PyThreadState_Clear(ts_b);
            ffi::PyThreadState_DeleteCurrent();
            ffi::PyEval_RestoreThread(ts_a);
            ffi::PyThreadState_Clear(ts_a);
            ffi::PyThreadState_DeleteCurrent();
        }
        println!("  100 times: inside A (counted), swapped into B, dropped B's Py<T> and PyErr there (released at once), swapped back to A: no error");
    })
    .join()
    .unwrap();
    interp::end(main_ts, b);
    interp::end(main_ts, a);
}

/// What counting costs: one thread enters an own-GIL interpreter `n` times with its kept
/// state, as mod_python's `with_interp` does per hook, uncounted (`assume_attached`, today)
/// and counted (`Python::attach`, the design); nanoseconds per entry, best of 5 rounds.
#[cfg(Py_3_12)]
pub fn entry_cost(main_ts: *mut ffi::PyThreadState, n: u32) {
    let sub = interp::create(main_ts, true, |_| {});
    std::thread::spawn(move || {
        let sub = sub;
        // SAFETY: a state of this thread, kept for all entries, deleted at the end.
        let ts = unsafe { ffi::PyThreadState_New(sub.state) };
        let round = |counted: bool| {
            let start = std::time::Instant::now();
            for _ in 0..n {
                // SAFETY: ts is this thread's and not current.
                unsafe { ffi::PyEval_RestoreThread(ts) };
                if counted {
                    Python::attach(|py| {
                        std::hint::black_box(py);
                    });
                } else {
                    // SAFETY: the interpreter's GIL is held with ts.
                    std::hint::black_box(unsafe { Python::assume_attached() });
                }
                // SAFETY: ts is current.
                unsafe { ffi::PyEval_SaveThread() };
            }
            start.elapsed().as_nanos() as f64 / f64::from(n)
        };
        let best = |counted: bool| (0..5).map(|_| round(counted)).fold(f64::MAX, f64::min);
        let (uncounted, counted) = (best(false), best(true));
        println!(
            "  {n} entries: uncounted {uncounted:.0} ns each, counted (Python::attach) {counted:.0} ns each, {:+.0} ns",
            counted - uncounted
        );
        // SAFETY: ts is this thread's, not current.
        unsafe {
            ffi::PyEval_RestoreThread(ts);
            ffi::PyThreadState_Clear(ts);
            ffi::PyThreadState_DeleteCurrent();
        }
    })
    .join()
    .unwrap();
    interp::end(main_ts, sub);
}
