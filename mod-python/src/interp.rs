//! The embedded CPython: started once per child, with named interpreters made on demand.
//!
//! As in mod_python 3.5, handlers run in an interpreter chosen by name (by default the virtual
//! host's server name; see [`crate::config::interpreter_name`]). `main_interpreter` is
//! Python's main interpreter; any other name gets a sub-interpreter of its own, with its own
//! `sys.modules`, made the first time a request (or `PythonImport`) names it, and kept for the
//! life of the child. Each interpreter gets its own `mod_python._apache` module and its own
//! Python classes for the objects handlers see (see `native.rs`).

use crate::config::{HandlerSpec, Phase, PhaseSettings};
use crate::gil::{self, InterpState};
use apache::logging::{log, Level};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule};
use std::ffi::CString;
use std::os::raw::c_int;
use std::sync::{Mutex, OnceLock, RwLock};

/// The name of Python's main interpreter.
pub const MAIN_INTERPRETER: &str = "main_interpreter";

const BOOTSTRAP: &str = include_str!("../python/bootstrap.py");
const OBJECTS: &str = include_str!("../python/apache_objects.py");
const FILTER_OBJECTS: &str = include_str!("../python/filter_objects.py");

/// The mod_python package, compiled in: (module name, source, is a package), one entry per
/// file of `python/mod_python` (listed by build.rs).
const SOURCES: &[(&str, &str, bool)] = include!(concat!(env!("OUT_DIR"), "/package_sources.rs"));

/// One interpreter and what mod_python calls in it.
pub struct Interp {
    pub name: String,
    pub state: InterpState,
    /// Runs the handlers of a phase.
    dispatcher: crate::dispatch::Dispatcher,
    /// `mod_python.apache._run_imports`.
    run_imports: Py<PyAny>,
    /// `_apache.mp_request`.
    request_class: Py<PyAny>,
}

impl Interp {
    /// A new request object for the request `id`; call holding the GIL in this interpreter.
    pub fn new_request<'py>(&self, py: Python<'py>, id: usize) -> PyResult<Bound<'py, PyAny>> {
        let obj = self.request_class.bind(py).call0()?;
        obj.setattr(pyo3::intern!(py, "_h"), id)?;
        Ok(obj)
    }
}

/// Every interpreter of this process, made once and never destroyed.
static INTERPRETERS: RwLock<Vec<&'static Interp>> = RwLock::new(Vec::new());
/// Held while a sub-interpreter is made, so that a name gets only one.
static CREATING: Mutex<()> = Mutex::new(());
static MAIN: OnceLock<&'static Interp> = OnceLock::new();

fn find(name: &str) -> Option<&'static Interp> {
    let all = INTERPRETERS.read().unwrap_or_else(|e| e.into_inner());
    all.iter().copied().find(|i| i.name == name)
}

fn publish(interp: Interp) -> &'static Interp {
    let interp: &'static Interp = Box::leak(Box::new(interp));
    INTERPRETERS
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push(interp);
    interp
}

/// The interpreter named `name`, made now if it does not exist yet; `None` (the error logged)
/// when Python is not running or the interpreter could not be made.
pub fn get(name: &str) -> Option<&'static Interp> {
    if let Some(i) = find(name) {
        return Some(i);
    }
    let main = MAIN.get().copied()?;
    if name == MAIN_INTERPRETER {
        return Some(main);
    }
    // Lock order: CREATING, then the GIL; no thread holding the GIL waits for CREATING.
    let _creating = CREATING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = find(name) {
        return Some(i);
    }
    let made = gil::with_interp(main.state, |py| {
        gil::new_interpreter(py, |py, state| {
            setup(py, name, state).map_err(|e| describe(py, &e))
        })
    });
    match made {
        Some(Ok(interp)) => Some(publish(interp)),
        Some(Err(e)) => {
            log(
                Level::Error,
                &format!("mod_python: could not start interpreter {name:?}: {e}"),
            );
            None
        }
        None => {
            log(
                Level::Error,
                &format!("mod_python: Python could not make interpreter {name:?}"),
            );
            None
        }
    }
}

/// A `PythonImport module[::function] interpreter`, with its server's `PythonPath`.
pub struct Import {
    pub module: String,
    pub interpreter: String,
    pub python_path: Option<String>,
}

/// Starts Python in this child, then runs the `PythonImport`s in the interpreters they name,
/// in order. pyo3 releases the GIL after initializing, so threads of a threaded MPM can take
/// turns.
pub fn start(imports: &[Import]) {
    Python::initialize();
    let main = Python::attach(|py| {
        let state = gil::current_interpreter(py);
        setup(py, MAIN_INTERPRETER, state).map_err(|e| describe(py, &e))
    });
    match main {
        Ok(interp) => {
            let _ = MAIN.set(publish(interp));
        }
        Err(e) => {
            log(
                Level::Error,
                &format!("mod_python: could not start Python: {e}"),
            );
            return;
        }
    }
    for import in imports {
        let Some(interp) = get(&import.interpreter) else {
            continue;
        };
        gil::with_interp(interp.state, |py| {
            let args = (&import.module, import.python_path.as_deref());
            if let Err(e) = interp.run_imports.bind(py).call1(args) {
                log_python_error(py, "PythonImport", &e);
            }
        });
    }
}

