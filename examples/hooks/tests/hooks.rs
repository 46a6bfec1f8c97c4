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

const REQUEST_HOOKS: [&str; 16] = [
    "create_request",
    "post_read_request",
    "translate_name",
    "map_to_storage",
    "header_parser",
    "check_access",
    "access_checker",
    "check_access_ex",
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
            "1 server(s), pre_config=true open_logs=true",
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
        // The quick handler answers before the URI is mapped.
        let r = httpd.request("GET", "/quick", &[("X-Panic", "quick_handler")], b"");
        assert_eq!(r.status, 500, "{mpm:?} quick_handler");
        assert!(
            httpd
                .error_log()
                .contains("asked to panic in quick_handler")
        );
        assert_eq!(httpd.get("/quick").text(), "answered by quick_handler\n");
        // An error response's filters: the 409 still goes out, the panic is logged.
        let r = httpd.request(
            "GET",
            "/hooks/error",
            &[("X-Panic", "insert_error_filter")],
            b"",
        );
        assert_eq!(r.status, 409, "{mpm:?} insert_error_filter");
        assert!(
            httpd
                .error_log()
                .contains("asked to panic in insert_error_filter")
        );
        assert_eq!(httpd.get("/hooks/trace").status, 200);
        // After the response: nothing to answer, but logged and survived, and the
        // log_transaction hooks after the panicking one still ran for that request.
        let r = httpd.request(
            "GET",
            "/hooks/logged-anyway",
            &[("X-Panic", "log_transaction")],
            b"",
        );
        assert_eq!(r.status, 200, "{mpm:?}");
        assert_eq!(httpd.get("/hooks/trace").status, 200);
        let log = httpd.error_log();
        assert!(log.contains("asked to panic in log_transaction"), "{log}");
        assert!(
            log.contains("hooks: log_transaction for /hooks/logged-anyway"),
            "{mpm:?}: {log}"
        );
    }
}

#[test]
fn an_error_result_sends_its_status_and_logs_its_message() {
    let httpd = server(Mpm::Event);
    assert_eq!(httpd.get("/hooks/error").status, 409);
    assert!(httpd.error_log().contains("the handler chose to fail"));
}

/// `(pid, rest of the line)` of every error_log line with `marker` followed by a pid.
fn pids_after<'a>(log: &'a str, marker: &str) -> Vec<(u32, &'a str)> {
    log.lines()
        .filter_map(|l| l.split_once(marker))
        .map(|(_, rest)| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (digits.parse().expect("a pid"), rest)
        })
        .collect()
}

/// What the module's own stderr output (the parent's before the error_log is open) and the
/// error_log say, together.
fn everything_logged(httpd: &Httpd) -> String {
    let stderr = std::fs::read_to_string(httpd.root().join("logs/stderr")).unwrap_or_default();
    format!("{stderr}{}", httpd.error_log())
}

/// Waits until `pred` holds for the logs, or fails with them after 15 s.
fn wait_for_log(httpd: &Httpd, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let log = everything_logged(httpd);
        if pred(&log) {
            return log;
        }
        assert!(std::time::Instant::now() < deadline, "{what}:\n{log}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// post_config runs twice at start-up, in the parent only, with its configuration pool cleared
/// in between; children run child_init and clean their pool when they go; a graceful restart
/// runs post_config once more, stops the old children gracefully and reloads the module, after
/// which everything the module's statics hold (hooks, the module's log level index, the panic
/// handling) still works.
#[test]
fn lifecycle_across_start_up_and_graceful_restarts() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let parent = httpd.pid();
        assert_eq!(httpd.get("/hooks/trace").status, 200, "{mpm:?}");
        let log = everything_logged(&httpd);
        let post_config = pids_after(&log, "hooks: post_config in pid ");
        assert_eq!(post_config.len(), 2, "{mpm:?}: twice at start-up\n{log}");
        for (pid, rest) in &post_config {
            assert_eq!(*pid, parent, "{mpm:?}: post_config in the parent only");
            assert!(rest.contains("pre_config=true open_logs=true"), "{rest}");
        }
        // The first pass's configuration went before the second pass began.
        let cleaned = format!("hooks: configuration of pid {parent} cleaned up");
        assert_eq!(log.matches(&cleaned).count(), 1, "{mpm:?}: {log}");
        let children: Vec<u32> = pids_after(&log, "hooks: child_init in pid ")
            .into_iter()
            .map(|(pid, _)| pid)
            .collect();
        assert!(!children.is_empty(), "{mpm:?}: {log}");
        assert!(!children.contains(&parent), "{mpm:?}: {log}");

        httpd.graceful_restart();
        // The old children stop gracefully and clean their pools on the way out.
        let log = wait_for_log(&httpd, "old children gone", |log| {
            children.iter().all(|pid| {
                log.contains(&format!("hooks: child pool of pid {pid} cleaned up"))
                    && log.contains(&format!("hooks: child_stopping in pid {pid} graceful="))
            })
        });
        // The event MPM lets busy children finish; prefork's children are idle between
        // requests and just stop.
        if mpm == Mpm::Event {
            for pid in &children {
                let line = format!("hooks: child_stopping in pid {pid} graceful=true");
                assert!(log.contains(&line), "{log}");
            }
        }
        let post_config = pids_after(&log, "hooks: post_config in pid ");
        assert_eq!(post_config.len(), 3, "{mpm:?}: once more per restart");
        assert!(post_config.iter().all(|(pid, _)| *pid == parent));
        assert_eq!(log.matches(&cleaned).count(), 2, "{mpm:?}: {log}");

        // The reloaded module: hooks run, its debug lines keep their module tag, a panic is
        // still a 500 with its location.
        let before = log.len();
        assert_eq!(httpd.get("/hooks/trace").status, 200, "{mpm:?}");
        let r = httpd.request("GET", "/hooks/trace", &[("X-Panic", "fixups")], b"");
        assert_eq!(r.status, 500, "{mpm:?}");
        assert_eq!(httpd.get("/hooks/trace").status, 200, "{mpm:?}");
        let log = everything_logged(&httpd);
        let new = &log[before..];
        assert!(new.contains("[hooks:debug]"), "{mpm:?}: {new}");
        assert!(
            new.contains("panicked at examples/hooks/src/lib.rs:"),
            "{mpm:?}: {new}"
        );
    }
}

