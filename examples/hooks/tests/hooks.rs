//! Every hook on a real httpd: the order they run in, and a panic in each.

use harness::{Httpd, Mpm};

fn server(mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .log_level("info")
        .module("hooks_module", harness::cdylib("mod_hooks"))
        .system_module("authn_core_module", "mod_authn_core.so")
        .system_module("authz_user_module", "mod_authz_user.so")
        // Authentication required, so the authn and authz phases run too.
        .config(
            "<Location /hooks>\n    SetHandler hooks-trace\n    AuthType Basic\n    AuthName hooks\n    \
             Require valid-user\n</Location>\n",
        )
        .config("LogLevel hooks:debug\n")
        .start()
}

const REQUEST_HOOKS: [&str; 15] = [
    "create_request",
    "post_read_request",
    "translate_name",
    "map_to_storage",
    "header_parser",
    "check_access",
    "access_checker",
    "access_checker_ex",
    "check_authn",
    "check_user_id",
    "check_authz",
    "auth_checker",
    "type_checker",
    "fixups",
    "insert_filter",
];

#[test]
fn request_hooks_run_in_httpds_order() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.get("/hooks/trace");
        assert_eq!(r.status, 200, "{mpm:?}");
        let trace = r.text();
        let ran: Vec<&str> = trace.trim().split(',').collect();
        for hook in REQUEST_HOOKS.iter().chain(&["handler"]) {
            assert!(ran.contains(hook), "{hook} missing from {trace}");
        }
        let pos = |h: &str| ran.iter().position(|x| *x == h).unwrap();
        // The phases in the order of httpd's request cycle.
        let order = [
            "create_request",
            "post_read_request",
            "translate_name",
            "map_to_storage",
            "header_parser",
            "type_checker",
            "fixups",
            "insert_filter",
            "handler",
        ];
        for pair in order.windows(2) {
            assert!(
                pos(pair[0]) < pos(pair[1]),
                "{} before {} in {trace}",
                pair[0],
                pair[1]
            );
        }
        let q = httpd.get("/quick");
        assert_eq!(q.text(), "answered by quick_handler\n");
        let log = httpd.error_log();
        for line in [
            "hooks: check_config",
            "hooks: post_config, 1 server(s)",
            "hooks: child_init in pid",
            "hooks: log_transaction for /hooks/trace",
            "hooks: pre_connection from 127.0.0.1",
            // The per-request state went with the request, holding every hook it traced.
            &format!("hooks: request state dropped after {} hooks", ran.len()),
        ] {
            assert!(log.contains(line), "{line:?} not in\n{log}");
        }
        // The log lines carry the Rust file and line of the caller.
        assert!(log.contains("lib.rs("), "{log}");
    }
}

#[test]
fn a_panic_in_any_request_hook_is_a_500_and_the_server_goes_on() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        for hook in REQUEST_HOOKS.iter().skip(1).chain(&["handler"]) {
            let r = httpd.request("GET", "/hooks/trace", &[("X-Panic", hook)], b"");
            // insert_filter returns nothing to httpd: its panic is logged and the request goes on.
            let expected = if *hook == "insert_filter" { 200 } else { 500 };
            assert_eq!(r.status, expected, "{mpm:?} {hook}");
            let log = httpd.error_log();
            assert!(
                log.contains(&format!("asked to panic in {hook}")),
                "{hook}: {log}"
            );
            assert!(
                log.contains("panicked at examples/hooks/src/lib.rs:"),
                "{log}"
            );
            // The same server answers the next request.
            assert_eq!(
                httpd.get("/hooks/trace").status,
                200,
                "after a panic in {hook}"
            );
        }
        // After the response: nothing to answer, but logged and survived.
        httpd.request(
            "GET",
            "/hooks/trace",
            &[("X-Panic", "log_transaction")],
            b"",
        );
        assert_eq!(httpd.get("/hooks/trace").status, 200);
        assert!(httpd
            .error_log()
            .contains("asked to panic in log_transaction"));
    }
}

#[test]
fn an_error_result_sends_its_status_and_logs_its_message() {
    let httpd = server(Mpm::Event);
    assert_eq!(httpd.get("/hooks/error").status, 409);
    assert!(httpd.error_log().contains("the handler chose to fail"));
}

#[test]
fn child_stopping_runs_at_graceful_restart() {
    let httpd = server(Mpm::Prefork);
    httpd.graceful_restart();
    assert_eq!(httpd.get("/hooks/trace").status, 200);
    let log = httpd.error_log();
    assert!(log.matches("hooks: post_config").count() >= 2, "{log}");
}

#[test]
fn hooks_are_ordered_by_module_name() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        // mod_alias loads first, so without the names its hook would keep its place.
        let httpd = Httpd::builder()
            .mpm(mpm)
            .system_module("alias_module", "mod_alias.so")
            .module("hooks_module", harness::cdylib("mod_hooks"))
            .file("elsewhere/x.txt", "aliased file\n")
            .file("htdocs/ordered/plain.txt", "plain file\n")
            .config(
                "Alias /ordered/aliased \"@ROOT@/elsewhere\"\n\
                 <Directory \"@ROOT@/elsewhere\">\n    Require all granted\n</Directory>\n",
            )
            .start();
        // An aliased URI: the hook ordered before mod_alias saw it (as the client sent it),
        // mod_alias mapped it, and the hook ordered after mod_alias never ran.
        let r = httpd.get("/ordered/aliased/x.txt");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "aliased file\n"),
            "{mpm:?}"
        );
        assert_eq!(
            r.headers_all("X-Translate"),
            ["before-alias /ordered/aliased/x.txt"],
            "{mpm:?}"
        );
        // Elsewhere mod_alias declines: both run, in their order.
        let r = httpd.get("/ordered/plain.txt");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "plain file\n"),
            "{mpm:?}"
        );
        assert_eq!(
            r.headers_all("X-Translate"),
            [
                "before-alias /ordered/plain.txt",
                "after-alias /ordered/plain.txt"
            ],
            "{mpm:?}"
        );
    }
}

