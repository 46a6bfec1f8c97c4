//! The shared object caches behind `mod_python.Session.SocacheSession` (through
//! `_apache.socache_*`, in `apache_module/session_cache.rs`): httpd socache
//! providers (`shmcb`, `dbm`, `memcache`, `redis`) named by
//! `PythonOption mod_python.session.socache "<provider>[:<argument>]"` at server level (main
//! server or `<VirtualHost>`).
//!
//! The caches are made in the parent at `post_config`, because shmcb's shared memory must
//! exist before the fork to be shared by the children, and attached in each child at
//! `child_init`. Servers naming the same cache share one instance: two shmcb instances on one
//! file, or two views of one memcache, would only fight over the same entries. Python finds a
//! cache by the option's value, which every request sees through `req.get_options()`.
//!
//! An unknown provider fails `httpd -t` already (`check_config`); a bad argument fails
//! start-up (`post_config`, where the provider parses it).
//!
//! memcache and redis are stores several httpd share: their caches have one namespace in every
//! server (`mp_session`), so that servers behind a balancer see each other's sessions, and a
//! time limit on every call (`PythonOption mod_python.session.socache_timeout`, 5 seconds
//! unless set), since neither provider bounds a wait for a server that hangs.

use apache::shared::PerConfig;
use apache::shared::mutex;
use apache::shared::socache::{Cache, Hints, Provider};
use apache::{Error, HookResult, Order, Pool, Server, Status};
use std::collections::HashMap;
use std::time::Duration;

/// The `PythonOption` naming the cache.
pub const OPTION: &str = "mod_python.session.socache";
/// The `PythonOption` giving the longest a cache call may take, in seconds (0: no limit).
const TIMEOUT_OPTION: &str = "mod_python.session.socache_timeout";
/// The time limit of memcache and redis calls unless the option says otherwise: what
/// `RedisTimeout` is meant to default to.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(5);
/// The namespace of sessions in a memcached or redis server: the same in every httpd.
const NETWORK_ID: &str = "mp_session";
/// The mutex type of providers that need one (shmcb, dbm); `Mutex <mechanism>
/// mod_python-session` configures it.
const MUTEX_TYPE: &str = "mod_python-session";

/// The caches of the current configuration, by the option's value (trimmed).
static CACHES: PerConfig<HashMap<String, Cache>> = PerConfig::new();

apache::hook!(pre_config, |pconf: &Pool, _plog: &Pool| -> HookResult {
    mutex::register(pconf, MUTEX_TYPE)?;
    Ok(Status::Ok)
});
apache::hook!(check_config, check);
apache::hook!(post_config, create);
// Before anything in the child (a PythonImport) could reach a cache.
apache::hook!(child_init, attach, Order::FIRST);

/// An option's value as the server sees it (a virtual host inherits the main server's).
fn option_of(s: &Server, name: &str) -> Option<String> {
    s.dir_config::<crate::ThisModule>()
        .and_then(|c| c.option(name))
        .map(|v| v.trim().to_string())
}

fn spec_of(s: &Server) -> Option<String> {
    option_of(s, OPTION)
}

/// The time limit of the cache `spec` names: the option's, else the default of networked
/// providers; `None` for no limit.
fn timeout_of(s: &Server, spec: &str, provider: &Provider) -> Result<Option<Duration>, Error> {
    let Some(text) = option_of(s, TIMEOUT_OPTION) else {
        return Ok(provider.is_networked().then_some(NETWORK_TIMEOUT));
    };
    let limit = text
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| {
            option_error(
                spec,
                s,
                format!(
                    "PythonOption {TIMEOUT_OPTION} \"{text}\" is not a number of seconds \
                     (0 for no limit)"
                ),
            )
        })?;
    Ok((!limit.is_zero()).then_some(limit))
}

/// Where the option was read, so an error in one of many virtual hosts can be found.
fn place(s: &Server) -> String {
    match (s.is_virtual(), s.defn_name()) {
        (true, Some(file)) => format!("in the VirtualHost at {file}:{}", s.defn_line_number()),
        (true, None) => "in a VirtualHost".to_string(),
        (false, _) => "in the main server".to_string(),
    }
}

