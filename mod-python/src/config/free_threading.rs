//! `PythonFreeThreading On|Off`: whether a free-threaded CPython (PEP 703, `python3.13t`) runs
//! Python without its GIL, so that the handlers of one interpreter run in parallel on the
//! threads of a child.
//!
//! Server config only, main server only: there is one Python per child. `Off`, the default, has
//! a free-threaded CPython keep its GIL, as mod_wsgi 6 does unless told otherwise: every
//! handler written for a GIL stays correct. `On` leaves the GIL off, as `python3.13t` starts;
//! CPython then turns it back on for the whole process (with a `RuntimeWarning` in the
//! error_log) if an extension that has not declared it can run without one is imported.
//! `PYTHON_GIL` in httpd's environment overrides both, as it does for `python3.13t`.
//!
//! On a build with a GIL `On` is refused; with it, `PythonInterpreterGIL own` is refused,
//! there being no GIL to own.

use super::{InterpreterGil, PythonSupport};

/// A `PythonFreeThreading` line: its value and where it was written (`file:line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeThreading {
    pub on: bool,
    pub at: String,
}

impl FreeThreading {
    /// Takes the directive's value, written at `at`; `Err` is the message httpd shows with
    /// the file and line.
    pub fn new(on: bool, at: &str, python: &PythonSupport) -> Result<FreeThreading, String> {
        if on && !python.free_threaded {
            return Err(format!(
                "PythonFreeThreading On: running Python without a GIL needs a free-threaded \
                 CPython (3.13t or later, PEP 703); this mod_python runs CPython {}, which has \
                 a GIL",
                python.version
            ));
        }
        Ok(FreeThreading {
            on,
            at: at.to_string(),
        })
    }

    /// Whether the GIL is to stay off (the directive says `On`).
    pub fn is_on(setting: Option<&FreeThreading>) -> bool {
        setting.is_some_and(|f| f.on)
    }
}

/// Without a GIL no interpreter can have one of its own: `PythonInterpreterGIL own` and
/// `PythonFreeThreading On` exclude each other, whichever comes first.
pub fn check_with_interpreter_gil(
    free_threading: Option<&FreeThreading>,
    gil: &InterpreterGil,
) -> Result<(), String> {
    match free_threading {
        Some(f) if f.on && gil.has_own() => Err(format!(
            "PythonInterpreterGIL own and PythonFreeThreading On (at {}) exclude each other: \
             without a GIL there is none for an interpreter to own, and every interpreter's \
             handlers already run in parallel",
            f.at
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_GIL: PythonSupport = PythonSupport {
        version: "3.13.0",
        own_gil: true,
        free_threaded: false,
    };
    const FREE: PythonSupport = PythonSupport {
        version: "3.13.5",
        own_gil: true,
        free_threaded: true,
    };

    #[test]
    fn on_needs_a_free_threaded_build_and_off_is_accepted_everywhere() {
        let e = FreeThreading::new(true, "a.conf:1", &WITH_GIL).unwrap_err();
        assert!(
            e.contains("needs a free-threaded CPython") && e.contains("runs CPython 3.13.0"),
            "{e}"
        );
        assert!(!FreeThreading::new(false, "a.conf:1", &WITH_GIL).unwrap().on);
        let on = FreeThreading::new(true, "a.conf:2", &FREE).unwrap();
        assert!(FreeThreading::is_on(Some(&on)));
        assert!(!FreeThreading::is_on(None));
    }

    #[test]
    fn own_interpreter_gils_and_no_gil_exclude_each_other() {
        let on = FreeThreading::new(true, "a.conf:2", &FREE).unwrap();
        let off = FreeThreading::new(false, "a.conf:2", &FREE).unwrap();
        let mut gil = InterpreterGil::default();
        gil.add(&["shared"], "a.conf:1", &FREE).unwrap();
        check_with_interpreter_gil(Some(&on), &gil).unwrap();
        gil.add(&["own", "shop"], "a.conf:3", &FREE).unwrap();
        let e = check_with_interpreter_gil(Some(&on), &gil).unwrap_err();
        assert!(
            e.contains("exclude each other") && e.contains("at a.conf:2"),
            "{e}"
        );
        check_with_interpreter_gil(Some(&off), &gil).unwrap();
        check_with_interpreter_gil(None, &gil).unwrap();
    }
}
