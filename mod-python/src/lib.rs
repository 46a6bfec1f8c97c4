//! `mod_python.so`: mod_python 3.5 for Apache httpd 2.4, built on apache-rs, embedding CPython.
//!
//! `LoadModule python_module .../mod_python.so` and the mod_python directives work as with the
//! C module; the `mod_python` Python package is compiled into this library.

mod config;
mod directives;
mod gil;
mod interp;
mod objects;

use apache::{HookResult, Pool, Request, Server, Status};
use config::{DirConf, Phase, SrvConf};

apache::module!(python_module, file: "mod_python.c", dir_config: DirConf, server_config: SrvConf);

/// This project's version of mod_python, as the `Server:` banner and `mod_python.version` say.
pub const VERSION: &str = concat!("3.5.0+rs.", env!("CARGO_PKG_VERSION"));

apache::hook!(post_config, banner);
apache::hook!(child_init, start_python);
apache::hook!(post_read_request, post_read_request);
apache::hook!(translate_name, |r: &mut Request| run_phase(r, Phase::Trans));
apache::hook!(header_parser, header_parser);
apache::hook!(access_checker, |r: &mut Request| run_phase(
    r,
    Phase::Access
));
apache::hook!(check_user_id, |r: &mut Request| run_phase(r, Phase::Authen));
apache::hook!(auth_checker, |r: &mut Request| run_phase(r, Phase::Authz));
apache::hook!(type_checker, |r: &mut Request| run_phase(r, Phase::Type));
apache::hook!(fixups, |r: &mut Request| run_phase(r, Phase::Fixup));
apache::hook!(handler, content_handler);
apache::hook!(log_transaction, |r: &mut Request| run_phase(r, Phase::Log));
// PythonCleanupHandler runs once the request is logged, while its object still answers.
apache::hook!(
    log_transaction,
    |r: &mut Request| run_phase(r, Phase::Cleanup),
    apache::Order::REALLY_LAST
);

fn banner(pconf: &Pool, _plog: &Pool, _s: &Server) -> HookResult {
    let component = format!(
        "mod_python/{VERSION} Python/{}",
        env!("MOD_PYTHON_PY_VERSION")
    );
    apache::server::add_version_component(pconf, &component);
    Ok(Status::Ok)
}

/// Python starts in each child, never in the parent: a parent that initialized Python would
/// leak it across every restart, and forked children would inherit its threads' state.
fn start_python(_p: &Pool, s: &Server) {
    let imports = s
        .module_config::<SrvConf>()
        .map(|c| c.imports.clone())
        .unwrap_or_default();
    interp::start(&imports);
    _p.on_cleanup(interp::child_exit);
}

fn content_handler(r: &mut Request) -> HookResult {
    match r.handler() {
        Some("mod_python") | Some("python-program") => run_phase(r, Phase::Handler),
        _ => Ok(Status::Declined),
    }
}

/// At server level PythonInitHandler runs as the first post-read-request handler.
fn post_read_request(r: &mut Request) -> HookResult {
    let server_level = |h: &config::HandlerSpec| h.directory.is_none();
    match run_phase_filtered(r, Phase::Init, server_level)? {
        Status::Ok | Status::Declined => run_phase(r, Phase::PostReadRequest),
        other => Ok(other),
    }
}

/// Inside a directory PythonInitHandler runs as the first header-parser handler.
fn header_parser(r: &mut Request) -> HookResult {
    let in_section = |h: &config::HandlerSpec| h.directory.is_some();
    match run_phase_filtered(r, Phase::Init, in_section)? {
        Status::Ok | Status::Declined => run_phase(r, Phase::HeaderParser),
        other => Ok(other),
    }
}

fn run_phase(r: &mut Request, phase: Phase) -> HookResult {
    run_phase_filtered(r, phase, |_| true)
}

fn run_phase_filtered(
    r: &mut Request,
    phase: Phase,
    keep: impl Fn(&config::HandlerSpec) -> bool,
) -> HookResult {
    let Some(conf) = r.dir_config::<DirConf>() else {
        return Ok(Status::Declined);
    };
    let filename = r.filename().map(str::to_string);
    let mut handlers: Vec<_> = conf
        .handlers_for(phase)
        .into_iter()
        .filter(|h| keep(h) && h.applies_to(filename.as_deref()))
        .collect();
    handlers.extend(objects::take_added(r.id(), phase));
    if handlers.is_empty() {
        return Ok(Status::Declined);
    }
    let settings = conf.phase_settings();
    let code = r.lend(|| interp::dispatch(phase, &handlers, &settings));
    Ok(Status::from_raw(code))
}
