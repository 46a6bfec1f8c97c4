//! The request phases a Python handler can run in, and a table with one entry per phase.

use std::ops::{Index, IndexMut};
use std::os::raw::c_int;
use std::sync::atomic::{AtomicU16, Ordering};

/// httpd's `OK` and `DECLINED`.
const OK: c_int = 0;
const DECLINED: c_int = -1;

/// The request phases a Python handler can run in, in the order httpd runs them.
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
    /// Every phase, in order.
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

    /// The phase's directive, which is also its name in Python (`req.phase`,
    /// `req.add_handler("PythonFixupHandler", ...)`).
    pub const fn directive(self) -> &'static str {
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

    /// The phase whose directive is `name` (exactly, as mod_python 3.5 compares it).
    pub fn from_directive(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.directive() == name)
    }

    /// The callable used when the directive names only a module: the directive's name
    /// lower-cased without "python" (`PythonAuthenHandler` -> `authenhandler`).
    pub fn default_callable(self) -> String {
        self.directive()
            .trim_start_matches("Python")
            .to_ascii_lowercase()
    }

    /// The results after which the phase's next handler runs, as in mod_python 3.5: the
    /// content handlers run while they answer OK; in the phases where the first module to
    /// answer decides (translation, authentication, authorization, type checking) the next
    /// runs after DECLINED; in the others every handler runs, whether it answers OK or
    /// DECLINED. Any other result ends the phase with it.
    pub const fn go_on(self) -> &'static [c_int] {
        match self {
            Phase::Handler | Phase::Cleanup => &[OK],
            Phase::Trans | Phase::Authen | Phase::Authz | Phase::Type => &[DECLINED],
            Phase::PostReadRequest
            | Phase::HeaderParser
            | Phase::Init
            | Phase::Access
            | Phase::Fixup
            | Phase::Log => &[DECLINED, OK],
        }
    }

    /// The phase's bit in [`CONFIGURED`].
    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// One `T` per phase, found by the phase.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerPhase<T>([T; Phase::ALL.len()]);

impl<T> PerPhase<T> {
    /// Each phase's entry made by `f`.
    pub fn from_fn(f: impl FnMut(Phase) -> T) -> Self {
        PerPhase(Phase::ALL.map(f))
    }

    /// The entries, with their phases, in phase order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Phase, &mut T)> {
        Phase::ALL.into_iter().zip(self.0.iter_mut())
    }
}

impl<T> Index<Phase> for PerPhase<T> {
    type Output = T;

    fn index(&self, phase: Phase) -> &T {
        // The discriminants are 0..12, the array's indexes.
        &self.0[phase as usize]
    }
}

impl<T> IndexMut<Phase> for PerPhase<T> {
    fn index_mut(&mut self, phase: Phase) -> &mut T {
        &mut self.0[phase as usize]
    }
}

/// The phases some directive (in the configuration or a `.htaccess` file read so far) gave
/// handlers to: each request asks for every phase, and most have none anywhere.
static CONFIGURED: AtomicU16 = AtomicU16::new(0);

/// Whether any section configures handlers for `phase`. (Bits are only ever added: a phase
/// configured before a graceful restart is merely looked up.)
pub fn configured(phase: Phase) -> bool {
    CONFIGURED.load(Ordering::Relaxed) & phase.bit() != 0
}

/// Notes that a section configures handlers for `phase`.
pub(super) fn mark_configured(phase: Phase) {
    CONFIGURED.fetch_or(phase.bit(), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_phase_is_found_by_its_directive() {
        for phase in Phase::ALL {
            assert_eq!(Phase::from_directive(phase.directive()), Some(phase));
        }
        assert_eq!(Phase::from_directive("pythonhandler"), None);
        assert_eq!(Phase::from_directive("PythonFooHandler"), None);
    }

    #[test]
    fn the_default_callable_is_the_directive_without_python_in_lower_case() {
        assert_eq!(Phase::Handler.default_callable(), "handler");
        assert_eq!(Phase::Authen.default_callable(), "authenhandler");
        assert_eq!(
            Phase::PostReadRequest.default_callable(),
            "postreadrequesthandler"
        );
    }

    #[test]
    fn handlers_after_the_first_run_as_in_3_5() {
        assert_eq!(Phase::Handler.go_on(), [OK]);
        assert_eq!(Phase::Trans.go_on(), [DECLINED]);
        assert_eq!(Phase::Authen.go_on(), [DECLINED]);
        assert_eq!(Phase::Fixup.go_on(), [DECLINED, OK]);
        assert_eq!(Phase::Log.go_on(), [DECLINED, OK]);
    }

    #[test]
    fn per_phase_entries_are_found_by_phase() {
        let mut table = PerPhase::from_fn(|p| p.directive().len());
        assert_eq!(table[Phase::Log], "PythonLogHandler".len());
        table[Phase::Log] = 0;
        assert_eq!(table[Phase::Log], 0);
        assert_eq!(table[Phase::Cleanup], "PythonCleanupHandler".len());
        let order: Vec<Phase> = table.iter_mut().map(|(p, _)| p).collect();
        assert_eq!(order, Phase::ALL);
    }

    #[test]
    fn a_phase_marked_configured_stays_so() {
        mark_configured(Phase::Type);
        assert!(configured(Phase::Type));
    }
}
