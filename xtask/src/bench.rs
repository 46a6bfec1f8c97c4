//! `cargo xtask bench`: one httpd per flavor, the same load for each, and the cost per request.
//!
//! Every flavor runs on its own httpd (C mod_python and mod_wsgi refuse to share a server with
//! ours), event MPM, the harness's identical worker settings, KeepAlive on. Each is warmed, then
//! driven for a bounded time on 127.0.0.1: small requests by wrk, 100 MB uploads and downloads
//! by our own client ([`transfer`]). CPU per request is the growth of utime+stime of the httpd
//! parent and its children (from /proc) divided by the requests served; ratios compare flavors
//! measured in the same run, since the machine is shared and noisy. The session flavors keep
//! their sessions in shmcb or in a private memcached or redis-server (`harness::stores`, pinned
//! with httpd), whose own CPU time is not counted.

mod cpus;
mod flavors;
mod instructions;
mod parallel;
pub(crate) mod procfs;
mod report;
mod transfer;
pub(crate) mod wrk;

use flavors::{BODY, Flavor, Load, Sessions};
use harness::stores::Store;
use harness::{Httpd, Mpm};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use transfer::Direction;

/// What one flavor measured.
#[derive(Debug, Clone, Default)]
struct Figures {
    requests: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us_per_req: f64,
    rss_kb_per_child: u64,
    /// Big transfers only: MiB/s over the round.
    mib_per_s: f64,
    /// Big transfers only: the largest growth of a child's peak resident size over its size
    /// before the round, in KiB.
    rss_growth_kb: u64,
    /// Big transfers only: the client's CPU time over the round's, in percent.
    client_cpu_pct: f64,
    /// CPU per request over the baseline's, the median of the rounds' ratios: each round
    /// measures the two a few seconds apart, so what the shared machine does over minutes
    /// cancels out of each ratio.
    cpu_ratio: f64,
    /// CPU µs per request more than the baseline's, the median of the rounds' differences.
    cpu_over_us: f64,
    /// Big transfers only: MiB/s over the baseline's, the median of the rounds' ratios.
    mib_ratio: f64,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub(crate) fn sh(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A started flavor.
struct Running {
    httpd: Httpd,
    url: String,
    /// Big transfers keep the connection of their warm-up, so that the child it warmed is the
    /// one measured.
    client: Option<transfer::Client>,
    /// The Lua script wrk runs (a form to POST, session cookies to send).
    lua: Option<String>,
    /// The session store the flavor's httpd uses, running as long as it does.
    _store: Option<Store>,
}

/// How many sessions a session flavor's requests are spread over: few requests of one session
/// at once (which would wait for each other's session lock).
const SESSIONS: usize = 64;

/// Starts the store of a session flavor (pinned with httpd) and configures `builder` for it.
fn with_sessions(
    builder: harness::Builder,
    sessions: Sessions,
    server_cpus: Option<&cpus::Cpus>,
) -> Result<(harness::Builder, Option<Store>), String> {
    let (module, file) = sessions.module();
    let (spec, store) = match sessions {
        Sessions::Shmcb => ("shmcb".to_string(), None),
        Sessions::Server(protocol) => {
            let store = Store::start(protocol)?;
            if let Some(set) = server_cpus {
                set.pin_tree(store.pid())?;
            }
            (store.spec(), Some(store))
        }
    };
    let builder = builder.system_module(module, file).config(&format!(
        "PythonOption mod_python.session.socache \"{spec}\"\n"
    ));
    Ok((builder, store))
}

/// Makes `SESSIONS` sessions through `path` (each first request saves a new one); their
/// cookies.
fn make_sessions(httpd: &Httpd, path: &str) -> Result<Vec<String>, String> {
    (0..SESSIONS)
        .map(|_| {
            let r = httpd.get(path);
            let cookie = r
                .header("Set-Cookie")
                .and_then(|c| c.split(';').next())
                .map(|c| c.trim().to_string());
            match (r.status, cookie) {
                (200, Some(c)) => Ok(c),
                (status, _) => Err(with_log(
                    httpd,
                    format!("{path}: {status} without a session cookie"),
                )),
            }
        })
        .collect()
}

/// Starts the flavor's httpd (on `server_cpus` when given), checks its answer and warms it up.
fn start(
    flavor: &Flavor,
    conns: u32,
    big_file: &Path,
    server_cpus: Option<&cpus::Cpus>,
) -> Result<Running, String> {
    let setup = flavor
        .setup
        .as_ref()
        .expect("measured flavors have a setup");
    let mut builder = Httpd::builder()
        .mpm(Mpm::Event)
        .stop_with_caller()
        .log_level("warn")
        .config("MaxKeepAliveRequests 0\n");
    if flavor.load != Load::Wrk {
        // The connection waits idle while the other flavors run their rounds.
        builder = builder.config("KeepAliveTimeout 600\n");
    }
    let mut store = None;
    if let Some(sessions) = flavor.sessions {
        (builder, store) = with_sessions(builder, sessions, server_cpus)?;
    }
    let httpd = setup(builder).try_start()?;
    if let Some(set) = server_cpus {
        set.pin_tree(httpd.pid())?;
    }
    let url = format!("{}{}", httpd.base_url(), flavor.path);
    let lua = match (flavor.form, flavor.sessions) {
        (Some(form), _) => Some(wrk::post_lua(form)),
        (None, Some(_)) => Some(wrk::cookie_lua(&make_sessions(&httpd, flavor.path)?)),
        (None, None) => None,
    };
    let client = match flavor.load {
        Load::Wrk => {
            let check = match flavor.form {
                Some(form) => httpd.request(
                    "POST",
                    flavor.path,
                    &[("Content-Type", "application/x-www-form-urlencoded")],
                    form.as_bytes(),
                ),
                None => httpd.get(flavor.path),
            };
            if check.status != 200 || check.text() != BODY {
                return Err(format!(
                    "{} answered {} {:?}",
                    flavor.path,
                    check.status,
                    check.text()
                ));
            }
            // Warm-up: children started, code paged in, caches filled. Errors here do not count
            // (C mod_python's publisher answers some of the first concurrent requests of a
            // new child with errors while it imports); the rounds' do.
            if let Err(e) = wrk::wrk(&url, 2, conns, lua.as_deref()) {
                eprintln!("bench: {}: during the warm-up: {e}", flavor.name);
            }
            None
        }
        Load::Big(dir) => {
            if dir == Direction::Download {
                transfer::place(big_file, httpd.root())?;
            }
            let mut client = transfer::Client::new(httpd.port());
            // The check is the warm-up too: handler imported, buffers allocated once.
            client
                .transfer(flavor.path, dir)
                .map_err(|e| with_log(&httpd, e))?;
            Some(client)
        }
    };
    Ok(Running {
        httpd,
        url,
        client,
        lua,
        _store: store,
    })
}

/// An error with what httpd logged about it.
fn with_log(httpd: &Httpd, e: String) -> String {
    let log = httpd.error_log();
    if log.trim().is_empty() {
        e
    } else {
        format!("{e}\nerror_log:\n{log}")
    }
}

/// One timed round of load against a started flavor.
fn round(
    flavor: &Flavor,
    run: &mut Running,
    secs: u32,
    conns: u32,
    transfers: u32,
) -> Result<Figures, String> {
    std::thread::sleep(Duration::from_millis(200));
    let pid = run.httpd.pid();
    let memory = procfs::rss_before(pid);
    let before = procfs::cpu_ticks(pid);
    let mut x = Figures::default();
    match (flavor.load, &mut run.client) {
        (Load::Big(dir), Some(client)) => {
            let done = client
                .run(
                    flavor.path,
                    dir,
                    transfers,
                    Duration::from_secs(secs.into()),
                )
                .map_err(|e| with_log(&run.httpd, e))?;
            x.requests = done.transfers;
            x.rps = done.transfers as f64 / done.seconds;
            x.mib_per_s = x.rps * (transfer::SIZE as f64 / f64::from(1 << 20));
            x.client_cpu_pct = done.client_cpu_seconds / done.seconds * 100.0;
            x.p50_ms = f64::NAN;
            x.p99_ms = f64::NAN;
        }
        _ => {
            let load = wrk::wrk(&run.url, secs, conns, run.lua.as_deref())?;
            x.requests = load.requests;
            x.rps = load.rps;
            x.p50_ms = load.p50_ms;
            x.p99_ms = load.p99_ms;
            x.mib_per_s = f64::NAN;
            x.client_cpu_pct = f64::NAN;
        }
    }
    let after = procfs::cpu_ticks(pid);
    let cpu_us = (after.saturating_sub(before)) as f64 / procfs::ticks_per_second() * 1e6;
    x.cpu_us_per_req = if x.requests > 0 {
        cpu_us / x.requests as f64
    } else {
        f64::NAN
    };
    x.rss_growth_kb = procfs::peak_growth(&memory);
    x.rss_kb_per_child = procfs::rss_per_child(pid);
    Ok(x)
}

/// The round whose CPU per request is the median: a burst of other work on the machine lands
/// on one round of one flavor, not on the figure. Memory growth is a bound, not a typical
/// value: the largest of any round.
fn median(mut rounds: Vec<Figures>) -> Figures {
    let growth = rounds.iter().map(|r| r.rss_growth_kb).max().unwrap_or(0);
    rounds.sort_by(|a, b| a.cpu_us_per_req.total_cmp(&b.cpu_us_per_req));
    let mut m = rounds.swap_remove(rounds.len() / 2);
    m.rss_growth_kb = growth;
    m
}

/// The median over rounds of `compare(flavor's figure, baseline's figure)` in the same round.
fn paired(
    flavor: &[Figures],
    baseline: &[Figures],
    figure: fn(&Figures) -> f64,
    compare: fn(f64, f64) -> f64,
) -> f64 {
    let mut values: Vec<f64> = flavor
        .iter()
        .zip(baseline)
        .map(|(x, b)| compare(figure(x), figure(b)))
        .filter(|r| r.is_finite())
        .collect();
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn ratio(x: f64, base: f64) -> f64 {
    x / base
}

fn difference(x: f64, base: f64) -> f64 {
    x - base
}

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!("{cores} cores, {cpu}")
}

/// The number after the option `name`, which must be above 0.
fn positive(arg: Option<&String>, name: &str) -> Result<u32, String> {
    arg.and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{name} N (N > 0)"))
}

/// Entry point of `cargo xtask bench [--seconds N] [--rounds N] [--connections N]
/// [--transfers N] [--no-pin] [--only NAME,...] [--instructions]`, and of `cargo xtask bench
/// --parallel [--python PATH] [--seconds N] [--rounds N]` ([`parallel`]).
pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--parallel") {
        return parallel::run(args);
    }
    // Many short rounds rather than a few long ones: the machine's speed drifts over seconds,
    // and each round's ratio compares two flavors measured about a second apart. (With 3
    // rounds of 5 s the same ratio moved by up to 10 % from run to run; with 15 of 1 s, by
    // 2 %.) A pinned CPU busy for a second gives /proc about 100 ticks to count.
    let mut secs = 1;
    let mut conns = 8;
    let mut rounds_count = 15;
    // A bound, not the usual count: at loopback speed a round of a second holds dozens of
    // transfers, which the CPU figure needs, since /proc counts it in 10 ms ticks.
    let mut transfers = 200;
    let mut pin = true;
    let mut only: Vec<String> = Vec::new();
    let mut instructions = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| positive(it.next(), name);
        match a.as_str() {
            "--seconds" => secs = value("--seconds")?,
            "--rounds" => rounds_count = value("--rounds")?,
            "--connections" => conns = value("--connections")?,
            "--transfers" => transfers = value("--transfers")?,
            "--no-pin" => pin = false,
            "--instructions" => instructions = true,
            "--only" => only.extend(
                it.next()
                    .ok_or("--only NAME[,NAME...] (part of a flavor's name)")?
                    .split(',')
                    .map(|w| w.to_lowercase()),
            ),
            other => return Err(format!("bench: unknown argument {other}")),
        }
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        return Err("wrk is not installed (apt-get install -y wrk)".into());
    }
    let status = Command::new("cargo")
        .args(["build", "--release", "-p", "hello", "-p", "mod-python"])
        .current_dir(workspace())
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("release build failed".into());
    }
    // The client (wrk, which inherits this process's CPUs, and the transfer client's threads)
    // on one half of the CPUs, every httpd on the other.
    let machine = machine(); // before this process is pinned to part of the machine
    let pinning = if pin { cpus::split() } else { None };
    if let Some((_, client)) = &pinning {
        client.pin_process(std::process::id())?;
    }
    let server_cpus = pinning.as_ref().map(|(server, _)| server);
    let cdir = std::env::temp_dir().join(format!("apache-rs-bench-{}", std::process::id()));
    let mut flavors = flavors::flavors(&cdir);
    if !only.is_empty() {
        // The flavors named, and the baselines their ratios need.
        let named = |f: &Flavor| only.iter().any(|w| f.name.to_lowercase().contains(w));
        let wanted: Vec<&'static str> = flavors
            .iter()
            .filter(|f| named(f))
            .flat_map(|f| [Some(f.name), f.baseline])
            .flatten()
            .collect();
        flavors.retain(|f| wanted.contains(&f.name));
        if flavors.is_empty() {
            return Err(format!("bench: no flavor's name contains {only:?}"));
        }
    }
    if instructions {
        let table = instructions::run(&flavors, 2000, &cdir);
        let _ = std::fs::remove_dir_all(&cdir);
        println!("Machine: {machine}\n\n{table}");
        return Ok(());
    }
    let big_file = cdir.join("big.bin");
    let file_made = if flavors
        .iter()
        .any(|f| f.missing.is_none() && f.load == Load::Big(Direction::Download))
    {
        transfer::write_file(&big_file)
    } else {
        Ok(())
    };
    // Every flavor's httpd runs for the whole bench; the rounds go flavor after flavor, so
    // what the shared machine does meanwhile falls on all of them alike.
    let mut started: Vec<Result<Running, String>> = Vec::new();
    for f in &flavors {
        eprintln!("bench: starting {} ...", f.name);
        started.push(match (&f.missing, &file_made, f.load) {
            (Some(why), _, _) => Err(why.clone()),
            (None, Err(e), Load::Big(Direction::Download)) => Err(e.clone()),
            (None, _, _) => start(f, conns, &big_file, server_cpus),
        });
    }
    let mut rounds: Vec<Vec<Figures>> = vec![Vec::new(); flavors.len()];
    let mut failed: Vec<Option<String>> =
        started.iter().map(|s| s.as_ref().err().cloned()).collect();
    for n in 0..rounds_count {
        for (i, f) in flavors.iter().enumerate() {
            let (Ok(run), None) = (&mut started[i], &failed[i]) else {
                continue;
            };
            eprintln!("bench: round {}/{rounds_count}: {} ...", n + 1, f.name);
            match round(f, run, secs, conns, transfers) {
                Ok(x) => rounds[i].push(x),
                Err(e) => failed[i] = Some(e),
            }
        }
    }
    drop(started);
    let ratios: Vec<(f64, f64, f64)> = flavors
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let base = f
                .baseline
                .and_then(|b| flavors.iter().position(|g| g.name == b));
            base.map_or((f64::NAN, f64::NAN, f64::NAN), |j| {
                let cpu = |x: &Figures| x.cpu_us_per_req;
                (
                    paired(&rounds[i], &rounds[j], cpu, ratio),
                    paired(&rounds[i], &rounds[j], |x| x.mib_per_s, ratio),
                    paired(&rounds[i], &rounds[j], cpu, difference),
                )
            })
        })
        .collect();
    let results: Vec<(&Flavor, Result<Figures, String>)> = flavors
        .iter()
        .zip(rounds.into_iter().zip(failed).zip(ratios))
        .map(
            |(f, ((r, err), (cpu_ratio, mib_ratio, cpu_over_us)))| match err {
                Some(e) => {
                    eprintln!("bench: {}: {e}", f.name);
                    (f, Err(e))
                }
                None => {
                    let mut m = median(r);
                    m.cpu_ratio = cpu_ratio;
                    m.mib_ratio = mib_ratio;
                    m.cpu_over_us = cpu_over_us;
                    (f, Ok(m))
                }
            },
        )
        .collect();
    let _ = std::fs::remove_dir_all(&cdir);

    let (table, json) = report::render(
        &results,
        &report::Settings {
            machine,
            secs,
            conns,
            rounds: rounds_count,
            transfers,
            cpus: pinning.as_ref().map(|(server, client)| {
                format!(
                    "httpd on CPU {}, client on CPU {}",
                    server.describe(),
                    client.describe()
                )
            }),
        },
    );
    println!("{table}");
    let out = workspace().join("target/bench.json");
    std::fs::write(&out, json).map_err(|e| e.to_string())?;
    println!("raw figures: {}", out.display());
    Ok(())
}
