//! `cargo xtask soak`: a long mixed load on one httpd, bounded in count and time, and what
//! each child looks like after the warm-up and at the end.

use super::children::{self, Reading};
use super::site::{self, Page, Server};
use crate::bench::wrk;
use harness::{Httpd, Mpm};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// How a run is driven.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Requests in all, the warm-up included.
    pub requests: u64,
    /// The longest the load may take, in seconds (the run stops at whichever bound comes
    /// first).
    pub seconds: u64,
    pub connections: u32,
    /// `Connection: close` on every request (one request per connection).
    pub close: bool,
    /// Configuration added to the server's (e.g. `MaxConnectionsPerChild 20`).
    pub extra: String,
}

/// Sessions made before the load, which the session pages read.
const SESSIONS: usize = 16;
/// Requests a child has served when it counts as warm: every page of the mix many times.
const WARM_REQUESTS: u64 = 100;

/// What one run saw.
pub struct Outcome {
    pub server: Server,
    pub mpm: Mpm,
    pub plan: Plan,
    pub requests: u64,
    pub seconds: f64,
    /// Answers that were not 200 with the page's body.
    pub bad: u64,
    /// The wrong answers by kind (status and the start of the body).
    pub wrong: BTreeMap<String, u64>,
    pub socket: wrk::SocketErrors,
    /// Each child's reading after the warm-up and at the end (`None`: not alive then).
    pub children: BTreeMap<u32, (Option<Reading>, Option<Reading>)>,
    /// Requests each child answered (from the access log), by the warm-up reading and in
    /// all.
    pub answered_warm: BTreeMap<u32, u64>,
    pub answered: BTreeMap<u32, u64>,
    /// Each child's non-200 answers (from the log of failures).
    pub failures: BTreeMap<u32, u64>,
    /// What the error_log says of crashes.
    pub crashes: Vec<String>,
    /// The machine's load average when the run began.
    pub load_average: String,
}

impl Outcome {
    pub fn errors(&self) -> u64 {
        self.bad + self.socket.total()
    }

    /// Whether `pid` was warm at the warm-up reading: it had served enough requests to have
    /// run every page. (Under prefork, wrk's connections land on other children at each of
    /// its runs, so some children warm up later, and grow as any new child does.)
    pub fn was_warm(&self, pid: u32) -> bool {
        self.answered_warm.get(&pid).copied().unwrap_or(0) >= WARM_REQUESTS
    }

    /// The largest growth of a child's resident size between the warm-up and the end, in KiB,
    /// over the children warm at the first reading and alive at both.
    pub fn max_growth_kb(&self) -> Option<i64> {
        self.children
            .iter()
            .filter(|(pid, _)| self.was_warm(**pid))
            .filter_map(|(_, (w, e))| Some(e.as_ref()?.rss_kb as i64 - w.as_ref()?.rss_kb as i64))
            .max()
    }

    /// The largest growth of a warm child (KiB), and the growth of the warm children over the
    /// requests they served after the warm-up reading (bytes per request).
    pub fn growth_summary(&self) -> Option<(i64, f64)> {
        let mut grown = 0i64;
        let mut served = 0u64;
        for (pid, (w, e)) in &self.children {
            if let (Some(w), Some(e), true) = (w, e, self.was_warm(*pid)) {
                grown += e.rss_kb as i64 - w.rss_kb as i64;
                served += self.answered.get(pid).copied().unwrap_or(0)
                    - self.answered_warm.get(pid).copied().unwrap_or(0);
            }
        }
        let largest = self.max_growth_kb()?;
        Some((largest, grown as f64 * 1024.0 / served.max(1) as f64))
    }

    /// The largest change of a child's open files between the warm-up and the end.
    pub fn max_fd_change(&self) -> Option<i64> {
        self.children
            .values()
            .filter_map(|(w, e)| Some(e.as_ref()?.fds as i64 - w.as_ref()?.fds as i64))
            .max_by_key(|d| d.abs())
    }

    /// Children that answered requests without being there after the warm-up: started by
    /// the MPM during the run.
    pub fn children_started(&self) -> usize {
        self.answered
            .keys()
            .filter(|pid| {
                self.children
                    .get(pid)
                    .is_none_or(|(warm, _)| warm.is_none())
            })
            .count()
    }
}

