//! Registering hooks: typed signatures, ordering, and the trampolines httpd calls.
//!
//! A hook is a plain Rust function (or capture-less closure) registered with [`crate::hook!`]:
//!
//! ```no_run
//! use apache::{hook, HookResult, Order, Request, Status};
//!
//! hook!(fixups, add_header, Order::LAST);
//! fn add_header(r: &mut Request) -> HookResult {
//!     r.headers_out_mut().set("X-Served-By", "rust");
//!     Ok(Status::Declined)
//! }
//! # fn main() {}
//! ```
//!
//! httpd calls a function pointer, so each hook function gets its own `extern "C"` trampoline
//! (see [`crate::core::fn_value`]); every trampoline is registered through one path,
//! [`Registrar::register`].

use crate::apr::Pool;
use crate::conn::Connection;
use crate::core::fn_value::fn_value;
use crate::core::logging;
use crate::core::panic;
use crate::core::{HookResult, Status};
use crate::http::Request;
use crate::server::Server;
use apache_sys as ffi;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

/// Where a hook runs among the other modules' hooks for the same phase.
#[derive(Debug, Clone, Copy)]
pub struct Order {
    position: c_int,
    predecessors: &'static [&'static CStr],
    successors: &'static [&'static CStr],
}

impl Order {
    /// `APR_HOOK_REALLY_FIRST`
    pub const REALLY_FIRST: Order = Order::at(ffi::APR_HOOK_REALLY_FIRST as c_int);
    /// `APR_HOOK_FIRST`
    pub const FIRST: Order = Order::at(ffi::APR_HOOK_FIRST as c_int);
    /// `APR_HOOK_MIDDLE`, the default.
    pub const MIDDLE: Order = Order::at(ffi::APR_HOOK_MIDDLE as c_int);
    /// `APR_HOOK_LAST`
    pub const LAST: Order = Order::at(ffi::APR_HOOK_LAST as c_int);
    /// `APR_HOOK_REALLY_LAST`
    pub const REALLY_LAST: Order = Order::at(ffi::APR_HOOK_REALLY_LAST as c_int);

    /// A numeric position (`APR_HOOK_FIRST` is 0, `APR_HOOK_MIDDLE` 10, `APR_HOOK_LAST` 20, ...).
    pub const fn at(position: c_int) -> Order {
        Order {
            position,
            predecessors: &[],
            successors: &[],
        }
    }

    /// Runs after the named modules' hooks (names as in their `module` struct, e.g.
    /// `c"mod_rewrite.c"`).
    pub const fn after(self, modules: &'static [&'static CStr]) -> Order {
        Order {
            predecessors: modules,
            ..self
        }
    }

    /// Runs before the named modules' hooks.
    pub const fn before(self, modules: &'static [&'static CStr]) -> Order {
        Order {
            successors: modules,
            ..self
        }
    }

    /// The position number.
    pub const fn position(&self) -> c_int {
        self.position
    }
}

impl Default for Order {
    fn default() -> Self {
        Order::MIDDLE
    }
}

/// A NULL-terminated array of module names as httpd's hook sorter wants it. It must outlive the
/// sort, which happens after registration, so it is leaked: a few bytes per hook per load.
fn name_list(names: &[&'static CStr]) -> *const *const c_char {
    if names.is_empty() {
        return ptr::null();
    }
    let mut v: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
    v.push(ptr::null());
    Box::leak(v.into_boxed_slice()).as_ptr()
}

/// Whether an authentication/authorization hook runs per URI or only once per configuration
/// section (`AP_AUTH_INTERNAL_PER_URI` / `AP_AUTH_INTERNAL_PER_CONF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthInternal {
    /// Run for every URI, including internal redirects and subrequests to other URIs.
    PerUri,
    /// Skip when the configuration section is the same as the initial request's.
    PerConf,
}

