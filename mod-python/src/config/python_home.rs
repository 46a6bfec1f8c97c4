//! `PythonHome`: the Python installation or virtual environment the embedded CPython starts
//! from, like mod_wsgi's `WSGIPythonHome`.
//!
//! The directory is looked at when the configuration is read, in the parent, where no Python
//! runs: a wrong path, or one of another Python version than the module was built for, is a
//! configuration error with the file and line, also under `httpd -t`. The Python home a pip
//! build was given (`MOD_PYTHON_DEFAULT_HOME`, the virtual environment pip ran in) applies
//! when no `PythonHome` is configured, and is looked at in `check_config` the same way.

use std::path::{Path, PathBuf};

/// The Python this module was built for.
#[derive(Debug, Clone)]
pub struct BuiltFor {
    /// `major.minor`, e.g. `3.11`, with `t` for a free-threaded build (`3.13t`, as its
    /// `lib/python3.13t` is named).
    pub version: String,
    /// The interpreter the build asked (`PYO3_PYTHON`).
    pub interpreter: String,
}

impl BuiltFor {
    /// This build's Python.
    pub fn this() -> BuiltFor {
        BuiltFor {
            version: format!(
                "{}{}",
                major_minor(env!("MOD_PYTHON_PY_VERSION")),
                if cfg!(Py_GIL_DISABLED) { "t" } else { "" }
            ),
            interpreter: env!("MOD_PYTHON_PYTHON_BIN").to_string(),
        }
    }
}

/// `3.11` of `3.11.2` (or of `3.11.2.final.0`).
fn major_minor(version: &str) -> &str {
    let end = version
        .match_indices('.')
        .nth(1)
        .map_or(version.len(), |(i, _)| i);
    &version[..end]
}

/// A Python home that was looked at and fits this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonHome {
    /// A virtual environment (it has a `pyvenv.cfg`): Python starts as the environment's own
    /// interpreter would, with its site-packages, and sys.prefix the environment.
    Venv {
        root: PathBuf,
        /// `bin/python` of the environment, what `sys.executable` names.
        executable: PathBuf,
        /// The standard library of the Python the environment was made from (`os.py`), when
        /// `pyvenv.cfg` names one that has it.
        stdlib: Option<PathBuf>,
    },
    /// An installation prefix (it has `lib/pythonX.Y/os.py`), given to Python as its home.
    Prefix {
        root: PathBuf,
        /// `bin/pythonX.Y` (or `bin/python3`) of the installation, when there is one.
        executable: Option<PathBuf>,
        /// Its standard library's `os.py`.
        stdlib: PathBuf,
    },
}

