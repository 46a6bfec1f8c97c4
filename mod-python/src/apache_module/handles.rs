//! How a native function reaches the request a request object names.
//!
//! A request object is named by a handle, its request's identity (`Request::id`), and reaches
//! the request through `Request::with_lent`: only while one of its hooks runs on this thread.
//! A handle of 0 is a request object whose request ended. An object may name a request related
//! to the one being served (`req.main`, `req.prev`, `req.next`): [`with_ref`] finds it by
//! walking those links from the lent request, and such objects are read-only.

use crate::serving::request::stale;
use apache::Request;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// Runs `f` on the request `h` if it is the one lent to this thread.
pub fn with<R>(h: usize, f: impl FnOnce(&mut Request) -> PyResult<R>) -> PyResult<R> {
    if h == 0 {
        return Err(stale());
    }
    Request::with_lent(|r| {
        if r.id() == h {
            f(r)
        } else if is_related_to(r, h) {
            Err(read_only())
        } else {
            Err(stale())
        }
    })
    .unwrap_or_else(|_| Err(stale()))
}

/// Runs `f` on the request `h`, for reading: the lent request, or one linked to it.
pub fn with_ref<R>(h: usize, f: impl FnOnce(&Request) -> PyResult<R>) -> PyResult<R> {
    if h == 0 {
        return Err(stale());
    }
    Request::with_lent(|r| {
        if r.id() == h {
            return f(r);
        }
        match related(r, h) {
            Some(o) => f(o),
            None => Err(stale()),
        }
    })
    .unwrap_or_else(|_| Err(stale()))
}

/// The request named by `h` among the lent request and those linked to it (main, prev, next),
/// a few links deep.
fn related(r: &Request, h: usize) -> Option<&Request> {
    let mut seen: Vec<&Request> = vec![r];
    let mut i = 0;
    while i < seen.len() && seen.len() < 64 {
        let cur = seen[i];
        i += 1;
        for n in [cur.main(), cur.prev(), cur.next()].into_iter().flatten() {
            if n.id() == h {
                return Some(n);
            }
            if !seen.iter().any(|s| s.id() == n.id()) {
                seen.push(n);
            }
        }
    }
    None
}

/// Whether `h` names a request linked to `r` (the lent one).
pub fn is_related_to(r: &Request, h: usize) -> bool {
    h != 0 && r.id() != h && related(r, h).is_some()
}

pub fn read_only() -> PyErr {
    PyRuntimeError::new_err("this request object is read-only: it is not the request being served")
}

/// The handle of a request object (`mp_request._h`), looked up with the name `module` (the
/// `_apache` of the object's interpreter) interned.
pub fn handle_of(module: &Bound<'_, PyModule>, req: &Bound<'_, PyAny>) -> PyResult<usize> {
    req.getattr(crate::python::native_module::handle_name(module)?)?
        .extract()
}
