//! Python filters (PythonOutputFilter, PythonInputFilter, req.register_*_filter) and
//! connection handlers (PythonConnectionHandler) on a real httpd: what mod_python 3.5 users
//! rely on.

use harness::{Httpd, Mpm};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const FILT: &str = r#"
from mod_python import apache

def outputfilter(filter):
    # The classic mod_python example: read what this brigade holds, write it changed, close
    # at the end of the stream.
    filter.req.headers_out['X-Filtered'] = filter.name
    s = filter.read()
    while s:
        filter.write(s.upper())
        s = filter.read()
    if s is None:
        filter.close()

def inputfilter(filter):
    s = filter.read()
    while s:
        filter.write(s.upper())
        s = filter.read()
    if s is None:
        filter.close()

def double(filter):
    # Changes the body's length: every byte twice.
    s = filter.read(100)
    if s is None:
        filter.close()
    elif s:
        filter.write(bytes(b for c in s for b in (c, c)))

def passon(filter):
    filter.pass_on()

calls = 0

def disabler(filter):
    filter.write('[disabled]')
    filter.disable()
    filter.pass_on()

def marker(filter):
    # At the end of the stream (after the handler returned), reads what the handler set on
    # the request object.
    s = filter.read()
    while s:
        filter.write(s)
        s = filter.read()
    if s is None:
        filter.write(' [%s]' % filter.req.mark)
        filter.close()

def numbered(filter):
    # Line by line with readline(); the line count lives on the request object.
    req = filter.req
    if not hasattr(req, 'lines_seen'):
        req.lines_seen = 0
    line = filter.readline()
    while line:
        req.lines_seen += 1
        filter.write(b'%d: ' % req.lines_seen + line)
        line = filter.readline()
    if line is None:
        filter.close()

def three_lines(req):
    req.write('alpha\nbeta\n', 0)
    req.write('gamma\n')
    return apache.OK

def marked(req):
    req.mark = 'set by the handler'
    req.write('body')
    return apache.OK

def boom(filter):
    raise ValueError('filter exploded')

def hello(req):
    req.content_type = 'text/plain'
    req.write('hello ')
    req.write('from a handler\n')
    return apache.OK

def echo(req):
    body = req.read()
    req.content_type = 'application/octet-stream'
    req.write(b'len=%d:' % len(body) + body)
    return apache.OK

def echo_lines(req):
    out = []
    while True:
        line = req.readline()
        if not line:
            break
        out.append(line)
    req.write(b'|'.join(out))
    return apache.OK

def discard(req):
    # The body goes through the input filter while this handler's call holds the GIL.
    req.discard_request_body()
    req.write('discarded')
    return apache.OK

def dynamic_out(req):
    req.register_output_filter('MYUP', 'filt::outputfilter')
    req.add_output_filter('MYUP')
    req.write('made at request time')
    return apache.OK

def dynamic_in(req):
    req.register_input_filter('MYIN', 'filt')
    req.add_input_filter('MYIN')
    req.write(req.read())
    return apache.OK

def add_configured(req):
    # A filter set up by PythonOutputFilter, added by the handler.
    req.add_output_filter('UPPER')
    req.write('added by the handler')
    return apache.OK
"#;

const CONN: &str = r#"
from mod_python import apache

def declines(conn):
    # Not ours after all: HTTP serves the connection.
    apache.log_error('connection handler declined', apache.APLOG_ERR)
    return apache.DECLINED

def connectionhandler(conn):
    conn.write(b'hello %s\n' % apache.interpreter.encode())
    while True:
        line = conn.readline()
        if not line:
            break
        if line.strip() == b'quit':
            conn.write(b'bye\n')
            break
        if line.startswith(b'read '):
            n = int(line[5:])
            data = b''
            while len(data) < n:
                part = conn.read(n - len(data))
                if not part:
                    break
                data += part
            conn.write(b'got %d\n' % len(data))
            continue
        conn.write(b'echo:' + line)
    return apache.OK
"#;

/// 1 MB of text in lines, as a static file.
fn big_text() -> Vec<u8> {
    let line = b"the quick brown fox jumps over the lazy dog 0123456789\n";
    let mut out = Vec::with_capacity(1 << 20);
    while out.len() + line.len() <= 1 << 20 {
        out.extend_from_slice(line);
    }
    out
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("local_addr").port()
}

