//! mod_rsecho on a real httpd: a protocol module on its own virtual host, next to HTTP.

use harness::{Httpd, Mpm};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// A port nobody listens on right now.
/// Two free ports, different: both are held while the second is chosen (ports chosen one
/// after the other, each released at once, can come back the same, and httpd then refuses
/// two `Listen`s of one port).
fn free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let b = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = |l: &std::net::TcpListener| l.local_addr().expect("local_addr").port();
    (port(&a), port(&b))
}

/// An httpd serving HTTP on its main port, echo on `echo`, and HTTP again on `off` where the
/// directive says Off.
struct Setup {
    httpd: Httpd,
    echo: u16,
    off: u16,
}

fn server(mpm: Mpm) -> Setup {
    let (echo, off) = free_ports();
    let httpd = Httpd::builder()
        .mpm(mpm)
        .module("rsecho_module", harness::cdylib("mod_rsecho"))
        .config(&format!(
            "Listen 127.0.0.1:{echo}\nListen 127.0.0.1:{off}\n\
             <VirtualHost 127.0.0.1:{echo}>\n    RsEchoProtocol On\n    KeepAliveTimeout 2\n</VirtualHost>\n\
             <VirtualHost 127.0.0.1:{off}>\n    RsEchoProtocol Off\n</VirtualHost>\n"
        ))
        .start();
    Setup { httpd, echo, off }
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Reads exactly `n` bytes (or what comes before the server closes).
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut out = vec![0; n];
    let mut got = 0;
    while got < n {
        match s.read(&mut out[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) => panic!("reading after {got} of {n} bytes: {e}"),
        }
    }
    out.truncate(got);
    out
}

/// Everything until the server closes; a reset counts as closed.
fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("waiting for the server to close: {e}"),
    }
    out
}

fn http_get(port: u16) -> String {
    let mut s = connect(port);
    s.write_all(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    String::from_utf8_lossy(&read_to_close(&mut s)).into_owned()
}

#[test]
fn lines_come_back_until_the_client_closes() {
    for mpm in Mpm::ALL {
        let Setup { httpd, echo, .. } = server(mpm);
        let mut s = connect(echo);
        s.write_all(b"hello\n").unwrap();
        assert_eq!(read_n(&mut s, 6), b"hello\n", "{mpm:?}");
        // Two lines in one packet, CRLF kept as sent.
        s.write_all(b"two\r\nthree\n").unwrap();
        assert_eq!(read_n(&mut s, 11), b"two\r\nthree\n", "{mpm:?}");
        // One line in two packets.
        s.write_all(b"par").unwrap();
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        s.write_all(b"tial\n").unwrap();
        assert_eq!(read_n(&mut s, 8), b"partial\n", "{mpm:?}");
        // An empty line and binary bytes.
        s.write_all(b"\n\x00\xff\x01\n").unwrap();
        assert_eq!(read_n(&mut s, 5), b"\n\x00\xff\x01\n", "{mpm:?}");
        // Raw data announced by `bytes N`, newlines inside, read in small pieces.
        s.write_all(b"bytes 20\nab\ncd\n\n0123456789xyz").unwrap();
        assert_eq!(read_n(&mut s, 20), b"ab\ncd\n\n0123456789xyz", "{mpm:?}");
        s.write_all(b"after\n").unwrap();
        assert_eq!(read_n(&mut s, 6), b"after\n", "{mpm:?}");
        // A last line without a newline comes back when the client ends its side, then the
        // server closes.
        s.write_all(b"tail").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_close(&mut s), b"tail", "{mpm:?}");
        // Several clients at once, each on its own thread.
        let clients: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    let mut s = connect(echo);
                    for j in 0..20 {
                        let line = format!("client {i} line {j}\n");
                        s.write_all(line.as_bytes()).unwrap();
                        assert_eq!(read_n(&mut s, line.len()), line.as_bytes());
                    }
                })
            })
            .collect();
        for c in clients {
            c.join()
                .unwrap_or_else(|_| panic!("{mpm:?}: a client failed"));
        }
        assert!(!httpd.error_log().contains("panicked"), "{mpm:?}");
    }
}

#[test]
fn a_long_line_comes_back_intact() {
    for mpm in Mpm::ALL {
        let Setup { httpd, echo, .. } = server(mpm);
        let mut s = connect(echo);
        // 200 KB, far more than the core filter's 8 KB pieces of a line, and a 1.5 MB line that
        // the module holds in pieces of 1 MB.
        let mut long: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        long.push(b'\n');
        let mut huge: Vec<u8> = (0..1_500_000u32).map(|i| b'A' + (i % 23) as u8).collect();
        huge.push(b'\n');
        let mut w = s.try_clone().unwrap();
        let (l2, h2) = (long.clone(), huge.clone());
        let writer = std::thread::spawn(move || {
            w.write_all(&l2).unwrap();
            w.write_all(b"short\n").unwrap();
            w.write_all(&h2).unwrap();
        });
        let back = read_n(&mut s, long.len() + 6 + huge.len());
        writer.join().unwrap();
        assert_eq!(back.len(), long.len() + 6 + huge.len(), "{mpm:?}");
        assert!(
            back[..long.len()] == long[..],
            "{mpm:?}: the 200 KB line differs"
        );
        assert_eq!(&back[long.len()..long.len() + 6], b"short\n", "{mpm:?}");
        assert!(
            back[long.len() + 6..] == huge[..],
            "{mpm:?}: the 1.5 MB line differs"
        );
        drop(httpd);
    }
}

