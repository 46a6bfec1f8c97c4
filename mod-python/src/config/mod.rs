//! mod_python's configuration: handlers per phase, options, and the other directives, merged
//! across sections as mod_python 3.5 does.

mod directives;

use apache::module::ModuleConfig;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

/// The request phases a Python handler can run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    PostReadRequest,
    Trans,
    HeaderParser,
    Init,
    Access,
    Authen,
    Authz,
    Type,
    Fixup,
    Handler,
    Log,
    Cleanup,
}

impl Phase {
    /// Where the phase's handlers are in [`PhaseHandlers`].
    pub const fn index(self) -> usize {
        self as usize
    }

    pub const ALL: [Phase; 12] = [
        Phase::PostReadRequest,
        Phase::Trans,
        Phase::HeaderParser,
        Phase::Init,
        Phase::Access,
        Phase::Authen,
        Phase::Authz,
        Phase::Type,
        Phase::Fixup,
        Phase::Handler,
        Phase::Log,
        Phase::Cleanup,
    ];

    /// The directive's name.
    pub fn directive(self) -> &'static str {
        match self {
            Phase::PostReadRequest => "PythonPostReadRequestHandler",
            Phase::Trans => "PythonTransHandler",
            Phase::HeaderParser => "PythonHeaderParserHandler",
            Phase::Init => "PythonInitHandler",
            Phase::Access => "PythonAccessHandler",
            Phase::Authen => "PythonAuthenHandler",
            Phase::Authz => "PythonAuthzHandler",
            Phase::Type => "PythonTypeHandler",
            Phase::Fixup => "PythonFixupHandler",
            Phase::Handler => "PythonHandler",
            Phase::Log => "PythonLogHandler",
            Phase::Cleanup => "PythonCleanupHandler",
        }
    }

    /// The callable used when the directive names only a module: the directive's name
    /// lower-cased without "python" (`PythonAuthenHandler` -> `authenhandler`).
    pub fn default_callable(self) -> String {
        self.directive()
            .trim_start_matches("Python")
            .to_ascii_lowercase()
    }
}

/// One handler named by a directive.
#[derive(Debug, Clone)]
pub struct HandlerSpec {
    pub module: String,
    pub callable: String,
    /// The `<Directory>` the directive was in: prepended to sys.path for the import.
    pub directory: Option<String>,
    /// `| .ext ...`: only for files with these extensions.
    pub extensions: Vec<String>,
    /// Configured inside `<Location>` or `<LocationMatch>`.
    pub in_location: bool,
    /// Configured inside a section or `.htaccess` (not at server or virtual host level): where
    /// `PythonInitHandler` is a header-parser handler rather than a post-read-request one.
    pub in_section: bool,
}

impl HandlerSpec {
    /// Whether the handler applies to this file name (its `| .ext` restriction).
    pub fn applies_to(&self, filename: Option<&str>) -> bool {
        if self.extensions.is_empty() {
            return true;
        }
        let ext = filename
            .and_then(|f| f.rsplit('/').next())
            .and_then(|base| base.rfind('.').map(|i| &base[i..]))
            .unwrap_or("");
        self.extensions.iter().any(|e| e == ext)
    }
}

/// Parses a handler directive's arguments: `module[::callable] ... [| .ext ...]`.
pub fn parse_handlers(
    phase: Phase,
    args: &str,
    directory: Option<&str>,
) -> Result<Vec<HandlerSpec>, String> {
    let (names, exts) = match args.split_once('|') {
        Some((n, e)) => (n, e.split_whitespace().map(str::to_string).collect()),
        None => (args, Vec::new()),
    };
    let mut out = Vec::new();
    for name in names.split_whitespace() {
        let (module, callable) = match name.split_once("::") {
            Some((m, c)) if !c.is_empty() => (m.to_string(), c.to_string()),
            Some((m, _)) => (m.to_string(), phase.default_callable()),
            None => (name.to_string(), phase.default_callable()),
        };
        if module.is_empty() {
            return Err(format!("no module named in {name:?}"));
        }
        out.push(HandlerSpec {
            module,
            callable,
            directory: directory.map(str::to_string),
            extensions: exts.clone(),
            in_location: false,
            in_section: false,
        });
    }
    if out.is_empty() {
        return Err("expects a module name, as in `PythonHandler mymodule`".into());
    }
    Ok(out)
}

/// A single `module[::callable]` handler (filters, connection handlers), with `default` as
/// the callable when none is named.
pub fn parse_single(
    handler: &str,
    default: &str,
    directory: Option<&str>,
) -> Result<HandlerSpec, String> {
    let (module, callable) = match handler.trim().split_once("::") {
        Some((m, c)) if !c.is_empty() => (m, c),
        Some((m, _)) => (m, default),
        None => (handler.trim(), default),
    };
    if module.is_empty() || module.contains(char::is_whitespace) {
        return Err(format!(
            "{handler:?} does not name a module, as in mymodule::callable"
        ));
    }
    Ok(HandlerSpec {
        module: module.to_string(),
        callable: callable.to_string(),
        directory: directory.map(str::to_string),
        extensions: Vec::new(),
        in_location: false,
        in_section: false,
    })
}