impl AuthInternal {
    fn raw(self) -> c_int {
        match self {
            AuthInternal::PerUri => ffi::AP_AUTH_INTERNAL_PER_URI as c_int,
            AuthInternal::PerConf => ffi::AP_AUTH_INTERNAL_PER_CONF as c_int,
        }
    }
}

/// Hands out hook registration during `register_hooks`; the only place hooks can be added.
pub struct Registrar {
    pool: *mut ffi::apr_pool_t,
}

impl Registrar {
    pub(crate) fn new(pool: *mut ffi::apr_pool_t) -> Self {
        Registrar { pool }
    }

    /// The pool `register_hooks` was given (lives as long as the module is loaded).
    pub fn pool(&self) -> &Pool {
        // SAFETY: httpd passes a valid pool to register_hooks.
        unsafe { Pool::from_raw(self.pool) }
    }

    /// Adds `f` to a phase through its `ap_hook_*` function, where `order` says. Every hook
    /// goes through here (or [`Registrar::register_auth`]).
    fn register<H>(&mut self, ap_hook: ApHook<H>, f: H, order: Order) {
        // SAFETY: a Registrar exists only during register_hooks, where httpd takes hooks;
        // `f` is a 'static trampoline of the phase's type and the name lists live forever.
        unsafe {
            ap_hook(
                f,
                name_list(order.predecessors),
                name_list(order.successors),
                order.position,
            )
        }
    }

    /// [`Registrar::register`] for the authentication and authorization phases of httpd 2.4,
    /// which also take [`AuthInternal`].
    fn register_auth<H>(&mut self, ap_hook: ApAuthHook<H>, f: H, order: Order, when: AuthInternal) {
        // SAFETY: as in register.
        unsafe {
            ap_hook(
                f,
                name_list(order.predecessors),
                name_list(order.successors),
                order.position,
                when.raw(),
            )
        }
    }
}

/// An `ap_hook_*` function: registers a hook of type `H` with its ordering.
type ApHook<H> = unsafe extern "C" fn(H, *const *const c_char, *const *const c_char, c_int);

/// An `ap_hook_*` function of the 2.4 auth phases: [`ApHook`] with an `AP_AUTH_INTERNAL_*`.
type ApAuthHook<H> =
    unsafe extern "C" fn(H, *const *const c_char, *const *const c_char, c_int, c_int);

/// Runs a request-level hook body with panic and error handling: errors and panics are logged
/// against the request, and a panic answers 500.
fn run_request(r: *mut ffi::request_rec, f: impl FnOnce(&mut Request) -> HookResult) -> c_int {
    run_request_or(r, None, f)
}

/// [`run_request`], returning `on_failure` (when given) instead of the error's status or 500.
fn run_request_or(
    r: *mut ffi::request_rec,
    on_failure: Option<c_int>,
    f: impl FnOnce(&mut Request) -> HookResult,
) -> c_int {
    // SAFETY: httpd passes a valid request_rec that this thread owns for the hook's duration.
    let req = unsafe { Request::from_raw_mut(r) };
    let _scope = logging::Scope::request(r);
    // A response already ended (an error response a filter sent, as httpd's input filter
    // does for a body over LimitRequestBody) must not get a second one appended by ap_die:
    // AP_FILTER_ERROR tells httpd so, and still makes it a 500 should nothing have gone out.
    let failed = |status: c_int| {
        // SAFETY: the request_rec is valid for the hook's duration; reading one field.
        let ended = unsafe { (*r).eos_sent } != 0;
        on_failure.unwrap_or(if ended { ffi::AP_FILTER_ERROR } else { status })
    };
    panic::guard(
        || match f(req) {
            Ok(status) => status.into_raw(),
            Err(e) => {
                logging::request_error(r, &e.message);
                failed(c_int::from(e.status))
            }
        },
        |msg| {
            logging::request_error(r, &msg);
            failed(ffi::HTTP_INTERNAL_SERVER_ERROR as c_int)
        },
    )
}

