//! The embedded CPython: started once per child, entered for each request.
//!
//! Only the main interpreter exists so far; named interpreters (per virtual host,
//! PythonInterpreter) are still to come and will each get their own copy of the native objects.

use crate::config::{HandlerSpec, Phase, PhaseSettings};
use apache::logging::{log, Level};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule};
use std::ffi::CString;
use std::os::raw::c_int;
use std::sync::OnceLock;

const BOOTSTRAP: &str = include_str!("../python/bootstrap.py");

/// The mod_python package, compiled in: (module name, source, is a package).
const SOURCES: &[(&str, &str, bool)] = &[
    (
        "mod_python",
        include_str!("../python/mod_python/__init__.py"),
        true,
    ),
    (
        "mod_python.apache",
        include_str!("../python/mod_python/apache.py"),
        false,
    ),
];

/// `mod_python.apache`, imported once the interpreter is ready.
static APACHE: OnceLock<Py<PyModule>> = OnceLock::new();

/// Starts Python in this child and imports the mod_python package and `PythonImport` modules.
/// pyo3 releases the GIL after initializing, so threads of a threaded MPM can take turns.
pub fn start(imports: &[(String, String)]) {
    Python::initialize();
    Python::attach(|py| {
        if let Err(e) = setup(py, imports) {
            log(
                Level::Error,
                &format!("mod_python: could not start Python: {}", describe(py, &e)),
            );
        }
    });
}

fn setup(py: Python<'_>, imports: &[(String, String)]) -> PyResult<()> {
    let sys = py.import("sys")?;
    // Libraries that read sys.argv expect it to exist, as under the C module.
    sys.setattr("argv", vec!["mod_python"])?;
    let native = crate::objects::native_module(py)?;
    sys.getattr("modules")?
        .set_item("mod_python._apache", native)?;
    let code = CString::new(BOOTSTRAP).expect("no NUL in bootstrap.py");
    let boot = PyModule::from_code(
        py,
        &code,
        c"<mod_python.so>/bootstrap.py",
        c"_mod_python_bootstrap",
    )?;
    let sources = PyDict::new(py);
    for (name, source, is_package) in SOURCES {
        sources.set_item(name, (source, is_package))?;
    }
    boot.call_method1("install", (sources,))?;
    let apache = py.import("mod_python.apache")?;
    let modules: Vec<&str> = imports.iter().map(|(m, _)| m.as_str()).collect();
    apache.call_method1("_run_imports", (modules,))?;
    let _ = APACHE.set(apache.unbind());
    crate::gil::set_interpreter(py);
    Ok(())
}

/// The child is exiting: runs the `atexit` functions handlers registered, and flushes
/// sys.stdout/sys.stderr. Python is deliberately not finalized: under threaded MPMs a worker
/// thread the MPM gave up on may still be inside Python, and Py_FinalizeEx would then hang or
/// crash the exiting child; the process ends right after this anyway.
pub fn child_exit() {
    if APACHE.get().is_none() {
        return;
    }
    crate::gil::with_gil(|py| {
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
            log(
                Level::Error,
                &format!("mod_python: at child exit: {}", describe(py, &e)),
            );
        }
    });
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

/// Runs the handlers of `phase` for the lent request; returns the status for httpd.
pub fn dispatch(phase: Phase, handlers: &[HandlerSpec], conf: &PhaseSettings) -> c_int {
    let Some(apache) = APACHE.get() else {
        log(
            Level::Error,
            "mod_python: Python is not running in this process (see earlier errors)",
        );
        return 500;
    };
    crate::gil::with_gil(|py| {
        let run = || -> PyResult<c_int> {
            let req = crate::objects::request_object(py, phase, conf)?;
            let list: Vec<(String, String, Option<String>)> = handlers
                .iter()
                .map(|h| (h.module.clone(), h.callable.clone(), h.directory.clone()))
                .collect();
            let result = apache.bind(py).call_method1(
                "_dispatch",
                (
                    req,
                    phase.directive(),
                    list,
                    conf.debug.unwrap_or(false),
                    conf.autoreload.unwrap_or(true),
                    conf.python_path.clone(),
                ),
            )?;
            result.extract()
        };
        run().unwrap_or_else(|e| {
            log(Level::Error, &format!("mod_python: {}", describe(py, &e)));
            500
        })
    })
}
