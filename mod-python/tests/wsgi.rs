//! mod_python.wsgi on a real httpd, under the event and prefork MPMs: WSGI (PEP 3333)
//! applications served through `PythonHandler mod_python.wsgi`, and the behaviour their
//! authors rely on. Where Debian's C mod_python 3.5 is installed, a session of requests is
//! answered by both and compared.

mod support;

use harness::{Httpd, Mpm};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The applications, as WSGI users write them (nothing mod_python-specific in them).
const APPS: &str = r#"
import os, sys, time

def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'hello world\n']

class Holder(object):
    def app(self, environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'dotted callable\n']

holder = Holder()

KEYS = ('REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING', 'SERVER_PROTOCOL',
        'CONTENT_TYPE', 'CONTENT_LENGTH', 'HTTP_X_TEST', 'HTTP_X_OTHER', 'wsgi.url_scheme',
        'wsgi.version', 'wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once')

def env(environ, start_response):
    lines = ['%s=%s' % (k, ascii(environ.get(k, '-'))) for k in KEYS]
    if 'HTTP_AUTHORIZATION' in environ:
        lines.append('HTTP_AUTHORIZATION=%s' % ascii(environ['HTTP_AUTHORIZATION']))
    cgi = dict((k, v) for k, v in environ.items() if not k.startswith('wsgi.'))
    lines.append('dict=%s native=%s input=%s errors=%s' % (
        type(environ) is dict, all(type(v) is str for v in cgi.values()),
        all(hasattr(environ['wsgi.input'], m) for m in ('read', 'readline', 'readlines', '__iter__')),
        all(hasattr(environ['wsgi.errors'], m) for m in ('write', 'writelines', 'flush'))))
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return ['\n'.join(lines).encode('ascii') + b'\n']

def body(environ, start_response):
    inp = environ['wsgi.input']
    how = environ['QUERY_STRING']
    if how == 'pieces':
        out = (inp.read(3), inp.readline(), inp.readline(2), [line for line in inp], inp.read())
    elif how == 'all':
        out = inp.read()
    elif how == 'sized':
        data = inp.read(int(environ['CONTENT_LENGTH']))
        out = (len(data), inp.read(10))
    else:
        out = inp.readlines()
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [repr(out).encode()]

def headers(environ, start_response):
    start_response('202 Accepted For Later', [
        ('Content-Type', 'text/x-test; charset=utf-8'), ('Set-Cookie', 'a=1; Path=/'),
        ('Set-Cookie', 'b=2; Path=/'), ('X-Multi', 'x'), ('X-Multi', 'y')])
    return [b'accepted']

def not_found(environ, start_response):
    start_response('404 Nothing Here', [('Content-Type', 'text/plain')])
    return [b'no such thing']

def content_length(environ, start_response):
    # More than announced: PEP 3333 says the server sends no more than Content-Length.
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '5')])
    return [b'01234', b'56789']

def generator(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    for i in range(3):
        yield ('block %d;' % i).encode()

def stream(environ, start_response):
    # The second block waits for the client to have seen the first one.
    flag = environ['QUERY_STRING']
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield b'first;'
    deadline = time.time() + 10
    while not os.path.exists(flag) and time.time() < deadline:
        time.sleep(0.02)
    yield ('second, flag seen=%s' % os.path.exists(flag)).encode()

def write_callable(environ, start_response):
    write = start_response('200 OK', [('Content-Type', 'text/plain')])
    write(b'written;')
    write(b'written again;')
    return [b'returned']

class Closing(object):
    def __init__(self, environ, fail):
        self.errors = environ['wsgi.errors']
        self.fail = fail
    def __iter__(self):
        yield b'one;'
        if self.fail:
            raise ValueError('iteration failed')
        yield b'two'
    def close(self):
        self.errors.write('close() called, fail=%s\n' % self.fail)

def closing(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return Closing(environ, environ['QUERY_STRING'] == 'fail')

def exc_early(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Old', 'yes')])
    try:
        raise KeyError('replaced')
    except KeyError:
        start_response('503 Try Later', [('Content-Type', 'text/plain'), ('Retry-After', '5')],
                       sys.exc_info())
    return [b'replacement body']

def exc_late(environ, start_response):
    write = start_response('200 OK', [('Content-Type', 'text/plain')])
    write(b'partial;')
    try:
        raise KeyError('original')
    except KeyError:
        info = sys.exc_info()
        try:
            start_response('500 Oops', [('Content-Type', 'text/plain')], info)
        except KeyError as e:
            environ['wsgi.errors'].write('re-raised the original: %s\n' % (e is info[1]))
            raise
    return [b'not reached']

def twice(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('X-First', '1')])
    start_response('201 Created', [('Content-Type', 'text/plain'), ('X-Second', '2')])
    return [b'second wins']

def boom(environ, start_response):
    raise ValueError('the application exploded')

def no_start(environ, start_response):
    return [b'no status given']

def errors(environ, start_response):
    err = environ['wsgi.errors']
    print('printed to wsgi.errors', file=err)
    err.write('written in ')
    err.write('two pieces\n')
    err.writelines(['line a\n', 'line b\n'])
    err.write('left unterminated')
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'logged']

def compat(environ, start_response):
    # What C mod_python 3.5 and this one agree on (3.5 ignores the status and cannot
    # iterate wsgi.input).
    inp = environ['wsgi.input']
    got = b''
    if environ['REQUEST_METHOD'] == 'POST':
        got = inp.read(3) + b'|' + inp.readline() + b'|' + inp.read()
    write = start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Multi', 'x'),
                                      ('X-Multi', 'y')])
    write(('method=%s script=%s path=%s query=%s x=%s version=%r mt=%s mp=%s scheme=%s;' % (
        environ['REQUEST_METHOD'], environ['SCRIPT_NAME'], environ.get('PATH_INFO', ''),
        environ['QUERY_STRING'], environ.get('HTTP_X_TEST', '-'), environ['wsgi.version'],
        environ['wsgi.multithread'], environ['wsgi.multiprocess'],
        environ['wsgi.url_scheme'])).encode())
    def rest():
        yield b'body=' + got + b';'
        yield b'done'
    return rest()

