//! The source rules that keep interpreters apart (docs/src/interpreters.md, "pyo3's
//! process-wide state"): with `PythonInterpreterGIL own`, threads hold different GILs at once,
//! and an object of one interpreter used by a thread of another corrupts its reference count.
//! pyo3 keeps some Python objects in process-wide statics, filled by whichever interpreter
//! asks first; mod_python's sources must not reach them, nor keep objects in statics of their
//! own. This test reads `mod-python/src` and names each line that does.

use std::path::{Path, PathBuf};

/// Names whose use shares one interpreter's objects with every other, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    (
        "intern",
        "pyo3's intern! keeps the string of the first interpreter in a static; intern names per interpreter (Interp's RequestNames, _apache's module state)",
    ),
    (
        "GILOnceCell",
        "a static holding the object of the first interpreter that filled it",
    ),
    (
        "PyOnceLock",
        "a static holding the object of the first interpreter that filled it",
    ),
    (
        "pyclass",
        "a #[pyclass]'s type object is a process-wide static made in the first interpreter",
    ),
    (
        "pymodule",
        "pyo3 modules are single-phase and refused in a second interpreter; _apache is made from python::native_module",
    ),
    (
        "PySequence",
        "pyo3 keeps collections.abc.Sequence of the first interpreter in a static",
    ),
    (
        "PyMapping",
        "pyo3 keeps collections.abc.Mapping of the first interpreter in a static",
    ),
    (
        "PyIterator",
        "pyo3 keeps collections.abc.Iterator of the first interpreter in a static (use try_iter)",
    ),
    (
        "PyDateTime",
        "pyo3's datetime types use the datetime C API capsule of the first interpreter",
    ),
    (
        "PyDate",
        "pyo3's datetime types use the datetime C API capsule of the first interpreter",
    ),
    (
        "PyTime",
        "pyo3's datetime types use the datetime C API capsule of the first interpreter",
    ),
    (
        "PyDelta",
        "pyo3's datetime types use the datetime C API capsule of the first interpreter",
    ),
    (
        "PyTzInfo",
        "pyo3's datetime types use the datetime C API capsule of the first interpreter",
    ),
    ("PyWeakref", "pyo3's weakref types are kept in statics"),
    (
        "PyWeakrefReference",
        "pyo3's weakref types are kept in statics",
    ),
    (
        "PyTraceback",
        "PyTraceback::format interns mortal names in statics; format with the traceback module",
    ),
    ("PyCode", "pyo3 keeps the code type in a static"),
    (
        "SystemTime",
        "pyo3 converts SystemTime through a static datetime of the first interpreter",
    ),
    (
        "IpAddr",
        "pyo3 converts addresses through ipaddress classes kept in statics",
    ),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The identifiers of a line of code, each with whether `!` follows it (a macro).
fn identifiers(line: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((&line[start..i], bytes.get(i) == Some(&b'!')));
        } else {
            i += 1;
        }
    }
    out
}

/// What is wrong with one line, if anything.
fn offence(line: &str) -> Option<String> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return None;
    }
    // The code before a trailing comment, and outside string literals' quotes only roughly:
    // the rules name types and macros, which strings here do not hold.
    let code = code.split(" //").next().unwrap_or(code);
    for (name, is_macro) in identifiers(code) {
        if let Some((_, why)) = FORBIDDEN.iter().find(|(n, _)| *n == name) {
            if name != "intern" || is_macro {
                return Some(format!("{name}: {why}"));
            }
        }
    }
    let is_static = code.starts_with("static ") || code.starts_with("pub static ");
    let holds_python = ["Py<", "Bound<", "PyErr", "PyObject"]
        .iter()
        .any(|t| code.contains(t));
    if is_static && holds_python {
        return Some(
            "a static holding a Python object: it would be shared by every interpreter".into(),
        );
    }
    None
}

#[test]
fn no_python_object_is_shared_between_interpreters_by_the_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    assert!(files.len() > 30, "the sources were found: {files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if let Some(why) = offence(line) {
                found.push(format!(
                    "{}:{}: {}\n    {why}",
                    file.strip_prefix(&root).unwrap().display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[test]
fn the_rules_find_what_they_forbid() {
    for bad in [
        "    obj.setattr(pyo3::intern!(py, \"_h\"), 0)?;",
        "static NAMES: PyOnceLock<Py<PyString>> = PyOnceLock::new();",
        "#[pyclass]",
        "let seq = v.cast::<PySequence>()?;",
        "static CACHE: Mutex<Option<Py<PyAny>>> = Mutex::new(None);",
        "let t: Bound<'_, PyDateTime> = x.cast_into()?;",
    ] {
        assert!(offence(bad).is_some(), "not found: {bad}");
    }
    for good in [
        "// pyo3's intern! is not used here",
        "    let interned = PyString::intern(py, \"_h\");",
        "static INTERPRETERS: RwLock<Vec<&'static Interp>> = RwLock::new(Vec::new());",
        "let internal = 1; // an identifier that starts like a forbidden one",
    ] {
        assert_eq!(offence(good), None, "{good}");
    }
}
