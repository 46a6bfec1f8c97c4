//! How each interpreter's `mod_python._apache` is made: a multi-phase module (PEP 489) from one
//! process-wide definition, with a state of its own in each interpreter, declaring that it
//! supports interpreters with a GIL of their own (PEP 684).
//!
//! CPython checks that declaration when it makes the module from its definition
//! (`PyModule_FromDefAndSpec`), and refuses in an own-GIL interpreter a module without it. The
//! state holds what `_apache`'s functions need of *their* interpreter (the names they look
//! attributes up with, interned there), found through the module they are bound to
//! (`#[pyo3(pass_module)]`), never through a process-wide static: an object of one
//! interpreter must not be used by a thread holding another's GIL. pyo3's `#[pymodule]` is
//! not used: it makes single-phase modules and refuses a second interpreter.
//!
//! The functions are added by the layer above (`apache_module::build`), after the module is
//! made. This file holds the module definition's `unsafe`: CPython's module API, which pyo3
//! does not wrap for multi-phase modules.

use pyo3::exceptions::PySystemError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyModule, PyString};
use std::os::raw::{c_int, c_void};
use std::sync::OnceLock;

/// The module's name, as handlers see it in `_apache.__name__` (mod_python 3.5's).
const NAME: &std::ffi::CStr = c"_apache";

/// The state CPython allocates, zeroed, with the module in each interpreter (`m_size`), and
/// hands to `m_traverse`, `m_clear` and `m_free`. Its references are raw and owned: those slots
/// run where pyo3 does not count the thread as attached, so they release with `Py_DECREF`.
#[repr(C)]
struct State {
    /// `"_h"`, interned in this interpreter: the attribute a request object keeps its handle in.
    handle: *mut ffi::PyObject,
}

/// This module's state; `Err` when `module` was not made from [`definition`] (CPython gives a
/// module without state NULL).
fn state_of(module: &Bound<'_, PyModule>) -> PyResult<*mut State> {
    // SAFETY: `module` is a live module (the Bound holds it) and a GIL is held; CPython reads
    // its definition's state, or gives NULL (setting SystemError for a non-module, which a
    // PyModule is not).
    let state = unsafe { ffi::PyModule_GetState(module.as_ptr()) };
    if state.is_null() {
        return Err(PySystemError::new_err(
            "mod_python._apache has no module state",
        ));
    }
    Ok(state.cast())
}

/// `"_h"` as this module's interpreter interned it, for `getattr(req, "_h")`.
pub fn handle_name<'py>(module: &Bound<'py, PyModule>) -> PyResult<Bound<'py, PyString>> {
    let state = state_of(module)?;
    // SAFETY: the state lives as long as the module, which the caller holds; `handle` was set
    // by `exec` before the module could be used, and is only cleared by m_clear/m_free, which
    // do not run while the module is alive and reachable. It is a `str` of this interpreter.
    let handle = unsafe { (*state).handle };
    if handle.is_null() {
        return Err(PySystemError::new_err(
            "mod_python._apache's state is cleared",
        ));
    }
    // SAFETY: as above; a new strong reference is taken for the Bound.
    let name = unsafe { Bound::from_borrowed_ptr(module.py(), handle) };
    Ok(name.cast_into::<PyString>()?)
}

/// `Py_mod_exec`: fills the state, in the interpreter making the module, holding its GIL.
unsafe extern "C" fn exec(module: *mut ffi::PyObject) -> c_int {
    // SAFETY: CPython calls this with the module it made from our definition, whose state is
    // a `State`, zeroed; raw calls only (no pyo3 value is made or dropped here).
    unsafe {
        let state = ffi::PyModule_GetState(module).cast::<State>();
        if state.is_null() {
            return -1;
        }
        let handle = ffi::PyUnicode_InternFromString(c"_h".as_ptr());
        if handle.is_null() {
            return -1;
        }
        (*state).handle = handle;
    }
    0
}

