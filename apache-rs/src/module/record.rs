//! The exported `module` struct ([`ModuleRecord`]) and what happens when httpd loads it.
//!
//! httpd's `LoadModule` dlopens the `.so`, finds the `module` symbol, reads its directive table
//! (`cmds`) and only then calls `register_hooks`. Directives and hooks are declared from anywhere
//! in the crate ([`crate::directive!`] and [`crate::hook!`]); they are gathered by constructors
//! that run inside dlopen, in no set order. So every constructor republishes the directive table
//! when it runs ([`crate::module::directive`]), and whichever runs last leaves it
//! complete before `LoadModule` reads it. Hooks are collected with `inventory` and registered in
//! `register_hooks`, which runs after dlopen.
//!
//! On graceful restart httpd unloads and reloads the DSO: statics start afresh with the new
//! mapping, and constructors run again. When the DSO stays mapped (glibc keeps a library that
//! registered thread-local destructors), constructors do not run again and the statics keep
//! their values, which is why everything here is idempotent.

use crate::module::hooks::Registrar;
use apache_sys as ffi;
use std::cell::UnsafeCell;
use std::ffi::CStr;
use std::os::raw::c_void;

/// The `module` struct a cdylib exports; made by [`crate::module!`].
#[repr(transparent)]
pub struct ModuleRecord(UnsafeCell<ffi::module>);

// SAFETY: httpd writes the struct (module_index, next, dynamic_load_handle) only while loading
// modules, single-threaded, before any request thread exists; afterwards it is only read.
unsafe impl Sync for ModuleRecord {}

/// The hooks that configuration structs need, filled in by [`crate::module!`].
#[derive(Clone, Copy)]
pub struct ConfigCallbacks {
    /// `create_dir_config`
    pub create_dir: Option<unsafe extern "C" fn(*mut ffi::apr_pool_t, *mut i8) -> *mut c_void>,
    /// `merge_dir_config`
    pub merge_dir:
        Option<unsafe extern "C" fn(*mut ffi::apr_pool_t, *mut c_void, *mut c_void) -> *mut c_void>,
    /// `create_server_config`
    pub create_server:
        Option<unsafe extern "C" fn(*mut ffi::apr_pool_t, *mut ffi::server_rec) -> *mut c_void>,
    /// `merge_server_config`
    pub merge_server:
        Option<unsafe extern "C" fn(*mut ffi::apr_pool_t, *mut c_void, *mut c_void) -> *mut c_void>,
}

impl ConfigCallbacks {
    /// No configuration structs.
    pub const NONE: ConfigCallbacks = ConfigCallbacks {
        create_dir: None,
        merge_dir: None,
        create_server: None,
        merge_server: None,
    };
}

impl ModuleRecord {
    /// A module whose `name` (httpd's `__FILE__`, matched by `<IfModule mod_x.c>`) is `file`.
    pub const fn new(file: &'static CStr, config: ConfigCallbacks) -> ModuleRecord {
        let mut m = ffi::standard20_module_stuff(file.as_ptr());
        m.register_hooks = Some(register_hooks);
        m.create_dir_config = config.create_dir;
        m.merge_dir_config = config.merge_dir;
        m.create_server_config = config.create_server;
        m.merge_server_config = config.merge_server;
        ModuleRecord(UnsafeCell::new(m))
    }

    /// The struct as httpd sees it.
    pub fn as_ptr(&self) -> *mut ffi::module {
        self.0.get()
    }
}

/// Called by the constructor [`crate::module!`] emits: remembers the module and publishes the
/// directive table into it.
pub fn loaded(module: &'static ModuleRecord) {
    crate::core::identity::set_this_module(module.as_ptr());
    crate::module::directive::registry::publish();
}

/// A function that registers hooks and filters; collected from the whole crate by [`crate::hook!`].
pub struct HookRegistration(pub fn(&mut Registrar));

inventory::collect!(HookRegistration);

unsafe extern "C" fn register_hooks(pool: *mut ffi::apr_pool_t) {
    crate::core::panic::guard(
        || {
            crate::core::logging::init();
            let mut reg = Registrar::new(pool);
            for r in inventory::iter::<HookRegistration> {
                (r.0)(&mut reg);
            }
        },
        |msg| eprintln!("apache-rs: panic while registering hooks: {msg}"),
    )
}

