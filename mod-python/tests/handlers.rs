//! mod_python handlers on a real httpd: the behaviour handler authors rely on.

use harness::{Httpd, Mpm};

const HANDLERS: &str = r#"
from mod_python import apache
import mod_python
import sys

def handler(req):
    req.content_type = 'text/plain'
    req.headers_out['X-Version'] = mod_python.mp_version
    req.write('hello world\n')
    return apache.OK

def first(req):
    req.write('first;')
    return apache.OK

def second(req):
    req.write('second;')
    return apache.OK

def declines(req):
    return apache.DECLINED

def boom(req):
    raise ValueError('handler exploded')

def server_return(req):
    raise apache.SERVER_RETURN(apache.HTTP_FORBIDDEN)

def options(req):
    opts = req.get_options()
    req.write(';'.join('%s=%s' % kv for kv in sorted(opts.items())))
    return apache.OK

def echo(req):
    body = req.read()
    req.content_type = 'application/octet-stream'
    req.headers_out['X-Length'] = str(len(body))
    req.write(body)
    return apache.OK

def lines(req):
    first = req.readline()
    rest = req.readlines()
    req.write('%r|%d' % (first, len(rest)))
    return apache.OK

def pieces(req):
    out = []
    while True:
        chunk = req.read(7)
        if not chunk:
            break
        out.append(len(chunk))
    req.write(','.join(map(str, out)))
    return apache.OK

def chunks(req):
    # req.read(n) in a loop, n from the query string: the sizes read, and the bytes echoed.
    n, sizes, parts = int(req.args), [], []
    while True:
        chunk = req.read(n)
        if not chunk:
            break
        sizes.append(str(len(chunk)))
        parts.append(chunk)
    req.headers_out['X-Sizes'] = ','.join(sizes)
    req.write(b''.join(parts))
    return apache.OK

def raw_header(req):
    # A header value that is not UTF-8 is there, in get() and in items(), and gives back its
    # bytes.
    value = req.headers_in['X-Raw']
    listed = dict(req.headers_in.items())['X-Raw']
    req.content_type = 'application/octet-stream'
    req.write(value.encode('utf-8', 'surrogateescape') + b'|' + str(value == listed).encode())
    return apache.OK

def gilstate(req):
    # tracemalloc's hooks take the GIL with PyGILState_Ensure, which works in the main
    # interpreter only.
    import tracemalloc, tempfile
    tracemalloc.start()
    try:
        with tempfile.TemporaryFile() as f:
            f.write(b'x')
    finally:
        tracemalloc.stop()
    req.write('ok in ' + req.interpreter)
    return apache.OK

def extensions(req):
    import _ssl, sqlite3, _decimal, _json, hashlib
    con = sqlite3.connect(':memory:')
    n = con.execute('select 6*7').fetchone()[0]
    req.write('sqlite=%d decimal=%s sha=%s' % (n, _decimal.Decimal('1.5') * 2, hashlib.sha1(b'x').hexdigest()[:6]))
    return apache.OK

def which_mod_python(req):
    req.write(mod_python.__file__ + ' ' + mod_python.version.version)
    return apache.OK

def info(req):
    req.headers_out.add('X-Multi', 'a')
    req.headers_out.add('X-Multi', 'b')
    req.err_headers_out['X-Err'] = 'yes'
    req.write('method=%s uri=%s args=%s proto=%s ua=%s phase=%s conn=%s server=%s' % (
        req.method, req.uri, req.args, req.protocol, req.headers_in.get('User-Agent'),
        req.phase, req.connection.remote_ip, req.server.server_hostname))
    return apache.OK

def status(req):
    req.status = 201
    req.content_type = 'text/plain'
    req.write('created')
    return apache.OK

def fixuphandler(req):
    req.headers_out['X-Fixup'] = 'ran'
    return apache.OK

def authenhandler(req):
    user = req.headers_in.get('X-User')
    if user == 'alice':
        req.user = user
        return apache.OK
    return apache.HTTP_UNAUTHORIZED

def whoami(req):
    req.write('user=%s' % req.user)
    return apache.OK

def stale(req):
    global kept
    kept = req
    req.write('kept')
    return apache.OK

