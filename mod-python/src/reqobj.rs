//! The request objects of requests being served, and the handlers `req.add_handler` added.
//!
//! One object per request and interpreter serves all the request's phases that run there, so
//! attributes a handler sets (`req.user_data = ...`) are there for later phases, as in
//! mod_python 3.5. An object is detached from its request (its handle set to 0, after which
//! every call raises) at the end of the request's last Python phase when nothing else needs
//! it, in the same hold of the GIL; otherwise when the request's pool is cleaned up.

use crate::config::{HandlerSpec, Phase};
use crate::interp::Interp;
use apache::Request;
use pyo3::prelude::*;
use std::sync::{Mutex, MutexGuard};

struct Live {
    id: usize,
    interp: &'static Interp,
    obj: Py<PyAny>,
}

static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());

/// Handlers added with `req.add_handler`, by request identity, waiting for their phase.
static ADDED: Mutex<Vec<(usize, Phase, HandlerSpec)>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<Live>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

fn added() -> MutexGuard<'static, Vec<(usize, Phase, HandlerSpec)>> {
    ADDED.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn add_handlers(id: usize, phase: Phase, specs: Vec<HandlerSpec>) {
    added().extend(specs.into_iter().map(|h| (id, phase, h)));
}

/// Takes the handlers `req.add_handler` added to `phase` of request `id`.
pub fn take_added(id: usize, phase: Phase) -> Vec<HandlerSpec> {
    let mut all = added();
    if all.is_empty() {
        return Vec::new();
    }
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

fn has_added(id: usize) -> bool {
    let all = added();
    !all.is_empty() && all.iter().any(|(i, _, _)| *i == id)
}

/// The request object of the lent request in `interp`, made on the request's first phase
/// there. Call holding the GIL in `interp`.
pub fn object_for<'py>(py: Python<'py>, interp: &'static Interp) -> PyResult<Bound<'py, PyAny>> {
    let id = Request::lent_id().ok_or_else(crate::native::stale)?;
    let mut first_here = true;
    {
        let live = live();
        for l in live.iter().filter(|l| l.id == id) {
            if std::ptr::eq(l.interp, interp) {
                return Ok(l.obj.clone_ref(py).into_bound(py));
            }
            first_here = false;
        }
    }
    if first_here {
        crate::native::with(id, |r| {
            // The objects go when the request's pool does; they then stop answering.
            r.pool().on_cleanup(move || finish(id));
            Ok(())
        })?;
    }
    let obj = interp.new_request(py, id)?;
    live().push(Live {
        id,
        interp,
        obj: obj.clone().unbind(),
    });
    Ok(obj)
}

/// The request's last Python phase in `interp` is over: detaches its object now, unless
/// cleanups or added handlers still need it. Call holding the GIL in `interp`.
pub fn retire(py: Python<'_>, obj: &Bound<'_, PyAny>, interp: &'static Interp) {
    let Some(id) = Request::lent_id() else { return };
    if has_added(id)
        || !obj
            .call_method0("_retire")
            .is_ok_and(|v| v.is_truthy().unwrap_or(false))
    {
        return;
    }
    let taken = {
        let mut live = live();
        live.iter()
            .position(|l| l.id == id && std::ptr::eq(l.interp, interp))
            .map(|i| live.swap_remove(i))
    };
    // Released here, under the GIL (see gil::with_interp).
    drop(taken.map(|l| l.obj.into_bound(py)));
}

/// Runs at the end of request `id` (its pool's cleanup): detaches each of its objects still
/// attached and runs the callables registered with `req.register_cleanup`.
fn finish(id: usize) {
    let mine: Vec<Live> = {
        let mut live = live();
        let mut mine = Vec::new();
        let mut i = 0;
        while i < live.len() {
            if live[i].id == id {
                mine.push(live.swap_remove(i));
            } else {
                i += 1;
            }
        }
        mine
    };
    if has_added(id) {
        added().retain(|(i, _, _)| *i != id);
    }
    for l in mine {
        crate::gil::with_interp(l.interp.state, |py| {
            let obj = l.obj.into_bound(py);
            if let Err(e) = obj.call_method0("_finish") {
                crate::interp::log_python_error(py, "at the end of a request", &e);
            }
        });
    }
}