/// Declares the module: exports the `module` struct httpd's `LoadModule` looks up.
///
/// ```no_run
/// apache::module!(hello_module);
/// # fn main() {}
/// ```
/// loads with `LoadModule hello_module .../mod_hello.so`. Optional settings follow the symbol:
///
/// ```ignore
/// apache::module! {
///     hello_module,
///     file: "mod_hello.c",            // what <IfModule> matches besides the symbol
///     dir_config: MyDirConfig,        // per-directory config (see apache::module::ModuleConfig)
///     server_config: MyServerConfig,  // per-server config
/// }
/// ```
///
/// Invoke it at the crate root: it also defines `ThisModule` there, a zero-sized type that
/// implements [`Module`](crate::module::Module) with the two configuration types (`()` for
/// one not given). The accessors take the types from it, and so does [`crate::directive!`]:
///
/// ```no_run
/// use apache::module::ModuleConfig;
/// use apache::{HookResult, Request, Status};
///
/// #[derive(Default)]
/// struct Conf { greeting: Option<String> }
/// impl ModuleConfig for Conf {
///     fn create(_: Option<&str>) -> Self { Conf::default() }
///     fn merge(base: &Self, add: &Self) -> Self {
///         Conf { greeting: add.greeting.clone().or_else(|| base.greeting.clone()) }
///     }
/// }
///
/// apache::module!(greet_module, dir_config: Conf);
/// apache::hook!(handler, greet);
///
/// fn greet(r: &mut Request) -> HookResult {
///     let greeting = r
///         .dir_config::<ThisModule>()
///         .and_then(|c| c.greeting.clone())
///         .unwrap_or_else(|| "hello".into());
///     r.write_bytes(greeting.as_bytes())?;
///     Ok(Status::Ok)
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! module {
    ($sym:ident $(, file: $file:literal)? $(, dir_config: $dir:ty)? $(, server_config: $srv:ty)? $(,)?) => {
        #[unsafe(no_mangle)]
        #[allow(non_upper_case_globals, clippy::needless_update)]
        pub static $sym: $crate::__private::ModuleRecord = $crate::__private::ModuleRecord::new(
            $crate::module!(@file $sym $($file)?),
            $crate::__private::ConfigCallbacks {
                $( create_dir: Some($crate::__private::create_dir_config::<$dir>),
                   merge_dir: Some($crate::__private::merge_dir_config::<$dir>), )?
                $( create_server: Some($crate::__private::create_server_config::<$srv>),
                   merge_server: Some($crate::__private::merge_server_config::<$srv>), )?
                ..$crate::__private::ConfigCallbacks::NONE
            },
        );
        /// This crate's httpd module, as the type system knows it: its configuration types.
        #[allow(dead_code)]
        pub(crate) struct ThisModule;

        // SAFETY: the callbacks above make configurations of exactly these types.
        unsafe impl $crate::module::Module for ThisModule {
            type DirConfig = $crate::module!(@config $($dir)?);
            type ServerConfig = $crate::module!(@config $($srv)?);
        }

        const _: () = {
            #[used]
            #[unsafe(link_section = ".init_array")]
            static __APACHE_RS_MODULE_CTOR: extern "C" fn() = {
                extern "C" fn ctor() {
                    $crate::__private::loaded(&$sym);
                }
                ctor
            };
        };
    };
    (@config) => { () };
    (@config $t:ty) => { $t };
    (@file $sym:ident $file:literal) => {
        match ::std::ffi::CStr::from_bytes_with_nul(concat!($file, "\0").as_bytes()) {
            Ok(s) => s,
            Err(_) => panic!("module file name contains NUL"),
        }
    };
    (@file $sym:ident) => {
        match ::std::ffi::CStr::from_bytes_with_nul(concat!(stringify!($sym), ".c\0").as_bytes()) {
            Ok(s) => s,
            Err(_) => panic!("module name contains NUL"),
        }
    };
}
