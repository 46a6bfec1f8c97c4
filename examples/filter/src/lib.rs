//! `mod_rsfilter`: filters over bucket brigades.
//!
//! - `UPPERCASE` (output): upper-cases ASCII letters of a response, bucket by bucket, keeping
//!   flush and end-of-stream markers in place. A request with `?panic-filter` makes it panic.
//! - `UPPERCASE_IN` (input): the same for the request body.
//! - `SetHandler echo-body`: answers with the request body, or "(empty)" for none.

use apache::bucket::{AprError, Brigade};
use apache::filter::{Filter, FilterResult, FilterType, InputMode};
use apache::{HookResult, Request, Status};
use std::io::Write;

apache::module!(rsfilter_module, file: "mod_rsfilter.c");

apache::hook!(register, |reg| {
    reg.output_filter(c"UPPERCASE", uppercase_out, FilterType::Resource);
    reg.input_filter(c"UPPERCASE_IN", uppercase_in, FilterType::Resource);
});
apache::hook!(handler, echo_body);

fn uppercase_out(f: &mut Filter, bb: &mut Brigade) -> FilterResult {
    if f.request()
        .is_some_and(|r| r.args() == Some("panic-filter"))
    {
        panic!("the UPPERCASE filter was asked to panic");
    }
    // Count the calls, to show per-instance state across a response sent in pieces.
    *f.ctx::<u32>() += 1;
    let mut out = f.new_brigade();
    uppercase_into(bb, &mut out)?;
    bb.cleanup();
    f.pass(&mut out)
}

/// Appends `from`'s data upper-cased to `to`, keeping flush and end-of-stream markers in place.
fn uppercase_into(from: &Brigade, to: &mut Brigade) -> FilterResult {
    for b in from.buckets() {
        if b.is_eos() {
            to.append_eos();
        } else if b.is_flush() {
            to.append_flush();
        } else if !b.is_metadata() {
            let data = b.read().map_err(|_| AprError::GENERAL)?;
            to.append_bytes(&data.to_ascii_uppercase());
        }
    }
    Ok(())
}

fn uppercase_in(
    f: &mut Filter,
    bb: &mut Brigade,
    mode: InputMode,
    block: bool,
    readbytes: i64,
) -> FilterResult {
    let mut raw = f.new_brigade();
    f.get_brigade(&mut raw, mode, block, readbytes)?;
    uppercase_into(&raw, bb)
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
