//! `mod_python._apache`: the native functions the Python objects handlers see are built on.
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

use pyo3::prelude::*;

/// The `mod_python._apache` module for the interpreter `name`.
pub fn build<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyModule>> {
    let m = PyModule::new(py, "_apache")?;
    m.add("crate_version", env!("CARGO_PKG_VERSION"))?;
    m.add("interpreter", name)?;
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
