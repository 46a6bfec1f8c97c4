//! A native module as `_apache` would become: multi-phase initialization (PEP 489) with a
//! state of its own in each interpreter, declaring that it supports a GIL per interpreter,
//! its functions pyo3 `#[pyfunction]`s that find their interpreter's state through the
//! module they are bound to. Built through `pyo3::ffi`: pyo3 0.27's `#[pymodule]` is
//! single-phase and refuses a second interpreter.

use crate::interp::{self, Interp};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyModule;
use std::os::raw::{c_int, c_void};
use std::sync::OnceLock;

/// The module's state in one interpreter; CPython allocates it zeroed (`m_size`) with the
/// module, and hands it to m_traverse, m_clear and m_free.
#[repr(C)]
struct State {
    interp_id: i64,
    calls: u64,
    /// An object of this interpreter, kept for its functions (as `_apache` would keep its
    /// request class and interned names): owned, released by m_clear.
    label: *mut ffi::PyObject,
}

fn state_of(module: *mut ffi::PyObject) -> *mut State {
    // SAFETY: `module` was made from one of our definitions, whose m_size is a State.
    unsafe { ffi::PyModule_GetState(module).cast() }
}

/// `bump()`: counts a call in this interpreter's state; returns (interpreter id, calls).
#[pyfunction]
#[pyo3(pass_module)]
fn bump(module: &Bound<'_, PyModule>) -> (i64, u64) {
    let state = state_of(module.as_ptr());
    // SAFETY: the state lives as long as the module, which this call holds; the
    // interpreter's GIL serializes calls in it.
    unsafe {
        (*state).calls += 1;
        ((*state).interp_id, (*state).calls)
    }
}

/// Py_mod_exec: fills the state and adds the functions, in the interpreter importing it.
unsafe extern "C" fn exec(module: *mut ffi::PyObject) -> c_int {
    let run = std::panic::catch_unwind(|| {
        // SAFETY: CPython calls exec holding the importing interpreter's GIL.
        let py = unsafe { Python::assume_attached() };
        // SAFETY: a live module, borrowed for the call.
        let m = unsafe { Bound::from_borrowed_ptr(py, module) };
        let m = m.cast::<PyModule>().map_err(PyErr::from)?;
        let state = state_of(module);
        // SAFETY: a GIL is held; the state is ours and zeroed.
        unsafe {
            (*state).interp_id = interp::current_id(py);
            (*state).label = ffi::PyUnicode_FromString(c"this interpreter's label".as_ptr());
        }
        m.add_function(wrap_pyfunction!(bump, m)?)
    });
    match run {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            // SAFETY: the GIL is held; the error is handed to CPython (nothing dropped).
            e.restore(unsafe { Python::assume_attached() });
            -1
        }
        Err(_) => -1,
    }
}

unsafe extern "C" fn traverse(
    module: *mut ffi::PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    let state = state_of(module);
    // SAFETY: called by the GC with the GIL; `label` is NULL or an owned reference.
    unsafe {
        if !state.is_null() && !(*state).label.is_null() {
            return visit((*state).label, arg);
        }
    }
    0
}

unsafe extern "C" fn clear(module: *mut ffi::PyObject) -> c_int {
    let state = state_of(module);
    // SAFETY: called with the GIL; releases the owned reference once (raw decref: no pyo3
    // `Py` is dropped here, where pyo3 does not count the thread as attached).
    unsafe {
        if !state.is_null() && !(*state).label.is_null() {
            let label = std::mem::replace(&mut (*state).label, std::ptr::null_mut());
            ffi::Py_DECREF(label);
        }
    }
    0
}

unsafe extern "C" fn free(module: *mut c_void) {
    let module = module.cast::<ffi::PyObject>();
    // SAFETY: as clear; the module is being deallocated, in its interpreter.
    unsafe {
        clear(module);
        let state = state_of(module);
        if !state.is_null() {
            println!(
                "  m_free: the state of interpreter {} released ({} calls counted)",
                (*state).interp_id,
                (*state).calls
            );
        }
    }
}

