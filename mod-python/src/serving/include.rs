//! `<!--#python eval="..." -->` and `<!--#python exec="..." -->`: Python code in pages parsed by
//! mod_include's `INCLUDES` filter, as mod_python 3.5 provides.
//!
//! The element is registered with mod_include (see `apache::filter::include`). Each one runs
//! its code in the interpreter the page's directory would give a handler (`PythonInterpreter`,
//! `PythonInterpPerDirectory`, or the server's name), with the directory's `PythonPath`, in
//! globals kept for the page in `req.ssi_globals` where `filter` (what code writes into the
//! page through) and `req` are set. The Python side is `mod_python._include`; the element is
//! lent to the thread for the native functions of `apache_module/include.rs`.
//!
//! A mistake in the element (no `eval`/`exec`, another attribute, an empty value, both), code
//! under `Options IncludesNOEXEC`, or code that raises, is logged and shown as mod_include
//! shows its own errors; the rest of the page is served.

use crate::config::{DirConf, HandlerSpec};
use crate::python::gil;
use crate::python::interpreters::{self as interp, Interp, log_python_error};
use crate::serving::request::{self, RequestState};
use apache::core::logging::{Level, log};
use apache::filter::include::{Element, ElementResult};
use pyo3::prelude::*;

/// What an element asks for: its kind (`eval` or `exec`) and its code.
struct Code {
    tag: String,
    text: String,
}

/// Reads the element's attributes as mod_python 3.5 does; `Err` is the message to log.
fn read_code(e: &mut Element, file: &str) -> Result<Code, String> {
    let mut code: Option<Code> = None;
    for (name, value) in e.attributes() {
        if value.is_empty() {
            return Err(format!(
                "empty value for '{name}' parameter to tag 'python' in {file}"
            ));
        }
        if name != "eval" && name != "exec" {
            return Err(format!(
                "unexpected '{name}' parameter to tag 'python' in {file}"
            ));
        }
        if code.is_some() {
            return Err(format!(
                "multiple 'eval/exec' parameters to tag 'python' in {file}"
            ));
        }
        code = Some(Code {
            tag: name,
            text: value,
        });
    }
    code.ok_or_else(|| format!("missing 'eval/exec' parameter to tag 'python' in {file}"))
}

/// What the page's directory configures for Python code.
struct Setting {
    interp: &'static Interp,
    debug: bool,
    python_path: Option<String>,
}

/// The interpreter and settings of the page's directory; `None` when the interpreter could
/// not be had (the reason is logged).
fn setting(e: &mut Element) -> Option<Setting> {
    let r = e.request();
    let default = DirConf::default();
    let conf = r.dir_config::<crate::ThisModule>().unwrap_or(&default);
    let is_dir = conf.interp_per_directory == Some(true)
        && r.finfo().kind == Some(apache::http::FileKind::Directory);
    // No handler directive configures the element: under PythonInterpPerDirective it has no
    // directory, and runs in the main interpreter, as with 3.5.
    let none = HandlerSpec {
        module: String::new(),
        callable: String::new(),
        directory: None,
        extensions: Vec::new(),
        in_location: false,
        in_section: false,
    };
    let name = conf.interpreter_name(&none, r.filename(), is_dir, r.server().server_hostname());
    let settings = conf.phase_settings();
    let name = name.into_owned();
    let interp = gil::released(|| interp::get(&name))?;
    Some(Setting {
        interp,
        debug: settings.debug.unwrap_or(false),
        python_path: settings.python_path.as_deref().map(str::to_string),
    })
}

/// The `python` element, as mod_include calls it.
pub fn element(e: &mut Element) -> ElementResult {
    let file = e.request().filename().unwrap_or("").to_string();
    if !e.exec_allowed() {
        log(
            Level::Error,
            &format!("#python used but not allowed in {file}"),
        );
        e.error();
        return Ok(());
    }
    let code = match read_code(e, &file) {
        Ok(code) => code,
        Err(why) => {
            log(Level::Error, &why);
            e.error();
            return Ok(());
        }
    };
    let Some(setting) = setting(e) else {
        e.error();
        return Ok(());
    };
    let h = e.id();
    let ran = e.lend(|| run(&setting, h, &code));
    crate::python::output::flush_thread();
    if !ran {
        e.error();
    }
    Ok(())
}

/// Runs the element's code in its interpreter, the element lent to the thread; whether it ran
/// without raising.
fn run(setting: &Setting, h: usize, code: &Code) -> bool {
    let ran = gil::with_interp(setting.interp.state, |py| {
        let result = (|| -> PyResult<bool> {
            let req = request::object_for(py, setting.interp)?;
            // The object keeps its `ssi_globals` for the page's later elements, which may come
            // after the content handler returned.
            request::with_lent(|r| {
                r.state::<RequestState>().filtered = true;
                Ok(())
            })?;
            let include = py.import("mod_python._include")?;
            include
                .getattr("dispatch")?
                .call1((
                    h,
                    req,
                    &code.tag,
                    &code.text,
                    setting.debug,
                    setting.python_path.as_deref(),
                ))?
                .is_truthy()
        })();
        Some(result.unwrap_or_else(|e| {
            log_python_error(py, "<!--#python -->", &e);
            false
        }))
    });
    // None: Python has ended (the child is exiting).
    ran.unwrap_or(false)
}
