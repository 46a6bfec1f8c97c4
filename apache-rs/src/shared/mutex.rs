//! Global mutexes: one lock shared by every process and thread of the server
//! (`util_mutex.h`, `apr_global_mutex.h`).
//!
//! A global mutex follows httpd's lifecycle in three steps:
//!
//! 1. `pre_config`: [`register`] its *type*, so the `Mutex` directive can choose its mechanism
//!    and directory (`Mutex flock:/run/lock my-type`); unset, httpd's default applies.
//! 2. `post_config` (in the parent): [`GlobalMutex::create`] makes it in the configuration pool;
//!    keep it in a [`crate::shared::PerConfig`]. Children inherit it through `fork`.
//! 3. `child_init`: [`GlobalMutex::child_init`] re-attaches it in each child (file-based
//!    mechanisms reopen their file). A mutex used in a child before that is refused with an
//!    error rather than used half-attached.
//!
//! [`GlobalMutex::lock`] and [`GlobalMutex::try_lock`] give a guard that unlocks when dropped.
//! The lock excludes other processes (prefork) and other threads of the same process
//! (worker, event). It is not re-entrant: a thread that locks a mutex it already holds gets an
//! error instead of a deadlock.
//!
//! For callers whose lock and unlock are separate calls that a Rust scope cannot span (mod_python's
//! `_global_lock` / `_global_unlock`), [`GlobalMutex::acquire`] and [`GlobalMutex::release`] hold
//! and let go without a guard. The thread that acquired must be the one that releases; any other
//! thread gets an error. [`MutexSet`] is a fixed number of mutexes of one type picked by index,
//! as mod_python's global locks are.
//!
//! ```no_run
//! use apache::shared::mutex::{self, GlobalMutex};
//! use apache::shared::PerConfig;
//! use apache::{HookResult, Pool, Request, Server, Status};
//!
//! static LOCK: PerConfig<GlobalMutex> = PerConfig::new();
//!
//! apache::module!(demo_module);
//! apache::hook!(pre_config, |pconf: &Pool, _: &Pool| {
//!     mutex::register(pconf, "demo-lock")?;
//!     Ok(Status::Ok)
//! });
//! apache::hook!(post_config, |pconf: &Pool, _: &Pool, s: &Server| {
//!     LOCK.set(pconf, GlobalMutex::create(pconf, s, "demo-lock", None)?);
//!     Ok(Status::Ok)
//! });
//! apache::hook!(child_init, |pchild: &Pool, _: &Server| {
//!     if let Some(Err(e)) = LOCK.with(|m| m.child_init(pchild)) {
//!         apache::log::error!("{e}");
//!     }
//! });
//! apache::hook!(handler, |r: &mut Request| {
//!     let lock = LOCK.get().ok_or_else(|| apache::Error::internal("no lock"))?;
//!     let _held = lock.lock()?;
//!     // ... only one request of the whole server is here at a time ...
//!     Ok(Status::Declined)
//! });
//! # fn main() {}
//! ```

use crate::apr::Pool;
use crate::core::apr_strerror;
use crate::core::{Error, strings};
use crate::server::Server;
use apache_sys as ffi;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Registers a mutex type in `pre_config` (`ap_mutex_register`), so that the `Mutex` directive
/// can configure it and [`GlobalMutex::create`] can make mutexes of it. The type names lock
/// files and appears in the directive: use the module's name, e.g. `"mymod-cache"`.
pub fn register(pconf: &Pool, mutex_type: &str) -> Result<(), Error> {
    // httpd keeps the name in its table for the life of the configuration pool.
    let name = pconf.c_str(mutex_type);
    // SAFETY: a pool string for the type; a NULL directory and the default mechanism let the
    // Mutex directive (or httpd's defaults) decide.
    let rv = unsafe {
        ffi::ap_mutex_register(pconf.as_ptr(), name, ptr::null(), ffi::APR_LOCK_DEFAULT, 0)
    };
    match rv {
        0 => Ok(()),
        rv => Err(Error::internal(format!(
            "cannot register mutex type {mutex_type}: {}",
            apr_strerror(rv)
        ))),
    }
}