#[test]
fn debug_lines_follow_the_modules_log_level() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        // httpd's default LogLevel (warn) with the server's info: no module debug line.
        for level in ["warn", "info"] {
            let httpd = Httpd::builder()
                .mpm(mpm)
                .log_level(level)
                .module("hooks_module", harness::cdylib("mod_hooks"))
                .config("<Location /hooks>\n    SetHandler hooks-trace\n</Location>\n")
                .start();
            assert_eq!(httpd.get("/hooks/trace").status, 200);
            let log = httpd.error_log();
            assert!(
                !log.contains("hooks: pre_connection"),
                "{mpm:?} {level}: {log}"
            );
            // Info lines follow the level too.
            assert_eq!(
                log.contains("hooks: log_transaction for /hooks/trace"),
                level == "info",
                "{mpm:?} {level}: {log}"
            );
        }
        // `LogLevel hooks:debug` shows this module's debug lines, and only this module's.
        let httpd = Httpd::builder()
            .mpm(mpm)
            .log_level("info hooks:debug")
            .module("hooks_module", harness::cdylib("mod_hooks"))
            .config("<Location /hooks>\n    SetHandler hooks-trace\n</Location>\n")
            .start();
        assert_eq!(httpd.get("/hooks/trace").status, 200);
        let log = httpd.error_log();
        let debug = log
            .lines()
            .find(|l| l.contains("hooks: pre_connection from 127.0.0.1"))
            .unwrap_or_else(|| panic!("{mpm:?}: no debug line in\n{log}"));
        assert!(debug.contains("[hooks:debug]"), "{debug}");
        assert!(
            !log.contains(":debug] AH"),
            "{mpm:?}: another module logged debug: {log}"
        );
    }
}

#[test]
fn a_panic_in_pre_connection_drops_that_connection_only() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let other = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("hooks_module", harness::cdylib("mod_hooks"))
            .env("HOOKS_PANIC_PORT", &other.to_string())
            .config(&format!(
                "Listen 127.0.0.1:{other}\n<Location /hooks>\n    SetHandler hooks-trace\n</Location>\n"
            ))
            .start();
        for _ in 0..5 {
            // No answer on that port: the connection is closed before HTTP starts.
            let mut s = std::net::TcpStream::connect(("127.0.0.1", other)).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
                .unwrap();
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /hooks/trace HTTP/1.0\r\n\r\n");
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out);
            assert!(out.is_empty(), "{mpm:?}: {}", String::from_utf8_lossy(&out));
            // The server goes on serving on its other port.
            assert_eq!(httpd.get("/hooks/trace").status, 200, "{mpm:?}");
        }
        let log = httpd.error_log();
        assert!(
            log.contains("asked to panic in pre_connection"),
            "{mpm:?}: {log}"
        );
        assert!(
            log.contains("panicked at examples/hooks/src/lib.rs:"),
            "{mpm:?}: {log}"
        );
        assert!(!log.contains("exit signal"), "{mpm:?}: {log}");
    }
}

/// The event MPM hands a kept-alive connection back to process_connection for each request
/// (and when the client closes it); the others call it once per connection.
#[test]
fn process_connection_runs_per_request_under_event_only() {
    use std::io::{Read, Write};
    for mpm in [Mpm::Event, Mpm::Worker, Mpm::Prefork] {
        let httpd = server(mpm);
        let before = httpd
            .error_log()
            .matches("hooks: process_connection")
            .count();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", httpd.port())).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let req = "GET /quick HTTP/1.1\r\nHost: x\r\n\r\n";
        let answer = |s: &mut std::net::TcpStream| {
            // The quick handler's answer: headers, then a 26-byte body.
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while !buf.ends_with(b"answered by quick_handler\n") {
                assert_eq!(s.read(&mut byte).unwrap(), 1, "{mpm:?}");
                buf.push(byte[0]);
            }
        };
        s.write_all(req.as_bytes()).unwrap();
        answer(&mut s);
        // Let the event MPM park the connection before the next request.
        std::thread::sleep(std::time::Duration::from_millis(200));
        s.write_all(req.as_bytes()).unwrap();
        answer(&mut s);
        drop(s);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let log = httpd.error_log();
        let calls = log.matches("hooks: process_connection").count() - before;
        if mpm == Mpm::Event {
            // Once per request, and once more when the client's close wakes the connection.
            assert!(calls >= 2, "{mpm:?}: {calls} calls: {log}");
            assert!(log.contains("(served 1 request(s) so far)"), "{log}");
        } else {
            assert_eq!(calls, 1, "{mpm:?}: {log}");
        }
    }
}
