//! What several test files share: the Python mod_python.so was built for and virtual
//! environments made with it, Debian's C mod_python 3.5 to compare with when it runs the same
//! Python version, directories httpd's children may write, and what a crash leaves in the
//! error_log; and CPU-bound work that shows whether two requests ran at once (`busy`).

// Each test file uses the part it needs.
#![allow(dead_code)]

pub mod busy;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The interpreter mod_python.so was built for (`PYO3_PYTHON` of the build): what makes the
/// tests' virtual environments and runs the package outside httpd.
pub const PYTHON: &str = env!("MOD_PYTHON_PYTHON_BIN");

/// The version of that Python, `3.12.1`.
pub const PYTHON_VERSION: &str = env!("MOD_PYTHON_PY_VERSION");

/// `3.12` of [`PYTHON_VERSION`].
pub fn python_major_minor() -> &'static str {
    let v = PYTHON_VERSION;
    v.match_indices('.').nth(1).map_or(v, |(i, _)| &v[..i])
}

/// The version a Python home of the module's Python has in its `lib/pythonX.Y` directory:
/// [`python_major_minor`], with `t` for a free-threaded build (`3.13t`).
pub fn python_lib_version() -> String {
    let t = if cfg!(Py_GIL_DISABLED) { "t" } else { "" };
    format!("{}{t}", python_major_minor())
}

/// Debian's C mod_python, when it is installed and embeds the same Python `major.minor` as
/// ours (it links Debian's libpython; answers that show the Python, such as its error
/// messages, differ between versions): `None`, saying why, otherwise.
pub fn c_mod_python() -> Option<PathBuf> {
    let c = harness::system_modules_dir().join("mod_python.so");
    let Ok(bytes) = std::fs::read(&c) else {
        eprintln!("C mod_python not compared: it is not installed");
        return None;
    };
    let theirs = linked_python(&bytes);
    if theirs.as_deref() != Some(python_major_minor()) {
        eprintln!(
            "C mod_python not compared: it embeds Python {}, this mod_python.so {}",
            theirs.as_deref().unwrap_or("(unknown)"),
            python_major_minor()
        );
        return None;
    }
    Some(c)
}

/// The `3.11` of the `libpython3.11.so...` a shared object names.
fn linked_python(bytes: &[u8]) -> Option<String> {
    const NAME: &[u8] = b"libpython";
    let at = bytes.windows(NAME.len()).position(|w| w == NAME)? + NAME.len();
    let version: Vec<u8> = bytes[at..]
        .iter()
        .copied()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .collect();
    let version = String::from_utf8(version).ok()?;
    let mut parts = version.split('.');
    Some(format!("{}.{}", parts.next()?, parts.next()?))
}

/// Runs `cmd`: whether it succeeded, and its output (stdout then stderr).
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// What pip prints when it cannot reach the index (and only then is a test skipped).
const UNREACHABLE: [&str; 6] = [
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Name or service not known",
    "ConnectTimeoutError",
    "ProxyError",
];

/// The virtual environment `target/tmp/<name>`, made with [`PYTHON`] (`-m venv` with
/// `venv_args`) and holding the pinned `requirements` from PyPI: kept between runs, made again
/// when the pins change, looked at once per test process. `Err` says PyPI cannot be reached
/// (the test is then skipped, saying so); any other failure fails the test.
pub fn pinned_venv(name: &str, venv_args: &[&str], requirements: &str) -> Result<PathBuf, String> {
    static MADE: Mutex<Option<HashMap<String, Result<PathBuf, String>>>> = Mutex::new(None);
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    made.get_or_insert_with(HashMap::new)
        .entry(name.to_string())
        .or_insert_with(|| make_venv(name, venv_args, requirements))
        .clone()
}

fn make_venv(name: &str, venv_args: &[&str], requirements: &str) -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let stamp = dir.join("pinned.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(requirements) {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (ok, out) = run(Command::new(PYTHON)
        .args(["-m", "venv"])
        .args(venv_args)
        .arg(&dir));
    assert!(
        ok,
        "{PYTHON} -m venv failed (python3-venv missing?):\n{out}"
    );
    let wanted = dir.join("requirements.txt");
    std::fs::write(&wanted, requirements).unwrap();
    let (ok, out) = run(Command::new(dir.join("bin/python")).args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        // Whatever the system's site-packages hold, the pinned versions go into the venv.
        "--ignore-installed",
        "--retries",
        "2",
        "--timeout",
        "30",
        "-r",
        wanted.to_str().unwrap(),
    ]));
    if !ok {
        let _ = std::fs::remove_dir_all(&dir);
        if UNREACHABLE.iter().any(|m| out.contains(m)) {
            return Err(format!("PyPI cannot be reached:\n{out}"));
        }
        panic!("pip install of the pinned packages into {name} failed:\n{out}");
    }
    std::fs::write(&stamp, requirements).unwrap();
    Ok(dir)
}

/// Lets httpd's children (`www-data` when the tests run as root) write in `dir`.
pub fn writable_by_children(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
}

/// A new, empty directory `mod-python-<tag>-<pid>` in the temporary directory, which httpd's
/// children may write.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mod-python-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    writable_by_children(&d);
    d
}

/// Fails the test if the error_log shows a crash: a child ended by a signal, a fatal Python
/// error, an exit that did not finish, or an object dropped without its interpreter (pyo3
/// without its reference pool).
pub fn no_crash(log: &str, what: &str) {
    for bad in [
        "exit signal",
        "Segmentation fault",
        "Fatal Python error",
        "did not end within",
        "Cannot drop pointer",
    ] {
        assert!(
            !log.contains(bad),
            "{what}: {bad:?} in the error_log:\n{log}"
        );
    }
}