/// The identity of the calling thread (`pthread_self`), to know who holds a lock.
fn current_thread() -> ffi::apr_os_thread_t {
    // SAFETY: only reads the calling thread's id.
    unsafe { ffi::apr_os_thread_current() }
}

/// The raw mutex; `None` once the configuration pool that owns it was cleared.
struct Raw(*mut ffi::apr_global_mutex_t);

// SAFETY: an apr_global_mutex_t is made to be locked from any thread and process; the pointer
// is only dereferenced by APR's locking functions.
unsafe impl Send for Raw {}
// SAFETY: as above.
unsafe impl Sync for Raw {}

struct Inner {
    /// Read-locked for every call into APR, write-locked to forget a destroyed mutex, so no
    /// call can run on one.
    raw: RwLock<Option<Raw>>,
    /// The thread of this process that holds the lock, if any.
    owner: Mutex<Option<ffi::apr_os_thread_t>>,
    /// The process where the mutex may be used: its creator, then each child after child_init.
    attached_pid: AtomicU32,
    /// `type` or `type-instance`, for messages.
    label: String,
}

/// A cross-process, cross-thread mutex; a cheap handle (clones share the mutex). See the
/// [module documentation](self).
#[derive(Clone)]
pub struct GlobalMutex {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for GlobalMutex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GlobalMutex({})", self.inner.label)
    }
}

impl GlobalMutex {
    /// Makes a mutex of a registered type in `post_config` (`ap_global_mutex_create`), owned
    /// by `pconf`. `instance` tells mutexes of one type apart (it is part of a lock file's name).
    pub fn create(
        pconf: &Pool,
        server: &Server,
        mutex_type: &str,
        instance: Option<&str>,
    ) -> Result<GlobalMutex, Error> {
        let label = match instance {
            Some(i) => format!("{mutex_type}-{i}"),
            None => mutex_type.to_string(),
        };
        let ty = pconf.c_str(mutex_type);
        let inst = instance.map_or(ptr::null(), |i| pconf.c_str(i));
        let mut raw = ptr::null_mut();
        // SAFETY: strings live in pconf; httpd makes the mutex in pconf and registers its
        // destruction there.
        let rv = unsafe {
            ffi::ap_global_mutex_create(
                &mut raw,
                ptr::null_mut(),
                ty,
                inst,
                server.as_ptr(),
                pconf.as_ptr(),
                0,
            )
        };
        if rv != 0 {
            let hint = if rv == ffi::APR_EINVAL as ffi::apr_status_t {
                format!(
                    " (is the type registered in pre_config with apache::shared::mutex::register(pconf, \"{mutex_type}\")?)"
                )
            } else {
                String::new()
            };
            return Err(Error::internal(format!(
                "cannot create global mutex {label}: {}{hint}",
                apr_strerror(rv)
            )));
        }
        if raw.is_null() {
            // Only types registered with AP_MUTEX_ALLOW_NONE can be configured to "none".
            return Err(Error::internal(format!(
                "global mutex {label} is configured as \"none\""
            )));
        }
        let inner = Arc::new(Inner {
            raw: RwLock::new(Some(Raw(raw))),
            owner: Mutex::new(None),
            attached_pid: AtomicU32::new(std::process::id()),
            label,
        });
        // httpd destroys the mutex with the pool (a cleanup registered before this one, so run
        // after it): forget it first.
        let weak = Arc::downgrade(&inner);
        pconf.on_cleanup(move || {
            if let Some(inner) = weak.upgrade() {
                *inner.raw.write().unwrap_or_else(|e| e.into_inner()) = None;
            }
        });
        Ok(GlobalMutex { inner })
    }

    /// Re-attaches the mutex in a new child (`apr_global_mutex_child_init`); call it from
    /// `child_init` with the child's pool. Until then the child cannot lock it.
    pub fn child_init(&self, pchild: &Pool) -> Result<(), Error> {
        let mut guard = self.inner.raw.write().unwrap_or_else(|e| e.into_inner());
        let Some(raw) = guard.as_mut() else {
            return Err(self.gone());
        };
        // SAFETY: a live mutex; the lock file name (or NULL) belongs to the mutex; the child
        // pool outlives every use in this child. APR may replace the pointer it is given.
        let rv = unsafe {
            let fname = ffi::apr_global_mutex_lockfile(raw.0);
            ffi::apr_global_mutex_child_init(&mut raw.0, fname, pchild.as_ptr())
        };
        if rv != 0 {
            return Err(Error::internal(format!(
                "cannot attach global mutex {} in child {}: {}",
                self.inner.label,
                std::process::id(),
                apr_strerror(rv)
            )));
        }
        self.inner
            .attached_pid
            .store(std::process::id(), Ordering::Release);
        Ok(())
    }

