//! A handler written for C mod_python 3.5, run unchanged: it reads form data with `req.read`,
//! sets headers and cookies, keeps per-phase data on the request, and writes a body. Where
//! Debian's C mod_python is installed, the same handler runs on it too and both answers must
//! be the same.

mod support;

use harness::{Httpd, Mpm};
use std::path::PathBuf;

/// The application, as a mod_python 3.5 user would write it.
const APP: &str = r#"
from mod_python import apache
from urllib.parse import parse_qs

def fixuphandler(req):
    req.started = 'fixup saw %s' % req.method
    return apache.OK

def handler(req):
    if req.method == 'POST':
        length = int(req.headers_in.get('Content-Length', '0'))
        form = parse_qs(req.read(length).decode('utf-8'), keep_blank_values=1)
    else:
        form = parse_qs(req.args or '', keep_blank_values=1)
    name = form.get('name', ['stranger'])[0]
    if name == 'nobody':
        raise apache.SERVER_RETURN(apache.HTTP_FORBIDDEN)
    req.content_type = 'text/html; charset=utf-8'
    req.headers_out['X-Greeting'] = 'for ' + name
    req.headers_out.add('Set-Cookie', 'visitor=%s; Path=/' % name)
    req.headers_out.add('Set-Cookie', 'seen=1; Path=/')
    req.err_headers_out['X-Always'] = 'yes'
    cookies = req.headers_in.get('Cookie', '')
    req.write('<p>Hello, %s!</p>\n' % name)
    req.write('<p>%s; %d fields; cookies: %s; %s %s</p>\n' % (
        req.started, len(form), cookies or 'none', req.protocol, req.uri))
    return apache.OK
"#;

fn server(module: PathBuf, mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", module)
        .file("app/app.py", APP)
        .config(
            "<Location /app>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/app']\"\n    \
             PythonHandler app\n    PythonFixupHandler app\n</Location>\n",
        )
        .start()
}

/// The parts of an answer a user of the application sees.
fn seen(httpd: &Httpd, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> String {
    let r = httpd.request(method, path, headers, body);
    format!(
        "{} | {} | {} | {:?} | {} | {}",
        r.status,
        r.header("Content-Type").unwrap_or("-"),
        r.header("X-Greeting").unwrap_or("-"),
        r.headers_all("Set-Cookie"),
        r.header("X-Always").unwrap_or("-"),
        if r.status == 200 {
            r.text()
        } else {
            String::new()
        }
    )
}

fn session(httpd: &Httpd) -> Vec<String> {
    vec![
        seen(httpd, "GET", "/app?name=Ada&x=", &[], b""),
        seen(
            httpd,
            "POST",
            "/app/form",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", "visitor=Ada"),
            ],
            b"name=Grace+Hopper&lang=COBOL&empty=",
        ),
        seen(httpd, "GET", "/app?name=nobody", &[], b""),
        seen(httpd, "GET", "/app", &[], b""),
    ]
}

#[test]
fn a_mod_python_3_5_application_runs_unchanged() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let ours = session(&server(harness::cdylib("mod_python"), mpm));
        assert_eq!(
            ours[0],
            "200 | text/html; charset=utf-8 | for Ada | [\"visitor=Ada; Path=/\", \"seen=1; Path=/\"] | yes | \
             <p>Hello, Ada!</p>\n<p>fixup saw GET; 2 fields; cookies: none; HTTP/1.1 /app</p>\n",
            "{mpm:?}"
        );
        assert_eq!(
            ours[1],
            "200 | text/html; charset=utf-8 | for Grace Hopper | [\"visitor=Grace Hopper; Path=/\", \"seen=1; Path=/\"] | yes | \
             <p>Hello, Grace Hopper!</p>\n<p>fixup saw POST; 3 fields; cookies: visitor=Ada; HTTP/1.1 /app/form</p>\n",
            "{mpm:?}"
        );
        // SERVER_RETURN(HTTP_FORBIDDEN) before anything was set: httpd's own 403 page.
        assert!(ours[2].starts_with("403 | "), "{}", ours[2]);
        assert!(ours[3].contains("Hello, stranger!"), "{}", ours[3]);

        if let Some(c_module) = support::c_mod_python() {
            let theirs = session(&server(c_module, mpm));
            assert_eq!(
                ours, theirs,
                "{mpm:?}: our answers differ from C mod_python's"
            );
        }
    }
}
