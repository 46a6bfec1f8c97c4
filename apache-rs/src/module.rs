//! The exported `module` struct and what happens when httpd loads it.
//!
//! httpd's `LoadModule` dlopens the `.so`, finds the `module` symbol, reads its directive table
//! (`cmds`) and only then calls `register_hooks`. Directives and hooks are declared from anywhere
//! in the crate ([`crate::directive`]-style registration and [`crate::hook!`]); they are gathered
//! by constructors that run inside dlopen, in no set order. So every constructor republishes the
//! directive table when it runs ([`crate::directives`]), and whichever runs last leaves it
//! complete before `LoadModule` reads it. Hooks are collected with `inventory` and registered in
//! `register_hooks`, which runs after dlopen.
//!
//! On graceful restart httpd unloads and reloads the DSO: statics start afresh with the new
//! mapping, and constructors run again. When the DSO stays mapped (glibc keeps a library that
//! registered thread-local destructors), constructors do not run again and the statics keep
//! their values, which is why everything here is idempotent.

use apache_sys as ffi;
use std::cell::UnsafeCell;
use std::ffi::CStr;
use std::os::raw::c_void;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The `module` struct a cdylib exports; made by [`crate::module!`].
#[repr(transparent)]
pub struct Module(UnsafeCell<ffi::module>);

// SAFETY: httpd writes the struct (module_index, next, dynamic_load_handle) only while loading
// modules, single-threaded, before any request thread exists; afterwards it is only read.
unsafe impl Sync for Module {}

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

impl Module {
    /// A module whose `name` (httpd's `__FILE__`, matched by `<IfModule mod_x.c>`) is `file`.
    pub const fn new(file: &'static CStr, config: ConfigCallbacks) -> Module {
        let mut m = ffi::standard20_module_stuff(file.as_ptr());
        m.register_hooks = Some(register_hooks);
        m.create_dir_config = config.create_dir;
        m.merge_dir_config = config.merge_dir;
        m.create_server_config = config.create_server;
        m.merge_server_config = config.merge_server;
        Module(UnsafeCell::new(m))
    }

    /// The struct as httpd sees it.
    pub fn as_ptr(&self) -> *mut ffi::module {
        self.0.get()
    }
}

static THIS_MODULE: AtomicPtr<ffi::module> = AtomicPtr::new(ptr::null_mut());

/// Called by the constructor [`crate::module!`] emits: remembers the module and publishes the
/// directive table into it.
#[doc(hidden)]
pub fn loaded(module: &'static Module) {
    THIS_MODULE.store(module.as_ptr(), Ordering::Release);
    crate::directives::publish();
}

/// This cdylib's `module` struct, once its constructor has run.
pub fn this_module() -> *mut ffi::module {
    THIS_MODULE.load(Ordering::Acquire)
}

/// The index httpd gave this module (for per-module log levels and config vectors); -1 before
/// `LoadModule` has added it.
pub fn module_index() -> i32 {
    let m = this_module();
    if m.is_null() {
        -1
    } else {
        // SAFETY: the module struct is a static of this cdylib; module_index is an int httpd
        // writes once while loading.
        unsafe { (*m).module_index }
    }
}

/// A function that registers hooks and filters; collected from the whole crate by [`crate::hook!`].
#[doc(hidden)]
pub struct HookRegistration(pub fn(&mut crate::hooks::Registrar));

inventory::collect!(HookRegistration);

unsafe extern "C" fn register_hooks(pool: *mut ffi::apr_pool_t) {
    crate::panic::guard(
        || {
            crate::logging::init();
            let mut reg = crate::hooks::Registrar::new(pool);
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
///     dir_config: MyDirConfig,        // per-directory config (see apache::directives)
///     server_config: MyServerConfig,  // per-server config
/// }
/// ```
#[macro_export]
macro_rules! module {
    ($sym:ident $(, file: $file:literal)? $(, dir_config: $dir:ty)? $(, server_config: $srv:ty)? $(,)?) => {
        #[unsafe(no_mangle)]
        #[allow(non_upper_case_globals, clippy::needless_update)]
        pub static $sym: $crate::module::Module = $crate::module::Module::new(
            $crate::module!(@file $sym $($file)?),
            $crate::module::ConfigCallbacks {
                $( create_dir: Some($crate::directives::create_dir_trampoline::<$dir>),
                   merge_dir: Some($crate::directives::merge_dir_trampoline::<$dir>), )?
                $( create_server: Some($crate::directives::create_server_trampoline::<$srv>),
                   merge_server: Some($crate::directives::merge_server_trampoline::<$srv>), )?
                ..$crate::module::ConfigCallbacks::NONE
            },
        );
        const _: () = {
            #[used]
            #[unsafe(link_section = ".init_array")]
            static __APACHE_RS_MODULE_CTOR: extern "C" fn() = {
                extern "C" fn ctor() {
                    $crate::module::loaded(&$sym);
                }
                ctor
            };
        };
    };
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
