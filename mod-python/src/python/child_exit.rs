//! The end of Python in a child: finalized as a Python program's end would finalize it when
//! that is safe, else atexit functions and a flush only (see `run`).

use crate::config::MAIN_INTERPRETER;
use crate::python::gil::{self, InterpState};
use crate::python::interpreters::{self as interp, Interp, describe, log_python_error};
use apache::core::logging::{Level, log};
use pyo3::prelude::*;
use std::time::Instant;

/// The child is exiting (its pool is being destroyed, after the MPM joined its workers):
/// Python is finalized when that is safe, as a Python program's end would: in every
/// sub-interpreter, then in the main one, non-daemon `threading` threads are joined, atexit
/// functions run, output is flushed, and the interpreter is ended (`Py_EndInterpreter`,
/// `Py_FinalizeEx`: module globals are released, `__del__` methods run). When a thread is still
/// inside Python (a worker the MPM gave up on; prefork's SIGTERM arriving during a handler),
/// or a Python thread would keep an interpreter from ending, only the atexit functions run and
/// output is flushed, as before, and the reason is logged. Every wait is bounded (the one for
/// Python threads is `thread_wait`, `PythonOption mod_python.exit_thread_wait`); afterwards
/// nothing calls into Python (see `gil::with_interp`).
pub fn run(thread_wait: std::time::Duration) {
    // What threads printed without ending the line is logged last, whatever happens here.
    let _flush = crate::python::output::FlushAllAtEnd;
    let Some(all) = interp::registered() else {
        log(
            Level::Notice,
            "mod_python: at child exit the interpreter registry is busy; Python is left as it is",
        );
        return;
    };
    if all.is_empty() {
        return;
    }
    let _watchdog = gil::Watchdog::start(EXIT_LIMIT);
    match gil::begin_close(WORKERS_WAIT) {
        Ok(closing) => finalize_all(closing, &all, thread_wait, Instant::now()),
        Err(busy) => {
            log(
                Level::Notice,
                &format!(
                    "mod_python: Python not finalized at child exit: {busy}; atexit functions run and output is flushed only"
                ),
            );
            for interp in all {
                gil::with_interp(interp.state, exit_functions);
            }
        }
    }
}

/// How long the exiting child waits for worker threads still inside Python to leave it.
const WORKERS_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
/// The longest the whole exit may take (httpd SIGKILLs children of a stopping server after
/// 9 s): past it the child ends at once.
const EXIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(8);

/// Runs the atexit functions and flushes sys.stdout and sys.stderr.
fn exit_functions(py: Python<'_>) {
    let run = || -> PyResult<()> {
        py.import("atexit")?.call_method0("_run_exitfuncs")?;
        let sys = py.import("sys")?;
        for stream in ["stdout", "stderr"] {
            if let Ok(s) = sys.getattr(stream) {
                if !s.is_none() {
                    let _ = s.call_method0("flush");
                }
            }
        }
        Ok(())
    };
    if let Err(e) = run() {
        log_python_error(py, "at child exit", &e);
    }
}

/// No other thread is inside Python: finalizes it unless a Python thread would keep it from
/// ending (then only the exit functions run).
fn finalize_all(
    closing: gil::Closing,
    all: &[&'static Interp],
    thread_wait: std::time::Duration,
    started: Instant,
) {
    let deadline = started + thread_wait;
    let mut obstacles = Vec::new();
    for interp in all {
        let found = closing.run(interp.state, |py| {
            interp.forget_handlers(py);
            let mut found = match wind_down_threads(py, deadline) {
                Ok(alive) => alive
                    .into_iter()
                    .map(|t| format!("thread {t:?} still running"))
                    .collect(),
                Err(e) => vec![format!("threading: {}", describe(py, &e))],
            };
            if interp.name != MAIN_INTERPRETER {
                let n = closing.foreign_threads(py, interp.state);
                if n > 0 {
                    found.push(format!("{n} daemon or non-threading thread(s)"));
                }
            }
            found
        });
        obstacles.extend(
            found
                .into_iter()
                .map(|f| format!("{f} in {:?}", interp.name)),
        );
    }
    if !obstacles.is_empty() {
        log(
            Level::Notice,
            &format!(
                "mod_python: Python not finalized at child exit: {}; atexit functions run and output is flushed only",
                obstacles.join(", ")
            ),
        );
        for interp in all {
            closing.run(interp.state, exit_functions);
        }
        return;
    }
    let Some(main) = all.iter().find(|i| i.name == MAIN_INTERPRETER) else {
        return;
    };
    let subs: Vec<InterpState> = all
        .iter()
        .rev()
        .filter(|i| i.name != MAIN_INTERPRETER)
        .map(|i| i.state)
        .collect();
    match closing.finalize(&subs, main.state, |py, _| exit_functions(py)) {
        Ok(gil::Finalized::Ended(0)) => log(
            Level::Debug,
            &format!(
                "mod_python: Python finalized ({} interpreter(s)) in {:.1} ms",
                all.len(),
                interp::ms(started.elapsed())
            ),
        ),
        Ok(gil::Finalized::Ended(code)) => log(
            Level::Info,
            &format!("mod_python: Py_FinalizeEx returned {code} (output could not be flushed)"),
        ),
        Ok(gil::Finalized::MainKept(why)) => log(
            Level::Info,
            &format!(
                "mod_python: sub-interpreters ended, the main interpreter not finalized ({why}); \
                 its atexit functions ran and output is flushed"
            ),
        ),
        Err(why) => log(
            Level::Notice,
            &format!("mod_python: Python finalization stopped part-way: {why}"),
        ),
    }
}

/// What CPython's exit does first in an interpreter, with bounded waits: runs `threading`'s
/// own exit callbacks (those of `concurrent.futures` executors, which stop their worker
/// threads), then joins non-daemon threads until `deadline`. Returns the names of those still
/// running.
fn wind_down_threads(py: Python<'_>, deadline: std::time::Instant) -> PyResult<Vec<String>> {
    let threading = py.import("threading")?;
    if let Ok(calls) = threading.getattr("_threading_atexits") {
        let list: Vec<Bound<'_, PyAny>> = calls.extract()?;
        calls.call_method0("clear")?;
        for f in list.iter().rev() {
            if let Err(e) = f.call0() {
                log_python_error(py, "at child exit", &e);
            }
        }
    }
    let main = threading.call_method0("main_thread")?;
    let me = threading.call_method0("current_thread")?;
    let mut alive = Vec::new();
    for t in threading.call_method0("enumerate")?.try_iter()? {
        let t = t?;
        if t.is(&main) || t.is(&me) || t.getattr("daemon")?.is_truthy()? {
            continue;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        t.call_method1("join", (left.as_secs_f64(),))?;
        if t.call_method0("is_alive")?.is_truthy()? {
            alive.push(t.getattr("name")?.extract()?);
        }
    }
    Ok(alive)
}
