//! The cores that crashing children of test servers leave (the harness's `HARNESS_CORES`),
//! shown as gdb backtraces: a crash seen once in CI then says where it was.

use crate::workspace;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How many cores a run shows; the rest are only counted.
const SHOWN: usize = 3;

/// An empty directory for this run's cores, to give the tests as `HARNESS_CORES`.
pub fn prepare() -> PathBuf {
    let dir = workspace().join("target/cores");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Prints a backtrace of every thread of each core under `dir` (with gdb, when installed),
/// then removes them: they are large.
pub fn report(dir: &Path) {
    let mut cores = Vec::new();
    find(dir, &mut cores);
    if cores.is_empty() {
        return;
    }
    cores.sort();
    eprintln!(
        "xtask: {} core(s) of crashed httpd children under {}",
        cores.len(),
        dir.display()
    );
    let httpd = harness::httpd_binary();
    for core in cores.iter().take(SHOWN) {
        let bt = Command::new("gdb")
            .args(["-batch", "-nx", "-ex", "thread apply all bt 40"])
            .arg(&httpd)
            .arg(core)
            .output();
        match bt {
            Ok(out) => eprintln!(
                "xtask: {} (test server {}):\n{}",
                core.display(),
                core.parent()
                    .and_then(Path::file_name)
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                String::from_utf8_lossy(&out.stdout)
            ),
            Err(e) => eprintln!("xtask: {}: no backtrace (gdb: {e})", core.display()),
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn find(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            find(&p, out);
        } else if e.file_name().to_string_lossy().starts_with("core") {
            out.push(p);
        }
    }
}