/// Runs `plan` against a new httpd for `server`.
pub fn run(server: Server, module: &Path, mpm: Mpm, plan: &Plan) -> Result<Outcome, String> {
    let extra = format!("{}{}", site::sizing(mpm), plan.extra);
    let httpd = site::builder(server, module, mpm, &extra).try_start()?;
    let pages = site::mix(server);
    let cookies = make_sessions(&httpd, &pages)?;
    let url = httpd.base_url();
    let started = Instant::now();
    let load_average = children::load_average();
    let script = site::lua(&pages, &cookies, plan.close);
    let deadline = started + Duration::from_secs(plan.seconds);
    let mut tally = Tally::default();
    // wrk runs for a time, not a count: the load goes in runs of 1 to 10 seconds,
    // each as long as the requests still wanted take at the rate seen so far, until there
    // are enough (a second's worth more at most) or the time is up.
    let drive = |tally: &mut Tally, target: u64| -> Result<(), String> {
        while tally.requests < target {
            let left = deadline.saturating_duration_since(Instant::now()).as_secs();
            if left == 0 {
                break;
            }
            let rate = tally.requests as f64 / started.elapsed().as_secs_f64().max(0.001);
            let wanted = if tally.requests == 0 {
                1
            } else {
                ((target - tally.requests) as f64 / rate).ceil() as u64
            };
            let secs = wanted.clamp(1, 10).min(left);
            let load = wrk::run(&url, secs as u32, plan.connections, Some(&script))?;
            tally.add(&load);
            eprintln!(
                "soak: {} under {}: {}/{} requests, {} errors, {:.0} s",
                server.name(),
                mpm.name(),
                tally.requests,
                plan.requests,
                tally.bad + tally.socket.total(),
                started.elapsed().as_secs_f64()
            );
        }
        Ok(())
    };
    // The warm-up: every page imported and cached in every child that will serve, the
    // interpreters made; what the children hold then is what the rest must not grow.
    drive(
        &mut tally,
        (plan.requests / 10).max(1000).min(plan.requests),
    )?;
    std::thread::sleep(Duration::from_millis(300));
    let after_warm = children::read_all(httpd.pid());
    let logs = httpd.root().join("logs");
    let answered_warm = count_by_pid(&logs.join("answers"));
    drive(&mut tally, plan.requests)?;
    let seconds = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(300));
    let at_end = children::read_all(httpd.pid());
    let mut kids: BTreeMap<u32, (Option<Reading>, Option<Reading>)> = BTreeMap::new();
    for (pid, r) in &after_warm {
        kids.entry(*pid).or_default().0 = Some(*r);
    }
    for (pid, r) in &at_end {
        kids.entry(*pid).or_default().1 = Some(*r);
    }
    let answered = count_by_pid(&logs.join("answers"));
    let failures = count_by_pid(&logs.join("failures"));
    let crashes = children::crashes(&httpd.error_log());
    httpd.stop();
    Ok(Outcome {
        server,
        mpm,
        plan: plan.clone(),
        requests: tally.requests,
        seconds,
        bad: tally.bad,
        wrong: tally.wrong,
        socket: tally.socket,
        children: kids,
        answered_warm,
        answered,
        failures,
        crashes,
        load_average,
    })
}

/// What wrk and the soak's Lua script counted over one or more wrk runs.
#[derive(Default)]
pub struct Tally {
    pub requests: u64,
    /// Answers that were not 200 with the page's body.
    pub bad: u64,
    /// The wrong answers by kind (status and the start of the body).
    pub wrong: BTreeMap<String, u64>,
    pub socket: wrk::SocketErrors,
}

impl Tally {
    /// Adds one wrk run (whose script was [`site::lua`]'s).
    pub fn add(&mut self, load: &wrk::Load) {
        let line = |key: &str| {
            load.output
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
        };
        self.requests += line("soak: answered ")
            .and_then(|n| n.parse().ok())
            .unwrap_or(load.requests);
        self.bad += line("soak: bad ").and_then(|n| n.parse().ok()).unwrap_or(0) + load.non_2xx;
        for l in load.output.lines() {
            if let Some((n, kind)) = l
                .strip_prefix("soak: wrong ")
                .and_then(|r| r.split_once(' '))
            {
                *self.wrong.entry(kind.trim().to_string()).or_insert(0) += n.parse().unwrap_or(0);
            }
        }
        self.socket.connect += load.errors.connect;
        self.socket.read += load.errors.read;
        self.socket.write += load.errors.write;
        self.socket.timeout += load.errors.timeout;
    }
}

/// Makes the sessions the session pages read; their cookies.
fn make_sessions(httpd: &Httpd, pages: &[Page]) -> Result<Vec<String>, String> {
    let Some(page) = pages.iter().find(|p| p.session) else {
        return Ok(Vec::new());
    };
    (0..SESSIONS)
        .map(|_| {
            let r = harness::request_port(
                httpd.port(),
                "GET",
                &format!("{}?make", page.path),
                &[],
                b"",
            )?;
            match (r.status, r.header("Set-Cookie")) {
                (200, Some(c)) => Ok(c.split(';').next().unwrap_or("").trim().to_string()),
                (status, _) => Err(format!(
                    "{}: {status} without a session cookie\n{}",
                    page.path,
                    httpd.error_log()
                )),
            }
        })
        .collect()
}

/// Lines of a log whose first field is a pid, counted by pid.
pub fn count_by_pid(log: &Path) -> BTreeMap<u32, u64> {
    let mut counts = BTreeMap::new();
    let text = std::fs::read_to_string(log).unwrap_or_default();
    for line in text.lines() {
        if let Some(pid) = line.split(' ').next().and_then(|p| p.parse().ok()) {
            *counts.entry(pid).or_insert(0) += 1;
        }
    }
    counts
}
