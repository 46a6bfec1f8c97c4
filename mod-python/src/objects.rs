//! The native objects Python handlers see: `_apache` with the request, table, connection and
//! server types.
//!
//! A request object names its request by identity; every call reaches the request through
//! [`Request::with_lent`], so an object kept after its request ended raises instead of touching
//! freed memory. The GIL is released around reads and writes that may block on the client.

use crate::config::{parse_handlers, HandlerSpec, Phase, PhaseSettings};
use apache::logging::{log, Level};
use apache::Request;
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Mutex;

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
    m.add_function(wrap_pyfunction!(main_server, &m)?)?;
    m.add_class::<RequestObject>()?;
    m.add_class::<TableObject>()?;
    m.add_class::<ConnectionObject>()?;
    m.add_class::<ServerObject>()?;
    Ok(m)
}

/// The request objects of requests being served, by request identity: one object per request
/// for all its phases, so attributes a handler sets (`req.user_data = ...`) are there for the
/// handlers of later phases, as in mod_python 3.5.
static LIVE: Mutex<Vec<(usize, Py<RequestObject>)>> = Mutex::new(Vec::new());

/// Handlers added with `req.add_handler`, by request identity, waiting for their phase.
static ADDED: Mutex<Vec<(usize, Phase, HandlerSpec)>> = Mutex::new(Vec::new());

fn added() -> std::sync::MutexGuard<'static, Vec<(usize, Phase, HandlerSpec)>> {
    ADDED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes the handlers `req.add_handler` added to `phase` of request `id`.
pub fn take_added(id: usize, phase: Phase) -> Vec<HandlerSpec> {
    let mut all = added();
    let mut out = Vec::new();
    all.retain(|(i, p, h)| {
        let mine = *i == id && *p == phase;
        if mine {
            out.push(h.clone());
        }
        !mine
    });
    out
}

fn live() -> std::sync::MutexGuard<'static, Vec<(usize, Py<RequestObject>)>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The request object for the lent request, made on its first phase and brought up to date
/// with this phase's name and configuration.
pub fn request_object<'py>(
    py: Python<'py>,
    phase: Phase,
    conf: &PhaseSettings,
) -> PyResult<Bound<'py, RequestObject>> {
    let id = Request::lent_id().ok_or_else(stale)?;
    let config = config_items(conf);
    let existing = live()
        .iter()
        .find(|(k, _)| *k == id)
        .map(|(_, o)| o.clone_ref(py));
    if let Some(obj) = existing {
        let obj = obj.into_bound(py);
        {
            let mut o = obj.try_borrow_mut()?;
            o.phase = phase.directive().to_string();
            o.options = conf.options.clone();
            o.config = config;
            if let Some(i) = &conf.interpreter {
                o.interpreter = i.clone();
            }
        }
        return Ok(obj);
    }
    let server_name = with(id, |r| {
        // The object goes when the request's pool does; it then stops answering.
        r.pool().on_cleanup(move || forget(id));
        Ok(r.server().server_hostname().unwrap_or("").to_string())
    })?;
    let obj = Bound::new(
        py,
        RequestObject {
            id: Rc::new(Cell::new(id)),
            phase: phase.directive().to_string(),
            interpreter: conf.interpreter.clone().unwrap_or(server_name),
            options: conf.options.clone(),
            config,
            rbuf: RefCell::new(Vec::new()),
            cleanups: RefCell::new(Vec::new()),
        },
    )?;
    live().push((id, obj.clone().unbind()));
    Ok(obj)
}

fn config_items(conf: &PhaseSettings) -> Vec<(String, String)> {
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
    if let Some(i) = &conf.interpreter {
        config.push(("PythonInterpreter".to_string(), i.clone()));
    }
    config
}

