//! `cargo xtask bench --parallel [--python PATH]`: CPU-bound Python on the threads of one
//! child, every interpreter sharing one GIL against each with a GIL of its own (PEP 684,
//! `PythonInterpreterGIL own`) and, on a free-threaded CPython (3.13t), against no GIL at all
//! (PEP 703, `PythonFreeThreading On`), and the same handler under C mod_python 3.5 and
//! mod_wsgi 4.9.
//!
//! Each flavor runs on its own httpd: event MPM, one child, as many worker threads as CPUs and
//! as many interpreters as CPUs (a `<Location>`, or a `WSGIScriptAlias`, each). The load is one
//! wrk per interpreter with one connection (a new one per request: keep-alive is off), all at
//! once: one request per interpreter at a time, so that with own GILs only the CPUs limit how
//! many run together, and with one GIL the interpreters take turns. Nothing is pinned: httpd
//! needs every CPU, and wrk's share is small at these rates (a request is about 2 ms of
//! Python). "Cores" is the CPU time httpd and its child used during a round over the round's
//! length; the whole machine's is shown beside it, since on a shared machine what others use
//! is not left for httpd. The rounds go flavor after flavor; the ratio to the shared GIL is the
//! median of the rounds' ratios, each taken a few seconds apart.

use super::{positive, procfs, sh, workspace, wrk};
use crate::test_python::{self, TestPython};
use harness::{Httpd, Mpm};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// About 2 ms of pure-Python work on this project's machine (CPython 3.11 to 3.13), then the
/// body every flavor answers.
const WORK: &str =
    "def work():\n    t = 0\n    for i in range(25000):\n        t += i * i % 7\n    return t\n";
const BODY: &str = "hello world\n";

fn handler_source() -> String {
    format!(
        "from mod_python import apache\n\n{WORK}\n\ndef handler(req):\n    work()\n    \
         req.content_type = 'text/plain'\n    req.write({BODY:?})\n    return apache.OK\n"
    )
}

fn wsgi_source() -> String {
    format!(
        "{WORK}\n\ndef application(environ, start_response):\n    work()\n    body = {BODY:?}.encode()\n    \
         start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])\n    \
         return [body]\n"
    )
}

/// What a flavor loads and how it spreads the handler over interpreters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Our mod_python, with this configuration line (`PythonInterpreterGIL shared|own`,
    /// `PythonFreeThreading On`).
    Ours(&'static str),
    /// Debian's C mod_python 3.5.
    CModPython,
    /// Debian's mod_wsgi 4.9, embedded mode, an application group per script alias.
    ModWsgi,
}

struct Flavor {
    name: &'static str,
    kind: Kind,
    /// The module, or why the flavor is not measured.
    module: Result<PathBuf, String>,
    /// The CPython it runs.
    python: String,
}

/// The configuration of `n` interpreters, each serving `/cpu/<i>`.
fn configure(b: harness::Builder, flavor: &Flavor, so: &PathBuf, n: usize) -> harness::Builder {
    // One child, `n` workers (these override the harness's sizing, which comes first).
    let sizing = format!(
        "ThreadLimit {n}\nThreadsPerChild {n}\nMaxRequestWorkers {n}\nMinSpareThreads 1\n\
         MaxSpareThreads {}\n",
        2 * n
    );
    let mut c = sizing;
    match flavor.kind {
        Kind::Ours(_) | Kind::CModPython => {
            if let Kind::Ours(line) = flavor.kind {
                c += line;
                c += "\n";
            }
            for i in 0..n {
                c += &format!(
                    "<Location /cpu/{i}>\n    SetHandler mod_python\n    PythonInterpreter cpu{i}\n    \
                     PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler bench_cpu\n</Location>\n"
                );
            }
            b.module("python_module", so)
                .file("py/bench_cpu.py", handler_source())
                .config(&c)
        }
        Kind::ModWsgi => {
            for i in 0..n {
                c += &format!("WSGIScriptAlias /cpu/{i} @ROOT@/py/cpu.wsgi\n");
            }
            c += "<Directory @ROOT@/py>\n    Require all granted\n</Directory>\n";
            b.module("wsgi_module", so)
                .file("py/cpu.wsgi", wsgi_source())
                .config(&c)
        }
    }
}

/// One round of one flavor.
#[derive(Clone, Copy)]
struct Round {
    rps: f64,
    p50_ms: f64,
    /// httpd's CPU time over the round's length.
    cores: f64,
    /// The whole machine's (every process's, wrk's and other users' too), the same way: what
    /// was left for httpd on a shared machine.
    machine: f64,
}

/// CPU time the machine spent busy, in clock ticks, summed over its CPUs (/proc/stat's first
/// line: user, nice, system, irq, softirq and steal; not idle and iowait).
fn machine_busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| fields.get(i))
        .sum()
}

