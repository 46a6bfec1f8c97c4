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
    for b in bb.buckets() {
        if b.is_eos() {
            out.append_eos();
        } else if b.is_flush() {
            out.append_flush();
        } else if !b.is_metadata() {
            let data = b.read().map_err(|_| AprError::GENERAL)?;
            out.append_bytes(&data.to_ascii_uppercase());
        }
    }
    bb.cleanup();
    f.pass(&mut out)
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
    for b in raw.buckets() {
        if b.is_eos() {
            bb.append_eos();
        } else if b.is_flush() {
            bb.append_flush();
        } else if !b.is_metadata() {
            let data = b.read().map_err(|_| AprError::GENERAL)?;
            bb.append_bytes(&data.to_ascii_uppercase());
        }
    }
    Ok(())
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