fn option_error(spec: &str, s: &Server, what: impl std::fmt::Display) -> Error {
    Error::internal(format!(
        "PythonOption {OPTION} \"{spec}\" ({}): {what}",
        place(s)
    ))
}

/// The servers naming a cache, each with its spec.
fn configured(s: &Server) -> Vec<(&Server, String)> {
    s.iter()
        .filter_map(|server| spec_of(server).map(|spec| (server, spec)))
        .collect()
}

/// The provider a spec names; empty names none.
fn provider(spec: &str, s: &Server) -> Result<Provider, Error> {
    let name = spec.split_once(':').map_or(spec, |(name, _)| name).trim();
    if name.is_empty() {
        return Err(option_error(
            spec,
            s,
            "names no socache provider (e.g. \"shmcb\", \"shmcb:/path(512000)\", \
             \"memcache:host:11211\")",
        ));
    }
    Provider::lookup(name).map_err(|e| option_error(spec, s, e.message))
}

/// Runs for `httpd -t` too, where `post_config` does not: a misspelt or unloaded provider, or a
/// time limit that is not a number, is reported by a configuration test, not only by a failed
/// start.
fn check(_pconf: &Pool, _plog: &Pool, s: &Server) -> HookResult {
    for (server, spec) in configured(s) {
        let provider = provider(&spec, server)?;
        timeout_of(server, &spec, &provider)?;
    }
    Ok(Status::Ok)
}

/// Sessions are bigger than the SSL sessions shmcb sizes itself for by default (150 bytes):
/// these hints give it fewer, larger subcaches, so that a pickled session of several KiB fits
/// in one (shmcb refuses a value larger than a subcache's data area).
const HINTS: Hints = Hints {
    avg_id_len: 51,
    avg_obj_size: 1024,
    expiry_interval: Duration::from_secs(30),
};

fn create(pconf: &Pool, _plog: &Pool, s: &Server) -> HookResult {
    let mut caches: HashMap<String, Cache> = HashMap::new();
    for (server, spec) in configured(s) {
        if caches.contains_key(&spec) {
            continue;
        }
        let provider = provider(&spec, server)?;
        // Unique per cache: shmcb and dbm may name a file after it, and it tells the mutexes
        // of several caches apart.
        let local_id = format!("mp_session_{}", caches.len());
        let id = if provider.is_networked() {
            NETWORK_ID
        } else {
            &local_id
        };
        let mut builder = Cache::builder(&spec, id)
            .mutex_type(MUTEX_TYPE)
            .mutex_instance(&local_id)
            .hints(HINTS);
        if let Some(limit) = timeout_of(server, &spec, &provider)? {
            builder = builder.timeout(limit);
        }
        let cache = builder
            .create(pconf, server)
            .map_err(|e| option_error(&spec, server, e.message))?;
        caches.insert(spec, cache);
    }
    if !caches.is_empty() {
        CACHES.set(pconf, caches);
    }
    Ok(Status::Ok)
}

fn attach(pchild: &Pool, _s: &Server) {
    let results = CACHES.with(|caches| {
        caches
            .iter()
            .map(|(spec, c)| (spec.clone(), c.child_init(pchild)))
            .collect::<Vec<_>>()
    });
    for (spec, result) in results.unwrap_or_default() {
        if let Err(e) = result {
            apache::log::error!(
                "mod_python: session cache \"{spec}\" unavailable in this child: {e}"
            );
        }
    }
}

/// The cache `spec` names.
pub fn cache(spec: &str) -> Result<Cache, String> {
    let spec = spec.trim();
    CACHES
        .with(|caches| caches.get(spec).cloned())
        .flatten()
        .ok_or_else(|| {
            format!(
                "no session cache \"{spec}\": PythonOption {OPTION} must be set at server level \
                 (main server or VirtualHost), where the cache is made at start-up, not in \
                 <Directory>, <Location> or .htaccess"
            )
        })
}
