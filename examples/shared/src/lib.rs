//! `mod_shared`: state shared by every child process, through a small-object cache (socache)
//! and global mutexes.
//!
//! `SharedCache <provider[:argument]>` chooses the cache (default `shmcb`, which needs
//! `LoadModule socache_shmcb_module`; `memcache:host:port` and `redis:host:port` keep it in
//! servers); `SharedCacheTimeout <seconds>` bounds each cache call (default: no limit);
//! `SharedLocks <n>` the number of global mutexes (default 4); `SharedAttach Off` skips
//! `child_init`, to show the error a child then gets. A cache error is answered with its
//! status: 503 when a memcache or redis store cannot be reached or does not answer in time.
//! Under `SetHandler shared`:
//!
//! - `GET /shared/counter/<name>` adds one to a counter kept in the cache, under the global
//!   mutex its name hashes to, and answers `<count> pid=<pid>`; with `?explicit` it locks
//!   with `acquire`/`release` instead of a guard.
//! - `PUT /shared/kv/<key>?ttl_ms=<n>` stores the body (default time to live: one minute),
//!   `GET` gives it back (404 when missing or expired), `DELETE` removes it, and
//!   `GET /shared/kv` lists the keys and value lengths (`iterate`; `?panic` panics inside it;
//!   501 for memcache and redis, which cannot list their entries).
//!   Counters are the keys `counter:<name>`.
//! - `GET /shared/lock/<i>?hold_ms=<n>` holds mutex `i` that long; `?try` says whether it is
//!   `free` or `busy`; `?twice` and `?release` show the errors for locking a mutex twice and
//!   releasing one not held.
//!
//! Everything in the cache is lost on restart: the cache lives in the configuration pool.
#![forbid(unsafe_code)]

use apache::module::{Context, Directive, ModuleConfig};
use apache::shared::PerConfig;
use apache::shared::mutex::{self, MutexSet};
use apache::shared::socache::Cache;
use apache::{Error, HookResult, Pool, Request, Server, Status};
use std::io::Write;
use std::time::Duration;

/// Per-server settings; only the main server's are used (the cache is server-wide).
#[derive(Default, Clone)]
struct Conf {
    cache: Option<String>,
    timeout: Option<Duration>,
    locks: Option<usize>,
    attach: Option<bool>,
}

impl ModuleConfig for Conf {
    fn create(_: Option<&str>) -> Self {
        Conf::default()
    }

    fn merge(base: &Self, add: &Self) -> Self {
        Conf {
            cache: add.cache.clone().or_else(|| base.cache.clone()),
            timeout: add.timeout.or(base.timeout),
            locks: add.locks.or(base.locks),
            attach: add.attach.or(base.attach),
        }
    }
}

apache::module!(shared_module, file: "mod_shared.c", server_config: Conf);

apache::directive!(server SharedCache, take1, |_: &mut Directive, c: &mut Conf, v: &str| {
    c.cache = Some(v.to_string());
    Ok(())
}, Context::RSRC_CONF, "socache provider and argument, e.g. shmcb or shmcb:/path(512000)");
apache::directive!(server SharedCacheTimeout, take1, |_: &mut Directive, c: &mut Conf, v: &str| {
    match v.parse::<f64>().ok().and_then(|s| Duration::try_from_secs_f64(s).ok()) {
        Some(limit) => {
            c.timeout = Some(limit);
            Ok(())
        }
        None => Err(format!("SharedCacheTimeout: {v:?} is not a number of seconds").into()),
    }
}, Context::RSRC_CONF, "the longest a cache call may take, in seconds (0: no limit)");
apache::directive!(server SharedLocks, take1, |_: &mut Directive, c: &mut Conf, v: &str| {
    match v.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => {
            c.locks = Some(n);
            Ok(())
        }
        _ => Err(format!("SharedLocks: {v:?} is not a number from 1 to 256").into()),
    }
}, Context::RSRC_CONF, "how many global mutexes (1 to 256)");

apache::directive!(server SharedAttach, flag, |_: &mut Directive, c: &mut Conf, on: bool| {
    c.attach = Some(on);
    Ok(())
}, Context::RSRC_CONF, "Off skips child_init, to show the error a child then gets (default On)");

apache::hook!(pre_config, register_mutexes);
apache::hook!(post_config, create_shared);
apache::hook!(child_init, attach);
apache::hook!(handler, serve);

/// The mutex types; `Mutex <mechanism> shared-cache` configures them.
const CACHE_MUTEX: &str = "shared-cache";
const LOCK_MUTEX: &str = "shared-lock";

static CACHE: PerConfig<Cache> = PerConfig::new();
static LOCKS: PerConfig<MutexSet> = PerConfig::new();

fn register_mutexes(pconf: &Pool, _plog: &Pool) -> HookResult {
    mutex::register(pconf, CACHE_MUTEX)?;
    mutex::register(pconf, LOCK_MUTEX)?;
    Ok(Status::Ok)
}

fn create_shared(pconf: &Pool, _plog: &Pool, s: &Server) -> HookResult {
    let conf = s.module_config::<ThisModule>().cloned().unwrap_or_default();
    let spec = conf.cache.as_deref().unwrap_or("shmcb");
    let cache = Cache::builder(spec, "mod_shared")
        .mutex_type(CACHE_MUTEX)
        .timeout(conf.timeout.unwrap_or_default())
        .create(pconf, s)?;
    CACHE.set(pconf, cache);
    let locks = MutexSet::create(pconf, s, LOCK_MUTEX, conf.locks.unwrap_or(4))?;
    LOCKS.set(pconf, locks);
    Ok(Status::Ok)
}

