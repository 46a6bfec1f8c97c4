//! Records the version of the Python pyo3 links, for the `Server:` banner, which is written in
//! the parent process where Python is not initialized, and for checking a `PythonHome`; the
//! Python home a pip build inside a virtual environment makes the default
//! (`MOD_PYTHON_DEFAULT_HOME`); the `Py_3_X` cfgs of the Python built for, for the code that
//! differs between CPython versions; lists the `mod_python` package's sources for the module to
//! compile in, so adding a module to the package is adding its file; and lets httpd find a
//! libpython that is not in a system directory (a pyenv Python's).

use std::path::Path;
use std::process::Command;

/// Writes `$OUT_DIR/package_sources.rs`: one `(module name, include_str!(file), is package)`
/// per `.py` file under `python/mod_python`.
fn package_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    let mut entries = Vec::new();
    let mut dirs = vec![root.join("mod_python")];
    while let Some(dir) = dirs.pop() {
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("python/mod_python is readable")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for path in files {
            if path.is_dir() {
                if path.join("__init__.py").exists() {
                    dirs.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "py") {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let is_package = parts.last().is_some_and(|p| p == "__init__");
            if is_package {
                parts.pop();
            }
            entries.push((parts.join("."), path.display().to_string(), is_package));
        }
    }
    entries.sort();
    let mut out = String::from("&[\n");
    for (name, file, is_package) in entries {
        out += &format!("    ({name:?}, include_str!({file:?}), {is_package}),\n");
    }
    out += "]\n";
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("package_sources.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// What `apxs` says of the httpd this module is built for, for `mod_python.version`
/// (empty when apxs is missing).
fn apxs_values() {
    let query = |what: &str| {
        Command::new("apxs")
            .args(["-q", what])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let (sbindir, progname) = (query("SBINDIR"), query("PROGNAME"));
    let httpd = if sbindir.is_empty() || progname.is_empty() {
        String::new()
    } else {
        format!("{sbindir}/{progname}")
    };
    println!("cargo:rustc-env=MOD_PYTHON_APXS_HTTPD={httpd}");
    for name in ["LIBEXECDIR", "SYSCONFDIR"] {
        println!("cargo:rustc-env=MOD_PYTHON_APXS_{name}={}", query(name));
    }
}

fn main() {
    package_sources();
    apxs_values();
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
    println!("cargo:rustc-env=MOD_PYTHON_PYTHON_BIN={python}");
    libpython_rpath(&python);
    pyo3_build_config::use_pyo3_cfgs();
    // pyo3's own cfg, which lib.rs insists on (see .cargo/config.toml).
    println!("cargo::rustc-check-cfg=cfg(pyo3_disable_reference_pool)");
    default_home();
}

/// httpd loads mod_python.so with no LD_LIBRARY_PATH, so the dynamic linker finds libpython only
/// in its own directories: for a Python installed elsewhere (pyenv, a /opt build) the module
/// records the directory as its run path.
fn libpython_rpath(python: &str) {
    let out = Command::new(python)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_config_var('LIBDIR') or ''); \
             print(sysconfig.get_config_var('Py_ENABLE_SHARED') or 0)",
        ])
        .output();
    let Ok(out) = out else { return };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let (Some(libdir), Some(shared)) = (lines.next(), lines.next()) else {
        return;
    };
    // A static libpython is linked into the module: nothing to find at run time.
    if shared.trim() != "1" || libdir.is_empty() || is_system_lib_dir(Path::new(libdir)) {
        return;
    }
    println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
}

/// The directories the dynamic linker searches without being told: /lib, /usr/lib, their
/// 64-bit and Debian multiarch (`x86_64-linux-gnu`) subdirectories.
fn is_system_lib_dir(dir: &Path) -> bool {
    let dir: std::path::PathBuf = dir.components().collect();
    let bases = [Path::new("/lib"), Path::new("/usr/lib")];
    let multiarch = dir.parent().is_some_and(|p| bases.contains(&p))
        && dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with("-linux-gnu"));
    bases.contains(&dir.as_path())
        || dir == Path::new("/lib64")
        || dir == Path::new("/usr/lib64")
        || multiarch
}

/// `MOD_PYTHON_DEFAULT_HOME`, given by the build's caller (pip, building in a virtual
/// environment, passes the environment's prefix): the Python home used when the configuration
/// has no `PythonHome`. Empty when not given.
fn default_home() {
    println!("cargo:rerun-if-env-changed=MOD_PYTHON_DEFAULT_HOME");
    let home = std::env::var("MOD_PYTHON_DEFAULT_HOME").unwrap_or_default();
    println!("cargo:rustc-env=MOD_PYTHON_DEFAULT_HOME={}", home.trim());
}
