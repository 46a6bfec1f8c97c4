//! mod_rsfilter on a real httpd: output and input filters over brigades.

use harness::{Httpd, Mpm};

const BIG: usize = 1_000_000;

/// `BIG` bytes of mixed-case lines, starting at `first` ('a' or 'A').
fn letters(first: u8) -> String {
    (0..BIG)
        .map(|i| {
            if i % 61 == 60 {
                '\n'
            } else {
                (first + (i % 26) as u8) as char
            }
        })
        .collect()
}

fn server(mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("rsfilter_module", harness::cdylib("mod_rsfilter"))
        .file("htdocs/small.txt", "Hello, Filters!\n")
        .file("htdocs/big.txt", letters(b'a'))
        .file("htdocs/cut.txt", letters(b'a'))
        .file("htdocs/data.bin", "Binary Stays As Is\n")
        .file("htdocs/sendfile/big.txt", letters(b'a'))
        .file("htdocs/sendfile/plain.dat", letters(b'a'))
        .config(
            "AddOutputFilter UPPERCASE .txt .bin\n\
             <Files cut.txt>\n    SetOutputFilter TRUNCATE16\n</Files>\n\
             <Location /sendfile>\n    SetHandler send-file\n</Location>\n\
             <Location /echo>\n    SetHandler echo-body\n</Location>\n\
             <Location /shout>\n    SetHandler echo-body\n    SetOutputFilter UPPERCASE\n</Location>\n\
             <Location /trunc>\n    SetHandler echo-body\n    SetOutputFilter TRUNCATE16\n</Location>\n\
             <Location /upper-in>\n    SetHandler echo-body\n    SetInputFilter UPPERCASE_IN\n</Location>\n\
             RsFilterShoutAs MyShout\n\
             <Location /named>\n    SetHandler echo-body\n    SetOutputFilter MyShout\n</Location>\n\
             <Location /lent-uri>\n    SetHandler echo-body\n    SetOutputFilter myshout\n</Location>\n\
             <Location /cut-at>\n    SetHandler cut-at\n</Location>\n",
        )
        .start()
}

#[test]
fn output_filter_transforms_static_files() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let r = httpd.get("/small.txt");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "HELLO, FILTERS!\n"),
            "{mpm:?}"
        );
        // The filter dropped the handler's length; httpd recounted the one-brigade body.
        assert_eq!(r.header("Content-Length"), Some("16"), "{mpm:?}");
        // A large file arrives as many buckets (a file bucket read in pieces).
        let big = httpd.get("/big.txt");
        assert_eq!(big.status, 200, "{mpm:?}");
        assert_eq!(big.body.len(), BIG, "{mpm:?}");
        assert!(
            big.text() == letters(b'A'),
            "{mpm:?}: the 1 MB body differs"
        );
        // Not text/*: the filter steps aside.
        let bin = httpd.get("/data.bin");
        assert_eq!(bin.text(), "Binary Stays As Is\n", "{mpm:?}");
        // A handler's output through SetOutputFilter.
        let r = httpd.request("POST", "/shout", &[], b"loud and clear");
        assert_eq!(r.text(), "LOUD AND CLEAR", "{mpm:?}");
    }
}

#[test]
fn buckets_are_split_and_deleted() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        // Both filters on a 1 MB static file: 16 bytes survive, upper-cased.
        let r = httpd.get("/cut.txt");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "ABCDEFGHIJKLMNOP"),
            "{mpm:?}"
        );
        assert_eq!(
            httpd
                .request("POST", "/trunc", &[], b"0123456789abcdefXYZ")
                .text(),
            "0123456789abcdef",
            "{mpm:?}"
        );
        assert_eq!(
            httpd.request("POST", "/trunc", &[], b"short").text(),
            "short",
            "{mpm:?}"
        );
        let big = vec![b'q'; 300_000];
        assert_eq!(
            httpd.request("POST", "/trunc", &[], &big).text(),
            "q".repeat(16),
            "{mpm:?}"
        );
    }
}

