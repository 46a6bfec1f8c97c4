//! pyo3's process-wide statics holding Python objects, when interpreters do not share a GIL:
//! `intern!` (a `PyOnceLock<Py<PyString>>` per call site, used by our code and inside pyo3,
//! e.g. `__name__` in `add_function`), a `PyOnceLock` caching an ordinary object, and the
//! type object of `PanicException` (made on the first panic, in whichever interpreter).

use crate::interp::{self, Interp};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyModule, PyString};

/// One call site of `intern!`, shared by every interpreter that calls it.
fn probe_name(py: Python<'_>) -> Bound<'_, PyString> {
    pyo3::intern!(py, "mod_python_probe_name").clone()
}

/// Another call site, used first by the main interpreter.
fn main_first_name(py: Python<'_>) -> Bound<'_, PyString> {
    pyo3::intern!(py, "mod_python_probe_main_first").clone()
}

/// A naive per-process cache of an ordinary (not interned) string.
static CACHED: PyOnceLock<Py<PyString>> = PyOnceLock::new();

#[pyfunction]
fn boom() {
    panic!("a panic in a #[pyfunction]");
}

fn refcnt(o: &Bound<'_, PyAny>) -> isize {
    // SAFETY: the object is alive (borrowed) and a GIL is held.
    unsafe { ffi::Py_REFCNT(o.as_ptr()) }
}

/// What one interpreter sees of the statics.
fn look(py: Python<'_>, label: &str) {
    let name = probe_name(py);
    let sys = py.import("sys").unwrap();
    let own_intern = sys
        .call_method1("intern", (String::from("mod_python_probe_") + "name",))
        .unwrap();
    println!(
        "  {label}: intern! gives object {:p} (refcount {}); this interpreter's sys.intern of the same text is {}",
        name.as_ptr(),
        refcnt(name.as_any()),
        if own_intern.is(&name) {
            "that same object".to_string()
        } else {
            format!(
                "ANOTHER object {:p}: this interpreter has its own interned strings",
                own_intern.as_ptr()
            )
        }
    );
    let cached = CACHED.get_or_init(py, || {
        PyString::new(py, "cached once, by the first interpreter").unbind()
    });
    println!(
        "  {label}: PyOnceLock<Py<PyString>> holds object {:p}, refcount {} (not immortal: every bind/clone from any interpreter writes it)",
        cached.as_ptr(),
        refcnt(cached.bind(py).as_any())
    );
    let from_main = main_first_name(py);
    println!(
        "  {label}: the intern! string the main interpreter made: object {:p}, refcount {}",
        from_main.as_ptr(),
        refcnt(from_main.as_any())
    );
    drop(from_main);
    // A panic in a #[pyfunction]: pyo3 raises PanicException, a type it makes once.
    let m = PyModule::new(py, "panicky").unwrap();
    m.add_function(wrap_pyfunction!(boom, &m).unwrap()).unwrap();
    let main = py.import("__main__").unwrap();
    main.setattr("panicky", &m).unwrap();
    py.run(
        c"
try:
    panicky.boom()
except BaseException as e:
    caught = e
",
        Some(&main.dict()),
        None,
    )
    .unwrap();
    let caught = main.getattr("caught").unwrap();
    let ty = caught.get_type();
    println!(
        "  {label}: the panic was raised as {} at type object {:p}",
        ty.name().unwrap(),
        ty.as_ptr()
    );
    // Release what this interpreter holds through `main` before it ends.
    main.delattr("caught").unwrap();
}

/// Whether the strings pyo3 and mod_python intern are immortal (then sharing them between
/// interpreters writes no reference count) on this CPython.
fn names(py: Python<'_>) {
    const NAMES: [&str; 12] = [
        "__name__",
        "__all__",
        "__builtins__",
        "__dict__",
        "__qualname__",
        "__module__",
        "decode",
        "encode",
        "_h",
        "_cleanups",
        "StringIO",
        "getvalue",
    ];
    let mut out = Vec::new();
    for n in NAMES {
        let s = PyString::intern(py, n);
        let rc = refcnt(s.as_any());
        // A count of at least 2^30 is CPython's immortal mark (3.12+).
        out.push(format!(
            "{n}={}",
            if rc >= 1 << 30 {
                "immortal".to_string()
            } else {
                format!("refcount {rc}")
            }
        ));
    }
    println!("  interned in the main interpreter: {}", out.join(", "));
}

pub fn run(main_ts: *mut ffi::PyThreadState) {
    std::panic::set_hook(Box::new(|info| println!("  (Rust panic: {})", info)));
    // An intern! call site first used by the main interpreter (as pyo3's own `__name__` is,
    // when mod_python sets up main's `_apache` before any other).
    // SAFETY: main_ts is this thread's state, not current.
    unsafe { ffi::PyEval_RestoreThread(main_ts) };
    Python::attach(|py| {
        names(py);
        let s = main_first_name(py);
        println!(
            "  main interpreter: intern! (first use) gives object {:p}, refcount {}",
            s.as_ptr(),
            refcnt(s.as_any())
        );
    });
    // SAFETY: the main GIL is held with main_ts.
    unsafe { ffi::PyEval_SaveThread() };
    let a = interp::create(main_ts, true, |_| {});
    let b = interp::create(main_ts, true, |_| {});
    let on_thread = |i: Interp, label: &'static str| {
        std::thread::spawn(move || interp::enter(&i, |py| look(py, label)))
            .join()
            .unwrap()
    };
    on_thread(a, "own-GIL interpreter A (first to use them)");
    on_thread(b, "own-GIL interpreter B");
    interp::end(main_ts, a);
    println!("  interpreter A ended; B uses the statics A filled:");
    std::thread::spawn(move || {
        interp::enter(&b, |py| {
            let name = probe_name(py);
            let text = name.to_str().map(str::to_string);
            println!(
                "  B: intern!'s string reads {:?}, refcount {}",
                text,
                refcnt(name.as_any())
            );
            let cached = CACHED.get(py).unwrap().bind(py);
            println!(
                "  B: the cached string reads {:?}",
                cached.to_str().map(str::to_string)
            );
        })
    })
    .join()
    .unwrap();
    on_thread(b, "own-GIL interpreter B, again after A ended");
    interp::end(main_ts, b);
    let _ = std::panic::take_hook();
}
