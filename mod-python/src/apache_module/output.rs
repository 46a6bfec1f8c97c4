//! The native side of `mod_python._output`'s streams: what `sys.stdout` and `sys.stderr` are
//! given goes to `python::output`, which logs it line by line.

use super::convert::as_bytes;
use crate::python::output::{self, Stream};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

fn stream(fd: i32) -> PyResult<Stream> {
    Stream::from_fd(fd).ok_or_else(|| PyValueError::new_err(format!("no output stream {fd}")))
}

/// `output_write(fd, data)`: text (or bytes) for sys.stdout (1) or sys.stderr (2).
#[pyfunction]
fn output_write(fd: i32, data: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut owned = Vec::new();
    output::write(stream(fd)?, as_bytes(data, &mut owned)?);
    Ok(())
}

/// `output_flush(fd)`: the line this thread started in the stream is logged as it is.
#[pyfunction]
fn output_flush(fd: i32) -> PyResult<()> {
    output::flush(stream(fd)?);
    Ok(())
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(output_write, m)?)?;
    m.add_function(wrap_pyfunction!(output_flush, m)?)?;
    Ok(())
}