# PEP 3333's types: each case breaks one rule (or, for latin1, keeps them all).
def pep(environ, start_response):
    case = environ['QUERY_STRING']
    status, headers = '200 OK', [('Content-Type', 'text/plain')]
    if case == 'latin1':
        headers.append(('X-Word', 'caf\xe9'))
    elif case == 'bytes_value':
        headers.append(('X-Word', b'x'))
    elif case == 'bytes_name':
        headers.append((b'X-Word', 'x'))
    elif case == 'beyond_latin1':
        headers.append(('X-Word', 'caf\u0117'))
    elif case == 'newline':
        headers.append(('X-Word', 'a\r\nX-Injected: yes'))
    elif case == 'bad_name':
        headers.append(('X Word', 'x'))
    elif case == 'tuple':
        headers = tuple(headers)
    elif case == 'status_bytes':
        status = b'200 OK'
    elif case == 'status_int':
        status = 200
    elif case == 'status_form':
        status = '200'
    try:
        write = start_response(status, headers)
    except (TypeError, ValueError) as e:
        environ['wsgi.errors'].write('start_response refused %s: %s: %s\n'
                                     % (case, type(e).__name__, e))
        raise
    if case == 'str_body':
        return ['text, not bytes']
    if case == 'str_write':
        write('text')
    return [b'sent']

def late_failure(environ, start_response):
    case = environ['QUERY_STRING']
    headers = [('Content-Type', 'text/plain')]
    if case == 'sized':
        headers.append(('Content-Length', '100'))
    start_response('200 OK', headers)
    yield b'first;'
    if case == 'str':
        yield 'a str block'
    raise ValueError('failed after the body began')

def input_flag(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    body = environ['wsgi.input'].read() if environ.get('wsgi.input_terminated') else b'-'
    return [b'terminated=%r got=%r' % (environ.get('wsgi.input_terminated'), body)]

def endless(environ, start_response):
    # Until the client has gone (bounded: at most 10 s and 64 MiB).
    start_response('200 OK', [('Content-Type', 'application/octet-stream')])
    block = b'x' * 65536
    deadline = time.time() + 10
    for _ in range(1024):
        if time.time() > deadline:
            break
        yield block
        time.sleep(0.005)
"#;

/// An application in a file of its own with the suffix mod_wsgi users give it.
const WSGI_FILE: &str = r#"
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('file app: script=%s path=%s filename=%s' % (environ['SCRIPT_NAME'],
             environ['PATH_INFO'], environ['SCRIPT_FILENAME'])).encode()]

def other(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('other callable: script=%s path=%s filename=%s' % (environ['SCRIPT_NAME'],
             environ['PATH_INFO'], environ['SCRIPT_FILENAME'])).encode()]
"#;

/// `<Location path>` serving `app` (module[::callable]) through mod_python.wsgi.
fn location(path: &str, app: Option<&str>, extra: &str) -> String {
    let option = app
        .map(|a| format!("    PythonOption mod_python.wsgi.application {a}\n"))
        .unwrap_or_default();
    format!(
        "<Location {path}>\n    SetHandler mod_python\n    PythonHandler mod_python.wsgi\n{option}{extra}</Location>\n"
    )
}

