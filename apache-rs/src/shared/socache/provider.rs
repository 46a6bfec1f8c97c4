//! The socache providers, and what each one's answers mean: they share one C interface but
//! not its conventions (a missing key, a too-small buffer, a server that cannot be reached
//! are reported differently by each).

use crate::core::strings;
use apache_sys as ffi;
use std::ptr::NonNull;

/// A socache provider registered by a loaded module.
#[derive(Clone, Copy)]
pub struct Provider {
    raw: NonNull<ffi::ap_socache_provider_t>,
}

impl Provider {
    /// Finds the provider registered as `name` (`shmcb`, `dbm`, `memcache`, `redis`,
    /// `default`); the error names the module to load when there is none.
    pub fn lookup(name: &str) -> Result<Provider, crate::Error> {
        let found = crate::module::provider::lookup(
            "socache", name, // "0": AP_SOCACHE_PROVIDER_VERSION
            "0",
        );
        match found {
            Some(p) => Ok(Provider { raw: p.cast() }),
            None => Err(crate::Error::internal(format!(
                "unknown socache provider \"{name}\": the module providing it must be loaded \
                 (LoadModule socache_{name}_module modules/mod_socache_{name}.so)"
            ))),
        }
    }

    pub(super) fn raw(&self) -> &ffi::ap_socache_provider_t {
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

    /// Whether the entries live in servers reached over the network (`memcache`, `redis`),
    /// which several httpd, on several machines, can share; `shmcb` and `dbm` are local to one
    /// httpd.
    pub fn is_networked(&self) -> bool {
        self.quirks().networked
    }

    pub(super) fn quirks(&self) -> Quirks {
        Quirks::of(self.name())
    }
}

/// How a provider's answers differ from the plain reading of `ap_socache.h`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Quirks {
    /// A too-small buffer is reported as "not found" (shmcb), so reads start with room for the
    /// largest value.
    pub hides_enospc: bool,
    /// A missing key is a general error (dbm, whose DBM libraries fetch a missing key as an
    /// empty success).
    pub missing_is_egeneral: bool,
    /// The entries live in servers (memcache, redis), whose clients in APR-util keep expiries
    /// in whole seconds, and answer "not found" for any key while they count every server as
    /// down (for 5 seconds after a failure): a miss is only a miss once a server answered.
    pub networked: bool,
    /// Keys must have at least this many bytes (shmcb).
    pub min_key_len: usize,
    /// The entry's subcache is chosen by the key's first byte alone (shmcb): keys sharing a
    /// prefix would all go to one subcache, a small part of the cache, and push each other
    /// out long before the cache is full. Such a provider is given the key behind one byte
    /// spread by a hash of the whole key.
    pub spreads_by_first_byte: bool,
}

impl Quirks {
    fn of(name: &str) -> Quirks {
        match name {
            "shmcb" => Quirks {
                hides_enospc: true,
                min_key_len: 4,
                spreads_by_first_byte: true,
                ..Quirks::default()
            },
            "dbm" => Quirks {
                missing_is_egeneral: true,
                ..Quirks::default()
            },
            "memcache" | "redis" => Quirks {
                networked: true,
                ..Quirks::default()
            },
            _ => Quirks::default(),
        }
    }
}
