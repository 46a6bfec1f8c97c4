//! The rest of mod_python 3.5's request API: the native side of attributes computed when read
//! (`finfo`, `parsed_uri`, `main`, `allowed_methods`, ...), the setters 3.5 allows, and the
//! request methods that only ask httpd (`meets_conditions`, `allow_methods`, ...).
//!
//! Nothing here runs unless a handler asks: `request.rs` falls back to these functions for the
//! names it does not know itself, so the attributes handlers read on every request keep their
//! short path.

use super::convert::{obj, py_opt};
use super::handles::with;
use crate::config::DirConf;
use apache::http::Request;
use apache::http::{FileInfo, FinfoFields, RemoteHost};
use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// A file's information in the order `mp_finfo` takes it; every field None but the type when
/// there is no such file.
pub fn finfo_tuple(py: Python<'_>, f: Option<FileInfo>) -> PyResult<Py<PyAny>> {
    let Some(f) = f.filter(|f| f.filetype != 0) else {
        let none = py.None();
        let mut v: Vec<Py<PyAny>> = vec![none.clone_ref(py), obj(py, 0)?];
        v.extend((0..12).map(|_| none.clone_ref(py)));
        return obj(py, PyTuple::new(py, v)?);
    };
    let secs = |t: i64| t / 1_000_000;
    let fields = [
        obj(py, f.fname)?,
        obj(py, f.filetype)?,
        obj(py, f.valid.bits())?,
        obj(py, f.protection)?,
        obj(py, f.user)?,
        obj(py, f.group)?,
        obj(py, f.size)?,
        obj(py, f.inode)?,
        obj(py, f.device)?,
        obj(py, f.nlink)?,
        obj(py, secs(f.atime))?,
        obj(py, secs(f.mtime))?,
        obj(py, secs(f.ctime))?,
        obj(py, f.name)?,
    ];
    obj(py, PyTuple::new(py, fields)?)
}

/// `req.<name>` for the attributes `native::req_get` does not know itself.
pub fn get(py: Python<'_>, r: &Request, name: &str) -> PyResult<Py<PyAny>> {
    let flag = |b: bool| obj(py, i32::from(b));
    match name {
        "finfo" => finfo_tuple(py, Some(r.finfo())),
        "parsed_uri" => {
            let u = r.parsed_uri();
            let port = (u.port_str.is_some() || u.port != 0).then_some(u.port);
            obj(
                py,
                (
                    u.scheme, u.hostinfo, u.user, u.password, u.hostname, port, u.path, u.query,
                    u.fragment,
                ),
            )
        }
        "useragent_addr" => obj(py, (r.useragent_ip(), r.useragent_port())),
        "allowed" => obj(py, r.allowed().bits()),
        "allowed_xmethods" => obj(py, PyTuple::new(py, r.allowed_xmethods())?),
        "allowed_methods" => obj(py, PyTuple::new(py, r.allowed_methods().1)?),
        "assbackwards" => flag(r.assbackwards()),
        "proxyreq" => obj(py, r.proxyreq()),
        "chunked" => flag(r.chunked()),
        "clength" => obj(py, r.clength()),
        "bytes_sent" => obj(py, r.bytes_sent()),
        "sent_bodyct" => obj(py, r.sent_bodyct()),
        // For req._request_rec, a capsule of the request_rec for C extensions, as in 3.5.
        "_request_rec" => obj(py, r.as_ptr() as usize),
        "no_cache" => flag(r.no_cache()),
        "no_local_copy" => flag(r.no_local_copy()),
        "read_body" => obj(py, r.read_body_policy()),
        "read_chunked" => flag(r.read_chunked()),
        "expecting_100" => flag(r.expecting_100()),
        "vlist_validator" => py_opt(py, r.vlist_validator()),
        "used_path_info" => obj(py, r.used_path_info()),
        "eos_sent" => flag(r.eos_sent()),
        _ => Err(PyAttributeError::new_err(name.to_string())),
    }
}

fn int_of(v: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    v.extract::<i64>()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be an integer")))
}

