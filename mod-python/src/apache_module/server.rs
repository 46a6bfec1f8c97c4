//! The native side of `mp_server` (`mod_python/_server.py`): a (virtual) server, named by a
//! handle, its `server_rec`'s address, which is checked against the servers httpd configured
//! before it is used.

use super::convert::{obj, py_opt};
use apache::Server;
use pyo3::exceptions::{PyAttributeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Runs `f` with the server named by handle `sh` (its address), found among the server
/// records httpd configured, so a handle from anywhere never reaches memory that is not a
/// server.
fn with_server<R>(sh: usize, f: impl FnOnce(&Server) -> PyResult<R>) -> PyResult<R> {
    Server::with_main(|m| m.iter().find(|s| s.as_ptr() as usize == sh).map(f))
        .flatten()
        .unwrap_or_else(|| Err(PyValueError::new_err("no such server")))
}

/// The handle of the main server.
#[pyfunction]
fn main_server_handle() -> Option<usize> {
    Server::with_main(|s| s.as_ptr() as usize)
}

/// `server.<name>`.
#[pyfunction]
fn srv_get(py: Python<'_>, sh: usize, name: &str) -> PyResult<Py<PyAny>> {
    with_server(sh, |s| {
        let secs = |us: i64| obj(py, us as f64 / 1e6);
        match name {
            "server_hostname" => py_opt(py, s.server_hostname()),
            "server_admin" => py_opt(py, s.server_admin()),
            "port" => obj(py, s.port()),
            "is_virtual" => obj(py, i32::from(s.is_virtual())),
            "defn_name" => py_opt(py, s.defn_name()),
            "defn_line_number" => obj(py, s.defn_line_number()),
            "error_fname" => py_opt(py, s.error_fname()),
            "loglevel" => obj(py, s.loglevel()),
            "names" => obj(py, PyTuple::new(py, s.names())?),
            "wild_names" => obj(py, PyTuple::new(py, s.wild_names())?),
            "limit_req_line" => obj(py, s.limit_req_line()),
            "limit_req_fieldsize" => obj(py, s.limit_req_fieldsize()),
            "limit_req_fields" => obj(py, s.limit_req_fields()),
            "timeout" => secs(s.timeout_usec()),
            "keep_alive" => obj(py, i32::from(s.keep_alive())),
            "keep_alive_max" => obj(py, s.keep_alive_max()),
            "keep_alive_timeout" => secs(s.keep_alive_timeout_usec()),
            "path" => py_opt(py, s.path()),
            "pathlen" => obj(py, s.pathlen()),
            "restart_time" => py_opt(py, apache::server::restart_time().map(|t| t as f64 / 1e6)),
            "next" => py_opt(py, s.next().map(|n| n.as_ptr() as usize)),
            "my_generation" => obj(
                py,
                apache::server::mpm_query(apache::ffi::AP_MPMQ_GENERATION as i32).unwrap_or(0),
            ),
            _ => Err(PyAttributeError::new_err(name.to_string())),
        }
    })
}

/// `server.get_options()`: the `PythonOption`s of the server's configuration.
#[pyfunction]
fn srv_options(sh: usize) -> PyResult<Vec<(String, String)>> {
    with_server(sh, |s| {
        Ok(s.dir_config::<crate::ThisModule>()
            .map(|c| c.effective_options())
            .unwrap_or_default())
    })
}

/// `server.get_config()`: the mod_python directives of the server's configuration.
#[pyfunction]
fn srv_config(sh: usize) -> PyResult<Vec<(&'static str, String)>> {
    with_server(sh, |s| {
        Ok(s.dir_config::<crate::ThisModule>()
            .map(|c| c.phase_settings().config_items())
            .unwrap_or_default())
    })
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(main_server_handle, m)?)?;
    m.add_function(wrap_pyfunction!(srv_get, m)?)?;
    m.add_function(wrap_pyfunction!(srv_options, m)?)?;
    m.add_function(wrap_pyfunction!(srv_config, m)?)?;
    Ok(())
}
