//! mod_python's configuration: the directives, what they set per directory and per server, and
//! how sections merge, as in mod_python 3.5.
//!
//! The bottom layer: it knows no Python and nothing of the layers above, which read it. Its
//! unit tests (`cargo test -p mod-python --lib`) build it alone, without httpd.

// The directives register themselves with httpd, so only the module links them; what they
// set and check is here, tested.
mod dir;
#[cfg(not(any(test, fuzzing)))]
mod directives;
mod free_threading;
mod handler;
mod interpreter_gil;
pub mod options;
mod phase;
#[cfg(test)]
mod properties;
mod python_home;
mod server;

pub use dir::{DirConf, PhaseSettings};
pub use free_threading::{FreeThreading, check_with_interpreter_gil};
pub use handler::{
    FilterSpec, HandlerSpec, find_filter, parse_handlers, parse_single, runtime_directory,
};
pub use interpreter_gil::{Gil, GilSetting, InterpreterGil, PythonSupport};
pub use phase::{PerPhase, Phase, configured};
pub use python_home::{BuiltFor, PythonHome, in_effect as python_home_in_effect};
pub use server::SrvConf;

/// The name of Python's main interpreter, as mod_python 3.5 calls it.
pub const MAIN_INTERPRETER: &str = "main_interpreter";