fn location(path: &str, handler: &str, extra: &str) -> String {
    format!(
        "<Location {path}>\n    SetHandler mod_python\n    PythonHandler {handler}\n{extra}</Location>\n"
    )
}

fn server(mpm: Mpm, debug: bool, conn_port: Option<u16>) -> Httpd {
    server_with(mpm, debug, conn_port, None)
}

fn server_with(mpm: Mpm, debug: bool, conn_port: Option<u16>, declining: Option<u16>) -> Httpd {
    let mut c = String::from("PythonPath \"sys.path+['@ROOT@/py']\"\n");
    c += "PythonOutputFilter filt UPPER\n\
          PythonOutputFilter filt::passon PASS\n\
          PythonOutputFilter filt::disabler DISABLER\n\
          PythonOutputFilter filt::boom BOOM\n\
          PythonOutputFilter filt::marker MARKER\n\
          PythonOutputFilter filt::numbered NUMBERED\n\
          PythonInputFilter filt UPPERIN\n\
          PythonInputFilter filt::double DOUBLEIN\n\
          AddOutputFilter UPPER .up\n\
          <Directory @ROOT@/htdocs/pass>\n    SetOutputFilter PASS\n</Directory>\n\
          <Directory @ROOT@/htdocs/disabled>\n    SetOutputFilter DISABLER\n</Directory>\n\
          <Directory @ROOT@/htdocs/boom>\n    SetOutputFilter BOOM\n</Directory>\n";
    c += &location("/up", "filt::hello", "    SetOutputFilter UPPER\n");
    c += &location("/upin", "filt::echo", "    SetInputFilter UPPERIN\n");
    c += &location("/double", "filt::echo", "    SetInputFilter DOUBLEIN\n");
    c += &location("/lines", "filt::echo_lines", "    SetInputFilter UPPERIN\n");
    c += &location("/discard", "filt::discard", "    SetInputFilter UPPERIN\n");
    c += &location("/boom-handler", "filt::hello", "    SetOutputFilter BOOM\n");
    c += &location(
        "/numbered",
        "filt::three_lines",
        "    SetOutputFilter NUMBERED\n",
    );
    c += &location("/marked", "filt::marked", "    SetOutputFilter MARKER\n");
    c += &location("/dyn-out", "filt::dynamic_out", "");
    c += &location("/dyn-in", "filt::dynamic_in", "");
    c += &location("/add", "filt::add_configured", "");
    if debug {
        c += "PythonDebug On\n";
    }
    if let Some(p) = conn_port {
        c += &format!(
            // A protocol name other than http: the server speaks first, so the kernel must not
            // hold the connection back until the client sends (AcceptFilter http data).
            "Listen 127.0.0.1:{p} lines\n<VirtualHost 127.0.0.1:{p}>\n    ServerName lines.example\n    PythonConnectionHandler conn\n</VirtualHost>\n"
        );
    }
    if let Some(p) = declining {
        c += &format!(
            "Listen 127.0.0.1:{p}\n<VirtualHost 127.0.0.1:{p}>\n    PythonConnectionHandler conn::declines\n</VirtualHost>\n"
        );
    }
    let big = big_text();
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/filt.py", FILT)
        .file("py/conn.py", CONN)
        .file("htdocs/small.up", "static text\n")
        .file("htdocs/big.up", &big)
        .file("htdocs/pass/big.txt", &big)
        .file("htdocs/disabled/big.txt", &big)
        .file("htdocs/boom/small.txt", "untouched\n")
        .config(&c)
        .start()
}

