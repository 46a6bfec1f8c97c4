//! Reads and writes that fail through no fault of the handler, as Python sees them: the
//! client stopped sending its body, went away while the response was going out, or httpd has
//! already answered the request. They raise `mod_python.apache._ClientError`, an `OSError`
//! (3.5 raised `IOError` for every failed read or write), carrying the status httpd gives
//! such a request; left uncaught, `apache._report` ends the request with that status and one
//! line at level info, without a traceback.

use super::convert::io_error;
use apache::Request;
use apache::http::BodyError;
use pyo3::prelude::*;
use std::os::raw::c_int;

const OK: c_int = 0;
const DONE: c_int = -2;

/// A failed body read: a body httpd refused outright (413 over `LimitRequestBody`, 400) ends
/// the handler with that status, as `apache.SERVER_RETURN` does (as in mod_python 3.5); one
/// the client did not finish, or that httpd has answered part-way, is a `_ClientError`;
/// anything else an `IOError`.
pub fn body_error(py: Python<'_>, e: std::io::Error) -> PyErr {
    let raised = match e.get_ref().and_then(|e| e.downcast_ref()) {
        Some(BodyError::Refused(status)) => apache_class(py, "SERVER_RETURN")
            .and_then(|class| class.call1((*status,)))
            .map(PyErr::from_value),
        Some(BodyError::Incomplete(status)) => client_error(py, &e, c_int::from(*status)),
        Some(BodyError::Answered) => client_error(py, &e, DONE),
        _ => return io_error(e),
    };
    raised.unwrap_or_else(|_| io_error(e))
}

/// Why a write (or flush) failed: learned from the request while it is at hand, raised once
/// the GIL is held again.
pub enum WriteFailure {
    /// The client went away: the response cannot reach it, and there is nothing to answer.
    ClientGone(String),
    /// The response has ended already (a filter answered it with an error).
    Ended(String),
    Other(std::io::Error),
}

impl WriteFailure {
    /// What `e`, from writing the response of `r`, means.
    pub fn of(r: &Request, e: std::io::Error) -> WriteFailure {
        if r.response_ended() {
            // A cleanup writing after its request: the caller's mistake, a plain error.
            WriteFailure::Other(e)
        } else if r.connection().aborted() {
            WriteFailure::ClientGone(format!("the client went away ({e})"))
        } else if r.eos_sent() {
            WriteFailure::Ended(format!("the response has already ended ({e})"))
        } else {
            WriteFailure::Other(e)
        }
    }

    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let (text, status) = match self {
            WriteFailure::ClientGone(text) => (text, OK),
            WriteFailure::Ended(text) => (text, DONE),
            WriteFailure::Other(e) => return io_error(e),
        };
        client_error(py, &text, status).unwrap_or_else(|_| io_error(text))
    }
}

fn apache_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("mod_python.apache")?.getattr(name)
}

fn client_error(py: Python<'_>, what: &dyn std::fmt::Display, status: c_int) -> PyResult<PyErr> {
    let class = apache_class(py, "_ClientError")?;
    Ok(PyErr::from_value(class.call1((what.to_string(), status))?))
}
