//! The handlers directives name: `module[::callable]`, where they were configured, and the
//! files they apply to.

use super::Phase;

/// One handler named by a directive (or added at run time by `req.add_handler`).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The handler as a directive names it, `module` or `module::callable` (when the callable
    /// is not `default`), as mod_python 3.5 shows it in `req.hlist` and the error_log.
    pub fn as_configured(&self, default: &str) -> String {
        if self.callable == default {
            self.module.clone()
        } else {
            format!("{}::{}", self.module, self.callable)
        }
    }

    /// Whether the handler applies to this file name (its `| .ext` restriction).
    pub fn applies_to(&self, filename: Option<&str>) -> bool {
        self.extensions.is_empty() || self.extension_matched(filename).is_some()
    }

    /// The extension of `| .ext` the file name matched (what 3.5 shows as `req.extension`).
    pub fn extension_matched<'a>(&self, filename: Option<&'a str>) -> Option<&'a str> {
        let ext = filename
            .and_then(|f| f.rsplit('/').next())
            .and_then(|base| base.rfind('.').map(|i| &base[i..]))
            .unwrap_or("");
        self.extensions.iter().any(|e| e == ext).then_some(ext)
    }
}

/// A directory given with a handler at run time (`req.add_handler(phase, handler, dir)`,
/// `req.register_output_filter(name, handler, dir)`), as mod_python 3.5 keeps it: an absolute
/// path cleaned of `.`, `..` and repeated `/`, ending in `/` as a `<Directory>` does; a
/// relative one as given.
pub fn runtime_directory(dir: &str) -> String {
    if !dir.starts_with('/') {
        return dir.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let mut out = String::from("/");
    for part in parts {
        out.push_str(part);
        out.push('/');
    }
    out
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

/// A filter set up by `PythonOutputFilter` / `PythonInputFilter` (or
/// `req.register_*_filter`): its name and the handler doing its work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterSpec {
    /// An input filter (else an output filter).
    pub is_input: bool,
    /// The filter's name, in lower case as httpd keeps it (a request's own filters keep
    /// theirs as given: they are compared without regard to case).
    pub name: String,
    pub handler: HandlerSpec,
}

impl FilterSpec {
    /// The spec of `PythonOutputFilter handler NAME` (`is_input` false) or
    /// `PythonInputFilter handler NAME`; the callable defaults to `outputfilter` or
    /// `inputfilter`.
    pub fn parse(
        is_input: bool,
        handler: &str,
        name: &str,
        directory: Option<&str>,
    ) -> Result<FilterSpec, String> {
        let default = if is_input {
            "inputfilter"
        } else {
            "outputfilter"
        };
        Ok(FilterSpec {
            is_input,
            name: name.to_string(),
            handler: parse_single(handler, default, directory)?,
        })
    }
}

/// The handler of filter `name` (output or input) in `specs`: the last one set up wins.
pub fn find_filter<'a>(
    specs: &'a [FilterSpec],
    is_input: bool,
    name: &str,
) -> Option<&'a HandlerSpec> {
    specs
        .iter()
        .rev()
        .find(|f| f.is_input == is_input && f.name.eq_ignore_ascii_case(name))
        .map(|f| &f.handler)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(specs: &[HandlerSpec]) -> Vec<(&str, &str)> {
        specs
            .iter()
            .map(|h| (h.module.as_str(), h.callable.as_str()))
            .collect()
    }

    #[test]
    fn handlers_name_a_module_and_maybe_a_callable() {
        let specs = parse_handlers(Phase::Fixup, "a b::f c::", Some("/srv/app")).unwrap();
        assert_eq!(
            names(&specs),
            [("a", "fixuphandler"), ("b", "f"), ("c", "fixuphandler")]
        );
        assert!(
            specs
                .iter()
                .all(|h| h.directory.as_deref() == Some("/srv/app"))
        );
        assert!(specs.iter().all(|h| h.extensions.is_empty()));
    }

    #[test]
    fn a_runtime_directory_is_cleaned_and_ends_in_a_slash() {
        assert_eq!(runtime_directory("/srv/app"), "/srv/app/");
        assert_eq!(runtime_directory("/srv//app/./lib/../"), "/srv/app/");
        assert_eq!(runtime_directory("/"), "/");
        assert_eq!(runtime_directory("relative/dir"), "relative/dir");
    }

    #[test]
    fn extensions_after_a_bar_restrict_every_handler_of_the_directive() {
        let specs = parse_handlers(Phase::Handler, "a b | .py .psp", None).unwrap();
        assert_eq!(names(&specs), [("a", "handler"), ("b", "handler")]);
        for h in &specs {
            assert_eq!(h.extensions, [".py", ".psp"]);
            assert!(h.applies_to(Some("/srv/x/page.psp")));
            assert!(!h.applies_to(Some("/srv/x/page.html")));
            assert!(!h.applies_to(Some("/srv/x.py/page")));
            assert!(!h.applies_to(None));
        }
    }

    #[test]
    fn a_handler_without_extensions_applies_to_anything() {
        let h = &parse_handlers(Phase::Handler, "a", None).unwrap()[0];
        assert!(h.applies_to(None));
        assert!(h.applies_to(Some("/x")));
    }

    #[test]
    fn a_directive_without_a_module_is_refused() {
        assert!(parse_handlers(Phase::Handler, "", None).is_err());
        assert!(parse_handlers(Phase::Handler, "  | .py", None).is_err());
        let e = parse_handlers(Phase::Handler, "::f", None).unwrap_err();
        assert!(e.contains("no module"), "{e}");
    }

    #[test]
    fn a_single_handler_takes_the_default_callable() {
        let h = parse_single(" m ", "connectionhandler", None).unwrap();
        assert_eq!(
            (h.module.as_str(), h.callable.as_str()),
            ("m", "connectionhandler")
        );
        let h = parse_single("m::", "x", None).unwrap();
        assert_eq!(h.callable, "x");
        let h = parse_single("pkg.m::obj.f", "x", Some("/d")).unwrap();
        assert_eq!(
            (
                h.module.as_str(),
                h.callable.as_str(),
                h.directory.as_deref()
            ),
            ("pkg.m", "obj.f", Some("/d"))
        );
        assert!(parse_single("", "x", None).is_err());
        assert!(parse_single("a b", "x", None).is_err());
        assert!(parse_single("::f", "x", None).is_err());
    }

    #[test]
    fn the_last_filter_of_a_name_and_direction_wins_whatever_the_case() {
        let specs = [
            FilterSpec::parse(false, "first", "upper", None).unwrap(),
            FilterSpec::parse(true, "input", "UPPER", None).unwrap(),
            FilterSpec::parse(false, "second::f", "UPPER", None).unwrap(),
        ];
        let found = find_filter(&specs, false, "Upper").unwrap();
        assert_eq!(
            (found.module.as_str(), found.callable.as_str()),
            ("second", "f")
        );
        let found = find_filter(&specs, true, "upper").unwrap();
        assert_eq!(
            (found.module.as_str(), found.callable.as_str()),
            ("input", "inputfilter")
        );
        assert!(find_filter(&specs, true, "lower").is_none());
        assert_eq!(specs[0].handler.callable, "outputfilter");
    }
}
