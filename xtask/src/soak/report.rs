//! The soak's report: one block per run, each child on a line, and whether our module met
//! the targets.

use super::load::Outcome;
use super::site::Server;

/// The targets for our module: no error, at most 2 MB of growth per child, the same
/// open files at the end as after the warm-up, no crash.
pub const MAX_GROWTH_KB: i64 = 2048;

/// Why an outcome of our module misses the targets (empty: it meets them).
pub fn misses(o: &Outcome) -> Vec<String> {
    let mut why = Vec::new();
    if o.errors() > 0 {
        why.push(format!("{} errors", o.errors()));
    }
    // Where children end under load, those alive after the warm-up and at the end are
    // mostly not the same, and a new child grows as it warms up.
    let recycled = o.plan.close;
    if let Some(g) = o
        .max_growth_kb()
        .filter(|g| *g > MAX_GROWTH_KB && !recycled)
    {
        why.push(format!("a child grew by {g} KiB"));
    }
    if let Some(d) = o.max_fd_change().filter(|d| *d != 0 && !recycled) {
        why.push(format!("a child's open files changed by {d}"));
    }
    if !o.crashes.is_empty() {
        why.push(format!("{} crash lines in the error_log", o.crashes.len()));
    }
    if o.requests < o.plan.requests {
        why.push(format!(
            "only {} of {} requests within {} s",
            o.requests, o.plan.requests, o.plan.seconds
        ));
    }
    why
}

/// One run as text.
pub fn render(o: &Outcome) -> String {
    let mut s = format!(
        "{} under {}{}: {} requests in {:.0} s ({:.0}/s), {} connections{}; load average {}\n",
        o.server.name(),
        o.mpm.name(),
        if o.plan.extra.trim().is_empty() {
            String::new()
        } else {
            format!(" ({})", o.plan.extra.trim().replace('\n', ", "))
        },
        o.requests,
        o.seconds,
        o.requests as f64 / o.seconds.max(0.001),
        o.plan.connections,
        if o.plan.close {
            ", Connection: close"
        } else {
            ""
        },
        o.load_average,
    );
    let pages: Vec<&str> = super::site::mix(o.server).iter().map(|p| p.name).collect();
    s += &format!("  mix, in turn: {}\n", pages.join(", "));
    s += &format!(
        "  errors: {} (wrong answers {}, socket: connect {}, read {}, write {}, timeout {})\n",
        o.errors(),
        o.bad,
        o.socket.connect,
        o.socket.read,
        o.socket.write,
        o.socket.timeout
    );
    for (kind, n) in &o.wrong {
        s += &format!("    {n} x {kind}\n");
    }
    if let Some((kb, per)) = o.growth_summary() {
        s += &format!(
            "  memory: largest growth of a warm child {kb} KiB; {per:.2} bytes per request over the warm children\n"
        );
    }
    let started = o.children_started();
    if started > 0 {
        s += &format!("  children started during the run: {started}\n");
    }
    s += "  (growth in brackets: a child that had served under 100 requests at the warm-up reading, left out of the target)\n";
    s += "  child     requests  non-200  RSS warm KiB  RSS end KiB  growth KiB  B/request  fds warm  fds end\n";
    for (pid, (warm, end)) in &o.children {
        let answered = o.answered.get(pid).copied().unwrap_or(0);
        let kb = |r: &Option<super::children::Reading>| {
            r.map_or("-".to_string(), |r| r.rss_kb.to_string())
        };
        let fds =
            |r: &Option<super::children::Reading>| r.map_or("-".to_string(), |r| r.fds.to_string());
        let (growth, per_request) = match (warm, end) {
            (Some(w), Some(e)) if !o.was_warm(*pid) => {
                let g = e.rss_kb as i64 - w.rss_kb as i64;
                (format!("({g})"), "cold".into())
            }
            (Some(w), Some(e)) => {
                let g = e.rss_kb as i64 - w.rss_kb as i64;
                let since = answered.saturating_sub(o.answered_warm.get(pid).copied().unwrap_or(0));
                let per = if since > 0 {
                    format!("{:.2}", g as f64 * 1024.0 / since as f64)
                } else {
                    "-".into()
                };
                (g.to_string(), per)
            }
            _ => ("-".into(), "-".into()),
        };
        s += &format!(
            "  {pid:<8}  {answered:>8}  {:>7}  {:>12}  {:>11}  {growth:>10}  {per_request:>9}  {:>8}  {:>7}\n",
            o.failures.get(pid).copied().unwrap_or(0),
            kb(warm),
            kb(end),
            fds(warm),
            fds(end),
        );
    }
    if o.crashes.is_empty() {
        s += "  crashes in the error_log: none\n";
    } else {
        s += "  crashes in the error_log:\n";
        for line in o.crashes.iter().take(10) {
            s += &format!("    {line}\n");
        }
    }
    if o.server == Server::Ours {
        let why = misses(o);
        if why.is_empty() && o.plan.close {
            s += "  targets met: 0 errors, no crash\n";
        } else if why.is_empty() {
            s += "  targets met: 0 errors, growth <= 2 MiB per child, fds stable, no crash\n";
        } else {
            s += &format!("  TARGETS MISSED: {}\n", why.join("; "));
        }
    }
    s
}