impl PythonHome {
    /// Looks at `path` and decides what Python home it is; `Err` says why it cannot be one
    /// for this module, naming both versions when they differ.
    pub fn inspect(path: &str, built: &BuiltFor) -> Result<PythonHome, String> {
        let root = PathBuf::from(path);
        if !root.is_absolute() {
            return Err(format!("{path} is not an absolute path"));
        }
        let meta = match std::fs::metadata(&root) {
            Ok(m) => m,
            Err(e) => return Err(format!("{path}: {}", unreadable(&e))),
        };
        if !meta.is_dir() {
            let hint = match root.parent() {
                Some(bin) if bin.ends_with("bin") => bin
                    .parent()
                    .map(|p| format!(" (for this interpreter: {})", p.display()))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            return Err(format!(
                "{path} is not a directory: name a virtual environment's directory or an \
                 installation prefix{hint}"
            ));
        }
        let cfg = root.join("pyvenv.cfg");
        match std::fs::read_to_string(&cfg) {
            Ok(text) => Self::venv(root, &text, built),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::prefix(root, built),
            Err(e) => Err(format!("{}: {}", cfg.display(), unreadable(&e))),
        }
    }

    fn venv(root: PathBuf, cfg: &str, built: &BuiltFor) -> Result<PythonHome, String> {
        let path = root.display();
        let value = |key: &str| {
            cfg.lines().find_map(|line| {
                let (k, v) = line.split_once('=')?;
                k.trim().eq_ignore_ascii_case(key).then(|| v.trim())
            })
        };
        let stated = value("version").or_else(|| value("version_info"));
        let version = match stated {
            // pyvenv.cfg gives the same version for a free-threaded build; its lib/ tells.
            Some(v) => {
                let free = format!("{}t", major_minor(v));
                if versions_under(&root, "site-packages").contains(&free) {
                    free
                } else {
                    major_minor(v).to_string()
                }
            }
            None => match versions_under(&root, "site-packages").as_slice() {
                [one] => one.clone(),
                _ => {
                    return Err(format!(
                        "{path}: pyvenv.cfg names no Python version and lib/ holds no single \
                         pythonX.Y/site-packages: cannot tell which Python the environment is for"
                    ));
                }
            },
        };
        if version != built.version {
            return Err(format!(
                "{path} is a virtual environment of Python {version}, but this mod_python.so is \
                 built for Python {} ({}): make the environment with that Python, or build \
                 mod_python for Python {version}",
                built.version, built.interpreter
            ));
        }
        let candidates = ["python", "python3", &format!("python{version}")];
        let Some(executable) = candidates
            .iter()
            .map(|name| root.join("bin").join(name))
            .find(|p| p.exists())
        else {
            return Err(format!(
                "{path}: the virtual environment has no working bin/python (a broken link: was \
                 the Python it was made from removed?)"
            ));
        };
        let stdlib = value("home")
            .and_then(|bin| Path::new(bin).parent().map(Path::to_path_buf))
            .and_then(|base| stdlib_of(&base, &version));
        Ok(PythonHome::Venv {
            root,
            executable,
            stdlib,
        })
    }

    fn prefix(root: PathBuf, built: &BuiltFor) -> Result<PythonHome, String> {
        let path = root.display();
        if let Some(stdlib) = stdlib_of(&root, &built.version) {
            let executable = [format!("python{}", built.version), "python3".to_string()]
                .iter()
                .map(|name| root.join("bin").join(name))
                .find(|p| p.exists());
            return Ok(PythonHome::Prefix {
                root,
                executable,
                stdlib,
            });
        }
        match versions_under(&root, "os.py").as_slice() {
            [] => Err(format!(
                "{path} is neither a virtual environment (no pyvenv.cfg) nor a Python \
                 installation prefix (no lib/python{}/os.py)",
                built.version
            )),
            found => Err(format!(
                "{path} is an installation of Python {}, but this mod_python.so is built for \
                 Python {} ({}): name a prefix or virtual environment of Python {1}, or build \
                 mod_python for the Python there",
                found.join(" and "),
                built.version,
                built.interpreter
            )),
        }
    }

    /// The directory named.
    pub fn root(&self) -> &Path {
        match self {
            PythonHome::Venv { root, .. } | PythonHome::Prefix { root, .. } => root,
        }
    }

    /// What `sys.executable` is to be.
    pub fn executable(&self) -> Option<&Path> {
        match self {
            PythonHome::Venv { executable, .. } => Some(executable),
            PythonHome::Prefix { executable, .. } => executable.as_deref(),
        }
    }

    /// `Err` naming the file when this process cannot read what Python needs at start: httpd's
    /// children run as its `User`, which may not reach a home the parent (root) could.
    pub fn check_readable(&self) -> Result<(), String> {
        let needed: Vec<PathBuf> = match self {
            PythonHome::Venv { root, stdlib, .. } => std::iter::once(root.join("pyvenv.cfg"))
                .chain(stdlib.clone())
                .collect(),
            PythonHome::Prefix { stdlib, .. } => vec![stdlib.clone()],
        };
        for file in needed {
            if let Err(e) = std::fs::File::open(&file) {
                return Err(format!(
                    "{}: {} (httpd's children run as its User)",
                    file.display(),
                    unreadable(&e)
                ));
            }
        }
        Ok(())
    }
}

/// The standard library's landmark under a prefix, for Python `version`.
fn stdlib_of(prefix: &Path, version: &str) -> Option<PathBuf> {
    ["lib", "lib64"]
        .iter()
        .map(|lib| prefix.join(lib).join(format!("python{version}/os.py")))
        .find(|p| p.is_file())
}

/// The versions `X.Y` of the `lib/pythonX.Y` directories under `root` that hold `entry`.
fn versions_under(root: &Path, entry: &str) -> Vec<String> {
    let mut found: Vec<String> = ["lib", "lib64"]
        .iter()
        .filter_map(|lib| std::fs::read_dir(root.join(lib)).ok())
        .flatten()
        .flatten()
        .filter(|e| e.path().join(entry).exists())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("python")
                .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()) && v.contains('.'))
                .map(str::to_string)
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

