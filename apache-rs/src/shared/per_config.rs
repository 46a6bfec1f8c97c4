//! A static that holds what `post_config` made for the current configuration ([`PerConfig`]).

use crate::apr::Pool;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// A static that holds what `post_config` made for the current configuration.
///
/// Shared resources (a [`Cache`](crate::shared::Cache), a [`GlobalMutex`](crate::shared::GlobalMutex)) live in the
/// configuration pool: `post_config` makes them, children inherit them through `fork`, and they
/// are destroyed when httpd clears that pool (after the first of the two start-up passes and at
/// every restart). A [`PerConfig`] keeps one in a static for the request hooks and empties
/// itself when the pool that owns the value is cleared, so no hook can reach a destroyed one.
///
/// ```no_run
/// use apache::shared::mutex::GlobalMutex;
/// use apache::shared::PerConfig;
/// use apache::{HookResult, Pool, Server, Status};
///
/// static LOCK: PerConfig<GlobalMutex> = PerConfig::new();
///
/// apache::module!(demo_module);
/// apache::hook!(post_config, make);
///
/// fn make(pconf: &Pool, _plog: &Pool, s: &Server) -> HookResult {
///     // "demo" was registered in pre_config with apache::shared::mutex::register.
///     LOCK.set(pconf, GlobalMutex::create(pconf, s, "demo", None)?);
///     Ok(Status::Ok)
/// }
/// # fn main() {}
/// ```
pub struct PerConfig<T> {
    value: RwLock<Option<(u64, T)>>,
    generation: AtomicU64,
}

impl<T: Send + Sync + 'static> PerConfig<T> {
    /// An empty slot, for a `static`.
    pub const fn new() -> Self {
        PerConfig {
            value: RwLock::new(None),
            generation: AtomicU64::new(0),
        }
    }

    /// Stores `value` until `pconf` is cleared (or the next `set`).
    pub fn set(&'static self, pconf: &Pool, value: T) {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        *self.value.write().unwrap_or_else(|e| e.into_inner()) = Some((generation, value));
        // Only the value this pool owns is dropped: a later `set` (a new pool) is kept.
        pconf.on_cleanup(move || {
            let mut v = self.value.write().unwrap_or_else(|e| e.into_inner());
            if v.as_ref().is_some_and(|(g, _)| *g == generation) {
                *v = None;
            }
        });
    }

    /// Runs `f` on the value; `None` when the slot is empty (before `post_config`, or after the
    /// pool was cleared).
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        let v = self.value.read().unwrap_or_else(|e| e.into_inner());
        v.as_ref().map(|(_, t)| f(t))
    }

    /// A copy of the value (a cheap handle for the types this is made for).
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.with(T::clone)
    }
}

impl<T: Send + Sync + 'static> Default for PerConfig<T> {
    fn default() -> Self {
        Self::new()
    }
}
