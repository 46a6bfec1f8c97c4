//! The native side of `mp_table` (`mod_python/_table.py`): one of a request's tables
//! (`headers_in`, `headers_out`, ...), named by its request's handle and a [`TableId`].

use super::convert::{lossless_text, text_bytes};
use super::handles::{with, with_ref};
use apache::Request;
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

/// Which of a request's tables a table object shows, numbered as `mod_python._table`
/// numbers them (its `HEADERS_IN` ... `CONN_NOTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableId {
    HeadersIn,
    HeadersOut,
    ErrHeadersOut,
    Notes,
    SubprocessEnv,
    /// The notes of the request's connection.
    ConnectionNotes,
}

impl<'a, 'py> FromPyObject<'a, 'py> for TableId {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(match obj.extract::<u8>() {
            Ok(0) => TableId::HeadersIn,
            Ok(1) => TableId::HeadersOut,
            Ok(2) => TableId::ErrHeadersOut,
            Ok(3) => TableId::Notes,
            Ok(4) => TableId::SubprocessEnv,
            Ok(5) => TableId::ConnectionNotes,
            _ => return Err(PyValueError::new_err("no such table")),
        })
    }
}

/// Which of the request's tables a table object shows.
fn table(r: &mut Request, which: TableId) -> &mut apache::Table {
    match which {
        TableId::HeadersIn => r.headers_in_mut(),
        TableId::HeadersOut => r.headers_out_mut(),
        TableId::ErrHeadersOut => r.err_headers_out_mut(),
        TableId::Notes => r.notes_mut(),
        TableId::SubprocessEnv => r.subprocess_env_mut(),
        TableId::ConnectionNotes => r.connection_mut().notes_mut(),
    }
}

/// A table for reading, of the lent request or one linked to it (`req.main.notes`).
fn table_ref(r: &Request, which: TableId) -> &apache::Table {
    match which {
        TableId::HeadersIn => r.headers_in(),
        TableId::HeadersOut => r.headers_out(),
        TableId::ErrHeadersOut => r.err_headers_out(),
        TableId::Notes => r.notes(),
        TableId::SubprocessEnv => r.subprocess_env(),
        TableId::ConnectionNotes => r.connection().notes(),
    }
}

/// A key as the bytes httpd compares (case-insensitively).
fn key_bytes<'a>(key: &'a Bound<'_, PyAny>) -> PyResult<std::borrow::Cow<'a, [u8]>> {
    text_bytes(key, "table keys")
}

/// `table[key]`: the value, or a list of them when the key repeats.
#[pyfunction]
fn tab_get(
    py: Python<'_>,
    h: usize,
    which: TableId,
    key: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let k = key_bytes(key)?;
    with_ref(h, |r| {
        let t = table_ref(r, which);
        let mut values: Vec<Bound<'_, PyAny>> = t
            .iter_bytes()
            .filter(|(name, _)| name.eq_ignore_ascii_case(&k))
            .map(|(_, v)| lossless_text(py, v))
            .collect::<PyResult<_>>()?;
        match values.len() {
            0 => Err(PyKeyError::new_err(key.clone().unbind())),
            1 => Ok(values.remove(0).unbind()),
            _ => Ok(PyList::new(py, values)?.into_any().unbind()),
        }
    })
}

/// `table.get(key, default)`: the first value of `key` (as httpd's `apr_table_get` finds it,
/// and as mod_python 3.5 answered), or `default`.
#[pyfunction]
fn tab_first(
    py: Python<'_>,
    h: usize,
    which: TableId,
    key: &Bound<'_, PyAny>,
    default: Py<PyAny>,
) -> PyResult<Py<PyAny>> {
    let k = key_bytes(key)?;
    with_ref(h, |r| match table_ref(r, which).get_bytes(&k) {
        Some(v) => Ok(lossless_text(py, v)?.unbind()),
        None => Ok(default),
    })
}

/// Sets (`add` false: replacing every value) or adds a value: `str` (its surrogates as the
/// bytes they stand for) or `bytes` (a WSGI header value is Latin-1 text sent as its bytes).
#[pyfunction]
fn tab_put(
    h: usize,
    which: TableId,
    key: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    add: bool,
) -> PyResult<()> {
    let k = key_bytes(key)?;
    let v = text_bytes(value, "table values")?;
    with(h, |r| {
        let t = table(r, which);
        if add {
            t.add(&k, &v);
        } else {
            t.set(&k, &v);
        }
        Ok(())
    })
}

/// `del table[key]`: every value of `key` goes; a key that is not there is no error, as in
/// mod_python 3.5.
#[pyfunction]
fn tab_del(h: usize, which: TableId, key: &Bound<'_, PyAny>) -> PyResult<()> {
    let k = key_bytes(key)?;
    with(h, |r| {
        table(r, which).unset(&k);
        Ok(())
    })
}

#[pyfunction]
fn tab_has(h: usize, which: TableId, key: &Bound<'_, PyAny>) -> PyResult<bool> {
    let k = key_bytes(key)?;
    with_ref(h, |r| Ok(table_ref(r, which).contains(&k)))
}

#[pyfunction]
fn tab_len(h: usize, which: TableId) -> PyResult<usize> {
    with_ref(h, |r| Ok(table_ref(r, which).len()))
}

#[pyfunction]
fn tab_items(py: Python<'_>, h: usize, which: TableId) -> PyResult<Py<PyList>> {
    with_ref(h, |r| {
        let items = table_ref(r, which)
            .iter_bytes()
            .map(|(k, v)| Ok((lossless_text(py, k)?, lossless_text(py, v)?)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.unbind())
    })
}

#[pyfunction]
fn tab_clear(h: usize, which: TableId) -> PyResult<()> {
    with(h, |r| {
        table(r, which).clear();
        Ok(())
    })
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tab_get, m)?)?;
    m.add_function(wrap_pyfunction!(tab_first, m)?)?;
    m.add_function(wrap_pyfunction!(tab_put, m)?)?;
    m.add_function(wrap_pyfunction!(tab_del, m)?)?;
    m.add_function(wrap_pyfunction!(tab_has, m)?)?;
    m.add_function(wrap_pyfunction!(tab_len, m)?)?;
    m.add_function(wrap_pyfunction!(tab_items, m)?)?;
    m.add_function(wrap_pyfunction!(tab_clear, m)?)?;
    Ok(())
}
