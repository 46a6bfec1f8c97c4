//! `cargo xtask new` makes a module crate that builds on its own and loads into httpd: the
//! crate's own test, run here with `cargo test`, starts a real httpd with it under each MPM.

use std::path::{Path, PathBuf};
use std::process::Command;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

#[test]
fn a_new_module_builds_and_loads_into_httpd() {
    let dir = target_dir()
        .join("xtask-new")
        .join(format!("mod_greet_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["new", dir.to_str().unwrap(), "--name", "greet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["Cargo.toml", "src/lib.rs", "tests/httpd.rs", "README.md"] {
        assert!(dir.join(file).is_file(), "{file} was not made");
    }
    // Not again over a crate that exists.
    let again = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["new", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success());
    // A target directory kept between runs, so the dependencies build once.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let test = Command::new(cargo)
        .arg("test")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir().join("xtask-new/target"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(
        test.status.success(),
        "cargo test in the new crate failed:\n{text}"
    );
    assert!(
        text.contains("answers_where_its_handler_is_set ... ok"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
