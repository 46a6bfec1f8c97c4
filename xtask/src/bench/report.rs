//! The tables printed and the JSON written: small-request flavors in one table, 100 MB
//! transfers in another, since their figures are not per small request.

use super::Figures;
use super::flavors::{BODY, Flavor, Load};
use std::fmt::Write as _;

/// How the figures were taken, for the tables' headings.
pub struct Settings {
    pub machine: String,
    pub secs: u32,
    pub conns: u32,
    pub rounds: u32,
    pub transfers: u32,
    /// Where httpd and the client ran, when they were kept apart.
    pub cpus: Option<String>,
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

fn ratio_cell(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.3}")
    } else {
        "-".into()
    }
}

/// Returns the printed tables and the JSON.
pub fn render(results: &[(&Flavor, Result<Figures, String>)], s: &Settings) -> (String, String) {
    let find = |name: &str| {
        results
            .iter()
            .find(|(f, _)| f.name == name)
            .and_then(|(_, r)| r.as_ref().ok())
    };
    // Against the baseline: (CPU per request, MiB/s).
    let ratios = |f: &Flavor, x: &Figures| {
        f.baseline
            .and_then(find)
            .map(|b| {
                let cpu = if x.cpu_ratio.is_finite() {
                    x.cpu_ratio
                } else {
                    x.cpu_us_per_req / b.cpu_us_per_req
                };
                let mib = if x.mib_ratio.is_finite() {
                    x.mib_ratio
                } else {
                    x.mib_per_s / b.mib_per_s
                };
                (cpu, mib)
            })
            .unwrap_or((f64::NAN, f64::NAN))
    };
    let machine = match &s.cpus {
        Some(cpus) => format!("{} ({cpus})", s.machine),
        None => s.machine.clone(),
    };
    let mut small = String::new();
    let _ = writeln!(
        small,
        "Machine: {machine}; event MPM; wrk -t1 -c{} -d{}s on 127.0.0.1, median of {} interleaved rounds (ratio: the median of the rounds' ratios); body {:?}\n",
        s.conns, s.secs, s.rounds, BODY
    );
    let _ = writeln!(
        small,
        "| flavor | req/s | p50 ms | p99 ms | CPU µs/req | ratio | µs over | baseline | RSS/child KiB |"
    );
    let _ = writeln!(small, "|---|---:|---:|---:|---:|---:|---:|---|---:|");
    let mut big = String::new();
    let _ = writeln!(
        big,
        "100 MiB bodies one after the other on one keep-alive connection for {}s (at most {}) per round, median of {} rounds by CPU; RSS growth: the largest of any round (targets: < 16384 KiB; download MiB/s ratio >= 0.95)\n",
        s.secs, s.transfers, s.rounds
    );
    let _ = writeln!(
        big,
        "| flavor | transfers | MiB/s | CPU µs/transfer | CPU ratio | MiB/s ratio | baseline | RSS growth KiB | client CPU % |"
    );
    let _ = writeln!(big, "|---|---:|---:|---:|---:|---:|---|---:|---:|");
    let mut json = String::from("{\n  \"machine\": ");
    json += &json_str(&s.machine);
    json += ",\n  \"cpus\": ";
    json += &s
        .cpus
        .as_deref()
        .map(json_str)
        .unwrap_or_else(|| "null".into());
    json += ",\n  \"flavors\": [\n";
    for (i, (f, r)) in results.iter().enumerate() {
        let baseline = f.baseline.unwrap_or("-");
        let baseline_json = f.baseline.map(json_str).unwrap_or_else(|| "null".into());
        match (r, f.load) {
            (Ok(x), Load::Wrk) => {
                let (cpu, _) = ratios(f, x);
                let over = if x.cpu_over_us.is_finite() {
                    format!("{:+.1}", x.cpu_over_us)
                } else {
                    "-".into()
                };
                let _ = writeln!(
                    small,
                    "| {} | {:.0} | {:.2} | {:.2} | {:.1} | {} | {over} | {baseline} | {} |",
                    f.name,
                    x.rps,
                    x.p50_ms,
                    x.p99_ms,
                    x.cpu_us_per_req,
                    ratio_cell(cpu),
                    x.rss_kb_per_child
                );
                let _ = write!(
                    json,
                    "    {{\"name\": {}, \"requests\": {}, \"rps\": {}, \"p50_ms\": {}, \"p99_ms\": {}, \"cpu_us_per_req\": {}, \"rss_kb_per_child\": {}, \"baseline\": {baseline_json}, \"cpu_ratio\": {}, \"cpu_over_us\": {}}}",
                    json_str(f.name),
                    x.requests,
                    num(x.rps),
                    num(x.p50_ms),
                    num(x.p99_ms),
                    num(x.cpu_us_per_req),
                    x.rss_kb_per_child,
                    num(cpu),
                    num(x.cpu_over_us)
                );
            }
            (Ok(x), Load::Big(dir)) => {
                let (cpu, rate) = ratios(f, x);
                let _ = writeln!(
                    big,
                    "| {} | {} | {:.0} | {:.0} | {} | {} | {baseline} | {} | {:.0} |",
                    f.name,
                    x.requests,
                    x.mib_per_s,
                    x.cpu_us_per_req,
                    ratio_cell(cpu),
                    ratio_cell(rate),
                    x.rss_growth_kb,
                    x.client_cpu_pct
                );
                let _ = write!(
                    json,
                    "    {{\"name\": {}, \"load\": {}, \"requests\": {}, \"mib_per_s\": {}, \"cpu_us_per_req\": {}, \"rss_growth_kb\": {}, \"rss_kb_per_child\": {}, \"baseline\": {baseline_json}, \"cpu_ratio\": {}, \"mib_per_s_ratio\": {}, \"client_cpu_pct\": {}}}",
                    json_str(f.name),
                    json_str(&format!("{dir:?}").to_lowercase()),
                    x.requests,
                    num(x.mib_per_s),
                    num(x.cpu_us_per_req),
                    x.rss_growth_kb,
                    x.rss_kb_per_child,
                    num(cpu),
                    num(rate),
                    num(x.client_cpu_pct)
                );
            }
            (Err(why), load) => {
                let why_line = why.lines().next().unwrap_or("");
                if load == Load::Wrk {
                    let _ = writeln!(
                        small,
                        "| {} | {why_line} | | | | | | {baseline} | |",
                        f.name
                    );
                } else {
                    let _ = writeln!(big, "| {} | {why_line} | | | | | {baseline} | | |", f.name);
                }
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
    (format!("{small}\n{big}"), json)
}