fn unreadable(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => {
            "cannot be read by this process (permission denied)".to_string()
        }
        _ => e.to_string(),
    }
}

/// The Python home Python starts from: `configured` (the `PythonHome` of the main server),
/// else the default the build was given, else none (CPython finds the build's Python's own).
pub fn in_effect(configured: Option<&PythonHome>) -> Result<Option<PythonHome>, String> {
    if let Some(home) = configured {
        return Ok(Some(home.clone()));
    }
    default_home(env!("MOD_PYTHON_DEFAULT_HOME"), &BuiltFor::this())
}

fn default_home(default: &str, built: &BuiltFor) -> Result<Option<PythonHome>, String> {
    if default.is_empty() {
        return Ok(None);
    }
    PythonHome::inspect(default, built).map(Some).map_err(|e| {
        format!("the default Python home this mod_python.so was built with (MOD_PYTHON_DEFAULT_HOME): {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> BuiltFor {
        BuiltFor {
            version: "3.11".into(),
            interpreter: "/usr/bin/python3".into(),
        }
    }

    /// A scratch directory of its own for each test.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mod-python-home-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Why `dir` is not a Python home for a 3.11 build.
    fn refusal(dir: &Path) -> String {
        PythonHome::inspect(dir.to_str().unwrap(), &built()).unwrap_err()
    }

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    fn venv(dir: &Path, version_line: &str, base: &Path) {
        std::fs::write(
            dir.join("pyvenv.cfg"),
            format!(
                "home = {}\ninclude-system-site-packages = false\n{version_line}\n",
                base.join("bin").display()
            ),
        )
        .unwrap();
        touch(&dir.join("bin/python"));
    }

    #[test]
    fn a_prefix_of_the_built_version_is_a_home() {
        let dir = scratch("prefix");
        touch(&dir.join("lib/python3.11/os.py"));
        touch(&dir.join("bin/python3.11"));
        let home = PythonHome::inspect(dir.to_str().unwrap(), &built()).unwrap();
        assert_eq!(
            home,
            PythonHome::Prefix {
                root: dir.clone(),
                executable: Some(dir.join("bin/python3.11")),
                stdlib: dir.join("lib/python3.11/os.py"),
            }
        );
        home.check_readable().unwrap();
    }

    #[test]
    fn a_prefix_of_another_version_names_both() {
        let dir = scratch("other-prefix");
        touch(&dir.join("lib/python3.12/os.py"));
        let e = refusal(&dir);
        assert!(e.contains("Python 3.12"), "{e}");
        assert!(
            e.contains("built for Python 3.11 (/usr/bin/python3)"),
            "{e}"
        );
    }

    #[test]
    fn a_venv_starts_from_its_interpreter() {
        let base = scratch("venv-base");
        touch(&base.join("lib/python3.11/os.py"));
        let dir = scratch("venv");
        venv(&dir, "version = 3.11.2", &base);
        let home = PythonHome::inspect(dir.to_str().unwrap(), &built()).unwrap();
        assert_eq!(home.executable(), Some(dir.join("bin/python").as_path()));
        assert_eq!(
            home,
            PythonHome::Venv {
                root: dir.clone(),
                executable: dir.join("bin/python"),
                stdlib: Some(base.join("lib/python3.11/os.py")),
            }
        );
    }

    #[test]
    fn a_venv_of_another_version_names_both() {
        let base = scratch("venv-base-312");
        let dir = scratch("venv-312");
        // virtualenv writes version_info rather than version.
        venv(&dir, "version_info = 3.12.1.final.0", &base);
        let e = refusal(&dir);
        assert!(e.contains("virtual environment of Python 3.12"), "{e}");
        assert!(e.contains("built for Python 3.11"), "{e}");
    }

    #[test]
    fn a_free_threaded_python_is_told_apart_by_its_lib_directory() {
        let free = BuiltFor {
            version: "3.13t".into(),
            interpreter: "/opt/python/bin/python3.13t".into(),
        };
        let base = scratch("venv-base-313t");
        touch(&base.join("lib/python3.13t/os.py"));
        touch(&base.join("bin/python3.13t"));
        assert!(PythonHome::inspect(base.to_str().unwrap(), &free).is_ok());
        let e = PythonHome::inspect(base.to_str().unwrap(), &built()).unwrap_err();
        assert!(e.contains("installation of Python 3.13t"), "{e}");
        // pyvenv.cfg says 3.13.5 for both builds; the environment's site-packages tells.
        let dir = scratch("venv-313t");
        venv(&dir, "version = 3.13.5", &base);
        std::fs::create_dir_all(dir.join("lib/python3.13t/site-packages")).unwrap();
        assert!(PythonHome::inspect(dir.to_str().unwrap(), &free).is_ok());
        let gil = BuiltFor {
            version: "3.13".into(),
            ..free
        };
        let e = PythonHome::inspect(dir.to_str().unwrap(), &gil).unwrap_err();
        assert!(
            e.contains("virtual environment of Python 3.13t")
                && e.contains("built for Python 3.13 "),
            "{e}"
        );
    }

    #[test]
    fn a_venv_without_a_version_is_read_from_its_site_packages() {
        let dir = scratch("venv-unversioned");
        std::fs::write(dir.join("pyvenv.cfg"), "home = /nowhere/bin\n").unwrap();
        std::fs::create_dir_all(dir.join("lib/python3.13/site-packages")).unwrap();
        let e = refusal(&dir);
        assert!(e.contains("virtual environment of Python 3.13"), "{e}");
    }

    #[test]
    fn a_venv_whose_python_is_gone_is_refused() {
        let dir = scratch("venv-broken");
        std::fs::write(dir.join("pyvenv.cfg"), "version = 3.11.2\n").unwrap();
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::os::unix::fs::symlink("/nowhere/python3", dir.join("bin/python")).unwrap();
        let e = refusal(&dir);
        assert!(e.contains("no working bin/python"), "{e}");
    }

    #[test]
    fn wrong_paths_say_what_is_wrong() {
        let dir = scratch("wrong");
        let missing = dir.join("missing");
        let e = refusal(&missing);
        assert!(e.ends_with("does not exist"), "{e}");
        let e = PythonHome::inspect("relative/venv", &built()).unwrap_err();
        assert!(e.contains("not an absolute path"), "{e}");
        let e = refusal(&dir);
        assert!(e.contains("neither a virtual environment"), "{e}");
        touch(&dir.join("venv/bin/python"));
        let exe = dir.join("venv/bin/python");
        let e = refusal(&exe);
        assert!(e.contains("is not a directory"), "{e}");
        assert!(
            e.contains(&format!("{}", dir.join("venv").display())),
            "{e}"
        );
    }

    #[test]
    fn the_configured_home_wins_over_the_default_and_none_means_none() {
        assert_eq!(default_home("", &built()), Ok(None));
        let e = default_home("/nowhere/venv", &built()).unwrap_err();
        assert!(e.contains("MOD_PYTHON_DEFAULT_HOME"), "{e}");
        let dir = scratch("configured");
        touch(&dir.join("lib/python3.11/os.py"));
        let home = PythonHome::inspect(dir.to_str().unwrap(), &built()).unwrap();
        assert_eq!(in_effect(Some(&home)), Ok(Some(home.clone())));
    }

    #[test]
    fn versions_are_cut_to_major_and_minor() {
        assert_eq!(major_minor("3.11.2"), "3.11");
        assert_eq!(major_minor("3.12.1.final.0"), "3.12");
        assert_eq!(major_minor("3.13"), "3.13");
    }
}
