//! Making a sub-interpreter: with the main interpreter's GIL (`Py_NewInterpreter`, as
//! mod_python 3.5), or with one of its own (`PythonInterpreterGIL own`, PEP 684, CPython 3.12
//! and later), so that its threads run Python at the same time as other interpreters'.
//!
//! An own-GIL interpreter also has its own memory allocator (CPython requires it), so CPython
//! refuses there every extension module that has not declared support for one
//! (`check_multi_interp_extensions`); threads, daemon threads, fork and exec stay allowed as in
//! mod_python 3.5's interpreters.

use super::gil::{self, InterpState, SwapBack};
use crate::config::{Gil, GilSetting, InterpreterGil};
use apache::core::logging::{Level, log};
use pyo3::Python;
use pyo3::ffi;
use std::sync::OnceLock;

/// Creates a sub-interpreter with the GIL `gil` says and runs `setup` in it (its `sys.modules`
/// and builtins are its own). Call inside a `with_interp` of the main interpreter; the caller's
/// state is current again afterwards (with an own GIL, CPython gave up the caller's GIL while
/// making the interpreter, and switching back takes it again). The new interpreter's first
/// thread state becomes this thread's state for it. `Err` says why CPython made none.
pub fn new_interpreter<R>(
    py: Python<'_>,
    gil: Gil,
    setup: impl for<'py> FnOnce(Python<'py>, InterpState) -> R,
) -> Result<R, String> {
    let caller = gil::this_thread_state(py);
    let made = match gil {
        Gil::Shared => shared(),
        Gil::Own => own(),
    };
    let ts = match made {
        Ok(ts) => ts,
        Err(e) => {
            // SAFETY: a GIL is held by this thread (CPython undid its work and left the caller's
            // state, or none, current): the caller's state is put back, with its GIL.
            unsafe { ffi::PyThreadState_Swap(caller) };
            return Err(e);
        }
    };
    let interp = gil::adopt_first_state(ts);
    if gil == Gil::Own {
        gil::note_own_gil();
    }
    let _back = SwapBack(caller);
    // SAFETY: the new interpreter's GIL is held with its first state until `_back` drops; the
    // caller's entry keeps pyo3's count, so what `setup` drops is released at once, here.
    Ok(setup(unsafe { Python::assume_attached() }, interp))
}

/// `Py_NewInterpreter`: the main interpreter's GIL, its allocator, any extension module.
fn shared() -> Result<*mut ffi::PyThreadState, String> {
    // SAFETY: called with the GIL held and a current state, as CPython requires; it returns the
    // new interpreter's first thread state, made current, or NULL.
    let ts = unsafe { ffi::Py_NewInterpreter() };
    if ts.is_null() {
        return Err("Py_NewInterpreter failed".into());
    }
    Ok(ts)
}

/// `Py_NewInterpreterFromConfig` with a GIL and an allocator of its own.
#[cfg(Py_3_12)]
fn own() -> Result<*mut ffi::PyThreadState, String> {
    let config = ffi::PyInterpreterConfig {
        use_main_obmalloc: 0,
        allow_fork: 1,
        allow_exec: 1,
        allow_threads: 1,
        allow_daemon_threads: 1,
        check_multi_interp_extensions: 1,
        gil: ffi::PyInterpreterConfig_OWN_GIL,
    };
    let mut ts = std::ptr::null_mut();
    // SAFETY: called holding the main GIL with a current state, as CPython requires; the
    // configuration is complete. It gives up the caller's GIL and returns the new interpreter's
    // first state current, holding the new GIL, or an error status.
    let status = unsafe { ffi::Py_NewInterpreterFromConfig(&mut ts, &config) };
    // SAFETY: reads the status just returned.
    if unsafe { ffi::PyStatus_Exception(status) } != 0 || ts.is_null() {
        let why = if status.err_msg.is_null() {
            Default::default()
        } else {
            // SAFETY: a status's message is a static NUL-terminated string of CPython.
            unsafe { std::ffi::CStr::from_ptr(status.err_msg) }.to_string_lossy()
        };
        return Err(format!("Py_NewInterpreterFromConfig failed: {why}"));
    }
    Ok(ts)
}

/// Before 3.12 no interpreter has a GIL of its own; the directive refuses `own` when the
/// configuration is read, so this is never reached.
#[cfg(not(Py_3_12))]
fn own() -> Result<*mut ffi::PyThreadState, String> {
    Err("a GIL per interpreter needs CPython 3.12 or later".into())
}

/// The main server's `PythonInterpreterGIL` lines, given at child start ([`configure`]).
static SETTINGS: OnceLock<InterpreterGil> = OnceLock::new();

/// Takes the main server's `PythonInterpreterGIL` settings, before any sub-interpreter is made.
pub fn configure(settings: &InterpreterGil) {
    let _ = SETTINGS.set(settings.clone());
}

/// The `PythonInterpreterGIL` setting for the interpreter `name`: `None` when nothing asks for
/// anything but the default shared GIL.
pub fn setting_for(name: &str) -> Option<GilSetting> {
    SETTINGS.get()?.for_interpreter(name).cloned()
}

/// Notes in the error_log an interpreter made with its own GIL.
pub fn log_made(name: &str, setting: Option<&GilSetting>) {
    if let Some(s) = setting.filter(|s| s.gil == Gil::Own) {
        log(
            Level::Info,
            &format!(
                "mod_python: interpreter {name:?} made with its own GIL (PythonInterpreterGIL \
                 own, {})",
                s.at
            ),
        );
    }
}

/// What the main interpreter must make before any own-GIL interpreter exists, because CPython
/// keeps it for the whole process and the first interpreter to ask makes it:
///
/// * pyo3's `PanicException` type, which pyo3 compares every fetched error with (a panic in a
///   native function must not happen, but the type must then belong to the interpreter that
///   outlives the others);
/// * the static types of extension modules that CPython initializes in the first interpreter
///   importing them (`_datetime` on 3.13.0: imported first in an own-GIL interpreter, its
///   types kept objects of that interpreter's allocator, and finalizing the main interpreter
///   freed them with its own: `munmap_chunk(): invalid pointer`, then a crash).
///
/// Done only when `PythonInterpreterGIL own` is configured. Call holding the main GIL.
pub fn prepare_main(py: Python<'_>) {
    let own_configured = SETTINGS.get().is_some_and(InterpreterGil::has_own);
    if !own_configured {
        return;
    }
    let _ = <pyo3::panic::PanicException as pyo3::PyTypeInfo>::type_object(py);
    for module in FIRST_IN_MAIN {
        if let Err(e) = py.import(*module) {
            log(
                Level::Info,
                &format!("mod_python: {module} could not be imported in the main interpreter: {e}"),
            );
        }
    }
}

/// Extension modules whose process-wide state the main interpreter must create (see
/// [`prepare_main`]).
const FIRST_IN_MAIN: &[&str] = &["_datetime"];
