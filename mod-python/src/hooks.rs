//! mod_python as httpd sees it: the module's declaration, and the hooks through which httpd
//! enters it (start-up, each request phase, connections).

use crate::config::{self, DirConf, Phase, options};
use crate::python::{child_exit, environ, interpreters as interp, startup};
use crate::serving::{connection, filter as filters, include, phase};
use crate::shared::global_locks as locks;
use apache::core::logging::{Level, log};
use apache::{HookResult, Pool, Request, Server, Status};

/// This project's version of mod_python, as the `Server:` banner and `mod_python.mp_version` say.
pub const VERSION: &str = concat!("3.5.0+rs.", env!("CARGO_PKG_VERSION"));

apache::hook!(post_config, banner);
apache::hook!(check_config, check_python_home);
// Last, so that every module's part of a restart has run before the wait.
apache::hook!(
    post_config,
    crate::restart::let_old_children_end,
    apache::Order::REALLY_LAST
);
// The filter that runs Python filters registered at request time (`req.register_*_filter`);
// those named by PythonOutputFilter / PythonInputFilter are registered as they are read.
apache::hook!(register, |reg| {
    use apache::filter::FilterType;
    reg.output_filter(c"MOD_PYTHON", filters::output_filter, FilterType::Resource);
    reg.input_filter(c"MOD_PYTHON", filters::input_filter, FilterType::Resource);
});
// `<!--#python eval="..." -->` and `exec` in pages parsed by mod_include.
apache::hook!(register, |reg| reg
    .include_element(c"python", include::element));
