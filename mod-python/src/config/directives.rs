//! mod_python 3.5's directives, each setting the configuration of this folder.
//!
//! `PythonOutputFilter` and `PythonInputFilter` are declared with the filters they register
//! (`serving/filter.rs`); what they record is [`FilterSpec`](super::FilterSpec).

use super::{
    BuiltFor, DirConf, FreeThreading, HandlerSpec, Phase, PythonHome, PythonSupport, SrvConf,
    check_with_interpreter_gil, parse_handlers, parse_single,
};
use apache::module::{Context, Directive, DirectiveError};

/// Where a handler directive is: the `<Directory>` (or `.htaccess` directory) to put on
/// sys.path, also from a `<Files>` or `<FilesMatch>` inside it as in mod_python 3.5, and
/// whether it is in a `<Location>` and in any section at all.
fn place(cmd: &Directive, spec: &mut HandlerSpec) {
    // Only a real directory goes on sys.path (not a <Location> URL).
    spec.directory = cmd.directory().filter(|p| std::path::Path::new(p).is_dir());
    spec.in_location = cmd.section().is_some_and(|s| {
        s.eq_ignore_ascii_case("Location") || s.eq_ignore_ascii_case("LocationMatch")
    });
    spec.in_section = cmd.path().is_some();
}

/// A handler directive of `phase`: `module[::callable] ... [| .ext ...]`.
fn set_handlers(
    cmd: &Directive,
    conf: &mut DirConf,
    args: &str,
    phase: Phase,
) -> Result<(), DirectiveError> {
    let mut specs = parse_handlers(phase, args, None)?;
    for spec in &mut specs {
        place(cmd, spec);
    }
    // Several directives of one phase in one section stack up, in order.
    conf.handlers.extend(phase, specs);
    Ok(())
}

/// Declares the handler directive of each phase, each its own directive function.
macro_rules! handler_directives {
    ($($phase:ident: $directive:ident, $context:expr, $help:literal;)*) => {$(
        apache::directive!(
            $directive,
            raw_args,
            |cmd: &mut Directive, c: &mut DirConf, args: &str| set_handlers(cmd, c, args, Phase::$phase),
            $context,
            $help
        );
    )*};
}

handler_directives! {
    PostReadRequest: PythonPostReadRequestHandler, Context::RSRC_CONF, "Python post-read-request handlers";
    Trans: PythonTransHandler, Context::RSRC_CONF, "Python translate-name handlers";
    HeaderParser: PythonHeaderParserHandler, Context::OR_ALL, "Python header-parser handlers";
    Init: PythonInitHandler, Context::OR_ALL, "Python init handlers";
    Access: PythonAccessHandler, Context::OR_ALL, "Python access handlers";
    Authen: PythonAuthenHandler, Context::OR_ALL, "Python authentication handlers";
    Authz: PythonAuthzHandler, Context::OR_ALL, "Python authorization handlers";
    Type: PythonTypeHandler, Context::OR_ALL, "Python type handlers";
    Fixup: PythonFixupHandler, Context::OR_ALL, "Python fixup handlers";
    Handler: PythonHandler, Context::OR_ALL, "Python content handlers";
    Log: PythonLogHandler, Context::OR_ALL, "Python log handlers";
    Cleanup: PythonCleanupHandler, Context::OR_ALL, "Python cleanup handlers";
}

