//! The hypothesis properties of the package's parsers that need httpd
//! (`tests/hypothesis/package_properties.py`), run inside a real httpd under every MPM by a
//! handler (`tests/hypothesis/in_httpd.py`). hypothesis comes from the virtual environment
//! `cargo xtask test` makes, named by `MOD_PYTHON_HYPOTHESIS_SITE`; the examples per property
//! by `MP_HYPOTHESIS_EXAMPLES` (200 by default, more in `cargo xtask soak --fuzz`).

use harness::{Httpd, Mpm};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

#[test]
#[ignore = "needs hypothesis: `cargo xtask test` makes its environment and runs this"]
fn the_package_s_parsers_hold_their_properties_inside_httpd() {
    let site = std::env::var("MOD_PYTHON_HYPOTHESIS_SITE")
        .expect("MOD_PYTHON_HYPOTHESIS_SITE names hypothesis' site-packages");
    let examples = std::env::var("MP_HYPOTHESIS_EXAMPLES").unwrap_or_else(|_| "200".into());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hypothesis");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    for mpm in Mpm::ALL {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("python_module", harness::cdylib("mod_python"))
            .file("props/in_httpd.py", read("in_httpd.py"))
            .file("props/runner.py", read("runner.py"))
            .file("props/package_properties.py", read("package_properties.py"))
            .config(&format!(
                "<Location /properties>\n    SetHandler mod_python\n    \
                 PythonPath \"sys.path+['@ROOT@/props']\"\n    PythonHandler in_httpd\n    \
                 PythonOption hypothesis_site {site}\n    PythonOption examples {examples}\n\
                 </Location>\n"
            ))
            .start();
        // The properties take as long as their examples do: no client timeout to speak of.
        let mut s = TcpStream::connect(("127.0.0.1", httpd.port())).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3600))).unwrap();
        s.write_all(b"GET /properties HTTP/1.0\r\n\r\n").unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).unwrap();
        let answer = String::from_utf8_lossy(&answer);
        println!("{mpm:?}:\n{answer}");
        assert!(
            answer.starts_with("HTTP/1.1 200 "),
            "{mpm:?}: {answer}\n{}",
            httpd.error_log()
        );
        assert!(answer.contains(" 0 failed"), "{mpm:?}: {answer}");
        assert!(
            !answer.contains("properties: 0 passed"),
            "{mpm:?}: {answer}"
        );
    }
}
