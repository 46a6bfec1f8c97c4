//! The Request API on a real httpd.

use harness::{Httpd, Mpm};

fn server(mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("reqinfo_module", harness::cdylib("mod_reqinfo"))
        .system_module("authn_core_module", "mod_authn_core.so")
        // Its note_auth_failure hook writes the WWW-Authenticate challenge.
        .system_module("auth_basic_module", "mod_auth_basic.so")
        .file("htdocs/page.html", "<p>page</p>\n")
        .file("htdocs/data.bin", "0123456789")
        .config(
            "<Location /ri>\n    SetHandler reqinfo\n</Location>\n\
             <Location /ri/auth>\n    AuthType Basic\n    AuthName \"the realm\"\n</Location>\n\
             <Location /ri/small>\n    LimitRequestBody 10\n</Location>\n\
             <Location /ri/on>\n    EnableSendfile On\n</Location>\n\
             <Location /ri/page.html>\n    SetHandler reqinfo-file\n</Location>\n\
             <Files page.html>\n    SetHandler reqinfo-file\n</Files>\n",
        )
        .start()
}

#[test]
fn request_fields() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let t = httpd.get("/ri/info?a=1&b=%20").text();
        let port = httpd.port();
        assert!(t.contains("method=GET number=0 uri=/ri/info args=a=1&b=%20 unparsed=/ri/info?a=1&b=%20 protocol=HTTP/1.1 proto_num=1001 hostname=127.0.0.1"), "{t}");
        assert!(t.contains(&format!("path=/ri/info query=a=1&b=%20 url=http://127.0.0.1:{port}/x initial=true main=false the_request=GET /ri/info?a=1&b=%20 HTTP/1.1")), "{t}");
        assert!(
            t.contains("useragent_ip=127.0.0.1 request_time="),
            "{mpm:?}: {t}"
        );
        assert!(t.contains(" status=200 status_line=-"), "{mpm:?}: {t}");
        let request_time: i64 = t
            .split_once("request_time=")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("request_time");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64;
        assert!(
            (now - request_time).abs() < 60_000_000,
            "{mpm:?}: request_time {request_time} is not now ({now})"
        );
    }
}

#[test]
fn status_and_status_line_of_the_handlers_choosing() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let raw = httpd.raw(b"GET /ri/status HTTP/1.0\r\n\r\n");
        let raw = String::from_utf8_lossy(&raw);
        assert!(
            raw.starts_with("HTTP/1.1 299 Rusty Enough\r\n"),
            "{mpm:?}: {raw}"
        );
        assert!(
            raw.ends_with("\r\n\r\nbefore=200 status=299 line=299 Rusty Enough\n"),
            "{mpm:?}: {raw}"
        );
    }
}

#[test]
fn sendfile_sends_a_range_of_a_file() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        // httpd's default, EnableSendfile Off, holds for these files as for core's.
        let r = httpd.get("/ri/send");
        assert_eq!(
            (r.header("X-Sendfile"), r.text().as_str()),
            (Some("off"), "23456"),
            "{mpm:?}"
        );
        let r = httpd.get("/ri/on/send");
        assert_eq!(
            (r.header("X-Sendfile"), r.text().as_str()),
            (Some("on"), "23456"),
            "{mpm:?}"
        );
    }
}

#[test]
fn conditional_requests_and_validators() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.get("/page.html");
        assert_eq!((r.status, r.text().as_str()), (200, "<p>page</p>\n"));
        let lm = r
            .header("Last-Modified")
            .expect("Last-Modified")
            .to_string();
        let etag = r.header("ETag").expect("ETag").to_string();
        assert_eq!(r.header("Content-Length"), Some("12"));
        assert_eq!(
            httpd
                .request("GET", "/page.html", &[("If-Modified-Since", &lm)], b"")
                .status,
            304
        );
        assert_eq!(
            httpd
                .request("GET", "/page.html", &[("If-None-Match", &etag)], b"")
                .status,
            304
        );
        assert_eq!(
            httpd
                .request("GET", "/page.html", &[("If-Match", "\"nope\"")], b"")
                .status,
            412
        );
        let head = httpd.request("HEAD", "/page.html", &[], b"");
        assert_eq!((head.status, head.body.len()), (200, 0));
    }
}

