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
use crate::core::apr_strerror;
use crate::core::{Error, strings};
use crate::server::Server;
use crate::shared::mutex::GlobalMutex;
use apache_sys as ffi;
use std::any::Any;
use std::os::raw::{c_uchar, c_uint, c_void};
use std::ptr::{self, NonNull};
use std::sync::{Arc, RwLock};
use std::time::Duration;

const NOTFOUND: ffi::apr_status_t = ffi::APR_NOTFOUND as ffi::apr_status_t;
const ENOSPC: ffi::apr_status_t = ffi::APR_ENOSPC as ffi::apr_status_t;
const EGENERAL: ffi::apr_status_t = ffi::APR_EGENERAL as ffi::apr_status_t;
const ENOTIMPL: ffi::apr_status_t = ffi::APR_ENOTIMPL as ffi::apr_status_t;
/// What our iterator callback returns to stop an iteration early.
const STOP: ffi::apr_status_t = ffi::APR_EOF as ffi::apr_status_t;

/// The largest value [`Cache::retrieve`] reads unless [`CacheBuilder::max_value_len`] says
/// otherwise.
pub const DEFAULT_MAX_VALUE_LEN: usize = 64 * 1024;

/// A socache provider registered by a loaded module.
#[derive(Clone, Copy)]
pub struct Provider {
    raw: NonNull<ffi::ap_socache_provider_t>,
}

impl Provider {
    /// Finds the provider registered as `name` (`shmcb`, `dbm`, `memcache`, `redis`,
    /// `default`); the error names the module to load when there is none.
    pub fn lookup(name: &str) -> Result<Provider, Error> {
        let found = crate::module::provider::lookup(
            "socache", name, // "0": AP_SOCACHE_PROVIDER_VERSION
            "0",
        );
        match found {
            Some(p) => Ok(Provider { raw: p.cast() }),
            None => Err(Error::internal(format!(
                "unknown socache provider \"{name}\": the module providing it must be loaded \
                 (LoadModule socache_{name}_module modules/mod_socache_{name}.so)"
            ))),
        }
    }

    fn raw(&self) -> &ffi::ap_socache_provider_t {
        // SAFETY: a provider struct is a static of its module, loaded for the configuration.
        unsafe { self.raw.as_ref() }
    }

    /// The provider's own name (`default` is `shmcb`).
    pub fn name(&self) -> &str {
        // SAFETY: a static string of the provider.
        unsafe { strings::to_str(self.raw().name) }.unwrap_or("?")
    }

    /// Whether calls may come from several processes and threads at once without a lock
    /// (no `AP_SOCACHE_FLAG_NOTMPSAFE`).
    pub fn is_mp_safe(&self) -> bool {
        self.raw().flags & ffi::AP_SOCACHE_FLAG_NOTMPSAFE == 0
    }
}

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
    max_value_len: usize,
    /// The provider reports a too-small buffer as "not found" (shmcb), so reads start with
    /// room for the largest value.
    hides_enospc: bool,
    /// The provider reports a missing key as a general error (dbm, whose DBM libraries fetch
    /// a missing key as an empty success).
    missing_is_egeneral: bool,
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

/// An unmanaged pool for one call's temporary allocations: thread-safe to make from any
/// thread, freed when dropped.
struct TempPool(*mut ffi::apr_pool_t);

impl TempPool {
    fn new() -> Option<TempPool> {
        let mut p = ptr::null_mut();
        // SAFETY: a pool with its own allocator and no parent.
        let rv = unsafe { ffi::apr_pool_create_unmanaged_ex(&mut p, None, ptr::null_mut()) };
        (rv == 0 && !p.is_null()).then_some(TempPool(p))
    }
}

