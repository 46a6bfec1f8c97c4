//! Faults the server survives: each test does something that goes wrong (in a handler, a
//! filter, a client, a child process) on a real httpd, checks what the client and the
//! error_log get, and then that the server still serves. docs/src/reliability.md lists them
//! with what happens.

use harness::{Httpd, Mpm};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

const FAULTS: &str = r#"
import os, sys, threading, time
from mod_python import apache

def hello(req):
    req.content_type = 'text/plain'
    req.write('hello %d' % os.getpid())
    return apache.OK

def boom(req):
    raise ValueError('handler exploded')

def read_all(req):
    # In pieces, as most handlers read.
    n = 0
    while True:
        part = req.read(8192)
        if not part:
            break
        n += len(part)
    req.write('read %d' % n)
    return apache.OK

def exits(req):
    req.write('%d' % os.getpid())
    req.flush()
    sys.exit(3)

def os_exit(req):
    os._exit(1)

def leak_thread(req):
    def forever():
        while True:
            time.sleep(0.05)
    # Not a daemon: a Python program would wait for it at exit.
    threading.Thread(target=forever, daemon=False, name='leaked').start()
    req.write('started in %d' % os.getpid())
    return apache.OK

def big(req):
    # Up to 256 MB in 64 KB pieces: more than any socket buffer holds.
    req.content_type = 'application/octet-stream'
    piece = b'x' * 65536
    for _ in range(4096):
        req.write(piece)
    return apache.OK

def never(req):
    # Does not return within Timeout; bounded so that a broken test cannot hang forever.
    deadline = time.time() + 30
    while time.time() < deadline:
        time.sleep(0.05)
    return apache.OK

def two_parts(req):
    req.content_type = 'text/plain'
    req.write('first part\n')
    req.flush()
    req.write('second part\n')
    return apache.OK

def read_then_raise(filter):
    data = filter.read()
    raise ValueError('output filter exploded after reading %d bytes' % len(data or b''))

def raise_on_second_call(filter):
    # Passes the first data on, then fails on the next: the response has begun.
    data = filter.read()
    if data is None:
        filter.close()
        return
    if not data:
        return
    if getattr(filter.req, 'passed_once', False):
        raise ValueError('output filter exploded mid-response')
    filter.req.passed_once = True
    filter.write(data)
    filter.flush()

def raise_first(filter):
    raise ValueError('output filter exploded before reading')

def input_read_then_raise(filter):
    filter.read()
    raise ValueError('input filter exploded after reading')
"#;

fn location(path: &str, handler: &str, extra: &str) -> String {
    format!(
        "<Location {path}>\n    SetHandler mod_python\n    PythonHandler {handler}\n{extra}</Location>\n"
    )
}

/// Every URL of the faults module, and a static directory through a failing filter.
fn conf() -> String {
    let mut c = String::from("PythonPath \"sys.path+['@ROOT@/py']\"\n");
    c += "PythonOutputFilter faults::read_then_raise READ_THEN_RAISE\n\
          PythonOutputFilter faults::raise_on_second_call RAISE_LATER\n\
          PythonOutputFilter faults::raise_first RAISE_FIRST\n\
          PythonInputFilter faults::input_read_then_raise IN_READ_THEN_RAISE\n\
          <Directory @ROOT@/htdocs/failing>\n    SetOutputFilter READ_THEN_RAISE\n</Directory>\n";
    for (path, handler) in [
        ("/hello", "faults::hello"),
        ("/boom", "faults::boom"),
        ("/read", "faults::read_all"),
        ("/exit", "faults::exits"),
        ("/os_exit", "faults::os_exit"),
        ("/leak", "faults::leak_thread"),
        ("/big", "faults::big"),
        ("/never", "faults::never"),
    ] {
        c += &location(path, handler, "");
    }
    c += &location(
        "/filtered/read-then-raise",
        "faults::hello",
        "    SetOutputFilter READ_THEN_RAISE\n",
    );
    c += &location(
        "/filtered/mid-response",
        "faults::two_parts",
        "    SetOutputFilter RAISE_LATER\n",
    );
    c += &location(
        "/filtered/before-reading",
        "faults::hello",
        "    SetOutputFilter RAISE_FIRST\n",
    );
    c += &location(
        "/filtered/input",
        "faults::read_all",
        "    SetInputFilter IN_READ_THEN_RAISE\n",
    );
    c += "<Location /read/small>\n    LimitRequestBody 10\n</Location>\n";
    c
}