#[test]
fn output_filter_changes_handler_output_and_static_files() {
    let big = big_text();
    for mpm in Mpm::ALL {
        let httpd = server(mpm, false, None);
        let r = httpd.get("/up");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "HELLO FROM A HANDLER\n"),
            "{mpm:?}"
        );
        // filter.name is the name httpd knows the filter by; filter.req is the request.
        assert_eq!(r.header("X-Filtered"), Some("upper"), "{mpm:?}");
        let r = httpd.get("/small.up");
        assert_eq!(r.text(), "STATIC TEXT\n", "{mpm:?}");
        // filter.req is the handler's request object, also after the handler returned.
        let r = httpd.get("/marked");
        assert_eq!(r.text(), "body [set by the handler]", "{mpm:?}");
        // readline() in an output filter.
        let r = httpd.get("/numbered");
        assert_eq!(r.text(), "1: alpha\n2: beta\n3: gamma\n", "{mpm:?}");
        // 1 MB: the file comes through the filter in many brigades.
        let r = httpd.get("/big.up");
        assert_eq!(r.status, 200, "{mpm:?}");
        assert_eq!(r.body.len(), big.len(), "{mpm:?}");
        assert!(
            r.body == big.to_ascii_uppercase(),
            "{mpm:?}: the 1 MB body differs"
        );
    }
}

#[test]
fn input_filter_changes_the_body_a_handler_reads() {
    for mpm in [Mpm::Event, Mpm::Prefork, Mpm::Worker] {
        let httpd = server(mpm, false, None);
        let r = httpd.request("POST", "/upin", &[], b"quiet words");
        assert_eq!(r.text(), "len=11:QUIET WORDS", "{mpm:?}");
        // Chunked.
        let r = httpd.request(
            "POST",
            "/upin",
            &[("Transfer-Encoding", "chunked")],
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        );
        assert_eq!(r.text(), "len=11:HELLO WORLD", "{mpm:?}");
        // A filter that changes the length, reading 100 bytes at a time: with a
        // Content-Length and chunked.
        let body: Vec<u8> = (0..5000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let doubled: Vec<u8> = body.iter().flat_map(|&c| [c, c]).collect();
        let r = httpd.request("POST", "/double", &[], &body);
        let mut want = b"len=10000:".to_vec();
        want.extend_from_slice(&doubled);
        assert!(
            r.body == want,
            "{mpm:?}: {:?}",
            &r.text()[..40.min(r.body.len())]
        );
        let mut chunked = Vec::new();
        for piece in body.chunks(777) {
            chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            chunked.extend_from_slice(piece);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let r = httpd.request(
            "POST",
            "/double",
            &[("Transfer-Encoding", "chunked")],
            &chunked,
        );
        assert!(r.body == want, "{mpm:?} chunked");
        // A filter that writes more than the reader asked for at once (the whole 200 KB body
        // upper-cased in one call): nothing is lost.
        let body: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let r = httpd.request("POST", "/upin", &[], &body);
        let mut want = b"len=200000:".to_vec();
        want.extend_from_slice(&body.to_ascii_uppercase());
        assert!(r.body == want, "{mpm:?}: {:?}", &r.text()[..20]);
        // A body read by httpd inside a call that holds the GIL still goes through the filter.
        let r = httpd.request("POST", "/discard", &[], b"thrown away");
        assert_eq!(r.text(), "discarded", "{mpm:?}");
        // req.readline() through an input filter.
        let r = httpd.request("POST", "/lines", &[], b"one\ntwo\nthree");
        assert_eq!(r.text(), "ONE\n|TWO\n|THREE", "{mpm:?}");
    }
}

#[test]
fn filters_that_pass_on_or_disable_themselves() {
    let big = big_text();
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm, false, None);
        let r = httpd.get("/pass/big.txt");
        assert!(r.body == big, "{mpm:?}: pass_on changed the file");
        // Disabled on its first call: its one write, then the file untouched, Python never
        // called again for the other brigades.
        let r = httpd.get("/disabled/big.txt");
        assert_eq!(r.body.len(), big.len() + 10, "{mpm:?}");
        assert!(r.body.starts_with(b"[disabled]the quick"), "{mpm:?}");
        assert!(r.body[10..] == big[..], "{mpm:?}");
    }
}

