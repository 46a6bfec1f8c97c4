//! The native side of the filter object of `<!--#python -->` elements
//! (`mod_python/_include.py`): what the code writes goes into the page where the element
//! stands, through the element `serving/include.rs` lends to the thread.

use super::convert::as_bytes;
use apache::filter::include::Element;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// Runs `f` on the element `h` if it is the one lent to this thread.
fn with_element(h: usize, f: impl FnOnce(&mut Element)) -> PyResult<()> {
    let stale = || PyRuntimeError::new_err("the include element this object belongs to is over");
    if h == 0 {
        return Err(stale());
    }
    Element::with_lent(|e| {
        if e.id() == h {
            f(e);
            Ok(())
        } else {
            Err(stale())
        }
    })
    .unwrap_or_else(|_| Err(stale()))
}

/// `ssi_write(h, data)`: into the page, in the element's place.
#[pyfunction]
fn ssi_write(h: usize, data: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut owned = Vec::new();
    let bytes = as_bytes(data, &mut owned)?;
    with_element(h, |e| e.write(bytes))
}

/// `ssi_flush(h)`: the page so far goes to the client now.
#[pyfunction]
fn ssi_flush(h: usize) -> PyResult<()> {
    with_element(h, Element::flush)
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ssi_write, m)?)?;
    m.add_function(wrap_pyfunction!(ssi_flush, m)?)?;
    Ok(())
}
