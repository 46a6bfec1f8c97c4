//! Small-object caches shared by every process of the server (`ap_socache.h`): the providers
//! `shmcb` (shared memory), `dbm`, `memcache`, `redis` that mod_ssl and mod_authn_socache use,
//! each loaded by its own module (`LoadModule socache_shmcb_module ...`).
//!
//! A [`Cache`] is made in `post_config` from a provider name and its argument, written as in
//! httpd's directives: `"shmcb"`, `"shmcb:/path/to/file(512000)"`, `"dbm:/path/to/file"`,
//! `"memcache:host:11211"`. It lives in the configuration pool and is destroyed with it (on
//! restart); keep it in a [`crate::shared::PerConfig`]. Children inherit it through `fork`;
//! call [`Cache::child_init`] in `child_init`.
//!
//! Providers that are not safe to use from several processes and threads at once (flagged
//! `AP_SOCACHE_FLAG_NOTMPSAFE`: `shmcb`, `dbm`) get a global mutex around every call, made
//! and taken by the cache itself. Its type (by default the cache's id) must be registered in
//! `pre_config` with [`crate::shared::mutex::register`], which also lets the `Mutex` directive
//! configure it.
//!
//! shmcb files each entry in one of its subcaches by the first byte of the key alone, so keys
//! that share a prefix would crowd one subcache and push each other out while the rest of the
//! cache stays empty. The cache gives shmcb every key behind one byte hashed from the whole
//! key, and takes it off again in [`Cache::iterate`]; callers see their own keys.
//!
//! # Configuration of a provider
//!
//! The argument after the provider's name is the provider's own: `shmcb:/path(bytes)`,
//! `dbm:/path`, `memcache:host:port,host:port,...`, `redis:host:port,...`. Providers read their
//! directives (`MemcacheConnTTL`, `RedisConnPoolTTL`, `RedisTimeout`) from the server the
//! cache is created with, as for any other user of them. The cache's id is the namespace of its
//! keys in a memcached or redis server: caches of several httpd that share a store see the same
//! entries when they have the same id.
//!
//! # Errors and time limits
//!
//! Errors carry the status a request should get: 503 (Service Unavailable) when the store of a
//! networked provider ([`Provider::is_networked`]) cannot be reached, cannot serve, or does not
//! answer within the [timeout](CacheBuilder::timeout); 501 when the provider cannot
//! [iterate](Cache::iterate) (memcache, redis); 500 for the rest. Such a provider answers "not
//! found" for every key while it counts all its servers down (APR-util tries a failed server
//! again after 5 seconds), so a miss there is confirmed by storing a one-second entry under
//! the key `apache-rs:reachable`: a missing key and an unreachable store are told apart.
//!
//! Neither networked provider bounds a call once it is connected: APR-util's memcache client
//! waits for an answer without limit, and its redis client reads `RedisTimeout` as seconds
//! where httpd gives microseconds. A server that hangs would hold a request forever;
//! [`CacheBuilder::timeout`] bounds each call instead.
//!
//! ```no_run
//! use apache::shared::socache::Cache;
//! use apache::shared::PerConfig;
//! use apache::{HookResult, Pool, Request, Server, Status};
//! use std::time::Duration;
//!
//! static CACHE: PerConfig<Cache> = PerConfig::new();
//!
//! apache::module!(demo_module);
//! apache::hook!(pre_config, |pconf: &Pool, _: &Pool| {
//!     apache::shared::mutex::register(pconf, "demo")?;
//!     Ok(Status::Ok)
//! });
//! apache::hook!(post_config, |pconf: &Pool, _: &Pool, s: &Server| {
//!     CACHE.set(pconf, Cache::create(pconf, s, "shmcb", "demo")?);
//!     Ok(Status::Ok)
//! });
//! apache::hook!(child_init, |pchild: &Pool, _: &Server| {
//!     if let Some(Err(e)) = CACHE.with(|c| c.child_init(pchild)) {
//!         apache::log::error!("{e}");
//!     }
//! });
//! apache::hook!(handler, |r: &mut Request| {
//!     let cache = CACHE.get().ok_or_else(|| apache::Error::internal("no cache"))?;
//!     cache.store(b"greeting", b"hello", Duration::from_secs(60))?;
//!     assert_eq!(cache.retrieve(b"greeting")?.as_deref(), Some(&b"hello"[..]));
//!     Ok(Status::Declined)
//! });
//! # fn main() {}
//! ```

use crate::apr::Pool;
use crate::core::{Error, apr_strerror};
use crate::server::Server;
use crate::shared::mutex::GlobalMutex;
use apache_sys as ffi;
use helpers::{Helpers, Late};
use provider::Quirks;
use std::os::raw::c_uint;
use std::ptr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

