//! httpd resources all children share, made in the parent at start-up and attached in each
//! child: the global locks (`global_locks`) and the session caches (`session_caches`).
//!
//! They read the configuration and know no Python; `apache_module/` offers them to it.

pub mod global_locks;
pub mod session_caches;
