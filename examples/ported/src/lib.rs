// The ANCHOR lines mark the parts docs/src/porting.md includes.
// ANCHOR: all
//! `mod_maintenance`, ported from C (`c/mod_maintenance.c`, beside this crate): the guide's
//! "Porting a C module" sets the two side by side, and `tests/ported.rs` checks that they
//! answer the same on a real httpd.
//!
//! ```apache
//! LoadModule maintenance_module modules/mod_maintenance.so
//! <Location /shop>
//!     Maintenance On                    # answer 503 in this section
//!     MaintenanceMessage "Back at noon."
//!     MaintenanceRetryAfter 3600        # sent as Retry-After
//! </Location>
//! <Location /shop/status>
//!     Maintenance Off
//! </Location>
//! ```
//!
//! A fixup hook gives the requests of a section under maintenance to the module's handler,
//! which `SetHandler maintenance` also names.
#![forbid(unsafe_code)]

use apache::core::logging::{Level, log};
use apache::module::{Context, Directive, DirectiveError, ModuleConfig};
use apache::{HookResult, Request, Status};
use std::io::Write;

const DEFAULT_MESSAGE: &str = "This site is down for maintenance.";

// ANCHOR: config
/// A section's settings: `None` is "not set here", which inherits from the enclosing section.
#[derive(Default, Clone)]
struct Conf {
    enabled: Option<bool>,
    message: Option<String>,
    retry_after: Option<u32>,
}

impl ModuleConfig for Conf {
    fn create(_dir: Option<&str>) -> Self {
        Conf::default()
    }

    fn merge(base: &Self, add: &Self) -> Self {
        Conf {
            enabled: add.enabled.or(base.enabled),
            message: add.message.clone().or_else(|| base.message.clone()),
            retry_after: add.retry_after.or(base.retry_after),
        }
    }
}
// ANCHOR_END: config

// ANCHOR: module
apache::module!(maintenance_module, file: "mod_maintenance.c", dir_config: Conf);
// ANCHOR_END: module

// ANCHOR: directives
const ANYWHERE: Context = Context::RSRC_CONF
    .union(Context::ACCESS_CONF)
    .union(Context::OR_FILEINFO);

apache::directive!(
    Maintenance,
    flag,
    |_: &mut Directive, conf: &mut Conf, on: bool| {
        conf.enabled = Some(on);
        Ok(())
    },
    ANYWHERE,
    "On to answer 503 in this section"
);
apache::directive!(
    MaintenanceMessage,
    take1,
    set_message,
    ANYWHERE,
    "the text of the 503 page"
);
apache::directive!(
    MaintenanceRetryAfter,
    take1,
    set_retry_after,
    ANYWHERE,
    "seconds, sent as Retry-After"
);

fn set_message(_: &mut Directive, conf: &mut Conf, text: &str) -> Result<(), DirectiveError> {
    conf.message = Some(text.to_string());
    Ok(())
}

fn set_retry_after(_: &mut Directive, conf: &mut Conf, arg: &str) -> Result<(), DirectiveError> {
    let seconds = arg
        .parse()
        .map_err(|_| format!("MaintenanceRetryAfter takes a number of seconds, not '{arg}'"))?;
    conf.retry_after = Some(seconds);
    Ok(())
}
// ANCHOR_END: directives

// ANCHOR: hooks
apache::hook!(fixups, maintenance_fixup);
apache::hook!(handler, maintenance_handler);
// ANCHOR_END: hooks

// ANCHOR: fixup
/// Subrequests (mod_dir's index lookups, mod_include's includes) are left alone: the main
/// request is the one answered.
fn maintenance_fixup(r: &mut Request) -> HookResult {
    let enabled = r.dir_config::<ThisModule>().and_then(|c| c.enabled);
    if enabled != Some(true) || r.main().is_some() {
        return Ok(Status::Declined);
    }
    r.set_handler("maintenance");
    Ok(Status::Ok)
}
// ANCHOR_END: fixup

// ANCHOR: handler
fn maintenance_handler(r: &mut Request) -> HookResult {
    if r.handler() != Some("maintenance") {
        return Ok(Status::Declined);
    }
    let conf = r.dir_config::<ThisModule>().cloned().unwrap_or_default();
    r.set_status(503);
    r.set_content_type("text/plain; charset=utf-8");
    if let Some(seconds) = conf.retry_after {
        r.headers_out_mut().set("Retry-After", seconds.to_string());
    }
    log(
        Level::Info,
        &format!("maintenance: 503 for {}", r.uri().unwrap_or("")),
    );
    if !r.header_only() {
        let message = conf.message.as_deref().unwrap_or(DEFAULT_MESSAGE);
        writeln!(r, "{message}")?;
    }
    Ok(Status::Ok)
}
// ANCHOR_END: handler
// ANCHOR_END: all
