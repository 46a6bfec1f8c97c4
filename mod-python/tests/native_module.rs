//! `mod_python/_apache.pyi`, which mypy checks the package against, types what the native
//! `_apache` module really exports: every name the stub declares is in the module, and every
//! name the module has is in the stub.

use harness::{Httpd, Mpm};
use std::collections::BTreeSet;

const LIST: &str = r#"
from mod_python import apache, _apache

def handler(req):
    req.content_type = 'text/plain'
    req.write('\n'.join(sorted(n for n in dir(_apache) if not n.startswith('__'))))
    return apache.OK
"#;

/// The names the stub declares: its functions and module attributes (not its private type
/// aliases, which exist only for the type checker).
fn stub_names() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/python/mod_python/_apache.pyi");
    let stub = std::fs::read_to_string(path).expect("the stub is readable");
    stub.lines()
        .filter_map(|line| {
            if let Some(rest) = line.strip_prefix("def ") {
                return rest.split('(').next().map(str::to_string);
            }
            let (name, annotation) = line.split_once(": ")?;
            let is_name = !annotation.starts_with("TypeAlias")
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(char::is_whitespace);
            is_name.then(|| name.to_string())
        })
        .collect()
}

#[test]
fn the_stub_declares_exactly_what_the_native_module_exports() {
    let httpd = Httpd::builder()
        .mpm(Mpm::Event)
        .module("python_module", harness::cdylib("mod_python"))
        .file("app/list.py", LIST)
        .config(
            "<Location /list>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/app']\"\n    \
             PythonHandler list\n</Location>\n",
        )
        .start();
    let r = httpd.get("/list");
    assert_eq!(r.status, 200, "{}", r.text());
    let exported: BTreeSet<String> = r.text().lines().map(str::to_string).collect();
    let declared = stub_names();
    assert!(declared.len() > 50, "the stub was read: {declared:?}");
    let missing: Vec<_> = exported.difference(&declared).collect();
    let extra: Vec<_> = declared.difference(&exported).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "exported but not in _apache.pyi: {missing:?}; in _apache.pyi but not exported: {extra:?}"
    );
}