def filename(req):
    req.write('filename=%r path_info=%r' % (req.filename, req.path_info))
    return apache.OK

def use_stale(req):
    try:
        kept.uri
        req.write('no error')
    except RuntimeError as e:
        req.write('RuntimeError: %s' % e)
    return apache.OK
"#;

fn conf(debug: bool) -> String {
    let mut c = String::from("PythonPath \"sys.path+['@ROOT@/py']\"\n");
    for (loc, handler) in [
        ("/hello", "handlers"),
        ("/stacked", "handlers::first handlers::second"),
        (
            "/stop",
            "handlers::first handlers::declines handlers::second",
        ),
        ("/declined", "handlers::declines"),
        ("/boom", "handlers::boom"),
        ("/forbidden", "handlers::server_return"),
        ("/options", "handlers::options"),
        ("/echo", "handlers::echo"),
        ("/lines", "handlers::lines"),
        ("/pieces", "handlers::pieces"),
        ("/chunks", "handlers::chunks"),
        ("/raw_header", "handlers::raw_header"),
        ("/ext", "handlers::extensions"),
        ("/which", "handlers::which_mod_python"),
        ("/info", "handlers::info"),
        ("/status", "handlers::status"),
        ("/stale", "handlers::stale"),
        ("/use_stale", "handlers::use_stale"),
        ("/filename", "handlers::filename"),
    ] {
        c += &format!(
            "<Location {loc}>\n    SetHandler mod_python\n    PythonHandler {handler}\n</Location>\n"
        );
    }
    c += "<Location /options>\n    PythonOption a 1\n    PythonOption b 2\n    PythonOption gone x\n</Location>\n";
    c += "<Location /options/sub>\n    PythonOption a 3\n    PythonOption gone\n</Location>\n";
    c += "<Location /fixed>\n    SetHandler python-program\n    PythonHandler handlers\n    PythonFixupHandler handlers\n</Location>\n";
    c += "<Location /gilstate>\n    SetHandler mod_python\n    PythonInterpreter main_interpreter\n    PythonHandler handlers::gilstate\n</Location>\n";
    c += "<Location /echo/small>\n    LimitRequestBody 10\n</Location>\n";
    c += "<Location /private>\n    SetHandler mod_python\n    AuthType Basic\n    AuthName private\n    Require valid-user\n    PythonAuthenHandler handlers\n    PythonHandler handlers::whoami\n</Location>\n";
    if debug {
        c += "PythonDebug On\n";
    }
    c
}

fn server(mpm: Mpm, debug: bool) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .system_module("authn_core_module", "mod_authn_core.so")
        .system_module("authz_user_module", "mod_authz_user.so")
        .file("py/handlers.py", HANDLERS)
        .config(&conf(debug))
        .start()
}

#[test]
fn hello_under_every_mpm() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm, false);
        let r = httpd.get("/hello");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "hello world\n"),
            "{mpm:?}"
        );
        assert_eq!(r.header("Content-Type"), Some("text/plain"));
        assert!(
            r.header("X-Version").unwrap().starts_with("3.5.0+rs."),
            "{:?}",
            r.headers
        );
        let banner = r.header("Server").unwrap();
        assert!(
            banner.contains("mod_python/3.5.0+rs.") && banner.contains("Python/3."),
            "{banner}"
        );
        // The handler name python-program works as well as mod_python, and phases stack.
        let f = httpd.get("/fixed");
        assert_eq!(f.text(), "hello world\n");
        assert_eq!(f.header("X-Fixup"), Some("ran"));
    }
}

#[test]
fn stacked_handlers_run_while_they_return_ok() {
    let httpd = server(Mpm::Event, false);
    assert_eq!(httpd.get("/stacked").text(), "first;second;");
    // DECLINED stops the stack (second never runs) and passes the request on to httpd, whose
    // default handler then answers 404 after what was already written.
    let stop = httpd.get("/stop").text();
    assert!(
        stop.starts_with("first;") && !stop.contains("second;"),
        "{stop}"
    );
    assert!(stop.contains("404 Not Found"), "{stop}");
    // A content handler that declines leaves the request to httpd: no file there.
    assert_eq!(httpd.get("/declined").status, 404);
}