/// Runs at the end of request `id` (its pool's cleanup): runs the callables registered with
/// `req.register_cleanup`, then detaches the object from the request, so that one kept beyond
/// the request raises instead of reaching a later request that reuses the address.
fn forget(id: usize) {
    let obj = {
        let mut live = live();
        match live.iter().position(|(k, _)| *k == id) {
            Some(i) => live.swap_remove(i).1,
            None => return,
        }
    };
    added().retain(|(i, _, _)| *i != id);
    crate::gil::with_gil(|py| {
        let obj = obj.into_bound(py);
        let cleanups = match obj.try_borrow() {
            Ok(o) => {
                o.id.set(0);
                o.cleanups.take()
            }
            Err(_) => return,
        };
        for (f, data) in cleanups {
            // As Bound values, so they are released now (see gil::with_gil).
            let f = f.into_bound(py);
            let result = match data {
                Some(d) => f.call1((d.into_bound(py),)),
                None => f.call0(),
            };
            if let Err(e) = result {
                log(
                    Level::Error,
                    &format!(
                        "mod_python: request cleanup failed: {}",
                        crate::interp::describe(py, &e)
                    ),
                );
            }
        }
    });
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
    req: Rc<Cell<usize>>,
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
        let values: Vec<String> = with(self.req.get(), |r| {
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
        with(self.req.get(), |r| {
            table(r, self.which).set(key, &v);
            Ok(())
        })
    }

    fn __delitem__(&self, key: &str) -> PyResult<()> {
        with(self.req.get(), |r| {
            let t = table(r, self.which);
            if !t.contains(key) {
                return Err(PyKeyError::new_err(key.to_string()));
            }
            t.unset(key);
            Ok(())
        })
    }

    fn __contains__(&self, key: &str) -> PyResult<bool> {
        with(self.req.get(), |r| Ok(table(r, self.which).contains(key)))
    }

    fn __len__(&self) -> PyResult<usize> {
        with(self.req.get(), |r| Ok(table(r, self.which).len()))
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let keys = self.keys()?;
        Ok(PyList::new(py, keys)?.call_method0("__iter__")?.unbind())
    }

    #[pyo3(signature = (key, default = None))]
    fn get(
        &self,
        py: Python<'_>,
        key: &str,
        default: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        match self.__getitem__(py, key) {
            Ok(v) => Ok(v),
            Err(_) => Ok(default.map(Bound::unbind).unwrap_or_else(|| py.None())),
        }
    }

    fn add(&self, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = text(value)?;
        with(self.req.get(), |r| {
            table(r, self.which).add(key, &v);
            Ok(())
        })
    }

    fn keys(&self) -> PyResult<Vec<String>> {
        with(self.req.get(), |r| {
            Ok(table(r, self.which)
                .iter()
                .map(|(k, _)| k.to_string())
                .collect())
        })
    }

    fn values(&self) -> PyResult<Vec<String>> {
        with(self.req.get(), |r| {
            Ok(table(r, self.which)
                .iter()
                .map(|(_, v)| v.to_string())
                .collect())
        })
    }

    fn items(&self) -> PyResult<Vec<(String, String)>> {
        with(self.req.get(), |r| {
            Ok(table(r, self.which)
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect())
        })
    }

    fn clear(&self) -> PyResult<()> {
        with(self.req.get(), |r| {
            table(r, self.which).clear();
            Ok(())
        })
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!("{:?}", self.items()?))
    }
}

/// `req.connection`: what the request's connection looked like when asked.
#[pyclass(frozen, name = "mp_conn", module = "mod_python._apache", get_all)]
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
#[pyclass(frozen, name = "mp_server", module = "mod_python._apache", get_all)]
pub struct ServerObject {
    server_hostname: Option<String>,
    server_admin: Option<String>,
    port: u16,
    is_virtual: bool,
    defn_name: Option<String>,
    defn_line_number: u32,
}

impl ServerObject {
    fn of(s: &apache::Server) -> ServerObject {
        ServerObject {
            server_hostname: s.server_hostname().map(str::to_string),
            server_admin: s.server_admin().map(str::to_string),
            port: s.port(),
            is_virtual: s.is_virtual(),
            defn_name: s.defn_name().map(str::to_string),
            defn_line_number: s.defn_line_number(),
        }
    }
}

/// `apache.main_server`: the server outside any virtual host.
#[pyfunction]
fn main_server() -> Option<ServerObject> {
    apache::Server::main().map(ServerObject::of)
}

/// A callable and the argument it is called with, if any.
type Cleanup = (Py<PyAny>, Option<Py<PyAny>>);

/// The request object (`req`) handed to every handler.
#[pyclass(unsendable, dict, name = "mp_request", module = "mod_python._apache")]
pub struct RequestObject {
    /// The request's identity; 0 once the request has ended. Shared with the request's table
    /// objects, so they stop answering at the same moment.
    id: Rc<Cell<usize>>,
    #[pyo3(get)]
    phase: String,
    #[pyo3(get)]
    interpreter: String,
    options: Vec<(String, String)>,
    config: Vec<(String, String)>,
    /// Body bytes read from httpd but not yet returned to Python (readline reads ahead).
    rbuf: RefCell<Vec<u8>>,
    /// `req.register_cleanup(callable, data)`: run when the request ends.
    cleanups: RefCell<Vec<Cleanup>>,
}

