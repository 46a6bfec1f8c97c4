//! Virtual environments of pinned packages from PyPI, cached in the target directory and made
//! with Debian's /usr/bin/python3, the Python httpd runs (so that mypy reads that Python's
//! standard library, and hypothesis runs in the interpreter mod_python embeds). Only when
//! PyPI cannot be reached is what needs one skipped, saying so.

use crate::workspace;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The Python httpd embeds; the environments are made with it.
pub const PYTHON: &str = "/usr/bin/python3";

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

enum Unavailable {
    /// PyPI could not be reached: the step is skipped.
    Offline(String),
    /// Anything else: the step fails.
    Failed(String),
}

/// The `bin` directory of the environment `target/<name>` holding `pins`; `None` (saying
/// that `what` is skipped, and why) when PyPI cannot be reached to make it.
pub fn tools(name: &str, pins: &[&str], what: &str) -> Result<Option<PathBuf>, String> {
    match pinned(name, pins) {
        Ok(bin) => Ok(Some(bin)),
        Err(Unavailable::Offline(why)) => {
            eprintln!("xtask: {what} skipped: PyPI cannot be reached ({why})");
            Ok(None)
        }
        Err(Unavailable::Failed(why)) => Err(why),
    }
}

/// The environment's `bin` directory, made or brought up to date when the pins changed.
fn pinned(name: &str, pins: &[&str]) -> Result<PathBuf, Unavailable> {
    let env = target_dir().join(name);
    let bin = env.join("bin");
    let stamp = env.join("pinned.txt");
    let wanted = pins.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) && bin.join("python").exists() {
        return Ok(bin);
    }
    let failed = |what: String| Unavailable::Failed(what);
    let status = Command::new(PYTHON)
        .args(["-m", "venv", "--clear"])
        .arg(&env)
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
        .args(pins)
        .status()
        .map_err(|e| failed(format!("pip: {e}")))?;
    if !installed.success() {
        if let Err(why) = reach_pypi() {
            return Err(Unavailable::Offline(why));
        }
        return Err(failed(format!(
            "pip install {} failed ({installed})",
            pins.join(" ")
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
