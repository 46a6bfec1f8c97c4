//! mod_rsfilter on a real httpd: output and input filters over brigades.

use harness::{Httpd, Mpm};

fn server(mpm: Mpm) -> Httpd {
    let big: String = (0..200_000)
        .map(|i| {
            if i % 61 == 60 {
                '\n'
            } else {
                (b'a' + (i % 26) as u8) as char
            }
        })
        .collect();
    Httpd::builder()
        .mpm(mpm)
        .module("rsfilter_module", harness::cdylib("mod_rsfilter"))
        .file("htdocs/small.txt", "Hello, Filters!\n")
        .file("htdocs/big.txt", big)
        .config(
            "<Files *.txt>\n    SetOutputFilter UPPERCASE\n</Files>\n\
             <Location /echo>\n    SetHandler echo-body\n</Location>\n\
             <Location /shout-in>\n    SetHandler echo-body\n    SetInputFilter UPPERCASE_IN\n</Location>\n",
        )
        .start()
}

#[test]
fn output_filter_transforms_static_files() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.get("/small.txt");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "HELLO, FILTERS!\n"),
            "{mpm:?}"
        );
        // A large file arrives as several buckets (a file bucket read in pieces).
        let big = httpd.get("/big.txt");
        assert_eq!(big.status, 200);
        assert_eq!(big.body.len(), 200_000);
        assert!(
            big.text()
                .chars()
                .all(|c| c == '\n' || c.is_ascii_uppercase()),
            "{mpm:?}"
        );
        let expected: String = (0..200_000)
            .map(|i| {
                if i % 61 == 60 {
                    '\n'
                } else {
                    (b'A' + (i % 26) as u8) as char
                }
            })
            .collect();
        assert_eq!(big.text(), expected);
    }
}

#[test]
fn input_filter_transforms_the_request_body() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        assert_eq!(
            httpd.request("POST", "/echo", &[], b"plain body").text(),
            "plain body"
        );
        assert_eq!(
            httpd
                .request("POST", "/shout-in", &[], b"quiet body")
                .text(),
            "QUIET BODY",
            "{mpm:?}"
        );
        let chunked = b"4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n";
        let r = httpd.request(
            "POST",
            "/shout-in",
            &[("Transfer-Encoding", "chunked")],
            chunked,
        );
        assert_eq!(r.text(), "ABCDEFG");
        let big = vec![b'x'; 300_000];
        let r = httpd.request("POST", "/shout-in", &[], &big);
        assert_eq!(r.body, vec![b'X'; 300_000]);
        assert_eq!(httpd.get("/echo").text(), "(empty)\n");
    }
}

#[test]
fn a_panicking_filter_is_logged_and_the_server_goes_on() {
    let httpd = server(Mpm::Event);
    let _ = httpd.raw(b"GET /small.txt?panic-filter HTTP/1.0\r\n\r\n");
    let log = httpd.error_log();
    assert!(
        log.contains("the UPPERCASE filter was asked to panic"),
        "{log}"
    );
    assert!(
        log.contains("panicked at examples/filter/src/lib.rs:"),
        "{log}"
    );
    assert_eq!(httpd.get("/small.txt").text(), "HELLO, FILTERS!\n");
}

#[test]
fn body_limits_are_enforced_by_httpd() {
    let httpd = Httpd::builder()
        .module("rsfilter_module", harness::cdylib("mod_rsfilter"))
        .config(
            "<Location /echo>\n    SetHandler echo-body\n    LimitRequestBody 10\n</Location>\n",
        )
        .start();
    assert_eq!(
        httpd.request("POST", "/echo", &[], b"short").text(),
        "short"
    );
    assert_eq!(
        httpd
            .request("POST", "/echo", &[], b"this body is far too long")
            .status,
        413
    );
}
