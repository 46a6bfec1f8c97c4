//! The Python `cargo xtask test` builds mod_python for: Debian's /usr/bin/python3 by default,
//! or the one `--python PATH` (or `PYO3_PYTHON`) names.
//!
//! Another Python gets a target directory of its own (`target/python-<version>-<hash>`), so that
//! builds for two Pythons do not rebuild each other. Its libpython's directory becomes the
//! module's run path when it is not one the dynamic linker searches, so httpd loads the module
//! without `LD_LIBRARY_PATH`. And httpd's children, which run as its `User`, must read the
//! Python's standard library: a Python under a directory they cannot enter (pyenv's, under a
//! root-only /root) is used through a copy of its installation in that target directory, made
//! of hard links where the file system allows, and given to the build as its default Python
//! home (`MOD_PYTHON_DEFAULT_HOME`, as a pip build inside a virtual environment does).

use crate::workspace;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python httpd's own packages embed, and the default.
pub const DEBIAN_PYTHON: &str = "/usr/bin/python3";

/// The oldest CPython mod_python supports.
const OLDEST: (u32, u32) = (3, 11);

/// A Python to build and test against, and the environment cargo needs for it.
pub struct TestPython {
    /// The interpreter the build uses (`PYO3_PYTHON`).
    pub interpreter: PathBuf,
    /// `3.12.1`.
    pub version: String,
    /// Environment variables for cargo; empty for the default Python.
    pub env: Vec<(String, String)>,
    /// Whether it is a free-threaded build (PEP 703, `python3.13t`).
    pub free_threaded: bool,
}

/// A part of the suite `cargo xtask test` runs again with configuration added to every test
/// server that loads mod_python (the harness's `HARNESS_MODULE_CONFIG`): the library's tests
/// ([`LIBRARY_TESTS`]) and its own.
pub struct Rerun {
    /// What the run is called in the output.
    pub name: &'static str,
    /// `HARNESS_MODULE_CONFIG`'s value.
    pub config: &'static str,
    /// Test files of mod-python run too.
    pub more_tests: &'static [&'static str],
}

/// The library (util, Session, Cookie, psp, publisher, wsgi), filters and connection handlers,
/// and the child's exit: what each interpreter setting must keep working.
pub const LIBRARY_TESTS: &[&str] = &[
    "util",
    "session",
    "cookie",
    "psp",
    "publisher",
    "wsgi",
    "filters",
    "lifecycle",
];

/// Every sub-interpreter with a GIL of its own (CPython 3.12+).
pub const OWN_GIL: Rerun = Rerun {
    name: "PythonInterpreterGIL own",
    config: "python_module=PythonInterpreterGIL own",
    more_tests: &[],
};

/// No GIL (a free-threaded CPython): also the request object, handlers and interpreters, which
/// threads of one interpreter now use at once.
pub const FREE_THREADING: Rerun = Rerun {
    name: "PythonFreeThreading On",
    config: "python_module=PythonFreeThreading On",
    more_tests: &["request_api", "handlers", "interpreters"],
};

impl TestPython {
    /// Whether this Python gives sub-interpreters a GIL of their own (3.12 and later).
    pub fn has_own_gil(&self) -> bool {
        let mut parts = self
            .version
            .split('.')
            .filter_map(|p| p.parse::<u32>().ok());
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (3, 12)
    }

    /// Whether this is the default Python (nothing changes from a plain build).
    pub fn is_default(&self) -> bool {
        self.env.is_empty()
    }

    /// Sets this Python's environment on a cargo command.
    pub fn apply<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
    }
}

/// What an interpreter says about itself.
struct Facts {
    executable: PathBuf,
    version: String,
    base_prefix: PathBuf,
    shared: bool,
    /// Its standard library's `os.py` (under `lib/python3.13t` for a free-threaded build).
    stdlib: PathBuf,
    free_threaded: bool,
}