fn builder(mpm: Mpm) -> harness::Builder {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/faults.py", FAULTS)
        .file("htdocs/failing/page.txt", "static text\n")
        .config(&conf())
}

fn server(mpm: Mpm) -> Httpd {
    builder(mpm).start()
}

/// Sends `bytes`, then closes the sending side (the client says no more is coming) and reads
/// the answer until the server closes.
fn send_then_half_close(port: u16, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(bytes).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Polls `cond` for up to `secs` seconds.
fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

/// The server answers, and nothing crashed.
fn still_serving(httpd: &Httpd, what: &str) {
    let r = httpd.get("/hello");
    assert_eq!(r.status, 200, "{what}: {}", httpd.error_log());
    assert!(r.text().starts_with("hello "), "{what}");
    let log = httpd.error_log();
    for bad in [
        "Segmentation fault",
        "Fatal Python error",
        "exit signal Segmentation",
        "exit signal Abort",
    ] {
        assert!(
            !log.contains(bad),
            "{what}: {bad:?} in the error_log:\n{log}"
        );
    }
}

fn pid_of(httpd: &Httpd) -> String {
    httpd.get("/hello").text()["hello ".len()..].to_string()
}

/// The lines of the error_log logged by mod_python at level error.
fn python_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("[python:error]"))
        .collect()
}

#[test]
fn a_filter_that_raises_after_reading_fails_the_response_instead_of_an_empty_200() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        // The data it read is gone: before anything was sent, a 500 error page.
        let r = httpd.get("/filtered/read-then-raise");
        assert_eq!(r.status, 500, "{mpm:?}: {}", r.text());
        assert!(!r.text().contains("hello"), "{mpm:?}");
        let r = httpd.get("/failing/page.txt");
        assert_eq!(r.status, 500, "{mpm:?}: a static file through the filter");
        // The response had begun (its first part went out, flushed): it is cut short, the
        // last chunk never comes and the connection closes, so the client sees it broken.
        let raw = send_then_half_close(
            httpd.port(),
            b"GET /filtered/mid-response HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        assert!(raw.starts_with("HTTP/1.1 200 OK"), "{mpm:?}: {raw}");
        assert!(raw.contains("first part"), "{mpm:?}: {raw}");
        assert!(!raw.contains("second part"), "{mpm:?}: {raw}");
        assert!(
            !raw.ends_with("0\r\n\r\n"),
            "{mpm:?}: the response looks whole: {raw:?}"
        );
        // A filter that raises before it read anything loses nothing: as in 3.5 it is
        // disabled and the response passes untouched.
        let r = httpd.get("/filtered/before-reading");
        assert_eq!(r.status, 200, "{mpm:?}");
        assert!(r.text().starts_with("hello "), "{mpm:?}");
        // An input filter that raises after reading: the handler's read fails instead of
        // seeing a body that looks whole but is short.
        let r = httpd.request("POST", "/filtered/input", &[], b"some body");
        assert_eq!(r.status, 500, "{mpm:?}: {}", r.text());
        assert!(!r.text().contains("read "), "{mpm:?}");
        let log = httpd.error_log();
        for what in [
            "output filter exploded after reading",
            "output filter exploded mid-response",
            "output filter exploded before reading",
            "input filter exploded after reading",
        ] {
            assert!(log.contains(what), "{mpm:?}: {what}: {log}");
        }
        still_serving(&httpd, mpm.name());
    }
}

#[test]
fn a_client_that_stops_sending_its_body_gets_400_and_one_line_at_info() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let port = httpd.port();
        // Shorter than its Content-Length, then the client says it is done sending.
        let raw = send_then_half_close(
            port,
            b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nonly this much",
        );
        assert!(raw.starts_with("HTTP/1.1 400 "), "{mpm:?}: {raw}");
        // A chunk cut in the middle.
        let raw = send_then_half_close(
            port,
            b"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100\r\nnot a whole chunk",
        );
        assert!(raw.starts_with("HTTP/1.1 400 "), "{mpm:?}: {raw}");
        // A malformed chunk: httpd answers 400 itself, once.
        let raw = send_then_half_close(
            port,
            b"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
        );
        assert!(raw.starts_with("HTTP/1.1 400 "), "{mpm:?}: {raw}");
        assert_eq!(raw.matches("HTTP/1.1 ").count(), 1, "{mpm:?}: {raw}");
        let log = httpd.error_log();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("stopped sending the request body"))
            .collect();
        assert_eq!(lines.len(), 2, "{mpm:?}: {log}");
        assert!(
            lines.iter().all(|l| l.contains("[python:info]")),
            "{mpm:?}: {log}"
        );
        assert!(python_errors(&log).is_empty(), "{mpm:?}: {log}");
        assert!(!log.contains("Traceback"), "{mpm:?}: {log}");
        still_serving(&httpd, mpm.name());
    }
}

