//! The rest of mod_python 3.5's request, connection, server and module API: the native side of
//! attributes computed when read (`finfo`, `parsed_uri`, `main`, `allowed_methods`, ...), the
//! setters 3.5 allows, the request methods that only ask httpd (`meets_conditions`,
//! `allow_methods`, ...), the connection's and the server's attributes, and
//! `apache.stat`/`exists_config_define`/`config_tree`.
//!
//! Nothing here runs unless a handler asks: `native.rs` falls back to these functions for the
//! names it does not know itself, so the attributes handlers read on every request keep their
//! short path.
//!
//! A request object may name a request related to the one being served (`req.main`,
//! `req.prev`, `req.next`): [`with_ref`] finds it by walking those links from the lent request,
//! and such objects are read-only.

use crate::apache_module::request::with;
use crate::serving::request::stale;
use apache::request::Request;
use apache::response::{FileInfo, RemoteHost};
use apache::Server;
use pyo3::exceptions::{PyAttributeError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;

/// The request named by `h` among the lent request and those linked to it (main, prev, next),
/// a few links deep.
fn related(r: &Request, h: usize) -> Option<&Request> {
    let mut seen: Vec<&Request> = vec![r];
    let mut i = 0;
    while i < seen.len() && seen.len() < 64 {
        let cur = seen[i];
        i += 1;
        for n in [cur.main(), cur.prev(), cur.next()].into_iter().flatten() {
            if n.id() == h {
                return Some(n);
            }
            if !seen.iter().any(|s| s.id() == n.id()) {
                seen.push(n);
            }
        }
    }
    None
}

/// Runs `f` on the request `h`, for reading: the lent request, or one linked to it.
pub fn with_ref<R>(h: usize, f: impl FnOnce(&Request) -> PyResult<R>) -> PyResult<R> {
    if h == 0 {
        return Err(stale());
    }
    Request::with_lent(|r| {
        if r.id() == h {
            return f(r);
        }
        match related(r, h) {
            Some(o) => f(o),
            None => Err(stale()),
        }
    })
    .unwrap_or_else(|_| Err(stale()))
}

/// Whether `h` names a request linked to `r` (the lent one).
pub fn is_related_to(r: &Request, h: usize) -> bool {
    h != 0 && r.id() != h && related(r, h).is_some()
}

pub fn read_only() -> PyErr {
    PyRuntimeError::new_err("this request object is read-only: it is not the request being served")
}

fn py_opt<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: Option<T>) -> PyResult<Py<PyAny>> {
    v.into_py_any(py)
}

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> PyResult<Py<PyAny>> {
    v.into_py_any(py)
}

