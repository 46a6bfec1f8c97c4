//! The C module and its Rust port answer the same. `c/mod_maintenance.c` is built here with cc,
//! against httpd's headers (the flags `apxs -q` gives); each module is loaded into an httpd of
//! its own with the same configuration, under the event and prefork MPMs, and asked the same
//! requests; the answers are checked, and compared. A configuration mistake is reported by
//! both in the same words.

use harness::{Httpd, Mpm, Response};
use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIG: &str = r#"
<Location /shop>
    Maintenance On
    MaintenanceMessage "The shop is closed for stock-taking."
    MaintenanceRetryAfter 3600
</Location>
<Location /shop/status>
    Maintenance Off
</Location>
<Location /shop/sale>
    MaintenanceMessage "The sale starts at noon."
</Location>
<Location /down>
    SetHandler maintenance
</Location>
"#;

const FILES: &[(&str, &str)] = &[
    ("htdocs/shop/item.txt", "an item\n"),
    ("htdocs/shop/status/now.txt", "counting\n"),
    ("htdocs/shop/sale/list.txt", "bargains\n"),
    ("htdocs/other.txt", "open\n"),
];

fn apxs(var: &str) -> String {
    let out = Command::new("apxs")
        .args(["-q", var])
        .output()
        .expect("apxs (Debian: apache2-dev) builds the C module");
    assert!(out.status.success(), "apxs -q {var} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `c/mod_maintenance.c` built into the test's scratch directory, as apxs would build it;
/// once per run, since the tests run in parallel and would otherwise write the same file as
/// another loads it.
fn c_module() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(build_c_module).clone()
}

fn build_c_module() -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("c/mod_maintenance.c");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mod_maintenance_c.so");
    let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cc.args(["-shared", "-fPIC", "-Wall", "-Werror"]);
    for flags in ["CFLAGS", "CPPFLAGS", "EXTRA_CPPFLAGS"] {
        cc.args(apxs(flags).split_whitespace());
    }
    for dir in ["INCLUDEDIR", "APR_INCLUDEDIR", "APU_INCLUDEDIR"] {
        cc.arg(format!("-I{}", apxs(dir)));
    }
    let built = cc
        .arg(&source)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run cc");
    assert!(
        built.status.success(),
        "cc {}:\n{}",
        source.display(),
        String::from_utf8_lossy(&built.stderr)
    );
    out
}

fn server(module: &Path, mpm: Mpm) -> Httpd {
    let mut builder = Httpd::builder()
        .mpm(mpm)
        .log_level("info")
        .module("maintenance_module", module)
        .config(CONFIG);
    for (path, text) in FILES {
        builder = builder.file(path, text);
    }
    builder.start()
}

/// What a client sees of an answer, for comparing the two modules: the status, the headers the
/// module decides and the body.
fn seen(r: &Response) -> (u16, Option<String>, Option<String>, String) {
    (
        r.status,
        r.header("Content-Type").map(str::to_string),
        r.header("Retry-After").map(str::to_string),
        r.text(),
    )
}

/// The requests, and what each must get.
fn ask(httpd: &Httpd) -> Vec<(u16, Option<String>, Option<String>, String)> {
    let plain = || Some("text/plain; charset=utf-8".to_string());
    let hour = || Some("3600".to_string());
    let expected = [
        // Under maintenance, with the section's message and Retry-After.
        (
            "GET",
            "/shop/item.txt",
            (
                503,
                plain(),
                hour(),
                "The shop is closed for stock-taking.\n",
            ),
        ),
        (
            "POST",
            "/shop/item.txt",
            (
                503,
                plain(),
                hour(),
                "The shop is closed for stock-taking.\n",
            ),
        ),
        ("HEAD", "/shop/item.txt", (503, plain(), hour(), "")),
        // A nested section turns it off; another changes the message and inherits the rest.
        (
            "GET",
            "/shop/status/now.txt",
            (200, Some("text/plain".into()), None, "counting\n"),
        ),
        (
            "GET",
            "/shop/sale/list.txt",
            (503, plain(), hour(), "The sale starts at noon.\n"),
        ),
        // Outside, nothing happens; SetHandler alone gives the default page.
        (
            "GET",
            "/other.txt",
            (200, Some("text/plain".into()), None, "open\n"),
        ),
        (
            "GET",
            "/down",
            (503, plain(), None, "This site is down for maintenance.\n"),
        ),
    ];
    let mut answers = Vec::new();
    for (method, path, (status, content_type, retry_after, body)) in expected {
        let r = httpd.request(method, path, &[], b"");
        let answer = seen(&r);
        assert_eq!(
            answer,
            (status, content_type, retry_after, body.to_string()),
            "{method} {path}"
        );
        answers.push(answer);
    }
    assert!(
        httpd
            .error_log()
            .contains("maintenance: 503 for /shop/item.txt"),
        "{}",
        httpd.error_log()
    );
    answers
}

#[test]
fn the_c_module_and_its_rust_port_answer_the_same() {
    let c = c_module();
    let rust = harness::cdylib("mod_maintenance");
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let from_c = ask(&server(&c, mpm));
        let from_rust = ask(&server(&rust, mpm));
        assert_eq!(from_c, from_rust, "{mpm:?}");
    }
}

#[test]
fn both_report_a_bad_directive_in_the_same_words() {
    let c = c_module();
    let rust = harness::cdylib("mod_maintenance");
    for (directive, error) in [
        (
            "MaintenanceRetryAfter soon",
            "MaintenanceRetryAfter takes a number of seconds, not 'soon'",
        ),
        ("MaintenanceRetryAfter -1", "not '-1'"),
        // httpd's own check, with the directive's help text.
        (
            "MaintenanceMessage \"\"",
            "MaintenanceMessage takes one argument, the text of the 503 page",
        ),
        ("Maintenance maybe", "Maintenance must be On or Off"),
    ] {
        for module in [&c, &rust] {
            let checked = Httpd::builder()
                .module("maintenance_module", module)
                .config(&format!("<Location /x>\n    {directive}\n</Location>\n"))
                .config_test();
            let text = checked.expect_err(directive);
            assert!(
                text.contains(error) && text.contains("Syntax error on line"),
                "{} with {directive}: {text}",
                module.display()
            );
        }
    }
}
