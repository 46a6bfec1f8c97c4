//! `ruff check` and `mypy` on the Python mod_python.so embeds (mod-python/python, configured
//! by its ruff.toml and mypy.ini), run by `cargo xtask test`.
//!
//! The tools come from PyPI, pinned, into a virtual environment cached in the target
//! directory (`venv.rs`). Only when PyPI cannot be reached is the check skipped, saying so.

use crate::venv;
use crate::workspace;
use std::process::Command;

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

/// Runs ruff and mypy; `Ok` also when they were skipped because PyPI is unreachable.
pub fn check() -> Result<(), String> {
    let Some(bin) = venv::tools("python-lint", PINNED, "ruff and mypy")? else {
        return Ok(());
    };
    let sources = workspace().join("mod-python/python");
    let caches = venv::target_dir().join("python-lint/caches");
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
