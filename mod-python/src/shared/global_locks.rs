//! mod_python's cross-process global locks (`_apache._global_lock`, `_global_trylock`,
//! `_global_unlock`), which sessions and PSP use: a fixed set of httpd global mutexes, made in
//! `post_config` and attached in each child.
//!
//! `PythonOption mod_python.mutex_locks N` at server level sets how many (default 8). A lock is
//! chosen by index, or by key: keys are hashed with FNV-1a, not Python's `hash()`, which is
//! salted differently in every process and so would send the same key to different locks in
//! different children. Index 0 is left to callers that ask for it by number (mod_python's
//! DbmSession does); keys use 1..N.

use crate::config::DirConf;
use apache::mutex::{self, MutexSet};
use apache::slot::ConfigSlot;
use apache::{HookResult, Pool, Server, Status};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// The mutex type; `Mutex <mechanism> mod_python` configures it.
const MUTEX_TYPE: &str = "mod_python";
const DEFAULT_LOCKS: usize = 8;

static LOCKS: ConfigSlot<MutexSet> = ConfigSlot::new();

apache::hook!(pre_config, |pconf: &Pool, _plog: &Pool| -> HookResult {
    mutex::register(pconf, MUTEX_TYPE)?;
    Ok(Status::Ok)
});

apache::hook!(post_config, |pconf: &Pool,
                            _plog: &Pool,
                            s: &Server|
 -> HookResult {
    let count = s
        .dir_config::<DirConf>()
        .and_then(|c| c.option("mod_python.mutex_locks"))
        .map(|v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| (1..=1024).contains(n))
                .ok_or_else(|| {
                    apache::Error::internal(format!(
                        "PythonOption mod_python.mutex_locks {v:?}: not a number from 1 to 1024"
                    ))
                })
        })
        .transpose()?
        .unwrap_or(DEFAULT_LOCKS);
    LOCKS.set(pconf, MutexSet::create(pconf, s, MUTEX_TYPE, count)?);
    Ok(Status::Ok)
});

/// Attaches the locks in a new child, before any Python code can ask for them.
pub fn child_init(pchild: &Pool) {
    if let Some(Err(e)) = LOCKS.with(|l| l.child_init(pchild)) {
        apache::log::error!("mod_python: global locks unavailable in this child: {e}");
    }
}

fn locks() -> PyResult<MutexSet> {
    LOCKS
        .get()
        .ok_or_else(|| PyRuntimeError::new_err("mod_python's global locks are not set up"))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The lock `index` names, or the one `key` hashes to when `index` is negative.
fn pick(set: &MutexSet, key: Option<&Bound<'_, PyAny>>, index: i64) -> PyResult<usize> {
    let n = set.len();
    if index >= 0 {
        let i = usize::try_from(index).unwrap_or(usize::MAX);
        if i >= n {
            return Err(PyValueError::new_err(format!(
                "lock index {index} out of range: there are {n} locks \
                 (PythonOption mod_python.mutex_locks)"
            )));
        }
        return Ok(i);
    }
    let key = key
        .filter(|k| !k.is_none())
        .ok_or_else(|| PyValueError::new_err("a global lock needs a key or an index"))?;
    let text = key.str()?.to_str()?.to_string();
    let spread = (n.max(2) - 1) as u64;
    Ok(((fnv1a(text.as_bytes()) % spread) + 1) as usize % n)
}

fn lock_error(e: apache::Error) -> PyErr {
    PyValueError::new_err(e.message)
}

/// The lock set and the index a call names. (The server argument of the 3.5 API chose the
/// server's locks; there is one set for the whole httpd.)
fn target(key: Option<&Bound<'_, PyAny>>, index: i64) -> PyResult<(MutexSet, usize)> {
    let set = locks()?;
    let i = pick(&set, key, index)?;
    Ok((set, i))
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

/// Adds the lock functions to an interpreter's `_apache` module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_global_lock, m)?)?;
    m.add_function(wrap_pyfunction!(_global_trylock, m)?)?;
    m.add_function(wrap_pyfunction!(_global_unlock, m)?)?;
    Ok(())
}
