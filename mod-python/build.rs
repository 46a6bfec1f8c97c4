//! Records the version of the Python pyo3 links, for the `Server:` banner, which is written in
//! the parent process where Python is not initialized.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let version = Command::new(&python)
        .args(["-c", "import platform; print(platform.python_version())"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "3".into());
    println!("cargo:rustc-env=MOD_PYTHON_PY_VERSION={version}");
}
