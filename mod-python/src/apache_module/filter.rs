//! The native side of `mp_filter` (`mod_python/_filter.py`), and the request's methods that
//! register and add filters.
//!
//! A filter object is named by a handle, the filter instance's identity, and reaches the
//! filter and the brigade of its call through `Filter::with_lent` (see `serving/filter.rs`).
//! The GIL is released while data is read from or passed to the rest of the chain.

use super::convert::{as_bytes, io_error};
use super::handles::with;
use crate::config::{FilterSpec, find_filter, runtime_directory};
use crate::serving::filter::{DYNAMIC, FilterCtx, Marker, send};
use crate::serving::request::RequestState;
use apache::apr::{AprError, Brigade};
use apache::filter::Filter;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

fn stale() -> PyErr {
    PyRuntimeError::new_err("the filter call this object belongs to is over")
}

/// Runs `f` on the filter `h` if it is the one lent to this thread.
fn with_filter<R>(
    h: usize,
    f: impl FnOnce(&mut Filter, &mut Brigade) -> PyResult<R>,
) -> PyResult<R> {
    if h == 0 {
        return Err(stale());
    }
    Filter::with_lent(|flt, bb| {
        if flt.id() == h {
            f(flt, bb)
        } else {
            Err(stale())
        }
    })
    .unwrap_or_else(|_| Err(stale()))
}

/// Records a failure to pass data on (the filter returns it to httpd) and raises it.
fn passed(f: &mut Filter, result: Result<(), AprError>) -> PyResult<()> {
    result.map_err(|e| {
        f.ctx::<FilterCtx>().failed = Some(e);
        io_error(format!("passing data down the filter chain failed: {e}"))
    })
}

/// An output filter's read: the data of the brigade it was called with, up to `limit` bytes
/// or (`readline`) the end of a line. `None` when the end of the stream is next; flush
/// buckets are taken note of (what the callable writes is then flushed after it returns).
fn read_output(
    f: &mut Filter,
    bb: &mut Brigade,
    limit: Option<usize>,
    readline: bool,
) -> PyResult<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let mut flush = false;
    let mut ended = false;
    {
        let mut cursor = bb.cursor();
        while let Some(b) = cursor.bucket() {
            if b.is_eos() {
                if out.is_empty() {
                    cursor.delete();
                    ended = true;
                }
                break;
            }
            if b.is_metadata() {
                flush |= b.is_flush();
                cursor.delete();
                continue;
            }
            let room = limit.map_or(usize::MAX, |l| l - out.len());
            if room == 0 {
                break;
            }
            let data = b.read().map_err(io_error)?;
            let len = data.len();
            let mut take = len.min(room);
            let mut line_done = false;
            if readline {
                if let Some(i) = data[..take].iter().position(|&c| c == b'\n') {
                    take = i + 1;
                    line_done = true;
                }
            }
            out.extend_from_slice(&data[..take]);
            if take < len {
                cursor.split(take).map_err(io_error)?;
            }
            cursor.delete();
            if line_done || limit.is_some_and(|l| out.len() >= l) {
                break;
            }
        }
    }
    if flush {
        f.ctx::<FilterCtx>().flush_seen = true;
    }
    Ok((!ended).then_some(out))
}

