//! Keeps panics from crossing into httpd.
//!
//! Every trampoline runs user code through [`guard`]: a panic is caught, logged with its message
//! and the file and line where it happened, and turned into the caller's fallback value (500 for
//! request hooks, a config error for directives).

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static LAST_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs a panic hook that remembers where the panic happened instead of printing to stderr:
/// [`guard`] logs it through httpd with the rest of the story. Each module has its own copy of
/// std, so this affects only this module.
pub(crate) fn install_hook() {
    HOOK.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_else(|| "unknown location".into());
            LAST_LOCATION.with(|c| *c.borrow_mut() = Some(loc));
        }));
    });
}

/// Describes a caught panic: its message and where it happened.
pub fn describe(payload: &(dyn Any + Send)) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "Box<dyn Any>".into());
    let loc = LAST_LOCATION.with(|c| c.borrow_mut().take());
    match loc {
        Some(loc) => format!("panicked at {loc}: {msg}"),
        None => format!("panicked: {msg}"),
    }
}

/// Runs `f`; when it panics, calls `on_panic` with a description of the panic and returns its
/// value instead.
pub fn guard<R>(f: impl FnOnce() -> R, on_panic: impl FnOnce(String) -> R) -> R {
    install_hook();
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => on_panic(describe(&*payload)),
    }
}
