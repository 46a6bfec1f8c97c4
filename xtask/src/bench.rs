//! `cargo xtask bench`: one httpd per flavor, the same load from wrk, and the cost per request.
//!
//! Every flavor runs on its own httpd (C mod_python and mod_wsgi refuse to share a server with
//! ours), event MPM, the harness's identical worker settings, KeepAlive on. Each is warmed, then
//! driven for a bounded time on 127.0.0.1. CPU per request is the growth of utime+stime of the
//! httpd parent and its children (from /proc) divided by the requests served; ratios compare
//! flavors measured in the same run, since the machine is shared and noisy.

use harness::{Httpd, Mpm};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What one flavor measured.
#[derive(Debug, Clone, Default)]
struct Figures {
    requests: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us_per_req: f64,
    rss_kb_per_child: u64,
}

/// A flavor: how to set up httpd, and the URL that serves the body.
struct Flavor {
    name: &'static str,
    /// The flavor whose CPU per request this one is compared with.
    baseline: Option<&'static str>,
    setup: Option<Box<dyn Fn(harness::Builder) -> harness::Builder>>,
    path: &'static str,
    /// Why it is not measured, when it cannot be.
    missing: Option<String>,
}

const BODY: &str = "hello world\n";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn sh(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Builds the C floor module with apxs into `dir`.
fn build_c_hello(dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let src = dir.join("mod_chello.c");
    std::fs::copy(workspace().join("xtask/bench/mod_chello.c"), &src).map_err(|e| e.to_string())?;
    sh(Command::new("apxs").arg("-c").arg(&src).current_dir(dir))?;
    let so = dir.join(".libs/mod_chello.so");
    so.exists()
        .then_some(so)
        .ok_or_else(|| "apxs built no mod_chello.so".into())
}

fn system_module(file: &str) -> Option<PathBuf> {
    let p = harness::system_modules_dir().join(file);
    p.exists().then_some(p)
}

/// Sum of utime+stime (in clock ticks) of `pid` and its living children, plus what its reaped
/// children used (cutime+cstime).
fn cpu_ticks(parent: u32) -> u64 {
    let mut total = 0;
    for (pid, stat) in processes() {
        let f: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, r)| r.split_whitespace().collect())
            .unwrap_or_default();
        // After the command name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        if pid == parent {
            total += num(11) + num(12) + num(13) + num(14);
        } else if num(1) == u64::from(parent) {
            total += num(11) + num(12);
        }
    }
    total
}

fn processes() -> Vec<(u32, String)> {
    let mut v = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            if let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() {
                if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                    v.push((pid, stat));
                }
            }
        }
    }
    v
}

/// Average resident set size of the parent's children, in KiB.
fn rss_per_child(parent: u32) -> u64 {
    let mut sizes = Vec::new();
    for (pid, stat) in processes() {
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid == Some(parent) {
            if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                if let Some(kb) = status.lines().find_map(|l| l.strip_prefix("VmRSS:")) {
                    sizes.push(
                        kb.trim()
                            .trim_end_matches("kB")
                            .trim()
                            .parse::<u64>()
                            .unwrap_or(0),
                    );
                }
            }
        }
    }
    if sizes.is_empty() {
        0
    } else {
        sizes.iter().sum::<u64>() / sizes.len() as u64
    }
}

fn parse_duration_ms(s: &str) -> f64 {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let n: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

/// Runs wrk against `url` for `secs` seconds; returns (requests, rps, p50 ms, p99 ms).
fn wrk(url: &str, secs: u32, conns: u32) -> Result<(u64, f64, f64, f64), String> {
    let out = sh(Command::new("wrk").args([
        "-t1",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        "--latency",
        "--timeout",
        "5s",
        url,
    ]))?;
    let mut requests = 0;
    let (mut rps, mut p50, mut p99) = (0.0, f64::NAN, f64::NAN);
    let mut non_2xx = 0u64;
    let mut socket_errors = 0u64;
    for line in out.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            rps = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t.strip_prefix("50%") {
            p50 = parse_duration_ms(v);
        } else if let Some(v) = t.strip_prefix("99%") {
            p99 = parse_duration_ms(v);
        } else if t.contains(" requests in ") {
            requests = t
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = v.trim().parse().unwrap_or(u64::MAX);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            // "connect 0, read 1, write 0, timeout 0"
            socket_errors = v
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
        }
    }
    // wrk counts the connections it cuts itself when the time is up as read errors; a few are
    // noise, a wrong answer never is.
    if non_2xx > 0 || socket_errors > requests / 1000 + 8 {
        return Err(format!("wrk saw errors:\n{out}"));
    }
    Ok((requests, rps, p50, p99))
}

