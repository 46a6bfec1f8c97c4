//! `PythonHome` on a real httpd: a virtual environment's packages win over the system's, with
//! `sys.prefix`, `sys.base_prefix` and `sys.executable` as the environment's own interpreter
//! has them; an installation prefix works too; the default home a build was given applies
//! without the directive; and a wrong home stops httpd (and `httpd -t`) with the file, the line
//! and the reason, naming both versions when they differ.
//!
//! The environment is made with the Python mod_python.so was built for (so under `cargo xtask
//! test --python` a pyenv 3.12 environment meets a module built for 3.12), with pinned
//! versions of `blinker` and `six` that differ from Debian's python3-blinker (1.5) and
//! python3-six (1.16.0), and with the system's site-packages visible behind its own.

mod support;

use harness::{Httpd, Mpm};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment's packages, pinned, none of them at Debian's version.
const REQUIREMENTS: &str = "blinker==1.9.0\nsix==1.17.0\n";

/// Which version of a package a Python imports, and from where (`missing` when none).
const FIND: &str = r#"
import importlib.metadata, importlib.util

def found(name):
    spec = importlib.util.find_spec(name)
    if spec is None:
        return 'missing'
    return '%s from %s' % (importlib.metadata.version(name), spec.origin)
"#;

/// What the handler reports of the Python it runs in, one `name=value` a line.
const REPORT: &str = r#"
import sys
from find import found

def handler(req):
    req.content_type = 'text/plain'
    site = [p for p in sys.path if p.endswith(('site-packages', 'dist-packages'))]
    for line in ['prefix=' + sys.prefix, 'base_prefix=' + sys.base_prefix,
                 'executable=' + sys.executable, 'blinker=' + found('blinker'),
                 'six=' + found('six'), 'site=' + '|'.join(site)]:
        req.write(line + '\n')
    return 0
"#;

/// What the build's Python imports as `package`, outside httpd (without the user's own
/// site-packages, which httpd's user does not see), as [`FIND`] says it.
fn ask_python_found(package: &str) -> String {
    let (ok, out) = support::run(Command::new(support::PYTHON).args([
        "-s",
        "-c",
        &format!("{FIND}\nprint(found({package:?}))"),
    ]));
    assert!(ok, "{out}");
    out.trim().to_string()
}

/// What the build's Python says of itself.
fn ask_python(expr: &str) -> String {
    let (ok, out) =
        support::run(Command::new(support::PYTHON).args(["-c", &format!("print({expr})")]));
    assert!(ok, "{out}");
    out.trim().to_string()
}

fn server(mpm: Mpm, extra: &str) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/report.py", REPORT)
        .file("py/find.py", FIND)
        .config(extra)
        .config(
            "<Location /report>\n    SetHandler mod_python\n    \
             PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler report\n</Location>\n",
        )
        .start()
}

/// The handler's report, by name.
fn report(httpd: &Httpd) -> Vec<(String, String)> {
    let r = httpd.get("/report");
    assert_eq!(r.status, 200, "{}\n{}", r.text(), httpd.error_log());
    r.text()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn value<'a>(report: &'a [(String, String)], key: &str) -> &'a str {
    report
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {report:?}"))
}

