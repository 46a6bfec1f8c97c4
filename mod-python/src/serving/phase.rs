//! Running a request phase's Python handlers: which handlers (those configured, those
//! `req.add_handler` added), in which interpreter, on which request object.

use super::request;
use crate::config::{self, HandlerSpec, Phase, PhaseSettings};
use crate::python::gil;
use crate::python::interpreters::{self as interp, Interp, log_python_error};
use apache::{HookResult, Request, Status};
use pyo3::prelude::*;
use std::os::raw::c_int;

/// Runs the handlers configured for (or added to) `phase` of the request.
pub fn run(r: &mut Request, phase: Phase) -> HookResult {
    run_filtered(r, phase, |_| true)
}

/// [`run`], with only the configured handlers `keep` accepts (added ones always run).
pub fn run_filtered(
    r: &mut Request,
    phase: Phase,
    keep: impl Fn(&HandlerSpec) -> bool,
) -> HookResult {
    // Most phases of most requests: no handler anywhere, none added; nothing to look up.
    if !config::configured(phase) && !r.has_state() {
        return Ok(Status::Declined);
    }
    let added = request::take_added(r, phase);
    let Some(conf) = r.dir_config::<crate::ThisModule>() else {
        return Ok(Status::Declined);
    };
    let configured = match conf.handlers_for(phase) {
        Some(list) => list,
        // Most phases of most requests: nothing to do, and nothing allocated to find out.
        None if added.is_empty() => return Ok(Status::Declined),
        None => Default::default(),
    };
    // The file name is only needed for `| .ext` and PythonInterpPerDirectory.
    let wants_filename = conf.interp_per_directory == Some(true)
        || configured
            .iter()
            .chain(&added)
            .any(|h| !h.extensions.is_empty());
    let filename = if wants_filename { r.filename() } else { None };
    // Usually every configured handler applies and none was added: the configuration's own
    // list is used, shared rather than copied.
    let handlers =
        if added.is_empty() && configured.iter().all(|h| keep(h) && h.applies_to(filename)) {
            configured
        } else {
            let mut list: Vec<_> = configured
                .iter()
                .filter(|h| keep(h) && h.applies_to(filename))
                .cloned()
                .collect();
            list.extend(added);
            std::sync::Arc::new(list)
        };
    let Some(first) = handlers.first() else {
        return Ok(Status::Declined);
    };
    let is_dir = conf.interp_per_directory == Some(true)
        && r.finfo().kind == Some(apache::http::FileKind::Directory);
    let name = conf.interpreter_name(first, filename, is_dir, r.server().server_hostname());
    // The content handler's phase is the request's last in Python unless log or cleanup
    // handlers follow; then its request object is retired without taking the GIL again.
    let last = phase == Phase::Handler
        && !conf.has_handlers(Phase::Log)
        && !conf.has_handlers(Phase::Cleanup);
    let settings = conf.phase_settings();
    let Some(interp) = interp::get(&name) else {
        return Ok(Status::Http(500));
    };
    // For req.extension: owned, since the request is lent meanwhile.
    let filename = filename.map(str::to_string);
    let code = r.lend(|| {
        dispatch(
            interp,
            phase,
            &handlers,
            &settings,
            filename.as_deref(),
            last,
        )
    });
    crate::python::output::flush_thread();
    match Status::from_raw(code) {
        // The response has already ended (httpd's 413 for a chunked body over
        // LimitRequestBody, found by a read the handler then failed on): no second one.
        Status::Http(status) if status >= 400 && r.eos_sent() => Ok(Status::FilterError),
        status => Ok(status),
    }
}

/// Runs the handlers of `phase` for the lent request in `interp`; returns the status for
/// httpd. `last`: no Python phase of this request follows in this interpreter, so its
/// request object can be retired in the same hold of the GIL.
fn dispatch(
    interp: &'static Interp,
    phase: Phase,
    handlers: &[HandlerSpec],
    conf: &PhaseSettings,
    filename: Option<&str>,
    last: bool,
) -> c_int {
    gil::with_interp(interp.state, |py| {
        let run = || -> PyResult<c_int> {
            let req = request::object_for(py, interp)?;
            let result = interp
                .dispatcher()
                .run(py, &req, phase, handlers, conf, filename)?;
            if last {
                request::retire(py, &req, interp);
            }
            Ok(result)
        };
        run().unwrap_or_else(|e| {
            log_python_error(py, phase.directive(), &e);
            500
        })
    })
}