macro_rules! str_getters {
    ($($name:ident),*) => {
        #[pymethods]
        impl RequestObject {$(
            #[getter]
            fn $name(&self) -> PyResult<Option<String>> {
                with(self.id.get(), |r| Ok(r.$name().map(str::to_string)))
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
        let id = self.id.get();
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
        with(self.id.get(), |r| Ok(r.filename().map(str::to_string)))
    }

    #[setter]
    fn set_filename(&self, v: &str) -> PyResult<()> {
        with(self.id.get(), |r| {
            r.set_filename(v);
            Ok(())
        })
    }

    #[getter]
    fn user(&self) -> PyResult<Option<String>> {
        with(self.id.get(), |r| Ok(r.user().map(str::to_string)))
    }

    #[setter]
    fn set_user(&self, v: &str) -> PyResult<()> {
        with(self.id.get(), |r| {
            r.set_user(v);
            Ok(())
        })
    }

    #[getter]
    fn content_type(&self) -> PyResult<Option<String>> {
        with(self.id.get(), |r| Ok(r.content_type().map(str::to_string)))
    }

    #[setter]
    fn set_content_type(&self, v: &str) -> PyResult<()> {
        with(self.id.get(), |r| {
            r.set_content_type(v);
            Ok(())
        })
    }

    #[getter]
    fn status(&self) -> PyResult<i32> {
        with(self.id.get(), |r| Ok(r.status()))
    }

    #[setter]
    fn set_status(&self, v: i32) -> PyResult<()> {
        let code = u16::try_from(v).ok().filter(|c| (100..1000).contains(c));
        let code =
            code.ok_or_else(|| PyValueError::new_err(format!("{v} is not an HTTP status")))?;
        with(self.id.get(), |r| {
            r.set_status(code);
            Ok(())
        })
    }

    #[getter]
    fn method_number(&self) -> PyResult<i32> {
        with(self.id.get(), |r| Ok(r.method_number()))
    }

    #[getter]
    fn header_only(&self) -> PyResult<bool> {
        with(self.id.get(), |r| Ok(r.header_only()))
    }

    #[getter]
    fn proto_num(&self) -> PyResult<i32> {
        with(self.id.get(), |r| Ok(r.proto_num()))
    }

    #[getter]
    fn request_time(&self) -> PyResult<f64> {
        with(self.id.get(), |r| Ok(r.request_time() as f64 / 1e6))
    }

    #[getter]
    fn remaining(&self) -> PyResult<i64> {
        with(self.id.get(), |r| Ok(r.remaining()))
    }

    #[getter]
    fn read_length(&self) -> PyResult<i64> {
        with(self.id.get(), |r| Ok(r.read_length()))
    }

    #[getter]
    fn headers_in(&self) -> TableObject {
        TableObject {
            req: self.id.clone(),
            which: Which::HeadersIn,
        }
    }

    #[getter]
    fn headers_out(&self) -> TableObject {
        TableObject {
            req: self.id.clone(),
            which: Which::HeadersOut,
        }
    }

    #[getter]
    fn err_headers_out(&self) -> TableObject {
        TableObject {
            req: self.id.clone(),
            which: Which::ErrHeadersOut,
        }
    }

    #[getter]
    fn notes(&self) -> TableObject {
        TableObject {
            req: self.id.clone(),
            which: Which::Notes,
        }
    }

    #[getter]
    fn subprocess_env(&self) -> TableObject {
        TableObject {
            req: self.id.clone(),
            which: Which::SubprocessEnv,
        }
    }

    #[getter]
    fn connection(&self) -> PyResult<ConnectionObject> {
        with(self.id.get(), |r| {
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
        with(self.id.get(), |r| Ok(ServerObject::of(r.server())))
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
        let id = self.id.get();
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
        let id = self.id.get();
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
        with(self.id.get(), |r| {
            r.set_content_length(len);
            Ok(())
        })
    }

    fn is_initial_req(&self) -> PyResult<bool> {
        with(self.id.get(), |r| Ok(r.is_initial_req()))
    }

    fn discard_request_body(&self) -> PyResult<i32> {
        with(self.id.get(), |r| Ok(r.discard_request_body().into_raw()))
    }

    /// `req.add_handler("PythonFixupHandler", "module[::callable]"[, dir])`: one more handler
    /// for a phase of this request; for the phase running now, it runs after the others.
    #[pyo3(signature = (htype, handler, dir = None))]
    fn add_handler(&self, htype: &str, handler: &str, dir: Option<&str>) -> PyResult<()> {
        let id = with(self.id.get(), |r| Ok(r.id()))?;
        let phase = Phase::ALL
            .into_iter()
            .find(|p| p.directive() == htype)
            .ok_or_else(|| PyValueError::new_err(format!("no handler phase named {htype:?}")))?;
        let specs = parse_handlers(phase, handler, dir).map_err(PyValueError::new_err)?;
        added().extend(specs.into_iter().map(|h| (id, phase, h)));
        Ok(())
    }

    /// The handlers added to `phase` (a directive name) since the dispatcher last asked.
    fn _take_added(&self, phase: &str) -> Vec<(String, String, Option<String>)> {
        let Some(phase) = Phase::ALL.into_iter().find(|p| p.directive() == phase) else {
            return Vec::new();
        };
        take_added(self.id.get(), phase)
            .into_iter()
            .map(|h| (h.module, h.callable, h.directory))
            .collect()
    }

    /// `req.register_cleanup(callable[, data])`: `callable(data)` runs when the request ends.
    #[pyo3(signature = (callable, data = None))]
    fn register_cleanup(&self, callable: Py<PyAny>, data: Option<Py<PyAny>>) -> PyResult<()> {
        if self.id.get() == 0 {
            return Err(stale());
        }
        self.cleanups.borrow_mut().push((callable, data));
        Ok(())
    }

    /// The password of Basic authentication; also sets `req.user`. Raises SERVER_RETURN-like
    /// status errors as mod_python does: returns None when no credentials came.
    fn get_basic_auth_pw(&self) -> PyResult<Option<String>> {
        with(self.id.get(), |r| {
            Ok(r.get_basic_auth_pw().ok().map(str::to_string))
        })
    }

    fn auth_name(&self) -> PyResult<Option<String>> {
        with(self.id.get(), |r| Ok(r.auth_name().map(str::to_string)))
    }

    fn auth_type(&self) -> PyResult<Option<String>> {
        with(self.id.get(), |r| Ok(r.auth_type().map(str::to_string)))
    }

    fn document_root(&self) -> PyResult<Option<String>> {
        with(self.id.get(), |r| Ok(r.document_root().map(str::to_string)))
    }

    fn construct_url(&self, uri: &str) -> PyResult<String> {
        with(self.id.get(), |r| Ok(r.construct_url(uri)))
    }

    #[pyo3(signature = (r#type = 0, str_is_ip = None))]
    fn get_remote_host(
        &self,
        r#type: i32,
        str_is_ip: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Option<String>> {
        let _ = (r#type, str_is_ip);
        with(self.id.get(), |r| {
            Ok(r.get_remote_host().map(str::to_string))
        })
    }

    fn add_common_vars(&self) -> PyResult<()> {
        with(self.id.get(), |r| {
            r.add_common_vars();
            Ok(())
        })
    }

    fn add_cgi_vars(&self) -> PyResult<()> {
        with(self.id.get(), |r| {
            r.add_cgi_vars();
            Ok(())
        })
    }

    #[getter]
    fn mtime(&self) -> PyResult<f64> {
        with(self.id.get(), |r| Ok(r.mtime() as f64 / 1e6))
    }

    /// Sends (part of) a file without copying it through Python; returns the bytes sent.
    #[pyo3(signature = (path, offset = 0, len = -1))]
    fn sendfile(&self, py: Python<'_>, path: &str, offset: u64, len: i64) -> PyResult<u64> {
        let id = self.id.get();
        let len = u64::try_from(len).ok();
        py.detach(|| {
            with(id, |r| {
                r.sendfile(path, offset, len)
                    .map_err(|e| pyo3::exceptions::PyIOError::new_err(e.to_string()))
            })
        })
    }

    /// Serves `uri` instead, through every phase. Without the GIL: the new request may well
    /// run Python handlers on this same thread.
    fn internal_redirect(&self, py: Python<'_>, uri: &str) -> PyResult<()> {
        let id = self.id.get();
        py.detach(|| {
            with(id, |r| {
                r.internal_redirect(uri);
                Ok(())
            })
        })
    }
}
