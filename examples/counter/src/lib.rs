//! `mod_counter`: state that lives in each child process.
//!
//! `child_init` records when the child started; `SetHandler counter` counts the requests this
//! child has served and answers `pid=<pid> served=<n> since=<child start, µs>`. Every child
//! counts for itself: under prefork different requests see different counters, under the
//! threaded MPMs the threads of one child share one atomic counter.
#![forbid(unsafe_code)]

use apache::{HookResult, Pool, Request, Server, Status};
use std::io::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

apache::module!(counter_module, file: "mod_counter.c");
apache::hook!(child_init, started);
apache::hook!(handler, count);

static SERVED: AtomicU64 = AtomicU64::new(0);
static STARTED_AT: AtomicI64 = AtomicI64::new(0);

fn started(_pool: &Pool, _server: &Server) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    STARTED_AT.store(now, Ordering::Relaxed);
    // The parent's value is inherited by fork; a child starts from zero.
    SERVED.store(0, Ordering::Relaxed);
}

fn count(r: &mut Request) -> HookResult {
    if r.handler() != Some("counter") {
        return Ok(Status::Declined);
    }
    let n = SERVED.fetch_add(1, Ordering::Relaxed) + 1;
    let body = format!(
        "pid={} served={n} since={}\n",
        std::process::id(),
        STARTED_AT.load(Ordering::Relaxed)
    );
    r.set_content_type("text/plain");
    r.write_all(body.as_bytes())?;
    Ok(Status::Ok)
}
