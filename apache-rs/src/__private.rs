//! What [`crate::module!`], [`crate::hook!`] and [`crate::directive!`] expand to. Not public
//! API: these items are public only so that the macros' expansions in a module's crate can name
//! them, and may change in any release.

pub use crate::module::config::{
    create_dir_config, create_server_config, merge_dir_config, merge_server_config,
};
pub use crate::module::directive::args::{server, *};
pub use crate::module::directive::registry::{CommandRec, register};
pub use crate::module::record::{ConfigCallbacks, HookRegistration, ModuleRecord, loaded};
pub use inventory;
