//! `mod_rsauth`: authentication and access control in Rust.
//!
//! - `AuthBasicProvider rsdemo`: the users `alice` (password `secret`) and `bob` (`hunter2`).
//! - `Require rsdemo-user NAME...`: only the named users.
//! - an access hook that refuses requests carrying `X-Blocked: 1` with 403, before any
//!   authentication.
//! - the user `panic` makes the authn provider panic, and `X-Panic-Authz: 1` the authz provider,
//!   to show that a panic in a provider is a 500 and the server goes on.
#![forbid(unsafe_code)]

use apache::module::provider::{AuthnStatus, AuthzStatus};
use apache::{HookResult, Request, Status};

apache::module!(rsauth_module, file: "mod_rsauth.c");

apache::hook!(register, |reg| {
    reg.authn_provider(c"rsdemo", check_password);
    reg.authz_provider(c"rsdemo-user", require_user);
});
apache::hook!(access_checker, refuse_blocked);

const USERS: &[(&str, &str)] = &[("alice", "secret"), ("bob", "hunter2")];

fn check_password(r: &mut Request, user: &str, password: &str) -> AuthnStatus {
    if user == "panic" {
        panic!("the authn provider was asked to panic");
    }
    match USERS.iter().find(|(u, _)| *u == user) {
        None => AuthnStatus::UserNotFound,
        Some((_, p)) if *p == password => AuthnStatus::Granted,
        Some(_) => {
            log::info!(
                "rsauth: wrong password for {user} on {}",
                r.uri().unwrap_or("?")
            );
            AuthnStatus::Denied
        }
    }
}

fn require_user(r: &mut Request, require_line: &str) -> AuthzStatus {
    if r.headers_in().get("X-Panic-Authz").is_some() {
        panic!("the authz provider was asked to panic");
    }
    let Some(user) = r.user() else {
        return AuthzStatus::DeniedNoUser;
    };
    if require_line.split_whitespace().any(|u| u == user) {
        AuthzStatus::Granted
    } else {
        AuthzStatus::Denied
    }
}

fn refuse_blocked(r: &mut Request) -> HookResult {
    if r.headers_in().get("X-Blocked") == Some("1") {
        return Ok(Status::Http(403));
    }
    Ok(Status::Declined)
}
