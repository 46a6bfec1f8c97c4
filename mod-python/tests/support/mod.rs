//! What several test files share: the Python mod_python.so was built for, and Debian's C
//! mod_python 3.5 to compare with when it runs the same Python version.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::path::PathBuf;

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