apache::hook!(process_connection, connection::process);
// The environment each interpreter's os.environ starts from: taken first in the new child,
// before any other hook (even the one setting PYTHONOPTIMIZE) and before Python runs.
apache::hook!(
    child_init,
    |_p: &Pool, _s: &Server| environ::snapshot(),
    apache::Order::at(apache::Order::REALLY_FIRST.position() - 1)
);
// Before any other module's child_init, while the new child has one thread.
apache::hook!(
    child_init,
    set_python_environment,
    apache::Order::REALLY_FIRST
);
apache::hook!(child_init, start_python);
apache::hook!(post_read_request, post_read_request);
apache::hook!(translate_name, translate_name);
apache::hook!(map_to_storage, map_to_storage);
apache::hook!(header_parser, header_parser);
apache::hook!(access_checker, |r: &mut Request| phase::run(
    r,
    Phase::Access
));
apache::hook!(check_user_id, |r: &mut Request| phase::run(
    r,
    Phase::Authen
));
apache::hook!(auth_checker, |r: &mut Request| phase::run(r, Phase::Authz));
apache::hook!(type_checker, |r: &mut Request| phase::run(r, Phase::Type));
apache::hook!(fixups, |r: &mut Request| phase::run(r, Phase::Fixup));
apache::hook!(handler, content_handler);
apache::hook!(log_transaction, |r: &mut Request| phase::run(r, Phase::Log));
// PythonCleanupHandler runs once the request is logged, while its object still answers.
apache::hook!(
    log_transaction,
    |r: &mut Request| phase::run(r, Phase::Cleanup),
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

/// The Python home Python starts from: the main server's `PythonHome`, else the default the
/// build was given, else none.
fn python_home(s: &Server) -> Result<Option<config::PythonHome>, String> {
    let configured = s
        .module_config::<crate::ThisModule>()
        .and_then(|c| c.python_home.as_ref());
    config::python_home_in_effect(configured)
}

/// The default Python home the build was given is looked at when the configuration has been
/// read (also under `httpd -t`), as `PythonHome` is when its directive is: a wrong one stops
/// httpd with the reason.
fn check_python_home(_pconf: &Pool, _plog: &Pool, s: &Server) -> HookResult {
    match python_home(s) {
        Ok(_) => Ok(Status::Ok),
        Err(e) => Err(apache::Error::new(500, format!("mod_python: {e}"))),
    }
}

/// `PythonOptimize On`: Python runs as with `-O`, through the environment variable that
/// `Py_Initialize` reads (in `start_python`, a later child_init hook).
fn set_python_environment(_p: &Pool, s: &Server) {
    if s.module_config::<crate::ThisModule>()
        .is_some_and(|c| c.optimize)
    {
        // SAFETY: `set_var` must not run while another thread reads or writes the environment.
        // This is the new child's first child_init hook: httpd's parent forked the child from
        // one thread, so the child has that thread alone; its MPM starts worker threads only
        // after every child_init hook, and no other module's child_init (some start threads,
        // as mod_watchdog's does) has run yet.
        unsafe { std::env::set_var("PYTHONOPTIMIZE", "1") };
    }
}

/// Python starts in each child, never in the parent: a parent that initialized Python would
/// leak it across every restart, and forked children would inherit its threads' state.
/// `PythonImport`s of every server then run, each with its server's `PythonPath`.
fn start_python(p: &Pool, s: &Server) {
    let mut imports = Vec::new();
    for server in s.iter() {
        let path = server
            .dir_config::<crate::ThisModule>()
            .and_then(|c| c.python_path.as_deref().map(str::to_string));
        if let Some(conf) = server.module_config::<crate::ThisModule>() {
            for (module, interpreter) in &conf.imports {
                imports.push(interp::Import {
                    module: module.clone(),
                    interpreter: interpreter.clone(),
                    python_path: path.clone(),
                });
            }
        }
    }
    locks::child_init(p);
    let started = std::time::Instant::now();
    let without_gil = s
        .module_config::<crate::ThisModule>()
        .is_some_and(|c| config::FreeThreading::is_on(c.free_threading.as_ref()));
    if let Err(e) = python_home(s).and_then(|home| startup::start(home.as_ref(), without_gil)) {
        log(
            Level::Error,
            &format!("mod_python: Python could not start in this child: {e}"),
        );
        return;
    }
    if let Some(conf) = s.module_config::<crate::ThisModule>() {
        crate::python::subinterpreter::configure(&conf.interpreter_gil);
    }
    interp::start(&imports, crate::apache_module::build, started);
    // Checked when the configuration was read; only the main server's applies.
    let thread_wait = s
        .dir_config::<crate::ThisModule>()
        .and_then(|c| c.option(options::EXIT_THREAD_WAIT))
        .and_then(|v| options::exit_thread_wait(&v).ok())
        .unwrap_or(options::DEFAULT_EXIT_THREAD_WAIT);
    p.on_cleanup(move || child_exit::run(thread_wait));
}

/// Whether Python alone serves this URL: `SetHandler mod_python` (or `python-program`) with
/// the content handlers configured in a `<Location>`.
fn python_location(r: &Request) -> bool {
    r.dir_config::<crate::ThisModule>()
        .is_some_and(DirConf::handler_in_location)
        && matches!(
            r.configured_handler(),
            Some("mod_python") | Some("python-program")
        )
}

thread_local! {
    /// The request translate_name left without a file name because Python alone serves it:
    /// map_to_storage, which runs next on the same thread, no longer sees the `<Location>`
    /// configuration (httpd resets it to the server's before that phase).
    static UNMAPPED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// PythonTransHandler; then, for a URL Python alone serves, no file name: the URL is not
/// mapped to the file system (`req.filename` is None), as with mod_python 3.5.
fn translate_name(r: &mut Request) -> HookResult {
    match phase::run(r, Phase::Trans)? {
        Status::Declined if python_location(r) => {
            UNMAPPED.with(|u| u.set(r.id()));
            Ok(Status::Ok)
        }
        other => Ok(other),
    }
}

/// Nothing to find on disk for a URL Python alone serves: spares httpd's directory walk.
fn map_to_storage(r: &mut Request) -> HookResult {
    if UNMAPPED.with(|u| u.replace(0)) == r.id() && r.filename().is_none() {
        return Ok(Status::Ok);
    }
    Ok(Status::Declined)
}

fn content_handler(r: &mut Request) -> HookResult {
    match r.handler() {
        Some("mod_python") | Some("python-program") => phase::run(r, Phase::Handler),
        _ => Ok(Status::Declined),
    }
}

/// At server level PythonInitHandler runs as the first post-read-request handler.
fn post_read_request(r: &mut Request) -> HookResult {
    let server_level = |h: &config::HandlerSpec| !h.in_section;
    match phase::run_filtered(r, Phase::Init, server_level)? {
        Status::Ok | Status::Declined => phase::run(r, Phase::PostReadRequest),
        other => Ok(other),
    }
}

/// Inside a directory PythonInitHandler runs as the first header-parser handler.
fn header_parser(r: &mut Request) -> HookResult {
    let in_section = |h: &config::HandlerSpec| h.in_section;
    match phase::run_filtered(r, Phase::Init, in_section)? {
        Status::Ok | Status::Declined => phase::run(r, Phase::HeaderParser),
        other => Ok(other),
    }
}
