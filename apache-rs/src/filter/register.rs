//! Registering filters (from `register_hooks`, or from a directive under a name the
//! configuration chooses), and the trampolines httpd calls.

use crate::apr::{AprError, Brigade};
use crate::core::fn_value::fn_value;
use crate::core::{logging, panic};
use crate::filter::{Filter, FilterType, InputMode};
use crate::module::{Directive, DirectiveError, Registrar};
use apache_sys as ffi;
use std::ffi::CStr;

/// What filter functions return.
pub type FilterResult = Result<(), AprError>;

fn run_filter(
    f: *mut ffi::ap_filter_t,
    body: impl FnOnce(&mut Filter) -> FilterResult,
) -> ffi::apr_status_t {
    // SAFETY: httpd passes a valid filter owned by this thread for the call.
    let filter = unsafe { &mut *(f as *mut Filter) };
    // SAFETY: as above.
    let (r, c) = unsafe { ((*f).r, (*f).c) };
    let _scope = if r.is_null() {
        logging::Scope::connection(c)
    } else {
        logging::Scope::request(r)
    };
    panic::guard(
        || match body(filter) {
            Ok(()) => ffi::APR_SUCCESS as ffi::apr_status_t,
            Err(e) => e.status(),
        },
        |msg| {
            logging::log(logging::Level::Error, &msg);
            ffi::APR_EGENERAL as ffi::apr_status_t
        },
    )
}

/// The C function httpd calls for an output filter implemented by `F`.
unsafe extern "C" fn output_tramp<F>(
    f: *mut ffi::ap_filter_t,
    bb: *mut ffi::apr_bucket_brigade,
) -> ffi::apr_status_t
where
    F: Fn(&mut Filter, &mut Brigade) -> FilterResult + Copy + 'static,
{
    run_filter(f, |filter| {
        // SAFETY: httpd passes the brigade for this call.
        let bb = unsafe { Brigade::from_raw(bb) };
        fn_value::<F>()(filter, bb)
    })
}

/// The C function httpd calls for an input filter implemented by `F`.
unsafe extern "C" fn input_tramp<F>(
    f: *mut ffi::ap_filter_t,
    bb: *mut ffi::apr_bucket_brigade,
    mode: ffi::ap_input_mode_t,
    block: ffi::apr_read_type_e,
    readbytes: ffi::apr_off_t,
) -> ffi::apr_status_t
where
    F: Fn(&mut Filter, &mut Brigade, InputMode, bool, i64) -> FilterResult + Copy + 'static,
{
    run_filter(f, |filter| {
        // SAFETY: httpd passes the brigade to fill for this call.
        let bb = unsafe { Brigade::from_raw(bb) };
        fn_value::<F>()(
            filter,
            bb,
            InputMode::from_raw(mode),
            block == ffi::APR_BLOCK_READ,
            readbytes,
        )
    })
}

impl Registrar {
    /// Registers an output filter under `name` (for `SetOutputFilter`, `AddOutputFilter`, or
    /// [`Request::add_output_filter`](crate::Request::add_output_filter)).
    pub fn output_filter<F>(&mut self, name: &'static CStr, _f: F, ftype: FilterType)
    where
        F: Fn(&mut Filter, &mut Brigade) -> FilterResult + Copy + 'static,
    {
        // SAFETY: during register_hooks, single-threaded.
        unsafe { register_output::<F>(name, ftype) };
    }

    /// Registers an input filter under `name`. The function fills the brigade it is given, from
    /// [`Filter::fetch`], honouring the mode, blocking flag and byte count.
    pub fn input_filter<F>(&mut self, name: &'static CStr, _f: F, ftype: FilterType)
    where
        F: Fn(&mut Filter, &mut Brigade, InputMode, bool, i64) -> FilterResult + Copy + 'static,
    {
        // SAFETY: during register_hooks, single-threaded.
        unsafe { register_input::<F>(name, ftype) };
    }
}

/// Registers `F` as the output filter `name` (httpd copies the name).
///
/// # Safety
/// httpd is single-threaded: in `register_hooks` or reading its configuration.
unsafe fn register_output<F>(name: &CStr, ftype: FilterType)
where
    F: Fn(&mut Filter, &mut Brigade) -> FilterResult + Copy + 'static,
{
    // SAFETY: see # Safety; the trampoline is 'static.
    unsafe {
        ffi::ap_register_output_filter(name.as_ptr(), Some(output_tramp::<F>), None, ftype.raw())
    };
}

/// Registers `F` as the input filter `name` (httpd copies the name).
///
/// # Safety
/// As for [`register_output`].
unsafe fn register_input<F>(name: &CStr, ftype: FilterType)
where
    F: Fn(&mut Filter, &mut Brigade, InputMode, bool, i64) -> FilterResult + Copy + 'static,
{
    // SAFETY: see # Safety; the trampoline is 'static.
    unsafe {
        ffi::ap_register_input_filter(name.as_ptr(), Some(input_tramp::<F>), None, ftype.raw())
    };
}

/// A filter name as httpd wants it, or why it cannot be one.
fn filter_name(name: &str) -> Result<std::ffi::CString, DirectiveError> {
    if name.is_empty() {
        return Err("a filter needs a name".into());
    }
    std::ffi::CString::new(name).map_err(|_| format!("NUL in filter name {name:?}").into())
}

/// Filters named by the configuration: a directive registers a filter under a name the
/// configuration file chooses (as mod_python's `PythonOutputFilter handler NAME`), while the
/// configuration is read. One function may serve many names; it tells them apart with
/// [`Filter::name`].
impl Directive {
    /// Whether the server is only reading its configuration (not yet serving, where httpd's
    /// filter registry may be read by other threads at any time).
    fn configuring(&self) -> Result<(), DirectiveError> {
        // SAFETY: ap_state_query only reads process-wide state.
        let state = unsafe { ffi::ap_state_query(ffi::AP_SQ_MAIN_STATE as i32) };
        if state == ffi::AP_SQ_MS_RUN_MPM as i32 {
            return Err(format!(
                "{} registers a filter and cannot be used in .htaccess files",
                self.name()
            )
            .into());
        }
        Ok(())
    }

    /// Registers an output filter under `name` from a directive. httpd copies (and
    /// lower-cases) the name. Refused in `.htaccess` files, which are read while requests are
    /// served.
    pub fn register_output_filter<F>(
        &self,
        name: &str,
        _f: F,
        ftype: FilterType,
    ) -> Result<(), DirectiveError>
    where
        F: Fn(&mut Filter, &mut Brigade) -> FilterResult + Copy + 'static,
    {
        self.configuring()?;
        let name = filter_name(name)?;
        // SAFETY: the configuration is read by one thread (checked by `configuring`).
        unsafe { register_output::<F>(&name, ftype) };
        Ok(())
    }

    /// Registers an input filter under `name` from a directive; see
    /// [`Directive::register_output_filter`](crate::module::Directive::register_output_filter).
    pub fn register_input_filter<F>(
        &self,
        name: &str,
        _f: F,
        ftype: FilterType,
    ) -> Result<(), DirectiveError>
    where
        F: Fn(&mut Filter, &mut Brigade, InputMode, bool, i64) -> FilterResult + Copy + 'static,
    {
        self.configuring()?;
        let name = filter_name(name)?;
        // SAFETY: as for register_output_filter.
        unsafe { register_input::<F>(&name, ftype) };
        Ok(())
    }
}
