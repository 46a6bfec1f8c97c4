//! Values between Python and httpd: text and bytes in, text and objects out.

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyIOError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// An I/O failure as Python's `IOError`.
pub fn io_error(e: impl std::fmt::Display) -> PyErr {
    PyIOError::new_err(e.to_string())
}

/// A value as text: a `str` as it is, anything else as `str()` makes it.
pub fn text(v: &Bound<'_, PyAny>) -> PyResult<String> {
    match v.cast::<PyString>() {
        Ok(s) => Ok(s.to_str()?.to_string()),
        Err(_) => Ok(v.str()?.to_str()?.to_string()),
    }
}

/// A table's key or value as `str`: UTF-8, with bytes that are not (a client's Latin-1 cookie,
/// say) kept as surrogates (`surrogateescape`), so no entry is hidden and
/// `value.encode('utf-8', 'surrogateescape')` gives back the bytes httpd holds.
pub fn header_text<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(PyString::new(py, s).into_any()),
        Err(_) => PyBytes::new(py, bytes)
            .call_method1(pyo3::intern!(py, "decode"), ("utf-8", "surrogateescape")),
    }
}

/// The bytes of `data` to send: a `str` as UTF-8 (its surrogates as the bytes they stand
/// for), `bytes` as they are, or anything a list of bytes can be made from; `owned` holds
/// them when they had to be made.
pub fn as_bytes<'a>(data: &'a Bound<'_, PyAny>, owned: &'a mut Vec<u8>) -> PyResult<&'a [u8]> {
    if let Ok(s) = data.cast::<PyString>() {
        match s.to_str() {
            Ok(s) => Ok(s.as_bytes()),
            // Text holding bytes that came in as surrogates (a header that was not UTF-8)
            // goes out as those bytes.
            Err(_) => {
                let encoded = s.call_method1(
                    pyo3::intern!(s.py(), "encode"),
                    ("utf-8", "surrogateescape"),
                )?;
                *owned = encoded.cast::<PyBytes>()?.as_bytes().to_vec();
                Ok(owned)
            }
        }
    } else if let Ok(b) = data.cast::<PyBytes>() {
        Ok(b.as_bytes())
    } else if let Ok(v) = data.extract::<Vec<u8>>() {
        *owned = v;
        Ok(owned)
    } else {
        Err(PyTypeError::new_err("write() takes str or bytes"))
    }
}

/// A string or None.
pub fn opt_str(py: Python<'_>, s: Option<&str>) -> Py<PyAny> {
    match s {
        Some(s) => PyString::new(py, s).into_any().unbind(),
        None => py.None(),
    }
}

/// A value or None.
pub fn py_opt<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: Option<T>) -> PyResult<Py<PyAny>> {
    v.into_py_any(py)
}

/// A value as a Python object.
pub fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> PyResult<Py<PyAny>> {
    v.into_py_any(py)
}
