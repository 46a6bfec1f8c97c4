//! The native objects Python handlers see: `_apache` with the request, table, connection and
//! server types.
//!
//! A request object names its request by identity; every call reaches the request through
//! [`Request::with_lent`], so an object kept after its request ended raises instead of touching
//! freed memory. The GIL is released around reads and writes that may block on the client.

use crate::config::{Phase, PhaseSettings};
use apache::logging::{log, Level};
use apache::Request;
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use std::cell::RefCell;

fn stale() -> PyErr {
    PyRuntimeError::new_err("the request this object belongs to is no longer being served")
}

/// Runs `f` on the request `id` if it is the one lent to this thread.
fn with<R>(id: usize, f: impl FnOnce(&mut Request) -> PyResult<R>) -> PyResult<R> {
    Request::with_lent(|r| if r.id() == id { f(r) } else { Err(stale()) })
        .unwrap_or_else(|_| Err(stale()))
}

fn level(n: i32) -> Level {
    match n {
        i32::MIN..=0 => Level::Emerg,
        1 => Level::Alert,
        2 => Level::Crit,
        3 => Level::Error,
        4 => Level::Warning,
        5 => Level::Notice,
        6 => Level::Info,
        7 => Level::Debug,
        _ => Level::Trace1,
    }
}

/// `_apache.log_error(message, level)`: against the request being served, if any.
#[pyfunction]
#[pyo3(signature = (message, level = 3))]
fn log_error(message: &str, level: i32) {
    log(self::level(level), message);
}

#[pyfunction]
fn server_root() -> Option<&'static str> {
    apache::server::server_root()
}

#[pyfunction]
fn mpm_query(code: i32) -> Option<i32> {
    apache::server::mpm_query(code)
}

/// The `mod_python._apache` module for this interpreter.
pub fn native_module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let m = PyModule::new(py, "_apache")?;
    m.add("crate_version", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(log_error, &m)?)?;
    m.add_function(wrap_pyfunction!(server_root, &m)?)?;
    m.add_function(wrap_pyfunction!(mpm_query, &m)?)?;
    m.add_class::<RequestObject>()?;
    m.add_class::<TableObject>()?;
    m.add_class::<ConnectionObject>()?;
    m.add_class::<ServerObject>()?;
    Ok(m)
}

/// A new request object for the lent request.
pub fn new_request<'py>(
    py: Python<'py>,
    phase: Phase,
    conf: &PhaseSettings,
) -> PyResult<Bound<'py, RequestObject>> {
    let (id, server_name) = with(Request::lent_id().unwrap_or(0), |r| {
        Ok((
            r.id(),
            r.server().server_hostname().unwrap_or("").to_string(),
        ))
    })?;
    let mut config = vec![];
    if let Some(d) = conf.debug {
        config.push((
            "PythonDebug".to_string(),
            if d { "1" } else { "0" }.to_string(),
        ));
    }
    if let Some(a) = conf.autoreload {
        config.push((
            "PythonAutoReload".to_string(),
            if a { "1" } else { "0" }.to_string(),
        ));
    }
    if let Some(p) = &conf.python_path {
        config.push(("PythonPath".to_string(), p.clone()));
    }
    Bound::new(
        py,
        RequestObject {
            id,
            phase: phase.directive().to_string(),
            interpreter: conf.interpreter.clone().unwrap_or(server_name),
            options: conf.options.clone(),
            config,
            rbuf: RefCell::new(Vec::new()),
        },
    )
}

/// Which of the request's tables a table object shows.
#[derive(Clone, Copy)]
enum Which {
    HeadersIn,
    HeadersOut,
    ErrHeadersOut,
    Notes,
    SubprocessEnv,
}

fn table(r: &mut Request, which: Which) -> &mut apache::Table {
    match which {
        Which::HeadersIn => r.headers_in_mut(),
        Which::HeadersOut => r.headers_out(),
        Which::ErrHeadersOut => r.err_headers_out(),
        Which::Notes => r.notes(),
        Which::SubprocessEnv => r.subprocess_env(),
    }
}

/// A request's table (headers_in, headers_out, ...): case-insensitive, keys may repeat.
#[pyclass(unsendable, name = "table", module = "mod_python._apache")]
pub struct TableObject {
    req: usize,
    which: Which,
}

fn text(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = v.cast::<PyString>() {
        Ok(s.to_str()?.to_string())
    } else {
        Ok(v.str()?.to_str()?.to_string())
    }
}