/// An input filter's read: from the filters below, with the mode the reader asked for, until
/// `limit` bytes, the end of a line (`readline`), or (no limit) the end of the input, as
/// mod_python 3.5 does. `None` at the end of the input.
fn read_input(f: &mut Filter, limit: Option<usize>, readline: bool) -> PyResult<Option<Vec<u8>>> {
    let mut empty_reads = 0;
    loop {
        let ctx = f.ctx::<FilterCtx>();
        let window = limit.map_or(ctx.pending.len(), |l| l.min(ctx.pending.len()));
        let have_line = readline && ctx.pending[..window].contains(&b'\n');
        let have_all = limit.is_some_and(|l| ctx.pending.len() >= l);
        if have_line || have_all || ctx.eos {
            break;
        }
        let (mode, readbytes) = (ctx.input_mode(), ctx.readbytes);
        let mut got = Vec::new();
        let mut eos = false;
        {
            let mut tmp = f.new_brigade();
            match f.fetch(&mut tmp, mode, true, readbytes) {
                Ok(()) => {}
                Err(e) if e.is_eof() => eos = true,
                Err(e) => {
                    return Err(io_error(format!("input filter read error: {e}")));
                }
            }
            for b in tmp.buckets() {
                if b.is_eos() {
                    eos = true;
                    break;
                }
                if !b.is_metadata() {
                    got.extend_from_slice(b.read().map_err(io_error)?);
                }
            }
        }
        let ctx = f.ctx::<FilterCtx>();
        ctx.eos |= eos;
        if got.is_empty() && !eos {
            empty_reads += 1;
            if empty_reads >= 64 {
                break;
            }
        }
        ctx.pending.extend_from_slice(&got);
    }
    let ctx = f.ctx::<FilterCtx>();
    let mut n = limit.map_or(ctx.pending.len(), |l| l.min(ctx.pending.len()));
    if readline {
        if let Some(i) = ctx.pending[..n].iter().position(|&c| c == b'\n') {
            n = i + 1;
        }
    }
    if n == 0 && ctx.eos {
        return Ok(None);
    }
    Ok(Some(ctx.pending.drain(..n).collect()))
}

/// `filter.read([len])` and `filter.readline([len])`.
#[pyfunction]
fn flt_read(py: Python<'_>, h: usize, n: i64, readline: bool) -> PyResult<Option<Py<PyBytes>>> {
    let limit = usize::try_from(n).ok();
    let got = py.detach(|| {
        with_filter(h, |f, bb| {
            let got = if f.ctx::<FilterCtx>().is_input {
                read_input(f, limit, readline)?
            } else {
                read_output(f, bb, limit, readline)?
            };
            if got.as_ref().is_some_and(|d| !d.is_empty()) {
                f.ctx::<FilterCtx>().consumed = true;
            }
            Ok(got)
        })
    })?;
    Ok(got.map(|d| PyBytes::new(py, &d).unbind()))
}

/// Output kept back before it is passed on, so that many small writes make few brigades.
const OUT_BUFFER: usize = 64 * 1024;

/// `filter.write(data)`: to the next filter (output, sent on at flush, close, the end of the
/// call, or when much is waiting), or to the reader (input).
#[pyfunction]
fn flt_write(py: Python<'_>, h: usize, data: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut owned = Vec::new();
    let bytes = as_bytes(data, &mut owned)?;
    py.detach(|| {
        with_filter(h, |f, bb| {
            let ctx = f.ctx::<FilterCtx>();
            if ctx.closed {
                return Err(PyValueError::new_err("I/O operation on closed filter"));
            }
            if ctx.is_input {
                bb.append_bytes(bytes);
                return Ok(());
            }
            ctx.out.extend_from_slice(bytes);
            if ctx.out.len() >= OUT_BUFFER {
                let out = std::mem::take(&mut ctx.out);
                let rv = send(f, &out, Marker::None);
                passed(f, rv)?;
            }
            Ok(())
        })
    })
}

/// `filter.flush()`: what was written goes on now, with a flush bucket.
#[pyfunction]
fn flt_flush(py: Python<'_>, h: usize) -> PyResult<()> {
    py.detach(|| {
        with_filter(h, |f, _| {
            let ctx = f.ctx::<FilterCtx>();
            if ctx.is_input || ctx.closed {
                return Ok(());
            }
            let out = std::mem::take(&mut ctx.out);
            let rv = send(f, &out, Marker::Flush);
            passed(f, rv)
        })
    })
}

/// `filter.close()`: the end of the stream, after what was written.
#[pyfunction]
fn flt_close(py: Python<'_>, h: usize) -> PyResult<()> {
    py.detach(|| {
        with_filter(h, |f, bb| {
            let ctx = f.ctx::<FilterCtx>();
            if ctx.closed {
                return Ok(());
            }
            ctx.closed = true;
            if ctx.is_input {
                bb.append_eos();
                return Ok(());
            }
            let out = std::mem::take(&mut ctx.out);
            let rv = send(f, &out, Marker::Eos);
            passed(f, rv)
        })
    })
}