#[test]
fn exceptions_give_500_with_the_traceback_in_the_log() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm, false);
        let r = httpd.get("/boom");
        assert_eq!(r.status, 500);
        assert!(
            !r.text().contains("handler exploded"),
            "no traceback to clients without PythonDebug"
        );
        let log = httpd.error_log();
        assert!(log.contains("ValueError: handler exploded"), "{log}");
        assert!(log.contains("Traceback (most recent call last)"), "{log}");
        assert!(log.contains("handlers.py"), "{log}");
        // The child survives and serves the next request.
        assert_eq!(httpd.get("/hello").text(), "hello world\n");
        assert_eq!(httpd.get("/forbidden").status, 403);
    }
}

#[test]
fn python_debug_sends_the_traceback() {
    let httpd = server(Mpm::Event, true);
    let r = httpd.get("/boom");
    assert_eq!(r.status, 500);
    let body = r.text();
    assert!(body.contains("ValueError: handler exploded"), "{body}");
    assert!(body.contains("PythonHandler"), "{body}");
}

#[test]
fn options_merge_and_a_bare_key_removes() {
    let httpd = server(Mpm::Event, false);
    assert_eq!(httpd.get("/options").text(), "a=1;b=2;gone=x");
    assert_eq!(httpd.get("/options/sub").text(), "a=3;b=2");
}

#[test]
fn request_attributes_headers_and_status() {
    let httpd = server(Mpm::Event, false);
    let r = httpd.request("GET", "/info?x=1", &[("User-Agent", "tester/1")], b"");
    assert_eq!(
        r.text(),
        "method=GET uri=/info args=x=1 proto=HTTP/1.1 ua=tester/1 phase=PythonHandler conn=127.0.0.1 server=127.0.0.1"
    );
    assert_eq!(r.headers_all("X-Multi"), vec!["a", "b"]);
    assert_eq!(r.header("X-Err"), Some("yes"));
    let s = httpd.get("/status");
    assert_eq!((s.status, s.text().as_str()), (201, "created"));
}

#[test]
fn a_location_served_by_python_is_not_mapped_to_a_file() {
    let httpd = Httpd::builder()
        .module("python_module", harness::cdylib("mod_python"))
        .system_module("authn_core_module", "mod_authn_core.so")
        .system_module("authz_user_module", "mod_authz_user.so")
        .file("py/handlers.py", HANDLERS)
        .file("htdocs/app/page.txt", "a file")
        .config(&format!(
            "{}<Directory \"@ROOT@/htdocs/app\">\n    SetHandler mod_python\n    PythonHandler handlers::filename\n</Directory>\n\
             <Location /plain>\n    PythonHandler handlers::filename\n</Location>\n",
            conf(false)
        ))
        .file("htdocs/plain/file.txt", "static")
        .start();
    // As with mod_python 3.5: SetHandler mod_python in a <Location> means no file name.
    assert_eq!(
        httpd.get("/filename/more").text(),
        "filename=None path_info=None"
    );
    // In a <Directory>, the file the URL maps to.
    let root = httpd.root().display().to_string();
    assert_eq!(
        httpd.get("/app/page.txt/extra").text(),
        format!("filename='{root}/htdocs/app/page.txt' path_info='/extra'")
    );
    // A PythonHandler in a <Location> without SetHandler mod_python leaves static files alone.
    assert_eq!(httpd.get("/plain/file.txt").text(), "static");
    assert!(
        !httpd.error_log().contains("Module bug"),
        "{}",
        httpd.error_log()
    );
}

