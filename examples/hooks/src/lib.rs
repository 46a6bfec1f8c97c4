//! `mod_hooks`: registers every hook of httpd's request cycle. Each request hook appends its
//! name to the module's own state for the request (`Request::state`), which the handler
//! (`SetHandler hooks-trace`) sends back, so the order httpd ran them in can be seen; the
//! state is dropped (and says so in the log) when the request ends. A request header `X-Panic: <hook>` makes
//! that hook panic, to show that a panic becomes a 500 and the server keeps serving; a
//! connection to the port in the environment variable `HOOKS_PANIC_PORT` makes
//! `pre_connection` panic. The server-level hooks log a line each. Two `translate_name` hooks
//! ordered before and after mod_alias show ordering by module name (`X-Translate` header).

use apache::{HookResult, Pool, Request, Server, Status};
use std::io::Write;

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

apache::hook!(create_request, |r: &mut Request| -> HookResult {
    // Headers are not read yet when a request is created: just mark it.
    r.state::<Trace>().0.push("create_request");
    Ok(Status::Ok)
});
apache::hook!(check_access, |r: &mut Request| -> HookResult {
    trace(r, "check_access");
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
apache::hook!(log_transaction, |r: &mut Request| -> HookResult {
    if r.headers_in().get("X-Panic") == Some("log_transaction") {
        panic!("asked to panic in log_transaction");
    }
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

fn note_translate(r: &mut Request, who: &str) -> HookResult {
    if let Some(uri) = r.uri().filter(|u| u.starts_with("/ordered/")) {
        let value = format!("{who} {uri}");
        r.err_headers_out().add("X-Translate", &value);
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

apache::hook!(pre_config, |_p: &Pool, _l: &Pool| -> HookResult {
    Ok(Status::Ok)
});
apache::hook!(check_config, |_p: &Pool,
                             _l: &Pool,
                             s: &Server|
 -> HookResult {
    log::info!(
        "hooks: check_config for {}",
        s.server_hostname().unwrap_or("?")
    );
    Ok(Status::Ok)
});
apache::hook!(open_logs, |_p: &Pool,
                          _l: &Pool,
                          _s: &Server|
 -> HookResult { Ok(Status::Ok) });
apache::hook!(post_config, |_p: &Pool,
                            _l: &Pool,
                            s: &Server|
 -> HookResult {
    log::info!("hooks: post_config, {} server(s)", s.iter().count());
    Ok(Status::Ok)
});
apache::hook!(child_init, |_p: &Pool, _s: &Server| {
    log::info!("hooks: child_init in pid {}", std::process::id());
});
apache::hook!(child_stopping, |_p: &Pool, graceful: bool| {
    log::info!("hooks: child_stopping graceful={graceful}");
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
