//! A third-party extension built the usual pyo3 way (`#[pymodule]`, single-phase init: see
//! ../pyo3-ext) imported into the main interpreter, a shared-GIL sub-interpreter and an
//! own-GIL one: who refuses it, and with which message.

use crate::interp;
use pyo3::ffi;
use pyo3::prelude::*;

fn try_import(py: Python<'_>, dir: &str, label: &str) {
    let sys = py.import("sys").unwrap();
    sys.getattr("path")
        .unwrap()
        .call_method1("insert", (0, dir))
        .unwrap();
    match py.import("pyo3_ext") {
        Ok(m) => println!(
            "  {label}: imported; hello() = {:?}",
            m.call_method0("hello")
                .and_then(|s| s.extract::<String>())
                .unwrap_or_default()
        ),
        Err(e) => {
            println!("  {label}: REFUSED: {e}");
            drop(e.into_value(py).into_bound(py));
        }
    }
}

pub fn run(main_ts: *mut ffi::PyThreadState, dir: &str) {
    // SAFETY: main_ts is the main thread's state, not current.
    unsafe { ffi::PyEval_RestoreThread(main_ts) };
    // SAFETY: the main GIL is held with main_ts.
    try_import(
        unsafe { Python::assume_attached() },
        dir,
        "main interpreter",
    );
    // SAFETY: as above.
    unsafe { ffi::PyEval_SaveThread() };
    for own in [false, true] {
        let label = if own {
            "own-GIL sub-interpreter"
        } else {
            "shared-GIL sub-interpreter"
        };
        let dir = dir.to_string();
        let sub = interp::create(main_ts, own, move |py| try_import(py, &dir, label));
        interp::end(main_ts, sub);
    }
}
