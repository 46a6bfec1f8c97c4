//! mod_rsauth on a real httpd: Basic authentication through our provider, Require through our
//! authz provider, and an access hook.

use harness::{Httpd, Mpm};

fn server(mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("rsauth_module", harness::cdylib("mod_rsauth"))
        .system_module("auth_basic_module", "mod_auth_basic.so")
        .system_module("authn_core_module", "mod_authn_core.so")
        .system_module("authz_user_module", "mod_authz_user.so")
        .file("htdocs/private/index.html", "secret page\n")
        .file("htdocs/alice/index.html", "alice only\n")
        .config(
            "<Location /private>\n    AuthType Basic\n    AuthName demo\n    AuthBasicProvider rsdemo\n    Require valid-user\n</Location>\n\
             <Location /alice>\n    AuthType Basic\n    AuthName demo\n    AuthBasicProvider rsdemo\n    Require rsdemo-user alice\n</Location>\n",
        )
        .start()
}

// base64 of "alice:secret", "alice:wrong", "bob:hunter2", "carol:x"
const ALICE: &str = "Basic YWxpY2U6c2VjcmV0";
const ALICE_WRONG: &str = "Basic YWxpY2U6d3Jvbmc=";
const BOB: &str = "Basic Ym9iOmh1bnRlcjI=";
const CAROL: &str = "Basic Y2Fyb2w6eA==";

#[test]
fn basic_auth_through_the_rust_provider() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let get = |auth: Option<&str>| {
            let h: Vec<(&str, &str)> = auth.map(|a| vec![("Authorization", a)]).unwrap_or_default();
            httpd.request("GET", "/private/index.html", &h, b"")
        };
        let none = get(None);
        assert_eq!(none.status, 401, "{mpm:?}");
        assert!(
            none.header("WWW-Authenticate")
                .is_some_and(|v| v.contains("demo"))
        );
        assert_eq!(get(Some(ALICE_WRONG)).status, 401);
        assert_eq!(get(Some(CAROL)).status, 401);
        let ok = get(Some(ALICE));
        assert_eq!((ok.status, ok.text().as_str()), (200, "secret page\n"));
        assert_eq!(get(Some(BOB)).status, 200);
        let log = httpd.error_log();
        assert!(log.contains("rsauth: wrong password for alice"), "{log}");
        assert!(log.contains("user carol not found"), "{log}");
    }
}

#[test]
fn require_through_the_rust_authz_provider() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let get = |auth: &str| {
            httpd
                .request("GET", "/alice/index.html", &[("Authorization", auth)], b"")
                .status
        };
        assert_eq!(get(ALICE), 200, "{mpm:?}");
        // bob is authenticated but not allowed: httpd answers 401 to let him try another user.
        assert_eq!(get(BOB), 401, "{mpm:?}");
        assert_eq!(httpd.get("/alice/index.html").status, 401, "{mpm:?}");
    }
}

#[test]
fn the_access_hook_refuses_before_authentication() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.request(
            "GET",
            "/private/index.html",
            &[("Authorization", ALICE), ("X-Blocked", "1")],
            b"",
        );
        assert_eq!(r.status, 403, "{mpm:?}");
        assert_eq!(
            httpd
                .request("GET", "/index.html", &[("X-Blocked", "1")], b"")
                .status,
            403,
            "{mpm:?}"
        );
        assert_eq!(httpd.get("/index.html").status, 200, "{mpm:?}");
    }
}

// base64 of "panic:x"
const PANIC_USER: &str = "Basic cGFuaWM6eA==";

#[test]
fn a_panic_in_a_provider_is_a_500_and_the_server_goes_on() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.request(
            "GET",
            "/private/index.html",
            &[("Authorization", PANIC_USER)],
            b"",
        );
        assert_eq!(r.status, 500, "{mpm:?}: authn");
        let r = httpd.request(
            "GET",
            "/alice/index.html",
            &[("Authorization", ALICE), ("X-Panic-Authz", "1")],
            b"",
        );
        assert_eq!(r.status, 500, "{mpm:?}: authz");
        let log = httpd.error_log();
        for what in ["authn", "authz"] {
            assert!(
                log.contains(&format!("the {what} provider was asked to panic")),
                "{mpm:?}: {log}"
            );
        }
        assert!(
            log.contains("panicked at examples/auth/src/lib.rs:"),
            "{mpm:?}: {log}"
        );
        // The same server goes on authenticating.
        let ok = httpd.request("GET", "/alice/index.html", &[("Authorization", ALICE)], b"");
        assert_eq!(
            (ok.status, ok.text().as_str()),
            (200, "alice only\n"),
            "{mpm:?}"
        );
    }
}