#[test]
fn subrequests_and_internal_redirects() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let t = httpd.get("/ri/sub").text();
        assert!(
            t.starts_with("lookup=200 file=page.html\n<p>page</p>\n"),
            "{mpm:?}: {t}"
        );
        assert!(t.ends_with("run=Ok\n"), "{t}");
        let r = httpd.get("/ri/redirect");
        assert_eq!((r.status, r.text().as_str()), (200, "<p>page</p>\n"));
        // The subrequest sees itself as one: not initial, with a main request.
        let t = httpd.get("/ri/sub-info").text();
        assert!(
            t.contains("uri=/ri/info args=from=sub ") && t.contains("initial=false main=true"),
            "{mpm:?}: {t}"
        );
        assert!(t.ends_with("run=Ok\n"), "{mpm:?}: {t}");
        // A file looked up relative to the request: the file is the document root's, the
        // URI is relative to the request's (where <Location /ri/page.html> serves the file).
        assert_eq!(
            httpd.get("/ri/lookup-file").text(),
            "lookup=200 file=page.html\n<p>page</p>\nuri=/ri/page.html run=Ok\n",
            "{mpm:?}"
        );
        // An internal redirect: the new request knows the one it came from, and that one
        // points on to it.
        let r = httpd.get("/ri/chain");
        assert_eq!(
            (r.status, r.text().as_str()),
            (
                200,
                "uri=/ri/redirected args=from=chain initial=false prev=/ri/chain (its next: /ri/redirected)\n"
            ),
            "{mpm:?}"
        );
        assert_eq!(
            httpd.get("/ri/redirected").text(),
            "uri=/ri/redirected args=- initial=true prev=none\n",
            "{mpm:?}"
        );
    }
}

#[test]
fn basic_auth_password() {
    let httpd = server(Mpm::Event);
    // "alice:s3cret"
    let r = httpd.request(
        "GET",
        "/ri/auth",
        &[("Authorization", "Basic YWxpY2U6czNjcmV0")],
        b"",
    );
    assert_eq!(r.text(), "user=alice pw=s3cret realm=the realm");
    let none = httpd.get("/ri/auth");
    assert_eq!(none.status, 401);
    assert!(
        none.header("WWW-Authenticate")
            .is_some_and(|v| v.contains("the realm")),
        "{:?}",
        none.headers
    );
}

#[test]
fn cgi_variables() {
    let httpd = server(Mpm::Event);
    let t = httpd.get("/ri/cgi?x=y").text();
    // /ri is no file, so httpd splits the URI into the script and the path info after it.
    assert_eq!(
        t,
        "REQUEST_METHOD=GET QUERY_STRING=x=y SCRIPT_NAME=/ri PATH_INFO=/cgi SERVER_PROTOCOL=HTTP/1.1"
    );
}

#[test]
fn request_body_reading() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        assert_eq!(
            httpd.request("POST", "/ri/echo", &[], b"hello").text(),
            "5 bytes: hello"
        );
        let r = httpd.request(
            "POST",
            "/ri/echo",
            &[("Transfer-Encoding", "chunked")],
            b"3\r\nabc\r\n0\r\n\r\n",
        );
        assert_eq!(r.text(), "3 bytes: abc");
        // Read three bytes at a time: both framings give every byte.
        let body: Vec<u8> = (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let r = httpd.request("POST", "/ri/echo", &[], &body);
        assert_eq!(r.body, [&b"1000 bytes: "[..], &body].concat(), "{mpm:?}");
        let chunked = b"7\r\n0123456\r\n1\r\n7\r\n3\r\n89a\r\n0\r\n\r\n";
        let r = httpd.request(
            "POST",
            "/ri/echo",
            &[("Transfer-Encoding", "chunked")],
            chunked,
        );
        assert_eq!(r.text(), "11 bytes: 0123456789a", "{mpm:?}");
        assert!(
            httpd
                .error_log()
                .contains("reqinfo: read 1000 bytes in 334 reads"),
            "{mpm:?}"
        );
    }
}

/// `LimitRequestBody 10` under /ri/small: httpd answers 413, once, whether the length was
/// declared (refused before reading) or the chunks add up to more (refused while reading, by
/// httpd's input filter, after which the handler's failed read sends nothing more).
#[test]
fn limit_request_body_is_answered_once_with_413() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        assert_eq!(
            httpd
                .request("POST", "/ri/small/echo", &[], b"0123456789")
                .text(),
            "10 bytes: 0123456789",
            "{mpm:?}"
        );
        for path in ["/ri/small/echo", "/ri/small/discard"] {
            for chunked in [false, true] {
                let raw = if chunked {
                    format!(
                        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                         Transfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n"
                    )
                } else {
                    format!(
                        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                         Content-Length: 12\r\n\r\n012345678901"
                    )
                };
                let answer = httpd.raw(raw.as_bytes());
                let answer = String::from_utf8_lossy(&answer);
                assert!(
                    answer.starts_with("HTTP/1.1 413 "),
                    "{mpm:?} {path} chunked={chunked}: {answer}"
                );
                assert_eq!(
                    answer.matches("HTTP/1.1 ").count(),
                    1,
                    "{mpm:?} {path} chunked={chunked}: one response only: {answer}"
                );
            }
        }
        assert_eq!(httpd.get("/ri/info").status, 200, "{mpm:?}");
    }
}

