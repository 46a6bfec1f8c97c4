//! `mod_rsfilter`: filters over bucket brigades.
//!
//! - `UPPERCASE` (output): upper-cases the ASCII letters of `text/*` responses in place, bucket
//!   by bucket, keeping flush and end-of-stream markers where they are; other responses pass
//!   untouched (the filter takes itself out). A request with `?panic-filter` makes it panic,
//!   one with `?fail-filter` makes it fail with an APR error.
//! - `TRUNCATE16` (output): keeps only the first 16 bytes of a response, splitting the bucket
//!   that straddles the limit and deleting the rest.
//! - `UPPERCASE_IN` (input): upper-cases the request body.
//! - `CONN_UPPER` (connection input): the same for everything read on a connection (request
//!   line and headers too); added to every connection when httpd runs with the environment
//!   variable `RSFILTER_SHOUTING_CONNECTIONS` set.
//! - `CONN_UPPER_OUT` (connection output): upper-cases everything sent on a connection,
//!   status lines and headers included; added to every connection when httpd runs with
//!   `RSFILTER_SHOUTING_REPLIES` set.
//! - `TAIL` (output): passes what comes before the end of the response, then ` [tail]` as a
//!   transient bucket (not copied), then the end.
//! - `REFUSE_SECRET` (output): a response containing `secret` is replaced by a 403: the filter
//!   sends httpd's error bucket and returns `AP_FILTER_ERROR`, as C filters do.
//! - `SetHandler brigade-echo`: answers with the request body in a brigade of its own making
//!   (a heap bucket, a pool bucket, with `?flush` a flush bucket, the brigade's length, and
//!   the end-of-stream), passed to the output filters.
//! - `SetHandler echo-body`: answers with the request body, or "(empty)" for none.
//! - `SetHandler send-file`: sends the mapped file as a file bucket through the output filters.
//! - `RsFilterShoutAs NAME`: registers NAME, chosen by the configuration, as an output filter
//!   that upper-cases text; the work is done by code that reaches the filter through
//!   `Filter::lend` / `Filter::with_lent`, as an embedded language's callbacks do.
//! - `SetHandler cut-at`: adds `TRUNCATE16` to the request with its budget set to the number in
//!   the query string (`Request::add_output_filter_with`), then echoes the body.
#![forbid(unsafe_code)]

use apache::apr::{AprError, Brigade};
use apache::filter::{Filter, FilterResult, FilterType, InputMode};
use apache::{Connection, HookResult, Request, Status};
use std::io::Write;

// No configuration of its own: the directive changes none (its configuration type is `()`).
apache::module!(rsfilter_module, file: "mod_rsfilter.c");

apache::directive!(server RsFilterShoutAs, take1, |cmd: &mut apache::module::Directive, _: &mut (), name: &str| {
    cmd.register_output_filter(name, shout_lent, FilterType::Resource)
}, apache::module::Context::RSRC_CONF, "NAME: an output filter upper-casing text, under that name");

apache::hook!(register, |reg| {
    reg.output_filter(c"UPPERCASE", uppercase_out, FilterType::Resource);
    reg.output_filter(c"TRUNCATE16", truncate16, FilterType::Resource);
    reg.input_filter(c"UPPERCASE_IN", uppercase_in, FilterType::Resource);
    reg.input_filter(c"CONN_UPPER", uppercase_in, FilterType::Connection);
    reg.output_filter(c"CONN_UPPER_OUT", uppercase_out, FilterType::Connection);
    reg.output_filter(c"TAIL", tail, FilterType::Resource);
    reg.output_filter(c"REFUSE_SECRET", refuse_secret, FilterType::Resource);
});
apache::hook!(pre_connection, shouting_connections);
apache::hook!(handler, brigade_echo);
apache::hook!(handler, echo_body);
apache::hook!(handler, send_file);
apache::hook!(handler, cut_at);

/// A filter registered under a configured name; its work is done by [`shout_lent_body`],
/// which finds the filter lent to the thread.
fn shout_lent(f: &mut Filter, bb: &mut Brigade) -> FilterResult {
    if let Some(r) = f.request() {
        r.headers_out_mut().unset("Content-Length");
    }
    let name = f.name().unwrap_or("").to_string();
    if let Some(r) = f.request() {
        r.headers_out_mut().set("X-Filter-Name", &name);
    }
    f.lend(bb, shout_lent_body)
}

