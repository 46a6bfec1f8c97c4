//! The hypothesis properties of the Python package (`mod-python/tests/hypothesis`), run by
//! `cargo xtask test` and, with many more examples, `cargo xtask soak --fuzz`: mod_python.Cookie's
//! outside httpd (it imports nothing of httpd), the parsers that import mod_python.apache
//! inside httpd, through `mod-python/tests/hypothesis.rs` under every MPM.

use crate::venv;
use crate::{cargo, run, workspace};
use std::process::Command;

/// hypothesis and what it needs, pinned.
const PINNED: &[&str] = &["hypothesis==6.170.27", "sortedcontainers==2.4.0"];

/// Runs every property with `examples` examples each; `Ok` also when skipped because PyPI
/// is unreachable.
pub fn check(examples: u32) -> Result<(), String> {
    let Some(bin) = venv::tools("python-props", PINNED, "hypothesis properties")? else {
        return Ok(());
    };
    let python = bin.join("python");
    let site = Command::new(&python)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ])
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    let site = String::from_utf8_lossy(&site.stdout).trim().to_string();
    let examples = examples.to_string();
    let package = workspace().join("mod-python");
    run(
        "hypothesis outside httpd",
        Command::new(&python)
            .args(["tests/hypothesis/runner.py", "cookie_properties"])
            .env("PYTHONPATH", "python:tests/hypothesis")
            .env("MP_HYPOTHESIS_EXAMPLES", &examples)
            .current_dir(&package),
    )?;
    run(
        "hypothesis inside httpd",
        cargo()
            .args(["test", "-p", "mod-python", "--test", "hypothesis", "--"])
            .args(["--ignored", "--nocapture"])
            .env("MOD_PYTHON_HYPOTHESIS_SITE", &site)
            .env("MP_HYPOTHESIS_EXAMPLES", &examples),
    )
}
