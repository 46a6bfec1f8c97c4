//! Running a phase's handlers: the loop of mod_python's handler dispatch, in Rust.
//!
//! Every request runs it at least once, so it keeps out of the Python interpreter's eval loop
//! what does not need it: each handler's callable is looked up through
//! `mod_python.apache._find_handler` (import, `PythonAutoReload`, the `<Directory>` on
//! sys.path) once, and then reused for a second, the interval at which that lookup checks a
//! module's file for changes anyway. Errors, answers that are not a plain int
//! (`SERVER_RETURN`, a wrong type), `PythonEnablePdb` and handlers added at run time by
//! `req.add_handler` go to the Python side (`_report`, `_result_of`, `_dispatch`), which has
//! the final say on what they do.

use crate::config::{HandlerSpec, PerPhase, Phase, PhaseSettings};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyList, PyModule, PyString, PyTuple};
use std::collections::HashMap;
use std::os::raw::c_int;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a handler's callable is reused before it is looked up again: the interval at
/// which `import_module` checks a module's file for changes.
const RECHECK: Duration = Duration::from_secs(1);
/// Resolved handlers kept per interpreter; past this (configurations that name thousands of
/// handlers, or handlers added at run time with ever new names) the cache starts again.
const MAX_RESOLVED: usize = 4096;

const DECLINED: c_int = -1;

/// A handler's callable, found by `_find_handler`.
struct Resolved {
    module: String,
    callable: String,
    directory: Option<String>,
    object: Py<PyAny>,
    /// `(module, callable, directory)`, what `req.hlist` reads from `req._hspec`.
    spec: Py<PyTuple>,
    found: Instant,
}

impl Resolved {
    fn is_for(&self, h: &HandlerSpec) -> bool {
        self.module == h.module && self.callable == h.callable && self.directory == h.directory
    }
}

/// Names and objects of one interpreter. Each interpreter has its own: objects must not pass
/// between interpreters.
struct Names {
    phase: Py<PyString>,
    hspec: Py<PyString>,
    extension: Py<PyString>,
    added: Py<PyString>,
    last_python_path: Py<PyString>,
    path: Py<PyString>,
    /// Each phase's directive name, as `req.phase` shows it.
    phases: PerPhase<Py<PyString>>,
}

/// The dispatch of one interpreter.
pub struct Dispatcher {
    /// `mod_python.apache._dispatch`: the whole loop in Python.
    python: Py<PyAny>,
    find_handler: Py<PyAny>,
    report: Py<PyAny>,
    result_of: Py<PyAny>,
    set_python_path: Py<PyAny>,
    server_return: Py<PyAny>,
    /// `mod_python.apache`'s globals, where `_last_python_path` is.
    apache_globals: Py<PyDict>,
    sys_globals: Py<PyDict>,
    names: Names,
    /// Keyed by a hash of (module, callable, directory); taken only while no Python code runs,
    /// since Python code may let another thread in, which would then wait for it.
    resolved: Mutex<HashMap<u64, Vec<Resolved>>>,
}

