//! A graceful restart's new children start as soon as the old ones end.
//!
//! At a graceful restart httpd's parent tells the children to stop, reads its configuration
//! again and runs the modules' hooks, then starts the new generation only as it reaps
//! children of the old one: when none has ended yet it sleeps a second (`ap_wait_or_timeout`)
//! and the server answers nothing meanwhile. Our part of the parent's restart is short (no
//! Python in the parent) and a child's exit finalizes Python, so the parent would look too
//! early at every restart. It waits here, last of the `post_config` hooks, until the old
//! children have ended, for at most [`LIMIT`]; they are left for the MPM to reap.

use apache::core::logging::{Level, log};
use apache::{HookResult, Pool, Server, Status};
use std::time::{Duration, Instant};

/// The longest the parent waits: a child still serving a long request at the restart is not
/// waited for (httpd's own wait, a second, then applies as before).
const LIMIT: Duration = Duration::from_millis(250);

/// `post_config`: in a restart, waits for the children of the generation being replaced.
pub fn let_old_children_end(_pconf: &Pool, _plog: &Pool, _s: &Server) -> HookResult {
    let old = apache::server::scoreboard_children();
    if old.is_empty() {
        return Ok(Status::Ok);
    }
    let started = Instant::now();
    let all = apache::server::wait_children_ended(&old, LIMIT);
    log(
        Level::Debug,
        &format!(
            "mod_python: restart: {} old children {} after {:.1} ms",
            old.len(),
            if all { "ended" } else { "not all ended" },
            started.elapsed().as_secs_f64() * 1000.0
        ),
    );
    Ok(Status::Ok)
}
