//! What the processes and threads of the server share: cross-process mutexes
//! ([`mutex::GlobalMutex`]), shared object caches ([`socache::Cache`]), and a static that holds
//! what `post_config` made for the current configuration ([`PerConfig`]). Imports every layer
//! below it.

pub mod mutex;
mod per_config;
pub mod socache;

pub use mutex::{GlobalMutex, MutexGuard, MutexSet};
pub use per_config::PerConfig;
pub use socache::Cache;