fn config() -> String {
    let mut c = String::from("PythonPath \"sys.path+['@ROOT@/py']\"\n");
    for (path, app) in [
        ("/hello", "wsgiapps"),
        ("/dotted", "wsgiapps::holder.app"),
        ("/env", "wsgiapps::env"),
        ("/body", "wsgiapps::body"),
        ("/headers", "wsgiapps::headers"),
        ("/not_found", "wsgiapps::not_found"),
        ("/cl", "wsgiapps::content_length"),
        ("/gen", "wsgiapps::generator"),
        ("/stream", "wsgiapps::stream"),
        ("/write", "wsgiapps::write_callable"),
        ("/close", "wsgiapps::closing"),
        ("/exc_early", "wsgiapps::exc_early"),
        ("/exc_late", "wsgiapps::exc_late"),
        ("/twice", "wsgiapps::twice"),
        ("/boom", "wsgiapps::boom"),
        ("/no_start", "wsgiapps::no_start"),
        ("/errors", "wsgiapps::errors"),
        ("/missing", "wsgiapps::nothere"),
        ("/nomodule", "nosuchmodule::application"),
        ("/compat", "wsgiapps::compat"),
        ("/pep", "wsgiapps::pep"),
        ("/late", "wsgiapps::late_failure"),
        ("/input_flag", "wsgiapps::input_flag"),
        ("/endless", "wsgiapps::endless"),
        ("/byfile", "@ROOT@/apps/site.wsgi"),
        ("/byfile_other", "apps/site.wsgi::other"),
        ("/nofile", "@ROOT@/apps/missing.wsgi"),
    ] {
        c += &location(path, Some(app), "");
    }
    c += &location("/noapp", None, "");
    c += &location("/env_auth", Some("wsgiapps::env"), "    CGIPassAuth On\n");
    c += &location(
        "/mounted",
        Some("wsgiapps::env"),
        "    PythonOption mod_python.wsgi.base_uri /mounted/app/\n",
    );
    c += &location(
        "/based",
        Some("wsgiapps::compat"),
        "    PythonOption mod_python.wsgi.base_uri /based/here\n",
    );
    c += "<Directory @ROOT@/htdocs/scripts>\n    AddHandler mod_python .wsgi\n    \
          PythonHandler mod_python.wsgi\n</Directory>\n";
    c += "<Directory @ROOT@/htdocs/dir>\n    SetHandler mod_python\n    PythonHandler mod_python.wsgi\n    \
          PythonOption mod_python.wsgi.application wsgiapps::env\n</Directory>\n";
    c
}

fn builder(module: PathBuf, mpm: Mpm) -> harness::Builder {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", module)
        .file("py/wsgiapps.py", APPS)
        .file("htdocs/dir/file.txt", "a file\n")
        .file("apps/site.wsgi", WSGI_FILE)
        .file("htdocs/scripts/hello.wsgi", WSGI_FILE)
        .config(&config())
}

fn server(mpm: Mpm) -> Httpd {
    builder(harness::cdylib("mod_python"), mpm).start()
}

const MPMS: [Mpm; 2] = [Mpm::Event, Mpm::Prefork];

fn get(httpd: &Httpd, path: &str) -> (u16, String) {
    let r = httpd.get(path);
    (r.status, r.text())
}

/// Waits (a little) for `what` to show in the error_log, which httpd writes after answering.
fn wait_for_log(httpd: &Httpd, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = httpd.error_log();
        if log.contains(what) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Requests `path` on a kept-alive connection with a second request behind it; returns what
/// came back, after checking the first response was aborted as httpd aborts a broken one:
/// its last chunk left out and the connection closed, so the second request gets no answer.
fn aborted(httpd: &Httpd, path: &str) -> String {
    let raw = httpd.raw(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            .as_bytes(),
    );
    let t = String::from_utf8_lossy(&raw).into_owned();
    assert!(
        !t.contains("\r\n0\r\n\r\n") && t.matches("HTTP/1.1 ").count() == 1,
        "{path}: not aborted: {t}"
    );
    t
}

#[test]
fn hello_world_and_the_callable_named() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let r = httpd.get("/hello");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "hello world\n"),
            "{mpm:?}"
        );
        assert_eq!(r.header("Content-Type"), Some("text/plain"), "{mpm:?}");
        // A list's blocks are all there when the response ends: httpd counts them.
        assert_eq!(r.header("Content-Length"), Some("12"), "{mpm:?}");
        assert_eq!(
            get(&httpd, "/dotted"),
            (200, "dotted callable\n".into()),
            "{mpm:?}"
        );
        let head = httpd.request("HEAD", "/hello", &[], b"");
        assert_eq!(
            (head.status, head.body.len()),
            (200, 0),
            "{mpm:?}: HEAD answers without a body"
        );
    }
}