/// Starts the flavor's httpd, checks its answer and warms it up.
fn start(flavor: &Flavor, conns: u32) -> Result<(Httpd, String), String> {
    let setup = flavor
        .setup
        .as_ref()
        .expect("measured flavors have a setup");
    let builder = setup(
        Httpd::builder()
            .mpm(Mpm::Event)
            .log_level("warn")
            .config("MaxKeepAliveRequests 0\n"),
    );
    let httpd = builder.try_start()?;
    let url = format!("{}{}", httpd.base_url(), flavor.path);
    let check = httpd.get(flavor.path);
    if check.status != 200 || check.text() != BODY {
        return Err(format!(
            "{} answered {} {:?}",
            flavor.path,
            check.status,
            check.text()
        ));
    }
    wrk(&url, 2, conns)?; // warm-up: children started, code paged in, caches filled
    Ok((httpd, url))
}

/// One timed round of load against a started flavor.
fn round(httpd: &Httpd, url: &str, secs: u32, conns: u32) -> Result<Figures, String> {
    std::thread::sleep(Duration::from_millis(200));
    let before = cpu_ticks(httpd.pid());
    let (requests, rps, p50, p99) = wrk(url, secs, conns)?;
    let after = cpu_ticks(httpd.pid());
    // SAFETY-free libc call: sysconf only reads a constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let cpu_us = (after.saturating_sub(before)) as f64 / hz * 1e6;
    Ok(Figures {
        requests,
        rps,
        p50_ms: p50,
        p99_ms: p99,
        cpu_us_per_req: if requests > 0 {
            cpu_us / requests as f64
        } else {
            f64::NAN
        },
        rss_kb_per_child: rss_per_child(httpd.pid()),
    })
}

/// The round whose CPU per request is the median: a burst of other work on the machine lands
/// on one round of one flavor, not on the figure.
fn median(mut rounds: Vec<Figures>) -> Figures {
    rounds.sort_by(|a, b| a.cpu_us_per_req.total_cmp(&b.cpu_us_per_req));
    rounds.swap_remove(rounds.len() / 2)
}

const PY_HELLO: &str = "from mod_python import apache\n\ndef handler(req):\n    req.content_type = 'text/plain'\n    req.write('hello world\\n')\n    return apache.OK\n";
const WSGI_HELLO: &str = "def application(environ, start_response):\n    body = b'hello world\\n'\n    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])\n    return [body]\n";

fn python_conf(handler: &str) -> String {
    format!(
        "<Location /py>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler {handler}\n</Location>\n"
    )
}