    /// `type` or `type-instance`.
    pub fn name(&self) -> &str {
        &self.inner.label
    }

    /// The locking mechanism httpd chose (`flock`, `fcntl`, `sysvsem`, `posixsem`,
    /// `pthread`), as the `Mutex` directive names it.
    pub fn mechanism(&self) -> Option<String> {
        let guard = self.inner.raw.read().unwrap_or_else(|e| e.into_inner());
        let raw = guard.as_ref()?;
        // SAFETY: a live mutex; the name is a static string.
        unsafe { strings::to_str(ffi::apr_global_mutex_name(raw.0)) }.map(str::to_string)
    }

    /// Waits for the lock; the guard unlocks it when dropped.
    pub fn lock(&self) -> Result<MutexGuard<'_>, Error> {
        self.acquire()?;
        Ok(MutexGuard::new(self))
    }

    /// Takes the lock if it is free at once; `None` when another thread or process holds it.
    pub fn try_lock(&self) -> Result<Option<MutexGuard<'_>>, Error> {
        Ok(self.try_acquire()?.then(|| MutexGuard::new(self)))
    }

    /// Waits for the lock and keeps it until [`GlobalMutex::release`], without a guard: for
    /// callers whose lock and unlock are separate calls. The same thread must release it.
    pub fn acquire(&self) -> Result<(), Error> {
        self.take(true).map(|_| ())
    }

    /// Like [`GlobalMutex::acquire`] without waiting: `false` when the lock is busy.
    pub fn try_acquire(&self) -> Result<bool, Error> {
        self.take(false)
    }

    /// Lets go of a lock this thread took with [`GlobalMutex::acquire`]; an error (and no
    /// unlock) when this thread does not hold it.
    pub fn release(&self) -> Result<(), Error> {
        {
            let mut owner = self.inner.owner.lock().unwrap_or_else(|e| e.into_inner());
            if *owner != Some(current_thread()) {
                return Err(Error::internal(format!(
                    "global mutex {} is not held by this thread: nothing to unlock",
                    self.inner.label
                )));
            }
            *owner = None;
        }
        let guard = self.inner.raw.read().unwrap_or_else(|e| e.into_inner());
        // A mutex destroyed with its pool has nothing left to unlock.
        let Some(raw) = guard.as_ref() else {
            return Ok(());
        };
        // SAFETY: a live mutex this thread locked (checked above).
        match unsafe { ffi::apr_global_mutex_unlock(raw.0) } {
            0 => Ok(()),
            rv => Err(Error::internal(format!(
                "cannot unlock global mutex {}: {}",
                self.inner.label,
                apr_strerror(rv)
            ))),
        }
    }

    /// Whether the calling thread holds the lock.
    pub fn held_by_me(&self) -> bool {
        *self.inner.owner.lock().unwrap_or_else(|e| e.into_inner()) == Some(current_thread())
    }

    fn gone(&self) -> Error {
        Error::internal(format!(
            "global mutex {} was destroyed with its configuration (restart)",
            self.inner.label
        ))
    }

    /// Locks (waiting or not); `Ok(false)` when not waiting and busy.
    fn take(&self, wait: bool) -> Result<bool, Error> {
        let pid = std::process::id();
        if self.inner.attached_pid.load(Ordering::Acquire) != pid {
            return Err(Error::internal(format!(
                "global mutex {} is used in process {pid} without child_init: call its \
                 child_init from the module's child_init hook",
                self.inner.label
            )));
        }
        let me = current_thread();
        if *self.inner.owner.lock().unwrap_or_else(|e| e.into_inner()) == Some(me) {
            return Err(Error::internal(format!(
                "global mutex {} is already held by this thread: locking it again would \
                 deadlock",
                self.inner.label
            )));
        }
        // The read lock is held while waiting, so the mutex cannot be destroyed under a waiter.
        let guard = self.inner.raw.read().unwrap_or_else(|e| e.into_inner());
        let Some(raw) = guard.as_ref() else {
            return Err(self.gone());
        };
        // SAFETY: a live, attached mutex.
        let rv = unsafe {
            if wait {
                ffi::apr_global_mutex_lock(raw.0)
            } else {
                ffi::apr_global_mutex_trylock(raw.0)
            }
        };
        if !wait && rv == ffi::APR_EBUSY as ffi::apr_status_t {
            return Ok(false);
        }
        if rv != 0 {
            return Err(Error::internal(format!(
                "cannot lock global mutex {}: {}",
                self.inner.label,
                apr_strerror(rv)
            )));
        }
        *self.inner.owner.lock().unwrap_or_else(|e| e.into_inner()) = Some(me);
        Ok(true)
    }
}

