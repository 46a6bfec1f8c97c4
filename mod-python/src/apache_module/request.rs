//! The native side of `mp_request` (`mod_python/_request.py`): the request_rec's fields, the
//! body, and the request's methods.
//!
//! The attributes and methods handlers use on every request are answered here; the rest of
//! 3.5's request API falls back to `request_fallback.rs`, so the common ones keep a short path.
//! The GIL is released around reads and writes that may block on the client.

use super::client_errors::{WriteFailure, body_error};
use super::convert::{as_bytes, credential_text, io_error, opt_lossless_text, opt_str, text_bytes};
use super::handles::{handle_of, with, with_ref};
use super::request_fallback;
use crate::config::{Phase, parse_handlers, runtime_directory};
use crate::python::rawbytes::{bytes_filled_with, latin1_str};
use crate::serving::request::{RequestState, existing_object, take_added};
use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

/// `req.<name>` for the attributes that read the request_rec. Text fields come as `str`
/// whatever their bytes: a path that is not UTF-8 (`/x/%ff`) keeps its bytes as surrogates,
/// as headers do (`lossless_text`).
#[pyfunction]
fn req_get(py: Python<'_>, h: usize, name: &str) -> PyResult<Py<PyAny>> {
    with_ref(h, |r| {
        let s = |v: Option<&[u8]>| opt_lossless_text(py, v);
        let int = |v: i64| Ok(v.into_pyobject(py)?.into_any().unbind());
        let time = |v: i64| Ok((v as f64 / 1e6).into_pyobject(py)?.into_any().unbind());
        match name {
            "method" => s(r.method_bytes()),
            "uri" => s(r.uri_bytes()),
            "unparsed_uri" => s(r.unparsed_uri_bytes()),
            "args" => s(r.args_bytes()),
            "path_info" => s(r.path_info_bytes()),
            "filename" => s(r.filename_bytes()),
            "canonical_filename" => s(r.canonical_filename_bytes()),
            "hostname" => s(r.hostname_bytes()),
            "protocol" => s(r.protocol_bytes()),
            "the_request" => s(r.the_request_bytes()),
            "status_line" => s(r.status_line_bytes()),
            "content_type" => s(r.content_type_bytes()),
            "content_encoding" => s(r.content_encoding_bytes()),
            "handler" => s(r.handler_bytes()),
            "user" => credential_text(py, r.user_bytes()),
            "ap_auth_type" => s(r.ap_auth_type_bytes()),
            "useragent_ip" => s(r.useragent_ip_bytes()),
            "range" => s(r.range_bytes()),
            "status" => int(r.status().into()),
            "method_number" => int(r.method_number().into()),
            "header_only" => int(r.header_only().into()),
            "proto_num" => int(r.proto_num().into()),
            "remaining" => int(r.remaining()),
            "read_length" => int(r.read_length()),
            "request_time" => time(r.request_time()),
            "mtime" => time(r.mtime()),
            "content_languages" => Ok(PyTuple::new(py, r.content_languages())?.into_any().unbind()),
            _ => request_fallback::get(py, r, name),
        }
    })
}

/// `req.<name> = value` for the writable request_rec attributes.
#[pyfunction]
fn req_set(h: usize, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    match name {
        "status" => {
            let v: i64 = value.extract()?;
            let code = u16::try_from(v).ok().filter(|c| (100..1000).contains(c));
            let code =
                code.ok_or_else(|| PyValueError::new_err(format!("{v} is not an HTTP status")))?;
            with(h, |r| {
                r.set_status(code);
                Ok(())
            })
        }
        "content_type" | "filename" | "user" | "handler" | "uri" | "args" | "path_info"
        | "canonical_filename" | "ap_auth_type" | "status_line" => set_text(h, name, value),
        _ => request_fallback::set(h, name, value),
    }
}