fn facts(python: &Path) -> Result<Facts, String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys, sysconfig, platform\n\
             print(sys.executable); print(platform.python_version()); print(sys.base_prefix)\n\
             print(sysconfig.get_config_var('Py_ENABLE_SHARED') or 0)\n\
             print(sysconfig.get_path('stdlib'))\n\
             print(sysconfig.get_config_var('Py_GIL_DISABLED') or 0)",
        ])
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    match (out.status.success(), lines.as_slice()) {
        (true, [exe, version, base, shared, stdlib, free]) => Ok(Facts {
            executable: PathBuf::from(exe),
            version: version.to_string(),
            base_prefix: PathBuf::from(base),
            shared: shared.trim() == "1",
            stdlib: Path::new(stdlib).join("os.py"),
            free_threaded: free.trim() == "1",
        }),
        _ => Err(format!(
            "{} does not run as a Python: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

/// The Python named by `--python` (else `PYO3_PYTHON`, else the default), checked and
/// prepared.
pub fn choose(named: Option<&str>) -> Result<TestPython, String> {
    let named = named
        .map(str::to_string)
        .or_else(|| std::env::var("PYO3_PYTHON").ok())
        .unwrap_or_else(|| DEBIAN_PYTHON.to_string());
    let f = facts(Path::new(&named))?;
    if Path::new(&named) == Path::new(DEBIAN_PYTHON) {
        return Ok(TestPython {
            interpreter: PathBuf::from(DEBIAN_PYTHON),
            version: f.version,
            env: Vec::new(),
            free_threaded: f.free_threaded,
        });
    }
    let minor: Vec<u32> = f
        .version
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect();
    if minor.len() < 2 || (minor[0], minor[1]) < OLDEST {
        return Err(format!(
            "{named} is Python {}: mod_python needs CPython {}.{} or later",
            f.version, OLDEST.0, OLDEST.1
        ));
    }
    if !f.shared {
        return Err(format!(
            "{named} (Python {}) has no shared libpython: httpd can only load a module that \
             links one (build that Python with --enable-shared)",
            f.version
        ));
    }
    let target = workspace().join("target").join(format!(
        "python-{}-{:08x}",
        f.version,
        short_hash(&f.executable)
    ));
    let mut interpreter = f.executable.clone();
    let mut env = vec![("CARGO_TARGET_DIR".to_string(), target.display().to_string())];
    let stdlib = &f.stdlib;
    if let Some(user) = children_user().filter(|u| !readable_by(u, stdlib)) {
        let copy = target.join("python");
        eprintln!(
            "xtask: httpd's children (user {user}) cannot read {}: testing Python {} through a \
             copy of {} at {}",
            stdlib.display(),
            f.version,
            f.base_prefix.display(),
            copy.display()
        );
        copy_installation(&f.base_prefix, &copy)?;
        let inside = f.executable.strip_prefix(&f.base_prefix).map_err(|_| {
            format!(
                "{} is not inside its prefix {}: cannot use a copy",
                f.executable.display(),
                f.base_prefix.display()
            )
        })?;
        interpreter = copy.join(inside);
        env.push((
            "MOD_PYTHON_DEFAULT_HOME".to_string(),
            copy.display().to_string(),
        ));
    }
    env.push(("PYO3_PYTHON".to_string(), interpreter.display().to_string()));
    Ok(TestPython {
        interpreter,
        version: f.version,
        env,
        free_threaded: f.free_threaded,
    })
}

fn short_hash(path: &Path) -> u32 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    h.finish() as u32
}

/// The user the harness runs httpd's children as, when the tests run as root (and so httpd
/// switches to it); `None` when the children are this user.
fn children_user() -> Option<&'static str> {
    // SAFETY: geteuid has no preconditions; it only reads our credentials.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let www = Command::new("id")
        .arg("www-data")
        .output()
        .is_ok_and(|o| o.status.success());
    Some(if www { "www-data" } else { "nobody" })
}

fn readable_by(user: &str, file: &Path) -> bool {
    Command::new("setpriv")
        .args([
            "--reuid",
            user,
            "--regid",
            user,
            "--clear-groups",
            "--",
            "test",
            "-r",
        ])
        .arg(file)
        .status()
        .is_ok_and(|s| s.success())
}

/// Copies the installation at `from` to `to` once (hard links when both are on one file system,
/// else a copy), leaving a stamp naming the source.
fn copy_installation(from: &Path, to: &Path) -> Result<(), String> {
    let stamp = to.join(".copied-from");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| Path::new(s.trim()) == from) {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(to);
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let copied = |flags: &str| {
        Command::new("cp")
            .arg(flags)
            .arg(from)
            .arg(to)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !copied("-al") {
        let _ = std::fs::remove_dir_all(to);
        if !copied("-a") {
            return Err(format!(
                "cannot copy {} to {}",
                from.display(),
                to.display()
            ));
        }
    }
    std::fs::write(&stamp, from.display().to_string())
        .map_err(|e| format!("{}: {e}", stamp.display()))
}