fn start(flavor: &Flavor, so: &PathBuf, n: usize) -> Result<Httpd, String> {
    // No keep-alive: with one worker per connection the event MPM's workers are all busy
    // most of the time, and then it closes idle keep-alive connections, which wrk counts as
    // errors. A new connection per request costs little beside 2 ms of Python.
    let b = Httpd::builder()
        .mpm(Mpm::Event)
        .stop_with_caller()
        .single_child()
        .log_level("warn")
        .config("KeepAlive Off\n");
    let httpd = configure(b, flavor, so, n).try_start()?;
    for i in 0..n {
        let r = httpd.get(&format!("/cpu/{i}"));
        if r.status != 200 || r.text() != BODY {
            return Err(format!(
                "/cpu/{i} answered {} {:?}\n{}",
                r.status,
                r.text(),
                httpd.error_log()
            ));
        }
    }
    // Warm-up: every interpreter made and its handler imported, code paged in.
    round(&httpd, n, 1)?;
    Ok(httpd)
}

/// `n` wrk at once, one connection each, one per interpreter, for `secs` seconds.
fn round(httpd: &Httpd, n: usize, secs: u32) -> Result<Round, String> {
    let pid = httpd.pid();
    let before = procfs::cpu_ticks(pid);
    let busy_before = machine_busy_ticks();
    let loads: Vec<Result<wrk::Load, String>> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..n)
            .map(|i| {
                let url = format!("{}/cpu/{i}", httpd.base_url());
                s.spawn(move || wrk::wrk(&url, secs, 1, None))
            })
            .collect();
        runs.into_iter()
            .map(|r| {
                r.join()
                    .unwrap_or_else(|_| Err("a wrk thread panicked".into()))
            })
            .collect()
    });
    let tick = procfs::ticks_per_second();
    let cpu = procfs::cpu_ticks(pid).saturating_sub(before) as f64 / tick;
    let busy = machine_busy_ticks().saturating_sub(busy_before) as f64 / tick;
    let loads = loads.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Round {
        rps: loads.iter().map(|l| l.rps).sum(),
        p50_ms: loads.iter().map(|l| l.p50_ms).sum::<f64>() / n as f64,
        cores: cpu / f64::from(secs),
        machine: busy / f64::from(secs),
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Builds our module (release) for `python`; its path.
fn build_ours(python: &TestPython) -> Result<PathBuf, String> {
    let mut cmd = Command::new("cargo");
    python
        .apply(&mut cmd)
        .args(["build", "--release", "-p", "mod-python"])
        .current_dir(workspace());
    sh(&mut cmd)?;
    let target = python
        .env
        .iter()
        .find(|(k, _)| k == "CARGO_TARGET_DIR")
        .map(|(_, v)| PathBuf::from(v))
        .unwrap_or_else(|| workspace().join("target"));
    Ok(target.join("release/libmod_python.so"))
}

fn system_module(file: &str, package: &str) -> Result<PathBuf, String> {
    let p = harness::system_modules_dir().join(file);
    p.exists()
        .then_some(p)
        .ok_or_else(|| format!("{package} not installed"))
}

const SHARED: &str = "ours, one GIL for all interpreters";
const OWN: &str = "ours, a GIL per interpreter";
const NO_GIL: &str = "ours, no GIL (free-threaded CPython)";

/// What mod_wsgi 6 says of the same feature (a release candidate, not installed here), from
/// its documentation and its author's announcement, read with the project's search tool.
const MOD_WSGI_6: &str = "mod_wsgi 6.0 (release candidate; not installed here, so not \
measured) offers the same feature as WSGIPerInterpreterGIL On (server config, or per process \
or application group inside <WSGIInterpreterOptions>; Python 3.12+, accepted with a warning and \
no effect on older ones). Its documentation and its author's announcement say that its \
sub-interpreters then run Python in parallel within one process, which pays for CPU-bound work \
split over several sub-interpreters and gains little for I/O-bound applications; the limits \
they name are ours too (not the main interpreter; C extensions must be multi-phase and declare \
Py_MOD_PER_INTERPRETER_GIL_SUPPORTED), plus one of theirs (no daemon threads in such \
interpreters). The pages read give no throughput figure for it (the author's measured figures \
are for the switch interval and for free-threading).";

/// Entry point of `cargo xtask bench --parallel [--python PATH] [--seconds N] [--rounds N]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut secs = 3;
    let mut rounds = 5;
    let mut python_path = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| positive(it.next(), name);
        match a.as_str() {
            "--parallel" => {}
            "--seconds" => secs = value("--seconds")?,
            "--rounds" => rounds = value("--rounds")?,
            "--python" => python_path = Some(it.next().ok_or("--python PATH")?.clone()),
            other => return Err(format!("bench --parallel: unknown argument {other}")),
        }
    }
    let n = std::thread::available_parallelism().map_or(2, |n| n.get());
    let python = test_python::choose(python_path.as_deref())?;
    eprintln!(
        "bench: building mod_python (release) for Python {} ...",
        python.version
    );
    let ours = build_ours(&python);
    let own_refused = (!python.has_own_gil()).then(|| {
        format!(
            "Python {} has no GIL per interpreter (3.12 or later: --python PATH)",
            python.version
        )
    });
    let no_gil_refused = (!python.free_threaded).then(|| {
        format!(
            "Python {} is not free-threaded (3.13t: --python PATH)",
            python.version
        )
    });
    let debian = "3.11 (Debian)".to_string();
    let version = format!(
        "{}{}",
        python.version,
        if python.free_threaded { "t" } else { "" }
    );
    let flavors = [
        Flavor {
            name: SHARED,
            kind: Kind::Ours("PythonInterpreterGIL shared"),
            module: ours.clone(),
            python: version.clone(),
        },
        Flavor {
            name: OWN,
            kind: Kind::Ours("PythonInterpreterGIL own"),
            module: match own_refused {
                Some(why) => Err(why),
                None => ours.clone(),
            },
            python: version.clone(),
        },
        Flavor {
            name: NO_GIL,
            kind: Kind::Ours("PythonFreeThreading On"),
            module: match no_gil_refused {
                Some(why) => Err(why),
                None => ours.clone(),
            },
            python: version.clone(),
        },
        Flavor {
            name: "C mod_python 3.5",
            kind: Kind::CModPython,
            module: system_module("mod_python.so", "libapache2-mod-python"),
            python: debian.clone(),
        },
        Flavor {
            name: "mod_wsgi 4.9 embedded",
            kind: Kind::ModWsgi,
            module: system_module("mod_wsgi.so", "libapache2-mod-wsgi-py3"),
            python: debian,
        },
    ];
    let load_before = load_average();
    let mut servers: Vec<Result<Httpd, String>> = Vec::new();
    for f in &flavors {
        eprintln!("bench: starting {} ...", f.name);
        servers.push(
            f.module
                .clone()
                .and_then(|so| start(f, &so, n).map_err(|e| format!("{}: {e}", f.name))),
        );
    }
    let mut figures: Vec<Vec<Round>> = vec![Vec::new(); flavors.len()];
    let mut failed: Vec<Option<String>> =
        servers.iter().map(|s| s.as_ref().err().cloned()).collect();
    for r in 0..rounds {
        for (i, f) in flavors.iter().enumerate() {
            let (Ok(httpd), None) = (&servers[i], &failed[i]) else {
                continue;
            };
            eprintln!("bench: round {}/{rounds}: {} ...", r + 1, f.name);
            match round(httpd, n, secs) {
                Ok(x) => figures[i].push(x),
                Err(e) => failed[i] = Some(e),
            }
        }
    }
    drop(servers);
    let load_after = load_average();
    println!(
        "{}",
        report(
            &flavors,
            &figures,
            &failed,
            n,
            secs,
            rounds,
            [&load_before, &load_after]
        )
    );
    Ok(())
}