/// A body the handler throws away leaves the connection clean for the next request.
#[test]
fn discard_request_body_keeps_the_connection_usable() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let raw = httpd.raw(
            b"POST /ri/discard HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
              GET /ri/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        let raw = String::from_utf8_lossy(&raw);
        assert!(
            raw.contains("\r\n\r\ndiscarded, read_length="),
            "{mpm:?}: {raw}"
        );
        assert_eq!(raw.matches("HTTP/1.1 200 OK").count(), 2, "{mpm:?}: {raw}");
        assert!(
            raw.contains("method=GET number=0 uri=/ri/info"),
            "{mpm:?}: {raw}"
        );
    }
}

/// Two requests on one kept-alive connection: the same connection id, the module's state
/// for the connection carried from one to the next, and httpd's keep-alive decision.
#[test]
fn connection_fields_and_state_across_keep_alive() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let raw = httpd.raw(
            b"GET /ri/conn HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /ri/conn HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        let raw = String::from_utf8_lossy(&raw);
        let port = httpd.port();
        let lines: Vec<&str> = raw
            .lines()
            .filter(|l| l.starts_with("seen=") || l.starts_with("keepalive="))
            .collect();
        assert_eq!(lines.len(), 4, "{mpm:?}: {raw}");
        let id = |l: &str| l.split_whitespace().nth(1).unwrap_or("").to_string();
        assert_eq!(id(lines[0]), id(lines[2]), "{mpm:?}: one connection: {raw}");
        let rest = format!("aborted=false local=127.0.0.1:{port} client=127.0.0.1");
        assert!(
            lines[0].starts_with("seen=1 ") && lines[0].ends_with(&format!("keepalives=0 {rest}")),
            "{mpm:?}: {raw}"
        );
        assert_eq!(lines[1], "keepalive=true", "{mpm:?}");
        assert!(
            lines[2].starts_with("seen=2 ") && lines[2].ends_with(&format!("keepalives=1 {rest}")),
            "{mpm:?}: {raw}"
        );
        assert_eq!(lines[3], "keepalive=false", "{mpm:?}");
    }
}

#[test]
fn allow_header_follows_allow_methods() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        // OPTIONS: the handler lists GET and PUT (after a reset), then PATCH, and leaves the
        // answer to the core, which adds what its default handler serves.
        let r = httpd.request("OPTIONS", "/ri/allow", &[], b"");
        assert_eq!(r.status, 200, "{mpm:?}");
        let allow = r.header("Allow").expect("Allow on OPTIONS").to_string();
        let methods: Vec<&str> = allow.split(',').collect();
        for m in ["GET", "PUT", "PATCH", "OPTIONS"] {
            assert!(methods.contains(&m), "{mpm:?}: {m} not in {allow}");
        }
        // The handler also set the DELETE bit of r->allowed: still there after the core's
        // answer, but httpd 2.4 made Allow from the method list alone.
        assert!(!methods.contains(&"DELETE"), "{mpm:?}: {allow}");
        let mask = 1u64 << apache::ffi::M_DELETE;
        let log = httpd.error_log();
        assert!(
            log.contains(&format!("reqinfo: OPTIONS /ri/allow allowed={mask}")),
            "{mpm:?}: {log}"
        );
        // 405: the reset list only.
        let r = httpd.request("DELETE", "/ri/allow", &[], b"");
        assert_eq!(r.status, 405, "{mpm:?}");
        let allow = r.header("Allow").expect("Allow on 405");
        let mut methods: Vec<&str> = allow.split(',').filter(|m| *m != "TRACE").collect();
        methods.sort();
        assert_eq!(methods, ["GET", "HEAD", "OPTIONS"], "{mpm:?}: {allow}");
        // A plain GET: the handler set no bits.
        assert_eq!(httpd.get("/ri/allow").text(), "allowed=0\n", "{mpm:?}");
    }
}