apache::directive!(
    PythonDebug,
    flag,
    |_: &mut Directive, c: &mut DirConf, on: bool| {
        c.debug = Some(on);
        Ok(())
    },
    Context::OR_ALL,
    "On: send Python tracebacks to the client too"
);
apache::directive!(
    PythonAutoReload,
    flag,
    |_: &mut Directive, c: &mut DirConf, on: bool| {
        c.autoreload = Some(on);
        Ok(())
    },
    Context::OR_ALL,
    "Off: do not reload handler modules whose file changed"
);
apache::directive!(
    PythonEnablePdb,
    flag,
    |_: &mut Directive, c: &mut DirConf, on: bool| {
        c.enable_pdb = Some(on);
        Ok(())
    },
    Context::OR_ALL,
    "run handlers under the Python debugger (single-process servers only)"
);
apache::directive!(
    PythonInterpPerDirectory,
    flag,
    |_: &mut Directive, c: &mut DirConf, on: bool| {
        c.interp_per_directory = Some(on);
        Ok(())
    },
    Context::OR_ALL,
    "one interpreter per directory"
);
apache::directive!(
    PythonInterpPerDirective,
    flag,
    |_: &mut Directive, c: &mut DirConf, on: bool| {
        c.interp_per_directive = Some(on);
        Ok(())
    },
    Context::OR_ALL,
    "one interpreter per directive's directory"
);
apache::directive!(
    PythonInterpreter,
    take1,
    |_: &mut Directive, c: &mut DirConf, name: &str| {
        c.interpreter = Some(name.into());
        Ok(())
    },
    Context::OR_ALL,
    "the name of the interpreter to run handlers in"
);
apache::directive!(
    PythonPath,
    take1,
    |_: &mut Directive, c: &mut DirConf, expr: &str| c
        .set_python_path(expr)
        .map_err(DirectiveError::from),
    Context::OR_ALL,
    "a Python list expression giving sys.path"
);
apache::directive!(
    PythonOption,
    take12,
    |cmd: &mut Directive, c: &mut DirConf, key: &str, value: Option<&str>| {
        super::options::check(key, value, cmd.path().is_some())?;
        c.add_option(key, value);
        Ok(())
    },
    Context::OR_ALL,
    "key [value]: an option for req.get_options(); without a value, removes the key"
);
apache::directive!(
    PythonHandlerModule,
    take1,
    |cmd: &mut Directive, c: &mut DirConf, module: &str| {
        let mut spec = parse_single(module, "", None)?;
        place(cmd, &mut spec);
        c.add_handler_module(&spec);
        Ok(())
    },
    Context::OR_ALL,
    "a module whose functions handle every phase"
);
apache::directive!(server PythonOptimize, flag, |cmd: &mut Directive, s: &mut SrvConf, on: bool| {
    cmd.check_context(apache::ffi::GLOBAL_ONLY)?;
    s.optimize = on;
    Ok(())
}, Context::RSRC_CONF, "On: run Python with optimizations (-O)");
apache::directive!(server PythonHome, take1, |cmd: &mut Directive, s: &mut SrvConf, path: &str| {
    cmd.check_context(apache::ffi::GLOBAL_ONLY)?;
    s.python_home = Some(PythonHome::inspect(path, &BuiltFor::this())?);
    Ok(())
}, Context::RSRC_CONF, "a virtual environment or Python installation prefix for Python to start from");
apache::directive!(server PythonInterpreterGIL, take_argv, |cmd: &mut Directive, s: &mut SrvConf, words: &[&str]| {
    cmd.check_context(apache::ffi::GLOBAL_ONLY)?;
    s.interpreter_gil.add(words, &written_at(cmd), &PythonSupport::this())?;
    check_with_interpreter_gil(s.free_threading.as_ref(), &s.interpreter_gil)?;
    Ok(())
}, Context::RSRC_CONF, "own|shared [interpreter ...]: whether sub-interpreters get a GIL of their own (CPython 3.12+)");
apache::directive!(server PythonFreeThreading, flag, |cmd: &mut Directive, s: &mut SrvConf, on: bool| {
    cmd.check_context(apache::ffi::GLOBAL_ONLY)?;
    let setting = FreeThreading::new(on, &written_at(cmd), &PythonSupport::this())?;
    check_with_interpreter_gil(Some(&setting), &s.interpreter_gil)?;
    s.free_threading = Some(setting);
    Ok(())
}, Context::RSRC_CONF, "On: a free-threaded CPython (3.13t+) runs without its GIL");
apache::directive!(server PythonImport, take2, |_: &mut Directive, s: &mut SrvConf, module: &str, interpreter: &str| {
    s.imports.push((module.to_string(), interpreter.to_string()));
    Ok(())
}, Context::RSRC_CONF, "module[::function] interpreter: import in every child at start");
apache::directive!(server PythonConnectionHandler, take1, |cmd: &mut Directive, s: &mut SrvConf, handler: &str| {
    cmd.check_context(apache::ffi::NOT_IN_DIR_LOC_FILE)?;
    s.connection_handler = Some(parse_single(handler, "connectionhandler", None)?);
    Ok(())
}, Context::RSRC_CONF, "a Python handler serving whole connections of this (virtual) server");

/// `file:line` of the directive being read, for messages that name an earlier line.
fn written_at(cmd: &Directive) -> String {
    match cmd.config_file() {
        Some((file, line)) => format!("{file}:{line}"),
        None => "(unknown place)".to_string(),
    }
}
