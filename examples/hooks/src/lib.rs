//! `mod_hooks`: registers every hook of httpd's request cycle. Each request hook appends its
//! name to the module's own state for the request (`Request::state`), which the handler
//! (`SetHandler hooks-trace`) sends back, so the order httpd ran them in can be seen; the
//! state is dropped (and says so in the log) when the request ends. A request header `X-Panic: <hook>` makes
//! that hook panic, to show that a panic becomes a 500 and the server keeps serving; a
//! connection to the port in the environment variable `HOOKS_PANIC_PORT` makes
//! `pre_connection` panic, and the environment variable `HOOKS_PANIC_IN=<hook>` makes that
//! server or child hook (`pre_config`, `check_config`, `open_logs`, `post_config`,
//! `child_init`, `child_stopping`) or `create_request` panic. The server-level hooks log a line
//! each, with the pid they ran in; the child pool's cleanup and the configuration pool's
//! cleanup say when they run. Two `translate_name` hooks ordered before and after mod_alias show
//! ordering by module name (`X-Translate` header); five `fixups` hooks at the five positions
//! show ordering by position (`X-Order` header, under `/hooks/order`). A `fixups` hook answers
//! `/hooks/done` itself and returns `DONE`; `insert_error_filter` marks error responses with
//! `X-Error-Filter`.
#![forbid(unsafe_code)]

use apache::{HookResult, Order, Pool, Request, Server, Status};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

apache::module!(hooks_module, file: "mod_hooks.c");

