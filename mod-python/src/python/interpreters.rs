//! The embedded CPython: started once per child, with named interpreters made on demand.
//!
//! As in mod_python 3.5, handlers run in an interpreter chosen by name (by default the virtual
//! host's server name; see [`DirConf::interpreter_name`](crate::config::DirConf::interpreter_name)).
//! `main_interpreter` is Python's main interpreter; any other name gets a sub-interpreter of
//! its own, with its own `sys.modules`, made the first time a request (or `PythonImport`)
//! names it, and kept for the life of the child. Each interpreter gets its own
//! `mod_python._apache` module (made by the function given to [`start`]) and so its own Python
//! classes for the objects handlers see (`mod_python._request` and its kin).

use super::dispatch::Dispatcher;
use super::gil::{self, InterpState};
use super::subinterpreter;
use crate::config::{Gil, GilSetting, MAIN_INTERPRETER};
use apache::core::logging::{Level, log};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyModule, PyString};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

/// One interpreter and what mod_python calls in it.
pub struct Interp {
    pub name: String,
    pub state: InterpState,
    /// Runs the handlers of a phase.
    dispatcher: Dispatcher,
    /// `mod_python.apache._run_imports`.
    run_imports: Py<PyAny>,
    /// `mod_python._request.mp_request`, this interpreter's own.
    request_class: Py<PyAny>,
    /// The attribute names of a request object mod_python uses, interned in this interpreter
    /// (an interned name of one interpreter must not be used in another).
    names: RequestNames,
}

/// Names of `mp_request`'s attributes, as one interpreter interned them.
pub struct RequestNames {
    /// `_h`: the handle of the request (0 once it has ended).
    pub handle: Py<PyString>,
    /// `_cleanups`: what `req.register_cleanup` registered.
    pub cleanups: Py<PyString>,
}

impl RequestNames {
    fn new(py: Python<'_>) -> RequestNames {
        RequestNames {
            handle: PyString::intern(py, "_h").unbind(),
            cleanups: PyString::intern(py, "_cleanups").unbind(),
        }
    }
}

impl Interp {
    /// A new request object for the request `id`; call holding the GIL in this interpreter.
    pub fn new_request<'py>(&self, py: Python<'py>, id: usize) -> PyResult<Bound<'py, PyAny>> {
        let obj = self.request_class.bind(py).call0()?;
        obj.setattr(self.names.handle.bind(py), id)?;
        Ok(obj)
    }

    /// The request object's attribute names in this interpreter; call holding its GIL.
    pub fn request_names(&self) -> &RequestNames {
        &self.names
    }
}

/// Every interpreter of this process, made once and never destroyed.
static INTERPRETERS: RwLock<Vec<&'static Interp>> = RwLock::new(Vec::new());
/// Held while a sub-interpreter is made, so that a name gets only one.
static CREATING: Mutex<()> = Mutex::new(());
static MAIN: OnceLock<&'static Interp> = OnceLock::new();

/// Makes an interpreter's `mod_python._apache` module, given the interpreter's name and its
/// `PythonInterpreterGIL` setting (`None`: the shared GIL by default). The layers above this
/// one define what the module holds; [`start`] is given the function.
pub type NativeModule =
    for<'py> fn(Python<'py>, &str, Option<&GilSetting>) -> PyResult<Bound<'py, PyModule>>;

