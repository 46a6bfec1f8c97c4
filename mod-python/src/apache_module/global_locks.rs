//! `_apache._global_lock`, `_global_trylock` and `_global_unlock`: the cross-process locks
//! of `shared/global_locks.rs`, which sessions and PSP use. (The server argument of the 3.5
//! API chose the server's locks; there is one set for the whole httpd.)

use crate::shared::global_locks::{self, MutexSet};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// The lock set and the index a call names: the lock `index` names, or the one `key` hashes
/// to when `index` is negative.
fn target(key: Option<&Bound<'_, PyAny>>, index: i64) -> PyResult<(MutexSet, usize)> {
    let set = global_locks::locks()
        .ok_or_else(|| PyRuntimeError::new_err("mod_python's global locks are not set up"))?;
    let i = if index >= 0 {
        global_locks::by_index(&set, index).map_err(PyValueError::new_err)?
    } else {
        let key = key
            .filter(|k| !k.is_none())
            .ok_or_else(|| PyValueError::new_err("a global lock needs a key or an index"))?;
        global_locks::by_key(&set, key.str()?.to_str()?)
    };
    Ok((set, i))
}

fn lock_error(e: apache::Error) -> PyErr {
    PyValueError::new_err(e.message)
}

/// `_global_lock(server, key, index=-1)`: waits for the lock, without the GIL.
#[pyfunction]
#[pyo3(signature = (server, key, index = -1))]
fn _global_lock(
    py: Python<'_>,
    server: &Bound<'_, PyAny>,
    key: Option<&Bound<'_, PyAny>>,
    index: i64,
) -> PyResult<()> {
    let _ = server;
    let (set, i) = target(key, index)?;
    py.detach(|| set.acquire(i)).map_err(lock_error)
}

/// `_global_trylock(server, key, index=-1)`: True when the lock was free and is now held.
#[pyfunction]
#[pyo3(signature = (server, key, index = -1))]
fn _global_trylock(
    server: &Bound<'_, PyAny>,
    key: Option<&Bound<'_, PyAny>>,
    index: i64,
) -> PyResult<bool> {
    let _ = server;
    let (set, i) = target(key, index)?;
    set.try_acquire(i).map_err(lock_error)
}

/// `_global_unlock(server, key, index=-1)`: releases a lock this thread holds.
#[pyfunction]
#[pyo3(signature = (server, key, index = -1))]
fn _global_unlock(
    server: &Bound<'_, PyAny>,
    key: Option<&Bound<'_, PyAny>>,
    index: i64,
) -> PyResult<()> {
    let _ = server;
    let (set, i) = target(key, index)?;
    set.release(i).map_err(lock_error)
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_global_lock, m)?)?;
    m.add_function(wrap_pyfunction!(_global_trylock, m)?)?;
    m.add_function(wrap_pyfunction!(_global_unlock, m)?)?;
    Ok(())
}