#[test]
fn a_virtual_environment_s_packages_win_over_the_system_s() {
    let venv = match support::pinned_venv(
        "python-home-venv",
        &["--system-site-packages"],
        REQUIREMENTS,
    ) {
        Ok(v) => v,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let base_prefix = ask_python("__import__('sys').base_prefix");
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm, &format!("PythonHome \"{}\"\n", venv.display()));
        let seen = report(&httpd);
        assert_eq!(value(&seen, "prefix"), venv.to_str().unwrap(), "{mpm:?}");
        assert_eq!(value(&seen, "base_prefix"), base_prefix, "{mpm:?}");
        assert_eq!(
            value(&seen, "executable"),
            venv.join("bin/python").to_str().unwrap(),
            "{mpm:?}"
        );
        for (package, pinned) in [("blinker", "1.9.0"), ("six", "1.17.0")] {
            let (version, origin) = value(&seen, package).split_once(" from ").unwrap();
            assert_eq!(version, pinned, "{mpm:?}");
            assert!(
                origin.starts_with(venv.to_str().unwrap()),
                "{mpm:?}: {origin}"
            );
        }
        // The environment's site-packages first, then the system's (it was made with
        // --system-site-packages).
        let site: Vec<&str> = value(&seen, "site").split('|').collect();
        assert!(
            site[0].starts_with(venv.to_str().unwrap()),
            "{mpm:?}: {site:?}"
        );
        assert!(
            site[1..].iter().all(|p| p.starts_with(&base_prefix)) && site.len() > 1,
            "{mpm:?}: {site:?}"
        );
    }
    // The same server without the directive: the packages the build's Python itself imports
    // (on Debian's, python3-blinker 1.5 and python3-six 1.16.0).
    let httpd = server(Mpm::Worker, "");
    let seen = report(&httpd);
    assert_ne!(value(&seen, "prefix"), venv.to_str().unwrap());
    for package in ["blinker", "six"] {
        let system = ask_python_found(package);
        assert_eq!(value(&seen, package), system, "{package}");
        assert!(!system.contains(venv.to_str().unwrap()), "{system}");
    }
    if support::PYTHON == "/usr/bin/python3" {
        assert!(value(&seen, "blinker").starts_with("1.5 from /usr/lib/python3/dist-packages/"));
        assert!(value(&seen, "six").starts_with("1.16.0 from /usr/lib/python3/dist-packages/"));
    }
}

#[test]
fn an_installation_prefix_is_a_home_too() {
    let prefix = ask_python("__import__('sys').base_prefix");
    let httpd = server(Mpm::Worker, &format!("PythonHome {prefix}\n"));
    let seen = report(&httpd);
    assert_eq!(value(&seen, "prefix"), prefix);
    assert_eq!(value(&seen, "base_prefix"), prefix);
    let executable = value(&seen, "executable");
    assert!(
        executable.starts_with(&format!("{prefix}/bin/python3")),
        "{executable}"
    );
}

#[test]
fn without_the_directive_python_starts_from_the_build_s_default_home_or_its_own() {
    let httpd = server(Mpm::Event, "");
    let seen = report(&httpd);
    let default = env!("MOD_PYTHON_DEFAULT_HOME");
    if default.is_empty() {
        // The build's own Python, as CPython finds it from its interpreter.
        assert_eq!(
            value(&seen, "prefix"),
            ask_python("__import__('sys').prefix")
        );
        assert_eq!(value(&seen, "executable"), support::PYTHON);
    } else {
        assert_eq!(value(&seen, "prefix"), default);
    }
}

/// A directory made to look like a Python home of `version`: a prefix (`lib/pythonX.Y/os.py`)
/// or a virtual environment (`pyvenv.cfg`).
fn fake_home(name: &str, venv_version: Option<&str>, prefix_version: Option<&str>) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("python-homes")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    if let Some(v) = venv_version {
        std::fs::write(
            dir.join("pyvenv.cfg"),
            format!("home = /usr/bin\nversion = {v}\n"),
        )
        .unwrap();
        std::fs::write(dir.join("bin/python"), "").unwrap();
    }
    if let Some(v) = prefix_version {
        let lib = dir.join(format!("lib/python{v}"));
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("os.py"), "").unwrap();
    }
    dir
}

/// A version that is not the build's.
fn other_version() -> &'static str {
    if support::python_major_minor() == "3.12" {
        "3.13"
    } else {
        "3.12"
    }
}