/// The function [`start`] was given.
static NATIVE_MODULE: OnceLock<NativeModule> = OnceLock::new();

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
    let started = Instant::now();
    let gil = subinterpreter::setting_for(name);
    let made = gil::with_interp(main.state, |py| {
        Some(subinterpreter::new_interpreter(
            py,
            gil.as_ref().map_or(Gil::Shared, |g| g.gil),
            |py, state| setup(py, name, state, gil.as_ref()).map_err(|e| describe(py, &e)),
        ))
    });
    match made {
        Some(Ok(Ok(interp))) => {
            subinterpreter::log_made(name, gil.as_ref());
            log(
                Level::Debug,
                &format!(
                    "mod_python: interpreter {name:?} made in {:.1} ms",
                    ms(started.elapsed())
                ),
            );
            Some(publish(interp))
        }
        Some(Ok(Err(e))) => {
            log(
                Level::Error,
                &format!("mod_python: could not start interpreter {name:?}: {e}"),
            );
            None
        }
        Some(Err(e)) => {
            log(
                Level::Error,
                &format!("mod_python: Python could not make interpreter {name:?}: {e}"),
            );
            None
        }
        None => None,
    }
}

/// A `PythonImport module[::function] interpreter`, with its server's `PythonPath`.
pub struct Import {
    pub module: String,
    pub interpreter: String,
    pub python_path: Option<String>,
}

/// Sets up the main interpreter of the Python [`startup::start`](super::startup::start)
/// started in this child (with the GIL released, so threads of a threaded MPM can take turns),
/// then runs the `PythonImport`s in the interpreters they name, in order. `started`: when the
/// child began starting Python, for the log of what a child's start costs.
pub fn start(imports: &[Import], native_module: NativeModule, started: Instant) {
    let _ = NATIVE_MODULE.set(native_module);
    // Python itself was started (startup::start) since `started`.
    let initialized = started.elapsed();
    let main = Python::attach(|py| {
        let state = gil::current_interpreter(py);
        subinterpreter::prepare_main(py);
        setup(py, MAIN_INTERPRETER, state, None).map_err(|e| describe(py, &e))
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
    let main_ready = started.elapsed();
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
    // What a new child's start costs, and where: `LogLevel python:debug` shows it (the soak
    // reads it).
    let done = started.elapsed();
    log(
        Level::Debug,
        &format!(
            "mod_python: Python started in {:.1} ms: initialized in {:.1}, main interpreter set up in {:.1}, PythonImport in {:.1}",
            ms(done),
            ms(initialized),
            ms(main_ready - initialized),
            ms(done - main_ready)
        ),
    );
}

/// A duration in milliseconds, for the log.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn setup(
    py: Python<'_>,
    name: &str,
    state: InterpState,
    gil: Option<&GilSetting>,
) -> PyResult<Interp> {
    let sys = py.import("sys")?;
    // Libraries that read sys.argv expect it to exist, as under the C module.
    sys.setattr("argv", vec!["mod_python"])?;
    let make_native = NATIVE_MODULE
        .get()
        .ok_or_else(|| PyRuntimeError::new_err("mod_python's native module is not given"))?;
    let native = make_native(py, name, gil)?;
    sys.getattr("modules")?
        .set_item("mod_python._apache", &native)?;
    super::package::install(py)?;
    // The interpreter's environment and output: os.environ as the child started, and
    // sys.stdout/sys.stderr, warnings and unconfigured logging into the error_log.
    super::environ::apply(py)?;
    py.import("mod_python._output")?.call_method0("install")?;
    let apache = py.import("mod_python.apache")?;
    let request_class = py.import("mod_python._request")?.getattr("mp_request")?;
    Ok(Interp {
        name: name.to_string(),
        state,
        dispatcher: Dispatcher::new(py, &apache)?,
        run_imports: apache.getattr("_run_imports")?.unbind(),
        request_class: request_class.unbind(),
        names: RequestNames::new(py),
    })
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

/// The interpreters, main first then in order of creation; `None` when the registry stays
/// locked (prefork's SIGTERM handler interrupted the thread adding to it).
pub fn registered() -> Option<Vec<&'static Interp>> {
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

impl Interp {
    /// What runs the handlers of a phase in this interpreter.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// Lets go of the handlers its dispatch found, before the interpreter ends.
    pub fn forget_handlers(&self, py: Python<'_>) {
        self.dispatcher.forget(py);
    }
}
