//! A module's typed per-directory and per-server configuration: httpd's `create_*_config` and
//! `merge_*_config` callbacks for a Rust type, and the accessors that find it again.

use crate::apr::Pool;
use crate::core::{identity, logging, panic, strings};
use crate::http::Request;
use crate::module::DirectiveError;
use crate::server::Server;
use apache_sys as ffi;
use std::any::TypeId;
use std::os::raw::{c_char, c_void};
use std::ptr::NonNull;
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

/// A module without a configuration of one kind: [`Module::DirConfig`] or
/// [`Module::ServerConfig`] when [`crate::module!`] names none.
impl ModuleConfig for () {
    fn create(_: Option<&str>) -> Self {}
    fn merge(_: &Self, _: &Self) -> Self {}
}

/// The module a cdylib declares, as the type system knows it: the types of its
/// configurations. [`crate::module!`] implements it for a zero-sized `ThisModule` it defines at
/// the crate root, with the `dir_config` and `server_config` types it is given (`()` for
/// one not given), and the accessors ([`Request::dir_config`], [`Server::module_config`],
/// [`Server::dir_config`]) and [`crate::directive!`] take the types from it, so asking for
/// another type does not compile:
///
/// ```compile_fail,E0308
/// use apache::module::ModuleConfig;
///
/// #[derive(Default)]
/// struct Conf { greeting: Option<String> }
/// impl ModuleConfig for Conf {
///     fn create(_: Option<&str>) -> Self { Conf::default() }
///     fn merge(_: &Self, add: &Self) -> Self { Conf { greeting: add.greeting.clone() } }
/// }
/// struct Other;
///
/// apache::module!(greet_module, dir_config: Conf);
///
/// fn other(r: &apache::Request) -> Option<&Other> {
///     r.dir_config::<ThisModule>()
/// }
/// # fn main() {}
/// ```
///
/// nor does a directive function of another type:
///
/// ```compile_fail,E0631
/// use apache::module::{Context, Directive, DirectiveError, ModuleConfig};
///
/// #[derive(Default)]
/// struct Conf { greeting: Option<String> }
/// impl ModuleConfig for Conf {
///     fn create(_: Option<&str>) -> Self { Conf::default() }
///     fn merge(_: &Self, add: &Self) -> Self { Conf { greeting: add.greeting.clone() } }
/// }
///
/// apache::module!(greet_module, server_config: Conf);
/// // Greeting changes the per-directory configuration, and this module has none.
/// apache::directive!(Greeting, take1, set, Context::RSRC_CONF, "the greeting");
///
/// fn set(_: &mut Directive, conf: &mut Conf, text: &str) -> Result<(), DirectiveError> {
///     conf.greeting = Some(text.to_string());
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// # Safety
/// httpd's configuration vectors hold, for this cdylib's module, values of these types: they
/// are the types given to the module's `create_*_config` callbacks. [`crate::module!`] makes
/// both from the same names; implement it by hand only with the same care.
pub unsafe trait Module: 'static {
    /// The per-directory configuration (`()` when the module keeps none).
    type DirConfig: ModuleConfig;
    /// The per-server configuration (`()` when the module keeps none).
    type ServerConfig: ModuleConfig;
}

// The types the create callbacks made, to check in debug builds that the accessors, which the
// types above already hold to them, agree.
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

/// This module's entry of a configuration vector, made by the create callback of `T`; NULL
/// when the vector or the module is not there yet, or the module keeps no configuration of
/// this kind.
fn entry<T: ModuleConfig>(vector: *mut ffi::ap_conf_vector_t, made: &OnceLock<TypeId>) -> *mut T {
    let module = identity::this_module();
    if vector.is_null() || module.is_null() {
        return std::ptr::null_mut();
    }
    debug_assert!(
        made.get().is_none_or(|t| *t == TypeId::of::<T>()),
        "a configuration asked for with another type than module! gave"
    );
    // SAFETY: the vector has a slot for every loaded module; ours holds what the create
    // callback of T made, or NULL (see Module's # Safety).
    unsafe { ffi::get_module_config(vector, module) as *mut T }
}

impl Request {
    /// This module's merged per-directory configuration for the request
    /// (`r.dir_config::<ThisModule>()`, with the `ThisModule` that [`crate::module!`]
    /// defines); `None` when the module keeps none.
    pub fn dir_config<M: Module>(&self) -> Option<&M::DirConfig> {
        // SAFETY: configurations live in configuration pools, longer than any request.
        unsafe { entry::<M::DirConfig>(self.raw().per_dir_config, &DIR_TYPE).as_ref() }
    }
}

impl Server {
    /// This module's configuration for this (virtual) server
    /// (`s.module_config::<ThisModule>()`); `None` when the module keeps none.
    pub fn module_config<M: Module>(&self) -> Option<&M::ServerConfig> {
        // SAFETY: server configurations live as long as the server_rec.
        unsafe { entry::<M::ServerConfig>((*self.as_ptr()).module_config, &SERVER_TYPE).as_ref() }
    }

    /// This module's per-directory configuration at this server's level, outside any section
    /// (`lookup_defaults`): what a request gets before `<Directory>` and `<Location>` sections
    /// are merged in. `None` when the module keeps none.
    pub fn dir_config<M: Module>(&self) -> Option<&M::DirConfig> {
        // SAFETY: server configurations live as long as the server_rec.
        unsafe { entry::<M::DirConfig>((*self.as_ptr()).lookup_defaults, &DIR_TYPE).as_ref() }
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
) -> Result<&'a mut T, DirectiveError> {
    let p = if SERVER {
        // SAFETY: httpd's cmd_parms for this call, with the server being configured.
        entry::<T>(unsafe { (*(*cmd).server).module_config }, &SERVER_TYPE)
    } else {
        mconfig as *mut T
    };
    if TypeId::of::<T>() == TypeId::of::<()>() {
        // A module without this kind of configuration: `()`, which httpd keeps nothing for.
        // SAFETY: T is `()`, zero-sized with one value: any aligned non-null pointer is a
        // valid place for it, and there is nothing to alias.
        return Ok(unsafe { NonNull::<T>::dangling().as_mut() });
    }
    // SAFETY: NULL or this module's configuration of type T (see Module's # Safety), which only
    // this directive call uses while the configuration is read.
    unsafe { p.as_mut() }.ok_or_else(|| {
        DirectiveError::new("the module's configuration could not be made (see the error log)")
    })
}