#[test]
fn request_fields_can_be_set() {
    let httpd = server(Mpm::Event);
    // Without the setters: httpd split the URI into file and path info.
    let t = httpd.get("/ri/fields").text();
    assert!(
        t.starts_with("uri=/ri/fields args=- path_info=/fields canonical=/"),
        "{t}"
    );
    let t = httpd.get("/ri/fields?set").text();
    assert_eq!(
        t,
        "uri=/new/uri args=x=1&y=2 path_info=/more/path canonical=/canonical/file unparsed=/ri/fields?set\n"
    );
    // A translate_name hook moved the request: <Location /ri> and the handler follow the new
    // URI and query string; the request line is unchanged.
    let t = httpd.get("/ri-old/info?q=1").text();
    assert!(
        t.contains("uri=/ri/info args=remapped=1 unparsed=/ri-old/info?q=1"),
        "{t}"
    );
    let t = httpd.get("/ri-old/fields?drop").text();
    assert!(t.starts_with("uri=/ri/fields args=- "), "{t}");
}

#[test]
fn response_metadata_headers() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.get("/ri/headers?no-cache");
        assert_eq!(
            r.text(),
            "encoding=x-demo languages=en,fr-CA no_cache=true\n",
            "{mpm:?}"
        );
        assert_eq!(r.header("Content-Encoding"), Some("x-demo"), "{mpm:?}");
        assert_eq!(r.header("Content-Language"), Some("en,fr-CA"), "{mpm:?}");
        // no_cache: httpd dates the response as expired already.
        assert_eq!(r.header("Expires"), r.header("Date"), "{mpm:?}");
        let r = httpd.get("/ri/headers");
        assert!(r.text().ends_with("no_cache=false\n"), "{mpm:?}");
        assert_eq!(r.header("Expires"), None, "{mpm:?}");
    }
}

#[test]
fn lengths_and_chunking_as_httpd_counts_them() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.get("/ri/length");
        assert_eq!(r.text(), "hello\n", "{mpm:?}");
        assert_eq!(r.header("Content-Length"), Some("6"), "{mpm:?}");
        assert_eq!(r.header("X-Clength"), Some("6"), "{mpm:?}");
        // HTTP/1.1 without a length: chunked, decided when the headers went out.
        let r = httpd.get("/ri/chunked");
        assert_eq!(r.header("Transfer-Encoding"), Some("chunked"), "{mpm:?}");
        assert_eq!(
            r.text(),
            "first line\nbefore: chunked=false bytes_sent=0\nafter: chunked=true bytes_sent=11\n",
            "{mpm:?}"
        );
        // HTTP/1.0 cannot chunk: the connection's end ends the body.
        let raw = httpd.raw(b"GET /ri/chunked HTTP/1.0\r\n\r\n");
        let raw = String::from_utf8_lossy(&raw);
        assert!(
            raw.ends_with("\r\n\r\nfirst line\nbefore: chunked=false bytes_sent=0\nafter: chunked=false bytes_sent=11\n"),
            "{mpm:?}: {raw}"
        );
    }
}

#[test]
fn ssl_variables_without_mod_ssl() {
    let httpd = server(Mpm::Event);
    let t = httpd
        .request("GET", "/ri/ssl", &[("X-Test", "hello")], b"")
        .text();
    assert_eq!(
        t,
        "https=false conn_https=false SSL_PROTOCOL=- SSL_CIPHER=- HTTPS=- lib=- header=- conn_HTTPS=-\n"
    );
}

/// mod_ssl loaded: on plain HTTP nothing is HTTPS and the connection's SSL variables have no
/// value, while mod_ssl answers the variables it knows for any request.
#[test]
fn ssl_variables_with_mod_ssl_on_plain_http() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("reqinfo_module", harness::cdylib("mod_reqinfo"))
            .system_module("ssl_module", "mod_ssl.so")
            .config("<Location /ri>\n    SetHandler reqinfo\n</Location>\n")
            .start();
        let t = httpd
            .request("GET", "/ri/ssl", &[("X-Test", "hello")], b"")
            .text();
        assert_eq!(
            t,
            "https=false conn_https=false SSL_PROTOCOL=- SSL_CIPHER=- HTTPS=off lib=OpenSSL header=hello conn_HTTPS=off\n",
            "{mpm:?}"
        );
    }
}

