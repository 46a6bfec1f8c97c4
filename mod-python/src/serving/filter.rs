//! `PythonOutputFilter` and `PythonInputFilter`: httpd filters whose work a Python callable
//! does, as in mod_python 3.5.
//!
//! Every filter name configured with the directives is registered with httpd (while the
//! configuration is read) to [`output_filter`] or [`input_filter`], which find the handler by
//! the filter's name in the request's configuration. Filters registered at request time
//! (`req.register_output_filter`) share one httpd filter, [`DYNAMIC`], whose instances carry
//! the Python name in their state.
//!
//! Each call of a filter (one brigade) takes the GIL once, in the interpreter chosen as for the
//! request's handlers, and gives the callable a new `mp_filter` object; the filter and its
//! brigade are lent to the thread (`Filter::lend`) for the native functions in
//! `native_filter.rs`, which release the GIL while data moves along the chain.

use crate::config::{DirConf, FilterSpec, HandlerSpec, PhaseSettings, find_filter};
use crate::python::gil;
use crate::python::interpreters::{self as interp, Interp};
use crate::serving::request::RequestState;
use apache::apr::{AprError, Brigade};
use apache::core::logging::{Level, log};
use apache::filter::{Filter, FilterResult, FilterType, InputMode};
use apache::module::{Context, Directive, DirectiveError};
use pyo3::prelude::*;

/// The httpd filter that runs the Python filters registered at request time.
pub const DYNAMIC: &str = "MOD_PYTHON";

/// `PythonOutputFilter handler NAME` / `PythonInputFilter handler NAME`: NAME becomes an httpd
/// filter (for `SetOutputFilter`, `AddOutputFilter`, ...) whose work the handler does, through
/// [`output_filter`] or [`input_filter`].
fn set_filter(
    cmd: &mut Directive,
    conf: &mut DirConf,
    handler: &str,
    name: &str,
    is_input: bool,
) -> Result<(), DirectiveError> {
    let directory = cmd.path().filter(|p| std::path::Path::new(p).is_dir());
    let spec = FilterSpec::parse(is_input, handler, &name.to_ascii_lowercase(), directory)?;
    if is_input {
        cmd.register_input_filter(name, input_filter, FilterType::Resource)?;
    } else {
        cmd.register_output_filter(name, output_filter, FilterType::Resource)?;
    }
    conf.add_filter(spec);
    Ok(())
}

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

/// Where the data of an output call goes once passed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    None,
    Flush,
    Eos,
}

/// A Python filter instance's state, across its calls (one response or request body).
#[derive(Default)]
pub struct FilterCtx {
    /// The Python name of a filter registered at request time.
    pub dynamic: Option<String>,
    /// `filter.disable()` (or an exception): data passes untouched, without Python.
    pub disabled: bool,
    /// The end of the stream was sent on (output) or handed to the reader (input).
    pub closed: bool,
    pub is_input: bool,
    pub started: bool,
    /// Output written by the callable and not yet passed on.
    pub out: Vec<u8>,
    /// A flush bucket was read in this call: what is written goes on with a flush.
    pub flush_seen: bool,
    /// Passing data on failed: the filter returns this status.
    pub failed: Option<AprError>,
    /// The callable took data in this call (`filter.read()` returned some): if it then
    /// raises, that data is lost, and the response or body cannot go on as if whole.
    pub consumed: bool,
    /// The read the caller asked of an input filter.
    pub mode: Option<InputMode>,
    pub readbytes: i64,
    /// Input read from the filters below and not yet handed to Python.
    pub pending: Vec<u8>,
    /// The filters below have ended the input.
    pub eos: bool,
    /// Input the callable wrote beyond what the reader asked for, handed out by the next
    /// calls (readers such as `ap_get_client_block` drop what does not fit their buffer).
    pub held: Vec<u8>,
}

impl FilterCtx {
    pub fn input_mode(&self) -> InputMode {
        self.mode.unwrap_or(InputMode::ReadBytes)
    }
}

/// Sends `data` and then the marker down the chain from `f`.
pub fn send(f: &Filter, data: &[u8], marker: Marker) -> FilterResult {
    let mut bb = f.new_brigade();
    bb.append_bytes(data);
    match marker {
        Marker::Flush => bb.append_flush(),
        Marker::Eos => bb.append_eos(),
        Marker::None => {}
    }
    if bb.is_empty() {
        return Ok(());
    }
    f.pass(&mut bb)
}

/// What one call of a Python filter runs.
struct Call {
    name: String,
    spec: HandlerSpec,
    settings: PhaseSettings,
    interp: &'static Interp,
}

