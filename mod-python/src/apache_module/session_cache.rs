//! `_apache.socache_*`: the shared object caches of `shared/session_caches.rs` behind
//! `mod_python.Session.SocacheSession`. A store that cannot be reached or does not answer in
//! time raises `ConnectionError` (apache-rs gives such errors status 503), other failures
//! `OSError`.

use crate::shared::session_caches::{self, OPTION};
use apache::Error;
use apache::shared::socache::Cache;
use pyo3::exceptions::{PyConnectionError, PyIOError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::time::Duration;

/// The cache `spec` names.
fn cache(spec: &str) -> PyResult<Cache> {
    session_caches::cache(spec).map_err(PyRuntimeError::new_err)
}

/// Runs `call` on `cache`: without the GIL when it may wait (memcache and redis, and any cache
/// with a time limit, whose calls wait on a helper thread); with it for shmcb and dbm, whose
/// calls take microseconds: giving the GIL to another thread and taking it back costs more
/// than that, and more again when threads queue for it.
fn run<R: Send>(py: Python<'_>, cache: &Cache, call: impl FnOnce() -> R + Send) -> R {
    if cache.is_networked() || cache.timeout().is_some() {
        py.detach(call)
    } else {
        call()
    }
}

/// `ConnectionError` for a store that is unavailable (503), else `OSError`; `hint` is added to
/// the latter's message.
fn io_error(e: Error, hint: &str) -> PyErr {
    if e.status == 503 {
        PyConnectionError::new_err(e.message)
    } else {
        PyIOError::new_err(format!("{}{hint}", e.message))
    }
}

/// `socache_store(spec, key, value, expiry_seconds)`: stores `value` under `key` for that long.
/// A value over the cache's limit raises `ValueError`.
#[pyfunction]
fn socache_store(
    py: Python<'_>,
    spec: &str,
    key: &[u8],
    value: &[u8],
    expiry_seconds: f64,
) -> PyResult<()> {
    let cache = cache(spec)?;
    let ttl = Duration::try_from_secs_f64(expiry_seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "expiry of {expiry_seconds} seconds: it must be more than 0"
            ))
        })?;
    let limit = cache.max_value_len();
    if value.len() > limit {
        return Err(PyValueError::new_err(format!(
            "{} bytes is more than the {limit} bytes session cache \"{}\" takes \
             (PythonOption {OPTION})",
            value.len(),
            spec.trim()
        )));
    }
    run(py, &cache, || cache.store(key, value, ttl)).map_err(|e| {
        let hint = if cache.provider_name() == "shmcb" {
            " (shmcb also refuses a value larger than one of the subcaches it splits its \
             memory into: give it more, e.g. shmcb:/path(2048000))"
        } else {
            ""
        };
        io_error(e, hint)
    })
}

/// `socache_retrieve(spec, key)`: the value, or None when missing or expired.
#[pyfunction]
fn socache_retrieve<'py>(
    py: Python<'py>,
    spec: &str,
    key: &[u8],
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let cache = cache(spec)?;
    let found = run(py, &cache, || cache.retrieve(key)).map_err(|e| io_error(e, ""))?;
    Ok(found.map(|v| PyBytes::new(py, &v)))
}

/// `socache_remove(spec, key)`: False when there was nothing to remove.
#[pyfunction]
fn socache_remove(py: Python<'_>, spec: &str, key: &[u8]) -> PyResult<bool> {
    let cache = cache(spec)?;
    run(py, &cache, || cache.remove(key)).map_err(|e| io_error(e, ""))
}

/// `socache_limit(spec)`: the largest value the cache takes, in bytes.
#[pyfunction]
fn socache_limit(spec: &str) -> PyResult<usize> {
    Ok(cache(spec)?.max_value_len())
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(socache_store, m)?)?;
    m.add_function(wrap_pyfunction!(socache_retrieve, m)?)?;
    m.add_function(wrap_pyfunction!(socache_remove, m)?)?;
    m.add_function(wrap_pyfunction!(socache_limit, m)?)?;
    Ok(())
}