/// Sets a text field of the request_rec from a `str` (its surrogates as the bytes they stand
/// for, so a path read with `%ff` in it goes back as it came) or `bytes`. As in 3.5,
/// `req.handler = None` and `req.args = None` remove the field.
fn set_text(h: usize, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    if value.is_none() && matches!(name, "handler" | "args") {
        return with(h, |r| {
            if name == "handler" {
                r.unset_handler();
            } else {
                r.unset_args();
            }
            Ok(())
        });
    }
    let v = text_bytes(value, name)?;
    with(h, |r| {
        match name {
            "content_type" => r.set_content_type(&v),
            "filename" => r.set_filename(&v),
            "user" => r.set_user(&v),
            "handler" => r.set_handler(&v),
            "uri" => r.set_uri(&v),
            "args" => r.set_args(&v),
            "path_info" => r.set_path_info(&v),
            "canonical_filename" => r.set_canonical_filename(&v),
            "ap_auth_type" => r.set_ap_auth_type(&v),
            _ => r.set_status_line(&v),
        }
        Ok(())
    })
}

/// `req.<name>`, for the properties of `mp_request` (`partial(req_attr, name)`).
#[pyfunction]
#[pyo3(pass_module)]
fn req_attr(
    module: &Bound<'_, PyModule>,
    name: &str,
    req: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    req_get(module.py(), handle_of(module, req)?, name)
}

/// `req.<name> = value`, for the writable properties of `mp_request`.
#[pyfunction]
#[pyo3(pass_module)]
fn req_attr_set(
    module: &Bound<'_, PyModule>,
    name: &str,
    req: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    req_set(handle_of(module, req)?, name, value)
}

/// Sends body bytes (`str` as UTF-8), flushing them to the client when `flush`; without the
/// GIL while httpd writes. Returns how many bytes were given (`req._bytes_queued` counts
/// them).
#[pyfunction]
fn req_write(py: Python<'_>, h: usize, data: &Bound<'_, PyAny>, flush: bool) -> PyResult<usize> {
    let mut owned = Vec::new();
    let bytes = as_bytes(data, &mut owned)?;
    let failed = py.detach(|| {
        with(h, |r| {
            let mut sent = r.write_bytes(bytes);
            if sent.is_ok() && flush {
                sent = r.flush_output();
            }
            Ok(sent.err().map(|e| WriteFailure::of(r, e)))
        })
    })?;
    failed.map_or(Ok(bytes.len()), |f| Err(f.into_pyerr(py)))
}

#[pyfunction]
fn req_flush(py: Python<'_>, h: usize) -> PyResult<()> {
    let failed = py.detach(|| {
        with(h, |r| {
            Ok(r.flush_output().err().map(|e| WriteFailure::of(r, e)))
        })
    })?;
    failed.map_or(Ok(()), |f| Err(f.into_pyerr(py)))
}

/// Reads `n` bytes of the body (fewer only at its end), or all of it when `n` < 0; without
/// the GIL while waiting for the client.
#[pyfunction]
fn req_read<'py>(py: Python<'py>, h: usize, n: i64) -> PyResult<Bound<'py, PyBytes>> {
    match usize::try_from(n) {
        Ok(want) if want <= DIRECT_READ_MAX => read_direct(py, h, want),
        _ => read_buffered(py, h, usize::try_from(n).unwrap_or(usize::MAX)),
    }
}

/// Reads of up to this size go straight into the bytes object handed to Python, as C
/// mod_python does: the usual `req.read(65536)` loop then copies and clears nothing.
const DIRECT_READ_MAX: usize = 1 << 20;

fn read_direct<'py>(py: Python<'py>, h: usize, want: usize) -> PyResult<Bound<'py, PyBytes>> {
    bytes_filled_with(py, want, |buf| {
        let read = py.detach(|| {
            with(h, |r| {
                let mut got = 0;
                while got < buf.len() {
                    match r.read_body_part_uninit(&mut buf[got..]) {
                        Ok(0) => break,
                        Ok(n) => got += n,
                        Err(e) => return Ok(Err(e)),
                    }
                }
                Ok(Ok(got))
            })
        })?;
        read.map_err(|e| body_error(py, e))
    })
}

