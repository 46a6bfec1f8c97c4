//! The per-directory configuration: handlers per phase, options and the other directives,
//! merged across sections as mod_python 3.5 does.

use super::phase::{PerPhase, Phase, mark_configured};
use super::{FilterSpec, HandlerSpec, MAIN_INTERPRETER};
use apache::module::ModuleConfig;
use std::borrow::Cow;
use std::sync::Arc;

/// The handlers each phase's directives configured in a section. Lists are shared between
/// the configurations httpd merges on every request, so a merge copies no handler.
#[derive(Debug, Clone, Default)]
pub struct PhaseHandlers(PerPhase<Option<Arc<Vec<HandlerSpec>>>>);

impl PhaseHandlers {
    /// The handlers configured for `phase`, if any directive named some.
    pub fn get(&self, phase: Phase) -> Option<&Arc<Vec<HandlerSpec>>> {
        self.0[phase].as_ref()
    }

    /// Several directives of one phase in one section stack up, in order.
    pub fn extend(&mut self, phase: Phase, specs: Vec<HandlerSpec>) {
        mark_configured(phase);
        let list = self.0[phase].get_or_insert_with(Default::default);
        Arc::make_mut(list).extend(specs);
    }

    /// A phase configured in the more specific section replaces the general one's list.
    fn merged(base: &Self, add: &Self) -> Self {
        let mut out = base.clone();
        for (phase, slot) in out.0.iter_mut() {
            if let Some(list) = &add.0[phase] {
                *slot = Some(list.clone());
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
    pub filters: Arc<Vec<FilterSpec>>,
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

    /// The value of option `key` in effect, if any.
    pub fn option(&self, key: &str) -> Option<String> {
        self.effective_options()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The handlers of `phase`.
    pub fn handlers_for(&self, phase: Phase) -> Option<Arc<Vec<HandlerSpec>>> {
        self.handlers.get(phase).cloned()
    }

    /// `PythonPath expression`: refused unless it looks like a Python list expression (it is
    /// evaluated only when a handler runs, where a mistake would cost every request).
    pub fn set_python_path(&mut self, expr: &str) -> Result<(), String> {
        if !expr
            .trim_start()
            .starts_with(|ch: char| ch == '[' || ch.is_alphabetic())
        {
            return Err(format!(
                "{expr:?} is not a Python list expression, e.g. \"sys.path+['/x']\""
            ));
        }
        self.python_path = Some(expr.into());
        Ok(())
    }

    /// `PythonOption key [value]`: without a value, the key is removed.
    pub fn add_option(&mut self, key: &str, value: Option<&str>) {
        Arc::make_mut(&mut self.options).push((key.to_string(), value.map(str::to_string)));
    }

    /// `PythonOutputFilter` or `PythonInputFilter`.
    pub fn add_filter(&mut self, filter: FilterSpec) {
        Arc::make_mut(&mut self.filters).push(filter);
    }

    /// `PythonHandlerModule module`: as if every handler directive named the module, in this
    /// section; each phase runs the module's callable of that phase's default name, after any
    /// named before. `placed` is the module's spec with its place in the configuration.
    pub fn add_handler_module(&mut self, placed: &HandlerSpec) {
        for phase in Phase::ALL {
            let callable = phase.default_callable();
            self.handlers.extend(
                phase,
                vec![HandlerSpec {
                    callable,
                    ..placed.clone()
                }],
            );
        }
    }
}

/// What running a phase needs from the configuration, taken out of it so the request can be
/// lent to Python while the configuration (which borrows from the request) is not.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The settings a phase's handlers run with.
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
        let main = || Cow::Borrowed(MAIN_INTERPRETER);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_handlers;

    fn handlers(phase: Phase, args: &str) -> Vec<HandlerSpec> {
        parse_handlers(phase, args, None).unwrap()
    }

    fn modules(conf: &DirConf, phase: Phase) -> Vec<String> {
        conf.handlers_for(phase)
            .map(|l| l.iter().map(|h| h.module.clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_section_s_handlers_of_a_phase_replace_the_general_ones_and_stack_within_it() {
        let mut base = DirConf::create(None);
        base.handlers
            .extend(Phase::Handler, handlers(Phase::Handler, "a"));
        base.handlers
            .extend(Phase::Fixup, handlers(Phase::Fixup, "f"));
        let mut add = DirConf::create(Some("/srv/app/"));
        add.handlers
            .extend(Phase::Handler, handlers(Phase::Handler, "b"));
        add.handlers
            .extend(Phase::Handler, handlers(Phase::Handler, "c d"));
        let merged = DirConf::merge(&base, &add);
        assert_eq!(modules(&merged, Phase::Handler), ["b", "c", "d"]);
        assert_eq!(modules(&merged, Phase::Fixup), ["f"]);
        assert!(!merged.has_handlers(Phase::Log));
        assert!(merged.handlers_for(Phase::Log).is_none());
        assert_eq!(merged.directory.as_deref(), Some("/srv/app/"));
        assert!(super::super::configured(Phase::Fixup));
    }

    #[test]
    fn a_merge_shares_the_lists_it_does_not_change() {
        let mut base = DirConf::create(None);
        base.handlers
            .extend(Phase::Handler, handlers(Phase::Handler, "a"));
        base.add_option("k", Some("v"));
        let merged = DirConf::merge(&base, &DirConf::create(None));
        let (b, m) = (
            base.handlers_for(Phase::Handler),
            merged.handlers_for(Phase::Handler),
        );
        assert!(Arc::ptr_eq(&b.unwrap(), &m.unwrap()));
        assert!(Arc::ptr_eq(&base.options, &merged.options));
    }

    #[test]
    fn the_more_specific_section_s_settings_win() {
        let mut base = DirConf::create(None);
        base.debug = Some(true);
        base.autoreload = Some(false);
        base.interpreter = Some("outer".into());
        let mut add = DirConf::create(None);
        add.debug = Some(false);
        add.set_python_path("sys.path+['/x']").unwrap();
        let merged = DirConf::merge(&base, &add);
        assert_eq!(
            merged.phase_settings(),
            PhaseSettings {
                debug: Some(false),
                autoreload: Some(false),
                python_path: Some("sys.path+['/x']".into()),
                interpreter: Some("outer".into()),
                pdb: false,
            }
        );
        assert_eq!(
            merged.phase_settings().config_items(),
            [
                ("PythonDebug", "0".to_string()),
                ("PythonAutoReload", "0".to_string()),
                ("PythonPath", "sys.path+['/x']".to_string()),
                ("PythonInterpreter", "outer".to_string()),
            ]
        );
    }

    #[test]
    fn options_accumulate_and_a_key_without_a_value_removes_it() {
        let mut base = DirConf::create(None);
        base.add_option("a", Some("1"));
        base.add_option("b", Some("2"));
        let mut add = DirConf::create(None);
        add.add_option("a", Some("3"));
        add.add_option("b", None);
        let merged = DirConf::merge(&base, &add);
        assert_eq!(
            merged.effective_options(),
            [("a".to_string(), "3".to_string())]
        );
        assert_eq!(merged.option("a").as_deref(), Some("3"));
        assert_eq!(merged.option("b"), None);
        assert_eq!(base.option("b").as_deref(), Some("2"));
    }

    #[test]
    fn the_more_specific_section_s_filters_come_later() {
        let mut base = DirConf::create(None);
        base.add_filter(FilterSpec::parse(false, "outer", "f", None).unwrap());
        let mut add = DirConf::create(None);
        add.add_filter(FilterSpec::parse(false, "inner", "f", None).unwrap());
        let merged = DirConf::merge(&base, &add);
        let found = crate::config::find_filter(&merged.filters, false, "F").unwrap();
        assert_eq!(found.module, "inner");
    }

    #[test]
    fn a_python_path_must_look_like_a_list_expression() {
        let mut conf = DirConf::create(None);
        assert!(conf.set_python_path("['/a', '/b']").is_ok());
        assert!(conf.set_python_path("  sys.path + ['/a']").is_ok());
        let e = conf.set_python_path("/a/b").unwrap_err();
        assert!(e.contains("not a Python list expression"), "{e}");
        assert_eq!(conf.python_path.as_deref(), Some("  sys.path + ['/a']"));
    }

    #[test]
    fn a_handler_module_handles_every_phase_with_its_default_callable() {
        let mut conf = DirConf::create(None);
        conf.handlers
            .extend(Phase::Handler, handlers(Phase::Handler, "first"));
        let placed = crate::config::parse_single("mod", "", Some("/d")).unwrap();
        conf.add_handler_module(&placed);
        let list = conf.handlers_for(Phase::Handler).unwrap();
        assert_eq!(
            list.iter()
                .map(|h| (h.module.as_str(), h.callable.as_str()))
                .collect::<Vec<_>>(),
            [("first", "handler"), ("mod", "handler")]
        );
        let authz = &conf.handlers_for(Phase::Authz).unwrap()[0];
        assert_eq!(authz.callable, "authzhandler");
        assert_eq!(authz.directory.as_deref(), Some("/d"));
    }

    #[test]
    fn the_content_handler_s_section_says_whether_python_alone_serves_the_url() {
        let mut conf = DirConf::create(None);
        assert!(!conf.handler_in_location());
        let mut spec = handlers(Phase::Handler, "a");
        spec[0].in_location = true;
        conf.handlers.extend(Phase::Handler, spec);
        assert!(conf.handler_in_location());
    }

    #[test]
    fn the_interpreter_is_chosen_as_mod_python_3_5_chooses_it() {
        let first = &parse_handlers(Phase::Handler, "a", Some("/srv/app/")).unwrap()[0];
        let mut conf = DirConf::create(None);
        let name = |c: &DirConf, file: Option<&str>, is_dir: bool, server: Option<&str>| {
            c.interpreter_name(first, file, is_dir, server).into_owned()
        };
        assert_eq!(name(&conf, None, false, Some("www.example")), "www.example");
        assert_eq!(name(&conf, None, false, None), MAIN_INTERPRETER);
        conf.interpreter = Some("named".into());
        assert_eq!(name(&conf, None, false, Some("www.example")), "named");
        conf.interp_per_directive = Some(true);
        assert_eq!(name(&conf, None, false, None), "/srv/app/");
        conf.interp_per_directory = Some(true);
        assert_eq!(
            name(&conf, Some("/srv/app/x/p.py"), false, None),
            "/srv/app/x/"
        );
        assert_eq!(name(&conf, Some("/srv/app/x"), true, None), "/srv/app/x/");
        assert_eq!(name(&conf, Some("/srv/app/x/"), true, None), "/srv/app/x/");
        assert_eq!(name(&conf, Some("p.py"), false, None), MAIN_INTERPRETER);
        assert_eq!(name(&conf, None, false, Some("www")), MAIN_INTERPRETER);
    }
}