fn report(
    flavors: &[Flavor],
    figures: &[Vec<Round>],
    failed: &[Option<String>],
    n: usize,
    secs: u32,
    rounds: u32,
    loads: [&str; 2],
) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "CPU-bound handler (about 2 ms of pure Python per request): event MPM, one child, {n} \
         worker threads, {n} interpreters, one wrk connection per interpreter; {rounds} rounds \
         of {secs} s per flavor.\nLoad average (1, 5, 15 min) before: {}; after: {}.\n",
        loads[0], loads[1]
    );
    let _ = writeln!(
        t,
        "| flavor | CPython | requests/s | median latency (ms) | cores httpd used (of {n}) | \
         cores the machine used | throughput vs one GIL |\n|---|---|---|---|---|---|---|"
    );
    let shared = flavors.iter().position(|f| f.name == SHARED);
    for (i, f) in flavors.iter().enumerate() {
        if let Some(why) = &failed[i] {
            let _ = writeln!(
                t,
                "| {} | {} | not measured: {why} | | | | |",
                f.name, f.python
            );
            continue;
        }
        let rounds = &figures[i];
        let ratio = shared.filter(|&s| s != i && failed[s].is_none()).map(|s| {
            median(
                rounds
                    .iter()
                    .zip(&figures[s])
                    .map(|(x, b)| x.rps / b.rps)
                    .collect(),
            )
        });
        let _ = writeln!(
            t,
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            f.name,
            f.python,
            median(rounds.iter().map(|x| x.rps).collect()),
            median(rounds.iter().map(|x| x.p50_ms).collect()),
            median(rounds.iter().map(|x| x.cores).collect()),
            median(rounds.iter().map(|x| x.machine).collect()),
            ratio.map_or("-".into(), |r| format!("{r:.2}"))
        );
    }
    let _ = writeln!(
        t,
        "\nTarget: a GIL per interpreter at least {:.1} times one GIL's throughput (0.8 x {n} \
         CPUs), on a machine where nothing else runs: \"cores the machine used\" above what \
         httpd used is wrk and everyone else.\n\n{MOD_WSGI_6}",
        0.8 * n as f64
    );
    t
}