#[test]
fn reading_the_body() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm, false);
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let r = httpd.request("POST", "/echo", &[], &body);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("X-Length"), Some("200000"));
        assert_eq!(r.body, body, "{mpm:?}");
        // Chunked request bodies are de-chunked.
        let chunked = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        let r = httpd.request(
            "POST",
            "/echo",
            &[("Transfer-Encoding", "chunked")],
            chunked,
        );
        assert_eq!(r.text(), "hello world");
        // readline / readlines, and read(n) in pieces.
        let r = httpd.request("POST", "/lines", &[], b"one\ntwo\nthree\n");
        assert_eq!(r.text(), "b'one\\n'|2");
        let r = httpd.request("POST", "/pieces", &[], b"0123456789abcdefghij");
        assert_eq!(r.text(), "7,7,6");
        // Reads of up to 1 MiB fill the bytes object directly, larger ones are buffered: both
        // give every byte, in order, with the last read short.
        for (n, sizes) in [
            (65536, "65536,65536,65536,3392"),
            (1 << 20, "200000"),
            (3 << 20, "200000"),
        ] {
            let r = httpd.request("POST", &format!("/chunks?{n}"), &[], &body);
            assert_eq!(r.header("X-Sizes"), Some(sizes), "read({n}) {mpm:?}");
            assert!(r.body == body, "read({n}) {mpm:?}: the bytes differ");
        }
        let r = httpd.request(
            "POST",
            "/chunks?4",
            &[("Transfer-Encoding", "chunked")],
            chunked,
        );
        assert_eq!(
            (r.header("X-Sizes"), r.text().as_str()),
            (Some("4,4,3"), "hello world")
        );
    }
}

#[test]
fn a_body_over_limit_request_body_is_answered_once_with_413() {
    for debug in [false, true] {
        let httpd = server(Mpm::Event, debug);
        // Declared too long: httpd refuses it when the handler starts reading.
        let raw = httpd.raw(
            b"POST /echo/small HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
        );
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 413 "), "debug={debug}: {text}");
        assert_eq!(
            text.matches("HTTP/1.1 ").count(),
            1,
            "debug={debug}: {text}"
        );
        // Chunked: found too long while reading, after the handler has started.
        let raw = httpd.raw(
            b"POST /echo/small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n",
        );
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 413 "), "debug={debug}: {text}");
        assert_eq!(
            text.matches("HTTP/1.1 ").count(),
            1,
            "debug={debug}: {text}"
        );
        assert!(!text.contains("Mod_python error"), "debug={debug}: {text}");
    }
}

#[test]
fn header_values_that_are_not_utf8_are_read_as_their_bytes() {
    let httpd = server(Mpm::Event, false);
    let raw = httpd.raw(
        b"GET /raw_header HTTP/1.1\r\nHost: x\r\nX-Raw: caf\xe9 \xff!\r\nConnection: close\r\n\r\n",
    );
    assert!(
        raw.windows(12).any(|w| w == b"caf\xe9 \xff!|True"),
        "{}\n{}",
        String::from_utf8_lossy(&raw),
        httpd.error_log()
    );
}

#[test]
fn pygilstate_code_runs_in_the_main_interpreter() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm, false);
        // Threads that entered a sub-interpreter first (the virtual host's) too.
        for _ in 0..20 {
            assert_eq!(httpd.get("/hello").status, 200);
        }
        for _ in 0..5 {
            let r = httpd.get("/gilstate");
            assert_eq!(
                (r.status, r.text().as_str()),
                (200, "ok in main_interpreter"),
                "{mpm:?}: {}",
                httpd.error_log()
            );
        }
    }
}

#[test]
fn c_extension_modules_import() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm, false);
        let r = httpd.get("/ext");
        assert_eq!(r.status, 200, "{}", httpd.error_log());
        assert_eq!(r.text(), "sqlite=42 decimal=3.0 sha=11f6ad");
    }
}

#[test]
fn the_embedded_package_wins_over_one_on_sys_path() {
    let httpd = Httpd::builder()
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/handlers.py", HANDLERS)
        .file("fake/mod_python/__init__.py", "raise ImportError('the fake mod_python was imported')\n")
        .file("fake/mod_python/apache.py", "raise ImportError('the fake apache was imported')\n")
        .config("PythonPath \"['@ROOT@/fake', '@ROOT@/py'] + sys.path\"\n<Location /which>\n    SetHandler mod_python\n    PythonHandler handlers::which_mod_python\n</Location>\n")
        .start();
    let r = httpd.get("/which");
    assert_eq!(r.status, 200, "{}", httpd.error_log());
    assert!(
        r.text()
            .starts_with("<mod_python.so>/mod_python/__init__.py 3.5.0+rs."),
        "{}",
        r.text()
    );
}

