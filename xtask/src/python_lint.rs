//! `ruff check` and `mypy` on the Python mod_python.so embeds (mod-python/python, configured
//! by its ruff.toml and mypy.ini), run by `cargo xtask test`; then mypy on the type stubs the
//! package ships (mod_python/*.pyi), on stub_check/uses_everything.py, which uses every name
//! they declare, and on the Python examples of mod-python/examples and of the guide (every
//! code block of docs/src marked `python`), as a handler's author would check them
//! (stub_check/mypy.ini).
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

/// The tools and what they need, pinned so that every run checks by the same rules (the
/// test of the installed stubs, mod-python/tests/cli.rs, installs the same mypy).
const PINNED: &str = include_str!("../../mod-python/python/lint-requirements.txt");

fn pinned() -> impl Iterator<Item = &'static str> {
    PINNED.lines().map(str::trim).filter(|l| !l.is_empty())
}

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
    )?;
    let stubs_mypy = || {
        let mut cmd = Command::new(bin.join("mypy"));
        cmd.args(["--config-file", "stub_check/mypy.ini", "--cache-dir"])
            .arg(caches.join("mypy-stubs"))
            .current_dir(&sources);
        cmd
    };
    // The files its configuration names: the stubs, uses_everything.py, the examples.
    crate::run("mypy (type stubs)", &mut stubs_mypy())?;
    let snippets = write_guide_examples(&workspace().join("docs/src"), &env.join("guide"))?;
    crate::run("mypy (the guide's Python)", stubs_mypy().args(&snippets))
}

/// Writes each `python` code block of the guide's chapters into `dest` as a file of its own, named
/// after its chapter and line (`mp_util_md_12.py`), for mypy; returns their paths.
fn write_guide_examples(src: &Path, dest: &Path) -> Result<Vec<PathBuf>, String> {
    let _ = std::fs::remove_dir_all(dest);
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(src)
        .map_err(|e| format!("{}: {e}", src.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    let mut written = Vec::new();
    for chapter in chapters {
        let text =
            std::fs::read_to_string(&chapter).map_err(|e| format!("{}: {e}", chapter.display()))?;
        let stem = chapter
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .replace('-', "_");
        for (line, code) in python_blocks(&text) {
            let path = dest.join(format!("{stem}_md_{line}.py"));
            std::fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// The `python` code blocks of a chapter: the line of each opening fence, and the code.
fn python_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(info)) if info.trim() == "python" => open = Some((i + 1, String::new())),
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some((_, code)), None) => {
                code.push_str(line);
                code.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
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
    let wanted = pinned().collect::<Vec<_>>().join("\n");
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
        .args(pinned())
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

#[cfg(test)]
mod tests {
    use super::python_blocks;

    #[test]
    fn finds_the_python_blocks_of_a_chapter() {
        let text = "# T\n\n```python\nimport os\n```\n\n```apache\nListen 80\n```\n\n\
                    ```python\nx = 1\ny = 2\n```\n";
        assert_eq!(
            python_blocks(text),
            [
                (3, "import os\n".to_string()),
                (11, "x = 1\ny = 2\n".to_string())
            ]
        );
    }
}