#[test]
fn a_body_over_limit_request_body_is_refused_with_413() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let r = httpd.request("POST", "/read/small", &[], &[b'a'; 100]);
        assert_eq!(r.status, 413, "{mpm:?}");
        // Chunked: found too long while the handler reads; httpd answers 413, once.
        let raw = httpd.raw(
            b"POST /read/small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n",
        );
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 413 "), "{mpm:?}: {text}");
        assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{mpm:?}: {text}");
        let log = httpd.error_log();
        assert!(python_errors(&log).is_empty(), "{mpm:?}: {log}");
        // Within the limit it is read.
        let r = httpd.request("POST", "/read/small", &[], b"0123456789");
        assert_eq!(r.text(), "read 10", "{mpm:?}");
        still_serving(&httpd, mpm.name());
    }
}

#[test]
fn a_client_that_goes_away_mid_response_or_mid_upload_costs_one_line() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let port = httpd.port();
        // Mid-response: reads a little of a large answer, then closes.
        {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut buf = vec![0u8; 100_000];
            let mut got = 0;
            while got < buf.len() {
                match s.read(&mut buf[got..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
            assert!(got > 1000, "{mpm:?}: {got} bytes");
        }
        // Mid-upload: announces 10 MB, sends 1 MB, closes.
        {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
                .unwrap();
            let _ = s.write_all(&vec![b'u'; 1 << 20]);
        }
        let seen = eventually(15, || {
            let log = httpd.error_log();
            log.contains("PythonHandler ended: the client went away")
                && log.contains("stopped sending the request body")
        });
        let log = httpd.error_log();
        assert!(seen, "{mpm:?}: {log}");
        assert!(python_errors(&log).is_empty(), "{mpm:?}: {log}");
        still_serving(&httpd, mpm.name());
    }
}

#[test]
fn a_handler_that_raises_is_a_500_and_the_child_serves_on() {
    for mpm in Mpm::ALL {
        let httpd = builder(mpm).single_child().start();
        let before = pid_of(&httpd);
        let r = httpd.get("/boom");
        assert_eq!(r.status, 500, "{mpm:?}");
        assert!(
            !r.text().contains("exploded"),
            "{mpm:?}: no traceback to the client"
        );
        let log = httpd.error_log();
        assert!(
            log.contains("ValueError: handler exploded"),
            "{mpm:?}: {log}"
        );
        assert_eq!(pid_of(&httpd), before, "{mpm:?}: the same child serves on");
        still_serving(&httpd, mpm.name());
    }
}

#[test]
fn sys_exit_in_a_handler_is_an_exception_and_os_exit_ends_the_child() {
    for mpm in Mpm::ALL {
        let httpd = builder(mpm).single_child().start();
        let before = pid_of(&httpd);
        // sys.exit() raises SystemExit, an exception like any other here: logged, and the
        // process goes on. The response had begun: it is cut short (no last chunk), not
        // followed by an error page that would read as part of it.
        let raw = send_then_half_close(httpd.port(), b"GET /exit HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(raw.starts_with("HTTP/1.1 200 OK"), "{mpm:?}: {raw}");
        assert!(raw.contains(&before), "{mpm:?}: {raw}");
        assert!(!raw.contains("Internal Server Error"), "{mpm:?}: {raw}");
        assert!(!raw.ends_with("0\r\n\r\n"), "{mpm:?}: {raw:?}");
        let log = httpd.error_log();
        assert!(log.contains("SystemExit: 3"), "{mpm:?}: {log}");
        assert_eq!(
            pid_of(&httpd),
            before,
            "{mpm:?}: sys.exit() ended the child"
        );
        // os._exit() ends the process at once, with every request it was serving: the
        // client gets no answer, and httpd starts another child.
        let raw = httpd.raw(b"GET /os_exit HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(
            raw.is_empty(),
            "{mpm:?}: {:?}",
            String::from_utf8_lossy(&raw)
        );
        let mut after = String::new();
        let replaced = eventually(15, || {
            after = harness::request_port(httpd.port(), "GET", "/hello", &[], b"")
                .map(|r| r.text())
                .unwrap_or_default();
            after.starts_with("hello ") && after["hello ".len()..] != before
        });
        assert!(replaced, "{mpm:?}: {after}\n{}", httpd.error_log());
        still_serving(&httpd, mpm.name());
    }
}

#[test]
fn a_panicking_rust_hook_is_a_500_and_python_serves_on() {
    for mpm in Mpm::ALL {
        let httpd = builder(mpm)
            .module("hooks_module", harness::cdylib("mod_hooks"))
            .start();
        for hook in ["post_read_request", "fixups", "insert_filter"] {
            let r = httpd.request("GET", "/hello", &[("X-Panic", hook)], b"");
            let want = if hook == "insert_filter" { 200 } else { 500 };
            assert_eq!(r.status, want, "{mpm:?}: {hook}");
            assert!(
                httpd
                    .error_log()
                    .contains(&format!("asked to panic in {hook}")),
                "{mpm:?}: {hook}"
            );
            still_serving(&httpd, mpm.name());
        }
    }
}

#[test]
fn a_handler_that_outlasts_timeout_holds_only_its_own_worker() {
    for mpm in Mpm::ALL {
        let httpd = builder(mpm).config("Timeout 2\n").start();
        let port = httpd.port();
        // httpd's Timeout bounds waiting for the network, not a handler's run: the client
        // of a handler that does not return waits (here, 4 s, without an answer)...
        let waiting = std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
            s.write_all(b"GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut buf = [0u8; 64];
            s.read(&mut buf).unwrap_or(0)
        });
        // ... while every other request is served meanwhile.
        std::thread::sleep(Duration::from_millis(300));
        for _ in 0..5 {
            still_serving(&httpd, mpm.name());
        }
        assert_eq!(waiting.join().unwrap(), 0, "{mpm:?}: an answer came");
        // A client that sends part of its body and then nothing for Timeout seconds: 408.
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nsome")
            .unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408 "), "{mpm:?}: {answer}");
        // A handler writing to a client that does not read blocks for Timeout, then its
        // write fails and it ends: one line, no traceback.
        let mut stuck = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stuck
            .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let ended = eventually(15, || {
            httpd
                .error_log()
                .contains("PythonHandler ended: the client went away")
        });
        drop(stuck);
        let log = httpd.error_log();
        assert!(ended, "{mpm:?}: {log}");
        assert!(python_errors(&log).is_empty(), "{mpm:?}: {log}");
        still_serving(&httpd, mpm.name());
        // Stopping the server with the handler still running is bounded: httpd kills what
        // does not end (9 s into a stop).
        let started = Instant::now();
        httpd.stop();
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{mpm:?}: stop took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_thread_a_handler_leaves_running_delays_the_child_exit_only_as_configured() {
    for mpm in Mpm::ALL {
        let httpd = builder(mpm)
            .single_child()
            .config("PythonOption mod_python.exit_thread_wait 0.5\n")
            .start();
        let r = httpd.get("/leak");
        assert!(r.text().starts_with("started in "), "{mpm:?}");
        let old = r.text()["started in ".len()..].to_string();
        // With ServerLimit 1 the new generation's child can only start once the old one has
        // exited: its wait for the leaked thread must not hold the slot long.
        let started = Instant::now();
        httpd.graceful_restart();
        let mut new = String::new();
        let replaced = eventually(15, || {
            new = harness::request_port(httpd.port(), "GET", "/hello", &[], b"")
                .map(|r| r.text())
                .unwrap_or_default();
            new.starts_with("hello ") && new["hello ".len()..] != old
        });
        let took = started.elapsed();
        let log = httpd.error_log();
        assert!(replaced, "{mpm:?}: {new}\n{log}");
        assert!(took < Duration::from_secs(3), "{mpm:?}: {took:?}\n{log}");
        assert!(!log.contains("scoreboard is full"), "{mpm:?}: {log}");
        assert!(
            log.contains("thread \"leaked\" still running"),
            "{mpm:?}: {log}"
        );
        still_serving(&httpd, mpm.name());
    }
}

#[test]
fn the_exit_thread_wait_is_checked_when_the_configuration_is_read() {
    for (line, why) in [
        (
            "PythonOption mod_python.exit_thread_wait soon\n",
            "takes seconds from 0 to 5",
        ),
        (
            "PythonOption mod_python.exit_thread_wait 60\n",
            "takes seconds from 0 to 5",
        ),
        (
            "<Location /x>\n    PythonOption mod_python.exit_thread_wait 1\n</Location>\n",
            "applies to the whole server",
        ),
    ] {
        let err = builder(Mpm::Event)
            .config(line)
            .config_test()
            .expect_err(line);
        assert!(err.contains(why), "{line}: {err}");
        assert!(err.contains("httpd.conf"), "{line}: no file named: {err}");
    }
}

#[test]
fn a_broken_python_import_is_logged_and_the_server_serves() {
    for mpm in Mpm::ALL {
        let httpd = builder(mpm)
            .file(
                "py/broken_at_import.py",
                "raise RuntimeError('broken at import')\n",
            )
            .file("py/bad_syntax.py", "def nope(:\n")
            .config(
                "PythonImport no_such_module main_interpreter\n\
                 PythonImport broken_at_import main_interpreter\n\
                 PythonImport bad_syntax 127.0.0.1\n\
                 PythonImport faults main_interpreter\n",
            )
            .start();
        still_serving(&httpd, mpm.name());
        let log = httpd.error_log();
        for what in [
            "no_such_module",
            "RuntimeError: broken at import",
            "SyntaxError",
        ] {
            assert!(log.contains(what), "{mpm:?}: {what}: {log}");
        }
    }
}

#[test]
fn a_syntax_error_in_a_handler_module_is_a_500_until_it_is_fixed() {
    for mpm in Mpm::ALL {
        let httpd = builder(mpm)
            .file(
                "py/edited.py",
                "from mod_python import apache\ndef handler(req):\n    req.write('v1')\n    return apache.OK\n",
            )
            .config(&location("/edited", "edited", "    PythonAutoReload On\n"))
            .start();
        let file = httpd.root().join("py/edited.py");
        let rewrite = |text: &str, age: u64| {
            std::fs::write(&file, text).unwrap();
            // A later modification time, whatever the file system's clock granularity.
            let when = std::time::SystemTime::now() + Duration::from_secs(age);
            std::fs::File::options()
                .write(true)
                .open(&file)
                .unwrap()
                .set_modified(when)
                .unwrap();
        };
        assert_eq!(httpd.get("/edited").text(), "v1", "{mpm:?}");
        rewrite("def handler(req:\n", 2);
        let broken = eventually(10, || httpd.get("/edited").status == 500);
        assert!(broken, "{mpm:?}: {}", httpd.error_log());
        assert!(httpd.error_log().contains("SyntaxError"), "{mpm:?}");
        still_serving(&httpd, mpm.name());
        rewrite(
            "from mod_python import apache\ndef handler(req):\n    req.write('v2')\n    return apache.OK\n",
            4,
        );
        let fixed = eventually(10, || httpd.get("/edited").text() == "v2");
        assert!(fixed, "{mpm:?}: {}", httpd.error_log());
    }
}

#[test]
fn a_child_killed_under_load_is_replaced_and_the_server_serves_on() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let port = httpd.port();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let (ok, failed) = std::thread::scope(|s| {
            let load: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let (mut ok, mut failed) = (0u32, 0u32);
                        // Bounded in time and count.
                        let deadline = Instant::now() + Duration::from_secs(10);
                        while !stop.load(std::sync::atomic::Ordering::Relaxed)
                            && Instant::now() < deadline
                            && ok + failed < 5000
                        {
                            match harness::request_port(port, "GET", "/hello", &[], b"") {
                                Ok(r) if r.status == 200 => ok += 1,
                                _ => failed += 1,
                            }
                        }
                        (ok, failed)
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_millis(500));
            let victim: i32 = pid_of(&httpd).parse().unwrap();
            // SAFETY: kill has no memory preconditions; the pid is a child of our own httpd.
            unsafe { libc::kill(victim, libc::SIGKILL) };
            std::thread::sleep(Duration::from_millis(1500));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            load.into_iter()
                .map(|t| t.join().unwrap())
                .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
        });
        // Only the requests in flight in the killed child fail.
        assert!(ok > 20, "{mpm:?}: {ok} ok, {failed} failed");
        assert!(failed <= 8, "{mpm:?}: {ok} ok, {failed} failed");
        for _ in 0..10 {
            still_serving(&httpd, mpm.name());
        }
    }
}
