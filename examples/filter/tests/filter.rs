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
             <Location /cut-at>\n    SetHandler cut-at\n</Location>\n\
             <Location /brigade>\n    SetHandler brigade-echo\n</Location>\n\
             <Location /tail>\n    SetHandler brigade-echo\n    SetOutputFilter TAIL\n</Location>\n\
             <Location /tail-echo>\n    SetHandler echo-body\n    SetOutputFilter TAIL\n</Location>\n\
             <Location /refuse>\n    SetHandler brigade-echo\n    SetOutputFilter REFUSE_SECRET\n</Location>\n\
             <Location /refuse-echo>\n    SetHandler echo-body\n    SetOutputFilter REFUSE_SECRET\n</Location>\n",
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
        // An APR error from a filter goes back up to the handler, which fails with a 500.
        assert_eq!(httpd.get("/small.txt?fail-filter").status, 500, "{mpm:?}");
        assert_eq!(httpd.get("/small.txt").text(), "HELLO, FILTERS!\n");
    }
}

/// A brigade made by a handler: heap and pool buckets, a flush, its length, the end of stream.
#[test]
fn a_handler_builds_a_brigade_of_every_kind_of_bucket() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.request("POST", "/brigade", &[], b"hello");
        assert_eq!(
            r.text(),
            "hello [pool] [len=12 flat=12 eos=false]",
            "{mpm:?}"
        );
        // One brigade with the end of stream: httpd knows the length.
        assert_eq!(r.header("Content-Length"), Some("39"), "{mpm:?}");
        // A flush sends what came before it at once: the length is not known then, so the
        // body is chunked.
        let r = httpd.request("POST", "/brigade?flush", &[], b"hello");
        assert_eq!(
            r.text(),
            "hello [pool] [len=12 flat=12 eos=false]",
            "{mpm:?}"
        );
        assert_eq!(r.header("Content-Length"), None, "{mpm:?}");
        assert_eq!(r.header("Transfer-Encoding"), Some("chunked"), "{mpm:?}");
    }
}

/// An output filter passes data on in a transient bucket before the end-of-stream, for the
/// last of the many brigades a large body comes in too.
#[test]
fn a_filter_passes_a_transient_bucket_before_the_end() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.request("POST", "/tail", &[], b"hello");
        assert_eq!(
            r.text(),
            "hello [pool] [len=12 flat=12 eos=false] [tail]",
            "{mpm:?}"
        );
        let big = vec![b'b'; 300_000];
        let r = httpd.request("POST", "/tail-echo", &[], &big);
        assert_eq!(r.body.len(), big.len() + 7, "{mpm:?}");
        assert!(r.body.ends_with(b"bbb [tail]"), "{mpm:?}");
    }
}

/// A filter that sends an error bucket and returns AP_FILTER_ERROR replaces the response with
/// exactly one error response, whether the handler passed a brigade (and got the error back)
/// or wrote with `write_all`.
#[test]
fn a_filter_error_response_is_sent_once() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        for path in ["/refuse", "/refuse-echo"] {
            let raw = httpd.raw(
                format!(
                    "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                     Content-Length: 10\r\n\r\ntop secret"
                )
                .as_bytes(),
            );
            let raw = String::from_utf8_lossy(&raw);
            assert!(
                raw.starts_with("HTTP/1.1 403 Forbidden\r\n"),
                "{mpm:?} {path}: {raw}"
            );
            assert_eq!(raw.matches("HTTP/1.1 ").count(), 1, "{mpm:?} {path}: {raw}");
            assert!(!raw.contains("top secret"), "{mpm:?} {path}: {raw}");
            let r = httpd.request("POST", path, &[], b"nothing to hide");
            assert_eq!(r.status, 200, "{mpm:?} {path}");
            assert!(r.text().starts_with("nothing to hide"), "{mpm:?} {path}");
        }
        assert!(
            !httpd.error_log().contains("AP_FILTER_ERROR"),
            "{mpm:?}: {}",
            httpd.error_log()
        );
    }
}

#[test]
fn a_connection_output_filter_sees_the_whole_response() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("rsfilter_module", harness::cdylib("mod_rsfilter"))
            .env("RSFILTER_SHOUTING_REPLIES", "1")
            .config("<Location /echo>\n    SetHandler echo-body\n</Location>\n")
            .start();
        let raw = httpd.raw(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
              Content-Length: 7\r\n\r\nwhisper",
        );
        let raw = String::from_utf8_lossy(&raw);
        // Status line, header names and values, body: all of it passed through the filter.
        assert!(
            raw.starts_with("HTTP/1.1 200 OK\r\nDATE: "),
            "{mpm:?}: {raw}"
        );
        assert!(
            raw.contains("\r\nCONTENT-TYPE: TEXT/PLAIN"),
            "{mpm:?}: {raw}"
        );
        assert!(raw.ends_with("\r\n\r\nWHISPER"), "{mpm:?}: {raw}");
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