#[pymethods]
impl TableObject {
    fn __getitem__(&self, py: Python<'_>, key: &str) -> PyResult<Py<PyAny>> {
        let values: Vec<String> = with(self.req, |r| {
            Ok(table(r, self.which)
                .get_all(key)
                .into_iter()
                .map(str::to_string)
                .collect())
        })?;
        match values.len() {
            0 => Err(PyKeyError::new_err(key.to_string())),
            1 => Ok(values[0].clone().into_pyobject(py)?.into_any().unbind()),
            _ => Ok(PyList::new(py, values)?.into_any().unbind()),
        }
    }

    fn __setitem__(&self, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = text(value)?;
        with(self.req, |r| {
            table(r, self.which).set(key, &v);
            Ok(())
        })
    }

    fn __delitem__(&self, key: &str) -> PyResult<()> {
        with(self.req, |r| {
            let t = table(r, self.which);
            if !t.contains(key) {
                return Err(PyKeyError::new_err(key.to_string()));
            }
            t.unset(key);
            Ok(())
        })
    }

    fn __contains__(&self, key: &str) -> PyResult<bool> {
        with(self.req, |r| Ok(table(r, self.which).contains(key)))
    }

    fn __len__(&self) -> PyResult<usize> {
        with(self.req, |r| Ok(table(r, self.which).len()))
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let keys = self.keys()?;
        Ok(PyList::new(py, keys)?.call_method0("__iter__")?.unbind())
    }

    #[pyo3(signature = (key, default = None))]
    fn get(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        match self.__getitem__(py, key) {
            Ok(v) => Ok(v),
            Err(_) => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    fn add(&self, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = text(value)?;
        with(self.req, |r| {
            table(r, self.which).add(key, &v);
            Ok(())
        })
    }

    fn keys(&self) -> PyResult<Vec<String>> {
        with(self.req, |r| {
            Ok(table(r, self.which)
                .iter()
                .map(|(k, _)| k.to_string())
                .collect())
        })
    }

    fn values(&self) -> PyResult<Vec<String>> {
        with(self.req, |r| {
            Ok(table(r, self.which)
                .iter()
                .map(|(_, v)| v.to_string())
                .collect())
        })
    }

    fn items(&self) -> PyResult<Vec<(String, String)>> {
        with(self.req, |r| {
            Ok(table(r, self.which)
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect())
        })
    }

    fn clear(&self) -> PyResult<()> {
        with(self.req, |r| {
            table(r, self.which).clear();
            Ok(())
        })
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!("{:?}", self.items()?))
    }
}

/// `req.connection`: what the request's connection looked like when asked.
#[pyclass(unsendable, name = "mp_conn", module = "mod_python._apache", get_all)]
pub struct ConnectionObject {
    remote_ip: String,
    client_ip: String,
    remote_host: Option<String>,
    local_ip: String,
    local_addr: (String, u16),
    remote_addr: (String, u16),
    id: i64,
    keepalives: i32,
    aborted: bool,
}

/// `req.server`: the (virtual) server handling the request.
#[pyclass(unsendable, name = "mp_server", module = "mod_python._apache", get_all)]
pub struct ServerObject {
    server_hostname: Option<String>,
    server_admin: Option<String>,
    port: u16,
    is_virtual: bool,
    defn_name: Option<String>,
    defn_line_number: u32,
}

/// The request object (`req`) handed to every handler.
#[pyclass(unsendable, dict, name = "mp_request", module = "mod_python._apache")]
pub struct RequestObject {
    id: usize,
    #[pyo3(get)]
    phase: String,
    #[pyo3(get)]
    interpreter: String,
    options: Vec<(String, String)>,
    config: Vec<(String, String)>,
    /// Body bytes read from httpd but not yet returned to Python (readline reads ahead).
    rbuf: RefCell<Vec<u8>>,
}

macro_rules! str_getters {
    ($($name:ident),*) => {
        #[pymethods]
        impl RequestObject {$(
            #[getter]
            fn $name(&self) -> PyResult<Option<String>> {
                with(self.id, |r| Ok(r.$name().map(str::to_string)))
            }
        )*}
    };
}

str_getters!(
    method,
    uri,
    unparsed_uri,
    args,
    path_info,
    protocol,
    hostname,
    the_request,
    canonical_filename,
    status_line,
    handler,
    ap_auth_type,
    useragent_ip,
    range
);

impl RequestObject {
    /// Reads up to `want` more body bytes into the buffer, without the GIL; 0 at the end.
    fn fill(&self, py: Python<'_>, want: usize) -> PyResult<usize> {
        let mut chunk = vec![0u8; want.clamp(1, 1 << 20)];
        let id = self.id;
        let n = py.detach(|| {
            with(id, |r| {
                r.read_body_part(&mut chunk)
                    .map_err(|e| pyo3::exceptions::PyIOError::new_err(e.to_string()))
            })
        })?;
        self.rbuf.borrow_mut().extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    fn take(&self, n: usize) -> Vec<u8> {
        let mut buf = self.rbuf.borrow_mut();
        let n = n.min(buf.len());
        buf.drain(..n).collect()
    }
}

#[pymethods]
impl RequestObject {
    #[getter]
    fn filename(&self) -> PyResult<Option<String>> {
        with(self.id, |r| Ok(r.filename().map(str::to_string)))
    }

