//! What `mod_python.apache` asks of httpd itself: logging, the server root, the MPM, the
//! configuration as read, and files' information (`apache.stat`).

use super::request_fallback::finfo_tuple;
use apache::core::logging::{Level, log};
use apache::http::FinfoFields;
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
fn server_root() -> Option<String> {
    apache::Server::with_main(|s| s.server_root().map(str::to_owned)).flatten()
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
    let f = py.detach(|| apache::http::stat(fname, FinfoFields::from_bits(wanted)));
    finfo_tuple(py, f)
}

fn tree<'a, 'py>(
    py: Python<'py>,
    nodes: impl Iterator<Item = apache::server::ConfigNode<'a>>,
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
    apache::Server::with_main(|s| tree(py, s.config_tree()))
        .unwrap_or_else(|| Ok(PyList::empty(py)))
}

/// `mod_python.version`'s values: those of the running httpd, and those `apxs` gave the build.
#[pyfunction]
fn build_info() -> Vec<(&'static str, String)> {
    let (major, minor, patch) = apache::server::httpd_version();
    vec![
        ("HTTPD_VERSION", format!("{major}.{minor}.{patch}")),
        (
            "APR_VERSION",
            apache::server::apr_version().unwrap_or("").to_string(),
        ),
        ("HTTPD", env!("MOD_PYTHON_APXS_HTTPD").to_string()),
        ("LIBEXECDIR", env!("MOD_PYTHON_APXS_LIBEXECDIR").to_string()),
        ("SYSCONFDIR", env!("MOD_PYTHON_APXS_SYSCONFDIR").to_string()),
        ("PYTHON_BIN", env!("MOD_PYTHON_PYTHON_BIN").to_string()),
    ]
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(build_info, m)?)?;
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