/// The flavors of the issue, in table order. Those whose feature or comparison module is not
/// there say why instead of failing.
fn flavors(cdir: &Path) -> Vec<Flavor> {
    let mut v = Vec::new();
    let missing = |why: &str| Some(why.to_string());
    let c_hello = build_c_hello(cdir);
    v.push(match c_hello {
        Ok(so) => Flavor {
            name: "C hello (apxs)",
            baseline: None,
            setup: Some(Box::new(move |b| {
                b.module("chello_module", &so)
                    .config("<Location /hello>\n    SetHandler chello\n</Location>\n")
            })),
            path: "/hello",
            missing: None,
        },
        Err(e) => Flavor {
            name: "C hello (apxs)",
            baseline: None,
            setup: None,
            path: "",
            missing: Some(e),
        },
    });
    v.push(Flavor {
        name: "static file",
        baseline: Some("C hello (apxs)"),
        setup: Some(Box::new(|b| b.file("htdocs/hello.txt", BODY))),
        path: "/hello.txt",
        missing: None,
    });
    let rs_hello = workspace().join("target/release/libmod_hello.so");
    v.push(Flavor {
        name: "apache-rs hello",
        baseline: Some("C hello (apxs)"),
        missing: (!rs_hello.exists()).then(|| "not built".to_string()),
        setup: Some(Box::new(move |b| {
            b.module("hello_module", &rs_hello)
                .config("<Location /hello>\n    SetHandler hello\n</Location>\n")
        })),
        path: "/hello",
    });
    let c_python = system_module("mod_python.so");
    v.push(Flavor {
        name: "C mod_python 3.5 PythonHandler",
        baseline: None,
        missing: c_python
            .is_none()
            .then(|| "libapache2-mod-python not installed".to_string()),
        setup: Some(Box::new(move |b| {
            b.module("python_module", c_python.clone().unwrap_or_default())
                .file("py/bench_hello.py", PY_HELLO)
                .config(&python_conf("bench_hello"))
        })),
        path: "/py",
    });
    let our_python = workspace().join("target/release/libmod_python.so");
    v.push(Flavor {
        name: "our mod_python PythonHandler",
        baseline: Some("C mod_python 3.5 PythonHandler"),
        missing: (!our_python.exists()).then(|| "not built".to_string()),
        setup: Some(Box::new(move |b| {
            b.module("python_module", &our_python)
                .file("py/bench_hello.py", PY_HELLO)
                .config(&python_conf("bench_hello"))
        })),
        path: "/py",
    });
    let wsgi = system_module("mod_wsgi.so");
    v.push(Flavor {
        name: "mod_wsgi 4.9 embedded",
        baseline: None,
        missing: wsgi.is_none().then(|| "libapache2-mod-wsgi-py3 not installed".to_string()),
        setup: Some(Box::new(move |b| {
            b.module("wsgi_module", wsgi.clone().unwrap_or_default())
                .file("py/app.wsgi", WSGI_HELLO)
                .config("WSGIScriptAlias /wsgi @ROOT@/py/app.wsgi\n<Directory @ROOT@/py>\n    Require all granted\n</Directory>\n")
        })),
        path: "/wsgi",
    });
    for (name, baseline) in [
        ("our mod_python.wsgi hello", "mod_wsgi 4.9 embedded"),
        ("publisher hello (ours)", "C mod_python 3.5 PythonHandler"),
        ("PSP page (ours)", "C mod_python 3.5 PythonHandler"),
        (
            "util.FieldStorage POST (ours)",
            "C mod_python 3.5 PythonHandler",
        ),
        (
            "100 MB upload, req.read(65536)",
            "C mod_python 3.5 PythonHandler",
        ),
        ("100 MB download, req.sendfile", "static file"),
    ] {
        v.push(Flavor {
            name,
            baseline: Some(baseline),
            setup: None,
            path: "",
            missing: missing("not built"),
        });
    }
    v
}

fn machine() -> String {
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

fn json_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "null".into()
    }
}

