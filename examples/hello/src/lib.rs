//! `mod_hello`: the smallest apache-rs module. It answers `hello world` wherever
//! `SetHandler hello` is set.
//!
//! ```apache
//! LoadModule hello_module modules/mod_hello.so
//! <Location /hello>
//!     SetHandler hello
//! </Location>
//! ```
#![forbid(unsafe_code)]

use apache::{HookResult, Request, Status};
use std::io::Write;

apache::module!(hello_module, file: "mod_hello.c");
apache::hook!(handler, hello);

fn hello(r: &mut Request) -> HookResult {
    if r.handler() != Some("hello") {
        return Ok(Status::Declined);
    }
    r.set_content_type("text/plain");
    if !r.header_only() {
        r.write_all(b"hello world\n")?;
    }
    Ok(Status::Ok)
}
