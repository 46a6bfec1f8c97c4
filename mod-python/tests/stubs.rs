//! The type stubs of the package (`python/mod_python/*.pyi`), which `pip install ./mod-python`
//! ships for editors and type checkers, are true to the modules they describe: in a real
//! httpd, where the modules import, every public name a stub declares exists, with the
//! parameters the stub gives it, and every public name a module or class defines is in its
//! stub (`python/stub_check/compare.py`). And `stub_check/uses_everything.py`, which mypy
//! checks against the stubs in `cargo xtask test`, uses every name they declare.

use harness::{Httpd, Mpm};
use std::path::PathBuf;
use std::process::Command;

fn stub_check() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/python/stub_check"))
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.is_empty()).collect()
}

#[test]
fn every_stub_declares_what_its_module_defines() {
    let httpd = Httpd::builder()
        .mpm(Mpm::Event)
        .module("python_module", harness::cdylib("mod_python"))
        .config(&format!(
            "<Location /stubs>\n    SetHandler mod_python\n    PythonPath \"sys.path+['{}']\"\n    \
             PythonHandler compare\n    PythonDebug On\n</Location>\n",
            stub_check().display()
        ))
        .start();
    let r = httpd.get("/stubs");
    assert_eq!(r.status, 200, "{}", r.text());
    let problems = r.text();
    assert!(
        lines(&problems).is_empty(),
        "the stubs and the modules disagree:\n{problems}"
    );
}

#[test]
fn uses_everything_uses_every_stubbed_name() {
    let out = Command::new("/usr/bin/python3")
        .arg(stub_check().join("compare.py"))
        .output()
        .expect("run python3 stub_check/compare.py");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