fn setup(py: Python<'_>, name: &str, state: InterpState) -> PyResult<Interp> {
    let sys = py.import("sys")?;
    // Libraries that read sys.argv expect it to exist, as under the C module.
    sys.setattr("argv", vec!["mod_python"])?;
    let native = crate::native::module(py, name)?;
    let code = CString::new(OBJECTS).expect("no NUL in apache_objects.py");
    let globals = native.dict();
    globals.set_item("__builtins__", py.import("builtins")?)?;
    py.run(&code, Some(&globals), None)?;
    let code = CString::new(FILTER_OBJECTS).expect("no NUL in filter_objects.py");
    py.run(&code, Some(&globals), None)?;
    sys.getattr("modules")?
        .set_item("mod_python._apache", &native)?;
    let code = CString::new(BOOTSTRAP).expect("no NUL in bootstrap.py");
    let boot = PyModule::from_code(
        py,
        &code,
        c"<mod_python.so>/bootstrap.py",
        c"_mod_python_bootstrap",
    )?;
    let sources = PyDict::new(py);
    for (module, source, is_package) in SOURCES {
        sources.set_item(module, (source, is_package))?;
    }
    boot.call_method1("install", (sources,))?;
    let apache = py.import("mod_python.apache")?;
    let request_class = native.getattr("mp_request")?;
    request_class.setattr("interpreter", name)?;
    Ok(Interp {
        name: name.to_string(),
        state,
        dispatcher: crate::dispatch::Dispatcher::new(py, &apache)?,
        run_imports: apache.getattr("_run_imports")?.unbind(),
        request_class: request_class.unbind(),
    })
}

/// The child is exiting (its pool is being destroyed, after the MPM joined its workers):
/// Python is finalized when that is safe, as a Python program's end would: in every
/// sub-interpreter, then in the main one, non-daemon `threading` threads are joined, atexit
/// functions run, output is flushed, and the interpreter is ended (`Py_EndInterpreter`,
/// `Py_FinalizeEx`: module globals are released, `__del__` methods run). When a thread is still
/// inside Python (a worker the MPM gave up on; prefork's SIGTERM arriving during a handler),
/// or a Python thread would keep an interpreter from ending, only the atexit functions run and
/// output is flushed, as before, and the reason is logged. Every wait is bounded; afterwards
/// nothing calls into Python (see `gil::with_interp`).
pub fn child_exit() {
    let Some(all) = exit_interpreters() else {
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
        Ok(closing) => finalize_all(closing, &all),
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

/// A Python exception with its traceback, as text for the error_log.
pub fn describe(py: Python<'_>, e: &PyErr) -> String {
    let formatted = (|| -> PyResult<String> {
        let tb = py.import("traceback")?;
        let lines = tb.call_method1("format_exception", (e.clone_ref(py),))?;
        Ok(lines.extract::<Vec<String>>()?.concat())
    })();
    formatted.unwrap_or_else(|_| e.to_string())
}

pub fn log_python_error(py: Python<'_>, when: &str, e: &PyErr) {
    log(
        Level::Error,
        &format!("mod_python: {when}: {}", describe(py, e)),
    );
}

/// Runs the handlers of `phase` for the lent request in `interp`; returns the status for
/// httpd. `last`: no Python phase of this request follows in this interpreter, so its
/// request object can be retired in the same hold of the GIL.
pub fn dispatch(
    interp: &'static Interp,
    phase: Phase,
    handlers: &[HandlerSpec],
    conf: &PhaseSettings,
    last: bool,
) -> c_int {
    gil::with_interp(interp.state, |py| {
        let run = || -> PyResult<c_int> {
            let req = crate::reqobj::object_for(py, interp)?;
            let result = interp.dispatcher.run(py, &req, phase, handlers, conf)?;
            if last {
                crate::reqobj::retire(py, &req, interp);
            }
            Ok(result)
        };
        run().unwrap_or_else(|e| {
            log_python_error(py, phase.directive(), &e);
            500
        })
    })
}

// ---- Child exit helpers ----

/// How long the exiting child waits for worker threads still inside Python to leave it.
const WORKERS_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
/// How long it waits, in all, for non-daemon Python threads to end.
const THREADS_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
/// The longest the whole exit may take (httpd SIGKILLs children of a stopping server after
/// 9 s): past it the child ends at once.
const EXIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(8);

/// The interpreters, main first then in order of creation; `None` when the registry stays
/// locked (prefork's SIGTERM handler interrupted the thread adding to it).
fn exit_interpreters() -> Option<Vec<&'static Interp>> {
    for _ in 0..20 {
        match INTERPRETERS.try_read() {
            Ok(all) => return Some(all.clone()),
            Err(std::sync::TryLockError::Poisoned(e)) => return Some(e.into_inner().clone()),
            Err(std::sync::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
        }
    }
    None
}

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
fn finalize_all(closing: gil::Closing, all: &[&'static Interp]) {
    let deadline = std::time::Instant::now() + THREADS_WAIT;
    let mut obstacles = Vec::new();
    for interp in all {
        let found = closing.run(interp.state, |py| {
            interp.dispatcher.forget(py);
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
        Ok(0) => log(
            Level::Debug,
            &format!(
                "mod_python: Python finalized ({} interpreter(s))",
                all.len()
            ),
        ),
        Ok(code) => log(
            Level::Info,
            &format!("mod_python: Py_FinalizeEx returned {code} (output could not be flushed)"),
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