mod calls;
mod helpers;
mod provider;

pub use provider::Provider;

/// The largest value [`Cache::retrieve`] reads unless [`CacheBuilder::max_value_len`] says
/// otherwise.
pub const DEFAULT_MAX_VALUE_LEN: usize = 64 * 1024;

/// Hints a provider may use to size itself (`ap_socache_hints`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints {
    /// Typical key length in bytes.
    pub avg_id_len: usize,
    /// Typical value length in bytes.
    pub avg_obj_size: usize,
    /// How often expired entries should be purged.
    pub expiry_interval: Duration,
}

/// Settings of a [`Cache`] to create; made by [`Cache::builder`].
#[derive(Debug, Clone)]
pub struct CacheBuilder {
    spec: String,
    id: String,
    mutex_type: Option<String>,
    mutex_instance: Option<String>,
    max_value_len: usize,
    hints: Option<Hints>,
    timeout: Option<Duration>,
}

impl CacheBuilder {
    /// The mutex type used when the provider needs a lock (default: the cache's id). It must
    /// be registered in `pre_config` with [`crate::shared::mutex::register`].
    pub fn mutex_type(mut self, mutex_type: &str) -> Self {
        self.mutex_type = Some(mutex_type.to_string());
        self
    }

    /// Tells this cache's mutex apart from others of the same type (it becomes part of a lock
    /// file's name): needed when one mutex type serves several caches, whose lock files
    /// would otherwise be the same.
    pub fn mutex_instance(mut self, instance: &str) -> Self {
        self.mutex_instance = Some(instance.to_string());
        self
    }

    /// The largest value stored or read, in bytes (default [`DEFAULT_MAX_VALUE_LEN`]);
    /// [`Cache::store`] refuses longer values.
    pub fn max_value_len(mut self, len: usize) -> Self {
        self.max_value_len = len.clamp(1, c_uint::MAX as usize);
        self
    }

    /// Sizing hints for the provider.
    pub fn hints(mut self, hints: Hints) -> Self {
        self.hints = Some(hints);
        self
    }

    /// The longest a [`Cache::store`], [`Cache::retrieve`] or [`Cache::remove`] may take
    /// (default: no limit). Past it the call fails with status 503 and is left to finish on
    /// the helper thread that runs it: each process runs its calls on at most as many helper
    /// threads as it has threads for requests, and once all of them wait on calls past their
    /// limit, calls fail at once until one returns. A call then costs a hand-over to a helper
    /// thread (a few microseconds). [`Cache::iterate`] is not bounded (only local providers
    /// can iterate). A zero duration means no limit.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = (!limit.is_zero()).then_some(limit);
        self
    }

    /// Creates and initialises the cache in `post_config`, owned by `pconf`.
    pub fn create(self, pconf: &Pool, server: &Server) -> Result<Cache, Error> {
        Cache::build(self, pconf, server)
    }
}

/// The provider's instance, until the configuration pool destroys it.
struct Live {
    provider: Provider,
    instance: *mut ffi::ap_socache_instance_t,
    server: *mut ffi::server_rec,
}

// SAFETY: providers flagged AP_SOCACHE_FLAG_NOTMPSAFE are only called under the cache's global
// mutex, which excludes other threads and processes; the others are safe to call concurrently
// by the socache contract. The server_rec is only read (for logging).
unsafe impl Send for Live {}
// SAFETY: as above.
unsafe impl Sync for Live {}

struct Inner {
    /// Read-locked around every call, write-locked to destroy the instance.
    live: RwLock<Option<Live>>,
    mutex: Option<GlobalMutex>,
    /// `name:arg` as given, for messages.
    spec: String,
    provider_name: String,
    quirks: Quirks,
    max_value_len: usize,
    timeout: Option<Duration>,
    /// The threads that run calls with a time limit, made by the first such call of each
    /// process.
    helpers: Mutex<Option<Arc<Helpers>>>,
}

/// A small-object cache shared by all processes; a cheap handle (clones share the cache). See
/// the [module documentation](self).
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cache({})", self.inner.spec)
    }
}

/// Splits `name:argument`; the argument is optional (the provider's default).
fn split_spec(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once(':') {
        Some((name, arg)) => (name.trim(), Some(arg)),
        None => (spec.trim(), None),
    }
}

impl Cache {
    /// Creates a cache in `post_config` from `spec` (`"shmcb"`, `"shmcb:/path(512000)"`,
    /// ...), with `id` naming this user of it (at most 16 of `a-z A-Z 0-9 _ -`; it may name a
    /// file, and it is the namespace of the keys in a memcached or redis server) and, when the
    /// provider needs a lock, a mutex of type `id`.
    pub fn create(pconf: &Pool, server: &Server, spec: &str, id: &str) -> Result<Cache, Error> {
        Cache::builder(spec, id).create(pconf, server)
    }

