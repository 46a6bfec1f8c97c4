//! The native side of `mp_conn` and `mp_connection` (`mod_python/_connection.py`): the
//! connection a request came on, read through the request (`conn_*`); and the connection a
//! `PythonConnectionHandler` serves (`served_conn_*` and the reads and writes), whose `ConnIo`
//! is lent to the thread (`ConnIo::with_lent`). The GIL is released while waiting for the
//! client.

use super::convert::{as_bytes, io_error, obj, py_opt};
use super::handles::{with, with_ref};
use apache::Connection;
use apache::conn::ConnIo;
use pyo3::exceptions::{PyAttributeError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::io::Write;

/// `conn.<name>`: a field of the connection, read when asked.
fn field(py: Python<'_>, c: &Connection, name: &str) -> PyResult<Py<PyAny>> {
    let ip = |ip: Option<&str>| ip.map(str::to_string);
    match name {
        "base_server" => obj(py, c.base_server().as_ptr() as usize),
        "client_ip" => py_opt(py, c.client_ip()),
        "client_addr" => obj(py, (ip(c.client_ip()), c.client_port())),
        "local_ip" => py_opt(py, c.local_ip()),
        "local_addr" => obj(py, (ip(c.local_ip()), c.local_port())),
        "remote_host" => py_opt(py, c.remote_host()),
        "remote_logname" => py_opt(py, c.remote_logname()),
        "local_host" => py_opt(py, c.local_host()),
        "double_reverse" => obj(py, c.double_reverse()),
        "keepalive" => obj(py, c.keepalive_state()),
        "keepalives" => obj(py, c.keepalives()),
        "id" => obj(py, c.id()),
        // Set by httpd once a write to the client has failed.
        "aborted" => obj(py, i32::from(c.aborted())),
        "notes" => obj(py, c.notes().iter().collect::<Vec<_>>()),
        "_conn_rec" => obj(py, c.as_ptr() as usize),
        _ => Err(PyAttributeError::new_err(name.to_string())),
    }
}

/// `req.connection.<name>`: the connection of the request `h`.
#[pyfunction]
fn conn_get(py: Python<'_>, h: usize, name: &str) -> PyResult<Py<PyAny>> {
    with_ref(h, |r| field(py, r.connection(), name))
}

/// `conn.<name>` of the connection `h` a connection handler serves.
#[pyfunction]
fn served_conn_get(py: Python<'_>, h: usize, name: &str) -> PyResult<Py<PyAny>> {
    with_conn(h, |io| Ok(field(py, io.connection(), name)))?
}

/// `req.connection.keepalive = state`: httpd's keep-alive decision for the connection
/// (`apache.AP_CONN_CLOSE` closes it after this response).
#[pyfunction]
fn conn_set_keepalive(h: usize, state: i32) -> PyResult<()> {
    with(h, |r| {
        if r.connection_mut().set_keepalive_state(state) {
            Ok(())
        } else {
            Err(PyValueError::new_err(format!(
                "{state} is not one of apache.AP_CONN_UNKNOWN, AP_CONN_CLOSE, AP_CONN_KEEPALIVE"
            )))
        }
    })
}

/// Runs `f` on the connection `h`'s `ConnIo`, lent to this thread by a connection handler.
fn with_conn<R>(h: usize, f: impl FnOnce(&mut ConnIo<'_>) -> std::io::Result<R>) -> PyResult<R> {
    let not_served =
        || PyRuntimeError::new_err("the connection is not being served by a connection handler");
    if h == 0 {
        return Err(not_served());
    }
    ConnIo::with_lent(|io| {
        if io.connection().as_ptr() as usize == h {
            f(io).map_err(io_error)
        } else {
            Err(not_served())
        }
    })
    .unwrap_or_else(|_| Err(not_served()))
}

/// Pieces a read without a limit asks for at a time.
const CONN_CHUNK: usize = 64 * 1024;

/// `conn.read([len])`: at most `len` bytes, waiting for at least one; without `len`, all
/// until the client closes.
#[pyfunction]
fn conn_read<'py>(py: Python<'py>, h: usize, n: i64) -> PyResult<Bound<'py, PyBytes>> {
    let data = py.detach(|| {
        with_conn(h, |io| match usize::try_from(n) {
            Ok(n) => io.read_bytes(n),
            Err(_) => {
                let mut all = Vec::new();
                loop {
                    let part = io.read_bytes(CONN_CHUNK)?;
                    if part.is_empty() {
                        return Ok(all);
                    }
                    all.extend_from_slice(&part);
                }
            }
        })
    })?;
    Ok(PyBytes::new(py, &data))
}

/// `conn.readline([len])`: a line with its `\n`, or its first `len` bytes; empty at the end.
#[pyfunction]
fn conn_readline<'py>(py: Python<'py>, h: usize, n: i64) -> PyResult<Bound<'py, PyBytes>> {
    let data = py.detach(|| {
        with_conn(h, |io| match usize::try_from(n) {
            Ok(0) => Ok(Vec::new()),
            Ok(n) => io.read_line(n),
            Err(_) => {
                let mut line = Vec::new();
                loop {
                    let part = io.read_line(CONN_CHUNK)?;
                    let done = part.is_empty() || part.ends_with(b"\n");
                    line.extend_from_slice(&part);
                    if done {
                        return Ok(line);
                    }
                }
            }
        })
    })?;
    Ok(PyBytes::new(py, &data))
}

/// `conn.write(data)`: sent to the client at once.
#[pyfunction]
fn conn_write(py: Python<'_>, h: usize, data: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut owned = Vec::new();
    let bytes = as_bytes(data, &mut owned)?;
    py.detach(|| {
        with_conn(h, |io| {
            io.write_all(bytes)?;
            io.flush()
        })
    })
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(conn_get, m)?)?;
    m.add_function(wrap_pyfunction!(served_conn_get, m)?)?;
    m.add_function(wrap_pyfunction!(conn_set_keepalive, m)?)?;
    m.add_function(wrap_pyfunction!(conn_read, m)?)?;
    m.add_function(wrap_pyfunction!(conn_readline, m)?)?;
    m.add_function(wrap_pyfunction!(conn_write, m)?)?;
    Ok(())
}