#[test]
fn a_handler_sends_a_file_bucket() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let raw = httpd.get("/sendfile/plain.dat");
        assert_eq!(raw.status, 200, "{mpm:?}");
        assert_eq!(
            raw.header("Content-Length"),
            Some(BIG.to_string().as_str()),
            "{mpm:?}"
        );
        assert!(raw.text() == letters(b'a'), "{mpm:?}: the file differs");
        // The same file bucket through UPPERCASE (AddOutputFilter on .txt).
        let up = httpd.get("/sendfile/big.txt");
        assert!(
            up.text() == letters(b'A'),
            "{mpm:?}: the filtered file differs"
        );
        assert_eq!(httpd.get("/sendfile/missing.txt").status, 404, "{mpm:?}");
    }
}

#[test]
fn input_filter_transforms_the_request_body() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        assert_eq!(
            httpd.request("POST", "/echo", &[], b"plain body").text(),
            "plain body"
        );
        assert_eq!(
            httpd
                .request("POST", "/upper-in", &[], b"quiet body")
                .text(),
            "QUIET BODY",
            "{mpm:?}"
        );
        let chunked = b"4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n";
        let r = httpd.request(
            "POST",
            "/upper-in",
            &[("Transfer-Encoding", "chunked")],
            chunked,
        );
        assert_eq!(r.text(), "ABCDEFG", "{mpm:?}");
        let big = vec![b'x'; BIG];
        let r = httpd.request("POST", "/upper-in", &[], &big);
        assert!(r.body == vec![b'X'; BIG], "{mpm:?}: the 1 MB body differs");
        assert_eq!(httpd.get("/echo").text(), "(empty)\n");
    }
}

#[test]
fn panicking_filters_are_logged_and_the_server_goes_on() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        // Nothing was sent yet: the handler learns of the failure and httpd answers 500.
        let r = httpd.get("/small.txt?panic-filter");
        assert_eq!(r.status, 500, "{mpm:?}");
        let r = httpd.request("POST", "/upper-in", &[("X-Panic-Input", "1")], b"body");
        // The handler's body read fails: 500 as well.
        assert_eq!(r.status, 500, "{mpm:?}");
        let log = httpd.error_log();
        for what in ["UPPERCASE", "UPPERCASE_IN"] {
            assert!(
                log.contains(&format!("the {what} filter was asked to panic")),
                "{mpm:?}: {log}"
            );
        }
        assert!(
            log.contains("panicked at examples/filter/src/lib.rs:"),
            "{log}"
        );
        assert_eq!(httpd.get("/small.txt").text(), "HELLO, FILTERS!\n");
        assert_eq!(
            httpd.request("POST", "/upper-in", &[], b"again").text(),
            "AGAIN"
        );
    }
}

#[test]
fn a_connection_filter_sees_the_whole_connection() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("rsfilter_module", harness::cdylib("mod_rsfilter"))
            .env("RSFILTER_SHOUTING_CONNECTIONS", "1")
            .config("<Location /ECHO>\n    SetHandler echo-body\n</Location>\n")
            .start();
        // The request line is upper-cased before httpd parses it: /echo arrives as /ECHO.
        let r = httpd.request("POST", "/echo", &[], b"whisper");
        assert_eq!((r.status, r.text().as_str()), (200, "WHISPER"), "{mpm:?}");
        let r = httpd.request(
            "POST",
            "/echo",
            &[("Transfer-Encoding", "chunked")],
            b"3\r\nabc\r\n0\r\n\r\n",
        );
        assert_eq!(r.text(), "ABC", "{mpm:?}");
    }
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

#[test]
fn filters_named_by_the_configuration_and_added_with_a_state() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        // RsFilterShoutAs registered MyShout while the configuration was read; httpd knows
        // filter names in lower case.
        let r = httpd.request("POST", "/named", &[], b"quiet words");
        assert_eq!(r.text(), "QUIET WORDS", "{mpm:?}");
        assert_eq!(r.header("X-Filter-Name"), Some("myshout"), "{mpm:?}");
        // The lent request is the filter's.
        let r = httpd.request("POST", "/lent-uri", &[], b"x");
        assert_eq!(r.text(), "uri /lent-uri", "{mpm:?}");
        // TRUNCATE16 added with a budget of 5 instead of its default 16.
        let r = httpd.request("POST", "/cut-at?5", &[], b"0123456789abcdefghij");
        assert_eq!(r.text(), "01234", "{mpm:?}");
        let r = httpd.request("POST", "/cut-at", &[], b"0123456789abcdefghij");
        assert_eq!(r.text(), "0123456789abcdef", "{mpm:?}");
    }
}