/// Finds the Python handler of this filter instance and its interpreter; `None` (logged when
/// it is a configuration mistake) when there is none.
fn prepare(f: &mut Filter, is_input: bool) -> Option<Call> {
    let dynamic = f.ctx::<FilterCtx>().dynamic.clone();
    let frec_name = f.name().unwrap_or("").to_string();
    let r = f.request()?;
    let (name, spec) = match dynamic {
        Some(n) => {
            let spec = find_filter(&r.state::<RequestState>().filters, is_input, &n).cloned();
            (n, spec)
        }
        None => {
            let spec = r
                .dir_config::<crate::ThisModule>()
                .and_then(|c| find_filter(&c.filters, is_input, &frec_name).cloned());
            (frec_name, spec)
        }
    };
    let Some(spec) = spec else {
        let kind = if is_input { "input" } else { "output" };
        log(
            Level::Error,
            &format!(
                "mod_python: no Python handler for {kind} filter {name:?} here; passing data on untouched"
            ),
        );
        return None;
    };
    let default = DirConf::default();
    let conf = r.dir_config::<crate::ThisModule>().unwrap_or(&default);
    let filename = r.filename();
    let is_dir = conf.interp_per_directory == Some(true)
        && r.finfo().kind == Some(apache::http::FileKind::Directory);
    let iname = conf.interpreter_name(&spec, filename, is_dir, r.server().server_hostname());
    let settings = conf.phase_settings();
    let interp = gil::released(|| interp::get(&iname))?;
    Some(Call {
        name,
        spec,
        settings,
        interp,
    })
}

/// Runs the callable once, holding the GIL for the call; the filter is lent to the thread.
/// Whether it failed (raised, the exception logged, and the filter disabled).
fn run(call: &Call, h: usize, is_input: bool) -> bool {
    gil::with_interp(call.interp.state, |py| {
        let result = (|| -> PyResult<bool> {
            let req = crate::serving::request::object_for(py, call.interp)?;
            crate::serving::request::with_lent(|r| {
                r.state::<RequestState>().filtered = true;
                Ok(())
            })?;
            let filter = py.import("mod_python._filter")?;
            let raised = filter.getattr("dispatch")?.call1((
                h,
                &call.name,
                is_input,
                req,
                &call.spec.module,
                &call.spec.callable,
                call.spec.directory.as_deref(),
                call.settings.debug.unwrap_or(false),
                call.settings.autoreload.unwrap_or(true),
                call.settings.python_path.as_deref(),
            ))?;
            raised.is_truthy()
        })();
        Some(result.unwrap_or_else(|e| {
            interp::log_python_error(py, &format!("filter {}", call.name), &e);
            let _ = Filter::with_lent(|f, _| f.ctx::<FilterCtx>().disabled = true);
            true
        }))
    })
    .unwrap_or(false)
}