    #[setter]
    fn set_filename(&self, v: &str) -> PyResult<()> {
        with(self.id, |r| {
            r.set_filename(v);
            Ok(())
        })
    }

    #[getter]
    fn user(&self) -> PyResult<Option<String>> {
        with(self.id, |r| Ok(r.user().map(str::to_string)))
    }

    #[setter]
    fn set_user(&self, v: &str) -> PyResult<()> {
        with(self.id, |r| {
            r.set_user(v);
            Ok(())
        })
    }

    #[getter]
    fn content_type(&self) -> PyResult<Option<String>> {
        with(self.id, |r| Ok(r.content_type().map(str::to_string)))
    }

    #[setter]
    fn set_content_type(&self, v: &str) -> PyResult<()> {
        with(self.id, |r| {
            r.set_content_type(v);
            Ok(())
        })
    }

    #[getter]
    fn status(&self) -> PyResult<i32> {
        with(self.id, |r| Ok(r.status()))
    }

    #[setter]
    fn set_status(&self, v: i32) -> PyResult<()> {
        let code = u16::try_from(v).ok().filter(|c| (100..1000).contains(c));
        let code =
            code.ok_or_else(|| PyValueError::new_err(format!("{v} is not an HTTP status")))?;
        with(self.id, |r| {
            r.set_status(code);
            Ok(())
        })
    }

    #[getter]
    fn method_number(&self) -> PyResult<i32> {
        with(self.id, |r| Ok(r.method_number()))
    }

    #[getter]
    fn header_only(&self) -> PyResult<bool> {
        with(self.id, |r| Ok(r.header_only()))
    }

    #[getter]
    fn proto_num(&self) -> PyResult<i32> {
        with(self.id, |r| Ok(r.proto_num()))
    }

    #[getter]
    fn request_time(&self) -> PyResult<f64> {
        with(self.id, |r| Ok(r.request_time() as f64 / 1e6))
    }

    #[getter]
    fn remaining(&self) -> PyResult<i64> {
        with(self.id, |r| Ok(r.remaining()))
    }

    #[getter]
    fn read_length(&self) -> PyResult<i64> {
        with(self.id, |r| Ok(r.read_length()))
    }

    #[getter]
    fn headers_in(&self) -> TableObject {
        TableObject {
            req: self.id,
            which: Which::HeadersIn,
        }
    }

    #[getter]
    fn headers_out(&self) -> TableObject {
        TableObject {
            req: self.id,
            which: Which::HeadersOut,
        }
    }

    #[getter]
    fn err_headers_out(&self) -> TableObject {
        TableObject {
            req: self.id,
            which: Which::ErrHeadersOut,
        }
    }

    #[getter]
    fn notes(&self) -> TableObject {
        TableObject {
            req: self.id,
            which: Which::Notes,
        }
    }

    #[getter]
    fn subprocess_env(&self) -> TableObject {
        TableObject {
            req: self.id,
            which: Which::SubprocessEnv,
        }
    }

    #[getter]
    fn connection(&self) -> PyResult<ConnectionObject> {
        with(self.id, |r| {
            let c = r.connection();
            let ip = c.client_ip().unwrap_or("").to_string();
            Ok(ConnectionObject {
                remote_ip: ip.clone(),
                client_ip: ip.clone(),
                remote_host: c.remote_host().map(str::to_string),
                local_ip: c.local_ip().unwrap_or("").to_string(),
                local_addr: (c.local_ip().unwrap_or("").to_string(), c.local_port()),
                remote_addr: (ip, c.client_port()),
                id: c.id(),
                keepalives: c.keepalives(),
                aborted: c.aborted(),
            })
        })
    }

