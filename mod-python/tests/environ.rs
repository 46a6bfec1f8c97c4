//! Each interpreter's `os.environ` starts from the environment httpd started with, not from
//! what another interpreter of the same process wrote there (CPython copies the process
//! environment, which `os.environ` writes through to, when an interpreter starts). On a real
//! httpd with one child, so that every interpreter is in the same process, under the event and
//! prefork MPMs.

use harness::{Httpd, Mpm};

const HANDLER: &str = r#"
import os
from mod_python import apache

def handler(req):
    before = os.environ.get('MP_SET_BY')
    os.environ.setdefault('MP_SET_BY', req.interpreter)
    req.content_type = 'text/plain'
    req.write('%s start=%s before=%s now=%s pid=%d' % (
        req.interpreter, os.environ.get('MP_FROM_HTTPD'), before, os.environ['MP_SET_BY'],
        os.getpid()))
    return apache.OK
"#;

fn server(mpm: Mpm) -> Httpd {
    let mut config = String::from("PythonPath \"sys.path+['@ROOT@/py']\"\n");
    for name in ["first", "second", "third"] {
        config += &format!(
            "<Location /{name}>\n    SetHandler mod_python\n    PythonInterpreter {name}\n    \
             PythonHandler envmod\n</Location>\n"
        );
    }
    Httpd::builder()
        .mpm(mpm)
        .single_child()
        .env("MP_FROM_HTTPD", "yes")
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/envmod.py", HANDLER)
        .config(&config)
        .start()
}

#[test]
fn each_interpreter_starts_from_httpd_s_environment() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let mut pids = Vec::new();
        for round in 0..2 {
            for name in ["first", "second", "third"] {
                let text = httpd.get(&format!("/{name}")).text();
                let (seen, pid) = text.split_once(" pid=").unwrap_or((&text, ""));
                // Each sees what httpd started with, and its own setting; on the second
                // round, the one it made itself.
                let before = if round == 0 { "None" } else { name };
                assert_eq!(
                    seen,
                    format!("{name} start=yes before={before} now={name}"),
                    "{mpm:?}: {}",
                    httpd.error_log()
                );
                pids.push(pid.to_string());
            }
        }
        pids.dedup();
        assert_eq!(pids.len(), 1, "{mpm:?}: one child served them all");
    }
}
