//! Python objects made straight from bytes, where pyo3's safe constructors would take an
//! extra pass: `bytes` filled in place without zeroing them first (a body read of 64 KiB
//! would otherwise clear 64 KiB only to overwrite it; pyo3's `PyBytes::new_with` always
//! zeroes), and `str` decoded from Latin-1 in one pass.
//!
//! With gil.rs and startup.rs, this file holds mod-python's `unsafe` (but for the one
//! environment write in hooks.rs).

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::mem::MaybeUninit;

/// A `bytes` of at most `len` bytes: `fill` writes the first `n` bytes of the buffer and
/// returns `n` (at most `len`); the object is shrunk to them. `fill` may release the GIL (the
/// object is not yet reachable from Python, so no other thread can see it half-made).
pub fn bytes_filled_with<'py>(
    py: Python<'py>,
    len: usize,
    fill: impl FnOnce(&mut [MaybeUninit<u8>]) -> PyResult<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    let size = ffi::Py_ssize_t::try_from(len)
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("read size too large"))?;
    // SAFETY: a NULL source asks CPython for an uninitialized buffer of `size` bytes; the
    // result is a new reference (or NULL with an exception set).
    let obj = unsafe { ffi::PyBytes_FromStringAndSize(std::ptr::null(), size) };
    // SAFETY: a new reference or NULL, taken over by a Bound that releases it.
    let bytes = unsafe { Bound::from_owned_ptr_or_err(py, obj)? };
    // SAFETY: the buffer of a bytes object of `len` bytes, owned by `bytes` and reachable by
    // no one else until this function returns it.
    let buf = unsafe {
        std::slice::from_raw_parts_mut(
            ffi::PyBytes_AsString(bytes.as_ptr()).cast::<MaybeUninit<u8>>(),
            len,
        )
    };
    let n = fill(buf)?.min(len);
    if n == len {
        // SAFETY: PyBytes_FromStringAndSize made a bytes object; `fill` wrote all of it.
        return Ok(unsafe { bytes.cast_into_unchecked() });
    }
    // Shrinks in place (realloc) when nobody else holds a reference, which is the case here.
    // Despite its underscore `_PyBytes_Resize` is documented API (Doc/c-api/bytes.rst) on
    // every version from 3.11 to 3.14, declared by pyo3-ffi; PyBytesWriter (3.15) follows it.
    let mut raw = bytes.into_ptr();
    // SAFETY: `raw` is our only reference to a bytes object; on failure CPython releases it
    // and sets raw to NULL with an exception set. The first `n` bytes were written by `fill`.
    let rc = unsafe { ffi::_PyBytes_Resize(&mut raw, n as ffi::Py_ssize_t) };
    if rc != 0 {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: a new reference to a bytes object (still one) after a successful resize.
    Ok(unsafe { Bound::from_owned_ptr(py, raw).cast_into_unchecked() })
}

/// `bytes` as a `str` of one code point per byte (Latin-1), as PEP 3333's native strings
/// are: CPython's Latin-1 decoder in one pass, where going through a Rust `str` would check
/// the bytes as UTF-8 and CPython decode them again.
pub fn latin1_str<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyString>> {
    let size = ffi::Py_ssize_t::try_from(bytes.len())
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("string too long"))?;
    // SAFETY: the GIL is held (`py`); the pointer and size describe `bytes`, which outlives
    // the call; Latin-1 maps every byte, so only a failed allocation gives NULL (with an
    // exception set). The result is a new reference.
    let obj = unsafe { ffi::PyUnicode_DecodeLatin1(bytes.as_ptr().cast(), size, std::ptr::null()) };
    // SAFETY: a new reference or NULL, taken over by a Bound that releases it; the decoder
    // makes a str.
    Ok(unsafe { Bound::from_owned_ptr_or_err(py, obj)?.cast_into_unchecked() })
}