#[test]
fn environ_holds_the_request_as_pep_3333_says() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let r = httpd.request(
            "GET",
            "/env/a/b?x=1&y=%20",
            &[("X-Test", "some value"), ("X-Other", "two")],
            b"",
        );
        let threaded = if mpm == Mpm::Prefork { "False" } else { "True" };
        assert_eq!(
            r.text(),
            format!(
                "REQUEST_METHOD='GET'\nSCRIPT_NAME='/env'\nPATH_INFO='/a/b'\nQUERY_STRING='x=1&y=%20'\n\
                 SERVER_PROTOCOL='HTTP/1.1'\nCONTENT_TYPE='-'\nCONTENT_LENGTH='-'\n\
                 HTTP_X_TEST='some value'\nHTTP_X_OTHER='two'\nwsgi.url_scheme='http'\n\
                 wsgi.version=(1, 0)\nwsgi.multithread={threaded}\nwsgi.multiprocess=True\n\
                 wsgi.run_once=False\ndict=True native=True input=True errors=True\n"
            ),
            "{mpm:?}"
        );
        let r = httpd.request(
            "POST",
            "/env",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"a=1",
        );
        let t = r.text();
        assert!(
            t.contains(
                "REQUEST_METHOD='POST'\nSCRIPT_NAME='/env'\nPATH_INFO=''\nQUERY_STRING=''\n"
            ) && t
                .contains("CONTENT_TYPE='application/x-www-form-urlencoded'\nCONTENT_LENGTH='3'\n"),
            "{mpm:?}: {t}"
        );
        // httpd keeps Authorization from applications unless CGIPassAuth says otherwise.
        let auth = [("Authorization", "Basic dTpw"), ("X-Test", "a")];
        let hidden = httpd.request("GET", "/env", &auth, b"").text();
        let passed = httpd.request("GET", "/env_auth", &auth, b"").text();
        assert!(!hidden.contains("HTTP_AUTHORIZATION"), "{mpm:?}: {hidden}");
        assert!(
            passed.contains("HTTP_AUTHORIZATION='Basic dTpw'"),
            "{mpm:?}: {passed}"
        );
        // Native strings: the URL's and the headers' bytes, one code point each (latin-1).
        let raw = httpd.raw(
            b"GET /env/caf%C3%A9 HTTP/1.1\r\nHost: x\r\nX-Test: caf\xc3\xa9\r\nX-Other: caf\xe9\r\nConnection: close\r\n\r\n",
        );
        let t = String::from_utf8_lossy(&raw);
        assert!(
            t.contains("PATH_INFO='/caf\\xc3\\xa9'")
                && t.contains("HTTP_X_TEST='caf\\xc3\\xa9'")
                && t.contains("HTTP_X_OTHER='caf\\xe9'")
                && t.contains("native=True"),
            "{mpm:?}: {t}"
        );
    }
}

#[test]
fn script_name_and_path_info_with_and_without_base_uri() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let split = |path: &str| {
            let r = httpd.get(path);
            let t = r.text();
            let field = |k: &str| {
                t.lines()
                    .find_map(|l| l.strip_prefix(&format!("{k}=")))
                    .unwrap_or("?")
                    .to_string()
            };
            format!(
                "{} {} {}",
                r.status,
                field("SCRIPT_NAME"),
                field("PATH_INFO")
            )
        };
        // Without base_uri: the <Location>'s path.
        assert_eq!(split("/env"), "200 '/env' ''", "{mpm:?}");
        assert_eq!(split("/env/"), "200 '/env' '/'", "{mpm:?}");
        assert_eq!(split("/env/x/y"), "200 '/env' '/x/y'", "{mpm:?}");
        // With base_uri (its trailing slash dropped).
        assert_eq!(split("/mounted/app"), "200 '/mounted/app' ''", "{mpm:?}");
        assert_eq!(
            split("/mounted/app/x"),
            "200 '/mounted/app' '/x'",
            "{mpm:?}"
        );
        // In a <Directory>: SCRIPT_NAME is empty and PATH_INFO the whole path.
        assert_eq!(
            split("/dir/file.txt/extra"),
            "200 '' '/dir/file.txt/extra'",
            "{mpm:?}"
        );
        // A URI outside base_uri is declined (so 404 here), with a warning naming both.
        assert_eq!(httpd.get("/mounted/other").status, 404, "{mpm:?}");
        assert_eq!(httpd.get("/mounted/apples").status, 404, "{mpm:?}");
        let log = wait_for_log(&httpd, "'/mounted/apples' is not under");
        assert!(
            log.contains("mod_python.wsgi: '/mounted/other' is not under PythonOption mod_python.wsgi.base_uri '/mounted/app/', declining"),
            "{mpm:?}: {log}"
        );
    }
}

