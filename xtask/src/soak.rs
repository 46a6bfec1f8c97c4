//! `cargo xtask soak`: long runs, bounded in count and time, on loopback only. For now
//! `--fuzz`: the property tests of every parser that reads what clients or configurations
//! send, with many more cases than `cargo xtask test` gives them. Each step's time is
//! reported; the first failure stops the run with the failing input.

use crate::{cargo, run};
use std::time::Instant;

/// Cases per property at `--scale 1`: the directive parsers (unit tests, fast), the package's
/// parsers through httpd (one HTTP request each, under every MPM), and the hypothesis
/// properties (in-process).
const CONFIG_CASES: u32 = 20_000;
const HTTP_CASES: u32 = 500;
const HYPOTHESIS_EXAMPLES: u32 = 5_000;

const USAGE: &str = "usage: cargo xtask soak --fuzz [--scale N]";

pub fn run_soak(args: &[String]) -> Result<(), String> {
    let mut fuzz = false;
    let mut scale: u32 = 1;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--fuzz" => fuzz = true,
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
    if !fuzz {
        return Err(format!("soak: say what to run\n{USAGE}"));
    }
    fuzz_all(scale)
}

fn fuzz_all(scale: u32) -> Result<(), String> {
    run("build", cargo().args(["build", "--workspace"]))?;
    let mut report = Vec::new();
    let mut step = |name: &str, cases: u32, f: &mut dyn FnMut(u32) -> Result<(), String>| {
        let started = Instant::now();
        f(cases)?;
        report.push(format!(
            "  {name}: {cases} cases per property, {:.0} s",
            started.elapsed().as_secs_f64()
        ));
        Ok::<(), String>(())
    };
    step(
        "directive parsers (proptest)",
        CONFIG_CASES * scale,
        &mut |n| {
            run(
                "directive parsers",
                cargo()
                    .args(["test", "-p", "mod-python", "--lib", "properties"])
                    .env("PROPTEST_CASES", n.to_string()),
            )
        },
    )?;
    step(
        "package parsers through httpd, per MPM (proptest)",
        HTTP_CASES * scale,
        &mut |n| {
            run(
                "package parsers through httpd",
                cargo()
                    .args(["test", "-p", "mod-python", "--test", "parsers"])
                    .env("PROPTEST_CASES", n.to_string()),
            )
        },
    )?;
    step(
        "package parsers in process (hypothesis)",
        HYPOTHESIS_EXAMPLES * scale,
        &mut crate::properties::check,
    )?;
    println!("soak --fuzz: every property held\n{}", report.join("\n"));
    Ok(())
}
