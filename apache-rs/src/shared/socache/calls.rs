//! The provider's functions called on the live instance, under the cache's mutex when it has
//! one, each with a pool of its own; their statuses read as each provider means them.

use super::{Cache, Live};
use crate::core::{Error, apr_strerror};
use apache_sys as ffi;
use std::any::Any;
use std::borrow::Cow;
use std::cell::RefCell;
use std::os::raw::{c_uchar, c_uint, c_void};
use std::ptr;
use std::time::Duration;

const NOTFOUND: ffi::apr_status_t = ffi::APR_NOTFOUND as ffi::apr_status_t;
const ENOSPC: ffi::apr_status_t = ffi::APR_ENOSPC as ffi::apr_status_t;
const EGENERAL: ffi::apr_status_t = ffi::APR_EGENERAL as ffi::apr_status_t;
const EINVAL: ffi::apr_status_t = ffi::APR_EINVAL as ffi::apr_status_t;
const ENOTIMPL: ffi::apr_status_t = ffi::APR_ENOTIMPL as ffi::apr_status_t;
/// What our iterator callback returns to stop an iteration early.
const STOP: ffi::apr_status_t = ffi::APR_EOF as ffi::apr_status_t;

/// The key of the entry written to tell a missing key from a store that cannot be reached.
const PROBE_KEY: &[u8] = b"apache-rs:reachable";

/// An unmanaged pool for a call's temporary allocations: thread-safe to make from any thread,
/// freed when dropped.
struct TempPool(*mut ffi::apr_pool_t);

impl TempPool {
    fn new() -> Option<TempPool> {
        let mut p = ptr::null_mut();
        // SAFETY: a pool with its own allocator and no parent.
        let rv = unsafe { ffi::apr_pool_create_unmanaged_ex(&mut p, None, ptr::null_mut()) };
        (rv == 0 && !p.is_null()).then_some(TempPool(p))
    }

    fn clear(&self) {
        // SAFETY: our pool; what the last call allocated in it is no longer used.
        unsafe { ffi::apr_pool_clear(self.0) }
    }
}

impl Drop for TempPool {
    fn drop(&mut self) {
        // SAFETY: made above, destroyed once.
        unsafe { ffi::apr_pool_destroy(self.0) }
    }
}

/// What a thread's provider calls reuse: a pool, cleared after each call, and the buffer reads
/// land in. Made and freed for each call, they cost more than a shmcb lookup: glibc hands a
/// freed 64 KiB buffer back to the kernel, and the next call faults it in again.
#[derive(Default)]
struct Scratch {
    pool: Option<TempPool>,
    buf: Vec<u8>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

impl Cache {
    /// Runs one provider call: on the live instance, under the mutex when there is one, with
    /// the thread's pool and buffer (fresh ones when a call runs inside another, from an
    /// iterate callback).
    fn call<R>(
        &self,
        f: impl FnOnce(&Live, *mut ffi::apr_pool_t, &mut Vec<u8>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let live = self.inner.live.read().unwrap_or_else(|e| e.into_inner());
        let Some(live) = live.as_ref() else {
            return Err(self.error(500, "destroyed with its configuration (restart)".into()));
        };
        let _held = match &self.inner.mutex {
            Some(m) => Some(m.lock()?),
            None => None,
        };
        let no_pool = || self.error(500, "out of memory for a pool".into());
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => {
                let scratch = &mut *scratch;
                if scratch.pool.is_none() {
                    scratch.pool = Some(TempPool::new().ok_or_else(no_pool)?);
                }
                let pool = scratch.pool.as_ref().ok_or_else(no_pool)?;
                let result = f(live, pool.0, &mut scratch.buf);
                pool.clear();
                result
            }
            Err(_) => {
                let pool = TempPool::new().ok_or_else(no_pool)?;
                f(live, pool.0, &mut Vec::new())
            }
        })
    }

    /// The error of a failed `op`. A networked provider fails when it cannot reach its
    /// server or the server cannot serve (503); only an argument it refuses is ours (500).
    fn failed(&self, op: &str, rv: ffi::apr_status_t) -> Error {
        let quirks = &self.inner.quirks;
        if quirks.networked && rv == NOTFOUND {
            return self.error(
                503,
                format!(
                    "cannot {op}: no server of the store answers (APR-util tries a failed \
                     server again after 5 seconds)"
                ),
            );
        }
        let status = if quirks.networked && rv != EINVAL {
            503
        } else {
            500
        };
        self.error(status, format!("cannot {op}: {}", apr_strerror(rv)))
    }

    pub(super) fn store_now(&self, key: &[u8], value: &[u8], ttl: Duration) -> Result<(), Error> {
        match self.store_status(key, value, ttl)? {
            0 => Ok(()),
            rv => Err(self.failed(&format!("store {} bytes", value.len()), rv)),
        }
    }

    /// The provider's status for storing `value`; `Err` only for what fails before the call.
    fn store_status(
        &self,
        key: &[u8],
        value: &[u8],
        ttl: Duration,
    ) -> Result<ffi::apr_status_t, Error> {
        let key = &*self.provider_key(key);
        let klen = self.key_len(key)?;
        // SAFETY: reads the clock.
        let now = unsafe { ffi::apr_time_now() };
        let expiry = now.saturating_add(expiry_micros(self.inner.quirks.networked, ttl));
        // The provider takes a mutable pointer though it only reads: give it its own copy.
        let mut data = value.to_vec();
        self.call(|live, pool, _| {
            let store = live
                .provider
                .raw()
                .store
                .ok_or_else(|| self.error(500, "no store".into()))?;
            // SAFETY: live instance; key and data are valid for their lengths during the call.
            Ok(unsafe {
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
            })
        })
    }