/// An output filter done in Python: called for each brigade of the response.
pub fn output_filter(f: &mut Filter, bb: &mut Brigade) -> FilterResult {
    let ctx = f.ctx::<FilterCtx>();
    if ctx.disabled {
        return f.pass(bb);
    }
    if ctx.closed {
        // The callable ended the response; nothing more may follow it.
        bb.cleanup();
        return Ok(());
    }
    if bb.is_empty() {
        return Ok(());
    }
    let Some(call) = prepare(f, false) else {
        f.ctx::<FilterCtx>().disabled = true;
        return f.pass(bb);
    };
    let ctx = f.ctx::<FilterCtx>();
    let first = !std::mem::replace(&mut ctx.started, true);
    ctx.is_input = false;
    ctx.out.clear();
    ctx.flush_seen = false;
    ctx.failed = None;
    ctx.consumed = false;
    if first {
        // The callable may change the length; httpd counts it again when it can.
        if let Some(r) = f.request() {
            r.headers_out_mut().unset("Content-Length");
        }
    }
    let h = f.id();
    let raised = f.lend(bb, || run(&call, h, false));
    crate::python::output::flush_thread();
    if raised && f.ctx::<FilterCtx>().consumed && !call.settings.debug.unwrap_or(false) {
        // What it read is gone: the response cannot go on as if whole (with PythonDebug On,
        // the traceback written into it says what happened instead).
        f.ctx::<FilterCtx>().closed = true;
        return f.fail_output(bb);
    }
    // What the callable wrote and did not flush or close goes on now, with a flush if one
    // came in.
    let ctx = f.ctx::<FilterCtx>();
    let out = std::mem::take(&mut ctx.out);
    let marker = if std::mem::take(&mut ctx.flush_seen) {
        Marker::Flush
    } else {
        Marker::None
    };
    let (closed, disabled) = (ctx.closed, ctx.disabled);
    let mut failed = ctx.failed.take();
    if !closed && failed.is_none() && (!out.is_empty() || marker == Marker::Flush) {
        failed = send(f, &out, marker).err();
    }
    // A filter that disabled itself (or failed) lets the rest of this brigade through.
    if disabled && !closed && failed.is_none() && !bb.is_empty() {
        failed = f.pass(bb).err();
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// An input filter done in Python: called each time the reader (a handler reading the body)
/// asks for data; what the callable writes is what the reader gets.
pub fn input_filter(
    f: &mut Filter,
    bb: &mut Brigade,
    mode: InputMode,
    block: bool,
    readbytes: i64,
) -> FilterResult {
    let ctx = f.ctx::<FilterCtx>();
    if !ctx.held.is_empty() {
        let n = match (mode, usize::try_from(readbytes)) {
            (InputMode::ReadBytes, Ok(n)) if n > 0 => n.min(ctx.held.len()),
            _ => ctx.held.len(),
        };
        bb.append_bytes(&ctx.held[..n]);
        ctx.held.drain(..n);
        if ctx.held.is_empty() && ctx.closed {
            bb.append_eos();
        }
        return Ok(());
    }
    if ctx.disabled {
        return hand_over(f, bb, mode, block, readbytes);
    }
    if ctx.closed {
        bb.append_eos();
        return Ok(());
    }
    if !matches!(
        mode,
        InputMode::ReadBytes | InputMode::GetLine | InputMode::Exhaustive
    ) {
        return f.fetch(bb, mode, block, readbytes);
    }
    let Some(call) = prepare(f, true) else {
        f.ctx::<FilterCtx>().disabled = true;
        return hand_over(f, bb, mode, block, readbytes);
    };
    let ctx = f.ctx::<FilterCtx>();
    ctx.is_input = true;
    ctx.started = true;
    ctx.mode = Some(mode);
    ctx.readbytes = readbytes;
    ctx.failed = None;
    ctx.consumed = false;
    let h = f.id();
    let raised = f.lend(bb, || run(&call, h, true));
    crate::python::output::flush_thread();
    let ctx = f.ctx::<FilterCtx>();
    if let Some(e) = ctx.failed.take() {
        return Err(e);
    }
    if raised && ctx.consumed {
        // Part of the body is gone: the reader gets an error, not a body that looks whole.
        bb.cleanup();
        return Err(AprError::GENERAL);
    }
    if bb.is_empty() && !ctx.closed {
        if ctx.disabled {
            hand_over(f, bb, mode, block, readbytes)?;
        } else if ctx.eos && ctx.pending.is_empty() {
            // The callable read the end but did not close: the reader still gets it.
            ctx.closed = true;
            bb.append_eos();
        }
    }
    hold_excess(f, bb, mode, readbytes)
}

/// Gives the reader no more than the `readbytes` it asked for; the rest waits in `held` for
/// the next calls, with the end of the stream after it.
fn hold_excess(f: &mut Filter, bb: &mut Brigade, mode: InputMode, readbytes: i64) -> FilterResult {
    let Ok(limit) = u64::try_from(readbytes) else {
        return Ok(());
    };
    if mode != InputMode::ReadBytes || limit == 0 {
        return Ok(());
    }
    let len = bb.len().map_err(|_| AprError::GENERAL)?;
    if len <= limit {
        return Ok(());
    }
    let data = bb.flatten().map_err(|_| AprError::GENERAL)?;
    let eos = bb.has_eos();
    bb.cleanup();
    let limit = limit as usize;
    bb.append_bytes(&data[..limit]);
    let ctx = f.ctx::<FilterCtx>();
    ctx.held = data[limit..].to_vec();
    if eos {
        ctx.closed = true;
    }
    Ok(())
}

/// Input passes untouched: first what was read and not handed to Python, then the filters
/// below.
fn hand_over(
    f: &mut Filter,
    bb: &mut Brigade,
    mode: InputMode,
    block: bool,
    readbytes: i64,
) -> FilterResult {
    let ctx = f.ctx::<FilterCtx>();
    if !ctx.pending.is_empty() || ctx.eos {
        let pending = std::mem::take(&mut ctx.pending);
        bb.append_bytes(&pending);
        if ctx.eos {
            bb.append_eos();
        }
        return Ok(());
    }
    f.fetch(bb, mode, block, readbytes)
}