#[test]
fn reading_the_body_through_wsgi_input() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let body = b"abcdef\nsecond line\nthird\nlast";
        let post = |query: &str, headers: &[(&str, &str)], data: &[u8]| {
            httpd
                .request("POST", &format!("/body?{query}"), headers, data)
                .text()
        };
        assert_eq!(
            post("pieces", &[], body),
            "(b'abc', b'def\\n', b'se', [b'cond line\\n', b'third\\n', b'last'], b'')",
            "{mpm:?}"
        );
        assert_eq!(
            post("all", &[], body),
            "b'abcdef\\nsecond line\\nthird\\nlast'",
            "{mpm:?}"
        );
        assert_eq!(post("sized", &[], body), "(29, b'')", "{mpm:?}");
        assert_eq!(
            post("lines", &[], body),
            "[b'abcdef\\n', b'second line\\n', b'third\\n', b'last']",
            "{mpm:?}"
        );
        // A chunked request body reads the same.
        assert_eq!(
            post(
                "all",
                &[("Transfer-Encoding", "chunked")],
                b"4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
            ),
            "b'abcdefg'",
            "{mpm:?}"
        );
        let big: Vec<u8> = (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        assert_eq!(post("sized", &[], &big), "(300000, b'')", "{mpm:?}");
    }
}

#[test]
fn status_lines_and_headers() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let raw = httpd.raw(b"GET /headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let t = String::from_utf8_lossy(&raw);
        assert!(
            t.starts_with("HTTP/1.1 202 Accepted For Later\r\n"),
            "{mpm:?}: {t}"
        );
        let r = httpd.get("/headers");
        assert_eq!(r.status, 202, "{mpm:?}");
        assert_eq!(
            r.header("Content-Type"),
            Some("text/x-test; charset=utf-8"),
            "{mpm:?}"
        );
        assert_eq!(
            r.headers_all("Set-Cookie"),
            ["a=1; Path=/", "b=2; Path=/"],
            "{mpm:?}"
        );
        assert_eq!(r.headers_all("X-Multi"), ["x", "y"], "{mpm:?}");
        assert_eq!(r.text(), "accepted", "{mpm:?}");
        // An error status chosen by the application is the application's answer, body and all.
        assert_eq!(
            get(&httpd, "/not_found"),
            (404, "no such thing".into()),
            "{mpm:?}"
        );
        // start_response called again without exc_info is a fatal error (PEP 3333).
        assert_eq!(httpd.get("/twice").status, 500, "{mpm:?}");
        let log = wait_for_log(&httpd, "called a second time");
        assert!(
            log.contains("RuntimeError: start_response called a second time without exc_info"),
            "{mpm:?}: {log}"
        );
        // Content-Length is respected: what goes beyond is not sent, and the kept-alive
        // connection's next answer is intact.
        let raw = httpd.raw(
            b"GET /cl HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        let t = String::from_utf8_lossy(&raw);
        assert!(
            t.contains("Content-Length: 5\r\n") && t.contains("\r\n\r\n01234HTTP/1.1 200 OK\r\n"),
            "{mpm:?}: {t}"
        );
        assert!(t.ends_with("\r\n\r\nhello world\n"), "{mpm:?}: {t}");
    }
}

#[test]
fn generators_are_sent_as_they_come_and_close_is_called() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let r = httpd.get("/gen");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "block 0;block 1;block 2;"),
            "{mpm:?}"
        );
        assert_eq!(r.header("Transfer-Encoding"), Some("chunked"), "{mpm:?}");
        // The first block reaches the client while the generator still waits to make the
        // second: it waits for a file the test creates once it has read the first.
        let flag = httpd.root().join("flag");
        let mut s = std::net::TcpStream::connect(("127.0.0.1", httpd.port())).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "GET /stream?{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            flag.display()
        )
        .unwrap();
        let started = Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("first;") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "{mpm:?}: closed before the first block");
            got.extend_from_slice(&buf[..n]);
        }
        std::fs::write(&flag, "seen").unwrap();
        s.read_to_end(&mut got).unwrap();
        let t = String::from_utf8_lossy(&got);
        assert!(
            t.contains("second, flag seen=True") && started.elapsed() < Duration::from_secs(8),
            "{mpm:?}: {t}"
        );
        std::fs::remove_file(&flag).unwrap();

        assert_eq!(
            get(&httpd, "/write"),
            (200, "written;written again;returned".into()),
            "{mpm:?}"
        );
        assert_eq!(get(&httpd, "/close"), (200, "one;two".into()), "{mpm:?}");
        wait_for_log(&httpd, "close() called, fail=False");
        // close() is called when the iteration fails too (which aborts the response).
        let t = aborted(&httpd, "/close?fail");
        assert!(t.ends_with("\r\n\r\n4\r\none;\r\n"), "{mpm:?}: {t}");
        let log = wait_for_log(&httpd, "ValueError: iteration failed");
        assert!(
            log.contains("close() called, fail=False")
                && log.contains("close() called, fail=True")
                && log.contains("ValueError: iteration failed"),
            "{mpm:?}: {log}"
        );
    }
}

