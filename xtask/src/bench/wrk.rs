//! Runs wrk and reads its report.

use super::sh;
use std::process::Command;

/// What one wrk run measured.
pub struct Load {
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
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

/// Runs wrk against `url` for `secs` seconds: GETs, or what the Lua script `lua` makes.
pub fn wrk(url: &str, secs: u32, conns: u32, lua: Option<&str>) -> Result<Load, String> {
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
    };
    let mut non_2xx = 0u64;
    let mut socket_errors = 0u64;
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
    if non_2xx > 0 || socket_errors > load.requests / 1000 + 8 {
        return Err(format!("wrk saw errors:\n{out}"));
    }
    Ok(load)
}
