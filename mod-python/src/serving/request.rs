//! mod_python's state for one request: its request objects, and the handlers
//! `req.add_handler` added, kept in the request itself (`Request::state`), so no hook needs a
//! process-wide map or lock to find them.
//!
//! One object per request and interpreter serves all the request's phases that run there, so
//! attributes a handler sets (`req.user_data = ...`) are there for later phases, as in
//! mod_python 3.5. An object is detached from its request (its handle set to 0, after which
//! every call raises) at the end of the request's last Python phase when nothing else needs
//! it, in the same hold of the GIL; otherwise when the request's pool is destroyed, after the
//! callables of `req.register_cleanup` ran with the request still reachable, as in 3.5.

use crate::config::{HandlerSpec, Phase};
use crate::python::gil;
use crate::python::interpreters::{Interp, log_python_error};
use apache::Request;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// Why a request object's call fails: its request has ended, or is not the one this thread
/// serves.
pub fn stale() -> PyErr {
    PyRuntimeError::new_err("the request this object belongs to is no longer being served")
}

/// Runs `f` on the request lent to this thread.
pub fn with_lent<R>(f: impl FnOnce(&mut Request) -> PyResult<R>) -> PyResult<R> {
    Request::with_lent(f).unwrap_or_else(|_| Err(stale()))
}

/// mod_python's state for one request, kept in the request (`Request::state`).
#[derive(Default)]
pub struct RequestState {
    objects: Vec<(&'static Interp, Py<PyAny>)>,
    added: Vec<(Phase, HandlerSpec)>,
    /// Filters registered with `req.register_output_filter` / `register_input_filter`.
    pub filters: Vec<crate::config::FilterSpec>,
    /// A Python filter has been given the request object: it stays attached until the
    /// request ends, so the filter's later calls (the end of the response comes after the
    /// handler returns) see the object the handler set attributes on.
    pub filtered: bool,
    /// `finish` is registered on the request's pool.
    finish_registered: bool,
}

impl RequestState {
    pub fn add_handlers(&mut self, phase: Phase, specs: Vec<HandlerSpec>) {
        self.added.extend(specs.into_iter().map(|h| (phase, h)));
    }

    /// Takes the handlers `req.add_handler` added to `phase`.
    pub fn take_added(&mut self, phase: Phase) -> Vec<HandlerSpec> {
        let mut out = Vec::new();
        self.added.retain(|(p, h)| {
            let mine = *p == phase;
            if mine {
                out.push(h.clone());
            }
            !mine
        });
        out
    }
}

/// Objects `finish` did not reach (it always does: it is registered after the state was made,
/// so it runs first) are detached here, without their request.
impl Drop for RequestState {
    fn drop(&mut self) {
        finish_objects(std::mem::take(&mut self.objects));
    }
}

/// The handlers added to `phase` of `r`, without making its state when it has none.
pub fn take_added(r: &mut Request, phase: Phase) -> Vec<HandlerSpec> {
    if !r.has_state() {
        return Vec::new();
    }
    r.state::<RequestState>().take_added(phase)
}

/// The request object of the lent request in `interp`, made on the request's first phase
/// there. Call holding the GIL in `interp`.
pub fn object_for<'py>(py: Python<'py>, interp: &'static Interp) -> PyResult<Bound<'py, PyAny>> {
    let found = with_lent(|r| {
        let id = r.id();
        let known = r
            .state::<RequestState>()
            .objects
            .iter()
            .find(|(i, _)| std::ptr::eq(*i, interp))
            .map(|(_, o)| o.clone_ref(py));
        Ok((id, known))
    })?;
    if let (_, Some(obj)) = found {
        return Ok(obj.into_bound(py));
    }
    let obj = interp.new_request(py, found.0)?;
    let kept = obj.clone().unbind();
    with_lent(|r| {
        let state = r.state::<RequestState>();
        state.objects.push((interp, kept));
        if !std::mem::replace(&mut state.finish_registered, true) {
            r.on_pool_cleanup(finish);
        }
        Ok(())
    })?;
    Ok(obj)
}

/// The object `interp` made for `r`, a request reached from the one being served
/// (`req.prev`, `req.main`), if it has one: the object that request's handlers were given.
/// Call holding the GIL in `interp`.
pub fn existing_object(py: Python<'_>, r: &Request, interp: &'static Interp) -> Option<Py<PyAny>> {
    r.existing_state::<RequestState>()?
        .objects
        .iter()
        .find(|(i, _)| std::ptr::eq(*i, interp))
        .map(|(_, o)| o.clone_ref(py))
}

/// The request has ended (its pool is being destroyed): each object still attached runs the
/// callables registered with `req.register_cleanup`, with the request lent so that they can
/// still read and change it, and is then detached. Objects `retire` took are not here, so a
/// request without cleanups does not take the GIL again.
fn finish(r: &mut Request) {
    if !r.has_state() {
        return;
    }
    let objects = std::mem::take(&mut r.state::<RequestState>().objects);
    if objects.is_empty() {
        return;
    }
    r.lend(|| finish_objects(objects));
}

/// Runs each request object's `_finish` (its cleanups, then its detachment) in its
/// interpreter; a failure is logged.
fn finish_objects(objects: Vec<(&'static Interp, Py<PyAny>)>) {
    for (interp, obj) in objects {
        // Once Python is finalized (a request pool destroyed after the child's cleanup) the
        // entry is refused and the object is abandoned with its interpreter: dropped outside
        // an entry it would abort the child (see gil::with_interp).
        let obj = std::mem::ManuallyDrop::new(obj);
        gil::with_interp(interp.state, |py| {
            let obj = std::mem::ManuallyDrop::into_inner(obj).into_bound(py);
            if let Err(e) = obj.call_method0("_finish") {
                log_python_error(py, "at the end of a request", &e);
            }
        });
    }
}

/// The request's last Python phase in `interp` is over: detaches its object now, unless
/// cleanups, added handlers, Python filters or `<!--#python -->` elements still need it. Call
/// holding the GIL in `interp`.
pub fn retire(py: Python<'_>, obj: &Bound<'_, PyAny>, interp: &'static Interp) {
    let waiting = obj
        .getattr(interp.request_names().cleanups.bind(py))
        .and_then(|c| c.is_truthy())
        .unwrap_or(true);
    if waiting {
        return;
    }
    let taken = with_lent(|r| {
        // mod_include may still parse output after the handler returned: its
        // `<!--#python -->` elements then need this object (its `ssi_globals`).
        let parsed = r.has_output_filter("INCLUDES");
        let state = r.state::<RequestState>();
        if parsed || !state.added.is_empty() || state.filtered || !state.filters.is_empty() {
            return Ok(None);
        }
        let at = state
            .objects
            .iter()
            .position(|(i, _)| std::ptr::eq(*i, interp));
        Ok(at.map(|i| state.objects.swap_remove(i).1))
    });
    if let Ok(Some(kept)) = taken {
        let _ = obj.setattr(interp.request_names().handle.bind(py), 0);
        // Released here, under the GIL (see gil::with_interp).
        drop(kept.into_bound(py));
    }
}