    /// Settings beyond [`Cache::create`]'s: mutex type, largest value, hints, time limit.
    pub fn builder(spec: &str, id: &str) -> CacheBuilder {
        CacheBuilder {
            spec: spec.to_string(),
            id: id.to_string(),
            mutex_type: None,
            mutex_instance: None,
            max_value_len: DEFAULT_MAX_VALUE_LEN,
            hints: None,
            timeout: None,
        }
    }

    fn build(b: CacheBuilder, pconf: &Pool, server: &Server) -> Result<Cache, Error> {
        let spec = b.spec.as_str();
        let fail = |what: String| Error::internal(format!("socache \"{spec}\": {what}"));
        let id_ok = !b.id.is_empty()
            && b.id.len() <= 16
            && b.id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
        if !id_ok {
            return Err(fail(format!(
                "the id {:?} must be 1 to 16 characters of a-z, A-Z, 0-9, _ and -",
                b.id
            )));
        }
        let (name, arg) = split_spec(spec);
        let provider = Provider::lookup(name)?;
        let p = provider.raw();
        let (Some(create), Some(init)) = (p.create, p.init) else {
            return Err(fail("the provider has no create or init function".into()));
        };
        let mut instance = ptr::null_mut();
        {
            let tmp = pconf.sub_pool();
            let arg = arg.map_or(ptr::null(), |a| tmp.c_str(a));
            // SAFETY: the provider's create with an argument string (or NULL for its default),
            // a temporary pool and pconf for the instance.
            let err = unsafe { create(&mut instance, arg, tmp.as_ptr(), pconf.as_ptr()) };
            // SAFETY: NULL or an error string in tmp or a static.
            if let Some(msg) = unsafe { crate::core::strings::to_str(err) } {
                return Err(fail(msg.to_string()));
            }
        }
        if instance.is_null() {
            return Err(fail("the provider made no instance".into()));
        }
        let mutex = if provider.is_mp_safe() {
            None
        } else {
            let ty = b.mutex_type.as_deref().unwrap_or(&b.id);
            Some(GlobalMutex::create(
                pconf,
                server,
                ty,
                b.mutex_instance.as_deref(),
            )?)
        };
        let hints = b.hints.map(|h| {
            ptr::from_ref(pconf.alloc(ffi::ap_socache_hints {
                avg_id_len: h.avg_id_len,
                avg_obj_size: h.avg_obj_size,
                expiry_interval: i64::try_from(h.expiry_interval.as_micros()).unwrap_or(i64::MAX),
            }))
        });
        let cname = pconf.c_str(&b.id);
        // SAFETY: the instance just created; cname and hints live in pconf, as does everything
        // init allocates.
        let rv = unsafe {
            init(
                instance,
                cname,
                hints.unwrap_or(ptr::null()),
                server.as_ptr(),
                pconf.as_ptr(),
            )
        };
        if rv != 0 {
            return Err(fail(format!("cannot initialise: {}", apr_strerror(rv))));
        }
        let inner = Arc::new(Inner {
            live: RwLock::new(Some(Live {
                provider,
                instance,
                server: server.as_ptr(),
            })),
            mutex,
            spec: spec.to_string(),
            provider_name: provider.name().to_string(),
            quirks: provider.quirks(),
            max_value_len: b.max_value_len,
            timeout: b.timeout,
            helpers: Mutex::new(None),
        });
        // Destroyed before the pool frees what init allocated (cleanups run last-in first-out).
        // Only the parent destroys a cache, at a restart, and it makes no calls that could
        // hold the lock: children exit without destroying their configuration pool.
        let weak = Arc::downgrade(&inner);
        pconf.on_cleanup(move || {
            let Some(inner) = weak.upgrade() else { return };
            let live = inner.live.write().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(live) = live {
                if let Some(destroy) = live.provider.raw().destroy {
                    // SAFETY: the instance is live and no call can reach it any more.
                    unsafe { destroy(live.instance, live.server) };
                }
            }
        });
        Ok(Cache { inner })
    }

    /// Re-attaches the cache's mutex (if it has one) in a new child; call it from `child_init`.
    pub fn child_init(&self, pchild: &Pool) -> Result<(), Error> {
        match &self.inner.mutex {
            Some(m) => m.child_init(pchild),
            None => Ok(()),
        }
    }

    /// The provider's name (`shmcb`, ...).
    pub fn provider_name(&self) -> &str {
        &self.inner.provider_name
    }