/// Runs a server-level hook body; a panic or error is logged and becomes `HTTP_INTERNAL_SERVER_ERROR`
/// (which httpd treats as fatal at start-up).
fn run_server(s: *mut ffi::server_rec, f: impl FnOnce() -> HookResult) -> c_int {
    panic::guard(
        || match f() {
            Ok(status) => status.into_raw(),
            Err(e) => {
                logging::server_error(s, &e.message);
                c_int::from(e.status)
            }
        },
        |msg| {
            logging::server_error(s, &msg);
            ffi::HTTP_INTERNAL_SERVER_ERROR as c_int
        },
    )
}

/// Runs a connection-level hook body; an error or a panic is logged against the connection,
/// which is then not kept alive, and the hook returns `on_panic` for a panic.
fn run_connection(
    c: *mut ffi::conn_rec,
    on_panic: c_int,
    f: impl FnOnce(&mut Connection) -> HookResult,
) -> c_int {
    // SAFETY: httpd passes a valid conn_rec owned by this thread for the hook's duration.
    let conn = unsafe { Connection::from_raw_mut(c) };
    let _scope = logging::Scope::connection(c);
    // SAFETY: the conn_rec is ours for the hook; no request may follow on this connection.
    let close = || unsafe { (*c).keepalive = ffi::AP_CONN_CLOSE };
    panic::guard(
        || match f(conn) {
            Ok(status) => status.into_raw(),
            Err(e) => {
                logging::connection_error(c, &e.message);
                close();
                c_int::from(e.status)
            }
        },
        |msg| {
            logging::connection_error(c, &msg);
            close();
            on_panic
        },
    )
}

