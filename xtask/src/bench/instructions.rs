//! `cargo xtask bench --instructions`: what a request costs in instructions, counted by
//! valgrind's callgrind, which gives the same count for the same code and input whatever else
//! the machine is doing.
//!
//! CPU time on a shared machine moves by several percent from one run to the next, more than
//! some of the differences the targets ask about. Each flavor runs once more here,
//! under callgrind, as a single prefork process (`httpd -X`), and serves requests one after
//! the other on one keep-alive connection. It is started twice: once for the warm-up alone,
//! once for the warm-up and `requests` more; the difference of the two totals, divided by
//! `requests`, is the user-space instructions one request costs in httpd, APR, the module and
//! Python, without start-up and exit. (The kernel's share is not counted, and instructions are
//! not time: a cache miss costs more than an add. The CPU figures remain the measure; these
//! tell where a difference comes from, and that it is not noise.)

use super::flavors::{BODY, Flavor, Load};
use super::transfer;
use harness::{Httpd, Mpm};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Requests before counting starts: imports done, caches filled.
const WARM_UP: u32 = 300;

/// Instructions per request of `flavor`; `out_dir` receives callgrind's files.
pub fn per_request(flavor: &Flavor, requests: u32, out_dir: &Path) -> Result<f64, String> {
    let warm = total(flavor, WARM_UP, &out_dir.join("warm.out"))?;
    let all = total(flavor, WARM_UP + requests, &out_dir.join("all.out"))?;
    Ok(all.saturating_sub(warm) as f64 / f64::from(requests))
}

/// Instructions callgrind counted in a server that served `n` requests.
fn total(flavor: &Flavor, n: u32, out: &Path) -> Result<u64, String> {
    let setup = flavor.setup.as_ref().ok_or("no setup")?;
    let _ = std::fs::remove_file(out);
    let out_arg = format!("--callgrind-out-file={}", out.display());
    // SAFETY: geteuid has no preconditions; it only reads the process's credentials.
    let root = unsafe { libc::geteuid() } == 0;
    // As root, httpd would switch to www-data after start-up, and callgrind could then not
    // write its file: it runs as www-data from the start instead.
    let mut prefix = if root {
        vec![
            "setpriv",
            "--reuid=www-data",
            "--regid=www-data",
            "--clear-groups",
        ]
    } else {
        Vec::new()
    };
    prefix.extend(["valgrind", "--tool=callgrind", &out_arg]);
    let builder = Httpd::builder()
        .mpm(Mpm::Prefork)
        .stop_with_caller()
        .log_level("warn")
        .config("MaxKeepAliveRequests 0\n");
    let httpd = setup(builder).wrapped(&prefix, &["-X"]).try_start()?;
    let mut conn = transfer::connect(httpd.port())
        .map_err(|e| format!("connecting to {}: {e}", flavor.name))?;
    for i in 0..n {
        request(&mut conn, flavor).map_err(|e| format!("request {i}: {e}"))?;
    }
    drop(conn);
    // SIGTERM: httpd exits and callgrind writes its totals.
    httpd.stop();
    let text = std::fs::read_to_string(out).map_err(|e| format!("{}: {e}", out.display()))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("{}: no totals", out.display()))
}

/// One request as wrk sends it for this flavor; the answer must be the flavor's body.
fn request(
    conn: &mut std::io::BufReader<std::net::TcpStream>,
    flavor: &Flavor,
) -> Result<(), String> {
    let path = flavor.path;
    let head = match flavor.form {
        Some(form) => format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
        None => format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    };
    conn.get_ref()
        .write_all(head.as_bytes())
        .map_err(|e| format!("sending: {e}"))?;
    let mut body = Vec::new();
    let open = transfer::read_response(conn, &mut |data| {
        body.extend_from_slice(data);
        Ok(())
    })?;
    if body != BODY.as_bytes() {
        return Err(format!("answered {:?}", String::from_utf8_lossy(&body)));
    }
    if !open {
        return Err("the server closed the connection".into());
    }
    Ok(())
}

/// Counts every small-request flavor that can run; the table, with each flavor's ratio to its
/// baseline.
pub fn run(flavors: &[Flavor], requests: u32, out_dir: &Path) -> String {
    let mut counts: Vec<(&'static str, Result<f64, String>)> = Vec::new();
    for f in flavors {
        if f.load != Load::Wrk {
            continue;
        }
        if let Some(why) = &f.missing {
            counts.push((f.name, Err(why.clone())));
            continue;
        }
        if f.sessions.is_some() {
            // One process under callgrind, one connection, no cookies: not what they measure.
            counts.push((f.name, Err("not counted (a session flavor)".into())));
            continue;
        }
        eprintln!("bench: counting instructions: {} ...", f.name);
        let dir = out_dir.join(format!("callgrind-{}", counts.len()));
        let counted = std::fs::create_dir_all(&dir)
            .map_err(|e| e.to_string())
            .and_then(|_| writable(&dir))
            .and_then(|_| per_request(f, requests, &dir));
        if let Err(e) = &counted {
            eprintln!("bench: {}: {e}", f.name);
        }
        counts.push((f.name, counted));
    }
    let mut table = String::new();
    let _ = writeln!(
        table,
        "User-space instructions per request (callgrind; httpd -X, prefork, one keep-alive connection, {requests} requests after {WARM_UP}):\n"
    );
    let _ = writeln!(table, "| flavor | instructions/req | ratio | baseline |");
    let _ = writeln!(table, "|---|---:|---:|---|");
    for f in flavors.iter().filter(|f| f.load == Load::Wrk) {
        let Some((_, counted)) = counts.iter().find(|(n, _)| *n == f.name) else {
            continue;
        };
        let base = f
            .baseline
            .and_then(|b| counts.iter().find(|(n, _)| *n == b))
            .and_then(|(_, c)| c.as_ref().ok());
        match counted {
            Ok(n) => {
                let ratio = base.map_or("-".to_string(), |b| format!("{:.3}", n / b));
                let _ = writeln!(
                    table,
                    "| {} | {n:.0} | {ratio} | {} |",
                    f.name,
                    f.baseline.unwrap_or("-")
                );
            }
            Err(e) => {
                let first = e.lines().next().unwrap_or("");
                let _ = writeln!(table, "| {} | {first} | | |", f.name);
            }
        }
    }
    table
}

/// callgrind writes its file as the user httpd runs as.
fn writable(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
        .map_err(|e| format!("{}: {e}", dir.display()))
}
