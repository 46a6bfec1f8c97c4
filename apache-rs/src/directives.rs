//! Configuration directives and per-directory / per-server configuration.
//!
//! The directive table httpd reads must be complete when `LoadModule` returns, before
//! `register_hooks` runs. Each directive is added by a constructor at dlopen ([`register`]), and
//! every addition republishes the whole table into the module struct ([`publish`]): constructors
//! run in no set order, and whichever runs last leaves the table complete.

use apache_sys as ffi;
use std::sync::Mutex;

/// A directive's `command_rec`, sendable so it can sit in the registry.
#[doc(hidden)]
pub struct CommandRec(pub ffi::command_rec);

// SAFETY: a command_rec holds pointers to 'static strings and functions only.
unsafe impl Send for CommandRec {}

struct Table {
    entries: Vec<CommandRec>,
    published: Option<Published>,
}

/// The table last written into the module struct.
struct Published(&'static mut [ffi::command_rec]);

// SAFETY: only touched under the registry lock, inside dlopen.
unsafe impl Send for Published {}

static REGISTRY: Mutex<Table> = Mutex::new(Table {
    entries: Vec::new(),
    published: None,
});

/// Adds a directive to this module's table; called from constructors emitted by the directive
/// macros, so it runs inside dlopen.
#[doc(hidden)]
pub fn register(rec: CommandRec) {
    let mut t = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let name = rec.0.name;
    // A DSO that stayed mapped across a restart does not rerun constructors; a duplicate here
    // would only come from registering the same static twice, which is harmless to skip.
    if !t.entries.iter().any(|e| e.0.name == name) {
        t.entries.push(rec);
    }
    drop(t);
    publish();
}

/// Writes the current directive table (with its NULL terminator) into the module struct, once
/// the module's own constructor has run.
#[doc(hidden)]
pub fn publish() {
    let module = crate::module::this_module();
    if module.is_null() {
        return;
    }
    let mut t = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let mut table: Vec<ffi::command_rec> = t.entries.iter().map(|e| e.0).collect();
    table.push(ffi::command_rec_end());
    let table: &'static mut [ffi::command_rec] = Box::leak(table.into_boxed_slice());
    // SAFETY: constructors run single-threaded inside dlopen, before httpd reads `cmds`.
    unsafe { (*module).cmds = table.as_ptr() };
    if let Some(Published(old)) = t.published.replace(Published(table)) {
        // SAFETY: the old table was made by Box::leak above and httpd has not read it yet:
        // publishing only happens inside dlopen.
        drop(unsafe { Box::from_raw(old as *mut [ffi::command_rec]) });
    }
}

// ---------------------------------------------------------------------------------------------
// Typed configuration structs.

use crate::{Pool, Request, Server, cstr, panic};
use std::any::TypeId;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
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
/// use apache::directives::ModuleConfig;
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
            crate::logging::server_error(std::ptr::null_mut(), &msg);
            std::ptr::null_mut()
        },
    )
}

/// `create_dir_config` for `T`.
#[doc(hidden)]
pub unsafe extern "C" fn create_dir_trampoline<T: ModuleConfig>(
    p: *mut ffi::apr_pool_t,
    dir: *mut c_char,
) -> *mut c_void {
    DIR_TYPE.get_or_init(TypeId::of::<T>);
    // SAFETY: dir is NULL or a configuration string.
    let ctx = unsafe { cstr::to_str(dir) };
    alloc_config(p, || T::create(ctx))
}