/// Entry point of `cargo xtask bench [--seconds N] [--connections N]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut secs = 5;
    let mut conns = 8;
    let mut rounds_count = 3;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                secs = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--seconds N")?
            }
            "--rounds" => {
                rounds_count = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--rounds N")?
            }
            "--connections" => {
                conns = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--connections N")?
            }
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
    let cdir = std::env::temp_dir().join(format!("apache-rs-bench-{}", std::process::id()));
    let flavors = flavors(&cdir);
    // Every flavor's httpd runs for the whole bench; the rounds go flavor after flavor, so
    // what the shared machine does meanwhile falls on all of them alike.
    let mut started: Vec<Result<(Httpd, String), String>> = Vec::new();
    for f in &flavors {
        eprintln!("bench: starting {} ...", f.name);
        started.push(match &f.missing {
            Some(why) => Err(why.clone()),
            None => start(f, conns),
        });
    }
    let mut rounds: Vec<Vec<Figures>> = vec![Vec::new(); flavors.len()];
    let mut failed: Vec<Option<String>> =
        started.iter().map(|s| s.as_ref().err().cloned()).collect();
    for n in 0..rounds_count {
        for (i, f) in flavors.iter().enumerate() {
            let (Ok((httpd, url)), None) = (&started[i], &failed[i]) else {
                continue;
            };
            eprintln!("bench: round {}/{rounds_count}: {} ...", n + 1, f.name);
            match round(httpd, url, secs, conns) {
                Ok(x) => rounds[i].push(x),
                Err(e) => failed[i] = Some(e),
            }
        }
    }
    drop(started);
    let results: Vec<(&Flavor, Result<Figures, String>)> = flavors
        .iter()
        .zip(rounds.into_iter().zip(failed))
        .map(|(f, (r, err))| match err {
            Some(e) => {
                eprintln!("bench: {}: {e}", f.name);
                (f, Err(e))
            }
            None => (f, Ok(median(r))),
        })
        .collect();
    let _ = std::fs::remove_dir_all(&cdir);

    let find = |name: &str| {
        results
            .iter()
            .find(|(f, _)| f.name == name)
            .and_then(|(_, r)| r.as_ref().ok())
    };
    let mut table = String::new();
    let _ = writeln!(
        table,
        "Machine: {}; event MPM; wrk -t1 -c{conns} -d{secs}s on 127.0.0.1, median of {rounds_count} interleaved rounds; body {:?}\n",
        machine(),
        BODY
    );
    let _ = writeln!(
        table,
        "| flavor | req/s | p50 ms | p99 ms | CPU µs/req | ratio | baseline | RSS/child KiB |"
    );
    let _ = writeln!(table, "|---|---:|---:|---:|---:|---:|---|---:|");
    let mut json = String::from("{\n  \"machine\": ");
    json += &json_str(&machine());
    json += ",\n  \"flavors\": [\n";
    for (i, (f, r)) in results.iter().enumerate() {
        match r {
            Ok(x) => {
                let ratio = f
                    .baseline
                    .and_then(find)
                    .map(|b| x.cpu_us_per_req / b.cpu_us_per_req)
                    .unwrap_or(f64::NAN);
                let _ = writeln!(
                    table,
                    "| {} | {:.0} | {:.2} | {:.2} | {:.1} | {} | {} | {} |",
                    f.name,
                    x.rps,
                    x.p50_ms,
                    x.p99_ms,
                    x.cpu_us_per_req,
                    if ratio.is_finite() {
                        format!("{ratio:.3}")
                    } else {
                        "-".into()
                    },
                    f.baseline.unwrap_or("-"),
                    x.rss_kb_per_child
                );
                let _ = write!(
                    json,
                    "    {{\"name\": {}, \"requests\": {}, \"rps\": {}, \"p50_ms\": {}, \"p99_ms\": {}, \"cpu_us_per_req\": {}, \"rss_kb_per_child\": {}, \"baseline\": {}, \"cpu_ratio\": {}}}",
                    json_str(f.name), x.requests, num(x.rps), num(x.p50_ms), num(x.p99_ms), num(x.cpu_us_per_req), x.rss_kb_per_child,
                    f.baseline.map(json_str).unwrap_or_else(|| "null".into()), num(ratio)
                );
            }
            Err(why) => {
                let _ = writeln!(
                    table,
                    "| {} | {} | | | | | {} | |",
                    f.name,
                    why.lines().next().unwrap_or(""),
                    f.baseline.unwrap_or("-")
                );
                let _ = write!(
                    json,
                    "    {{\"name\": {}, \"error\": {}}}",
                    json_str(f.name),
                    json_str(why)
                );
            }
        }
        json += if i + 1 < results.len() { ",\n" } else { "\n" };
    }
    json += "  ]\n}\n";
    println!("{table}");
    let out = workspace().join("target/bench.json");
    std::fs::write(&out, json).map_err(|e| e.to_string())?;
    println!("raw figures: {}", out.display());
    Ok(())
}