macro_rules! request_hooks {
    (@on_failure) => { None };
    (@on_failure $fail:expr) => { Some($fail) };
    ($($(#[$doc:meta])* $name:ident => $ap:ident $(, on failure $fail:expr)?;)*) => {
        impl Registrar {$(
            $(#[$doc])*
            pub fn $name<F>(&mut self, _f: F, order: Order)
            where
                F: Fn(&mut Request) -> HookResult + Copy + 'static,
            {
                unsafe extern "C" fn tramp<F: Fn(&mut Request) -> HookResult + Copy + 'static>(
                    r: *mut ffi::request_rec,
                ) -> c_int {
                    let on_failure: Option<c_int> = request_hooks!(@on_failure $($fail)?);
                    run_request_or(r, on_failure, |req| fn_value::<F>()(req))
                }
                self.register(ffi::$ap, Some(tramp::<F>), order);
            }
        )*}
    };
}

// httpd ignores what create_request and log_transaction return, but stops running the other
// modules' hooks of the phase at an error: a failing hook declines instead, so that httpd's own
// (which set up the request's protocol filters, or write the access log) still run.
request_hooks! {
    /// `create_request`: a request_rec was just made (most fields not yet set). Return
    /// `Ok`/`Declined`. httpd ignores the result: an error or a panic is logged and the hook
    /// declines, so the other modules' `create_request` hooks still run and the request is
    /// served.
    create_request => ap_hook_create_request, on failure ffi::DECLINED;
    /// `post_read_request`: the request line and headers have been read.
    post_read_request => ap_hook_post_read_request;
    /// `translate_name`: map the URI to a file name (run first: the first `Ok` wins).
    translate_name => ap_hook_translate_name;
    /// `map_to_storage`: find the per-directory configuration for the file name.
    map_to_storage => ap_hook_map_to_storage;
    /// `header_parser`: look at the headers once per-directory configuration is known.
    header_parser => ap_hook_header_parser;
    /// `access_checker` (the classic `check_access`): host-based access control, all must agree.
    access_checker => ap_hook_access_checker;
    /// `access_checker_ex`: access control that can grant access without authentication.
    access_checker_ex => ap_hook_access_checker_ex;
    /// `check_user_id` (authentication), classic form; see [`Registrar::check_authn`].
    check_user_id => ap_hook_check_user_id;
    /// `auth_checker` (authorization), classic form; see [`Registrar::check_authz`].
    auth_checker => ap_hook_auth_checker;
    /// `type_checker`: set the content type, language and handler.
    type_checker => ap_hook_type_checker;
    /// `fixups`: last chance to change the request before the handler.
    fixups => ap_hook_fixups;
    /// `handler`: produce the response; check [`Request::handler`] and decline what is not yours.
    handler => ap_hook_handler;
    /// `log_transaction`: after the response has been sent. httpd ignores the result: an
    /// error or a panic is logged and the hook declines, so the other modules' loggers still
    /// run.
    log_transaction => ap_hook_log_transaction, on failure ffi::DECLINED;
}

macro_rules! auth_hooks {
    ($($(#[$doc:meta])* $name:ident => $ap:ident;)*) => {
        impl Registrar {$(
            $(#[$doc])*
            pub fn $name<F>(&mut self, _f: F, order: Order, when: AuthInternal)
            where
                F: Fn(&mut Request) -> HookResult + Copy + 'static,
            {
                unsafe extern "C" fn tramp<F: Fn(&mut Request) -> HookResult + Copy + 'static>(
                    r: *mut ffi::request_rec,
                ) -> c_int {
                    run_request(r, |req| fn_value::<F>()(req))
                }
                self.register_auth(ffi::$ap, Some(tramp::<F>), order, when);
            }
        )*}
    };
}

auth_hooks! {
    /// `check_access` (`ap_hook_check_access`): access control with httpd 2.4's per-URI/per-conf choice.
    check_access => ap_hook_check_access;
    /// `check_access_ex` (`ap_hook_check_access_ex`).
    check_access_ex => ap_hook_check_access_ex;
    /// `check_authn` (`ap_hook_check_authn`): authentication; set the user or answer 401.
    check_authn => ap_hook_check_authn;
    /// `check_authz` (`ap_hook_check_authz`): authorization; answer 403 or 401 to refuse.
    check_authz => ap_hook_check_authz;
}

macro_rules! void_request_hooks {
    ($($(#[$doc:meta])* $name:ident => $ap:ident;)*) => {
        impl Registrar {$(
            $(#[$doc])*
            pub fn $name<F>(&mut self, _f: F, order: Order)
            where
                F: Fn(&mut Request) + Copy + 'static,
            {
                unsafe extern "C" fn tramp<F: Fn(&mut Request) + Copy + 'static>(
                    r: *mut ffi::request_rec,
                ) {
                    run_request(r, |req| {
                        fn_value::<F>()(req);
                        Ok(Status::Ok)
                    });
                }
                self.register(ffi::$ap, Some(tramp::<F>), order);
            }
        )*}
    };
}

void_request_hooks! {
    /// `insert_filter`: add filters to the request (see [`Request::add_output_filter`]).
    insert_filter => ap_hook_insert_filter;
    /// `insert_error_filter`: add filters to error responses.
    insert_error_filter => ap_hook_insert_error_filter;
}

macro_rules! config_hooks {
    ($($(#[$doc:meta])* $name:ident => $ap:ident;)*) => {
        impl Registrar {$(
            $(#[$doc])*
            pub fn $name<F>(&mut self, _f: F, order: Order)
            where
                F: Fn(&Pool, &Pool, &Server) -> HookResult + Copy + 'static,
            {
                unsafe extern "C" fn tramp<F: Fn(&Pool, &Pool, &Server) -> HookResult + Copy + 'static>(
                    pconf: *mut ffi::apr_pool_t,
                    plog: *mut ffi::apr_pool_t,
                    ptemp: *mut ffi::apr_pool_t,
                    s: *mut ffi::server_rec,
                ) -> c_int {
                    let _ = ptemp;
                    run_server(s, || {
                        // SAFETY: httpd passes valid pools and the main server.
                        let (pconf, plog, s) = unsafe {
                            (Pool::from_raw(pconf), Pool::from_raw(plog), Server::from_raw(s))
                        };
                        fn_value::<F>()(pconf, plog, s)
                    })
                }
                self.register(ffi::$ap, Some(tramp::<F>), order);
            }
        )*}
    };
}

config_hooks! {
    /// `check_config`: after the configuration is read, before logs open; arguments are the
    /// configuration pool, the log pool and the main server. Runs in the parent (twice at
    /// start-up and at every restart).
    check_config => ap_hook_check_config;
    /// `open_logs`: open log files (parent only).
    open_logs => ap_hook_open_logs;
    /// `post_config`: the configuration is complete (parent only; twice at start-up, once per
    /// restart, never in children).
    post_config => ap_hook_post_config;
}

impl Registrar {
    /// `pre_config`: before the configuration is read; arguments are the configuration pool and
    /// the log pool.
    pub fn pre_config<F>(&mut self, _f: F, order: Order)
    where
        F: Fn(&Pool, &Pool) -> HookResult + Copy + 'static,
    {
        unsafe extern "C" fn tramp<F: Fn(&Pool, &Pool) -> HookResult + Copy + 'static>(
            pconf: *mut ffi::apr_pool_t,
            plog: *mut ffi::apr_pool_t,
            _ptemp: *mut ffi::apr_pool_t,
        ) -> c_int {
            run_server(ptr::null_mut(), || {
                // SAFETY: httpd passes valid pools.
                let (pconf, plog) = unsafe { (Pool::from_raw(pconf), Pool::from_raw(plog)) };
                fn_value::<F>()(pconf, plog)
            })
        }
        self.register(ffi::ap_hook_pre_config, Some(tramp::<F>), order);
    }

    /// `child_init`: a child process has started (after the fork, before it serves requests).
    /// The pool is the child's, cleaned when the child exits.
    pub fn child_init<F>(&mut self, _f: F, order: Order)
    where
        F: Fn(&Pool, &Server) + Copy + 'static,
    {
        unsafe extern "C" fn tramp<F: Fn(&Pool, &Server) + Copy + 'static>(
            pchild: *mut ffi::apr_pool_t,
            s: *mut ffi::server_rec,
        ) {
            run_server(s, || {
                // SAFETY: httpd passes the child pool and the main server.
                let (p, s) = unsafe { (Pool::from_raw(pchild), Server::from_raw(s)) };
                fn_value::<F>()(p, s);
                Ok(Status::Ok)
            });
        }
        self.register(ffi::ap_hook_child_init, Some(tramp::<F>), order);
    }

    /// `child_stopping`: the child is about to stop; `true` when the stop is graceful.
    pub fn child_stopping<F>(&mut self, _f: F, order: Order)
    where
        F: Fn(&Pool, bool) + Copy + 'static,
    {
        unsafe extern "C" fn tramp<F: Fn(&Pool, bool) + Copy + 'static>(
            pchild: *mut ffi::apr_pool_t,
            graceful: c_int,
        ) {
            run_server(ptr::null_mut(), || {
                // SAFETY: httpd passes the child pool.
                fn_value::<F>()(unsafe { Pool::from_raw(pchild) }, graceful != 0);
                Ok(Status::Ok)
            });
        }
        self.register(ffi::ap_hook_child_stopping, Some(tramp::<F>), order);
    }

    /// `quick_handler`: answer before the URI is mapped (caches); the flag is `lookup_uri`,
    /// true for subrequest lookups that must not produce content.
    pub fn quick_handler<F>(&mut self, _f: F, order: Order)
    where
        F: Fn(&mut Request, bool) -> HookResult + Copy + 'static,
    {
        unsafe extern "C" fn tramp<F: Fn(&mut Request, bool) -> HookResult + Copy + 'static>(
            r: *mut ffi::request_rec,
            lookup: c_int,
        ) -> c_int {
            run_request(r, |req| fn_value::<F>()(req, lookup != 0))
        }
        self.register(ffi::ap_hook_quick_handler, Some(tramp::<F>), order);
    }

    /// `pre_connection`: a connection was accepted; add connection filters or look at it.
    /// Return `Ok`; an error or a panic drops the connection.
    pub fn pre_connection<F>(&mut self, _f: F, order: Order)
    where
        F: Fn(&mut Connection) -> HookResult + Copy + 'static,
    {
        unsafe extern "C" fn tramp<F: Fn(&mut Connection) -> HookResult + Copy + 'static>(
            c: *mut ffi::conn_rec,
            _csd: *mut c_void,
        ) -> c_int {
            // An error status (not DONE, which would skip the core's own pre_connection that
            // sets up the network filters) makes the MPM drop the connection.
            run_connection(c, ffi::HTTP_INTERNAL_SERVER_ERROR as c_int, |conn| {
                fn_value::<F>()(conn)
            })
        }
        self.register(ffi::ap_hook_pre_connection, Some(tramp::<F>), order);
    }

    /// `process_connection`: serve a whole connection (protocol modules), talking to the client
    /// with [`Connection::io`].
    ///
    /// Return `Declined` for connections that are not yours, to leave them to the next module
    /// (in the end, HTTP); under the event MPM this hook runs again for every request of a
    /// kept-alive HTTP connection, so decide quickly. Return `Ok` once you have served the
    /// connection: httpd then closes it. An error or a panic is logged and the connection
    /// closed, never handed to HTTP.
    pub fn process_connection<F>(&mut self, _f: F, order: Order)
    where
        F: Fn(&mut Connection) -> HookResult + Copy + 'static,
    {
        unsafe extern "C" fn tramp<F: Fn(&mut Connection) -> HookResult + Copy + 'static>(
            c: *mut ffi::conn_rec,
        ) -> c_int {
            // DONE: the connection was taken (part of its input may be gone), so HTTP must not
            // have it; httpd closes it.
            run_connection(c, ffi::DONE, |conn| fn_value::<F>()(conn))
        }
        self.register(ffi::ap_hook_process_connection, Some(tramp::<F>), order);
    }
}

/// Registers a hook from anywhere in the module's crate.
///
/// `hook!(phase, function)` or `hook!(phase, function, order)`; for the authentication and
/// authorization hooks of httpd 2.4 (`check_access`, `check_access_ex`, `check_authn`,
/// `check_authz`) a fourth argument says [`AuthInternal`]. `hook!(register, function)` runs a
/// `fn(&mut Registrar)` during `register_hooks`, for anything else (filters, providers).
#[macro_export]
macro_rules! hook {
    (register, $f:expr) => {
        $crate::__private::inventory::submit! {
            $crate::__private::HookRegistration($f)
        }
    };
    ($phase:ident, $f:expr) => {
        $crate::hook!($phase, $f, $crate::Order::MIDDLE);
    };
    (check_access, $f:expr, $order:expr) => {
        $crate::hook!(check_access, $f, $order, $crate::module::AuthInternal::PerConf);
    };
    (check_access_ex, $f:expr, $order:expr) => {
        $crate::hook!(check_access_ex, $f, $order, $crate::module::AuthInternal::PerConf);
    };
    (check_authn, $f:expr, $order:expr) => {
        $crate::hook!(check_authn, $f, $order, $crate::module::AuthInternal::PerConf);
    };
    (check_authz, $f:expr, $order:expr) => {
        $crate::hook!(check_authz, $f, $order, $crate::module::AuthInternal::PerConf);
    };
    ($phase:ident, $f:expr, $order:expr, $when:expr) => {
        $crate::__private::inventory::submit! {
            $crate::__private::HookRegistration(|reg: &mut $crate::module::Registrar| reg.$phase($f, $order, $when))
        }
    };
    ($phase:ident, $f:expr, $order:expr) => {
        $crate::__private::inventory::submit! {
            $crate::__private::HookRegistration(|reg: &mut $crate::module::Registrar| reg.$phase($f, $order))
        }
    };
}