fn shout_lent_body() -> FilterResult {
    // The request is lent too.
    let uri = Request::with_lent(|r| r.uri().map(str::to_string)).map_err(|_| AprError::GENERAL)?;
    Filter::with_lent(|f, bb| {
        // Nested: the filter is taken while this runs.
        assert!(Filter::with_lent(|_, _| ()).is_err());
        if uri.as_deref() == Some("/lent-uri") {
            bb.cleanup();
            let mut out = f.new_brigade();
            out.append_bytes(b"uri /lent-uri");
            out.append_eos();
            return f.pass(&mut out);
        }
        uppercase_in_place(f, bb)?;
        f.pass(bb)
    })
    .unwrap_or(Err(AprError::GENERAL))
}

/// `SetHandler cut-at`: TRUNCATE16 with the budget the query string gives.
fn cut_at(r: &mut Request) -> HookResult {
    if r.handler() != Some("cut-at") {
        return Ok(Status::Declined);
    }
    let n: usize = r.args().and_then(|a| a.parse().ok()).unwrap_or(16);
    if !r.add_output_filter_with("TRUNCATE16", Budget(n)) {
        return Ok(Status::Http(500));
    }
    let body = r.read_body()?;
    r.set_content_type("text/plain");
    r.write_all(&body)?;
    Ok(Status::Ok)
}

/// `UPPERCASE`'s state for one response.
#[derive(Default)]
struct Shout {
    started: bool,
    calls: u32,
}

fn uppercase_out(f: &mut Filter, bb: &mut Brigade) -> FilterResult {
    if !f.ctx::<Shout>().started {
        f.ctx::<Shout>().started = true;
        if let Some(r) = f.request() {
            if r.args() == Some("panic-filter") {
                panic!("the UPPERCASE filter was asked to panic");
            }
            if r.args() == Some("fail-filter") {
                return Err(AprError::GENERAL);
            }
            if !r.content_type().is_some_and(|t| t.starts_with("text/")) {
                // Not ours to change: step aside for the rest of the response.
                f.remove_output();
                return f.pass(bb);
            }
            // The length stays the same here, but a transforming filter must not vouch for a
            // length it did not compute; httpd's content-length filter recounts when it can.
            r.headers_out_mut().unset("Content-Length");
        }
    }
    f.ctx::<Shout>().calls += 1;
    uppercase_in_place(f, bb)?;
    f.pass(bb)
}

/// Replaces every data bucket of `bb` with an upper-cased copy, leaving metadata buckets.
fn uppercase_in_place(f: &Filter, bb: &mut Brigade) -> FilterResult {
    let mut upper = f.new_brigade();
    let mut cursor = bb.cursor();
    while let Some(b) = cursor.bucket() {
        if b.is_metadata() {
            cursor.move_next();
            continue;
        }
        // Reading a file bucket leaves its unread rest as the next bucket, visited next.
        let data = b.read().map_err(|_| AprError::GENERAL)?;
        upper.append_bytes(&data.to_ascii_uppercase());
        cursor.insert_before(&mut upper);
        cursor.delete();
    }
    Ok(())
}

/// Bytes `TRUNCATE16` still lets through in this response.
struct Budget(usize);

impl Default for Budget {
    fn default() -> Self {
        Budget(16)
    }
}

fn truncate16(f: &mut Filter, bb: &mut Brigade) -> FilterResult {
    if let Some(r) = f.request() {
        r.headers_out_mut().unset("Content-Length");
    }
    let mut left = f.ctx::<Budget>().0;
    let mut cursor = bb.cursor();
    while let Some(b) = cursor.bucket() {
        if b.is_metadata() {
            cursor.move_next();
        } else if left == 0 {
            cursor.delete();
        } else {
            let len = match b.len() {
                Some(n) => n,
                None => b.read().map_err(|_| AprError::GENERAL)?.len(),
            };
            if len > left {
                cursor.split(left).map_err(|_| AprError::GENERAL)?;
                left = 0;
            } else {
                left -= len;
            }
            cursor.move_next();
        }
    }
    f.ctx::<Budget>().0 = left;
    f.pass(bb)
}

