//! The argument kinds of directives (`TAKE1`, `FLAG`, `TAKE_ARGV`, ...): for each, the
//! `command_rec` constructor [`crate::directive!`] calls and the trampoline httpd calls with the
//! words of the line.

use crate::core::fn_value::fn_value;
use crate::core::{panic, strings};
use crate::module::config::{Module, ModuleConfig, target};
use crate::module::directive::registry::CommandRec;
use crate::module::directive::{Context, Directive, DirectiveError};
use apache_sys as ffi;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

/// An argument word of a directive.
///
/// # Safety
/// `p` is NULL or a string httpd passed to the directive function, alive for `'a`.
unsafe fn arg<'a>(p: *const c_char) -> Result<&'a str, DirectiveError> {
    // SAFETY: see # Safety.
    match unsafe { strings::to_bytes(p) } {
        None => Err("missing argument".into()),
        Some(b) => std::str::from_utf8(b).map_err(|_| "argument is not valid UTF-8".into()),
    }
}

/// An optional argument word of a directive.
///
/// # Safety
/// As for [`arg`].
unsafe fn opt_arg<'a>(p: *const c_char) -> Result<Option<&'a str>, DirectiveError> {
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
    f: impl FnOnce(&mut Directive) -> Result<(), DirectiveError>,
) -> *const c_char {
    // SAFETY: Directive is a transparent wrapper of the cmd_parms httpd lends for this call.
    let c = unsafe { &mut *(cmd as *mut Directive) };
    let name = c.name().to_string();
    let result = panic::guard(|| f(c), |msg| Err(DirectiveError::new(msg)));
    match result {
        Ok(()) => std::ptr::null(),
        // SAFETY: as above; `c`'s borrow ended with the guarded call.
        Err(msg) => unsafe { &*(cmd as *const Directive) }
            .pool()
            .c_str(format!("{name}: {msg}")),
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
        pub fn $kind<M: Module, F>(name: &'static CStr, _f: F, ctx: Context, help: &'static CStr) -> CommandRec
        where
            F: Fn(&mut Directive, &mut M::DirConfig $(, $rty)*) -> Result<(), DirectiveError> + Copy + 'static,
        {
            CommandRec(ffi::$init(name.as_ptr(), tramp::<M::DirConfig, F, false>, std::ptr::null_mut(), ctx.bits(), help.as_ptr()))
        }

        #[doc(hidden)]
        pub fn $server_kind<M: Module, F>(name: &'static CStr, _f: F, ctx: Context, help: &'static CStr) -> CommandRec
        where
            F: Fn(&mut Directive, &mut M::ServerConfig $(, $rty)*) -> Result<(), DirectiveError> + Copy + 'static,
        {
            CommandRec(ffi::$init(name.as_ptr(), tramp::<M::ServerConfig, F, true>, std::ptr::null_mut(), ctx.bits(), help.as_ptr()))
        }

        unsafe extern "C" fn tramp<T: ModuleConfig, F, const SERVER: bool>(
            cmd: *mut ffi::cmd_parms,
            mconfig: *mut c_void
            $(, $arg: $cty)*
        ) -> *const c_char
        where
            F: Fn(&mut Directive, &mut T $(, $rty)*) -> Result<(), DirectiveError> + Copy + 'static,
        {
            // SAFETY: httpd's own arguments for this directive call.
            unsafe {
                run_directive(cmd, |c| {
                    let cfg = target::<T, SERVER>(cmd, mconfig)?;
                    $(let $arg = $conv($arg)?;)*
                    fn_value::<F>()(c, cfg $(, $arg)*)
                })
            }
        }
    )*};
}

fn flag_arg(v: c_int) -> Result<bool, DirectiveError> {
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
    pub fn take_argv<M: Module, F>(
        name: &'static CStr,
        _f: F,
        ctx: Context,
        help: &'static CStr,
    ) -> CommandRec
    where
        F: Fn(&mut Directive, &mut M::DirConfig, &[&str]) -> Result<(), DirectiveError>
            + Copy
            + 'static,
    {
        CommandRec(ffi::AP_INIT_TAKE_ARGV(
            name.as_ptr(),
            tramp::<M::DirConfig, F, false>,
            std::ptr::null_mut(),
            ctx.bits(),
            help.as_ptr(),
        ))
    }

    #[doc(hidden)]
    pub fn server_take_argv<M: Module, F>(
        name: &'static CStr,
        _f: F,
        ctx: Context,
        help: &'static CStr,
    ) -> CommandRec
    where
        F: Fn(&mut Directive, &mut M::ServerConfig, &[&str]) -> Result<(), DirectiveError>
            + Copy
            + 'static,
    {
        CommandRec(ffi::AP_INIT_TAKE_ARGV(
            name.as_ptr(),
            tramp::<M::ServerConfig, F, true>,
            std::ptr::null_mut(),
            ctx.bits(),
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
        F: Fn(&mut Directive, &mut T, &[&str]) -> Result<(), DirectiveError> + Copy + 'static,
    {
        // SAFETY: httpd's own arguments for this directive call: argc words in argv, alive
        // for the call.
        unsafe {
            run_directive(cmd, |c| {
                let cfg = target::<T, SERVER>(cmd, mconfig)?;
                let args = (0..argc.max(0) as usize)
                    .map(|i| arg(*argv.add(i)))
                    .collect::<Result<Vec<&str>, DirectiveError>>()?;
                fn_value::<F>()(c, cfg, &args)
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
