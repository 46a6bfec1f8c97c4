//! The system packages each command needs: found, installed with apt-get when we are root on
//! Debian/Ubuntu, or named with the exact command to run.

use std::path::Path;
use std::process::Command;

/// What a command is about to do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// Build and test: httpd, its headers, Python's headers.
    Build,
    /// Regenerate bindings: libclang as well.
    Bindings,
    /// Benchmark: wrk, valgrind and the C modules compared against.
    Bench,
}

fn has_cmd(cmd: &str, arg: &str) -> bool {
    Command::new(cmd).arg(arg).output().is_ok()
}

fn apxs_dir(var: &str) -> Option<String> {
    let out = Command::new("apxs").args(["-q", var]).output().ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn python_headers() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import sysconfig,os;print(os.path.exists(os.path.join(sysconfig.get_path('include'),'Python.h')))"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "True")
}

fn python_can_import(module: &str) -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn libclang() -> bool {
    let dirs = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
    ];
    let in_dir = |d: &Path| {
        std::fs::read_dir(d)
            .map(|r| {
                r.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("libclang"))
            })
            .unwrap_or(false)
    };
    dirs.iter().any(|d| in_dir(Path::new(d)))
        || std::fs::read_dir("/usr/lib")
            .map(|r| {
                r.flatten().any(|e| {
                    e.file_name().to_string_lossy().starts_with("llvm-")
                        && in_dir(&e.path().join("lib"))
                })
            })
            .unwrap_or(false)
}

/// The Debian packages missing for `set`.
fn missing(set: Set) -> Vec<&'static str> {
    let mut m = Vec::new();
    if !harness::httpd_binary().exists() {
        m.push("apache2");
    }
    let headers = apxs_dir("INCLUDEDIR").is_some_and(|d| Path::new(&d).join("httpd.h").exists());
    if !headers {
        m.push("apache2-dev");
    }
    if !python_headers() {
        m.push("python3-dev");
    }
    // The `mod_python` command's test makes a virtual environment (`python3 -m venv`).
    if set == Set::Build && !python_can_import("ensurepip") {
        m.push("python3-venv");
    }
    if !has_cmd("pkg-config", "--version") {
        m.push("pkg-config");
    }
    // The socache tests start private memcached and redis servers (harness::stores), and the
    // bench's session flavors keep their sessions in them.
    if matches!(set, Set::Build | Set::Bench) {
        if !has_cmd("memcached", "-V") {
            m.push("memcached");
        }
        if !has_cmd("redis-server", "--version") {
            m.push("redis-server");
        }
    }
    if set == Set::Bindings && !libclang() {
        m.push("libclang-dev");
    }
    if set == Set::Bench {
        if !has_cmd("wrk", "--version") {
            m.push("wrk");
        }
        if !has_cmd("valgrind", "--version") {
            m.push("valgrind"); // --instructions
        }
        let dir = harness::system_modules_dir();
        if !dir.join("mod_python.so").exists() {
            m.push("libapache2-mod-python");
        }
        if !dir.join("mod_wsgi.so").exists() {
            m.push("libapache2-mod-wsgi-py3");
        }
    }
    m
}

/// Makes sure the packages for `set` are there.
pub fn ensure(set: Set) -> Result<(), String> {
    let m = missing(set);
    if m.is_empty() {
        if set != Set::Bindings && !libclang() {
            eprintln!("xtask: note: libclang not found; apache-sys uses its pregenerated bindings");
        }
        return Ok(());
    }
    let list = m.join(" ");
    // SAFETY: geteuid has no preconditions; it only reads our credentials.
    let root = unsafe { libc::geteuid() } == 0;
    if root && has_cmd("apt-get", "--version") {
        eprintln!("xtask: installing missing packages: {list}");
        let ok = |args: &[&str]| {
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ok(&["update"]) {
            return Err("apt-get update failed".into());
        }
        let mut args = vec!["install", "-y", "--no-install-recommends"];
        args.extend(&m);
        if !ok(&args) {
            return Err(format!("apt-get install {list} failed"));
        }
        let still = missing(set);
        return if still.is_empty() {
            Ok(())
        } else {
            Err(format!("still missing after install: {}", still.join(" ")))
        };
    }
    Err(format!(
        "missing system packages; run:\n    sudo apt-get install -y {list}"
    ))
}
