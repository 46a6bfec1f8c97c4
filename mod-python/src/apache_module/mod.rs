//! `mod_python._apache`: the native functions the Python objects handlers see are built on.
//!
//! The module is made per interpreter from one multi-phase definition
//! (`python::native_module`), with a state of its own in each, which the functions that need
//! something of their interpreter reach through the module they are bound to.
//!
//! The objects (`mp_request`, `mp_table`, `mp_conn`, `mp_server`, `mp_filter`, ...) are Python
//! classes of the `mod_python` package (`_request.py`, `_table.py`, ...), made anew in each
//! interpreter, over these plain functions: pyo3's `#[pyclass]` types are process-wide statics,
//! unsound to share between interpreters, and plain functions hold nothing of any interpreter.
//! One file here per object; `mod_python/_apache.pyi` types what the module exports.

mod client_errors;
mod connection;
mod convert;
mod filter;
mod global_locks;
mod handles;
mod httpd;
mod include;
mod output;
mod request;
mod request_fallback;
mod server;
mod session_cache;
mod table;

use crate::config::{Gil, GilSetting};
use pyo3::prelude::*;

/// The `mod_python._apache` module for the interpreter `name`, whose `PythonInterpreterGIL`
/// setting is `gil` (for `own_gil` and `gil_directive`, which the error notes of
/// `mod_python.apache` name).
pub fn build<'py>(
    py: Python<'py>,
    name: &str,
    gil: Option<&GilSetting>,
) -> PyResult<Bound<'py, PyModule>> {
    let m = crate::python::native_module::make(py)?;
    m.add("crate_version", env!("CARGO_PKG_VERSION"))?;
    m.add("interpreter", name)?;
    let own = gil.filter(|g| g.gil == Gil::Own);
    m.add("own_gil", own.is_some())?;
    m.add("gil_directive", own.map(|g| g.at.as_str()))?;
    m.add("free_threaded", cfg!(Py_GIL_DISABLED))?;
    httpd::add(&m)?;
    request::add(&m)?;
    table::add(&m)?;
    connection::add(&m)?;
    server::add(&m)?;
    filter::add(&m)?;
    include::add(&m)?;
    output::add(&m)?;
    global_locks::add(&m)?;
    session_cache::add(&m)?;
    Ok(m)
}
