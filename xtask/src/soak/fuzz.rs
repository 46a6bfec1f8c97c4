//! `cargo xtask soak --fuzz`: the property tests of every parser that reads what clients or configurations
//! send, with many more cases than `cargo xtask test` gives them, then coverage-guided
//! fuzzing: mod_python.Cookie under atheris, the directive parsers under cargo-fuzz (where a
//! nightly toolchain is installed). Each step's time is reported; the first failure stops
//! the run with the failing input.

use crate::{cargo, run, venv, workspace};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// At `--scale 1`: cases per property for the directive parsers (unit tests, fast) and the
/// package's parsers through httpd (one HTTP request each, under every MPM); hypothesis
/// examples per property; seconds of each coverage-guided fuzzer.
const CONFIG_CASES: u32 = 20_000;
const HTTP_CASES: u32 = 5_000;
const HYPOTHESIS_EXAMPLES: u32 = 5_000;
const FUZZ_SECONDS: u32 = 120;

/// atheris, the coverage-guided fuzzer for Python (libFuzzer's), pinned.
const ATHERIS: &[&str] = &["atheris==3.0.0"];

/// What one step did, for the report.
struct Step {
    name: &'static str,
    amount: String,
    seconds: f64,
}

pub fn fuzz_all(scale: u32) -> Result<(), String> {
    run("build", cargo().args(["build", "--workspace"]))?;
    let mut report: Vec<Step> = Vec::new();
    let mut step =
        |name: &'static str, amount: String, f: &mut dyn FnMut() -> Result<(), String>| {
            let started = Instant::now();
            f()?;
            report.push(Step {
                name,
                amount,
                seconds: started.elapsed().as_secs_f64(),
            });
            Ok::<(), String>(())
        };
    let cases = |n: u32| format!("{} cases per property", n * scale);
    step(
        "directive parsers, proptest",
        cases(CONFIG_CASES),
        &mut || {
            proptest(
                "directive parsers",
                &["--lib", "properties"],
                CONFIG_CASES * scale,
            )
        },
    )?;
    step(
        "package parsers through httpd, proptest (each MPM)",
        cases(HTTP_CASES),
        &mut || {
            proptest(
                "package parsers",
                &["--test", "parsers"],
                HTTP_CASES * scale,
            )
        },
    )?;
    step(
        "package parsers, hypothesis",
        cases(HYPOTHESIS_EXAMPLES),
        &mut || crate::properties::check(HYPOTHESIS_EXAMPLES * scale),
    )?;
    let seconds = FUZZ_SECONDS * scale;
    step(
        "mod_python.Cookie, atheris",
        format!("{seconds} s"),
        &mut || atheris(seconds),
    )?;
    step(
        "directive parsers, cargo-fuzz",
        format!("{seconds} s"),
        &mut || cargo_fuzz(seconds),
    )?;
    println!("soak --fuzz: every property held, no fuzzer found a failure");
    for s in report {
        println!("  {}: {}, {:.0} s", s.name, s.amount, s.seconds);
    }
    Ok(())
}

fn proptest(what: &str, target: &[&str], cases: u32) -> Result<(), String> {
    run(
        what,
        cargo()
            .args(["test", "-p", "mod-python"])
            .args(target)
            .env("PROPTEST_CASES", cases.to_string()),
    )
}

/// A fuzzer's corpus, kept between runs so that each starts where the last stopped.
fn corpus(name: &str) -> Result<PathBuf, String> {
    let dir = venv::target_dir().join("fuzz-corpus").join(name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn atheris(seconds: u32) -> Result<(), String> {
    let Some(bin) = venv::tools("python-fuzz", ATHERIS, "atheris")? else {
        return Ok(());
    };
    run(
        "atheris",
        Command::new(bin.join("python"))
            .arg("tests/atheris/cookie_fuzz.py")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048")
            .arg(corpus("cookie")?)
            .env("PYTHONPATH", "python")
            .current_dir(workspace().join("mod-python")),
    )
}

/// cargo-fuzz needs a nightly toolchain (it builds with sanitizers): without one the step is
/// skipped, saying so; cargo-fuzz itself is installed with `cargo install` when missing.
fn cargo_fuzz(seconds: u32) -> Result<(), String> {
    let nightly = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("nightly"));
    if !nightly {
        eprintln!(
            "xtask: cargo-fuzz skipped: no nightly toolchain (rustup toolchain install nightly)"
        );
        return Ok(());
    }
    let has_fuzz = |dir: &Path| {
        Command::new("cargo")
            .args(["+nightly", "fuzz", "--version"])
            .current_dir(dir)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let package = workspace().join("mod-python");
    if !has_fuzz(&package) {
        run(
            "install cargo-fuzz",
            cargo().args(["install", "--locked", "cargo-fuzz"]),
        )?;
    }
    run(
        "cargo-fuzz",
        Command::new("cargo")
            .args(["+nightly", "fuzz", "run", "directives"])
            .arg(corpus("directives")?)
            .args(["--", &format!("-max_total_time={seconds}")])
            .current_dir(&package),
    )
}