/// `m_traverse`: the garbage collector's visit of the state's references.
unsafe extern "C" fn traverse(
    module: *mut ffi::PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: called by the collector with the module's GIL; the state may be NULL (a module
    // being made) and its reference NULL or owned.
    unsafe {
        let state = ffi::PyModule_GetState(module).cast::<State>();
        if !state.is_null() && !(*state).handle.is_null() {
            return visit((*state).handle, arg);
        }
    }
    0
}

/// `m_clear`: drops the state's references, once.
unsafe extern "C" fn clear(module: *mut ffi::PyObject) -> c_int {
    // SAFETY: called with the module's GIL; each owned reference is taken out of the state
    // before it is released, so it is released once.
    unsafe {
        let state = ffi::PyModule_GetState(module).cast::<State>();
        if !state.is_null() {
            let handle = std::mem::replace(&mut (*state).handle, std::ptr::null_mut());
            if !handle.is_null() {
                ffi::Py_DECREF(handle);
            }
        }
    }
    0
}

/// `m_free`: the module is deallocated (in its interpreter, when that ends).
unsafe extern "C" fn free(module: *mut c_void) {
    // SAFETY: as `clear`, which it runs; CPython frees the state's memory itself.
    unsafe {
        clear(module.cast());
    }
}

/// The one definition of `_apache` for the process, made on first use and never freed
/// (CPython keeps a pointer to it in every module made from it). An address, so that the
/// static is `Sync`; nothing writes through it after it is made.
fn definition() -> *mut ffi::PyModuleDef {
    static DEFINITION: OnceLock<usize> = OnceLock::new();
    let address = *DEFINITION.get_or_init(|| {
        let mut slots = vec![ffi::PyModuleDef_Slot {
            slot: ffi::Py_mod_exec,
            value: exec as *mut c_void,
        }];
        // Every Python object the module's functions use is of the interpreter calling them.
        #[cfg(Py_3_12)]
        slots.push(ffi::PyModuleDef_Slot {
            slot: ffi::Py_mod_multiple_interpreters,
            value: ffi::Py_MOD_PER_INTERPRETER_GIL_SUPPORTED,
        });
        // Free-threaded builds: its state is written once, in `exec`, and its functions keep
        // nothing between calls that a GIL would have to guard (docs/src/interpreters.md,
        // "Free-threaded CPython").
        #[cfg(Py_3_13)]
        slots.push(ffi::PyModuleDef_Slot {
            slot: ffi::Py_mod_gil,
            value: ffi::Py_MOD_GIL_NOT_USED,
        });
        slots.push(ffi::PyModuleDef_Slot {
            slot: 0,
            value: std::ptr::null_mut(),
        });
        let def = ffi::PyModuleDef {
            m_base: ffi::PyModuleDef_HEAD_INIT,
            m_name: NAME.as_ptr(),
            m_doc: std::ptr::null(),
            m_size: std::mem::size_of::<State>() as ffi::Py_ssize_t,
            m_methods: std::ptr::null_mut(),
            m_slots: Box::leak(slots.into_boxed_slice()).as_mut_ptr(),
            m_traverse: Some(traverse),
            m_clear: Some(clear),
            m_free: Some(free),
        };
        Box::leak(Box::new(def)) as *mut ffi::PyModuleDef as usize
    });
    address as *mut ffi::PyModuleDef
}

/// A new `_apache` module in the interpreter `py` holds the GIL of, its state filled; the
/// caller adds the functions. `Err` (an `ImportError` from CPython) when the interpreter
/// refuses it.
pub fn make(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let def = definition();
    let spec = py
        .import("importlib.machinery")?
        .getattr("ModuleSpec")?
        .call1((PyString::new(py, "_apache"), py.None()))?;
    // SAFETY: a GIL is held; `def` lives for the process; CPython returns a new reference or
    // NULL with an exception set.
    let module = unsafe {
        Bound::from_owned_ptr_or_err(py, ffi::PyModule_FromDefAndSpec(def, spec.as_ptr()))?
    };
    // SAFETY: as above: runs the definition's Py_mod_exec on the module made from it.
    if unsafe { ffi::PyModule_ExecDef(module.as_ptr(), def) } != 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(module.cast_into::<PyModule>()?)
}
