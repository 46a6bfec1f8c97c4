//! Runs wrk and reads its report.

use super::sh;
use std::process::Command;

/// What one wrk run measured.
pub struct Load {
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub avg_ms: f64,
    pub max_ms: f64,
    /// Answers with a status other than 2xx or 3xx.
    pub non_2xx: u64,
    pub errors: SocketErrors,
    /// wrk's report as it printed it (with what a Lua `done` function wrote).
    pub output: String,
}

/// wrk's "Socket errors" line: connections it could not open, read from or write to, and
/// requests not answered within its timeout.
#[derive(Debug, Clone, Copy, Default)]
pub struct SocketErrors {
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    pub timeout: u64,
}

impl SocketErrors {
    pub fn total(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout
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

/// The Lua script that makes wrk POST `form` (urlencoded): wrk sends a body only from a script.
pub fn post_lua(form: &str) -> String {
    format!(
        "wrk.method = \"POST\"\nwrk.body = {form:?}\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n"
    )
}

/// The Lua script that sends each request with one of `cookies` (`name=value`), picked at
/// random: requests of many sessions, few of them at once.
pub fn cookie_lua(cookies: &[String]) -> String {
    let list: Vec<String> = cookies.iter().map(|c| format!("{c:?}")).collect();
    format!(
        "local cookies = {{{}}}\nrequest = function()\n  return wrk.format(nil, nil, {{[\"Cookie\"] = cookies[math.random(#cookies)]}})\nend\n",
        list.join(", ")
    )
}

/// Runs wrk against `url` for `secs` seconds: GETs, or what the Lua script `lua` makes; fails
/// on any wrong answer or more than a few socket errors.
pub fn wrk(url: &str, secs: u32, conns: u32, lua: Option<&str>) -> Result<Load, String> {
    let load = run(url, secs, conns, lua)?;
    // wrk counts the connections it cuts itself when the time is up as read errors; a few are
    // noise, a wrong answer never is.
    if load.non_2xx > 0 || load.errors.total() > load.requests / 1000 + 8 {
        return Err(format!("wrk saw errors:\n{}", load.output));
    }
    Ok(load)
}

/// Runs wrk as [`wrk`] does and reads its report, errors counted, not judged.
pub fn run(url: &str, secs: u32, conns: u32, lua: Option<&str>) -> Result<Load, String> {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t1",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        "--latency",
        "--timeout",
        "5s",
    ]);
    let script = match lua {
        Some(lua) => {
            let path =
                std::env::temp_dir().join(format!("apache-rs-bench-{}.lua", std::process::id()));
            std::fs::write(&path, lua).map_err(|e| format!("{}: {e}", path.display()))?;
            cmd.arg("-s").arg(&path);
            Some(path)
        }
        None => None,
    };
    let out = sh(cmd.arg(url));
    if let Some(path) = script {
        let _ = std::fs::remove_file(path);
    }
    let out = out?;
    let mut load = Load {
        requests: 0,
        rps: 0.0,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        avg_ms: f64::NAN,
        max_ms: f64::NAN,
        non_2xx: 0,
        errors: SocketErrors::default(),
        output: String::new(),
    };
    for line in out.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            load.rps = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t.strip_prefix("50%") {
            load.p50_ms = parse_duration_ms(v);
        } else if let Some(v) = t.strip_prefix("99%") {
            load.p99_ms = parse_duration_ms(v);
        } else if t.contains(" requests in ") {
            load.requests = t
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("Latency") {
            // "Latency   631.36us  283.78us   5.37ms   82.24%": average, deviation, maximum.
            let fields: Vec<&str> = v.split_whitespace().collect();
            if fields.len() >= 3 {
                load.avg_ms = parse_duration_ms(fields[0]);
                load.max_ms = parse_duration_ms(fields[2]);
            }
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            load.non_2xx = v.trim().parse().unwrap_or(u64::MAX);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            // "connect 0, read 1, write 0, timeout 0"
            for part in v.split(',') {
                let mut words = part.split_whitespace();
                let (Some(kind), Some(n)) = (words.next(), words.next()) else {
                    continue;
                };
                let n = n.parse().unwrap_or(u64::MAX);
                match kind {
                    "connect" => load.errors.connect = n,
                    "read" => load.errors.read = n,
                    "write" => load.errors.write = n,
                    _ => load.errors.timeout = n,
                }
            }
        }
    }
    load.output = out;
    Ok(load)
}
