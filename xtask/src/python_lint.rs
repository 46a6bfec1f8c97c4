//! `ruff check` and `mypy` on the Python mod_python.so embeds (mod-python/python, configured
//! by its ruff.toml and mypy.ini), run by `cargo xtask test`.
//!
//! The tools come from PyPI, pinned, into a virtual environment cached in the target
//! directory and made with Debian's /usr/bin/python3, the Python httpd runs, so that mypy
//! reads that Python's standard library. Only when PyPI cannot be reached is the check
//! skipped, saying so.

use crate::workspace;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The tools and what they need, pinned so that every run checks by the same rules.
const PINNED: &[&str] = &[
    "ruff==0.17.6",
    "mypy==2.4.1",
    "mypy_extensions==1.2.0",
    "typing_extensions==4.16.0",
    "pathspec==1.1.1",
    "librt==0.17.0",
    "ast_serialize==0.13.1",
];

/// The Python httpd embeds; the environment is made with it.
const PYTHON: &str = "/usr/bin/python3";

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// Runs ruff and mypy; `Ok` also when they were skipped because PyPI is unreachable.
pub fn check() -> Result<(), String> {
    let env = target_dir().join("python-lint");
    let bin = match tools(&env) {
        Ok(bin) => bin,
        Err(Unavailable::Offline(why)) => {
            eprintln!("xtask: ruff and mypy skipped: PyPI cannot be reached ({why})");
            return Ok(());
        }
        Err(Unavailable::Failed(why)) => return Err(why),
    };
    let sources = workspace().join("mod-python/python");
    let caches = env.join("caches");
    crate::run(
        "ruff",
        Command::new(bin.join("ruff"))
            .args(["check", "--no-fix", "--cache-dir"])
            .arg(caches.join("ruff"))
            .arg(".")
            .current_dir(&sources),
    )?;
    // mypy reads mypy.ini in the directory it runs in, which names the files to check.
    crate::run(
        "mypy",
        Command::new(bin.join("mypy"))
            .arg("--cache-dir")
            .arg(caches.join("mypy"))
            .current_dir(&sources),
    )
}

enum Unavailable {
    /// PyPI could not be reached: the check is skipped.
    Offline(String),
    /// Anything else: the check fails.
    Failed(String),
}

/// The `bin` directory of the environment holding the pinned tools, made or brought up to
/// date when the pins changed.
fn tools(env: &Path) -> Result<PathBuf, Unavailable> {
    let bin = env.join("bin");
    let stamp = env.join("pinned.txt");
    let wanted = PINNED.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) && bin.join("mypy").exists() {
        return Ok(bin);
    }
    let failed = |what: String| Unavailable::Failed(what);
    let status = Command::new(PYTHON)
        .args(["-m", "venv", "--clear"])
        .arg(env)
        .status()
        .map_err(|e| failed(format!("{PYTHON} -m venv: {e}")))?;
    if !status.success() {
        return Err(failed(format!(
            "{PYTHON} -m venv {} failed ({status}); Debian needs python3-venv",
            env.display()
        )));
    }
    let installed = Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(PINNED)
        .status()
        .map_err(|e| failed(format!("pip: {e}")))?;
    if !installed.success() {
        if let Err(why) = reach_pypi() {
            return Err(Unavailable::Offline(why));
        }
        return Err(failed(format!(
            "pip install {} failed ({installed})",
            wanted.replace('\n', " ")
        )));
    }
    std::fs::write(&stamp, wanted).map_err(|e| failed(format!("{}: {e}", stamp.display())))?;
    Ok(bin)
}

/// Whether PyPI answers a connection, after pip failed: `Err` says why not.
fn reach_pypi() -> Result<(), String> {
    let addrs = ("pypi.org", 443)
        .to_socket_addrs()
        .map_err(|e| format!("pypi.org: {e}"))?;
    let mut last = String::from("pypi.org has no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}