#[test]
fn exc_info_replaces_the_headers_or_re_raises_once_they_are_sent() {
    for mpm in MPMS {
        let httpd = server(mpm);
        // Before anything is sent, start_response(..., exc_info) replaces status and headers.
        let r = httpd.get("/exc_early");
        assert_eq!(
            (
                r.status,
                r.header("Retry-After"),
                r.header("X-Old"),
                r.text().as_str()
            ),
            (503, Some("5"), None, "replacement body"),
            "{mpm:?}"
        );
        // After, it raises the application's own exception again, which aborts the response.
        let t = aborted(&httpd, "/exc_late");
        assert!(
            t.starts_with("HTTP/1.1 200 OK\r\n") && t.ends_with("\r\n\r\n8\r\npartial;\r\n"),
            "{mpm:?}: {t}"
        );
        let log = wait_for_log(&httpd, "KeyError: 'original'");
        assert!(
            log.contains("re-raised the original: True") && log.contains("KeyError: 'original'"),
            "{mpm:?}: {log}"
        );
    }
}

#[test]
fn failures_answer_500_and_say_why_in_the_error_log() {
    for mpm in MPMS {
        let httpd = server(mpm);
        for (path, logged) in [
            ("/boom", "ValueError: the application exploded"),
            (
                "/no_start",
                "RuntimeError: the application returned (or wrote) without calling start_response",
            ),
            (
                "/missing",
                "LookupError: mod_python.wsgi: the application 'wsgiapps::nothere' (PythonOption \
                 mod_python.wsgi.application) was not found: module 'wsgiapps' has no callable 'nothere'",
            ),
            (
                "/nomodule",
                "ImportError: mod_python.wsgi: cannot import module 'nosuchmodule' of the \
                 application 'nosuchmodule::application'",
            ),
            (
                "/noapp",
                "LookupError: mod_python.wsgi: no application configured: set PythonOption \
                 mod_python.wsgi.application module[::callable]",
            ),
        ] {
            assert_eq!(httpd.get(path).status, 500, "{mpm:?} {path}");
            let log = wait_for_log(&httpd, logged);
            assert!(log.contains(logged), "{mpm:?} {path}: {log}");
        }
        // The traceback names the application's own line.
        let log = httpd.error_log();
        assert!(
            log.contains("Traceback (most recent call last):")
                && log.contains("wsgiapps.py\", line ")
                && log.contains("raise ValueError('the application exploded')"),
            "{mpm:?}: {log}"
        );
    }
}

#[test]
fn wsgi_errors_writes_lines_to_the_error_log() {
    for mpm in MPMS {
        let httpd = server(mpm);
        assert_eq!(get(&httpd, "/errors"), (200, "logged".into()), "{mpm:?}");
        let log = wait_for_log(&httpd, "left unterminated");
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("[python:error]") && l.contains("[client 127.0.0.1:"))
            .map(|l| l.rsplit("] ").next().unwrap_or(""))
            .collect();
        assert_eq!(
            lines,
            [
                "printed to wsgi.errors",
                "written in two pieces",
                "line a",
                "line b",
                "left unterminated"
            ],
            "{mpm:?}: {log}"
        );
    }
}

