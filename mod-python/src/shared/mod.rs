pub mod global_locks;
pub mod session_caches;
