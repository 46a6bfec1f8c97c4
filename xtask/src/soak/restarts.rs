//! `cargo xtask soak --restarts N`: what a graceful restart costs, ours against C mod_python
//! 3.5 serving the same handler.
//!
//! Two measures under each MPM:
//! - a new child's start with nothing else running: one process slot, a graceful restart,
//!   and the time from the new child's fork to its answer to one request, with the CPU it
//!   used meanwhile (our module also logs, at `python:debug`, where its part of it went);
//! - `N` graceful restarts, one every 2 s, under a steady load: the requests served (ours
//!   over C's, target at least 0.9), the failed ones (httpd closes keep-alive connections at
//!   a graceful restart, so some read errors are expected of both), crashes, and the time
//!   from each new child's fork to its first answer (from the access log).

use super::children;
use super::site::{self, Server};
use crate::bench::{procfs, wrk};
use harness::{Httpd, Mpm};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Restarts with nothing else running, per server and MPM.
const IDLE_STARTS: usize = 10;
/// Seconds between two restarts under load.
const RESTART_EVERY: u64 = 2;
/// The target of requests served during restarts, ours over C's.
const MIN_RATIO: f64 = 0.9;

/// What a new child cost with nothing else running.
#[derive(Default)]
struct Start {
    /// Fork to the first answer, ms.
    wall: Vec<f64>,
    /// CPU the child used by then, ms.
    cpu: Vec<f64>,
    /// From our module's debug lines: Python started (all), of which initialized, the main
    /// interpreter set up, PythonImport; a sub-interpreter made; Python finalized at exit.
    python: Vec<f64>,
    initialized: Vec<f64>,
    main_setup: Vec<f64>,
    interpreter: Vec<f64>,
    finalized: Vec<f64>,
}

/// What `N` restarts under load did.
struct UnderLoad {
    requests: u64,
    seconds: u32,
    bad: u64,
    socket: wrk::SocketErrors,
    avg_ms: f64,
    max_ms: f64,
    /// Fork to first answer of each child started after the first restart, ms.
    first_answer: Vec<f64>,
    /// Children started after the first restart that never answered.
    silent: usize,
    crashes: Vec<String>,
    /// The parent's part of each restart: from its "graceful restart" notice to "resuming
    /// normal operations" in the error_log (configuration read again, modules' hooks run),
    /// ms; no child is started meanwhile.
    parent_ms: Vec<f64>,
}

pub fn run(n: u32, mpms: &[Mpm], conns: u32, ours: &Path) -> Result<(String, Vec<String>), String> {
    let mut text = String::new();
    let mut failed = Vec::new();
    let servers = [Server::Ours, Server::CModPython];
    for &mpm in mpms {
        let mut starts = Vec::new();
        let mut loads = Vec::new();
        for server in servers {
            let module = site::module_file(server, ours)?;
            eprintln!(
                "soak: {} under {}: child starts ...",
                server.name(),
                mpm.name()
            );
            starts.push(idle_starts(server, &module, mpm)?);
        }
        let load_average = children::load_average();
        for server in servers {
            let module = site::module_file(server, ours)?;
            eprintln!(
                "soak: {} under {}: {n} graceful restarts under load ...",
                server.name(),
                mpm.name()
            );
            loads.push(under_load(server, &module, mpm, n, conns)?);
        }
        text += &render(mpm, n, conns, &load_average, &servers, &starts, &loads);
        let ratio = loads[0].requests as f64 / loads[1].requests.max(1) as f64;
        if ratio < MIN_RATIO {
            failed.push(format!(
                "restarts under {}: ours served {ratio:.2} of C's requests",
                mpm.name()
            ));
        }
        if !loads[0].crashes.is_empty() {
            failed.push(format!("restarts under {}: crashes", mpm.name()));
        }
    }
    Ok((text, failed))
}

