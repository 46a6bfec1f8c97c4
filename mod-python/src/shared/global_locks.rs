//! mod_python's cross-process global locks, which sessions and PSP use (through
//! `_apache._global_lock` and its kin, in `apache_module/global_locks.rs`): a fixed set of
//! httpd global mutexes, made in `post_config` and attached in each child.
//!
//! `PythonOption mod_python.mutex_locks N` at server level sets how many (default 8). A lock is
//! chosen by index, or by key: keys are hashed with FNV-1a, not Python's `hash()`, which is
//! salted differently in every process and so would send the same key to different locks in
//! different children. Index 0 is left to callers that ask for it by number (mod_python's
//! DbmSession does); keys use 1..N.

use apache::shared::PerConfig;
use apache::shared::mutex;
pub use apache::shared::mutex::MutexSet;
use apache::{HookResult, Pool, Server, Status};

/// The mutex type; `Mutex <mechanism> mod_python` configures it.
const MUTEX_TYPE: &str = "mod_python";
const DEFAULT_LOCKS: usize = 8;

static LOCKS: PerConfig<MutexSet> = PerConfig::new();

apache::hook!(pre_config, |pconf: &Pool, _plog: &Pool| -> HookResult {
    mutex::register(pconf, MUTEX_TYPE)?;
    Ok(Status::Ok)
});

apache::hook!(post_config, |pconf: &Pool,
                            _plog: &Pool,
                            s: &Server|
 -> HookResult {
    let count = s
        .dir_config::<crate::ThisModule>()
        .and_then(|c| c.option("mod_python.mutex_locks"))
        .map(|v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| (1..=1024).contains(n))
                .ok_or_else(|| {
                    apache::Error::internal(format!(
                        "PythonOption mod_python.mutex_locks {v:?}: not a number from 1 to 1024"
                    ))
                })
        })
        .transpose()?
        .unwrap_or(DEFAULT_LOCKS);
    LOCKS.set(pconf, MutexSet::create(pconf, s, MUTEX_TYPE, count)?);
    Ok(Status::Ok)
});

/// Attaches the locks in a new child, before any Python code can ask for them.
pub fn child_init(pchild: &Pool) {
    if let Some(Err(e)) = LOCKS.with(|l| l.child_init(pchild)) {
        apache::log::error!("mod_python: global locks unavailable in this child: {e}");
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The locks of this child; `None` before `child_init` (or when httpd could not make them).
pub fn locks() -> Option<MutexSet> {
    LOCKS.get()
}

/// The lock `index` (0 or more) names in `set`.
pub fn by_index(set: &MutexSet, index: i64) -> Result<usize, String> {
    let n = set.len();
    usize::try_from(index)
        .ok()
        .filter(|i| *i < n)
        .ok_or_else(|| {
            format!(
                "lock index {index} out of range: there are {n} locks \
                 (PythonOption mod_python.mutex_locks)"
            )
        })
}

/// The lock `key` hashes to in `set`: one of 1..N, the same in every child.
pub fn by_key(set: &MutexSet, key: &str) -> usize {
    let n = set.len();
    let spread = (n.max(2) - 1) as u64;
    ((fnv1a(key.as_bytes()) % spread) + 1) as usize % n
}