/// A file's information in the order `mp_finfo` takes it; every field None but the type when
/// there is no such file.
fn finfo_tuple(py: Python<'_>, f: Option<FileInfo>) -> PyResult<Py<PyAny>> {
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
        obj(py, f.valid)?,
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
    let id = |o: Option<&Request>| py_opt(py, o.map(Request::id));
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
        "main" => id(r.main()),
        "prev" => id(r.prev()),
        "next" => id(r.next()),
        "allowed" => obj(py, r.allowed()),
        "allowed_xmethods" => obj(py, PyTuple::new(py, r.allowed_xmethods())?),
        "allowed_methods" => obj(py, PyTuple::new(py, r.allowed_methods().1)?),
        "assbackwards" => flag(r.assbackwards()),
        "proxyreq" => obj(py, r.proxyreq()),
        "chunked" => flag(r.chunked()),
        "clength" => obj(py, r.clength()),
        "bytes_sent" => obj(py, r.bytes_sent()),
        "sent_bodyct" => obj(py, r.sent_bodyct()),
        // httpd 2.4's request_rec has no byte-range boundary any more.
        "boundary" => Ok(py.None()),
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

fn str_of(v: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    Ok(v.cast::<PyString>()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a string")))?
        .to_str()?
        .to_string())
}

/// `req.<name> = value` for the attributes `native::req_set` does not know itself; these are
/// the ones mod_python 3.5 lets handlers write.
pub fn set(h: usize, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    enum V {
        S(String),
        I(i64),
        Unset,
    }
    let v = match name {
        // As in 3.5, the query string alone may be removed.
        "args" if value.is_none() => V::Unset,
        "uri" | "args" | "path_info" | "canonical_filename" | "ap_auth_type" | "status_line" => {
            V::S(str_of(value, name)?)
        }
        "assbackwards" | "proxyreq" | "no_cache" | "used_path_info" | "chunked"
        | "no_local_copy" => V::I(int_of(value, name)?),
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
                        r.set_finfo_from(&f, wanted.unwrap_or(0x0073_b170));
                    }
                    None => {
                        r.set_finfo_from("", 0);
                    }
                }
                Ok(())
            });
        }
        _ => {
            return Err(PyAttributeError::new_err(format!(
                "attribute '{name}' of 'mp_request' objects is not writable"
            )))
        }
    };
    with(h, |r| {
        match (name, v) {
            ("uri", V::S(s)) => r.set_uri(&s),
            ("args", V::S(s)) => r.set_args(Some(&s)),
            ("args", V::Unset) => r.set_args(None),
            ("path_info", V::S(s)) => r.set_path_info(&s),
            ("canonical_filename", V::S(s)) => r.set_canonical_filename(&s),
            ("ap_auth_type", V::S(s)) => r.set_ap_auth_type(&s),
            ("status_line", V::S(s)) => r.set_status_line(&s),
            ("assbackwards", V::I(i)) => r.set_assbackwards(i != 0),
            ("proxyreq", V::I(i)) => r.set_proxyreq(i as i32),
            ("no_cache", V::I(i)) => r.set_no_cache(i != 0),
            ("used_path_info", V::I(i)) => r.set_used_path_info(i as i32),
            ("chunked", V::I(i)) => r.set_chunked(i != 0),
            ("no_local_copy", V::I(i)) => r.set_no_local_copy(i != 0),
            _ => unreachable!("checked above"),
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
            let methods: Vec<String> = arg(0)?.extract()?;
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
            let conf = r.dir_config::<crate::config::DirConf>();
            obj(
                py,
                (
                    conf.and_then(|c| c.directory.as_deref()),
                    conf.is_some_and(crate::config::DirConf::handler_in_location),
                ),
            )
        }
        _ => Err(PyAttributeError::new_err(format!(
            "no request method {name}"
        ))),
    }
}

/// `req.connection.<name>` for what `mp_conn` reads when asked.
#[pyfunction]
pub fn conn_get(py: Python<'_>, h: usize, name: &str) -> PyResult<Py<PyAny>> {
    with_ref(h, |r| {
        let c = r.connection();
        match name {
            "base_server" => obj(py, c.base_server().as_ptr() as usize),
            "remote_logname" => py_opt(py, c.remote_logname()),
            "local_host" => py_opt(py, c.local_host()),
            "double_reverse" => obj(py, c.double_reverse()),
            "keepalive" => obj(py, c.keepalive_state()),
            _ => Err(PyAttributeError::new_err(name.to_string())),
        }
    })
}

/// The server named by handle `sh` (its address), found among the server records httpd
/// configured, so a handle from anywhere never reaches memory that is not a server.
fn server(sh: usize) -> PyResult<&'static Server> {
    Server::main()
        .and_then(|m| m.iter().find(|s| s.as_ptr() as usize == sh))
        .ok_or_else(|| PyValueError::new_err("no such server"))
}

/// The handle of the main server.
#[pyfunction]
pub fn main_server_handle() -> Option<usize> {
    Server::main().map(|s| s.as_ptr() as usize)
}

/// The handle of the request's server.
#[pyfunction]
pub fn req_server_handle(h: usize) -> PyResult<usize> {
    with_ref(h, |r| Ok(r.server().as_ptr() as usize))
}