#[test]
fn http_is_served_where_the_protocol_is_off() {
    for mpm in Mpm::ALL {
        let Setup { httpd, echo, off } = server(mpm);
        let r = httpd.get("/index.html");
        assert_eq!(
            (r.status, r.text().contains("it works")),
            (200, true),
            "{mpm:?}"
        );
        let page = http_get(off);
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{mpm:?}: {page}");
        assert!(page.contains("it works"), "{mpm:?}");
        // On the echo port the request comes back as it was sent.
        let mut s = connect(echo);
        s.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        assert_eq!(read_n(&mut s, 16), b"GET / HTTP/1.1\r\n", "{mpm:?}");
    }
}

#[test]
fn a_silent_client_is_let_go_after_the_keepalive_timeout() {
    for mpm in Mpm::ALL {
        let Setup { httpd, echo, .. } = server(mpm);
        let mut s = connect(echo);
        s.write_all(b"ping\n").unwrap();
        assert_eq!(read_n(&mut s, 5), b"ping\n", "{mpm:?}");
        let start = Instant::now();
        assert_eq!(read_to_close(&mut s), b"", "{mpm:?}");
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(1500) && waited < Duration::from_secs(10),
            "{mpm:?}: closed after {waited:?}, KeepAliveTimeout is 2 s"
        );
        let log = httpd.error_log();
        assert!(
            log.contains("echo: connection from 127.0.0.1 ended"),
            "{mpm:?}: {log}"
        );
    }
}

#[test]
fn a_panic_is_logged_and_the_server_goes_on() {
    for mpm in Mpm::ALL {
        let Setup { httpd, echo, off } = server(mpm);
        let mut s = connect(echo);
        s.write_all(b"before\n").unwrap();
        assert_eq!(read_n(&mut s, 7), b"before\n", "{mpm:?}");
        s.write_all(b"panic\nafter\n").unwrap();
        // Nothing more comes back: the connection is closed.
        assert_eq!(read_to_close(&mut s), b"", "{mpm:?}");
        let log = httpd.error_log();
        let line = log
            .lines()
            .find(|l| l.contains("echo was asked to panic"))
            .unwrap_or_else(|| panic!("{mpm:?}: no panic in the error_log:\n{log}"));
        assert!(line.contains("panicked at"), "{mpm:?}: {line}");
        assert!(line.contains("src/lib.rs:"), "{mpm:?}: {line}");
        assert!(line.contains("[rsecho:error]"), "{mpm:?}: {line}");
        // New connections are served, echo and HTTP, again and again (under prefork the same
        // child may take them).
        for i in 0..10 {
            let mut s = connect(echo);
            let line = format!("again {i}\n");
            s.write_all(line.as_bytes()).unwrap();
            assert_eq!(read_n(&mut s, line.len()), line.as_bytes(), "{mpm:?}");
        }
        assert!(http_get(off).contains("it works"), "{mpm:?}");
        assert_eq!(httpd.get("/index.html").status, 200, "{mpm:?}");
        // No child died of it.
        assert!(!httpd.error_log().contains("exit signal"), "{mpm:?}");
    }
}

#[test]
fn a_client_that_leaves_early_does_no_harm() {
    for mpm in Mpm::ALL {
        let Setup { httpd, echo, .. } = server(mpm);
        for _ in 0..3 {
            // Lines the server is still echoing when the client is gone: its writes fail.
            let mut s = connect(echo);
            let mut lines = Vec::new();
            for i in 0..2000 {
                lines.extend_from_slice(format!("line {i} {}\n", "x".repeat(500)).as_bytes());
            }
            let _ = s.write_all(&lines);
            drop(s);
        }
        // A client that closes in the middle of a line.
        let mut s = connect(echo);
        s.write_all(b"half a li").unwrap();
        drop(s);
        let mut s = connect(echo);
        s.write_all(b"still here\n").unwrap();
        assert_eq!(read_n(&mut s, 11), b"still here\n", "{mpm:?}");
        drop(s);
        std::thread::sleep(Duration::from_millis(300));
        let log = httpd.error_log();
        assert!(!log.contains("panicked"), "{mpm:?}: {log}");
        assert!(!log.contains("exit signal"), "{mpm:?}: {log}");
    }
}

/// Over TLS (mod_ssl's connection filters between the module and the socket), with
/// `openssl s_client` as the client. Skipped when `openssl` is missing.
#[test]
fn lines_come_back_over_tls() {
    use std::process::{Command, Stdio};
    let Some((key, cert)) = harness::tls::cert_or_skip(false) else {
        return;
    };
    for mpm in Mpm::ALL {
        let (builder, tls) = harness::tls::vhost(
            Httpd::builder()
                .mpm(mpm)
                .module("rsecho_module", harness::cdylib("mod_rsecho")),
            &key,
            &cert,
            "    RsEchoProtocol On\n",
        );
        let httpd = builder.start();
        let mut client = Command::new("openssl")
            .args(["s_client", "-quiet", "-connect"])
            .arg(format!("127.0.0.1:{tls}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_client");
        let mut stdin = client.stdin.take().unwrap();
        let mut stdout = client.stdout.take().unwrap();
        // The answer is read on a thread, so that a missing one ends in a timeout, not a hang.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let lines = "over tls\nsecond line\n";
        stdin.write_all(lines.as_bytes()).unwrap();
        stdin.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut got = Vec::new();
        while got.len() < lines.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(part) => got.extend(part),
                Err(_) => break,
            }
        }
        drop(stdin);
        let _ = client.kill();
        let _ = client.wait();
        assert_eq!(
            String::from_utf8_lossy(&got),
            lines,
            "{mpm:?}: {}",
            httpd.error_log()
        );
    }
}
