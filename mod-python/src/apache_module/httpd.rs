//! What `mod_python.apache` asks of httpd itself: logging, the server root, the MPM, the
//! configuration as read, and files' information (`apache.stat`).

use super::request_fallback::finfo_tuple;
use apache::logging::{Level, log};
use pyo3::prelude::*;
use pyo3::types::PyList;

fn level(n: i32) -> Level {
    match n {
        i32::MIN..=0 => Level::Emerg,
        1 => Level::Alert,
        2 => Level::Crit,
        3 => Level::Error,
        4 => Level::Warning,
        5 => Level::Notice,
        6 => Level::Info,
        7 => Level::Debug,
        _ => Level::Trace1,
    }
}

/// `_apache.log_error(message, level)`: against the request being served, if any.
#[pyfunction]
#[pyo3(signature = (message, level = 3))]
fn log_error(message: &str, level: i32) {
    log(self::level(level), message);
}

#[pyfunction]
fn server_root() -> Option<&'static str> {
    apache::server::server_root()
}

#[pyfunction]
fn mpm_query(code: i32) -> Option<i32> {
    apache::server::mpm_query(code)
}

/// `apache.exists_config_define(name)`.
#[pyfunction]
fn exists_config_define(name: &str) -> bool {
    apache::server::exists_config_define(name)
}

/// `apache.stat(fname, wanted)`: the fields of an `mp_finfo`.
#[pyfunction]
fn stat(py: Python<'_>, fname: &str, wanted: i32) -> PyResult<Py<PyAny>> {
    let f = py.detach(|| apache::response::stat(fname, wanted));
    finfo_tuple(py, f)
}

fn tree<'py>(
    py: Python<'py>,
    nodes: impl Iterator<Item = apache::server::ConfigNode>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for n in nodes {
        out.append((n.directive(), n.args()))?;
        if n.first_child().is_some() {
            out.append(tree(py, n.children())?)?;
        }
    }
    Ok(out)
}

/// `apache.config_tree()`: the configuration as read, one `(directive, args)` per directive,
/// a section followed by the list of what it holds.
#[pyfunction]
fn config_tree(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    tree(py, apache::server::config_tree())
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(log_error, m)?)?;
    m.add_function(wrap_pyfunction!(server_root, m)?)?;
    m.add_function(wrap_pyfunction!(mpm_query, m)?)?;
    m.add_function(wrap_pyfunction!(exists_config_define, m)?)?;
    m.add_function(wrap_pyfunction!(stat, m)?)?;
    m.add_function(wrap_pyfunction!(config_tree, m)?)?;
    m.add(
        "MODULE_MAGIC_NUMBER_MAJOR",
        apache::ffi::MODULE_MAGIC_NUMBER_MAJOR,
    )?;
    m.add(
        "MODULE_MAGIC_NUMBER_MINOR",
        apache::ffi::MODULE_MAGIC_NUMBER_MINOR,
    )?;
    Ok(())
}