impl Drop for TempPool {
    fn drop(&mut self) {
        // SAFETY: made above, destroyed once.
        unsafe { ffi::apr_pool_destroy(self.0) }
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
    /// file) and, when the provider needs a lock, a mutex of type `id`.
    pub fn create(pconf: &Pool, server: &Server, spec: &str, id: &str) -> Result<Cache, Error> {
        Cache::builder(spec, id).create(pconf, server)
    }

    /// Settings beyond [`Cache::create`]'s: mutex type, largest value, hints.
    pub fn builder(spec: &str, id: &str) -> CacheBuilder {
        CacheBuilder {
            spec: spec.to_string(),
            id: id.to_string(),
            mutex_type: None,
            mutex_instance: None,
            max_value_len: DEFAULT_MAX_VALUE_LEN,
            hints: None,
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
            if let Some(msg) = unsafe { strings::to_str(err) } {
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
            max_value_len: b.max_value_len,
            hides_enospc: provider.name() == "shmcb",
            missing_is_egeneral: provider.name() == "dbm",
        });
        // Destroyed before the pool frees what init allocated (cleanups run last-in first-out).
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

    /// Whether calls are serialised by a global mutex (the provider is not MP-safe).
    pub fn is_locked(&self) -> bool {
        self.inner.mutex.is_some()
    }

    /// The largest value stored or read, in bytes.
    pub fn max_value_len(&self) -> usize {
        self.inner.max_value_len
    }

    fn error(&self, what: String) -> Error {
        Error::internal(format!("socache {}: {what}", self.inner.spec))
    }

    /// Runs one provider call: on the live instance, under the mutex when there is one, with
    /// a temporary pool.
    fn call<R>(
        &self,
        f: impl FnOnce(&Live, *mut ffi::apr_pool_t) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let live = self.inner.live.read().unwrap_or_else(|e| e.into_inner());
        let Some(live) = live.as_ref() else {
            return Err(self.error("destroyed with its configuration (restart)".into()));
        };
        let _held = match &self.inner.mutex {
            Some(m) => Some(m.lock()?),
            None => None,
        };
        let pool = TempPool::new().ok_or_else(|| self.error("out of memory for a pool".into()))?;
        f(live, pool.0)
    }

    fn key_len(&self, key: &[u8]) -> Result<c_uint, Error> {
        c_uint::try_from(key.len()).map_err(|_| self.error("key too long".into()))
    }

    /// Stores `value` under `key` for `ttl`, replacing what was there. shmcb needs keys of at
    /// least 4 bytes. memcache and redis keep entries for whole seconds: for them `ttl` is
    /// rounded up to the next whole second (at least one).
    pub fn store(&self, key: &[u8], value: &[u8], ttl: Duration) -> Result<(), Error> {
        let klen = self.key_len(key)?;
        if value.len() > self.inner.max_value_len {
            return Err(self.error(format!(
                "a value of {} bytes is longer than the cache's limit of {}",
                value.len(),
                self.inner.max_value_len
            )));
        }
        if self.inner.provider_name == "shmcb" && key.len() < 4 {
            return Err(self.error(format!(
                "shmcb needs keys of at least 4 bytes, not {}",
                key.len()
            )));
        }
        // SAFETY: reads the clock.
        let now = unsafe { ffi::apr_time_now() };
        let expiry = now.saturating_add(expiry_micros(&self.inner.provider_name, ttl));
        // The provider takes a mutable pointer though it only reads: give it its own copy.
        let mut data = value.to_vec();
        self.call(|live, pool| {
            let store = live
                .provider
                .raw()
                .store
                .ok_or_else(|| self.error("no store".into()))?;
            // SAFETY: live instance; key and data are valid for their lengths during the call.
            let rv = unsafe {
                store(
                    live.instance,
                    live.server,
                    key.as_ptr(),
                    klen,
                    expiry,
                    data.as_mut_ptr(),
                    data.len() as c_uint,
                    pool,
                )
            };
            match rv {
                0 => Ok(()),
                rv => Err(self.error(format!(
                    "cannot store {} bytes: {}",
                    data.len(),
                    apr_strerror(rv)
                ))),
            }
        })
    }

    /// The value stored under `key`; `None` when there is none or it has expired.
    pub fn retrieve(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let klen = self.key_len(key)?;
        let max = self.inner.max_value_len;
        // Providers that report a too-small buffer get a bigger one; shmcb says "not found"
        // instead, so it gets room for the largest value at once (uninitialised, so cheap).
        let mut room = if self.inner.hides_enospc {
            max
        } else {
            max.min(4096)
        };
        self.call(|live, pool| {
            let retrieve = live
                .provider
                .raw()
                .retrieve
                .ok_or_else(|| self.error("no retrieve".into()))?;
            loop {
                let mut buf: Vec<u8> = Vec::with_capacity(room);
                let mut len = room as c_uint;
                // SAFETY: live instance; the provider writes at most `len` bytes into the
                // buffer's capacity and sets `len` to what it wrote.
                let rv = unsafe {
                    retrieve(
                        live.instance,
                        live.server,
                        key.as_ptr(),
                        klen,
                        buf.as_mut_ptr(),
                        &mut len,
                        pool,
                    )
                };
                match rv {
                    0 => {
                        // SAFETY: the provider initialised `len` bytes, at most the capacity.
                        unsafe { buf.set_len((len as usize).min(room)) };
                        buf.shrink_to_fit();
                        return Ok(Some(buf));
                    }
                    NOTFOUND => return Ok(None),
                    EGENERAL if self.inner.missing_is_egeneral => return Ok(None),
                    ENOSPC if room < max => room = max.min(room.saturating_mul(4)),
                    ENOSPC => {
                        return Err(self.error(format!(
                            "the value is longer than the cache's limit of {max} bytes"
                        )));
                    }
                    rv => return Err(self.error(format!("cannot retrieve: {}", apr_strerror(rv)))),
                }
            }
        })
    }

    /// Removes `key`; `false` when it was not there (dbm always answers `true`).
    pub fn remove(&self, key: &[u8]) -> Result<bool, Error> {
        let klen = self.key_len(key)?;
        self.call(|live, pool| {
            let remove = live
                .provider
                .raw()
                .remove
                .ok_or_else(|| self.error("no remove".into()))?;
            // SAFETY: live instance; the key is valid for its length.
            let rv = unsafe { remove(live.instance, live.server, key.as_ptr(), klen, pool) };
            match rv {
                0 => Ok(true),
                NOTFOUND => Ok(false),
                rv => Err(self.error(format!("cannot remove: {}", apr_strerror(rv)))),
            }
        })
    }

    /// Calls `f(key, value)` for every unexpired entry until it returns `false`. The cache is
    /// locked meanwhile (for providers that need a lock), so `f` must not use it: doing so is
    /// an error, not a deadlock. Providers that cannot iterate (memcache) give an error.
    pub fn iterate(&self, mut f: impl FnMut(&[u8], &[u8]) -> bool) -> Result<(), Error> {
        struct Ctx<'a> {
            f: &'a mut dyn FnMut(&[u8], &[u8]) -> bool,
            panic: Option<Box<dyn Any + Send>>,
        }
        unsafe extern "C" fn each(
            _instance: *mut ffi::ap_socache_instance_t,
            _s: *mut ffi::server_rec,
            userctx: *mut c_void,
            id: *const c_uchar,
            idlen: c_uint,
            data: *const c_uchar,
            datalen: c_uint,
            _pool: *mut ffi::apr_pool_t,
        ) -> ffi::apr_status_t {
            // SAFETY: userctx is the Ctx below, alive for the iterate call; id and data are
            // valid for their lengths during this callback.
            let (ctx, key, value) = unsafe {
                (
                    &mut *(userctx as *mut Ctx),
                    bytes(id, idlen),
                    bytes(data, datalen),
                )
            };
            let f = &mut ctx.f;
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(key, value))) {
                Ok(true) => 0,
                Ok(false) => STOP,
                Err(payload) => {
                    // Carried across the C frames and resumed once the provider has returned.
                    ctx.panic = Some(payload);
                    STOP
                }
            }
        }
        let mut ctx = Ctx {
            f: &mut f,
            panic: None,
        };
        let result = self.call(|live, pool| {
            let Some(iterate) = live.provider.raw().iterate else {
                return Err(self.error("the provider cannot iterate".into()));
            };
            // SAFETY: live instance; ctx outlives the call and `each` matches the callback type.
            let rv = unsafe {
                iterate(
                    live.instance,
                    live.server,
                    ptr::from_mut(&mut ctx).cast(),
                    Some(each),
                    pool,
                )
            };
            match rv {
                0 | STOP => Ok(()),
                ENOTIMPL => Err(self.error("the provider cannot iterate".into())),
                rv => Err(self.error(format!("cannot iterate: {}", apr_strerror(rv)))),
            }
        });
        if let Some(payload) = ctx.panic {
            std::panic::resume_unwind(payload);
        }
        result
    }
}

/// A byte slice from a provider's pointer and length (NULL or empty gives `&[]`).
///
/// # Safety
/// `p` is NULL or valid for `len` bytes for `'a`.
unsafe fn bytes<'a>(p: *const c_uchar, len: c_uint) -> &'a [u8] {
    if p.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: valid for len bytes for 'a (see # Safety).
        unsafe { std::slice::from_raw_parts(p, len as usize) }
    }
}

/// The `ttl` as the expiry offset to give `provider`, in microseconds. memcache and redis send
/// the whole seconds between the expiry and their own, later, reading of the clock: an offset
/// of exactly N seconds would reach the server as N-1, and one second as 0, which they refuse
/// (APR_EINVAL). So they get the ttl rounded up to whole seconds, plus just under a second
/// that their own rounding down takes away again.
fn expiry_micros(provider: &str, ttl: Duration) -> i64 {
    let whole_seconds = matches!(provider, "memcache" | "redis");
    let micros = if whole_seconds {
        let secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
        u128::from(secs.max(1)) * 1_000_000 + 999_000
    } else {
        ttl.as_micros()
    };
    i64::try_from(micros).unwrap_or(i64::MAX)
}