/// `server.<name>`.
#[pyfunction]
pub fn srv_get(py: Python<'_>, sh: usize, name: &str) -> PyResult<Py<PyAny>> {
    let s = server(sh)?;
    let secs = |us: i64| obj(py, us as f64 / 1e6);
    match name {
        "server_hostname" => py_opt(py, s.server_hostname()),
        "server_admin" => py_opt(py, s.server_admin()),
        "port" => obj(py, s.port()),
        "is_virtual" => obj(py, i32::from(s.is_virtual())),
        "defn_name" => py_opt(py, s.defn_name()),
        "defn_line_number" => obj(py, s.defn_line_number()),
        "error_fname" => py_opt(py, s.error_fname()),
        "loglevel" => obj(py, s.loglevel()),
        "names" => obj(py, PyTuple::new(py, s.names())?),
        "wild_names" => obj(py, PyTuple::new(py, s.wild_names())?),
        "limit_req_line" => obj(py, s.limit_req_line()),
        "limit_req_fieldsize" => obj(py, s.limit_req_fieldsize()),
        "limit_req_fields" => obj(py, s.limit_req_fields()),
        "timeout" => secs(s.timeout_usec()),
        "keep_alive" => obj(py, i32::from(s.keep_alive())),
        "keep_alive_max" => obj(py, s.keep_alive_max()),
        "keep_alive_timeout" => secs(s.keep_alive_timeout_usec()),
        "path" => py_opt(py, s.path()),
        "pathlen" => obj(py, s.pathlen()),
        "restart_time" => py_opt(py, apache::server::restart_time().map(|t| t as f64 / 1e6)),
        "next" => py_opt(py, s.next().map(|n| n.as_ptr() as usize)),
        "my_generation" => obj(
            py,
            apache::server::mpm_query(apache::ffi::AP_MPMQ_GENERATION as i32).unwrap_or(0),
        ),
        _ => Err(PyAttributeError::new_err(name.to_string())),
    }
}

/// `server.get_options()`: the `PythonOption`s of the server's configuration.
#[pyfunction]
pub fn srv_options(sh: usize) -> PyResult<Vec<(String, String)>> {
    Ok(server(sh)?
        .dir_config::<crate::config::DirConf>()
        .map(|c| c.effective_options())
        .unwrap_or_default())
}

/// `server.get_config()`: the mod_python directives of the server's configuration.
#[pyfunction]
pub fn srv_config(sh: usize) -> PyResult<Vec<(&'static str, String)>> {
    Ok(server(sh)?
        .dir_config::<crate::config::DirConf>()
        .map(|c| c.phase_settings().config_items())
        .unwrap_or_default())
}

/// `apache.exists_config_define(name)`.
#[pyfunction]
fn exists_config_define(name: &str) -> bool {
    apache::server::exists_config_define(name)
}

/// `apache.stat(fname, wanted)`: the fields of an `mp_finfo`.
#[pyfunction]
fn stat(py: Python<'_>, fname: &str, wanted: i32) -> PyResult<Py<PyAny>> {
    let f = py.detach(|| apache::response::stat(fname, wanted));
    finfo_tuple(py, f)
}

fn tree<'py>(
    py: Python<'py>,
    nodes: impl Iterator<Item = apache::server::ConfigNode>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for n in nodes {
        out.append((n.directive(), n.args()))?;
        if n.first_child().is_some() {
            out.append(tree(py, n.children())?)?;
        }
    }
    Ok(out)
}

/// `apache.config_tree()`: the configuration as read, one `(directive, args)` per directive,
/// a section followed by the list of what it holds.
#[pyfunction]
fn config_tree(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    tree(py, apache::server::config_tree())
}

pub fn add_functions(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(conn_get, m)?)?;
    m.add_function(wrap_pyfunction!(main_server_handle, m)?)?;
    m.add_function(wrap_pyfunction!(req_server_handle, m)?)?;
    m.add_function(wrap_pyfunction!(srv_get, m)?)?;
    m.add_function(wrap_pyfunction!(srv_options, m)?)?;
    m.add_function(wrap_pyfunction!(srv_config, m)?)?;
    m.add_function(wrap_pyfunction!(exists_config_define, m)?)?;
    m.add_function(wrap_pyfunction!(stat, m)?)?;
    m.add_function(wrap_pyfunction!(config_tree, m)?)?;
    m.add(
        "MODULE_MAGIC_NUMBER_MAJOR",
        apache::ffi::MODULE_MAGIC_NUMBER_MAJOR,
    )?;
    m.add(
        "MODULE_MAGIC_NUMBER_MINOR",
        apache::ffi::MODULE_MAGIC_NUMBER_MINOR,
    )?;
    Ok(())
}
