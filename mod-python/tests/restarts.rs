//! A graceful restart: the parent waits (bounded) for the old generation's children to end,
//! so that it starts the new one at once rather than after its one-second sleep
//! (`mod-python/src/restart.rs`). `cargo xtask soak --restarts N` measures what it is worth.

use harness::{Httpd, Mpm};

const HELLO: &str = "from mod_python import apache\n\ndef handler(req):\n    req.write('hello')\n    return apache.OK\n";

#[test]
fn a_graceful_restart_waits_for_the_old_children_then_serves() {
    for mpm in [Mpm::Event, Mpm::Worker, Mpm::Prefork] {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .log_level("notice python:debug")
            .module("python_module", harness::cdylib("mod_python"))
            .file("py/hello.py", HELLO)
            .config(
                "PythonPath \"sys.path+['@ROOT@/py']\"\n\
                 <Location /hello>\n    SetHandler mod_python\n    PythonHandler hello\n</Location>\n",
            )
            .start();
        assert_eq!(httpd.get("/hello").text(), "hello", "{mpm:?}");
        let first = httpd.error_log();
        assert!(
            !first.contains("old children"),
            "{mpm:?}: waited at the first start:\n{first}"
        );
        httpd.graceful_restart();
        assert_eq!(httpd.get("/hello").text(), "hello", "{mpm:?}");
        let log = httpd.error_log();
        assert!(
            log.lines()
                .any(|l| l.contains("mod_python: restart: ") && l.contains(" old children ")),
            "{mpm:?}: the parent did not wait for the old children:\n{log}"
        );
    }
}
