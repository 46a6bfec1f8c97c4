//! `mod_rsecho`: a protocol module, like httpd's own mod_echo. On a server or virtual host with
//! `RsEchoProtocol On`, a connection is not HTTP: every line the client sends comes back, until
//! the client closes or stays silent for `KeepAliveTimeout`. Elsewhere HTTP is served as usual.
//!
//! Lines of any length come back intact (a line longer than [`MAX_LINE`] in pieces). The line
//! `bytes N` announces N bytes of raw data, echoed as they are. The line `panic` makes the
//! module panic, to show that a panic in `process_connection` is logged with
//! its location, the connection closed, and the server goes on.
#![forbid(unsafe_code)]

use apache::module::{Context, Directive, ModuleConfig};
use apache::{Connection, HookResult, Status};
use std::io::{self, Write};
use std::time::Duration;

/// The longest piece of a line held in memory at once.
pub const MAX_LINE: usize = 1024 * 1024;

/// Per-server setting; `None` inherits the main server's.
#[derive(Default, Clone)]
struct EchoConf {
    enabled: Option<bool>,
}

impl ModuleConfig for EchoConf {
    fn create(_: Option<&str>) -> Self {
        EchoConf::default()
    }

    fn merge(base: &Self, add: &Self) -> Self {
        EchoConf {
            enabled: add.enabled.or(base.enabled),
        }
    }
}

apache::module!(rsecho_module, file: "mod_rsecho.c", server_config: EchoConf);

apache::directive!(server RsEchoProtocol, flag, |_: &mut Directive, s: &mut EchoConf, on: bool| {
    s.enabled = Some(on);
    Ok(())
}, Context::RSRC_CONF, "On to echo lines instead of serving HTTP on this server");

apache::hook!(process_connection, echo);

fn echo(c: &mut Connection) -> HookResult {
    let enabled = c
        .base_server()
        .module_config::<ThisModule>()
        .and_then(|s| s.enabled)
        .unwrap_or(false);
    if !enabled {
        return Ok(Status::Declined);
    }
    let idle = Duration::from_micros(c.base_server().keep_alive_timeout_usec().max(0) as u64);
    let peer = c.client_ip().unwrap_or("?").to_string();
    let mut io = c.io();
    // A silent client holds a thread (a process under prefork): let it go after the
    // keep-alive timeout, as HTTP does between requests.
    io.set_timeout(idle)?;
    // Served through a lend, as an embedded language's callbacks reach the ConnIo
    // (`ConnIo::lend` / `ConnIo::with_lent`); the result is the same as `serve(&mut io)`.
    let served = io.lend(|| {
        apache::conn::ConnIo::with_lent(|io| {
            // Taken while lent out: a nested borrow is refused.
            debug_assert!(apache::conn::ConnIo::with_lent(|_| ()).is_err());
            serve(io)
        })
        .unwrap_or_else(|e| Err(io::Error::other(e)))
    });
    match served {
        Ok(lines) => log::debug!("echo: {peer} closed after {lines} line(s)"),
        // A client that leaves or falls silent is not the server's failure.
        Err(e) => log::info!("echo: connection from {peer} ended: {e}"),
    }
    Ok(Status::Ok)
}

/// Echoes lines until the input ends; returns how many.
fn serve(io: &mut apache::conn::ConnIo<'_>) -> io::Result<u64> {
    let mut lines = 0;
    loop {
        let line = io.read_line(MAX_LINE)?;
        if line.is_empty() {
            return Ok(lines);
        }
        let command = line.trim_ascii_end();
        if command == b"panic" {
            panic!("echo was asked to panic");
        }
        if let Some(n) = command.strip_prefix(b"bytes ") {
            // `bytes N`: the next N bytes are data, newlines or not; they come back as they
            // are, read in pieces of at most 7 bytes (a read never gives more than asked).
            let n: usize = std::str::from_utf8(n)
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bytes N"))?;
            let mut left = n;
            while left > 0 {
                let part = io.read_bytes(left.min(7))?;
                if part.is_empty() {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                left -= part.len();
                io.write_all(&part)?;
            }
            io.flush()?;
            lines += 1;
            continue;
        }
        io.write_all(&line)?;
        io.flush()?;
        lines += 1;
    }
}
