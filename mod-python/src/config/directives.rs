//! mod_python 3.5's directives.

use crate::config::{parse_handlers, DirConf, HandlerSpec, Phase, SrvConf};
use apache::module::{Context, Directive, DirectiveError};

/// Where a handler directive is: the `<Directory>` (or `.htaccess` directory) to put on
/// sys.path, and whether it is in a `<Location>` and in any section at all.
fn place(cmd: &Directive, spec: &mut HandlerSpec) {
    // Only a real directory goes on sys.path (not a <Location> URL).
    spec.directory = cmd
        .path()
        .filter(|p| std::path::Path::new(p).is_dir())
        .map(str::to_string);
    spec.in_location = cmd.section().is_some_and(|s| {
        s.eq_ignore_ascii_case("Location") || s.eq_ignore_ascii_case("LocationMatch")
    });
    spec.in_section = cmd.path().is_some();
}

/// The handler directives, one function per phase so each is its own directive function.
fn set_handlers<const P: usize>(
    cmd: &mut Directive,
    conf: &mut DirConf,
    args: &str,
) -> Result<(), DirectiveError> {
    let phase = Phase::ALL[P];
    let mut specs = parse_handlers(phase, args, None)?;
    for spec in &mut specs {
        place(cmd, spec);
    }
    // Several directives of one phase in one section stack up, in order.
    conf.handlers.extend(phase, specs);
    Ok(())
}

apache::directive!(
    PythonPostReadRequestHandler,
    raw_args,
    set_handlers::<0>,
    Context::RSRC_CONF,
    "Python post-read-request handlers"
);
apache::directive!(
    PythonTransHandler,
    raw_args,
    set_handlers::<1>,
    Context::RSRC_CONF,
    "Python translate-name handlers"
);
apache::directive!(
    PythonHeaderParserHandler,
    raw_args,
    set_handlers::<2>,
    Context::OR_ALL,
    "Python header-parser handlers"
);
apache::directive!(
    PythonInitHandler,
    raw_args,
    set_handlers::<3>,
    Context::OR_ALL,
    "Python init handlers"
);
apache::directive!(
    PythonAccessHandler,
    raw_args,
    set_handlers::<4>,
    Context::OR_ALL,
    "Python access handlers"
);
apache::directive!(
    PythonAuthenHandler,
    raw_args,
    set_handlers::<5>,
    Context::OR_ALL,
    "Python authentication handlers"
);
apache::directive!(
    PythonAuthzHandler,
    raw_args,
    set_handlers::<6>,
    Context::OR_ALL,
    "Python authorization handlers"
);
apache::directive!(
    PythonTypeHandler,
    raw_args,
    set_handlers::<7>,
    Context::OR_ALL,
    "Python type handlers"
);
apache::directive!(
    PythonFixupHandler,
    raw_args,
    set_handlers::<8>,
    Context::OR_ALL,
    "Python fixup handlers"
);
apache::directive!(
    PythonHandler,
    raw_args,
    set_handlers::<9>,
    Context::OR_ALL,
    "Python content handlers"
);
apache::directive!(
    PythonLogHandler,
    raw_args,
    set_handlers::<10>,
    Context::OR_ALL,
    "Python log handlers"
);
apache::directive!(
    PythonCleanupHandler,
    raw_args,
    set_handlers::<11>,
    Context::OR_ALL,
    "Python cleanup handlers"
);

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
    set_path,
    Context::OR_ALL,
    "a Python list expression giving sys.path"
);
apache::directive!(
    PythonOption,
    take12,
    |_: &mut Directive, c: &mut DirConf, key: &str, value: Option<&str>| {
        std::sync::Arc::make_mut(&mut c.options).push((key.to_string(), value.map(str::to_string)));
        Ok(())
    },
    Context::OR_ALL,
    "key [value]: an option for req.get_options(); without a value, removes the key"
);
apache::directive!(
    PythonHandlerModule,
    take1,
    |cmd: &mut Directive, c: &mut DirConf, module: &str| {
        // As if every handler directive named the module, in this section: each phase runs
        // the module's callable of that phase's default name, after any named before.
        let mut spec = crate::config::parse_single(module, "", None)?;
        place(cmd, &mut spec);
        for phase in Phase::ALL {
            let callable = phase.default_callable();
            c.handlers.extend(
                phase,
                vec![HandlerSpec {
                    callable,
                    ..spec.clone()
                }],
            );
        }
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
apache::directive!(server PythonImport, take2, |_: &mut Directive, s: &mut SrvConf, module: &str, interpreter: &str| {
    s.imports.push((module.to_string(), interpreter.to_string()));
    Ok(())
}, Context::RSRC_CONF, "module[::function] interpreter: import in every child at start");

fn set_path(_: &mut Directive, c: &mut DirConf, expr: &str) -> Result<(), DirectiveError> {
    if !expr
        .trim_start()
        .starts_with(|ch: char| ch == '[' || ch.is_alphabetic())
    {
        return Err(
            format!("{expr:?} is not a Python list expression, e.g. \"sys.path+['/x']\"").into(),
        );
    }
    c.python_path = Some(expr.into());
    Ok(())
}

/// `PythonOutputFilter handler NAME` / `PythonInputFilter handler NAME`: NAME becomes an httpd
/// filter (for `SetOutputFilter`, `AddOutputFilter`, ...) whose work the handler does.
fn set_filter(
    cmd: &mut Directive,
    conf: &mut DirConf,
    handler: &str,
    name: &str,
    is_input: bool,
) -> Result<(), DirectiveError> {
    let directory = cmd.path().filter(|p| std::path::Path::new(p).is_dir());
    let default = if is_input {
        "inputfilter"
    } else {
        "outputfilter"
    };
    let spec = crate::config::parse_single(handler, default, directory)?;
    if is_input {
        cmd.register_input_filter(name, crate::filters::input_filter, FilterType::Resource)?;
    } else {
        cmd.register_output_filter(name, crate::filters::output_filter, FilterType::Resource)?;
    }
    std::sync::Arc::make_mut(&mut conf.filters).push((is_input, name.to_ascii_lowercase(), spec));
    Ok(())
}

use apache::filter::FilterType;

apache::directive!(
    PythonOutputFilter,
    take2,
    |cmd: &mut Directive, c: &mut DirConf, handler: &str, name: &str| set_filter(
        cmd, c, handler, name, false
    ),
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "handler NAME: an output filter named NAME, done by a Python handler"
);
apache::directive!(
    PythonInputFilter,
    take2,
    |cmd: &mut Directive, c: &mut DirConf, handler: &str, name: &str| set_filter(
        cmd, c, handler, name, true
    ),
    Context::RSRC_CONF | Context::ACCESS_CONF,
    "handler NAME: an input filter named NAME, done by a Python handler"
);
apache::directive!(server PythonConnectionHandler, take1, |cmd: &mut Directive, s: &mut SrvConf, handler: &str| {
    cmd.check_context(apache::ffi::NOT_IN_DIR_LOC_FILE)?;
    s.connection_handler = Some(crate::config::parse_single(handler, "connectionhandler", None)?);
    Ok(())
}, Context::RSRC_CONF, "a Python handler serving whole connections of this (virtual) server");
