//! Each interpreter's `os.environ` starts from the environment httpd started the child with.
//!
//! CPython copies the process environment into `os.environ` when an interpreter starts, and
//! writing `os.environ[...]` writes the process environment too. A sub-interpreter made after
//! another one wrote there would start from what the other wrote: Django's stock `wsgi.py`
//! does `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")`, so of two
//! projects in two interpreters, the second would find the first one's setting and serve (or
//! fail on) the wrong site, as it does under mod_wsgi. Here the environment is taken in each
//! child before any Python runs ([`snapshot`]), and each interpreter's `os.environ` is set to it
//! when the interpreter is made ([`apply`]). Writes to `os.environ` still reach the process
//! environment, where C libraries and child processes read it.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::os::unix::ffi::OsStringExt;
use std::sync::OnceLock;

/// The environment of the child before any Python ran, as bytes (POSIX's own form).
static START: OnceLock<Vec<(Vec<u8>, Vec<u8>)>> = OnceLock::new();

/// Takes the child's environment; call before Python starts in the child.
pub fn snapshot() {
    START.get_or_init(|| {
        std::env::vars_os()
            .map(|(k, v)| (k.into_vec(), v.into_vec()))
            .collect()
    });
}

/// Sets this interpreter's `os.environ` (and `os.environb`, which shares its storage) to the
/// environment [`snapshot`] took, without touching the process environment. Call holding the
/// GIL in the interpreter being set up.
pub fn apply(py: Python<'_>) -> PyResult<()> {
    let Some(start) = START.get() else {
        return Ok(());
    };
    // On POSIX, os.environ keeps the environment in `_data`, a dict of bytes to bytes (the
    // posix module's own `environ`), and encodes and decodes at each access.
    let data = py.import("os")?.getattr("environ")?.getattr("_data")?;
    data.call_method0("clear")?;
    for (name, value) in start {
        data.set_item(PyBytes::new(py, name), PyBytes::new(py, value))?;
    }
    Ok(())
}
