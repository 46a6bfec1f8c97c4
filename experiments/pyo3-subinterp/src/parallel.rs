//! CPU-bound Python in two interpreters from two threads at once, calling a pyo3
//! `#[pyfunction]` on every iteration: pyo3's trampolines (its attach count, its panic trap)
//! run in both interpreters in parallel.

use crate::interp::{self, Interp};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyModule;
use std::time::Instant;

/// A plain function, as `_apache`'s are: it holds nothing of any interpreter.
#[pyfunction]
fn mix(i: u64) -> u64 {
    i.wrapping_mul(2_654_435_761) % 7
}

const WORK: &std::ffi::CStr = c"
def work(n):
    s = 0
    for i in range(n):
        s += native.mix(i)
    return s
";

/// The `native` module of one interpreter, made the way `_apache` is today (PyModule_New and
/// wrap_pyfunction!), and `work` defined over it.
fn setup(py: Python<'_>) {
    let run = || -> PyResult<()> {
        let m = PyModule::new(py, "native")?;
        m.add_function(wrap_pyfunction!(mix, &m)?)?;
        let main = py.import("__main__")?;
        main.setattr("native", &m)?;
        py.run(WORK, Some(&main.dict()), None)
    };
    if let Err(e) = run() {
        e.restore(py);
        // SAFETY: the GIL is held; prints and clears the error just restored.
        unsafe { ffi::PyErr_Print() };
        std::process::exit(1);
    }
}

struct Run {
    start: Instant,
    end: Instant,
    cpu: f64,
}

fn thread_cpu() -> f64 {
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut [i64; 2]) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = [0i64; 2];
    // SAFETY: writes the two fields of a timespec.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t[0] as f64 + t[1] as f64 / 1e9
}

fn run_work(interp: Interp, n: u64) -> Run {
    interp::enter(&interp, |py| {
        let work = py.import("__main__").and_then(|m| m.getattr("work"));
        let cpu = thread_cpu();
        let start = Instant::now();
        let done = work.and_then(|w| w.call1((n,)));
        let end = Instant::now();
        if let Err(e) = done {
            e.restore(py);
            // SAFETY: the GIL is held.
            unsafe { ffi::PyErr_Print() };
        }
        Run {
            start,
            end,
            cpu: thread_cpu() - cpu,
        }
    })
}

fn pair(interps: [Interp; 2], n: u64, at_once: bool) -> [Run; 2] {
    if at_once {
        let t: Vec<_> = interps
            .into_iter()
            .map(|i| std::thread::spawn(move || run_work(i, n)))
            .collect();
        let mut runs = t.into_iter().map(|h| h.join().unwrap());
        [runs.next().unwrap(), runs.next().unwrap()]
    } else {
        let a = std::thread::spawn(move || run_work(interps[0], n))
            .join()
            .unwrap();
        let b = std::thread::spawn(move || run_work(interps[1], n))
            .join()
            .unwrap();
        [a, b]
    }
}

fn wall(runs: &[Run; 2]) -> f64 {
    let first = runs[0].start.min(runs[1].start);
    let last = runs[0].end.max(runs[1].end);
    (last - first).as_secs_f64()
}

pub fn run(main_ts: *mut ffi::PyThreadState, n: u64) {
    for own in [false, true] {
        let interps = [
            interp::create(main_ts, own, setup),
            interp::create(main_ts, own, setup),
        ];
        let (mut serial, mut best, mut overlap, mut cpu) = (f64::MAX, f64::MAX, 0.0, 0.0);
        for _ in 0..5 {
            serial = serial.min(wall(&pair(interps, n, false)));
            let runs = pair(interps, n, true);
            let w = wall(&runs);
            if w < best {
                best = w;
                let lo = runs[0].start.max(runs[1].start);
                let hi = runs[0].end.min(runs[1].end);
                overlap = hi.saturating_duration_since(lo).as_secs_f64();
                cpu = runs[0].cpu + runs[1].cpu;
            }
        }
        println!(
            "{} GIL, two interpreters, pyo3 function in the loop: one after the other {serial:.3} s, \
             both at once {best:.3} s (speed-up {:.2}); at once: the runs overlap {overlap:.3} s, \
             CPU {cpu:.3} s = {:.2} cores",
            if own { "own   " } else { "shared" },
            serial / best,
            cpu / best
        );
        for i in interps.into_iter().rev() {
            interp::end(main_ts, i);
        }
    }
}