/// One process slot, `IDLE_STARTS` graceful restarts; after each, one request, sent as soon
/// as the new child exists (it waits in the listen queue until the child accepts it).
fn idle_starts(server: Server, module: &Path, mpm: Mpm) -> Result<Start, String> {
    let httpd = site::builder(server, module, mpm, "")
        .single_child()
        .try_start()?;
    let hello = site::hello_only();
    let path = hello[0].path;
    let ask = |httpd: &Httpd| -> Result<(), String> {
        let r = harness::request_port(httpd.port(), "GET", path, &[], b"")?;
        if r.status == 200 && r.text().contains(site::OK_BODY) {
            Ok(())
        } else {
            Err(format!("{path}: {}\n{}", r.status, httpd.error_log()))
        }
    };
    ask(&httpd)?;
    let mut start = Start::default();
    for _ in 0..IDLE_STARTS {
        std::thread::sleep(Duration::from_millis(300));
        let before = procfs::children(httpd.pid());
        signal(&httpd, libc::SIGUSR1);
        let deadline = Instant::now() + Duration::from_secs(20);
        let child = loop {
            if let Some(c) = procfs::children(httpd.pid())
                .into_iter()
                .find(|c| !before.contains(c))
            {
                break c;
            }
            if Instant::now() > deadline {
                return Err(format!("no new child within 20 s\n{}", httpd.error_log()));
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        ask(&httpd)?;
        let answered = children::boot_clock();
        let cpu = children::cpu_ms(child);
        if let (Some(forked), Some(cpu)) = (children::forked_at(child), cpu) {
            start.wall.push((answered - forked) * 1000.0);
            start.cpu.push(cpu);
        }
    }
    // Each restart's old child has ended (finalized) before its successor started.
    let log = httpd.error_log();
    httpd.stop();
    for line in log.lines() {
        if let Some(rest) = after(line, "Python started in ") {
            start.python.push(number(rest));
            if let Some(r) = after(rest, "initialized in ") {
                start.initialized.push(number(r));
            }
            if let Some(r) = after(rest, "main interpreter set up in ") {
                start.main_setup.push(number(r));
            }
        } else if let Some(rest) = after(line, " made in ") {
            start.interpreter.push(number(rest));
        } else if let Some(rest) = after(line, "Python finalized").and_then(|r| after(r, " in ")) {
            start.finalized.push(number(rest));
        }
    }
    Ok(start)
}

fn after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.find(key).map(|i| &line[i + key.len()..])
}

/// The number a text starts with.
fn number(s: &str) -> f64 {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    s[..end].parse().unwrap_or(f64::NAN)
}

fn signal(httpd: &Httpd, sig: i32) {
    // SAFETY: kill has no memory preconditions; the pid is the httpd this run started.
    unsafe { libc::kill(httpd.pid() as i32, sig) };
}

/// `n` graceful restarts, one every `RESTART_EVERY` seconds, while wrk asks for the hello
/// handler on `conns` connections.
fn under_load(
    server: Server,
    module: &Path,
    mpm: Mpm,
    n: u32,
    conns: u32,
) -> Result<UnderLoad, String> {
    let httpd = site::builder(server, module, mpm, site::sizing(mpm)).try_start()?;
    let url = httpd.base_url();
    let script = site::lua(&site::hello_only(), &[], false);
    // Warm-up: the handler imported in the first generation's children.
    let _ = wrk::run(&url, 2, conns, Some(&script));
    let seconds = (u64::from(n) * RESTART_EVERY + 2 * RESTART_EVERY) as u32;
    // The access log's times are the wall clock's; /proc's are since boot.
    let epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let wall_minus_boot = epoch - children::boot_clock();
    let load = std::thread::scope(|scope| {
        let wrk = scope.spawn(|| wrk::run(&url, seconds, conns, Some(&script)));
        let started = Instant::now();
        let mut forked: BTreeMap<u32, f64> = BTreeMap::new();
        let mut sent = 0;
        let mut first_restart = f64::INFINITY;
        while !wrk.is_finished() {
            for pid in procfs::children(httpd.pid()) {
                if let std::collections::btree_map::Entry::Vacant(e) = forked.entry(pid)
                    && let Some(at) = children::forked_at(pid)
                {
                    e.insert(at);
                }
            }
            let due = RESTART_EVERY * (u64::from(sent) + 1);
            if sent < n && started.elapsed() >= Duration::from_secs(due) {
                if sent == 0 {
                    first_restart = children::boot_clock();
                }
                signal(&httpd, libc::SIGUSR1);
                sent += 1;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let load = wrk
            .join()
            .map_err(|_| "wrk's thread panicked".to_string())??;
        Ok::<_, String>((load, forked, first_restart))
    });
    let (load, forked, first_restart) = load?;
    std::thread::sleep(Duration::from_millis(500));
    let answers = std::fs::read_to_string(httpd.root().join("logs/answers")).unwrap_or_default();
    let mut first: BTreeMap<u32, f64> = BTreeMap::new();
    for line in answers.lines() {
        let mut f = line.split(' ');
        let (Some(pid), Some(ms), Some(us)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let (Ok(pid), Ok(ms), Ok(us)) = (pid.parse(), ms.parse::<f64>(), us.parse::<f64>()) else {
            continue;
        };
        let done = ms / 1000.0 + us / 1e6 - wall_minus_boot;
        let e = first.entry(pid).or_insert(done);
        *e = e.min(done);
    }
    let mut first_answer = Vec::new();
    let mut silent = 0;
    // A tick's rounding: /proc's start times count in 10 ms steps.
    for (pid, at) in forked.iter().filter(|(_, at)| **at >= first_restart - 0.01) {
        match first.get(pid) {
            Some(done) => first_answer.push((done - at) * 1000.0),
            None => silent += 1,
        }
    }
    let mut tally = super::load::Tally::default();
    tally.add(&load);
    let log = httpd.error_log();
    let crashes = children::crashes(&log);
    let parent_ms = parent_restarts(&log);
    httpd.stop();
    Ok(UnderLoad {
        requests: tally.requests,
        seconds,
        bad: tally.bad,
        socket: tally.socket,
        avg_ms: load.avg_ms,
        max_ms: load.max_ms,
        first_answer,
        silent,
        crashes,
        parent_ms,
    })
}

/// The time of day of an error_log line (`[Mon Dec 07 09:07:24.236863 2026] ...`), in
/// seconds.
fn logged_at(line: &str) -> Option<f64> {
    let stamp = line.strip_prefix('[')?.split(']').next()?;
    let time = stamp.split_whitespace().nth(3)?;
    let mut parts = time.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    Some(h.parse::<f64>().ok()? * 3600.0 + m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?)
}

/// Each graceful restart's time in the parent, from its error_log, in ms.
fn parent_restarts(log: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut requested = None;
    for line in log.lines() {
        // prefork says AH00171, event and worker AH00493.
        if line.contains("Graceful restart requested") || line.contains("Doing graceful restart") {
            requested = logged_at(line);
        } else if line.contains("resuming normal operations")
            && let (Some(from), Some(to)) = (requested.take(), logged_at(line))
        {
            out.push((to - from) * 1000.0);
        }
    }
    out
}

/// The median, the 90th percentile and the largest of `v`.
fn spread(v: &[f64]) -> (f64, f64, f64) {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9), v[v.len() - 1])
}

fn median(v: &[f64]) -> f64 {
    spread(v).0
}

fn render(
    mpm: Mpm,
    n: u32,
    conns: u32,
    load_average: &str,
    servers: &[Server],
    starts: &[Start],
    loads: &[UnderLoad],
) -> String {
    let mut s = format!(
        "A new child's start under {}, nothing else running ({IDLE_STARTS} graceful restarts, one process slot), medians:\n",
        mpm.name()
    );
    s += "  server            fork to first answer ms  CPU ms\n";
    for (server, st) in servers.iter().zip(starts) {
        s += &format!(
            "  {:<16}  {:>23.1}  {:>6.1}\n",
            server.name(),
            median(&st.wall),
            median(&st.cpu)
        );
    }
    let ours = &starts[0];
    if !ours.python.is_empty() {
        s += &format!(
            "  ours, from its log: Python started in {:.1} ms (initialized {:.1}, main interpreter set up {:.1}); the request's interpreter made in {:.1} ms; Python finalized at exit in {:.1} ms\n",
            median(&ours.python),
            median(&ours.initialized),
            median(&ours.main_setup),
            median(&ours.interpreter),
            median(&ours.finalized),
        );
    }
    let ratio = |a: f64, b: f64| a / b;
    s += &format!(
        "  ours over C: wall {:.2}, CPU {:.2}\n\n",
        ratio(median(&starts[0].wall), median(&starts[1].wall)),
        ratio(median(&starts[0].cpu), median(&starts[1].cpu)),
    );
    s += &format!(
        "{n} graceful restarts under {}, one every {RESTART_EVERY} s, wrk on {conns} connections for {} s; load average {load_average}:\n",
        mpm.name(),
        loads[0].seconds
    );
    s += "  server            requests  over C  read err  other err  wrong  avg ms  max ms  new children  fork to first answer ms (median / p90 / max)  crashes\n";
    let base = loads[1].requests.max(1) as f64;
    for (server, l) in servers.iter().zip(loads) {
        let (m, p90, max) = spread(&l.first_answer);
        s += &format!(
            "  {:<16}  {:>8}  {:>6.2}  {:>8}  {:>9}  {:>5}  {:>6.1}  {:>6.0}  {:>12}  {:>7.0} / {:>5.0} / {:>5.0}{}  {:>7}\n",
            server.name(),
            l.requests,
            l.requests as f64 / base,
            l.socket.read,
            l.socket.connect + l.socket.write + l.socket.timeout,
            l.bad,
            l.avg_ms,
            l.max_ms,
            l.first_answer.len() + l.silent,
            m,
            p90,
            max,
            if l.silent > 0 {
                format!(" ({} never answered)", l.silent)
            } else {
                String::new()
            },
            l.crashes.len()
        );
        for c in l.crashes.iter().take(5) {
            s += &format!("    {c}\n");
        }
    }
    s += &format!(
        "  the parent's part of a restart (median, ms): ours {:.1}, C {:.1}\n\n",
        median(&loads[0].parent_ms),
        median(&loads[1].parent_ms)
    );
    s
}
