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
    }
}

#[test]
fn sendfile_sends_a_range_of_a_file() {
    let httpd = server(Mpm::Event);
    assert_eq!(httpd.get("/ri/send").text(), "23456");
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
    let httpd = server(Mpm::Event);
    let t = httpd.get("/ri/sub").text();
    assert!(
        t.starts_with("lookup=200 file=page.html\n<p>page</p>\n"),
        "{t}"
    );
    assert!(t.ends_with("run=Ok\n"), "{t}");
    let r = httpd.get("/ri/redirect");
    assert_eq!((r.status, r.text().as_str()), (200, "<p>page</p>\n"));
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
    if !harness::tls::have("curl") {
        eprintln!("skipped: curl is needed");
        return;
    }
    let Some((key, cert)) = harness::tls::self_signed_cert() else {
        eprintln!("skipped: openssl is needed");
        return;
    };
    let tls = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let httpd = Httpd::builder()
        .module("reqinfo_module", harness::cdylib("mod_reqinfo"))
        .system_module("ssl_module", "mod_ssl.so")
        .file("tls/key.pem", key)
        .file("tls/cert.pem", cert)
        .config(&format!(
            "<Location /ri>\n    SetHandler reqinfo\n</Location>\n\
             Listen 127.0.0.1:{tls}\n<VirtualHost 127.0.0.1:{tls}>\n    SSLEngine on\n    \
             SSLCertificateFile @ROOT@/tls/cert.pem\n    SSLCertificateKeyFile @ROOT@/tls/key.pem\n\
             </VirtualHost>\n"
        ))
        .start();
    let out = std::process::Command::new("curl")
        .args(["-sk", "--max-time", "20", "-H", "X-Test: hello"])
        .arg(format!("https://127.0.0.1:{tls}/ri/ssl"))
        .output()
        .expect("curl");
    let t = String::from_utf8_lossy(&out.stdout);
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
            "child-1,cleared,grandchild,child-value,child-2,child dropped,parent,parent dropped\n",
            "{mpm:?}"
        );
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
            "get=one all=one|two|three merged=a, b case=second contains=true gone=false dup=1, 2, 3\n",
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
