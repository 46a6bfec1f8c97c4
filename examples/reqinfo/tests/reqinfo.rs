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
