//! `PythonConnectionHandler`: a Python callable serving whole connections of a (virtual)
//! server, in `process_connection`, as in mod_python 3.5.
//!
//! The callable gets a connection object (`mp_connection`, an `mp_conn` that can also
//! `read`, `readline` and `write`); returning `apache.OK` means it served the connection,
//! which httpd then closes; `apache.DECLINED` leaves the connection to HTTP. One `ConnIo`
//! serves the whole call, so input read ahead of what Python asked for (the rest of a long
//! line) is there for the next read; it is lent to the thread for the connection object's
//! native functions, which release the GIL while they wait for the client.

use crate::config::DirConf;
use crate::python::{gil, interpreters as interp};
use apache::{Connection, HookResult, Status};
use pyo3::prelude::*;

/// mod_python's state for a connection.
#[derive(Default)]
struct ConnState {
    /// The connection handler declined this connection: HTTP serves it. (Under the event MPM
    /// `process_connection` runs again for each request of a kept-alive connection; the
    /// handler is not asked again in the middle of HTTP.)
    declined: bool,
}

pub fn process(c: &mut Connection) -> HookResult {
    let Some(spec) = c
        .base_server()
        .module_config::<crate::ThisModule>()
        .and_then(|s| s.connection_handler.clone())
    else {
        return Ok(Status::Declined);
    };
    if c.state::<ConnState>().declined {
        return Ok(Status::Declined);
    }
    let server = c.base_server();
    let default = DirConf::default();
    let conf = server.dir_config::<crate::ThisModule>().unwrap_or(&default);
    let settings = conf.phase_settings();
    let name = conf
        .interpreter
        .as_deref()
        .or_else(|| server.server_hostname())
        .unwrap_or(crate::config::MAIN_INTERPRETER)
        .to_string();
    let Some(interp) = interp::get(&name) else {
        return Ok(Status::Http(500));
    };
    let handle = c.as_ptr() as usize;
    let mut io = c.io();
    let code = io.lend(|| {
        gil::with_interp(interp.state, |py| {
            let run = || -> PyResult<i32> {
                let connection = py.import("mod_python._connection")?;
                connection
                    .getattr("dispatch")?
                    .call1((
                        handle,
                        &spec.module,
                        &spec.callable,
                        spec.directory.as_deref(),
                        settings.autoreload.unwrap_or(true),
                        settings.python_path.as_deref(),
                    ))?
                    .extract()
            };
            run().unwrap_or_else(|e| {
                interp::log_python_error(py, "PythonConnectionHandler", &e);
                500
            })
        })
    });
    crate::python::output::flush_thread();
    // Anything still buffered goes out before httpd closes the connection.
    let _ = std::io::Write::flush(&mut io);
    drop(io);
    let status = Status::from_raw(code);
    if status == Status::Declined {
        c.state::<ConnState>().declined = true;
    }
    Ok(status)
}