/// Filters set up by `PythonOutputFilter` / `PythonInputFilter` (or `req.register_*_filter`):
/// filter name (lower case, as httpd keeps it) and handler, for output (`false`) or input.
pub type FilterSpecs = Vec<(bool, String, HandlerSpec)>;

/// The handler of filter `name` (output or input) in `specs`.
pub fn find_filter<'a>(
    specs: &'a FilterSpecs,
    is_input: bool,
    name: &str,
) -> Option<&'a HandlerSpec> {
    specs
        .iter()
        .rev()
        .find(|(i, n, _)| *i == is_input && n.eq_ignore_ascii_case(name))
        .map(|(_, _, h)| h)
}

/// The phases some directive (in the configuration or a `.htaccess` file read so far) gave
/// handlers to: each request asks for every phase, and most have none anywhere.
static CONFIGURED: AtomicU16 = AtomicU16::new(0);

/// Whether any section configures handlers for `phase`. (Bits are only ever added: a phase
/// configured before a graceful restart is merely looked up.)
pub fn configured(phase: Phase) -> bool {
    CONFIGURED.load(Ordering::Relaxed) & (1 << phase.index()) != 0
}

/// The handlers each phase's directives configured in a section. Lists are shared between
/// the configurations httpd merges on every request, so a merge copies no handler.
#[derive(Debug, Clone, Default)]
pub struct PhaseHandlers([Option<Arc<Vec<HandlerSpec>>>; Phase::ALL.len()]);

impl PhaseHandlers {
    pub fn get(&self, phase: Phase) -> Option<&Arc<Vec<HandlerSpec>>> {
        self.0[phase.index()].as_ref()
    }

    /// Several directives of one phase in one section stack up, in order.
    pub fn extend(&mut self, phase: Phase, specs: Vec<HandlerSpec>) {
        CONFIGURED.fetch_or(1 << phase.index(), Ordering::Relaxed);
        let list = self.0[phase.index()].get_or_insert_with(Default::default);
        Arc::make_mut(list).extend(specs);
    }

    /// A phase configured in the more specific section replaces the general one's list.
    fn merged(base: &Self, add: &Self) -> Self {
        let mut out = base.clone();
        for (slot, list) in out.0.iter_mut().zip(&add.0) {
            if list.is_some() {
                slot.clone_from(list);
            }
        }
        out
    }
}

/// `base`'s entries, then `add`'s; shared with either when the other has none.
fn concat<T: Clone>(base: &Arc<Vec<T>>, add: &Arc<Vec<T>>) -> Arc<Vec<T>> {
    if add.is_empty() {
        base.clone()
    } else if base.is_empty() {
        add.clone()
    } else {
        Arc::new(base.iter().chain(add.iter()).cloned().collect())
    }
}

/// Per-directory configuration. Strings and lists are shared (`Arc`): httpd merges sections
/// on every request, and a merge should cost reference counts, not copies.
#[derive(Debug, Clone, Default)]
pub struct DirConf {
    /// The section's directory (for `<Directory>` sections).
    pub directory: Option<Arc<str>>,
    pub handlers: PhaseHandlers,
    pub debug: Option<bool>,
    pub autoreload: Option<bool>,
    pub python_path: Option<Arc<str>>,
    /// `PythonOption key value` and `PythonOption key` (removal), in order.
    pub options: Arc<Vec<(String, Option<String>)>>,
    pub interpreter: Option<Arc<str>>,
    pub interp_per_directory: Option<bool>,
    pub interp_per_directive: Option<bool>,
    pub optimize: Option<bool>,
    pub enable_pdb: Option<bool>,
    /// `PythonOutputFilter` and `PythonInputFilter`.
    pub filters: Arc<FilterSpecs>,
}

impl ModuleConfig for DirConf {
    fn create(context: Option<&str>) -> Self {
        DirConf {
            directory: context.map(Arc::from),
            ..Default::default()
        }
    }

    fn merge(base: &Self, add: &Self) -> Self {
        DirConf {
            directory: add.directory.clone().or_else(|| base.directory.clone()),
            handlers: PhaseHandlers::merged(&base.handlers, &add.handlers),
            debug: add.debug.or(base.debug),
            autoreload: add.autoreload.or(base.autoreload),
            python_path: add.python_path.clone().or_else(|| base.python_path.clone()),
            options: concat(&base.options, &add.options),
            interpreter: add.interpreter.clone().or_else(|| base.interpreter.clone()),
            interp_per_directory: add.interp_per_directory.or(base.interp_per_directory),
            interp_per_directive: add.interp_per_directive.or(base.interp_per_directive),
            optimize: add.optimize.or(base.optimize),
            enable_pdb: add.enable_pdb.or(base.enable_pdb),
            // The more specific section's filters come later and win (see find_filter).
            filters: concat(&base.filters, &add.filters),
        }
    }
}