/// A module definition, made once for the process and never freed (CPython keeps a pointer
/// to it); `per_interpreter_gil` decides the Py_mod_multiple_interpreters slot.
fn definition(name: &'static std::ffi::CStr, per_interpreter_gil: bool) -> *mut ffi::PyModuleDef {
    let mut slots = vec![ffi::PyModuleDef_Slot {
        slot: ffi::Py_mod_exec,
        value: exec as *mut c_void,
    }];
    #[cfg(Py_3_12)]
    if per_interpreter_gil {
        slots.push(ffi::PyModuleDef_Slot {
            slot: ffi::Py_mod_multiple_interpreters,
            value: ffi::Py_MOD_PER_INTERPRETER_GIL_SUPPORTED,
        });
    }
    #[cfg(Py_3_13)]
    slots.push(ffi::PyModuleDef_Slot {
        slot: ffi::Py_mod_gil,
        value: ffi::Py_MOD_GIL_USED,
    });
    slots.push(ffi::PyModuleDef_Slot::default());
    let _ = per_interpreter_gil;
    let def = ffi::PyModuleDef {
        m_base: ffi::PyModuleDef_HEAD_INIT,
        m_name: name.as_ptr(),
        m_doc: std::ptr::null(),
        m_size: std::mem::size_of::<State>() as ffi::Py_ssize_t,
        m_methods: std::ptr::null_mut(),
        m_slots: Box::leak(slots.into_boxed_slice()).as_mut_ptr(),
        m_traverse: Some(traverse),
        m_clear: Some(clear),
        m_free: Some(free),
    };
    Box::leak(Box::new(def))
}

/// The definitions, as addresses so they can be shared between threads.
fn definitions() -> (usize, usize) {
    static DEFS: OnceLock<(usize, usize)> = OnceLock::new();
    *DEFS.get_or_init(|| {
        (
            definition(c"mp_demo", true) as usize,
            definition(c"mp_demo_noslot", false) as usize,
        )
    })
}

/// Makes the module from its definition in the current interpreter (as mod_python would,
/// without the import system) and puts it in sys.modules.
fn install(py: Python<'_>, def: *mut ffi::PyModuleDef) -> PyResult<Bound<'_, PyAny>> {
    // SAFETY: def is a valid, leaked definition.
    let name = unsafe { std::ffi::CStr::from_ptr((*def).m_name) }
        .to_str()
        .unwrap();
    let spec = py
        .import("importlib.machinery")?
        .getattr("ModuleSpec")?
        .call1((name, py.None()))?;
    // SAFETY: a GIL is held; def outlives every interpreter; returns a new reference or NULL.
    let module = unsafe {
        Bound::from_owned_ptr_or_err(py, ffi::PyModule_FromDefAndSpec(def, spec.as_ptr()))?
    };
    // SAFETY: as above; runs the Py_mod_exec slot.
    if unsafe { ffi::PyModule_ExecDef(module.as_ptr(), def) } != 0 {
        return Err(PyErr::fetch(py));
    }
    py.import("sys")?
        .getattr("modules")?
        .set_item(name, &module)?;
    Ok(module)
}

fn describe(py: Python<'_>, e: PyErr) -> String {
    let text = e.to_string();
    // Released as Bound, under this interpreter's GIL.
    drop(e.into_value(py).into_bound(py));
    text
}

pub fn run(main_ts: *mut ffi::PyThreadState) {
    let (with_slot, without_slot) = definitions();
    let setup = move |py: Python<'_>| {
        match install(py, with_slot as *mut _) {
            Ok(_) => println!(
                "  mp_demo (per-interpreter GIL declared) made in interpreter {}",
                interp::current_id(py)
            ),
            Err(e) => println!("  mp_demo REFUSED: {}", describe(py, e)),
        }
        match install(py, without_slot as *mut _) {
            Ok(_) => println!(
                "  mp_demo_noslot (no Py_mod_multiple_interpreters slot) made in interpreter {}",
                interp::current_id(py)
            ),
            Err(e) => println!("  mp_demo_noslot REFUSED: {}", describe(py, e)),
        }
        // Today's `_apache`: a module made with PyModule_New has no definition to check.
        match PyModule::new(py, "plain_new") {
            Ok(_) => {
                println!("  a PyModule_New module (how _apache is made today) is not checked: made")
            }
            Err(e) => println!("  PyModule_New REFUSED: {}", describe(py, e)),
        }
    };
    let a = interp::create(main_ts, true, setup);
    let b = interp::create(main_ts, true, setup);
    // Both at once: A counts 200000 calls, B 10; each sees only its own.
    let count = |i: Interp, n: u32| {
        std::thread::spawn(move || {
            interp::enter(&i, |py| {
                let code =
                    format!("import mp_demo\nfor _ in range({n}):\n    seen = mp_demo.bump()\n");
                let main = py.import("__main__").unwrap();
                let code = std::ffi::CString::new(code).unwrap();
                py.run(&code, Some(&main.dict()), None).unwrap();
                let seen: (i64, u64) = main.getattr("seen").unwrap().extract().unwrap();
                println!(
                    "  interpreter {} (its own GIL) called bump() {n} times: its state says interpreter {}, {} calls",
                    i.id(),
                    seen.0,
                    seen.1
                );
            })
        })
    };
    let (ta, tb) = (count(a, 200_000), count(b, 10));
    ta.join().unwrap();
    tb.join().unwrap();
    println!("  ending both interpreters:");
    interp::end(main_ts, b);
    interp::end(main_ts, a);
}