#[test]
fn an_exception_in_a_filter_is_logged_and_the_server_goes_on() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm, false, None);
        // The filter is disabled and the data passes untouched.
        let r = httpd.get("/boom/small.txt");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "untouched\n"),
            "{mpm:?}"
        );
        let r = httpd.get("/boom-handler");
        assert_eq!(r.text(), "hello from a handler\n", "{mpm:?}");
        let log = httpd.error_log();
        // As 3.5 logs it: each line of the traceback after the filter's name and handler.
        assert!(log.contains("boom filt::boom: Traceback"), "{log}");
        assert!(
            log.contains("boom filt::boom: ValueError: filter exploded"),
            "{log}"
        );
        // And it keeps serving, filters included.
        assert_eq!(httpd.get("/up").text(), "HELLO FROM A HANDLER\n", "{mpm:?}");
    }
    // With PythonDebug On the traceback goes to the client too, as a 500 page, as with
    // mod_python 3.5; the response follows it.
    let httpd = server(Mpm::Event, true, None);
    let r = httpd.get("/boom-handler");
    let text = r.text();
    assert_eq!(r.status, 500, "{text}");
    assert_eq!(r.header("Content-Type"), Some("text/html"));
    assert!(
        text.starts_with("\n<pre>\nMod_python error: \"boom filt::boom\""),
        "{text}"
    );
    assert!(
        text.contains("raise ValueError(&#x27;filter exploded&#x27;)"),
        "{text}"
    );
    assert!(text.ends_with("</pre>\nhello from a handler\n"), "{text}");
}

#[test]
fn filters_registered_and_added_at_request_time() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm, false, None);
        let r = httpd.get("/dyn-out");
        assert_eq!(r.text(), "MADE AT REQUEST TIME", "{mpm:?}");
        assert_eq!(r.header("X-Filtered"), Some("MYUP"), "{mpm:?}");
        let r = httpd.request("POST", "/dyn-in", &[], b"lower case");
        assert_eq!(r.text(), "LOWER CASE", "{mpm:?}");
        let r = httpd.get("/add");
        assert_eq!(r.text(), "ADDED BY THE HANDLER", "{mpm:?}");
        // Not on other requests.
        assert_eq!(httpd.get("/boom-handler").status, 200);
    }
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