/// The hooks that ran for one request, in order.
#[derive(Default)]
struct Trace(Vec<&'static str>);

impl Drop for Trace {
    fn drop(&mut self) {
        log::info!("hooks: request state dropped after {} hooks", self.0.len());
    }
}

fn trace(r: &mut Request, hook: &'static str) {
    if r.headers_in().get("X-Panic") == Some(hook) {
        panic!("asked to panic in {hook}");
    }
    r.state::<Trace>().0.push(hook);
}

macro_rules! traced {
    ($($hook:ident),*) => {$(
        apache::hook!($hook, |r: &mut Request| -> HookResult {
            trace(r, stringify!($hook));
            Ok(Status::Declined)
        });
    )*};
}

traced!(
    post_read_request,
    translate_name,
    map_to_storage,
    header_parser,
    access_checker,
    access_checker_ex,
    check_user_id,
    auth_checker,
    type_checker,
    fixups
);

/// Panics when `HOOKS_PANIC_IN` names `hook`: the hooks that have no request headers to ask
/// with (server, child and connection-creation hooks) are asked through the environment.
fn panic_if_asked(hook: &str) {
    if std::env::var("HOOKS_PANIC_IN").is_ok_and(|h| h == hook) {
        panic!("asked to panic in {hook}");
    }
}

apache::hook!(create_request, |r: &mut Request| -> HookResult {
    // Headers are not read yet when a request is created: just mark it.
    panic_if_asked("create_request");
    r.state::<Trace>().0.push("create_request");
    Ok(Status::Ok)
});
apache::hook!(check_access, |r: &mut Request| -> HookResult {
    trace(r, "check_access");
    Ok(Status::Declined)
});
apache::hook!(check_access_ex, |r: &mut Request| -> HookResult {
    trace(r, "check_access_ex");
    Ok(Status::Declined)
});
// The authentication phase needs one hook to say who the user is; the classic check_user_id
// hook above declines, this one (run after it) accepts everyone as "traced".
apache::hook!(
    check_authn,
    |r: &mut Request| -> HookResult {
        trace(r, "check_authn");
        r.set_user("traced");
        Ok(Status::Ok)
    },
    apache::Order::LAST
);
apache::hook!(check_authz, |r: &mut Request| -> HookResult {
    trace(r, "check_authz");
    Ok(Status::Declined)
});
apache::hook!(insert_filter, |r: &mut Request| trace(r, "insert_filter"));
apache::hook!(insert_error_filter, |r: &mut Request| {
    trace(r, "insert_error_filter");
    // The error response is sent with err_headers_out (httpd drops headers_out for it).
    let status = r.status().to_string();
    r.err_headers_out_mut().set("X-Error-Filter", &status);
});
// A hook before the handler may answer the request itself: DONE ends it there.
apache::hook!(
    fixups,
    |r: &mut Request| -> HookResult {
        if r.uri() != Some("/hooks/done") {
            return Ok(Status::Declined);
        }
        r.set_content_type("text/plain");
        r.write_all(b"finished in fixups\n")?;
        Ok(Status::Done)
    },
    Order::FIRST
);
apache::hook!(quick_handler, |r: &mut Request,
                              lookup: bool|
 -> HookResult {
    if r.uri() == Some("/quick") && !lookup {
        trace(r, "quick_handler");
        r.set_content_type("text/plain");
        r.write_all(b"answered by quick_handler\n")?;
        return Ok(Status::Ok);
    }
    Ok(Status::Declined)
});
// A panic in one log_transaction hook must not keep the others (mod_log_config's access log)
// from running: this one panics when asked, the next one logs.
apache::hook!(
    log_transaction,
    |r: &mut Request| -> HookResult {
        if r.headers_in().get("X-Panic") == Some("log_transaction") {
            panic!("asked to panic in log_transaction");
        }
        Ok(Status::Declined)
    },
    Order::FIRST
);
apache::hook!(log_transaction, |r: &mut Request| -> HookResult {
    log::info!("hooks: log_transaction for {}", r.uri().unwrap_or("?"));
    Ok(Status::Declined)
});
apache::hook!(handler, handler);

// Ordering by module name. mod_alias's translate_name (at APR_HOOK_MIDDLE) answers OK for the
// URIs an `Alias` maps, and the first OK ends the phase: a hook ordered after mod_alias never
// sees those URIs, one ordered before it always does, whatever their positions say. Both add
// to the `X-Translate` response header for URIs under /ordered.
apache::hook!(
    translate_name,
    |r: &mut Request| -> HookResult { note_translate(r, "before-alias") },
    apache::Order::LAST.before(&[c"mod_alias.c"])
);
apache::hook!(
    translate_name,
    |r: &mut Request| -> HookResult { note_translate(r, "after-alias") },
    apache::Order::FIRST.after(&[c"mod_alias.c"])
);

/// Hooks of one phase run in the order of their positions, whatever order they were declared
/// in, and from wherever in the crate.
mod positions {
    use apache::{HookResult, Order, Request, Status};

    fn mark(r: &mut Request, position: &str) -> HookResult {
        if r.uri().is_some_and(|u| u.starts_with("/hooks/order")) {
            r.err_headers_out_mut().add("X-Order", position);
        }
        Ok(Status::Declined)
    }

    apache::hook!(fixups, |r: &mut Request| mark(r, "last"), Order::LAST);
    apache::hook!(
        fixups,
        |r: &mut Request| mark(r, "really-first"),
        Order::REALLY_FIRST
    );
    apache::hook!(fixups, |r: &mut Request| mark(r, "middle"), Order::MIDDLE);
    apache::hook!(
        fixups,
        |r: &mut Request| mark(r, "really-last"),
        Order::REALLY_LAST
    );
    apache::hook!(fixups, |r: &mut Request| mark(r, "first"), Order::FIRST);
}

fn note_translate(r: &mut Request, who: &str) -> HookResult {
    if let Some(uri) = r.uri().filter(|u| u.starts_with("/ordered/")) {
        let value = format!("{who} {uri}");
        r.err_headers_out_mut().add("X-Translate", &value);
    }
    Ok(Status::Declined)
}

fn handler(r: &mut Request) -> HookResult {
    if r.handler() != Some("hooks-trace") {
        return Ok(Status::Declined);
    }
    trace(r, "handler");
    if r.uri() == Some("/hooks/error") {
        return Err(apache::Error::new(409, "the handler chose to fail"));
    }
    let body = format!("{}\n", r.state::<Trace>().0.join(","));
    r.set_content_type("text/plain");
    r.write_all(body.as_bytes())?;
    Ok(Status::Ok)
}

/// Set by `pre_config` and `open_logs`, taken by `post_config`: whether they ran in its own
/// pass through the configuration, whether or not the module stayed loaded since the last.
static PRE_CONFIG_RAN: AtomicBool = AtomicBool::new(false);
static OPEN_LOGS_RAN: AtomicBool = AtomicBool::new(false);

apache::hook!(pre_config, |_p: &Pool, _l: &Pool| -> HookResult {
    panic_if_asked("pre_config");
    PRE_CONFIG_RAN.store(true, Ordering::Relaxed);
    Ok(Status::Ok)
});
apache::hook!(check_config, |_p: &Pool,
                             _l: &Pool,
                             s: &Server|
 -> HookResult {
    panic_if_asked("check_config");
    log::info!(
        "hooks: check_config for {}",
        s.server_hostname().unwrap_or("?")
    );
    Ok(Status::Ok)
});
apache::hook!(open_logs, |_p: &Pool,
                          _l: &Pool,
                          _s: &Server|
 -> HookResult {
    panic_if_asked("open_logs");
    OPEN_LOGS_RAN.store(true, Ordering::Relaxed);
    Ok(Status::Ok)
});
apache::hook!(post_config, |p: &Pool,
                            _l: &Pool,
                            s: &Server|
 -> HookResult {
    panic_if_asked("post_config");
    let pid = std::process::id();
    log::info!(
        "hooks: post_config in pid {pid}, {} server(s), pre_config={} open_logs={}",
        s.iter().count(),
        PRE_CONFIG_RAN.swap(false, Ordering::Relaxed),
        OPEN_LOGS_RAN.swap(false, Ordering::Relaxed),
    );
    // The configuration is cleared between the two start-up passes and at every restart.
    // ap_log_error needs the server being torn down; stderr (the error_log by then) does not.
    // One write, so that the children writing to the same file cannot split the line
    // (eprintln! writes each piece of its format on its own).
    p.on_cleanup(move || {
        use std::io::Write;
        let line = format!("hooks: configuration of pid {pid} cleaned up\n");
        let _ = std::io::stderr().write_all(line.as_bytes());
    });
    Ok(Status::Ok)
});
apache::hook!(child_init, |p: &Pool, _s: &Server| {
    panic_if_asked("child_init");
    let pid = std::process::id();
    log::info!("hooks: child_init in pid {pid}");
    p.on_cleanup(move || log::info!("hooks: child pool of pid {pid} cleaned up"));
});
apache::hook!(child_stopping, |_p: &Pool, graceful: bool| {
    panic_if_asked("child_stopping");
    log::info!(
        "hooks: child_stopping in pid {} graceful={graceful}",
        std::process::id()
    );
});
apache::hook!(pre_connection, |c: &mut apache::Connection| -> HookResult {
    log::debug!(
        "hooks: pre_connection from {}",
        c.client_ip().unwrap_or("?")
    );
    // A connection has no headers to ask for a panic with: the port it came to does.
    let panic_port = std::env::var("HOOKS_PANIC_PORT").ok();
    if panic_port.is_some_and(|p| p == c.local_port().to_string()) {
        panic!("asked to panic in pre_connection");
    }
    Ok(Status::Ok)
});
apache::hook!(
    process_connection,
    |c: &mut apache::Connection| -> HookResult {
        // Under the event MPM this runs again for each request of a kept-alive connection.
        log::debug!(
            "hooks: process_connection {} (served {} request(s) so far)",
            c.id(),
            c.keepalives()
        );
        // Leave the connection to HTTP.
        Ok(Status::Declined)
    }
);
