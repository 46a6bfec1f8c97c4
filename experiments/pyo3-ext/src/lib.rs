//! `pyo3_ext`: an extension module as pyo3 users write them, single-phase `#[pymodule]`.
use pyo3::prelude::*;

#[pyfunction]
fn hello() -> &'static str {
    "hello from a #[pymodule]"
}

#[pymodule]
fn pyo3_ext(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(hello, m)?)
}