fn read_buffered<'py>(py: Python<'py>, h: usize, want: usize) -> PyResult<Bound<'py, PyBytes>> {
    let read = py.detach(|| {
        with(h, |r| {
            let mut buf = Vec::new();
            while buf.len() < want {
                let start = buf.len();
                let room = (want - start).min(65536);
                buf.resize(start + room, 0);
                let mut got = 0;
                while got < room {
                    match r.read_body_part(&mut buf[start + got..]) {
                        Ok(0) => break,
                        Ok(n) => got += n,
                        Err(e) => return Ok(Err(e)),
                    }
                }
                buf.truncate(start + got);
                if got < room {
                    break;
                }
            }
            Ok(Ok(buf))
        })
    })?;
    Ok(PyBytes::new(py, &read.map_err(|e| body_error(py, e))?))
}

/// Sends (part of) a file without copying it through Python; returns the bytes sent.
#[pyfunction]
fn req_sendfile(py: Python<'_>, h: usize, path: &str, offset: u64, len: i64) -> PyResult<u64> {
    let len = u64::try_from(len).ok();
    py.detach(|| with(h, |r| r.sendfile(path, offset, len).map_err(io_error)))
}

/// Serves `uri` instead, through every phase. Without the GIL: the new request may well run
/// Python handlers on this same thread.
#[pyfunction]
fn req_internal_redirect(py: Python<'_>, h: usize, uri: &str) -> PyResult<()> {
    py.detach(|| {
        with(h, |r| {
            r.internal_redirect(uri);
            Ok(())
        })
    })
}

/// The request methods that need nothing but the request: `req_call(h, name, *args)`.
#[pyfunction]
#[pyo3(signature = (h, name, *args))]
fn req_call(
    py: Python<'_>,
    h: usize,
    name: &str,
    args: &Bound<'_, PyTuple>,
) -> PyResult<Py<PyAny>> {
    let arg = |i: usize| -> PyResult<Bound<'_, PyAny>> { args.get_item(i) };
    with(h, |r| match name {
        "set_content_length" => {
            r.set_content_length(arg(0)?.extract()?);
            Ok(py.None())
        }
        "discard_request_body" => {
            let code = r.discard_request_body().into_raw();
            Ok(code.into_pyobject(py)?.into_any().unbind())
        }
        "get_basic_auth_pw" => credential_text(py, r.basic_auth_pw_bytes().ok()),
        "auth_name" => Ok(opt_str(py, r.auth_name())),
        "auth_type" => Ok(opt_str(py, r.auth_type())),
        "document_root" => Ok(opt_str(py, r.document_root())),
        "construct_url" => {
            let uri: String = arg(0)?.extract()?;
            Ok(PyString::new(py, &r.construct_url(&uri))
                .into_any()
                .unbind())
        }
        "add_common_vars" => {
            r.add_common_vars();
            Ok(py.None())
        }
        "add_cgi_vars" => {
            r.add_cgi_vars();
            Ok(py.None())
        }
        // mod_python.wsgi, when an application fails once its body has begun.
        "abort_response" => {
            r.abort_response().map_err(io_error)?;
            Ok(py.None())
        }
        _ => request_fallback::call(py, r, name, args),
    })
}

/// `req.add_handler(htype, handler[, dir])`: one more handler for a phase of this request.
#[pyfunction]
#[pyo3(signature = (h, htype, handler, dir = None))]
fn req_add_handler(h: usize, htype: &str, handler: &str, dir: Option<&str>) -> PyResult<()> {
    // 3.5's error, and its words.
    let phase = Phase::from_directive(htype)
        .ok_or_else(|| PyIndexError::new_err(format!("Invalid phase: {htype}")))?;
    let dir = dir.map(runtime_directory);
    let specs = parse_handlers(phase, handler, dir.as_deref()).map_err(PyValueError::new_err)?;
    with(h, |r| {
        r.state::<RequestState>().add_handlers(phase, specs);
        Ok(())
    })
}

/// The handlers added to `phase` (a directive name) since the dispatcher last asked.
#[pyfunction]
fn req_take_added(h: usize, phase: &str) -> PyResult<Vec<(String, String, Option<String>)>> {
    let Some(phase) = Phase::from_directive(phase) else {
        return Ok(Vec::new());
    };
    with(h, |r| {
        Ok(take_added(r, phase)
            .into_iter()
            .map(|hs| (hs.module, hs.callable, hs.directory))
            .collect())
    })
}

