//! A module's typed per-directory and per-server configuration: httpd's `create_*_config` and
//! `merge_*_config` callbacks for a Rust type, and the accessors that find it again.

use crate::apr::Pool;
use crate::core::{identity, logging, panic, strings};
use crate::http::Request;
use crate::server::Server;
use apache_sys as ffi;
use std::any::TypeId;
use std::os::raw::{c_char, c_void};
use std::sync::OnceLock;

/// A module's per-directory or per-server configuration.
///
/// httpd makes one for every configuration section (`create`) and layers the more specific
/// over the more general (`merge`) for each request.
///
/// Every thread serving requests reads the same configurations, so they are `Sync`, and they
/// are dropped when httpd clears the configuration pool, hence `Send`. A `Cell` inside does
/// not compile:
///
/// ```compile_fail,E0277
/// use apache::module::ModuleConfig;
///
/// struct Conf { hits: std::cell::Cell<u32> }
/// impl ModuleConfig for Conf {
///     fn create(_: Option<&str>) -> Self { Conf { hits: Default::default() } }
///     fn merge(_: &Self, add: &Self) -> Self { Conf { hits: add.hits.clone() } }
/// }
/// ```
pub trait ModuleConfig: Sized + Send + Sync + 'static {
    /// A fresh configuration. `context` is the directory or location of the section for a
    /// per-directory configuration; `None` at server level and for per-server configurations.
    fn create(context: Option<&str>) -> Self;
    /// `add` (the more specific section) layered over `base`.
    fn merge(base: &Self, add: &Self) -> Self;
}

// The types given to module!, so that accessors can refuse a different type instead of
// reinterpreting memory.
static DIR_TYPE: OnceLock<TypeId> = OnceLock::new();
static SERVER_TYPE: OnceLock<TypeId> = OnceLock::new();

fn alloc_config<T: ModuleConfig>(p: *mut ffi::apr_pool_t, make: impl FnOnce() -> T) -> *mut c_void {
    panic::guard(
        // SAFETY: httpd passes a valid pool that outlives the configuration.
        || unsafe { Pool::from_raw(p) }.alloc_raw(make()) as *mut c_void,
        |msg| {
            logging::server_error(std::ptr::null_mut(), &msg);
            std::ptr::null_mut()
        },
    )
}

/// `create_dir_config` for `T`.
#[doc(hidden)]
pub unsafe extern "C" fn create_dir_config<T: ModuleConfig>(
    p: *mut ffi::apr_pool_t,
    dir: *mut c_char,
) -> *mut c_void {
    DIR_TYPE.get_or_init(TypeId::of::<T>);
    // SAFETY: dir is NULL or a configuration string.
    let ctx = unsafe { strings::to_str(dir) };
    alloc_config(p, || T::create(ctx))
}

/// `create_server_config` for `T`.
#[doc(hidden)]
pub unsafe extern "C" fn create_server_config<T: ModuleConfig>(
    p: *mut ffi::apr_pool_t,
    _s: *mut ffi::server_rec,
) -> *mut c_void {
    SERVER_TYPE.get_or_init(TypeId::of::<T>);
    alloc_config(p, || T::create(None))
}

/// # Safety
/// `base` and `add` are NULL or configurations made by `alloc_config::<T>`, alive for the call.
unsafe fn merge<T: ModuleConfig>(
    p: *mut ffi::apr_pool_t,
    base: *mut c_void,
    add: *mut c_void,
) -> *mut c_void {
    // A NULL side comes from a create that panicked; keep the other.
    match (base.is_null(), add.is_null()) {
        (true, _) => add,
        (_, true) => base,
        // SAFETY: both were made by alloc_config::<T> and live in configuration pools.
        _ => alloc_config(p, || unsafe {
            T::merge(&*(base as *const T), &*(add as *const T))
        }),
    }
}

/// `merge_dir_config` for `T`.
#[doc(hidden)]
pub unsafe extern "C" fn merge_dir_config<T: ModuleConfig>(
    p: *mut ffi::apr_pool_t,
    base: *mut c_void,
    add: *mut c_void,
) -> *mut c_void {
    // SAFETY: httpd passes a configuration pool and two configurations this module made.
    unsafe { merge::<T>(p, base, add) }
}

/// `merge_server_config` for `T`.
#[doc(hidden)]
pub unsafe extern "C" fn merge_server_config<T: ModuleConfig>(
    p: *mut ffi::apr_pool_t,
    base: *mut c_void,
    add: *mut c_void,
) -> *mut c_void {
    // SAFETY: httpd passes a configuration pool and two configurations this module made.
    unsafe { merge::<T>(p, base, add) }
}

/// This module's entry of a configuration vector, if it is of type `T`.
fn module_config<T: 'static>(
    vector: *mut ffi::ap_conf_vector_t,
    declared: &OnceLock<TypeId>,
) -> *mut T {
    let module = identity::this_module();
    if vector.is_null() || module.is_null() || declared.get() != Some(&TypeId::of::<T>()) {
        return std::ptr::null_mut();
    }
    // SAFETY: the vector has a slot for every loaded module; ours holds a T (checked above).
    unsafe { ffi::get_module_config(vector, module) as *mut T }
}

impl Request {
    /// This module's merged per-directory configuration for the request; `None` when `T` is not
    /// the `dir_config` type given to [`crate::module!`].
    pub fn dir_config<T: ModuleConfig>(&self) -> Option<&T> {
        // SAFETY: configurations live in configuration pools, longer than any request.
        unsafe { module_config::<T>(self.raw().per_dir_config, &DIR_TYPE).as_ref() }
    }
}

impl Server {
    /// This module's configuration for this (virtual) server; `None` when `T` is not the
    /// `server_config` type given to [`crate::module!`].
    pub fn module_config<T: ModuleConfig>(&self) -> Option<&T> {
        // SAFETY: server configurations live as long as the server_rec.
        unsafe { module_config::<T>((*self.as_ptr()).module_config, &SERVER_TYPE).as_ref() }
    }

    /// This module's per-directory configuration at this server's level, outside any section
    /// (`lookup_defaults`): what a request gets before `<Directory>` and `<Location>` sections
    /// are merged in. `None` when `T` is not the `dir_config` type given to [`crate::module!`].
    pub fn dir_config<T: ModuleConfig>(&self) -> Option<&T> {
        // SAFETY: server configurations live as long as the server_rec.
        unsafe { module_config::<T>((*self.as_ptr()).lookup_defaults, &DIR_TYPE).as_ref() }
    }
}

/// Finds the configuration a directive function changes: the section's per-directory
/// configuration (httpd's `mconfig`) or the server's configuration.
///
/// # Safety
/// `cmd` and `mconfig` are what httpd passed to the directive function being run.
pub(crate) unsafe fn target<'a, T: ModuleConfig, const SERVER: bool>(
    cmd: *mut ffi::cmd_parms,
    mconfig: *mut c_void,
) -> Result<&'a mut T, String> {
    let p = if SERVER {
        // SAFETY: httpd's cmd_parms for this call, with the server being configured.
        module_config::<T>(unsafe { (*(*cmd).server).module_config }, &SERVER_TYPE)
    } else if DIR_TYPE.get() == Some(&TypeId::of::<T>()) {
        mconfig as *mut T
    } else {
        std::ptr::null_mut()
    };
    // SAFETY: NULL or this module's configuration of type T (checked above), which only this
    // directive call uses while the configuration is read.
    unsafe { p.as_mut() }
        .ok_or_else(|| "the module has no configuration of this type (see module!)".to_string())
}
