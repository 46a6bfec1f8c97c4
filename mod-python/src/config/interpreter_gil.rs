//! `PythonInterpreterGIL own|shared [name ...]`: which sub-interpreters get a GIL of their own
//! (PEP 684, CPython 3.12 and later), so that their handlers run in parallel with those of
//! other interpreters on the threads of one child.
//!
//! Server config only, main server only: interpreter names are process-wide (two virtual hosts
//! naming one interpreter share it), so a per-host setting could give one interpreter two
//! answers. Without names a line sets the default of every sub-interpreter; with names, those
//! interpreters' setting, whatever the default. The default stays `shared`: an own-GIL
//! interpreter refuses every C extension that has not declared support for one.

use super::MAIN_INTERPRETER;

/// Whether an interpreter shares the main interpreter's GIL or has one of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gil {
    #[default]
    Shared,
    Own,
}

impl Gil {
    /// The directive's word for it.
    pub fn word(self) -> &'static str {
        match self {
            Gil::Shared => "shared",
            Gil::Own => "own",
        }
    }
}

/// One setting and the directive line that made it (`file:line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GilSetting {
    pub gil: Gil,
    pub at: String,
}

/// What the `PythonInterpreterGIL` lines of the main server say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterpreterGil {
    default: Option<GilSetting>,
    named: Vec<(String, GilSetting)>,
}

/// The Python this module runs, as far as the directive cares.
pub struct PythonSupport<'a> {
    /// `3.11.2`.
    pub version: &'a str,
    /// Whether it can give an interpreter its own GIL (3.12 or later).
    pub own_gil: bool,
    /// Whether it is a free-threaded build (PEP 703), which can run without a GIL.
    pub free_threaded: bool,
}

impl PythonSupport<'static> {
    /// The Python this module was built for.
    pub fn this() -> PythonSupport<'static> {
        PythonSupport {
            version: env!("MOD_PYTHON_PY_VERSION"),
            own_gil: cfg!(Py_3_12),
            free_threaded: cfg!(Py_GIL_DISABLED),
        }
    }
}

impl InterpreterGil {
    /// Whether no line set anything.
    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.named.is_empty()
    }

    /// Takes one directive line's words (`own|shared [name ...]`), written at `at`; `Err` is
    /// the message httpd shows with the file and line.
    pub fn add(&mut self, words: &[&str], at: &str, python: &PythonSupport) -> Result<(), String> {
        let Some((first, names)) = words.split_first() else {
            return Err("PythonInterpreterGIL takes own or shared, then interpreter names".into());
        };
        let gil = match first.to_ascii_lowercase().as_str() {
            "own" => Gil::Own,
            "shared" => Gil::Shared,
            _ => {
                return Err(format!(
                    "PythonInterpreterGIL: {first:?} is neither own nor shared"
                ));
            }
        };
        if gil == Gil::Own && !python.own_gil {
            return Err(format!(
                "PythonInterpreterGIL own: a GIL per interpreter needs CPython 3.12 or later \
                 (PEP 684); this mod_python runs CPython {}",
                python.version
            ));
        }
        let setting = GilSetting {
            gil,
            at: at.to_string(),
        };
        if names.is_empty() {
            check_same("every sub-interpreter (the default)", &self.default, gil)?;
            self.default = Some(setting);
            return Ok(());
        }
        for name in names {
            if gil == Gil::Own && *name == MAIN_INTERPRETER {
                return Err(format!(
                    "PythonInterpreterGIL own {MAIN_INTERPRETER}: the main interpreter always \
                     has the process's first GIL; only sub-interpreters can have their own"
                ));
            }
            let known = self
                .named
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s.clone());
            check_same(&format!("interpreter {name:?}"), &known, gil)?;
            if known.is_none() {
                self.named.push((name.to_string(), setting.clone()));
            }
        }
        Ok(())
    }

    /// Whether some interpreter is to have its own GIL.
    pub fn has_own(&self) -> bool {
        self.default.iter().any(|s| s.gil == Gil::Own)
            || self.named.iter().any(|(_, s)| s.gil == Gil::Own)
    }

    /// The setting in effect for the interpreter `name`; `None` for the shared GIL nobody
    /// asked for (the default, and always for `main_interpreter`).
    pub fn for_interpreter(&self, name: &str) -> Option<&GilSetting> {
        if name == MAIN_INTERPRETER {
            return None;
        }
        self.named
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
            .or(self.default.as_ref())
    }
}

/// A second line for the same interpreters must agree with the first.
fn check_same(what: &str, known: &Option<GilSetting>, gil: Gil) -> Result<(), String> {
    match known {
        Some(earlier) if earlier.gil != gil => Err(format!(
            "PythonInterpreterGIL: {what} is given {} here and {} at {}",
            gil.word(),
            earlier.gil.word(),
            earlier.at
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: PythonSupport = PythonSupport {
        version: "3.13.0",
        own_gil: true,
        free_threaded: false,
    };
    const OLD: PythonSupport = PythonSupport {
        version: "3.11.2",
        own_gil: false,
        free_threaded: false,
    };

    #[test]
    fn names_override_the_default_and_main_keeps_the_first_gil() {
        let mut g = InterpreterGil::default();
        g.add(&["own"], "a.conf:1", &NEW).unwrap();
        g.add(&["Shared", "legacy", "old"], "a.conf:2", &NEW)
            .unwrap();
        let own = g.for_interpreter("shop").unwrap();
        assert_eq!((own.gil, own.at.as_str()), (Gil::Own, "a.conf:1"));
        assert_eq!(g.for_interpreter("old").unwrap().gil, Gil::Shared);
        assert_eq!(g.for_interpreter(MAIN_INTERPRETER), None);
        assert_eq!(InterpreterGil::default().for_interpreter("shop"), None);
    }

    #[test]
    fn repeating_a_setting_is_fine_and_contradicting_one_names_both_lines() {
        let mut g = InterpreterGil::default();
        g.add(&["own", "a"], "a.conf:1", &NEW).unwrap();
        g.add(&["own", "a", "b"], "a.conf:2", &NEW).unwrap();
        let e = g.add(&["shared", "b"], "a.conf:3", &NEW).unwrap_err();
        assert_eq!(
            e,
            "PythonInterpreterGIL: interpreter \"b\" is given shared here and own at a.conf:2"
        );
        g.add(&["shared"], "a.conf:4", &NEW).unwrap();
        assert!(
            g.add(&["own"], "a.conf:5", &NEW)
                .unwrap_err()
                .contains("at a.conf:4")
        );
    }

    #[test]
    fn own_is_refused_on_an_old_python_and_for_the_main_interpreter() {
        let mut g = InterpreterGil::default();
        let e = g.add(&["own"], "a.conf:1", &OLD).unwrap_err();
        assert_eq!(
            e,
            "PythonInterpreterGIL own: a GIL per interpreter needs CPython 3.12 or later \
             (PEP 684); this mod_python runs CPython 3.11.2"
        );
        g.add(&["shared", "x"], "a.conf:2", &OLD).unwrap();
        assert!(
            g.add(&["own", MAIN_INTERPRETER], "a.conf:3", &NEW)
                .unwrap_err()
                .contains("main interpreter")
        );
        g.add(&["shared", MAIN_INTERPRETER], "a.conf:4", &NEW)
            .unwrap();
        assert!(g.add(&["yes"], "a.conf:5", &NEW).is_err());
        assert!(g.add(&[], "a.conf:6", &NEW).is_err());
    }
}
