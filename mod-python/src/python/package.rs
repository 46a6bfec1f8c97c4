//! The `mod_python` package compiled into the module: each module's source and, when the
//! build's Python could make it, its bytecode (build.rs); and the finder (`bootstrap.py`)
//! that serves them to an interpreter ahead of `sys.path`.
//!
//! Every interpreter of every child imports the package, so its cost is paid at each child's
//! start: the bytecode spares compiling the sources (most of an import's time), and a module
//! is handed to Python only when it is imported.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyModule, PyString};
use std::ffi::CString;

const BOOTSTRAP: &str = include_str!("../../python/bootstrap.py");

mod generated {
    include!(concat!(env!("OUT_DIR"), "/package.rs"));
}
use generated::{BYTECODE_MAGIC, PACKAGE};

/// A module's marshalled code when `bytecode` is true and the build made it, else its source;
/// `KeyError` for a name that is not in the package.
#[pyfunction]
fn load<'py>(py: Python<'py>, name: &str, bytecode: bool) -> PyResult<Bound<'py, PyAny>> {
    let (_, source, code, _) = PACKAGE
        .iter()
        .find(|(n, ..)| *n == name)
        .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(name.to_string()))?;
    if bytecode && !code.is_empty() {
        Ok(PyBytes::new(py, code).into_any())
    } else {
        Ok(PyString::new(py, source).into_any())
    }
}

/// Puts the package's finder first on this interpreter's `sys.meta_path`.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let code = CString::new(BOOTSTRAP).expect("no NUL in bootstrap.py");
    let boot = PyModule::from_code(
        py,
        &code,
        c"<mod_python.so>/bootstrap.py",
        c"_mod_python_bootstrap",
    )?;
    let packages = PyDict::new(py);
    for (name, _, _, is_package) in PACKAGE {
        packages.set_item(name, is_package)?;
    }
    let load = wrap_pyfunction!(load, py)?;
    boot.call_method1(
        "install",
        (packages, load, PyBytes::new(py, BYTECODE_MAGIC)),
    )?;
    Ok(())
}