/// A real TLS connection (a self-signed certificate made with `openssl`, fetched with
/// `curl -k`): HTTPS and the SSL variables are there. Skipped when either tool is missing.
#[test]
fn ssl_variables_over_tls() {
    let Some((key, cert)) = harness::tls::cert_or_skip(true) else {
        return;
    };
    let (builder, tls) = harness::tls::vhost(
        Httpd::builder()
            .module("reqinfo_module", harness::cdylib("mod_reqinfo"))
            .config("<Location /ri>\n    SetHandler reqinfo\n</Location>\n"),
        &key,
        &cert,
        "",
    );
    let httpd = builder.start();
    let t = harness::tls::curl(tls, "/ri/ssl", &["X-Test: hello"]);
    assert!(
        t.starts_with("https=true conn_https=true SSL_PROTOCOL=TLSv1."),
        "{t}\n{}",
        httpd.error_log()
    );
    assert!(!t.contains("SSL_CIPHER=- "), "{t}");
    assert!(
        t.contains("HTTPS=on lib=OpenSSL header=hello conn_HTTPS=on"),
        "{t}"
    );
    // Plain HTTP on the main port of the same server.
    assert!(httpd.get("/ri/ssl").text().starts_with("https=false "));
}

#[test]
fn sub_pool_cleanups_run_before_their_parents() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        assert_eq!(
            httpd.get("/ri/pool").text(),
            "child-1,cleared,grandchild,child-value,child-2,child dropped,parent,parent dropped \
             pooled=in the request pool\n",
            "{mpm:?}"
        );
        // A cleanup that panics is logged; the pool's other cleanups and the request go on.
        let r = httpd.get("/ri/pool?panic-in-cleanup");
        assert_eq!(r.status, 200, "{mpm:?}");
        assert!(
            r.text().starts_with("after the panic,child-1,"),
            "{mpm:?}: {}",
            r.text()
        );
        let log = httpd.error_log();
        assert!(
            log.contains("panicked at examples/reqinfo/src/lib.rs:")
                && log.contains("a pool cleanup was asked to panic"),
            "{mpm:?}: {log}"
        );
        assert_eq!(httpd.get("/ri/info").status, 200, "{mpm:?}");
    }
}

#[test]
fn tables_have_repeated_and_case_insensitive_keys() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.request(
            "GET",
            "/ri/table",
            &[("X-Dup", "1"), ("x-dup", "2"), ("X-DUP", "3")],
            b"",
        );
        // httpd folds repeated request headers into one value as it reads them.
        assert_eq!(
            r.text(),
            "get=one all=one|two|three merged=a, b case=second contains=true gone=false dup=1, 2, 3 \
             iter=X-Multi:one,x-multi:two,X-MULTI:three,X-Merged:a, b,X-Case:second\n",
            "{mpm:?}"
        );
        // What the client receives: three X-Multi lines, one merged, one X-Case.
        assert_eq!(r.headers_all("X-Multi"), ["one", "two", "three"], "{mpm:?}");
        assert_eq!(r.headers_all("X-Merged"), ["a, b"], "{mpm:?}");
        assert_eq!(r.headers_all("X-Case"), ["second"], "{mpm:?}");
        assert!(r.headers_all("X-Gone").is_empty(), "{mpm:?}");
    }
}

#[test]
fn rarer_fields_server_record_stat_and_configuration() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("reqinfo_module", harness::cdylib("mod_reqinfo"))
            .file("htdocs/data.bin", "0123456789")
            .config(
                "Define REQINFO_DEMO\n\
                 <Location /ri>\n    SetHandler reqinfo\n</Location>\n",
            )
            .start();
        let t = httpd.get("/ri/more").text();
        for want in [
            "assbackwards=false proxyreq=0 read_body=0 read_chunked=false expecting_100=false \
             used_path_info=1 eos_sent=false no_local_copy=true ap_auth_type=Demo vlist=None",
            "allowed_methods get=true extra=FROB xmethods=0",
            "remote nolookup=127.0.0.1 is_ip=true",
            "useragent port_matches=true",
            "server names= wild= error_fname=true",
            "path=None pathlen=0",
            "conn logname=None double_reverse=0 keepalive_state=",
            "read-only tables note=Some(\"kept\") err=Some(\"e\")",
            "env=true",
            "conn note=Some(\"c\")",
            "stat size=Some(10) type=Some(1) missing=true",
            "finfo_from found=true size=10",
            "define demo=true nope=false restart_time=true",
            "locations /ri>[SetHandler]",
        ] {
            assert!(t.contains(want), "{mpm:?}: {want:?} not in\n{t}");
        }
    }
}
