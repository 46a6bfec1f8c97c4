//! Authentication and authorization providers, and looking up providers of other modules.
//!
//! An authn provider checks a user's password for `AuthBasicProvider <name>` (mod_auth_basic);
//! an authz provider answers `Require <name> ...` lines (mod_authz_core).
//!
//! ```no_run
//! use apache::module::provider::AuthnStatus;
//! use apache::Request;
//!
//! apache::module!(demo_auth_module);
//! apache::hook!(register, |reg| reg.authn_provider(c"demo", check));
//!
//! fn check(_r: &mut Request, user: &str, password: &str) -> AuthnStatus {
//!     match (user, password) {
//!         ("alice", "secret") => AuthnStatus::Granted,
//!         ("alice", _) => AuthnStatus::Denied,
//!         _ => AuthnStatus::UserNotFound,
//!     }
//! }
//! # fn main() {}
//! ```

use crate::core::fn_value::fn_value;
use crate::core::{logging, panic, strings};
use crate::http::Request;
use crate::module::Registrar;
use apache_sys as ffi;
use std::ffi::CStr;
use std::os::raw::{c_char, c_void};

/// What an authn provider says of a user and password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthnStatus {
    /// The user exists and the password is wrong.
    Denied,
    /// The user exists and the password is right.
    Granted,
    /// The user exists (for providers that only look users up).
    UserFound,
    /// No such user here: the next provider is asked.
    UserNotFound,
    /// The check failed (answered with 500).
    GeneralError,
}

impl AuthnStatus {
    fn raw(self) -> ffi::authn_status {
        match self {
            AuthnStatus::Denied => ffi::AUTH_DENIED,
            AuthnStatus::Granted => ffi::AUTH_GRANTED,
            AuthnStatus::UserFound => ffi::AUTH_USER_FOUND,
            AuthnStatus::UserNotFound => ffi::AUTH_USER_NOT_FOUND,
            AuthnStatus::GeneralError => ffi::AUTH_GENERAL_ERROR,
        }
    }
}

/// What an authz provider says of a `Require` line for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthzStatus {
    /// Refused.
    Denied,
    /// Allowed.
    Granted,
    /// No opinion (for `RequireAny`/`RequireAll` logic).
    Neutral,
    /// The check failed.
    GeneralError,
    /// Refused because no user is authenticated yet: httpd asks for credentials (401).
    DeniedNoUser,
}

impl AuthzStatus {
    fn raw(self) -> ffi::authz_status {
        match self {
            AuthzStatus::Denied => ffi::AUTHZ_DENIED,
            AuthzStatus::Granted => ffi::AUTHZ_GRANTED,
            AuthzStatus::Neutral => ffi::AUTHZ_NEUTRAL,
            AuthzStatus::GeneralError => ffi::AUTHZ_GENERAL_ERROR,
            AuthzStatus::DeniedNoUser => ffi::AUTHZ_DENIED_NO_USER,
        }
    }
}

fn run<T>(r: *mut ffi::request_rec, fallback: T, f: impl FnOnce(&mut Request) -> T) -> T {
    // SAFETY: httpd passes the request being authorized, owned by this thread for the call.
    let req = unsafe { Request::from_raw_mut(r) };
    let _scope = logging::Scope::request(r);
    panic::guard(
        || f(req),
        |msg| {
            logging::log(logging::Level::Error, &msg);
            fallback
        },
    )
}

fn text<'a>(p: *const c_char) -> &'a str {
    // SAFETY: NULL or a string httpd keeps for the call. Non-UTF-8 credentials match nothing.
    unsafe { strings::to_str(p) }.unwrap_or("\u{fffd}")
}

impl Registrar {
    /// Registers an authentication provider usable as `AuthBasicProvider <name>`. The
    /// function gets the request, user and password.
    pub fn authn_provider<F>(&mut self, name: &'static CStr, _f: F)
    where
        F: Fn(&mut Request, &str, &str) -> AuthnStatus + Copy + 'static,
    {
        unsafe extern "C" fn check<
            F: Fn(&mut Request, &str, &str) -> AuthnStatus + Copy + 'static,
        >(
            r: *mut ffi::request_rec,
            user: *const c_char,
            password: *const c_char,
        ) -> ffi::authn_status {
            run(r, AuthnStatus::GeneralError, |req| {
                fn_value::<F>()(req, text(user), text(password))
            })
            .raw()
        }
        // httpd keeps the pointer for as long as the module is loaded.
        let provider: &'static ffi::authn_provider = Box::leak(Box::new(ffi::authn_provider {
            check_password: Some(check::<F>),
            get_realm_hash: None,
        }));
        self.register_auth_provider(c"authn", c"0", name, provider as *const _ as *const c_void);
    }

    /// Registers an authorization provider usable as `Require <name> args...`. The function
    /// gets the request and the arguments after the name.
    pub fn authz_provider<F>(&mut self, name: &'static CStr, _f: F)
    where
        F: Fn(&mut Request, &str) -> AuthzStatus + Copy + 'static,
    {
        unsafe extern "C" fn check<F: Fn(&mut Request, &str) -> AuthzStatus + Copy + 'static>(
            r: *mut ffi::request_rec,
            require_line: *const c_char,
            _parsed: *const c_void,
        ) -> ffi::authz_status {
            run(r, AuthzStatus::GeneralError, |req| {
                fn_value::<F>()(req, text(require_line))
            })
            .raw()
        }
        let provider: &'static ffi::authz_provider = Box::leak(Box::new(ffi::authz_provider {
            check_authorization: Some(check::<F>),
            parse_require_line: None,
        }));
        self.register_auth_provider(c"authz", c"0", name, provider as *const _ as *const c_void);
    }

    fn register_auth_provider(
        &mut self,
        group: &CStr,
        version: &CStr,
        name: &'static CStr,
        provider: *const c_void,
    ) {
        // SAFETY: during register_hooks; group, name and provider outlive the registration.
        unsafe {
            ffi::ap_register_auth_provider(
                self.pool().as_ptr(),
                group.as_ptr(),
                name.as_ptr(),
                version.as_ptr(),
                provider,
                ffi::AP_AUTH_INTERNAL_PER_CONF as i32,
            );
        }
    }
}

/// Looks up a provider another module registered (`ap_lookup_provider`), e.g. a socache
/// provider: `lookup("socache", "shmcb", "0")`. Returns its raw pointer, for the safe wrappers
/// of each provider group to interpret; `None` when no module provides it.
pub fn lookup(group: &str, name: &str, version: &str) -> Option<std::ptr::NonNull<c_void>> {
    let (g, n, v) = (
        std::ffi::CString::new(group).ok()?,
        std::ffi::CString::new(name).ok()?,
        std::ffi::CString::new(version).ok()?,
    );
    // SAFETY: looking up in httpd's provider registry; strings are only read.
    std::ptr::NonNull::new(unsafe { ffi::ap_lookup_provider(g.as_ptr(), n.as_ptr(), v.as_ptr()) })
}