#[test]
fn hooks_of_one_phase_run_in_the_order_of_their_positions() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.get("/hooks/order");
        assert_eq!(r.status, 200, "{mpm:?}");
        assert_eq!(
            r.headers_all("X-Order"),
            ["really-first", "first", "middle", "last", "really-last"],
            "{mpm:?}"
        );
    }
}

#[test]
fn a_hook_that_answers_returns_done_and_the_handler_never_runs() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.get("/hooks/done");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "finished in fixups\n"),
            "{mpm:?}"
        );
        // DONE skipped the positioned fixups after it, but not the logging.
        assert!(r.headers_all("X-Order").len() < 5, "{mpm:?}");
        assert!(
            httpd
                .error_log()
                .contains("hooks: log_transaction for /hooks/done")
        );
    }
}

#[test]
fn insert_error_filter_runs_for_error_responses_only() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.get("/hooks/error");
        assert_eq!(r.status, 409, "{mpm:?}");
        assert_eq!(r.header("X-Error-Filter"), Some("409"), "{mpm:?}");
        let r = httpd.get("/hooks/trace");
        assert!(!r.text().contains("insert_error_filter"), "{mpm:?}");
        assert_eq!(r.header("X-Error-Filter"), None, "{mpm:?}");
    }
}

/// A panic in a hook that runs while the configuration is read is a configuration error:
/// httpd does not start, and says why.
#[test]
fn a_panic_in_a_configuration_hook_stops_start_up() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        for hook in ["pre_config", "check_config", "open_logs", "post_config"] {
            let err = Httpd::builder()
                .mpm(mpm)
                .module("hooks_module", harness::cdylib("mod_hooks"))
                .env("HOOKS_PANIC_IN", hook)
                .try_start()
                .err()
                .unwrap_or_else(|| panic!("{mpm:?}: a panic in {hook} must stop httpd"));
            assert!(
                err.contains(&format!("asked to panic in {hook}")),
                "{mpm:?} {hook}: {err}"
            );
            assert!(
                err.contains("panicked at examples/hooks/src/lib.rs:"),
                "{mpm:?} {hook}: {err}"
            );
        }
    }
}

/// Hooks whose result httpd does not look at: a panic is logged and the server serves on.
#[test]
fn a_panic_in_a_child_or_request_creation_hook_is_logged_and_serving_goes_on() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        for hook in ["child_init", "create_request", "child_stopping"] {
            let httpd = Httpd::builder()
                .mpm(mpm)
                .module("hooks_module", harness::cdylib("mod_hooks"))
                .env("HOOKS_PANIC_IN", hook)
                .config("<Location /hooks>\n    SetHandler hooks-trace\n</Location>\n")
                .start();
            if hook == "child_stopping" {
                httpd.graceful_restart();
            }
            for _ in 0..3 {
                let r = httpd.get("/hooks/trace");
                assert_eq!(r.status, 200, "{mpm:?} {hook}");
                if hook == "create_request" {
                    assert!(!r.text().contains("create_request"), "{mpm:?}");
                }
            }
            let log = wait_for_log(&httpd, hook, |log| {
                log.contains(&format!("asked to panic in {hook}"))
            });
            assert!(
                log.contains("panicked at examples/hooks/src/lib.rs:"),
                "{mpm:?} {hook}: {log}"
            );
            assert!(!log.contains("exit signal"), "{mpm:?} {hook}: {log}");
        }
    }
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
