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