fn uppercase_in(
    f: &mut Filter,
    bb: &mut Brigade,
    mode: InputMode,
    block: bool,
    readbytes: i64,
) -> FilterResult {
    if f.request()
        .is_some_and(|r| r.headers_in().get("X-Panic-Input").is_some())
    {
        panic!("the UPPERCASE_IN filter was asked to panic");
    }
    f.fetch(bb, mode, block, readbytes)?;
    uppercase_in_place(f, bb)
}

fn shouting_connections(c: &mut Connection) -> HookResult {
    if std::env::var_os("RSFILTER_SHOUTING_CONNECTIONS").is_some() {
        c.add_input_filter("CONN_UPPER");
    }
    if std::env::var_os("RSFILTER_SHOUTING_REPLIES").is_some() {
        c.add_output_filter("CONN_UPPER_OUT");
    }
    Ok(Status::Ok)
}

fn tail(f: &mut Filter, bb: &mut Brigade) -> FilterResult {
    if !bb.has_eos() {
        return f.pass(bb);
    }
    if let Some(r) = f.request() {
        r.headers_out_mut().unset("Content-Length");
    }
    let mut head = f.new_brigade();
    let mut cursor = bb.cursor();
    while let Some(b) = cursor.bucket() {
        if b.is_eos() {
            break;
        }
        cursor.move_to(&mut head);
    }
    f.pass(&mut head)?;
    // Made here, gone when this call returns: a transient bucket lends it to the filters
    // below, and any that keeps it makes its own copy.
    let tail = String::from(" [tail]");
    f.pass_transient(tail.as_bytes())?;
    f.pass(bb)
}

fn refuse_secret(f: &mut Filter, bb: &mut Brigade) -> FilterResult {
    let data = bb.flatten().map_err(|_| AprError::GENERAL)?;
    if !data.windows(6).any(|w| w == b"secret") {
        return f.pass(bb);
    }
    bb.cleanup();
    let mut out = f.new_brigade();
    out.append_error(403);
    out.append_eos();
    // The HTTP header filter answers the error bucket with a 403 page; everyone up the chain
    // learns that a response went out and sends no other.
    let _ = f.pass(&mut out);
    Err(AprError::FILTER_ERROR)
}

/// `SetHandler brigade-echo`: the request body, sent in a brigade this handler builds.
fn brigade_echo(r: &mut Request) -> HookResult {
    if r.handler() != Some("brigade-echo") {
        return Ok(Status::Declined);
    }
    let body = r.read_body()?;
    r.set_content_type("text/plain");
    let flush = r.args() == Some("flush");
    let mut bb = r.new_brigade();
    bb.append_bytes(&body);
    bb.append_pool_bytes(r.pool(), " [pool]");
    if flush {
        bb.append_flush();
    }
    let flat = bb.flatten()?.len();
    let summary = format!(" [len={} flat={flat} eos={}]", bb.len()?, bb.has_eos());
    bb.append_bytes(summary.as_bytes());
    bb.append_eos();
    match r.pass_brigade(&mut bb) {
        Ok(()) => Ok(Status::Ok),
        // A filter answered instead (REFUSE_SECRET): the response is out already.
        Err(AprError::FILTER_ERROR) => Ok(Status::FilterError),
        Err(e) => Err(apache::Error::internal(format!("sending the body: {e}"))),
    }
}

fn echo_body(r: &mut Request) -> HookResult {
    if r.handler() != Some("echo-body") {
        return Ok(Status::Declined);
    }
    let body = r.read_body()?;
    r.set_content_type("text/plain");
    if body.is_empty() {
        r.write_all(b"(empty)\n")?;
    } else {
        r.write_all(&body)?;
    }
    Ok(Status::Ok)
}

fn send_file(r: &mut Request) -> HookResult {
    if r.handler() != Some("send-file") {
        return Ok(Status::Declined);
    }
    let Some(path) = r.filename().map(std::path::PathBuf::from) else {
        return Ok(Status::Http(404));
    };
    if !path.is_file() {
        return Ok(Status::Http(404));
    }
    r.set_content_type("text/plain");
    r.set_content_length(std::fs::metadata(&path)?.len());
    let mut bb = r.new_brigade();
    bb.append_file(&path)?;
    bb.append_eos();
    r.pass_brigade(&mut bb)
        .map_err(|e| apache::Error::new(500, format!("sending {}: {e}", path.display())))?;
    Ok(Status::Ok)
}
