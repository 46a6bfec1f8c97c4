//! Values between Python and httpd: text and bytes in, text and objects out.

use crate::python::rawbytes::latin1_str;
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyIOError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyMemoryView, PyString, PyTuple};
use std::borrow::Cow;

/// An I/O failure as Python's `IOError`.
pub fn io_error(e: impl std::fmt::Display) -> PyErr {
    PyIOError::new_err(e.to_string())
}

/// Bytes httpd holds (a header, a table entry, a path) as `str`: UTF-8, with bytes that are
/// not (a client's Latin-1 cookie, a path with `%ff`) kept as surrogates (`surrogateescape`),
/// so nothing is hidden and `text.encode('utf-8', 'surrogateescape')` gives back the bytes.
pub fn lossless_text<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(PyString::new(py, s).into_any()),
        Err(_) => PyBytes::new(py, bytes).call_method1("decode", ("utf-8", "surrogateescape")),
    }
}

/// [`lossless_text`] of a field httpd may have left NULL: None then.
pub fn opt_lossless_text(py: Python<'_>, bytes: Option<&[u8]>) -> PyResult<Py<PyAny>> {
    match bytes {
        Some(b) => Ok(lossless_text(py, b)?.unbind()),
        None => Ok(py.None()),
    }
}

/// HTTP Basic credentials (`req.user`, `req.get_basic_auth_pw()`) as `str`: UTF-8 when they
/// are, else Latin-1 (a character per byte), the charset browsers send them in unless the
/// challenge asks for UTF-8 (RFC 7617), so a name compares equal to the one it spells.
pub fn credential_text(py: Python<'_>, bytes: Option<&[u8]>) -> PyResult<Py<PyAny>> {
    match bytes.map(std::str::from_utf8) {
        None => Ok(py.None()),
        Some(Ok(s)) => Ok(PyString::new(py, s).into_any().unbind()),
        Some(Err(_)) => Ok(latin1_str(py, bytes.unwrap_or_default())?
            .into_any()
            .unbind()),
    }
}

/// What a `str` (its surrogates as the bytes they stand for) or `bytes` gives httpd; any other
/// type is a `TypeError` saying that `what` must be a string.
pub fn text_bytes<'a>(v: &'a Bound<'_, PyAny>, what: &str) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(match s.to_str() {
            Ok(text) => Cow::Borrowed(text.as_bytes()),
            Err(_) => Cow::Owned(
                s.call_method1("encode", ("utf-8", "surrogateescape"))?
                    .cast::<PyBytes>()?
                    .as_bytes()
                    .to_vec(),
            ),
        });
    }
    match v.cast::<PyBytes>() {
        Ok(b) => Ok(Cow::Borrowed(b.as_bytes())),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{what} must be a string, not {}",
            v.get_type().name()?
        ))),
    }
}

/// The bytes of `data` to send: a `str` as UTF-8 (its surrogates as the bytes they stand
/// for), `bytes` as they are, a list or tuple of byte values, or an object with the buffer
/// protocol (`bytearray`, `memoryview`, `array`); `owned` holds them when they had to be made.
///
/// Not `extract::<Vec<u8>>()` on anything else: when it fails, pyo3 names the
/// `collections.abc.Sequence` class of the first interpreter that asked, kept in a
/// process-wide static, which an interpreter with its own GIL must not touch.
pub fn as_bytes<'a>(data: &'a Bound<'_, PyAny>, owned: &'a mut Vec<u8>) -> PyResult<&'a [u8]> {
    if let Ok(s) = data.cast::<PyString>() {
        match s.to_str() {
            Ok(s) => Ok(s.as_bytes()),
            // Text holding bytes that came in as surrogates (a header that was not UTF-8)
            // goes out as those bytes.
            Err(_) => {
                let encoded = s.call_method1("encode", ("utf-8", "surrogateescape"))?;
                *owned = encoded.cast::<PyBytes>()?.as_bytes().to_vec();
                Ok(owned)
            }
        }
    } else if let Ok(b) = data.cast::<PyBytes>() {
        Ok(b.as_bytes())
    } else if data.is_instance_of::<PyList>() || data.is_instance_of::<PyTuple>() {
        *owned = data
            .extract::<Vec<u8>>()
            .map_err(|_| PyTypeError::new_err("write() takes str or bytes"))?;
        Ok(owned)
    } else if let Ok(view) = PyMemoryView::from(data) {
        *owned = view
            .call_method0("tobytes")?
            .cast::<PyBytes>()?
            .as_bytes()
            .to_vec();
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
