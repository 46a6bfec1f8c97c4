//! Records the version of the Python pyo3 links, for the `Server:` banner, which is written in
//! the parent process where Python is not initialized, and for checking a `PythonHome`; the
//! Python home a pip build inside a virtual environment makes the default
//! (`MOD_PYTHON_DEFAULT_HOME`); the `Py_3_X` cfgs of the Python built for, for the code that
//! differs between CPython versions; lists the `mod_python` package's sources for the module to
//! compile in, so adding a module to the package is adding its file, with their bytecode made
//! by that Python; and lets httpd find a libpython that is not in a system directory (a pyenv
//! Python's).

use std::path::{Path, PathBuf};
use std::process::Command;

/// One module of the `mod_python` package.
struct PackageModule {
    /// Dotted name (`mod_python.apache`).
    name: String,
    /// Its file under python/mod_python.
    file: PathBuf,
    is_package: bool,
}

impl PackageModule {
    /// The file name its code carries, which tracebacks show (the same whether the code was
    /// compiled here or from source at run time).
    fn code_filename(&self) -> String {
        let path = self.name.replace('.', "/");
        if self.is_package {
            format!("<mod_python.so>/{path}/__init__.py")
        } else {
            format!("<mod_python.so>/{path}.py")
        }
    }
}

/// Every `.py` file under `python/mod_python`, sorted by module name.
fn package_modules() -> Vec<PackageModule> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    let mut modules = Vec::new();
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
            println!("cargo:rerun-if-changed={}", path.display());
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let is_package = parts.last().is_some_and(|p| p == "__init__");
            if is_package {
                parts.pop();
            }
            modules.push(PackageModule {
                name: parts.join("."),
                file: path,
                is_package,
            });
        }
    }
    modules.sort_by(|a, b| a.name.cmp(&b.name));
    modules
}

/// Compiles every module with the Python the module links (`python`) into
/// `$OUT_DIR/bytecode/<name>.marshal` (a marshalled code object, as in a .pyc after its
/// header); returns the bytecode's magic number, or `None` (said as a warning) when that
/// Python could not do it, and each child then compiles the sources it imports.
///
/// Compiling is most of what importing the package costs, and every interpreter of every
/// child imports it: done here once, a new child answers sooner.
fn compile_package(python: &str, modules: &[PackageModule], out: &Path) -> Option<Vec<u8>> {
    const COMPILE: &str = "\
import importlib.util, marshal, sys
out = sys.argv[1]
for line in sys.stdin.read().splitlines():
    name, path, filename = line.split('\\t')
    with open(path, encoding='utf-8') as f:
        source = f.read()
    code = compile(source, filename, 'exec', dont_inherit=True, optimize=0)
    with open(out + '/' + name + '.marshal', 'wb') as f:
        f.write(marshal.dumps(code))
sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())
";
    let dir = out.join("bytecode");
    std::fs::create_dir_all(&dir).ok()?;
    let list: String = modules
        .iter()
        .map(|m| format!("{}\t{}\t{}\n", m.name, m.file.display(), m.code_filename()))
        .collect();
    let run = || -> Result<Vec<u8>, String> {
        use std::io::Write;
        let mut child = Command::new(python)
            .args(["-I", "-c", COMPILE])
            .arg(&dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(list.as_bytes())
            .map_err(|e| e.to_string())?;
        let done = child.wait_with_output().map_err(|e| e.to_string())?;
        if !done.status.success() {
            return Err(String::from_utf8_lossy(&done.stderr).into_owned());
        }
        let hex = String::from_utf8_lossy(&done.stdout).trim().to_string();
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("?"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| format!("not a magic number: {hex:?}"))
    };
    match run() {
        Ok(magic) if !magic.is_empty() => Some(magic),
        Ok(_) => None,
        Err(e) => {
            println!(
                "cargo:warning=mod_python: {python} did not compile the package ({e}); children will compile it"
            );
            None
        }
    }
}

/// Writes `$OUT_DIR/package.rs`: `PACKAGE`, one `(module name, source, bytecode, is package)`
/// per module (the bytecode empty when there is none), and `BYTECODE_MAGIC`.
fn package(python: &str) {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let modules = package_modules();
    let magic = compile_package(python, &modules, &out);
    let mut text = String::from("pub const PACKAGE: &[(&str, &str, &[u8], bool)] = &[\n");
    for m in &modules {
        let bytecode = match magic {
            Some(_) => format!(
                "include_bytes!({:?})",
                out.join("bytecode").join(format!("{}.marshal", m.name))
            ),
            None => "b\"\"".to_string(),
        };
        text += &format!(
            "    ({:?}, include_str!({:?}), {bytecode}, {}),\n",
            m.name,
            m.file.display().to_string(),
            m.is_package
        );
    }
    text += "];\n";
    text += &format!(
        "pub const BYTECODE_MAGIC: &[u8] = &{:?};\n",
        magic.unwrap_or_default()
    );
    std::fs::write(out.join("package.rs"), text).expect("OUT_DIR is writable");
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
    apxs_values();
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    package(&python);
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