    #[getter]
    fn server(&self) -> PyResult<ServerObject> {
        with(self.id, |r| {
            let s = r.server();
            Ok(ServerObject {
                server_hostname: s.server_hostname().map(str::to_string),
                server_admin: s.server_admin().map(str::to_string),
                port: s.port(),
                is_virtual: s.is_virtual(),
                defn_name: s.defn_name().map(str::to_string),
                defn_line_number: s.defn_line_number(),
            })
        })
    }

    /// Sends body bytes (`str` is sent as UTF-8); the GIL is released while httpd writes.
    #[pyo3(signature = (data, flush = 1))]
    fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>, flush: i32) -> PyResult<()> {
        let owned;
        let bytes: &[u8] = if let Ok(s) = data.cast::<PyString>() {
            s.to_str()?.as_bytes()
        } else if let Ok(b) = data.cast::<PyBytes>() {
            b.as_bytes()
        } else if let Ok(v) = data.extract::<Vec<u8>>() {
            owned = v;
            &owned
        } else {
            return Err(PyTypeError::new_err("write() takes str or bytes"));
        };
        let id = self.id;
        py.detach(|| {
            with(id, |r| {
                r.write_bytes(bytes)
                    .map_err(|e| pyo3::exceptions::PyIOError::new_err(e.to_string()))?;
                if flush != 0 {
                    r.flush_output()
                        .map_err(|e| pyo3::exceptions::PyIOError::new_err(e.to_string()))?;
                }
                Ok(())
            })
        })
    }

    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        let id = self.id;
        py.detach(|| {
            with(id, |r| {
                r.flush_output()
                    .map_err(|e| pyo3::exceptions::PyIOError::new_err(e.to_string()))
            })
        })
    }

    /// Reads `len` bytes of the body, or all of it.
    #[pyo3(signature = (len = -1))]
    fn read<'py>(&self, py: Python<'py>, len: i64) -> PyResult<Bound<'py, PyBytes>> {
        if len < 0 {
            while self.fill(py, 65536)? > 0 {}
            let all = self.rbuf.borrow().len();
            return Ok(PyBytes::new(py, &self.take(all)));
        }
        let want = len as usize;
        while self.rbuf.borrow().len() < want {
            let missing = want - self.rbuf.borrow().len();
            if self.fill(py, missing)? == 0 {
                break;
            }
        }
        Ok(PyBytes::new(py, &self.take(want)))
    }

    /// Reads a line of the body (up to `len` bytes), with its newline.
    #[pyo3(signature = (len = -1))]
    fn readline<'py>(&self, py: Python<'py>, len: i64) -> PyResult<Bound<'py, PyBytes>> {
        loop {
            let (newline, have) = {
                let buf = self.rbuf.borrow();
                (buf.iter().position(|&b| b == b'\n'), buf.len())
            };
            let limit = if len < 0 { usize::MAX } else { len as usize };
            if let Some(i) = newline.filter(|i| *i < limit) {
                return Ok(PyBytes::new(py, &self.take(i + 1)));
            }
            if have >= limit {
                return Ok(PyBytes::new(py, &self.take(limit)));
            }
            if self.fill(py, 8192)? == 0 {
                return Ok(PyBytes::new(py, &self.take(have)));
            }
        }
    }

    /// Reads the body as a list of lines.
    #[pyo3(signature = (sizehint = -1))]
    fn readlines<'py>(&self, py: Python<'py>, sizehint: i64) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let mut lines = Vec::new();
        let mut total = 0i64;
        loop {
            let line = self.readline(py, -1)?;
            let n = line.as_bytes().len() as i64;
            if n == 0 {
                break;
            }
            total += n;
            lines.push(line);
            if sizehint >= 0 && total >= sizehint {
                break;
            }
        }
        Ok(lines)
    }

    #[pyo3(signature = (message, level = 3))]
    fn log_error(&self, message: &str, level: i32) {
        log(self::level(level), message);
    }

    fn get_options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.options {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    fn get_config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.config {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    fn set_content_length(&self, len: u64) -> PyResult<()> {
        with(self.id, |r| {
            r.set_content_length(len);
            Ok(())
        })
    }

    fn is_initial_req(&self) -> PyResult<bool> {
        with(self.id, |r| Ok(r.is_initial_req()))
    }

    fn discard_request_body(&self) -> PyResult<i32> {
        with(self.id, |r| Ok(r.discard_request_body().into_raw()))
    }
}