/// PythonAutoReload (on by default): an application whose file changes is loaded again,
/// within a second or two.
#[test]
fn a_changed_application_is_reloaded() {
    let app = |n: u32| {
        format!(
            "def application(environ, start_response):\n    start_response('200 OK', [])\n    \
             return [b'version {n}{}']\n",
            " ".repeat(n as usize)
        )
    };
    for mpm in MPMS {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("python_module", harness::cdylib("mod_python"))
            .file("py/changing.py", app(1))
            .config("PythonPath \"sys.path+['@ROOT@/py']\"\n")
            .config(&location("/app", Some("changing"), ""))
            .start();
        assert_eq!(get(&httpd, "/app").1.trim(), "version 1", "{mpm:?}");
        std::fs::write(httpd.root().join("py/changing.py"), app(2)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        // Every child that served version 1 must see version 2.
        let mut fresh = 0;
        while fresh < 10 {
            assert!(Instant::now() < deadline, "{mpm:?}: not reloaded");
            if get(&httpd, "/app").1.trim() == "version 2" {
                fresh += 1;
            } else {
                fresh = 0;
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Over TLS, `wsgi.url_scheme` is `https`. Skipped without curl and openssl.
#[test]
fn url_scheme_is_https_over_tls() {
    let Some((key, cert)) = harness::tls::cert_or_skip(true) else {
        return;
    };
    for mpm in MPMS {
        let (builder, tls) =
            harness::tls::vhost(builder(harness::cdylib("mod_python"), mpm), &key, &cert, "");
        let httpd = builder.start();
        let t = harness::tls::curl(tls, "/env", &[]);
        assert!(
            t.contains("wsgi.url_scheme='https'"),
            "{mpm:?}: {t}\n{}",
            httpd.error_log()
        );
    }
}

/// The parts of an answer a user of the application sees.
fn seen(httpd: &Httpd, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> String {
    let r = httpd.request(method, path, headers, body);
    format!(
        "{} | {} | {:?} | {}",
        r.status,
        r.header("Content-Type").unwrap_or("-"),
        r.headers_all("X-Multi"),
        if r.status == 200 {
            r.text()
        } else {
            String::new()
        }
    )
}

fn session(httpd: &Httpd) -> Vec<String> {
    vec![
        seen(httpd, "GET", "/hello", &[], b""),
        seen(httpd, "GET", "/compat", &[("X-Test", "t")], b""),
        seen(httpd, "GET", "/compat/a/b?q=1", &[], b""),
        seen(httpd, "GET", "/based/here", &[], b""),
        seen(httpd, "GET", "/based/here/deeper/x?y", &[], b""),
        seen(httpd, "GET", "/based/elsewhere", &[], b""),
        seen(
            httpd,
            "POST",
            "/compat",
            &[("Content-Type", "text/plain")],
            b"abcdef\nsecond\nrest",
        ),
        seen(httpd, "GET", "/write", &[], b""),
        seen(httpd, "GET", "/gen", &[], b""),
        seen(httpd, "GET", "/boom", &[], b""),
    ]
}

#[test]
fn the_same_applications_answer_as_on_c_mod_python_3_5() {
    for mpm in MPMS {
        let ours = session(&server(mpm));
        let threaded = if mpm == Mpm::Prefork { "False" } else { "True" };
        assert_eq!(
            ours[1],
            format!(
                "200 | text/plain | [\"x\", \"y\"] | method=GET script=/compat path= query= x=t \
                 version=(1, 0) mt={threaded} mp=True scheme=http;body=;done"
            ),
            "{mpm:?}"
        );
        assert!(
            ours[4].ends_with(&format!(
                "script=/based/here path=/deeper/x query=y x=- version=(1, 0) mt={threaded} \
                 mp=True scheme=http;body=;done"
            )),
            "{mpm:?}: {}",
            ours[4]
        );
        assert!(ours[5].starts_with("404 "), "{mpm:?}: {}", ours[5]);
        assert!(
            ours[6].ends_with("body=abc|def\n|second\nrest;done"),
            "{mpm:?}: {}",
            ours[6]
        );
        assert!(ours[9].starts_with("500 "), "{mpm:?}: {}", ours[9]);

        if let Some(c_module) = support::c_mod_python() {
            let theirs = session(&builder(c_module, mpm).start());
            assert_eq!(
                ours, theirs,
                "{mpm:?}: our answers differ from C mod_python's"
            );
        }
    }
}

#[test]
fn headers_status_and_body_are_held_to_pep_3333_types() {
    for mpm in MPMS {
        let httpd = server(mpm);
        // Latin-1 text goes out as its bytes, one per character.
        let raw = httpd.raw(b"GET /pep?latin1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(
            raw.windows(14).any(|w| w == b"X-Word: caf\xe9\r\n"),
            "{mpm:?}: {}",
            String::from_utf8_lossy(&raw)
        );
        for (case, error) in [
            ("bytes_value", "TypeError"),
            ("bytes_name", "TypeError"),
            ("beyond_latin1", "TypeError"),
            ("tuple", "TypeError"),
            ("status_bytes", "TypeError"),
            ("status_int", "TypeError"),
            ("newline", "ValueError"),
            ("bad_name", "ValueError"),
            ("status_form", "ValueError"),
        ] {
            let r = httpd.get(&format!("/pep?{case}"));
            assert_eq!(r.status, 500, "{mpm:?} {case}");
            assert!(r.header("X-Word").is_none() && r.header("X-Injected").is_none());
            let log = wait_for_log(&httpd, &format!("start_response refused {case}: {error}"));
            assert!(
                log.contains(&format!("start_response refused {case}: {error}")),
                "{mpm:?} {case}: {log}"
            );
        }
        // A str block, returned or written before anything was sent: a 500, nothing sent.
        for case in ["str_body", "str_write"] {
            let r = httpd.get(&format!("/pep?{case}"));
            assert_eq!(
                (r.status, r.text().contains("sent")),
                (500, false),
                "{mpm:?} {case}"
            );
        }
        let log = wait_for_log(&httpd, "TypeError: a WSGI body is made of bytes, not str");
        assert!(
            log.matches("TypeError: a WSGI body is made of bytes, not str")
                .count()
                >= 2,
            "{mpm:?}: {log}"
        );
        // One that comes after the body began: the response is aborted.
        let t = aborted(&httpd, "/late?str");
        assert!(t.ends_with("\r\n\r\n6\r\nfirst;\r\n"), "{mpm:?}: {t}");
    }
}

#[test]
fn a_failure_after_the_body_began_aborts_the_response() {
    for mpm in MPMS {
        let httpd = server(mpm);
        // Chunked: the last chunk is left out and the connection closed.
        let t = aborted(&httpd, "/late");
        assert!(
            t.starts_with("HTTP/1.1 200 OK\r\n") && t.ends_with("\r\n\r\n6\r\nfirst;\r\n"),
            "{mpm:?}: {t}"
        );
        let log = wait_for_log(&httpd, "ValueError: failed after the body began");
        assert!(
            log.contains("Traceback (most recent call last):")
                && log.contains("ValueError: failed after the body began"),
            "{mpm:?}: {log}"
        );
        // With a Content-Length: the connection closes short of it.
        let t = aborted(&httpd, "/late?sized");
        assert!(
            t.contains("Content-Length: 100\r\n") && t.ends_with("\r\n\r\nfirst;"),
            "{mpm:?}: {t}"
        );
        // The server goes on serving.
        assert_eq!(
            get(&httpd, "/hello"),
            (200, "hello world\n".into()),
            "{mpm:?}"
        );
    }
}

#[test]
fn wsgi_input_terminated_lets_a_chunked_body_be_read_to_its_end() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let r = httpd.request(
            "POST",
            "/input_flag",
            &[("Transfer-Encoding", "chunked")],
            b"4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n",
        );
        assert_eq!(r.text(), "terminated=True got=b'abcdefg'", "{mpm:?}");
    }
}

#[test]
fn a_client_that_goes_away_is_one_line_at_level_info() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let mut s = std::net::TcpStream::connect(("127.0.0.1", httpd.port())).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut got = 0;
        let mut buf = [0u8; 65536];
        while got < 200_000 {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "{mpm:?}: closed early");
            got += n;
        }
        drop(s);
        let log = wait_for_log(&httpd, "the client went away");
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("the client went away"))
            .collect();
        assert_eq!(lines.len(), 1, "{mpm:?}: {log}");
        assert!(
            lines[0].contains("[python:info]")
                && lines[0].contains("mod_python.wsgi: the client went away before the response to /endless was complete"),
            "{mpm:?}: {log}"
        );
        assert!(!log.contains("Traceback"), "{mpm:?}: {log}");
    }
}