/// `req.get_options()`: the `PythonOption`s in effect for the request.
#[pyfunction]
fn req_options(h: usize) -> PyResult<Vec<(String, String)>> {
    with_ref(h, |r| {
        Ok(r.dir_config::<crate::ThisModule>()
            .map(|c| c.effective_options())
            .unwrap_or_default())
    })
}

/// `req.get_config()`: the mod_python directives in effect for the request.
#[pyfunction]
fn req_config(h: usize) -> PyResult<Vec<(&'static str, String)>> {
    with_ref(h, |r| {
        Ok(r.dir_config::<crate::ThisModule>()
            .map(|c| c.phase_settings().config_items())
            .unwrap_or_default())
    })
}

/// The request's CGI variables (after `add_common_vars` and `add_cgi_vars`) as a dict of
/// PEP 3333's native strings: each byte one code point (Latin-1), so nothing is lost. One call
/// where a WSGI environ would otherwise take three and a list of pairs.
#[pyfunction]
fn req_cgi_env<'py>(py: Python<'py>, h: usize) -> PyResult<Bound<'py, PyDict>> {
    with(h, |r| {
        r.add_common_vars();
        r.add_cgi_vars();
        let env = PyDict::new(py);
        for (k, v) in r.subprocess_env().iter_bytes() {
            env.set_item(latin1_str(py, k)?, latin1_str(py, v)?)?;
        }
        Ok(env)
    })
}

/// `req.prev`, `req.next`, `req.main`: the object this interpreter gave that request's
/// handlers (attributes and all, as in 3.5), else that request's handle, for a new object;
/// None when there is no such request.
#[pyfunction]
#[pyo3(pass_module)]
fn req_related(module: &Bound<'_, PyModule>, h: usize, which: &str) -> PyResult<Option<Py<PyAny>>> {
    let py = module.py();
    let name: String = module.getattr("interpreter")?.extract()?;
    let interp = crate::python::interpreters::get(&name);
    with_ref(h, |r| {
        let other = match which {
            "prev" => r.prev(),
            "next" => r.next(),
            "main" => r.main(),
            _ => {
                return Err(PyValueError::new_err(format!(
                    "no related request {which:?}"
                )));
            }
        };
        let Some(other) = other else {
            return Ok(None);
        };
        if let Some(obj) = interp.and_then(|i| existing_object(py, other, i)) {
            return Ok(Some(obj));
        }
        Ok(Some(other.id().into_pyobject(py)?.into_any().unbind()))
    })
}

/// The handle of the request's server.
#[pyfunction]
fn req_server_handle(h: usize) -> PyResult<usize> {
    with_ref(h, |r| Ok(r.server().as_ptr() as usize))
}

/// Adds these functions to an interpreter's `_apache` module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(req_get, m)?)?;
    m.add_function(wrap_pyfunction!(req_set, m)?)?;
    m.add_function(wrap_pyfunction!(req_attr, m)?)?;
    m.add_function(wrap_pyfunction!(req_attr_set, m)?)?;
    m.add_function(wrap_pyfunction!(req_write, m)?)?;
    m.add_function(wrap_pyfunction!(req_flush, m)?)?;
    m.add_function(wrap_pyfunction!(req_read, m)?)?;
    m.add_function(wrap_pyfunction!(req_sendfile, m)?)?;
    m.add_function(wrap_pyfunction!(req_internal_redirect, m)?)?;
    m.add_function(wrap_pyfunction!(req_call, m)?)?;
    m.add_function(wrap_pyfunction!(req_add_handler, m)?)?;
    m.add_function(wrap_pyfunction!(req_take_added, m)?)?;
    m.add_function(wrap_pyfunction!(req_options, m)?)?;
    m.add_function(wrap_pyfunction!(req_config, m)?)?;
    m.add_function(wrap_pyfunction!(req_cgi_env, m)?)?;
    m.add_function(wrap_pyfunction!(req_server_handle, m)?)?;
    m.add_function(wrap_pyfunction!(req_related, m)?)?;
    Ok(())
}