/// FNV-1a of (module, callable, directory): the names are short and come from the
/// configuration, so a cheap hash is enough (entries are compared in full on a hit).
fn key(h: &HandlerSpec) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let parts = [
        h.module.as_bytes(),
        h.callable.as_bytes(),
        h.directory.as_deref().unwrap_or("").as_bytes(),
    ];
    for part in parts {
        for &b in part.iter().chain(&[0xff]) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

impl Dispatcher {
    /// The dispatch of the interpreter `apache` (`mod_python.apache`) was imported in.
    pub fn new(py: Python<'_>, apache: &Bound<'_, PyModule>) -> PyResult<Dispatcher> {
        let s = |text: &str| PyString::new(py, text).unbind();
        Ok(Dispatcher {
            python: apache.getattr("_dispatch")?.unbind(),
            find_handler: apache.getattr("_find_handler")?.unbind(),
            report: apache.getattr("_report")?.unbind(),
            result_of: apache.getattr("_result_of")?.unbind(),
            set_python_path: apache.getattr("_set_python_path")?.unbind(),
            server_return: apache.getattr("SERVER_RETURN")?.unbind(),
            apache_globals: apache.dict().unbind(),
            sys_globals: py.import("sys")?.dict().unbind(),
            names: Names {
                phase: s("_phase"),
                hspec: s("_hspec"),
                extension: s("_extension"),
                added: s("_added"),
                last_python_path: s("_last_python_path"),
                path: s("path"),
                phases: PerPhase::from_fn(|p| s(p.directive())),
            },
            resolved: Mutex::new(HashMap::new()),
        })
    }

    /// Runs `handlers` for `phase` on the request object `req`, in order while their result
    /// is one the phase goes on after ([`Phase::go_on`]); the result of the last one run,
    /// DECLINED when none ran. An error is reported as `PythonDebug` says and its status
    /// returned; `Err` only when even that failed.
    pub fn run(
        &self,
        py: Python<'_>,
        req: &Bound<'_, PyAny>,
        phase: Phase,
        handlers: &[HandlerSpec],
        conf: &PhaseSettings,
        filename: Option<&str>,
    ) -> PyResult<c_int> {
        let autoreload = conf.autoreload.unwrap_or(true);
        let debug = conf.debug.unwrap_or(false);
        let phase_name = self.names.phases[phase].bind(py);
        if conf.pdb {
            return self.in_python(py, req, phase, handlers, conf, DECLINED);
        }
        req.setattr(self.names.phase.bind(py), phase_name)?;
        // The handler as its directive names it, for the error_log: made only when needed.
        let hname = |h: &HandlerSpec| h.as_configured(&phase.default_callable());
        if let Some(path) = conf.python_path.as_deref() {
            if !self.python_path_is(py, path) {
                if let Err(e) = self.set_python_path.bind(py).call1((path,)) {
                    let first = handlers.first().map(hname).unwrap_or_default();
                    return self.report(py, req, phase_name, &first, debug, e);
                }
            }
        }
        let mut result = DECLINED;
        for h in handlers {
            let (object, spec) = match self.resolve(py, h, autoreload) {
                Ok(found) => found,
                Err(e) => return self.report(py, req, phase_name, &hname(h), debug, e),
            };
            req.setattr(self.names.hspec.bind(py), spec)?;
            if !h.extensions.is_empty() {
                // The extension of `| .ext` the file matched, as req.extension.
                let ext = h.extension_matched(filename);
                req.setattr(self.names.extension.bind(py), ext)?;
            }
            let answer = match object.call1((req,)) {
                Ok(value) => value,
                Err(e) if e.is_instance(py, self.server_return.bind(py)) => {
                    e.into_value(py).into_bound(py).into_any()
                }
                Err(e) => return self.report(py, req, phase_name, &hname(h), debug, e),
            };
            result = match self.result_of(py, req, &answer, h, &hname) {
                Ok(status) => status,
                Err(e) => return self.report(py, req, phase_name, &hname(h), debug, e),
            };
            if !phase.go_on().contains(&result) {
                return Ok(result);
            }
        }
        if req.getattr(self.names.added.bind(py))?.is_truthy()? {
            // `req.add_handler` was called: what it added to this phase runs after the
            // configured handlers, in the Python loop.
            return self.in_python(py, req, phase, &[], conf, result);
        }
        Ok(result)
    }

    /// A handler's answer as its result: a plain int as it is; anything else (a
    /// `SERVER_RETURN`, with its status; a wrong type, an error) as `_result_of` makes it.
    fn result_of(
        &self,
        py: Python<'_>,
        req: &Bound<'_, PyAny>,
        answer: &Bound<'_, PyAny>,
        h: &HandlerSpec,
        hname: &impl Fn(&HandlerSpec) -> String,
    ) -> PyResult<c_int> {
        if answer.is_exact_instance_of::<PyInt>() {
            if let Ok(status) = answer.extract() {
                return Ok(status);
            }
        }
        self.result_of
            .bind(py)
            .call1((answer, req, hname(h)))?
            .extract()
    }

    /// The whole loop in Python, for what the Rust one leaves to it: `handlers` (all of them
    /// under `PythonEnablePdb`), then those `req.add_handler` added.
    fn in_python(
        &self,
        py: Python<'_>,
        req: &Bound<'_, PyAny>,
        phase: Phase,
        handlers: &[HandlerSpec],
        conf: &PhaseSettings,
        result: c_int,
    ) -> PyResult<c_int> {
        let list = PyList::empty(py);
        for h in handlers {
            list.append((&h.module, &h.callable, h.directory.as_deref()))?;
        }
        self.python
            .bind(py)
            .call1((
                req,
                self.names.phases[phase].bind(py),
                list,
                conf.debug.unwrap_or(false),
                conf.autoreload.unwrap_or(true),
                conf.python_path.as_deref(),
                conf.pdb,
                result,
                PyTuple::new(py, phase.go_on())?,
            ))?
            .extract()
    }

    /// Logs `e` for the handler `hname` (and with PythonDebug sends it) through `_report`;
    /// its status.
    fn report(
        &self,
        py: Python<'_>,
        req: &Bound<'_, PyAny>,
        phase_name: &Bound<'_, PyString>,
        hname: &str,
        debug: bool,
        e: PyErr,
    ) -> PyResult<c_int> {
        self.report
            .bind(py)
            .call1((req, phase_name, hname, debug, e.into_value(py)))?
            .extract()
    }

    /// Lets go of the handlers found: before the interpreter ends, so that their modules'
    /// globals (which a function keeps alive) are released with the rest.
    pub fn forget(&self, py: Python<'_>) {
        let all: Vec<Resolved> = {
            let mut map = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
            map.drain().flat_map(|(_, list)| list).collect()
        };
        release(py, all);
    }

    /// Whether sys.path was last set from this `PythonPath` expression.
    fn python_path_is(&self, py: Python<'_>, expression: &str) -> bool {
        let globals = self.apache_globals.bind(py);
        match globals.get_item(self.names.last_python_path.bind(py)) {
            Ok(Some(last)) => last
                .cast::<PyString>()
                .ok()
                .and_then(|s| s.to_str().ok().map(|s| s == expression))
                .unwrap_or(false),
            _ => false,
        }
    }

    /// The handler's callable and spec: the one found less than a second ago, or a new one
    /// from `_find_handler`.
    fn resolve<'py>(
        &self,
        py: Python<'py>,
        h: &HandlerSpec,
        autoreload: bool,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let key = key(h);
        let now = Instant::now();
        let known = {
            let map = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
            map.get(&key)
                .and_then(|list| list.iter().find(|r| r.is_for(h)))
                .filter(|r| now.duration_since(r.found) < RECHECK)
                .map(|r| (r.object.bind(py).clone(), r.spec.bind(py).clone()))
        };
        if let Some((object, spec)) = known {
            if h.directory.is_none() || self.directory_on_path(py, &spec) {
                return Ok((object, spec));
            }
        }
        let object = self.find_handler.bind(py).call1((
            &h.module,
            &h.callable,
            autoreload,
            h.directory.as_deref(),
        ))?;
        let spec = PyTuple::new(
            py,
            [
                PyString::new(py, &h.module).into_any(),
                PyString::new(py, &h.callable).into_any(),
                match &h.directory {
                    Some(d) => PyString::new(py, d).into_any(),
                    None => py.None().into_bound(py),
                },
            ],
        )?;
        let entry = Resolved {
            module: h.module.clone(),
            callable: h.callable.clone(),
            directory: h.directory.clone(),
            object: object.clone().unbind(),
            spec: spec.clone().unbind(),
            found: now,
        };
        let replaced = {
            let mut map = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
            let mut out = Vec::new();
            if map.len() >= MAX_RESOLVED {
                out.extend(map.drain().flat_map(|(_, list)| list));
            }
            let list = map.entry(key).or_default();
            if let Some(at) = list.iter().position(|r| r.is_for(h)) {
                out.push(list.swap_remove(at));
            }
            list.push(entry);
            out
        };
        release(py, replaced);
        Ok((object, spec))
    }

    /// Whether the handler's `<Directory>` (third item of `spec`) is still on sys.path, as
    /// `_find_handler` put it; code that resets sys.path takes it away.
    fn directory_on_path(&self, py: Python<'_>, spec: &Bound<'_, PyTuple>) -> bool {
        let Ok(directory) = spec.get_item(2) else {
            return false;
        };
        match self.sys_globals.bind(py).get_item(self.names.path.bind(py)) {
            Ok(Some(path)) => path.contains(directory).unwrap_or(false),
            _ => false,
        }
    }
}

/// Drops handlers found, after the lock (dropping a callable may run Python code, which may
/// let in another thread that takes it) and as `Bound` (see gil::with_interp).
fn release(py: Python<'_>, entries: Vec<Resolved>) {
    for r in entries {
        drop(r.object.into_bound(py));
        drop(r.spec.into_bound(py));
    }
}
