//! `cargo xtask soak`: long runs, bounded in count and time, on loopback only.
//!
//! - the load soak (`load`): a mixed load against our mod_python under each MPM, with C
//!   mod_python 3.5 and mod_wsgi 4.9 serving the same pages as anchors, then the same with
//!   `MaxConnectionsPerChild` and one request per connection, so that children end and start
//!   under load; per child: errors, memory after the warm-up and at the end, open files, and
//!   the crashes the error_log shows;
//! - `--restarts N` (`restarts`): graceful restarts under load, ours against C mod_python, and
//!   what a new child costs before its first answer;
//! - `--fuzz` (`fuzz`): the parsers' properties with many more cases, and the fuzzers.

mod children;
mod fuzz;
mod load;
mod report;
mod restarts;
mod site;

use harness::Mpm;
use site::Server;
use std::path::PathBuf;
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask soak [--full] [--requests N] [--restarts N] [--seconds N]
         [--connections N] [--mpm event,worker,prefork] [--no-anchors] [--module PATH]
       cargo xtask soak --fuzz [--scale N]";

/// The figures: a million requests per MPM, 20 graceful restarts.
const FULL_REQUESTS: u64 = 1_000_000;
const FULL_RESTARTS: u32 = 20;

/// The anchors serve this share of our requests: memory growth is compared per request, and
/// a shorter anchor run keeps the full soak within the hour.
const ANCHOR_SHARE: u64 = 5;
/// `MaxConnectionsPerChild` in the run where children end under load, and the share of the
/// requests that run gets: one connection each, and httpd's parent starts new children only
/// once a second, so under a threaded MPM it serves some 40 requests a second with 20
/// connections per child, a few hundred with 100 (the same for C mod_python).
const MAX_CONNECTIONS_PER_CHILD: u32 = 100;
const RECYCLE_SHARE: u64 = 100;

struct Options {
    requests: Option<u64>,
    restarts: Option<u32>,
    seconds: u64,
    connections: u32,
    mpms: Vec<Mpm>,
    anchors: bool,
    module: PathBuf,
}

pub fn run_soak(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--fuzz") {
        let mut scale = 1;
        let mut it = args.iter().filter(|a| *a != "--fuzz");
        while let Some(a) = it.next() {
            match a.as_str() {
                "--scale" => {
                    scale = it
                        .next()
                        .and_then(|n| n.parse().ok())
                        .filter(|&n| n > 0)
                        .ok_or("--scale takes a whole number above 0")?
                }
                other => return Err(format!("soak: unknown argument {other}\n{USAGE}")),
            }
        }
        return fuzz::fuzz_all(scale);
    }
    let o = options(args)?;
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        return Err("wrk is not installed (apt-get install -y wrk)".into());
    }
    crate::run(
        "release build",
        crate::cargo().args(["build", "--release", "-p", "mod-python", "-p", "hello"]),
    )?;
    let started = Instant::now();
    let mut failed = Vec::new();
    let mut text = format!(
        "soak on {}; load average at the start {}\n\n",
        crate::bench::machine(),
        children::load_average()
    );
    if let Some(requests) = o.requests {
        let (t, f) = load_runs(&o, requests)?;
        text += &t;
        failed.extend(f);
    }
    if let Some(n) = o.restarts {
        let (t, f) = restarts::run(n, &o.mpms, o.connections, &o.module)?;
        text += &t;
        failed.extend(f);
    }
    text += &format!(
        "\nsoak took {:.0} s; load average at the end {}\n",
        started.elapsed().as_secs_f64(),
        children::load_average()
    );
    println!("{text}");
    let out = crate::workspace().join("target/soak.txt");
    std::fs::write(&out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("report: {}", out.display());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("soak: targets missed: {}", failed.join("; ")))
    }
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        requests: None,
        restarts: None,
        seconds: 3600,
        connections: 8,
        mpms: vec![Mpm::Event, Mpm::Worker, Mpm::Prefork],
        anchors: true,
        module: crate::workspace().join("target/release/libmod_python.so"),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} N (N > 0)\n{USAGE}"))
        };
        match a.as_str() {
            "--full" => {
                o.requests = Some(FULL_REQUESTS);
                o.restarts = Some(FULL_RESTARTS);
            }
            "--requests" => o.requests = Some(value("--requests")?),
            "--restarts" => o.restarts = Some(value("--restarts")? as u32),
            "--seconds" => o.seconds = value("--seconds")?,
            "--connections" => o.connections = value("--connections")? as u32,
            "--no-anchors" => o.anchors = false,
            "--module" => {
                o.module = it
                    .next()
                    .map(PathBuf::from)
                    .ok_or(format!("--module PATH\n{USAGE}"))?
            }
            "--mpm" => {
                let list = it
                    .next()
                    .ok_or(format!("--mpm event,worker,prefork\n{USAGE}"))?;
                o.mpms = list
                    .split(',')
                    .map(|m| match m {
                        "event" => Ok(Mpm::Event),
                        "worker" => Ok(Mpm::Worker),
                        "prefork" => Ok(Mpm::Prefork),
                        other => Err(format!("--mpm: unknown MPM {other}")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("soak: unknown argument {other}\n{USAGE}")),
        }
    }
    if o.requests.is_none() && o.restarts.is_none() {
        o.requests = Some(FULL_REQUESTS);
    }
    Ok(o)
}

/// The load soak under each MPM: ours, the anchors, then children ending under load. The
/// report's text, and what missed the targets.
fn load_runs(o: &Options, requests: u64) -> Result<(String, Vec<String>), String> {
    let mut text = String::new();
    let mut failed = Vec::new();
    for &mpm in &o.mpms {
        let plan = load::Plan {
            requests,
            seconds: o.seconds,
            connections: o.connections,
            close: false,
            extra: String::new(),
        };
        let recycle = load::Plan {
            requests: (requests / RECYCLE_SHARE).max(1000),
            close: true,
            extra: format!("MaxConnectionsPerChild {MAX_CONNECTIONS_PER_CHILD}\n"),
            ..plan.clone()
        };
        let anchor = load::Plan {
            requests: (requests / ANCHOR_SHARE).max(1000),
            ..plan.clone()
        };
        let mut runs = vec![(Server::Ours, plan)];
        if o.anchors {
            runs.push((Server::CModPython, anchor.clone()));
            runs.push((Server::ModWsgi, anchor));
        }
        runs.push((Server::Ours, recycle.clone()));
        if o.anchors {
            runs.push((Server::CModPython, recycle));
        }
        for (server, plan) in runs {
            let module = match site::module_file(server, &o.module) {
                Ok(m) => m,
                Err(why) => {
                    text += &format!("{why}: not run\n\n");
                    continue;
                }
            };
            let outcome = load::run(server, &module, mpm, &plan)?;
            let block = report::render(&outcome);
            eprint!("{block}");
            text += &block;
            text += "\n";
            if server == Server::Ours {
                let why = report::misses(&outcome);
                if !why.is_empty() {
                    failed.push(format!(
                        "{} {}: {}",
                        server.name(),
                        mpm.name(),
                        why.join(", ")
                    ));
                }
            }
        }
    }
    Ok((text, failed))
}