/// `create_server_config` for `T`.
#[doc(hidden)]
pub unsafe extern "C" fn create_server_trampoline<T: ModuleConfig>(
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
pub unsafe extern "C" fn merge_dir_trampoline<T: ModuleConfig>(
    p: *mut ffi::apr_pool_t,
    base: *mut c_void,
    add: *mut c_void,
) -> *mut c_void {
    // SAFETY: httpd passes a configuration pool and two configurations this module made.
    unsafe { merge::<T>(p, base, add) }
}

/// `merge_server_config` for `T`.
#[doc(hidden)]
pub unsafe extern "C" fn merge_server_trampoline<T: ModuleConfig>(
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
    let module = crate::module::this_module();
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

/// http_core.h's `ENABLE_SENDFILE_ON` (a macro bindgen's allowlist does not carry).
const ENABLE_SENDFILE_ON: std::os::raw::c_uint = 1;

impl Request {
    /// Another module's per-directory configuration for this request, by the module's name as
    /// `<IfModule>` knows it (`mod_mime.c`); `None` when no such module is loaded or it keeps
    /// none. What the pointer points to is that module's own (C) structure: reading it is
    /// `unsafe` and needs that module's definition. For core's settings used most, see
    /// [`Request::configured_handler`].
    pub fn module_dir_config_raw(
        &self,
        module: &std::ffi::CStr,
    ) -> Option<std::ptr::NonNull<c_void>> {
        // SAFETY: looks a module up by name in httpd's list; read-only.
        let m = unsafe { ffi::ap_find_linked_module(module.as_ptr()) };
        if m.is_null() {
            return None;
        }
        // SAFETY: the request's vector has a slot for every loaded module.
        std::ptr::NonNull::new(unsafe { ffi::get_module_config(self.raw().per_dir_config, m) })
    }

    /// Whether `EnableSendfile On` applies to the request (core's per-directory setting; httpd's
    /// default is off). [`Request::sendfile`] follows it, as core's own file serving does.
    pub fn sendfile_enabled(&self) -> bool {
        // SAFETY: core's per-directory configuration is present in every vector and lives in a
        // configuration pool, longer than the request.
        let core = unsafe {
            ffi::ap_get_core_module_config(self.raw().per_dir_config) as *const ffi::core_dir_config
        };
        // SAFETY: as above; a bit field read through bindgen's accessor.
        !core.is_null() && unsafe { (*core).enable_sendfile() } == ENABLE_SENDFILE_ON
    }

    /// The handler `SetHandler` names in the configuration that applies to the request so
    /// far (core's per-directory setting), before httpd makes it `handler()` in the type
    /// checker phase; `None` when no `SetHandler` applies. (`SetHandler` takes an expression
    /// since httpd 2.4.19; it is evaluated for this request.)
    pub fn configured_handler(&self) -> Option<&str> {
        // SAFETY: core's per-directory configuration is present in every vector and lives in a
        // configuration pool, longer than the request.
        let core = unsafe {
            ffi::ap_get_core_module_config(self.raw().per_dir_config) as *const ffi::core_dir_config
        };
        if core.is_null() {
            return None;
        }
        // SAFETY: as above.
        let (plain, expr) = unsafe { ((*core).handler, (*core).expr_handler) };
        if !plain.is_null() || expr.is_null() {
            // SAFETY: a configuration string or NULL.
            return unsafe { cstr::to_str(plain) };
        }
        let mut err: *const std::os::raw::c_char = std::ptr::null();
        // SAFETY: a parsed string expression evaluated against this request; the result is
        // allocated in the request pool.
        let value = unsafe { ffi::ap_expr_str_exec(self.as_ptr(), expr, &mut err) };
        // SAFETY: NULL or a request-pool string.
        unsafe { cstr::to_str(value) }
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

// ---------------------------------------------------------------------------------------------
// Directives.

/// Where a directive may appear (`req_override`); combine with `|`.
pub type Context = c_int;
/// Outside any `<Directory>`/`<Location>`: server and virtual host level.
pub const RSRC_CONF: Context = ffi::RSRC_CONF as Context;
/// Inside `<Directory>`, `<Location>`, `<Files>` sections.
pub const ACCESS_CONF: Context = ffi::ACCESS_CONF as Context;
/// In `.htaccess` under `AllowOverride Limit`.
pub const OR_LIMIT: Context = ffi::OR_LIMIT as Context;
/// In `.htaccess` under `AllowOverride Options`.
pub const OR_OPTIONS: Context = ffi::OR_OPTIONS as Context;
/// In `.htaccess` under `AllowOverride FileInfo`.
pub const OR_FILEINFO: Context = ffi::OR_FILEINFO as Context;
/// In `.htaccess` under `AllowOverride AuthConfig`.
pub const OR_AUTHCFG: Context = ffi::OR_AUTHCFG as Context;
/// In `.htaccess` under `AllowOverride Indexes`.
pub const OR_INDEXES: Context = ffi::OR_INDEXES as Context;
/// Anywhere, `.htaccess` included under any `AllowOverride`.
pub const OR_ALL: Context = ffi::OR_ALL as Context;
/// Nowhere in `.htaccess`.
pub const OR_NONE: Context = ffi::OR_NONE as Context;
/// Run while the configuration is first read (for directives that change how it is read).
pub const EXEC_ON_READ: Context = ffi::EXEC_ON_READ as Context;

/// The directive being processed (`cmd_parms`).
#[repr(transparent)]
pub struct Cmd(
    std::cell::UnsafeCell<ffi::cmd_parms>,
    std::marker::PhantomData<*mut ()>,
);

impl Cmd {
    fn raw(&self) -> &ffi::cmd_parms {
        // SAFETY: httpd owns the struct for the directive call, on this thread.
        unsafe { &*self.0.get() }
    }

    /// The directive's name as declared.
    pub fn name(&self) -> &str {
        // SAFETY: cmd points to our static command_rec.
        unsafe { cstr::to_str((*self.raw().cmd).name) }.unwrap_or("")
    }

    /// The server (or virtual host) being configured.
    pub fn server(&self) -> &Server {
        // SAFETY: valid during configuration.
        unsafe { Server::from_raw(self.raw().server) }
    }

    /// The configuration pool (lives until restart).
    pub fn pool(&self) -> &Pool {
        // SAFETY: valid during configuration.
        unsafe { Pool::from_raw(self.raw().pool) }
    }

    /// A pool cleared once the configuration has been read.
    pub fn temp_pool(&self) -> &Pool {
        // SAFETY: valid during configuration.
        unsafe { Pool::from_raw(self.raw().temp_pool) }
    }

    /// The directory or location of the enclosing section; `None` at server level.
    pub fn path(&self) -> Option<&str> {
        // SAFETY: configuration string or NULL.
        unsafe { cstr::to_str(self.raw().path) }
    }

    /// The section the directive is in, as written without its `<`: `Location`,
    /// `LocationMatch`, `Directory`, `Files`, `VirtualHost`, `IfModule`, ...; `None` at the top
    /// level of the file (or in `.htaccess`).
    pub fn section(&self) -> Option<&str> {
        let d = self.raw().directive;
        if d.is_null() {
            return None;
        }
        // Conditional containers only decide whether their content is read: look past them.
        const CONDITIONS: [&str; 6] = [
            "IfModule",
            "IfDefine",
            "IfVersion",
            "IfFile",
            "IfDirective",
            "IfSection",
        ];
        // SAFETY: the directive tree lives for the configuration read; parents end in NULL.
        let mut parent = unsafe { (*d).parent };
        while !parent.is_null() {
            // SAFETY: as above.
            let name = unsafe { cstr::to_str((*parent).directive) }?.trim_start_matches('<');
            if !CONDITIONS.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                return Some(name);
            }
            // SAFETY: as above.
            parent = unsafe { (*parent).parent };
        }
        None
    }

    /// The file and line the directive is on.
    pub fn config_file(&self) -> Option<(&str, u32)> {
        let d = self.raw().directive;
        if d.is_null() {
            return None;
        }
        // SAFETY: the directive node lives for the configuration read.
        unsafe { Some((cstr::to_str((*d).filename)?, (*d).line_num as u32)) }
    }

    /// Refuses the directive in the given places (`ap_check_cmd_context` with
    /// `NOT_IN_VIRTUALHOST`, `NOT_IN_DIRECTORY`, `GLOBAL_ONLY`, ... from `apache::ffi`).
    pub fn check_context(&self, forbidden: u32) -> Result<(), String> {
        // SAFETY: valid cmd_parms; the returned message is a static or pool string.
        let err = unsafe { ffi::ap_check_cmd_context(self.0.get(), forbidden) };
        // SAFETY: as above.
        match unsafe { cstr::to_str(err) } {
            None => Ok(()),
            Some(msg) => Err(msg.to_string()),
        }
    }
}

/// Finds the configuration a directive function changes: the section's per-directory
/// configuration (httpd's `mconfig`) or the server's configuration.
/// # Safety
/// `cmd` and `mconfig` are what httpd passed to the directive function being run.
unsafe fn target<'a, T: ModuleConfig, const SERVER: bool>(
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

/// An argument word of a directive.
///
/// # Safety
/// `p` is NULL or a string httpd passed to the directive function, alive for `'a`.
unsafe fn arg<'a>(p: *const c_char) -> Result<&'a str, String> {
    // SAFETY: see # Safety.
    match unsafe { cstr::to_bytes(p) } {
        None => Err("missing argument".into()),
        Some(b) => std::str::from_utf8(b).map_err(|_| "argument is not valid UTF-8".to_string()),
    }
}

/// An optional argument word of a directive.
///
/// # Safety
/// As for [`arg`].
unsafe fn opt_arg<'a>(p: *const c_char) -> Result<Option<&'a str>, String> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: see # Safety.
        unsafe { arg(p) }.map(Some)
    }
}

/// Runs a directive function: catches panics, and turns an error into the message httpd shows
/// as "Syntax error on line N of FILE: ...".
///
/// # Safety
/// `cmd` is the cmd_parms httpd passed to the directive function being run.
unsafe fn run_directive(
    cmd: *mut ffi::cmd_parms,
    f: impl FnOnce(&mut Cmd) -> Result<(), String>,
) -> *const c_char {
    // SAFETY: Cmd is a transparent wrapper of the cmd_parms httpd lends for this call.
    let c = unsafe { &mut *(cmd as *mut Cmd) };
    let name = c.name().to_string();
    let result = panic::guard(|| f(c), Err);
    match result {
        Ok(()) => std::ptr::null(),
        // SAFETY: as above; `c`'s borrow ended with the guarded call.
        Err(msg) => unsafe { &*(cmd as *const Cmd) }
            .pool()
            .c_str(&format!("{name}: {msg}")),
    }
}

macro_rules! directive_kinds {
    ($(
        $(#[$doc:meta])*
        $kind:ident / $server_kind:ident => $init:ident,
        fn($($arg:ident: $cty:ty => $conv:ident -> $rty:ty),*)
    ;)*) => {$(
        $(#[$doc])*
        #[doc(hidden)]
        pub fn $kind<T: ModuleConfig, F>(name: &'static CStr, _f: F, ctx: Context, help: &'static CStr) -> CommandRec
        where
            F: Fn(&mut Cmd, &mut T $(, $rty)*) -> Result<(), String> + Copy + 'static,
        {
            CommandRec(ffi::$init(name.as_ptr(), tramp::<T, F, false>, std::ptr::null_mut(), ctx, help.as_ptr()))
        }

        #[doc(hidden)]
        pub fn $server_kind<T: ModuleConfig, F>(name: &'static CStr, _f: F, ctx: Context, help: &'static CStr) -> CommandRec
        where
            F: Fn(&mut Cmd, &mut T $(, $rty)*) -> Result<(), String> + Copy + 'static,
        {
            CommandRec(ffi::$init(name.as_ptr(), tramp::<T, F, true>, std::ptr::null_mut(), ctx, help.as_ptr()))
        }

        unsafe extern "C" fn tramp<T: ModuleConfig, F, const SERVER: bool>(
            cmd: *mut ffi::cmd_parms,
            mconfig: *mut c_void
            $(, $arg: $cty)*
        ) -> *const c_char
        where
            F: Fn(&mut Cmd, &mut T $(, $rty)*) -> Result<(), String> + Copy + 'static,
        {
            // SAFETY: httpd's own arguments for this directive call.
            unsafe {
                run_directive(cmd, |c| {
                    let cfg = target::<T, SERVER>(cmd, mconfig)?;
                    $(let $arg = $conv($arg)?;)*
                    crate::hooks::conjure::<F>()(c, cfg $(, $arg)*)
                })
            }
        }
    )*};
}

fn flag_arg(v: c_int) -> Result<bool, String> {
    Ok(v != 0)
}

/// Directive functions of each argument kind, and their trampolines.
mod kinds {
    use super::*;

    directive_kinds! {
        /// `NO_ARGS`
        no_args / server_no_args => AP_INIT_NO_ARGS, fn();
    }
}
mod kinds_raw {
    use super::*;
    directive_kinds! {
        /// `RAW_ARGS`: the rest of the line, unparsed.
        raw_args / server_raw_args => AP_INIT_RAW_ARGS, fn(a: *const c_char => arg -> &str);
    }
}
mod kinds_take1 {
    use super::*;
    directive_kinds! {
        /// `TAKE1`
        take1 / server_take1 => AP_INIT_TAKE1, fn(a: *const c_char => arg -> &str);
    }
}
mod kinds_iterate {
    use super::*;
    directive_kinds! {
        /// `ITERATE`: called once for each argument.
        iterate / server_iterate => AP_INIT_ITERATE, fn(a: *const c_char => arg -> &str);
    }
}
mod kinds_take2 {
    use super::*;
    directive_kinds! {
        /// `TAKE2`
        take2 / server_take2 => AP_INIT_TAKE2, fn(a: *const c_char => arg -> &str, b: *const c_char => arg -> &str);
    }
}
mod kinds_iterate2 {
    use super::*;
    directive_kinds! {
        /// `ITERATE2`: called with the first argument and each of the others.
        iterate2 / server_iterate2 => AP_INIT_ITERATE2, fn(a: *const c_char => arg -> &str, b: *const c_char => arg -> &str);
    }
}
mod kinds_take12 {
    use super::*;
    directive_kinds! {
        /// `TAKE12`
        take12 / server_take12 => AP_INIT_TAKE12, fn(a: *const c_char => arg -> &str, b: *const c_char => opt_arg -> Option<&str>);
    }
}
mod kinds_take3 {
    use super::*;
    directive_kinds! {
        /// `TAKE3`
        take3 / server_take3 => AP_INIT_TAKE3, fn(a: *const c_char => arg -> &str, b: *const c_char => arg -> &str, c3: *const c_char => arg -> &str);
    }
}
mod kinds_take23 {
    use super::*;
    directive_kinds! {
        /// `TAKE23`
        take23 / server_take23 => AP_INIT_TAKE23, fn(a: *const c_char => arg -> &str, b: *const c_char => arg -> &str, c3: *const c_char => opt_arg -> Option<&str>);
    }
}
mod kinds_take123 {
    use super::*;
    directive_kinds! {
        /// `TAKE123`
        take123 / server_take123 => AP_INIT_TAKE123, fn(a: *const c_char => arg -> &str, b: *const c_char => opt_arg -> Option<&str>, c3: *const c_char => opt_arg -> Option<&str>);
    }
}
mod kinds_take13 {
    use super::*;
    directive_kinds! {
        /// `TAKE13`: one or three words.
        take13 / server_take13 => AP_INIT_TAKE13, fn(a: *const c_char => arg -> &str, b: *const c_char => opt_arg -> Option<&str>, c3: *const c_char => opt_arg -> Option<&str>);
    }
}
/// `TAKE_ARGV`: every word of the line, however many, as one slice.
mod kinds_take_argv {
    use super::*;

    #[doc(hidden)]
    pub fn take_argv<T: ModuleConfig, F>(
        name: &'static CStr,
        _f: F,
        ctx: Context,
        help: &'static CStr,
    ) -> CommandRec
    where
        F: Fn(&mut Cmd, &mut T, &[&str]) -> Result<(), String> + Copy + 'static,
    {
        CommandRec(ffi::AP_INIT_TAKE_ARGV(
            name.as_ptr(),
            tramp::<T, F, false>,
            std::ptr::null_mut(),
            ctx,
            help.as_ptr(),
        ))
    }

    #[doc(hidden)]
    pub fn server_take_argv<T: ModuleConfig, F>(
        name: &'static CStr,
        _f: F,
        ctx: Context,
        help: &'static CStr,
    ) -> CommandRec
    where
        F: Fn(&mut Cmd, &mut T, &[&str]) -> Result<(), String> + Copy + 'static,
    {
        CommandRec(ffi::AP_INIT_TAKE_ARGV(
            name.as_ptr(),
            tramp::<T, F, true>,
            std::ptr::null_mut(),
            ctx,
            help.as_ptr(),
        ))
    }

    unsafe extern "C" fn tramp<T: ModuleConfig, F, const SERVER: bool>(
        cmd: *mut ffi::cmd_parms,
        mconfig: *mut c_void,
        argc: c_int,
        argv: *const *mut c_char,
    ) -> *const c_char
    where
        F: Fn(&mut Cmd, &mut T, &[&str]) -> Result<(), String> + Copy + 'static,
    {
        // SAFETY: httpd's own arguments for this directive call: argc words in argv, alive
        // for the call.
        unsafe {
            run_directive(cmd, |c| {
                let cfg = target::<T, SERVER>(cmd, mconfig)?;
                let args = (0..argc.max(0) as usize)
                    .map(|i| arg(*argv.add(i)))
                    .collect::<Result<Vec<&str>, String>>()?;
                crate::hooks::conjure::<F>()(c, cfg, &args)
            })
        }
    }
}
mod kinds_flag {
    use super::*;
    directive_kinds! {
        /// `FLAG`: `On` or `Off` (httpd refuses anything else).
        flag / server_flag => AP_INIT_FLAG, fn(v: c_int => flag_arg -> bool);
    }
}

#[doc(hidden)]
pub use kinds::{no_args, server_no_args};
#[doc(hidden)]
pub use kinds_flag::{flag, server_flag};
#[doc(hidden)]
pub use kinds_iterate::{iterate, server_iterate};
#[doc(hidden)]
pub use kinds_iterate2::{iterate2, server_iterate2};
#[doc(hidden)]
pub use kinds_raw::{raw_args, server_raw_args};
#[doc(hidden)]
pub use kinds_take_argv::{server_take_argv, take_argv};
#[doc(hidden)]
pub use kinds_take1::{server_take1, take1};
#[doc(hidden)]
pub use kinds_take2::{server_take2, take2};
#[doc(hidden)]
pub use kinds_take3::{server_take3, take3};
#[doc(hidden)]
pub use kinds_take12::{server_take12, take12};
#[doc(hidden)]
pub use kinds_take13::{server_take13, take13};
#[doc(hidden)]
pub use kinds_take23::{server_take23, take23};
#[doc(hidden)]
pub use kinds_take123::{server_take123, take123};

/// The per-server forms of the directive functions, used by `directive!(server ...)`.
#[doc(hidden)]
pub mod server {
    pub use super::{
        server_flag as flag, server_iterate as iterate, server_iterate2 as iterate2,
        server_no_args as no_args, server_raw_args as raw_args, server_take_argv as take_argv,
        server_take1 as take1, server_take2 as take2, server_take3 as take3,
        server_take12 as take12, server_take13 as take13, server_take23 as take23,
        server_take123 as take123,
    };
}

/// Declares a configuration directive, from anywhere in the module's crate.
///
/// `directive!(Name, kind, function, context, "help")` where `kind` is one of `no_args`,
/// `raw_args`, `take1`, `take2`, `take12`, `take3`, `take13`, `take23`, `take123`, `flag`,
/// `iterate`, `iterate2`, `take_argv` (the words as `&[&str]`), and `function` is `fn(&mut Cmd, &mut DirConfig, args...) -> Result<(), String>`
/// changing the section's per-directory configuration. Prefix the name with `server` for a
/// directive that changes the per-server configuration instead. An `Err` is shown by httpd as
/// a syntax error with the file and line.
///
/// ```no_run
/// use apache::directives::{Cmd, ModuleConfig, ACCESS_CONF, RSRC_CONF};
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
/// apache::directive!(Greeting, take1, set_greeting, RSRC_CONF | ACCESS_CONF, "the greeting");
///
/// fn set_greeting(_: &mut Cmd, conf: &mut Conf, text: &str) -> Result<(), String> {
///     conf.greeting = Some(text.to_string());
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! directive {
    (server $name:ident, $kind:ident, $f:expr, $ctx:expr, $help:literal) => {
        $crate::directive!(@emit $name, $crate::directives::server::$kind, $f, $ctx, $help);
    };
    ($name:ident, $kind:ident, $f:expr, $ctx:expr, $help:literal) => {
        $crate::directive!(@emit $name, $crate::directives::$kind, $f, $ctx, $help);
    };
    (@emit $name:ident, $ctor:path, $f:expr, $ctx:expr, $help:literal) => {
        const _: () = {
            #[used]
            #[unsafe(link_section = ".init_array")]
            static __APACHE_RS_DIRECTIVE: extern "C" fn() = {
                extern "C" fn ctor() {
                    let name = match ::std::ffi::CStr::from_bytes_with_nul(concat!(stringify!($name), "\0").as_bytes()) {
                        Ok(s) => s,
                        Err(_) => return,
                    };
                    let help = match ::std::ffi::CStr::from_bytes_with_nul(concat!($help, "\0").as_bytes()) {
                        Ok(s) => s,
                        Err(_) => return,
                    };
                    $crate::directives::register($ctor(name, $f, $ctx, help));
                }
                ctor
            };
        };
    };
}