/// `req.<name> = value` for the attributes `native::req_set` does not know itself; these are
/// the ones mod_python 3.5 lets handlers write.
pub fn set(h: usize, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let v = match name {
        "assbackwards" | "proxyreq" | "no_cache" | "used_path_info" | "chunked"
        | "no_local_copy" => int_of(value, name)?,
        "finfo" => {
            // As in 3.5, only a finfo object (req.finfo, apache.stat()) is accepted: the file
            // it describes is looked up again for the request.
            let fname = value
                .getattr("fname")
                .map_err(|_| PyTypeError::new_err("finfo must be a finfo object"))?;
            let wanted = value.getattr("valid")?.extract::<Option<i32>>()?;
            let fname = fname.extract::<Option<String>>()?;
            return with(h, |r| {
                match fname {
                    Some(f) => {
                        r.set_finfo_from(&f, FinfoFields::from_bits(wanted.unwrap_or(0x0073_b170)));
                    }
                    None => {
                        r.set_finfo_from("", FinfoFields::NONE);
                    }
                }
                Ok(())
            });
        }
        _ => {
            return Err(PyAttributeError::new_err(format!(
                "attribute '{name}' of 'mp_request' objects is not writable"
            )));
        }
    };
    with(h, |r| {
        match name {
            "assbackwards" => r.set_assbackwards(v != 0),
            "proxyreq" => r.set_proxyreq(v as i32),
            "no_cache" => r.set_no_cache(v != 0),
            "used_path_info" => r.set_used_path_info(v as i32),
            "chunked" => r.set_chunked(v != 0),
            _ => r.set_no_local_copy(v != 0),
        }
        Ok(())
    })
}

/// The request methods `native::req_call` does not know itself.
pub fn call(
    py: Python<'_>,
    r: &mut Request,
    name: &str,
    args: &Bound<'_, PyTuple>,
) -> PyResult<Py<PyAny>> {
    let arg = |i: usize| -> PyResult<Bound<'_, PyAny>> { args.get_item(i) };
    match name {
        "allow_methods" => {
            // A list (from `_request.py`), cast before extracting: pyo3's check for other
            // sequences uses a process-wide `collections.abc` class (see convert::as_bytes).
            let methods: Vec<String> = arg(0)?.cast::<PyList>()?.extract()?;
            let reset = arg(1)?.is_truthy()?;
            let names: Vec<&str> = methods.iter().map(String::as_str).collect();
            r.allow_methods(reset, &names);
            Ok(py.None())
        }
        "meets_conditions" => obj(py, r.meets_conditions().into_raw()),
        "set_etag" => {
            r.set_etag();
            Ok(py.None())
        }
        "set_last_modified" => {
            r.set_last_modified();
            Ok(py.None())
        }
        "update_mtime" => {
            // Whole seconds, as 3.5 takes them.
            let t: f64 = arg(0)?.extract()?;
            r.update_mtime(t.trunc() as i64 * 1_000_000);
            Ok(py.None())
        }
        "is_https" => obj(py, i32::from(r.is_https())),
        "ssl_var_lookup" => {
            let var: String = arg(0)?.extract()?;
            py_opt(py, r.ssl_var_lookup(&var))
        }
        "get_remote_host" => {
            // httpd takes any other number as REMOTE_NAME does.
            let kind = match arg(0)?.extract::<i64>()? {
                0 => RemoteHost::Host,
                2 => RemoteHost::NoLookup,
                3 => RemoteHost::DoubleRev,
                _ => RemoteHost::Name,
            };
            let (host, is_ip) = r.remote_host(kind);
            let host = py_opt(py, host)?;
            if arg(1)?.is_none() {
                Ok(host)
            } else {
                obj(py, (host, i32::from(is_ip)))
            }
        }
        // For req.hlist: the section configuring the request, and whether it is a <Location>.
        "hlist_context" => {
            let conf = r.dir_config::<crate::ThisModule>();
            obj(
                py,
                (
                    conf.and_then(|c| c.directory.as_deref()),
                    conf.is_some_and(DirConf::handler_in_location),
                ),
            )
        }
        _ => Err(PyAttributeError::new_err(format!(
            "no request method {name}"
        ))),
    }
}