/// `filter.pass_on()`: the data of this call goes on untouched (after what was written).
#[pyfunction]
fn flt_pass_on(py: Python<'_>, h: usize) -> PyResult<()> {
    py.detach(|| {
        with_filter(h, |f, bb| {
            let ctx = f.ctx::<FilterCtx>();
            if ctx.closed {
                return Ok(());
            }
            if ctx.is_input {
                if !ctx.pending.is_empty() || ctx.eos {
                    let pending = std::mem::take(&mut ctx.pending);
                    bb.append_bytes(&pending);
                    if ctx.eos {
                        ctx.closed = true;
                        bb.append_eos();
                    }
                    return Ok(());
                }
                let (mode, readbytes) = (ctx.input_mode(), ctx.readbytes);
                return f
                    .fetch(bb, mode, true, readbytes)
                    .map_err(|e| io_error(format!("input filter read error: {e}")));
            }
            let out = std::mem::take(&mut ctx.out);
            if !out.is_empty() {
                let rv = send(f, &out, Marker::None);
                passed(f, rv)?;
            }
            if bb.has_eos() {
                f.ctx::<FilterCtx>().closed = true;
            }
            let rv = f.pass(bb);
            bb.cleanup();
            passed(f, rv)
        })
    })
}

/// `filter.disable()`: later calls pass data through without Python.
#[pyfunction]
fn flt_disable(h: usize) -> PyResult<()> {
    with_filter(h, |f, _| {
        f.ctx::<FilterCtx>().disabled = true;
        Ok(())
    })
}

/// `req.register_output_filter(name, handler[, dir])` and the input one: a filter for this
/// request only, added with `req.add_*_filter(name)`.
#[pyfunction]
#[pyo3(signature = (h, is_input, name, handler, dir = None))]
fn req_register_filter(
    h: usize,
    is_input: bool,
    name: &str,
    handler: &str,
    dir: Option<&str>,
) -> PyResult<()> {
    let dir = dir.map(runtime_directory);
    let spec = FilterSpec::parse(is_input, handler, name, dir.as_deref())
        .map_err(PyValueError::new_err)?;
    with(h, |r| {
        r.state::<RequestState>().filters.push(spec);
        Ok(())
    })
}

/// `req.add_output_filter(name)` and `req.add_input_filter(name)`: a filter registered for
/// this request, or else any filter httpd knows by that name.
#[pyfunction]
fn req_add_filter(h: usize, is_input: bool, name: &str) -> PyResult<()> {
    with(h, |r| {
        let mine = find_filter(&r.state::<RequestState>().filters, is_input, name).is_some();
        let added = match (mine, is_input) {
            (true, false) => r.add_output_filter_with(
                DYNAMIC,
                FilterCtx {
                    dynamic: Some(name.to_string()),
                    ..Default::default()
                },
            ),
            (true, true) => r.add_input_filter_with(
                DYNAMIC,
                FilterCtx {
                    dynamic: Some(name.to_string()),
                    ..Default::default()
                },
            ),
            (false, false) => r.add_output_filter(name),
            (false, true) => r.add_input_filter(name),
        };
        if !added {
            apache::core::logging::log(
                apache::core::logging::Level::Warning,
                &format!("mod_python: no filter named {name:?} to add"),
            );
        }
        Ok(())
    })
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(flt_read, m)?)?;
    m.add_function(wrap_pyfunction!(flt_write, m)?)?;
    m.add_function(wrap_pyfunction!(flt_flush, m)?)?;
    m.add_function(wrap_pyfunction!(flt_close, m)?)?;
    m.add_function(wrap_pyfunction!(flt_pass_on, m)?)?;
    m.add_function(wrap_pyfunction!(flt_disable, m)?)?;
    m.add_function(wrap_pyfunction!(req_register_filter, m)?)?;
    m.add_function(wrap_pyfunction!(req_add_filter, m)?)?;
    Ok(())
}