    /// The provider and argument it was made from.
    pub fn spec(&self) -> &str {
        &self.inner.spec
    }

    /// Whether the entries live in servers reached over the network
    /// ([`Provider::is_networked`]).
    pub fn is_networked(&self) -> bool {
        self.inner.quirks.networked
    }

    /// Whether calls are serialised by a global mutex (the provider is not MP-safe).
    pub fn is_locked(&self) -> bool {
        self.inner.mutex.is_some()
    }

    /// The largest value stored or read, in bytes.
    pub fn max_value_len(&self) -> usize {
        self.inner.max_value_len
    }

    /// The longest a call may take ([`CacheBuilder::timeout`]).
    pub fn timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }

    fn error(&self, status: u16, what: String) -> Error {
        Error::new(status, format!("socache {}: {what}", self.inner.spec))
    }

    fn key_len(&self, key: &[u8]) -> Result<c_uint, Error> {
        c_uint::try_from(key.len()).map_err(|_| self.error(500, "key too long".into()))
    }

    /// Runs `call` within the cache's time limit, if it has one (on a helper thread), else
    /// right here.
    fn bounded<R: Send + 'static>(
        &self,
        call: impl FnOnce(&Cache) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let Some(limit) = self.inner.timeout else {
            return call(self);
        };
        let helpers = {
            let mut slot = self.inner.helpers.lock().unwrap_or_else(|e| e.into_inner());
            match slot.as_ref() {
                Some(h) if h.are_ours() => Arc::clone(h),
                _ => {
                    let threads = crate::server::mpm_query(ffi::AP_MPMQ_MAX_THREADS as i32)
                        .and_then(|n| usize::try_from(n).ok())
                        .unwrap_or(1);
                    Arc::clone(slot.insert(Arc::new(Helpers::new(limit, threads))))
                }
            }
        };
        let cache = self.clone();
        match helpers.run(move || call(&cache)) {
            Ok(result) => result,
            Err(Late::TimedOut) => Err(self.error(
                503,
                format!("the store did not answer within {}", seconds(limit)),
            )),
            Err(Late::AllHeld(n)) => Err(self.error(
                503,
                format!(
                    "the store has not answered the last {n} calls within {}",
                    seconds(limit)
                ),
            )),
            Err(Late::Lost(why)) => Err(self.error(500, why)),
        }
    }

    /// Stores `value` under `key` for `ttl`, replacing what was there. shmcb needs keys of at
    /// least 4 bytes. memcache and redis keep entries for whole seconds: for them `ttl` is
    /// rounded up to the next whole second (at least one).
    pub fn store(&self, key: &[u8], value: &[u8], ttl: Duration) -> Result<(), Error> {
        if value.len() > self.inner.max_value_len {
            return Err(self.error(
                500,
                format!(
                    "a value of {} bytes is longer than the cache's limit of {}",
                    value.len(),
                    self.inner.max_value_len
                ),
            ));
        }
        let shortest = self.inner.quirks.min_key_len;
        if key.len() < shortest {
            return Err(self.error(
                500,
                format!(
                    "{} needs keys of at least {shortest} bytes, not {}",
                    self.inner.provider_name,
                    key.len()
                ),
            ));
        }
        if self.inner.timeout.is_none() {
            return self.store_now(key, value, ttl);
        }
        let (key, value) = (key.to_vec(), value.to_vec());
        self.bounded(move |c| c.store_now(&key, &value, ttl))
    }

    /// The value stored under `key`; `None` when there is none or it has expired.
    pub fn retrieve(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        if self.inner.timeout.is_none() {
            return self.retrieve_now(key);
        }
        let key = key.to_vec();
        self.bounded(move |c| c.retrieve_now(&key))
    }

    /// Removes `key`; `false` when it was not there (dbm always answers `true`).
    pub fn remove(&self, key: &[u8]) -> Result<bool, Error> {
        if self.inner.timeout.is_none() {
            return self.remove_now(key);
        }
        let key = key.to_vec();
        self.bounded(move |c| c.remove_now(&key))
    }

    /// Calls `f(key, value)` for every unexpired entry until it returns `false`. The cache is
    /// locked meanwhile (for providers that need a lock), so `f` must not use it: doing so is
    /// an error, not a deadlock. Providers that cannot iterate (memcache, redis) give an
    /// error with status 501, without reaching their servers.
    pub fn iterate(&self, mut f: impl FnMut(&[u8], &[u8]) -> bool) -> Result<(), Error> {
        self.iterate_now(&mut f)
    }
}

/// `1 s`, `1.5 s`: a limit for messages.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}