impl DirConf {
    /// The options in effect: later settings win, and a key set without a value is removed.
    pub fn effective_options(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (k, v) in self.options.iter() {
            out.retain(|(key, _)| key != k);
            if let Some(v) = v {
                out.push((k.clone(), v.clone()));
            }
        }
        out
    }

    /// The handlers of `phase`.
    pub fn handlers_for(&self, phase: Phase) -> Option<Arc<Vec<HandlerSpec>>> {
        self.handlers.get(phase).cloned()
    }
}

/// What running a phase needs from the configuration, taken out of it so the request can be
/// lent to Python while the configuration (which borrows from the request) is not.
#[derive(Debug, Clone)]
pub struct PhaseSettings {
    pub debug: Option<bool>,
    pub autoreload: Option<bool>,
    pub python_path: Option<Arc<str>>,
    pub interpreter: Option<Arc<str>>,
    /// `PythonEnablePdb On`: handlers run under the Python debugger.
    pub pdb: bool,
}

impl PhaseSettings {
    /// What `req.get_config()` shows: the directives in effect, as mod_python names them.
    pub fn config_items(&self) -> Vec<(&'static str, String)> {
        let flag = |on: bool| if on { "1" } else { "0" }.to_string();
        let mut config = vec![];
        if let Some(d) = self.debug {
            config.push(("PythonDebug", flag(d)));
        }
        if let Some(a) = self.autoreload {
            config.push(("PythonAutoReload", flag(a)));
        }
        if let Some(p) = &self.python_path {
            config.push(("PythonPath", p.to_string()));
        }
        if let Some(i) = &self.interpreter {
            config.push(("PythonInterpreter", i.to_string()));
        }
        config
    }
}

impl DirConf {
    pub fn phase_settings(&self) -> PhaseSettings {
        PhaseSettings {
            debug: self.debug,
            autoreload: self.autoreload,
            python_path: self.python_path.clone(),
            interpreter: self.interpreter.clone(),
            pdb: self.enable_pdb == Some(true),
        }
    }

    /// Whether the content handlers come from a `<Location>`: such a URL is served by Python
    /// alone, and (as with mod_python 3.5) is not mapped to a file, which saves httpd a walk of
    /// the file system on every request.
    pub fn handler_in_location(&self) -> bool {
        self.handlers
            .get(Phase::Handler)
            .and_then(|l| l.first())
            .is_some_and(|h| h.in_location)
    }

    /// Whether any handler is configured for `phase`.
    pub fn has_handlers(&self, phase: Phase) -> bool {
        self.handlers.get(phase).is_some_and(|l| !l.is_empty())
    }

    /// The interpreter a phase runs in, chosen as mod_python 3.5 does: with
    /// `PythonInterpPerDirectory On`, the directory of the file the request maps to; with
    /// `PythonInterpPerDirective On`, the directory of the section that configured the phase's
    /// first handler; else `PythonInterpreter`; else the virtual host's server name. Where that
    /// gives nothing, the main interpreter.
    pub fn interpreter_name<'a>(
        &'a self,
        first: &HandlerSpec,
        filename: Option<&str>,
        is_dir: bool,
        server_name: Option<&'a str>,
    ) -> Cow<'a, str> {
        let main = || Cow::Borrowed(crate::interp::MAIN_INTERPRETER);
        if self.interp_per_directory == Some(true) {
            return match filename {
                Some(f) if is_dir => format!("{}/", f.trim_end_matches('/')).into(),
                Some(f) => match f.rfind('/') {
                    Some(i) => f[..=i].to_string().into(),
                    None => main(),
                },
                None => main(),
            };
        }
        if self.interp_per_directive == Some(true) {
            return first
                .directory
                .as_ref()
                .map(|d| format!("{}/", d.trim_end_matches('/')).into())
                .unwrap_or_else(main);
        }
        if let Some(name) = &self.interpreter {
            return Cow::Borrowed(name);
        }
        server_name.map(Cow::Borrowed).unwrap_or_else(main)
    }
}

/// Per-server configuration.
#[derive(Debug, Clone, Default)]
pub struct SrvConf {
    /// `PythonImport module[::function] interpreter`.
    pub imports: Vec<(String, String)>,
    /// `PythonOptimize On` (main server only): Python runs as with `-O`.
    pub optimize: bool,
    /// `PythonConnectionHandler`.
    pub connection_handler: Option<HandlerSpec>,
}

impl ModuleConfig for SrvConf {
    fn create(_: Option<&str>) -> Self {
        SrvConf::default()
    }

    fn merge(base: &Self, add: &Self) -> Self {
        // Each server's own imports: children run those of every server once.
        SrvConf {
            imports: add.imports.clone(),
            optimize: add.optimize || base.optimize,
            connection_handler: add
                .connection_handler
                .clone()
                .or_else(|| base.connection_handler.clone()),
        }
    }
}