#[test]
fn authentication_handler_with_default_callable_name() {
    let httpd = server(Mpm::Event, false);
    assert_eq!(httpd.get("/private").status, 401);
    let r = httpd.request("GET", "/private", &[("X-User", "alice")], b"");
    assert_eq!((r.status, r.text().as_str()), (200, "user=alice"));
    assert_eq!(
        httpd
            .request("GET", "/private", &[("X-User", "bob")], b"")
            .status,
        401
    );
}

#[test]
fn a_request_object_kept_after_its_request_raises() {
    let httpd = server(Mpm::Prefork, false);
    // Prefork with one connection at a time: keep making requests until the same child that
    // kept the object serves the check; any child either raises or has nothing kept.
    assert_eq!(httpd.get("/stale").text(), "kept");
    for _ in 0..10 {
        let t = httpd.get("/use_stale").text();
        if t.starts_with("RuntimeError") {
            assert!(t.contains("no longer being served"), "{t}");
            return;
        }
        assert!(
            t.contains("NameError") || t.is_empty() || t == "no error" || t.contains("Internal"),
            "{t}"
        );
        assert_ne!(t, "no error", "a stale request object must not work");
    }
}

#[test]
fn concurrent_requests_under_threaded_mpms() {
    for mpm in [Mpm::Event, Mpm::Worker] {
        let httpd = server(mpm, false);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..20 {
                        assert_eq!(httpd.get("/hello").text(), "hello world\n");
                    }
                });
            }
        });
        assert!(
            !httpd.error_log().contains("Fatal"),
            "{}",
            httpd.error_log()
        );
    }
}

#[test]
fn graceful_restart_keeps_serving() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm, false);
        assert_eq!(httpd.get("/hello").text(), "hello world\n");
        httpd.graceful_restart();
        assert_eq!(httpd.get("/hello").text(), "hello world\n", "{mpm:?}");
    }
}

/// A `<Directory>` handler's directory is on sys.path whenever the handler runs, even after
/// another section's PythonPath replaced sys.path on the same child: mod_python.so reuses a
/// handler's callable between requests, and must put the directory back as the lookup would.
#[test]
fn a_directory_handler_finds_its_modules_after_another_section_resets_sys_path() {
    const DIR_HANDLER: &str = r#"
import sys
from mod_python import apache

def handler(req):
    sys.modules.pop('sibling', None)  # found again on sys.path each time
    import sibling
    req.content_type = 'text/plain'
    req.write('%s %s %s|' % (sibling.NAME, req.phase, req.hlist.handler))
    return apache.OK
"#;
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("python_module", harness::cdylib("mod_python"))
            .file("htdocs/app/dirhandler.py", DIR_HANDLER)
            .file("htdocs/app/sibling.py", "NAME = 'sibling'\n")
            .file("py/other.py", "from mod_python import apache\n\ndef handler(req):\n    req.write('other|')\n    return apache.OK\n")
            .config(
                "<Directory \"@ROOT@/htdocs/app\">\n    SetHandler mod_python\n    PythonHandler dirhandler\n</Directory>\n\
                 <Location /other>\n    SetHandler mod_python\n    PythonPath \"[p for p in sys.path if '/htdocs' not in p] + ['@ROOT@/py']\"\n    PythonHandler other\n</Location>\n",
            )
            .start();
        // One keep-alive connection, so one child serves them all, in this order.
        let get = |path: &str, last: bool| {
            format!(
                "GET {path} HTTP/1.1\r\nHost: localhost\r\n{}\r\n",
                if last { "Connection: close\r\n" } else { "" }
            )
        };
        let requests = [
            get("/app/x", false),
            get("/other", false),
            get("/app/x", false),
            get("/other", false),
            get("/app/x", true),
        ]
        .concat();
        let answer = String::from_utf8_lossy(&httpd.raw(requests.as_bytes())).into_owned();
        assert_eq!(
            answer.matches("sibling PythonHandler dirhandler|").count(),
            3,
            "{mpm:?}: {answer}\n{}",
            httpd.error_log()
        );
        assert_eq!(answer.matches("other|").count(), 2, "{mpm:?}: {answer}");
    }
}