    pub(super) fn retrieve_now(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let key = &*self.provider_key(key);
        let klen = self.key_len(key)?;
        let max = self.inner.max_value_len;
        // Providers that report a too-small buffer get a bigger one; shmcb says "not found"
        // instead, so it gets room for the largest value at once. The buffer is the thread's,
        // kept from call to call: it grows to the largest value read, once.
        let mut room = if self.inner.quirks.hides_enospc {
            max
        } else {
            max.min(4096)
        };
        let found = self.call(|live, pool, buf| {
            let retrieve = live
                .provider
                .raw()
                .retrieve
                .ok_or_else(|| self.error(500, "no retrieve".into()))?;
            loop {
                buf.clear();
                buf.reserve(room);
                let mut len = room as c_uint;
                // SAFETY: live instance; the provider writes at most `len` bytes into the
                // buffer's capacity (at least `room`) and sets `len` to what it wrote.
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
                        return Ok(Some(buf.to_vec()));
                    }
                    NOTFOUND => return Ok(None),
                    EGENERAL if self.inner.quirks.missing_is_egeneral => return Ok(None),
                    ENOSPC if room < max => room = max.min(room.saturating_mul(4)),
                    ENOSPC => {
                        return Err(self.error(
                            500,
                            format!("the value is longer than the cache's limit of {max} bytes"),
                        ));
                    }
                    rv => return Err(self.failed("retrieve", rv)),
                }
            }
        })?;
        if found.is_none() {
            self.confirm_miss("retrieve")?;
        }
        Ok(found)
    }

    pub(super) fn remove_now(&self, key: &[u8]) -> Result<bool, Error> {
        let key = &*self.provider_key(key);
        let klen = self.key_len(key)?;
        let removed = self.call(|live, pool, _| {
            let remove = live
                .provider
                .raw()
                .remove
                .ok_or_else(|| self.error(500, "no remove".into()))?;
            // SAFETY: live instance; the key is valid for its length.
            let rv = unsafe { remove(live.instance, live.server, key.as_ptr(), klen, pool) };
            match rv {
                0 => Ok(true),
                NOTFOUND => Ok(false),
                rv => Err(self.failed("remove", rv)),
            }
        })?;
        if !removed {
            self.confirm_miss("remove")?;
        }
        Ok(removed)
    }

    /// A networked provider answers "not found" for every key while it counts all its servers
    /// as down: a miss stands once a store has succeeded, else the store is unavailable (503).
    /// Only misses pay for this.
    fn confirm_miss(&self, op: &str) -> Result<(), Error> {
        if !self.inner.quirks.networked {
            return Ok(());
        }
        match self.store_status(PROBE_KEY, b"1", Duration::from_secs(1))? {
            0 => Ok(()),
            rv => Err(self.failed(op, rv)),
        }
    }

    pub(super) fn iterate_now(&self, f: &mut dyn FnMut(&[u8], &[u8]) -> bool) -> Result<(), Error> {
        struct Ctx<'a> {
            f: &'a mut dyn FnMut(&[u8], &[u8]) -> bool,
            panic: Option<Box<dyn Any + Send>>,
            /// The provider's keys carry the spreading byte (`provider_key`), not the caller's.
            spread: bool,
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
            let key = match key.split_first() {
                Some((_, rest)) if ctx.spread => rest,
                _ => key,
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
        let cannot = || {
            self.error(
                501,
                format!(
                    "{} cannot list its entries (iterate is not implemented)",
                    self.inner.provider_name
                ),
            )
        };
        let mut ctx = Ctx {
            f,
            panic: None,
            spread: self.inner.quirks.spreads_by_first_byte,
        };
        let result = self.call(|live, pool, _| {
            let Some(iterate) = live.provider.raw().iterate else {
                return Err(cannot());
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
                ENOTIMPL => Err(cannot()),
                rv => Err(self.failed("iterate", rv)),
            }
        });
        if let Some(payload) = ctx.panic {
            std::panic::resume_unwind(payload);
        }
        result
    }
}

impl Cache {
    /// The key as the provider is given it: behind a byte spread by a hash of the key for a
    /// provider that picks the subcache by the first byte (shmcb; see
    /// `Quirks::spreads_by_first_byte`), else as it is.
    fn provider_key<'k>(&self, key: &'k [u8]) -> Cow<'k, [u8]> {
        if !self.inner.quirks.spreads_by_first_byte {
            return Cow::Borrowed(key);
        }
        let mut spread = Vec::with_capacity(key.len() + 1);
        spread.push(spread_byte(key));
        spread.extend_from_slice(key);
        Cow::Owned(spread)
    }
}

/// One byte of an FNV-1a hash of `key`, every bit of the hash folded in, so that keys which
/// differ anywhere differ in it as often as chance allows.
fn spread_byte(key: &[u8]) -> u8 {
    let hash = key.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let [a, b, c, d] = hash.to_le_bytes();
    a ^ b ^ c ^ d
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

/// The `ttl` as the expiry offset to give a provider, in microseconds. memcache and redis
/// (`whole_seconds`) send the whole seconds between the expiry and their own, later, reading
/// of the clock: an offset of exactly N seconds would reach the server as N-1, and one second
/// as 0, which they refuse (APR_EINVAL). So they get the ttl rounded up to whole seconds, plus
/// just under a second that their own rounding down takes away again.
fn expiry_micros(whole_seconds: bool, ttl: Duration) -> i64 {
    let micros = if whole_seconds {
        let secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
        u128::from(secs.max(1)) * 1_000_000 + 999_000
    } else {
        ttl.as_micros()
    };
    i64::try_from(micros).unwrap_or(i64::MAX)
}