/// Holds a [`GlobalMutex`] locked; unlocks when dropped. It stays on the thread that locked
/// (not `Send`): only that thread may unlock.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a> {
    mutex: &'a GlobalMutex,
    _thread: PhantomData<*const ()>,
}

impl<'a> MutexGuard<'a> {
    fn new(mutex: &'a GlobalMutex) -> Self {
        MutexGuard {
            mutex,
            _thread: PhantomData,
        }
    }

    /// The mutex held.
    pub fn mutex(&self) -> &GlobalMutex {
        self.mutex
    }
}

impl Drop for MutexGuard<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.mutex.release() {
            crate::core::logging::log(crate::core::logging::Level::Error, &e.message);
        }
    }
}

/// A fixed number of global mutexes of one type, picked by index (instances `"0"`, `"1"`, ...),
/// like mod_python's global locks. A cheap handle; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct MutexSet {
    mutexes: Arc<[GlobalMutex]>,
}

impl MutexSet {
    /// Makes `count` mutexes of a registered type in `post_config`.
    pub fn create(
        pconf: &Pool,
        server: &Server,
        mutex_type: &str,
        count: usize,
    ) -> Result<MutexSet, Error> {
        if count == 0 {
            return Err(Error::internal(format!(
                "a set of global mutexes {mutex_type} needs at least one"
            )));
        }
        let mutexes = (0..count)
            .map(|i| GlobalMutex::create(pconf, server, mutex_type, Some(&i.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MutexSet {
            mutexes: mutexes.into(),
        })
    }

    /// Re-attaches every mutex in a new child; call it from `child_init`.
    pub fn child_init(&self, pchild: &Pool) -> Result<(), Error> {
        self.mutexes.iter().try_for_each(|m| m.child_init(pchild))
    }

    /// How many mutexes there are.
    pub fn len(&self) -> usize {
        self.mutexes.len()
    }

    /// Never: a set has at least one mutex.
    pub fn is_empty(&self) -> bool {
        self.mutexes.is_empty()
    }

    /// The mutex at `index`; an error naming the range when there is none.
    pub fn get(&self, index: usize) -> Result<&GlobalMutex, Error> {
        self.mutexes.get(index).ok_or_else(|| {
            Error::internal(format!(
                "no global mutex {index}: the set has {} (0 to {})",
                self.len(),
                self.len() - 1
            ))
        })
    }

    /// [`GlobalMutex::lock`] on the mutex at `index`.
    pub fn lock(&self, index: usize) -> Result<MutexGuard<'_>, Error> {
        self.get(index)?.lock()
    }

    /// [`GlobalMutex::try_lock`] on the mutex at `index`.
    pub fn try_lock(&self, index: usize) -> Result<Option<MutexGuard<'_>>, Error> {
        self.get(index)?.try_lock()
    }

    /// [`GlobalMutex::acquire`] on the mutex at `index`: held until [`MutexSet::release`].
    pub fn acquire(&self, index: usize) -> Result<(), Error> {
        self.get(index)?.acquire()
    }

    /// [`GlobalMutex::try_acquire`] on the mutex at `index`.
    pub fn try_acquire(&self, index: usize) -> Result<bool, Error> {
        self.get(index)?.try_acquire()
    }

    /// [`GlobalMutex::release`] on the mutex at `index`.
    pub fn release(&self, index: usize) -> Result<(), Error> {
        self.get(index)?.release()
    }
}