/// pyenv's CPython `major.minor`, when installed.
fn pyenv_python(version: &str) -> Option<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")))?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("versions"))
        .ok()?
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix(version)
                .is_some_and(|rest| rest.starts_with('.'))
        })
        .map(|e| e.path().join("bin/python3"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop()
}

/// Real virtual environments of installed CPythons (pyenv's): one of the module's version
/// passes `httpd -t`, one of another version is refused naming both.
#[test]
fn real_virtual_environments_are_checked_by_their_version() {
    let ours = support::python_lib_version();
    for version in [ours.as_str(), other_version()] {
        let Some(python) = pyenv_python(version) else {
            eprintln!("no pyenv CPython {version} installed: its venv is not checked");
            continue;
        };
        let venv =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("python-homes/real-{version}"));
        if !venv.join("pyvenv.cfg").exists() {
            let (ok, out) = support::run(
                Command::new(&python)
                    .args(["-m", "venv", "--without-pip"])
                    .arg(&venv),
            );
            assert!(ok, "{}: {out}", python.display());
        }
        let checked = Httpd::builder()
            .module("python_module", harness::cdylib("mod_python"))
            .config(&format!("PythonHome {}\n", venv.display()))
            .config_test();
        if version == ours {
            assert!(checked.is_ok(), "{}: {checked:?}", python.display());
        } else {
            let out = checked.unwrap_err();
            assert!(
                out.contains(&format!("a virtual environment of Python {version}"))
                    && out.contains(&format!("built for Python {ours}")),
                "{out}"
            );
        }
    }
}

#[test]
fn a_wrong_home_stops_httpd_and_httpd_t_with_file_line_and_reason() {
    let ours = support::python_lib_version();
    let other = other_version();
    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-homes/none-here");
    let neither = fake_home("neither", None, None);
    let other_prefix = fake_home("other-prefix", None, Some(other));
    let other_venv = fake_home("other-venv", Some(&format!("{other}.1")), None);
    let cases = [
        (missing.clone(), vec!["does not exist".to_string()]),
        (
            neither.clone(),
            vec!["neither a virtual environment".to_string()],
        ),
        (
            other_prefix,
            vec![
                format!("an installation of Python {other}"),
                format!("built for Python {ours}"),
            ],
        ),
        (
            other_venv,
            vec![
                format!("a virtual environment of Python {other}"),
                format!("built for Python {ours}"),
            ],
        ),
    ];
    for (home, said) in cases {
        let builder = || {
            Httpd::builder()
                .module("python_module", harness::cdylib("mod_python"))
                .config(&format!("# a comment\nPythonHome {}\n", home.display()))
        };
        let checked = builder().config_test().unwrap_err();
        let started = builder()
            .try_start()
            .err()
            .expect("httpd started with a wrong PythonHome");
        for out in [&checked, &started] {
            assert!(out.contains("httpd.conf"), "{out}");
            assert!(out.contains("Syntax error on line"), "{out}");
            assert!(out.contains(&home.display().to_string()), "{out}");
            for s in &said {
                assert!(out.contains(s.as_str()), "{s:?} not in:\n{out}");
            }
        }
    }
    // Only the main server chooses the Python.
    let vhost = Httpd::builder()
        .module("python_module", harness::cdylib("mod_python"))
        .config(&format!(
            "<VirtualHost 127.0.0.1:80>\n    PythonHome {}\n</VirtualHost>\n",
            ask_python("__import__('sys').base_prefix")
        ))
        .config_test()
        .unwrap_err();
    assert!(vhost.contains("cannot occur within"), "{vhost}");
}

/// A home root can read but httpd's children (its `User`) cannot: the parent accepts it, each
/// child says which file it cannot read, and requests fail with 500 rather than hang.
#[test]
fn a_home_the_children_cannot_read_is_named_in_the_error_log() {
    // SAFETY: geteuid has no preconditions; it only reads our credentials.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: not root, so httpd's children run as this user");
        return;
    }
    let private = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-homes/private");
    let _ = std::fs::remove_dir_all(&private);
    std::fs::create_dir_all(&private).unwrap();
    let home = private.join("prefix");
    let lib = home.join(format!("lib/python{}", support::python_lib_version()));
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("os.py"), "").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let httpd = server(Mpm::Event, &format!("PythonHome {}\n", home.display()));
    let r = httpd.get("/report");
    assert_eq!(r.status, 500, "{}", r.text());
    let log = httpd.error_log();
    assert!(
        log.contains("Python could not start in this child")
            && log.contains(&format!("{}: cannot be read", lib.join("os.py").display())),
        "{log}"
    );
}