fn read_line(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while s.read(&mut byte).unwrap_or(0) == 1 {
        out.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    out
}

#[test]
fn a_connection_handler_serves_its_port_while_http_goes_on() {
    for mpm in Mpm::ALL {
        let port = free_port();
        let httpd = server(mpm, false, Some(port));
        let mut s = connect(port);
        // Its interpreter is the virtual host's, named by its ServerName.
        assert_eq!(
            read_line(&mut s),
            b"hello lines.example\n",
            "{mpm:?}: {}",
            httpd.error_log()
        );
        for line in ["one\n", "two\n", "three\n"] {
            s.write_all(line.as_bytes()).unwrap();
            assert_eq!(
                read_line(&mut s),
                format!("echo:{line}").as_bytes(),
                "{mpm:?}"
            );
        }
        // Several lines at once, and a 200 KB line.
        s.write_all(b"a\nb\n").unwrap();
        assert_eq!(read_line(&mut s), b"echo:a\n");
        assert_eq!(read_line(&mut s), b"echo:b\n");
        let long: Vec<u8> = (0..200_000).map(|i| b'a' + (i % 26) as u8).collect();
        s.write_all(&long).unwrap();
        s.write_all(b"\n").unwrap();
        let back = read_line(&mut s);
        assert_eq!(back.len(), long.len() + 6, "{mpm:?}");
        assert!(back[5..5 + long.len()] == long[..], "{mpm:?}");
        // conn.read(n): bytes, newlines or not.
        s.write_all(b"read 10\n0123\n5678\n").unwrap();
        assert_eq!(read_line(&mut s), b"got 10\n", "{mpm:?}");
        // HTTP on the main port meanwhile.
        assert_eq!(httpd.get("/up").text(), "HELLO FROM A HANDLER\n", "{mpm:?}");
        s.write_all(b"quit\n").unwrap();
        assert_eq!(read_line(&mut s), b"bye\n");
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        assert!(
            rest.is_empty(),
            "{mpm:?}: the server closes after the handler returns"
        );
        // A client that goes away mid-line, and one that never reads its answers.
        {
            let mut early = connect(port);
            early.write_all(b"half a li").unwrap();
        }
        {
            let mut rude = connect(port);
            for _ in 0..100 {
                let _ = rude.write_all(b"line nobody reads\n");
            }
        }
        let mut s = connect(port);
        assert_eq!(read_line(&mut s), b"hello lines.example\n", "{mpm:?}");
        s.write_all(b"still here\n").unwrap();
        assert_eq!(read_line(&mut s), b"echo:still here\n", "{mpm:?}");
        drop(s);
        assert_eq!(httpd.get("/up").status, 200, "{mpm:?}");
        // A reset shows in the handler as an OSError from conn.read/readline/write, logged
        // with its traceback like any exception of a handler; nothing else went wrong.
        let log = httpd.error_log();
        for line in log.lines().filter(|l| l.contains("Error:")) {
            assert!(line.contains("OSError: "), "{mpm:?}: {log}");
        }
    }
}

#[test]
fn a_declining_connection_handler_leaves_the_connection_to_http() {
    for mpm in Mpm::ALL {
        let port = free_port();
        let httpd = server_with(mpm, false, None, Some(port));
        // Two requests on one kept-alive connection: the handler declined once and HTTP
        // serves them both (under event, process_connection runs again for the second).
        let mut s = connect(port);
        let req = b"GET /up HTTP/1.1\r\nHost: localhost\r\n\r\n";
        let mut answers = Vec::new();
        for _ in 0..2 {
            s.write_all(req).unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.extend(read_line(&mut s));
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            assert!(head.starts_with("HTTP/1.1 200"), "{mpm:?}: {head}");
            // The body is chunked: size line, data, CRLF, last chunk.
            let mut body = Vec::new();
            loop {
                let size = read_line(&mut s);
                let n = usize::from_str_radix(String::from_utf8_lossy(&size).trim(), 16).unwrap();
                if n == 0 {
                    read_line(&mut s);
                    break;
                }
                let mut chunk = vec![0; n + 2];
                s.read_exact(&mut chunk).unwrap();
                body.extend_from_slice(&chunk[..n]);
            }
            answers.push(String::from_utf8(body).unwrap());
        }
        assert_eq!(answers, ["HELLO FROM A HANDLER\n"; 2], "{mpm:?}");
        // Asked once: not again in the middle of HTTP.
        let log = httpd.error_log();
        assert_eq!(
            log.matches("connection handler declined").count(),
            1,
            "{mpm:?}: {log}"
        );
        assert_eq!(httpd.get("/up").status, 200);
    }
}

#[test]
fn connection_handlers_waiting_for_their_clients_do_not_hold_up_python() {
    for mpm in [Mpm::Event, Mpm::Worker] {
        let port = free_port();
        let httpd = server(mpm, false, Some(port));
        // Eight handlers waiting in conn.readline(), spread over the children's threads: each
        // waits without the GIL, so Python handlers and filters go on everywhere.
        let mut waiting: Vec<TcpStream> = (0..8).map(|_| connect(port)).collect();
        for s in &mut waiting {
            assert_eq!(read_line(s), b"hello lines.example\n", "{mpm:?}");
        }
        let start = std::time::Instant::now();
        for _ in 0..20 {
            assert_eq!(httpd.get("/up").text(), "HELLO FROM A HANDLER\n", "{mpm:?}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{mpm:?}: {:?}",
            start.elapsed()
        );
        for s in &mut waiting {
            s.write_all(b"still there\n").unwrap();
            assert_eq!(read_line(s), b"echo:still there\n", "{mpm:?}");
        }
    }
}

#[test]
fn filters_on_many_threads_at_once() {
    let big = big_text().to_ascii_uppercase();
    for mpm in [Mpm::Event, Mpm::Worker] {
        let httpd = server(mpm, false, None);
        std::thread::scope(|s| {
            for t in 0..8 {
                let (httpd, big) = (&httpd, &big);
                s.spawn(move || {
                    for i in 0..4 {
                        if (t + i) % 2 == 0 {
                            let r = httpd.get("/big.up");
                            assert!(r.body == *big, "{mpm:?}: thread {t} request {i}");
                        } else {
                            let body = format!("thread {t} request {i}");
                            let r = httpd.request("POST", "/upin", &[], body.as_bytes());
                            let want = format!("len={}:{}", body.len(), body.to_uppercase());
                            assert_eq!(r.text(), want, "{mpm:?}");
                        }
                    }
                });
            }
        });
        assert!(!httpd.error_log().contains("Traceback"));
    }
}
