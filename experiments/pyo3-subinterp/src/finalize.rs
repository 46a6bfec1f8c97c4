//! The end of Python at child exit with own-GIL interpreters: worker threads that entered
//! the main interpreter, an own-GIL one and a shared-GIL one have exited and left their
//! thread states behind (as httpd's workers do); the exiting thread deletes them from each
//! interpreter holding that interpreter's GIL, ends each sub-interpreter with its own state,
//! then finalizes the main one.

use crate::interp::{self, Interp};
use pyo3::ffi;
use pyo3::prelude::*;
use std::ffi::CString;

/// A worker's states, left behind when it exits (addresses).
struct Left {
    main: usize,
    subs: Vec<(usize, usize)>, // (interpreter, state)
}

/// A worker: its main-interpreter state first (so PyGILState knows it), then a state in
/// each sub-interpreter, each entered once (counted); it exits without deleting them.
fn worker(subs: Vec<Interp>, code: &'static str) -> Left {
    // SAFETY: no GIL needed to make thread states of this thread.
    let main = unsafe { ffi::PyThreadState_New(ffi::PyInterpreterState_Main()) };
    let mut left = Left {
        main: main as usize,
        subs: Vec::new(),
    };
    for sub in subs {
        // SAFETY: as above.
        let ts = unsafe { ffi::PyThreadState_New(sub.state) };
        // SAFETY: ts is this thread's, not current.
        unsafe { ffi::PyEval_RestoreThread(ts) };
        Python::attach(|py| {
            let code = CString::new(code).unwrap();
            if let Err(e) = py.run(&code, None, None) {
                println!("  worker: {e}");
            }
        });
        // SAFETY: ts is current; releases its interpreter's GIL.
        unsafe { ffi::PyEval_SaveThread() };
        left.subs.push((sub.state as usize, ts as usize));
    }
    left
}

/// Deletes the states `left` has in `interp`; call holding that interpreter's GIL.
fn delete_left(interp: *mut ffi::PyInterpreterState, left: &[Left]) -> usize {
    let mut n = 0;
    for l in left {
        for &(i, ts) in &l.subs {
            if i == interp as usize {
                // SAFETY: the GIL of `interp` is held; the state's thread has exited.
                unsafe {
                    ffi::PyThreadState_Clear(ts as *mut _);
                    ffi::PyThreadState_Delete(ts as *mut _);
                }
                n += 1;
            }
        }
    }
    n
}

pub fn run(main_ts: *mut ffi::PyThreadState, code: &'static str) {
    let own = interp::create(main_ts, true, |_| {});
    let shared = interp::create(main_ts, false, |_| {});
    let left: Vec<Left> = (0..2)
        .map(|_| {
            std::thread::spawn(move || worker(vec![own, shared], code))
                .join()
                .unwrap()
        })
        .collect();
    println!(
        "  two workers ran {code:?} in both sub-interpreters and exited, leaving their states"
    );
    let wrong_order = std::env::var_os("WRONG_ORDER").is_some();
    for sub in [shared, own] {
        // The closing thread takes the sub-interpreter's GIL with its own state for it.
        // SAFETY: `first` is this thread's state for `sub`; no GIL is held before.
        unsafe { ffi::PyEval_RestoreThread(sub.first) };
        // Deleting a state another thread left behind also clears *this* thread's
        // PyGILState binding when that state was the one bound on its own thread (CPython
        // assumes a state is deleted on its thread): a Python::attach afterwards would make
        // a new main-interpreter state. So pyo3 runs first, the deletions come last.
        let mut n = 0;
        if wrong_order {
            n = delete_left(sub.state, &left);
        }
        Python::attach(|py| {
            let _ = py.run(c"import atexit; atexit._run_exitfuncs()", None, None);
        });
        if !wrong_order {
            n = delete_left(sub.state, &left);
        }
        // SAFETY: `first` is current with the sub-interpreter's GIL and is now its only
        // state; afterwards no GIL is held (3.12, 3.13).
        unsafe { ffi::Py_EndInterpreter(sub.first) };
        println!(
            "  {} GIL interpreter: atexit run, {n} states left by exited workers deleted, ended",
            if sub.own_gil { "own   " } else { "shared" }
        );
    }
    // SAFETY: main_ts is this thread's; then the workers' main states are deleted under the
    // main GIL, and main_ts is released for main.rs to finalize.
    unsafe {
        ffi::PyEval_RestoreThread(main_ts);
        for l in &left {
            ffi::PyThreadState_Clear(l.main as *mut _);
            ffi::PyThreadState_Delete(l.main as *mut _);
        }
        ffi::PyEval_SaveThread();
    }
    println!("  the workers' main-interpreter states deleted; finalizing the main interpreter:");
}