fn attach(pchild: &Pool, s: &Server) {
    if s.module_config::<ThisModule>().and_then(|c| c.attach) == Some(false) {
        return;
    }
    let results = [
        CACHE.with(|c| c.child_init(pchild)),
        LOCKS.with(|l| l.child_init(pchild)),
    ];
    for e in results.into_iter().flatten().filter_map(Result::err) {
        apache::log::error!("{e}");
    }
}

fn cache() -> Result<Cache, Error> {
    CACHE
        .get()
        .ok_or_else(|| Error::internal("mod_shared: no cache"))
}

fn locks() -> Result<MutexSet, Error> {
    LOCKS
        .get()
        .ok_or_else(|| Error::internal("mod_shared: no locks"))
}

fn serve(r: &mut Request) -> HookResult {
    if r.handler() != Some("shared") {
        return Ok(Status::Declined);
    }
    let uri = r.uri().unwrap_or("").to_string();
    let args = r.args().unwrap_or("").to_string();
    let rest = uri.strip_prefix("/shared/").unwrap_or("");
    let (what, name) = rest.split_once('/').unwrap_or((rest, ""));
    let method = r.method().unwrap_or("").to_string();
    match (method.as_str(), what) {
        ("GET", "counter") if !name.is_empty() => count(r, name, args == "explicit"),
        ("GET", "kv") if name.is_empty() => list(r, &args),
        (_, "kv") if !name.is_empty() => key_value(r, &method, name, &args),
        ("GET", "lock") => lock(r, name, &args),
        _ => Ok(Status::Http(404)),
    }
}

fn reply(r: &mut Request, status: u16, body: &str) -> HookResult {
    r.set_status(status);
    r.set_content_type("text/plain");
    r.write_all(body.as_bytes())?;
    Ok(Status::Ok)
}

/// Which mutex guards a counter: a stable hash of its name.
fn lock_index(name: &str, n: usize) -> usize {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (h % n as u64) as usize
}

/// Reads, adds one, stores: three cache calls that only a lock makes one step.
fn increment(cache: &Cache, key: &str) -> Result<u64, Error> {
    let now = match cache.retrieve(key.as_bytes())? {
        Some(v) => String::from_utf8_lossy(&v).parse::<u64>().unwrap_or(0),
        None => 0,
    } + 1;
    cache.store(
        key.as_bytes(),
        now.to_string().as_bytes(),
        Duration::from_secs(3600),
    )?;
    Ok(now)
}

fn count(r: &mut Request, name: &str, explicit: bool) -> HookResult {
    let (cache, locks) = (cache()?, locks()?);
    let key = format!("counter:{name}");
    let i = lock_index(name, locks.len());
    let n = if explicit {
        // The form for callers whose lock and unlock are separate calls (mod_python).
        locks.acquire(i)?;
        let n = increment(&cache, &key);
        locks.release(i)?;
        n?
    } else {
        let _held = locks.lock(i)?;
        increment(&cache, &key)?
    };
    reply(r, 200, &format!("{n} pid={}\n", std::process::id()))
}

fn key_value(r: &mut Request, method: &str, key: &str, args: &str) -> HookResult {
    let cache = cache()?;
    match method {
        "PUT" => {
            let ttl_ms = args
                .strip_prefix("ttl_ms=")
                .map(|v| v.parse::<u64>().map_err(|_| Error::new(400, "bad ttl_ms")))
                .transpose()?
                .unwrap_or(60_000);
            let body = r.read_body()?;
            cache.store(key.as_bytes(), &body, Duration::from_millis(ttl_ms))?;
            reply(r, 201, "stored\n")
        }
        "GET" => match cache.retrieve(key.as_bytes())? {
            Some(v) => {
                r.set_content_type("application/octet-stream");
                r.write_all(&v)?;
                Ok(Status::Ok)
            }
            None => Ok(Status::Http(404)),
        },
        "DELETE" => match cache.remove(key.as_bytes())? {
            true => reply(r, 200, "removed\n"),
            false => Ok(Status::Http(404)),
        },
        _ => Ok(Status::Http(405)),
    }
}

fn list(r: &mut Request, args: &str) -> HookResult {
    let panic = args == "panic";
    let mut keys = Vec::new();
    cache()?.iterate(|k, v| {
        // A panic in the callback reaches the hook (a 500) once the cache is unlocked.
        assert!(!panic, "panic while listing, as asked");
        keys.push(format!("{} {}\n", String::from_utf8_lossy(k), v.len()));
        true
    })?;
    keys.sort();
    reply(r, 200, &keys.concat())
}

fn lock(r: &mut Request, index: &str, args: &str) -> HookResult {
    let locks = locks()?;
    let i: usize = index.parse().map_err(|_| Error::new(404, "no such lock"))?;
    let (key, value) = args.split_once('=').unwrap_or((args, ""));
    let text = match key {
        "hold_ms" => {
            let ms = value.parse().map_err(|_| Error::new(400, "bad hold_ms"))?;
            let _held = locks.lock(i)?;
            std::thread::sleep(Duration::from_millis(ms));
            "held\n".to_string()
        }
        "try" => match locks.try_lock(i)? {
            Some(_held) => "free\n".to_string(),
            None => "busy\n".to_string(),
        },
        "twice" => {
            let _held = locks.lock(i)?;
            match locks.lock(i) {
                Ok(_) => "locked twice?!\n".to_string(),
                Err(e) => format!("{}\n", e.message),
            }
        }
        "release" => match locks.release(i) {
            Ok(()) => "released?!\n".to_string(),
            Err(e) => format!("{}\n", e.message),
        },
        _ => return Ok(Status::Http(400)),
    };
    reply(r, 200, &text)
}