#[test]
fn application_files_with_any_suffix_and_script_filename() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let root = httpd.root().display().to_string();
        // Named by its path in the option (absolute, or relative to ServerRoot).
        assert_eq!(
            get(&httpd, "/byfile/x"),
            (
                200,
                format!("file app: script=/byfile path=/x filename={root}/apps/site.wsgi")
            ),
            "{mpm:?}"
        );
        assert_eq!(
            get(&httpd, "/byfile_other"),
            (
                200,
                format!(
                    "other callable: script=/byfile_other path= filename={root}/apps/site.wsgi"
                )
            ),
            "{mpm:?}"
        );
        // The request's own file, given to mod_python with AddHandler.
        assert_eq!(
            get(&httpd, "/scripts/hello.wsgi/more"),
            (
                200,
                format!(
                    "file app: script=/scripts/hello.wsgi path=/more \
                     filename={root}/htdocs/scripts/hello.wsgi"
                )
            ),
            "{mpm:?}"
        );
        assert_eq!(httpd.get("/nofile").status, 500, "{mpm:?}");
        let log = wait_for_log(&httpd, "cannot be read");
        assert!(
            log.contains(&format!(
                "mod_python.wsgi: the application file {root}/apps/missing.wsgi cannot be read: \
                 No such file or directory"
            )),
            "{mpm:?}: {log}"
        );
    }
}
