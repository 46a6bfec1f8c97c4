//! Input, output and connection filters.
//!
//! ```no_run
//! use apache::bucket::{AprError, Brigade};
//! use apache::filter::{Filter, FilterType};
//!
//! apache::module!(shout_module);
//! apache::hook!(register, |reg| reg.output_filter(c"SHOUT", shout, FilterType::Resource));
//!
//! fn shout(f: &mut Filter, bb: &mut Brigade) -> Result<(), AprError> {
//!     let mut out = f.new_brigade();
//!     for b in bb.buckets() {
//!         if b.is_eos() {
//!             out.append_eos();
//!         } else if b.is_flush() {
//!             out.append_flush();
//!         } else if !b.is_metadata() {
//!             out.append_bytes(&b.read().map_err(|_| AprError::GENERAL)?.to_ascii_uppercase());
//!         }
//!     }
//!     bb.cleanup();
//!     f.pass(&mut out)
//! }
//! # fn main() {}
//! ```
//!
//! # Errors and panics
//! Filters follow httpd's convention: a filter returns an APR status, which goes back to
//! whoever called it (the previous filter, and in the end the handler or the core reading a
//! request). A filter returning `Err` passes that status up; a panic is caught, logged with its
//! location against the request (or connection), and becomes `APR_EGENERAL`. For a request
//! whose response has not started, the handler then fails and httpd answers 500 (the default
//! handler turns a failed `ap_pass_brigade` into `AP_FILTER_ERROR`, which `ap_die` makes a 500
//! while the header filter is still in place); a failed input filter makes the body read fail.
//! Once headers are out, the response is cut short and the connection closed, as in C.
//! A filter that has itself sent an error response down the chain (an error bucket,
//! [`Brigade::append_error`], and an end-of-stream) returns [`AprError::FILTER_ERROR`] so that
//! nobody sends a second one. A handler whose [`Request::pass_brigade`] gets that error returns
//! [`crate::Status::FilterError`]; an `Err` or a panic after the response has ended is turned
//! into the same by apache-rs.

use crate::bucket::{AprError, Brigade, OwnedBrigade};
use crate::hooks::{conjure, Registrar};
use crate::{cstr, panic, Connection, Pool, Request};
use apache_sys as ffi;
use std::any::TypeId;
use std::cell::UnsafeCell;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::os::raw::c_void;

/// Where a filter sits in the chain (`AP_FTYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterType {
    /// Changes the content itself (e.g. SSI, transformations).
    Resource,
    /// Changes how content is stored (e.g. compression).
    ContentSet,
    /// Protocol framing (e.g. chunking, headers).
    Protocol,
    /// Transport encodings.
    Transcode,
    /// Per-connection filters (e.g. TLS).
    Connection,
    /// The network itself.
    Network,
}

impl FilterType {
    fn raw(self) -> ffi::ap_filter_type {
        match self {
            FilterType::Resource => ffi::AP_FTYPE_RESOURCE,
            FilterType::ContentSet => ffi::AP_FTYPE_CONTENT_SET,
            FilterType::Protocol => ffi::AP_FTYPE_PROTOCOL,
            FilterType::Transcode => ffi::AP_FTYPE_TRANSCODE,
            FilterType::Connection => ffi::AP_FTYPE_CONNECTION,
            FilterType::Network => ffi::AP_FTYPE_NETWORK,
        }
    }
}

/// What an input filter is asked to read (`ap_input_mode_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    /// Up to `readbytes` bytes.
    ReadBytes,
    /// One line.
    GetLine,
    /// Skip blank lines between requests.
    EatCrlf,
    /// Look without consuming.
    Speculative,
    /// Everything there is.
    Exhaustive,
    /// Initialise (e.g. a TLS handshake).
    Init,
}

impl InputMode {
    fn from_raw(m: ffi::ap_input_mode_t) -> InputMode {
        match m {
            ffi::AP_MODE_GETLINE => InputMode::GetLine,
            ffi::AP_MODE_EATCRLF => InputMode::EatCrlf,
            ffi::AP_MODE_SPECULATIVE => InputMode::Speculative,
            ffi::AP_MODE_EXHAUSTIVE => InputMode::Exhaustive,
            ffi::AP_MODE_INIT => InputMode::Init,
            _ => InputMode::ReadBytes,
        }
    }

    fn raw(self) -> ffi::ap_input_mode_t {
        match self {
            InputMode::ReadBytes => ffi::AP_MODE_READBYTES,
            InputMode::GetLine => ffi::AP_MODE_GETLINE,
            InputMode::EatCrlf => ffi::AP_MODE_EATCRLF,
            InputMode::Speculative => ffi::AP_MODE_SPECULATIVE,
            InputMode::Exhaustive => ffi::AP_MODE_EXHAUSTIVE,
            InputMode::Init => ffi::AP_MODE_INIT,
        }
    }
}

/// A filter instance (`ap_filter_t`), attached to a request or a connection, and called on
/// that request's or connection's thread only:
///
/// ```compile_fail,E0277
/// fn send<T: Send>() {}
/// send::<&mut apache::filter::Filter>();
/// ```
#[repr(transparent)]
pub struct Filter(UnsafeCell<ffi::ap_filter_t>, PhantomData<*mut ()>);

/// A filter's per-instance state, tagged with its type so a second `ctx::<U>()` with another
/// type cannot reinterpret it.
#[repr(C)]
struct Ctx<T> {
    type_id: TypeId,
    value: T,
}

impl Filter {
    fn raw(&self) -> &ffi::ap_filter_t {
        // SAFETY: httpd owns the filter for the call, on this thread.
        unsafe { &*self.0.get() }
    }

    /// The filter's registered name.
    pub fn name(&self) -> Option<&str> {
        // SAFETY: the filter record lives as long as the server configuration.
        unsafe { cstr::to_str((*self.raw().frec).name) }
    }

    /// The request, for request filters.
    pub fn request(&mut self) -> Option<&mut Request> {
        let r = self.raw().r;
        // SAFETY: the request outlives its filters' calls.
        (!r.is_null()).then(|| unsafe { Request::from_raw(r) })
    }

    /// The connection.
    pub fn connection(&mut self) -> &mut Connection {
        // SAFETY: every filter has a connection that outlives the call.
        unsafe { Connection::from_raw(self.raw().c) }
    }

    fn pool(&self) -> &Pool {
        let f = self.raw();
        // SAFETY: request or connection pool, alive for the filter's whole life.
        unsafe {
            Pool::from_raw(if f.r.is_null() {
                (*f.c).pool
            } else {
                (*f.r).pool
            })
        }
    }

    /// A new empty brigade for this filter's output, in the request's (or connection's) pool.
    pub fn new_brigade(&self) -> OwnedBrigade<'_> {
        // SAFETY: the connection's bucket allocator serves its whole life.
        let alloc = unsafe { (*self.raw().c).bucket_alloc };
        OwnedBrigade::with_alloc(self.pool(), alloc)
    }

    /// State kept by this filter instance across its calls (one response or connection),
    /// created with `Default` on first use and dropped with the pool.
    pub fn ctx<T: Default + 'static>(&mut self) -> &mut T {
        let f = self.0.get();
        // SAFETY: ctx is NULL or a Ctx<_> made below in the filter's pool.
        unsafe {
            if (*f).ctx.is_null() {
                let c = self.pool().alloc_raw(Ctx {
                    type_id: TypeId::of::<T>(),
                    value: T::default(),
                });
                (*f).ctx = c as *mut c_void;
            }
            let c = (*f).ctx as *mut Ctx<T>;
            assert!(
                (*c).type_id == TypeId::of::<T>(),
                "Filter::ctx used with two different types"
            );
            &mut (*c).value
        }
    }

    /// Passes a brigade to the next output filter (`ap_pass_brigade`).
    pub fn pass(&self, bb: &mut Brigade) -> Result<(), AprError> {
        // SAFETY: next is the rest of the chain; bb is a valid brigade.
        AprError::check(unsafe { ffi::ap_pass_brigade(self.raw().next, bb.as_ptr()) })
    }

    /// Passes `data` on without copying it (a transient bucket): a filter further down that
    /// keeps the data past its call copies it then (`apr_bucket_setaside`), as APR requires.
    pub fn pass_transient(&self, data: &[u8]) -> Result<(), AprError> {
        let mut bb = self.new_brigade();
        // SAFETY: the bucket points at `data`, which outlives this call; every filter that
        // keeps a bucket beyond ap_pass_brigade sets it aside, and what is left is destroyed
        // before returning.
        unsafe {
            let alloc = (*self.raw().c).bucket_alloc;
            let e = ffi::apr_bucket_transient_create(data.as_ptr().cast(), data.len(), alloc);
            ffi::APR_BRIGADE_INSERT_TAIL(bb.as_ptr(), e);
        }
        let rv = self.pass(&mut bb);
        bb.cleanup();
        rv
    }

    /// Asks the next input filter for data (`ap_get_brigade`).
    pub fn get_brigade(
        &self,
        bb: &mut Brigade,
        mode: InputMode,
        block: bool,
        readbytes: i64,
    ) -> Result<(), AprError> {
        let block = if block {
            ffi::APR_BLOCK_READ
        } else {
            ffi::APR_NONBLOCK_READ
        };
        // SAFETY: next is the rest of the input chain; bb is a valid brigade.
        AprError::check(unsafe {
            ffi::ap_get_brigade(self.raw().next, bb.as_ptr(), mode.raw(), block, readbytes)
        })
    }

    /// Takes this filter out of the chain (it is not called again).
    pub fn remove_output(&mut self) {
        // SAFETY: removing this filter from its own chain.
        unsafe { ffi::ap_remove_output_filter(self.0.get()) }
    }

    /// Takes this input filter out of the chain.
    pub fn remove_input(&mut self) {
        // SAFETY: as above.
        unsafe { ffi::ap_remove_input_filter(self.0.get()) }
    }
}

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
        crate::logging::Scope::connection(c)
    } else {
        crate::logging::Scope::request(r)
    };
    panic::guard(
        || match body(filter) {
            Ok(()) => ffi::APR_SUCCESS as ffi::apr_status_t,
            Err(e) => e.0,
        },
        |msg| {
            crate::logging::log(crate::logging::Level::Error, &msg);
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
    // SAFETY: httpd passes the brigade for this call.
    run_filter(f, |filter| {
        conjure::<F>()(filter, unsafe { Brigade::from_raw(bb) })
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
        conjure::<F>()(
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
    /// [`Request::add_output_filter`]).
    pub fn output_filter<F>(&mut self, name: &'static CStr, _f: F, ftype: FilterType)
    where
        F: Fn(&mut Filter, &mut Brigade) -> FilterResult + Copy + 'static,
    {
        // SAFETY: registering during register_hooks with a 'static name and function.
        unsafe {
            ffi::ap_register_output_filter(
                name.as_ptr(),
                Some(output_tramp::<F>),
                None,
                ftype.raw(),
            )
        };
    }

    /// Registers an input filter under `name`. The function fills the brigade it is given, from
    /// [`Filter::get_brigade`], honouring the mode, blocking flag and byte count.
    pub fn input_filter<F>(&mut self, name: &'static CStr, _f: F, ftype: FilterType)
    where
        F: Fn(&mut Filter, &mut Brigade, InputMode, bool, i64) -> FilterResult + Copy + 'static,
    {
        // SAFETY: registering during register_hooks with a 'static name and function.
        unsafe {
            ffi::ap_register_input_filter(name.as_ptr(), Some(input_tramp::<F>), None, ftype.raw())
        };
    }
}

/// A filter name as httpd wants it, or why it cannot be one.
fn filter_name(name: &str) -> Result<std::ffi::CString, String> {
    if name.is_empty() {
        return Err("a filter needs a name".into());
    }
    std::ffi::CString::new(name).map_err(|_| format!("NUL in filter name {name:?}"))
}

/// Filters named by the configuration: a directive registers a filter under a name the
/// configuration file chooses (as mod_python's `PythonOutputFilter handler NAME`), while the
/// configuration is read. One function may serve many names; it tells them apart with
/// [`Filter::name`].
impl crate::directives::Cmd {
    /// Whether the server is only reading its configuration (not yet serving, where httpd's
    /// filter registry may be read by other threads at any time).
    fn configuring(&self) -> Result<(), String> {
        // SAFETY: ap_state_query only reads process-wide state.
        let state = unsafe { ffi::ap_state_query(ffi::AP_SQ_MAIN_STATE as i32) };
        if state == ffi::AP_SQ_MS_RUN_MPM as i32 {
            return Err(format!(
                "{} registers a filter and cannot be used in .htaccess files",
                self.name()
            ));
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
    ) -> Result<(), String>
    where
        F: Fn(&mut Filter, &mut Brigade) -> FilterResult + Copy + 'static,
    {
        self.configuring()?;
        let name = filter_name(name)?;
        // SAFETY: the configuration is read by one thread; httpd copies the name into its
        // own pool; the function is 'static.
        unsafe {
            ffi::ap_register_output_filter(
                name.as_ptr(),
                Some(output_tramp::<F>),
                None,
                ftype.raw(),
            )
        };
        Ok(())
    }

    /// Registers an input filter under `name` from a directive; see
    /// [`Cmd::register_output_filter`](crate::directives::Cmd::register_output_filter).
    pub fn register_input_filter<F>(
        &self,
        name: &str,
        _f: F,
        ftype: FilterType,
    ) -> Result<(), String>
    where
        F: Fn(&mut Filter, &mut Brigade, InputMode, bool, i64) -> FilterResult + Copy + 'static,
    {
        self.configuring()?;
        let name = filter_name(name)?;
        // SAFETY: as for register_output_filter.
        unsafe {
            ffi::ap_register_input_filter(name.as_ptr(), Some(input_tramp::<F>), None, ftype.raw())
        };
        Ok(())
    }
}

impl Request {
    /// A new empty brigade in the request pool, for a handler that writes with brigades.
    pub fn new_brigade(&self) -> OwnedBrigade<'_> {
        OwnedBrigade::new(self.pool(), self.connection())
    }

    /// Sends a brigade down the request's output filters (`ap_pass_brigade` on
    /// `r->output_filters`); end the response with an end-of-stream bucket. The brigade is
    /// left empty, ready for more.
    pub fn pass_brigade(&self, bb: &mut Brigade) -> Result<(), AprError> {
        // SAFETY: valid request; its output filter chain is set up before handlers run.
        let rv = unsafe { ffi::ap_pass_brigade((*self.as_ptr()).output_filters, bb.as_ptr()) };
        bb.cleanup();
        AprError::check(rv)
    }

    /// Ends a response whose body has begun as broken, so the client sees it incomplete rather
    /// than a short answer that looks whole: what sent so far is flushed, then an error bucket
    /// `502` and the end of stream follow, as mod_proxy does when its backend fails mid-body.
    /// httpd's chunk filter then leaves out the last chunk, its error filter closes the
    /// connection instead of keeping it alive (so a `Content-Length` answer arrives short),
    /// and the response is not cached. Before anything was sent (headers included) the error
    /// bucket would become a 502 error page instead: only call this once the body has begun.
    pub fn abort_response(&mut self) -> Result<(), AprError> {
        self.set_no_cache(true);
        let mut bb = self.new_brigade();
        bb.append_flush();
        self.pass_brigade(&mut bb)?;
        bb.append_error(502);
        bb.append_eos();
        self.pass_brigade(&mut bb)
    }

    /// Adds a registered output filter to this request; `false` when no filter has that name.
    pub fn add_output_filter(&mut self, name: &str) -> bool {
        let n = self.pool().c_str(name);
        // SAFETY: valid request and connection; the name lives in the request pool.
        let f = unsafe {
            ffi::ap_add_output_filter(
                n,
                std::ptr::null_mut(),
                self.as_ptr(),
                (*self.as_ptr()).connection,
            )
        };
        !f.is_null()
    }

    /// Adds a registered input filter to this request; `false` when no filter has that name.
    pub fn add_input_filter(&mut self, name: &str) -> bool {
        let n = self.pool().c_str(name);
        // SAFETY: as above.
        let f = unsafe {
            ffi::ap_add_input_filter(
                n,
                std::ptr::null_mut(),
                self.as_ptr(),
                (*self.as_ptr()).connection,
            )
        };
        !f.is_null()
    }
}

impl Request {
    /// Adds a registered output filter whose state ([`Filter::ctx`]) starts as `ctx` instead
    /// of `T::default()`: one filter function can serve several instances that each know what
    /// they are for. `false` when no filter has that name (`ctx` is then dropped).
    pub fn add_output_filter_with<T: Default + 'static>(&mut self, name: &str, ctx: T) -> bool {
        let n = self.pool().c_str(name);
        let c = self.pool().alloc_raw(Ctx {
            type_id: TypeId::of::<T>(),
            value: ctx,
        });
        // SAFETY: valid request and connection; the name and the context live in the request
        // pool, as long as the filter.
        let f = unsafe {
            ffi::ap_add_output_filter(
                n,
                c as *mut c_void,
                self.as_ptr(),
                (*self.as_ptr()).connection,
            )
        };
        !f.is_null()
    }

    /// Adds a registered input filter whose state starts as `ctx`; see
    /// [`Request::add_output_filter_with`].
    pub fn add_input_filter_with<T: Default + 'static>(&mut self, name: &str, ctx: T) -> bool {
        let n = self.pool().c_str(name);
        let c = self.pool().alloc_raw(Ctx {
            type_id: TypeId::of::<T>(),
            value: ctx,
        });
        // SAFETY: as above.
        let f = unsafe {
            ffi::ap_add_input_filter(
                n,
                c as *mut c_void,
                self.as_ptr(),
                (*self.as_ptr()).connection,
            )
        };
        !f.is_null()
    }
}

impl Connection {
    /// Adds a registered connection-level output filter (from `pre_connection`).
    pub fn add_output_filter(&mut self, name: &str) -> bool {
        let n = self.pool().c_str(name);
        // SAFETY: valid connection; no request.
        let f = unsafe {
            ffi::ap_add_output_filter(n, std::ptr::null_mut(), std::ptr::null_mut(), self.as_ptr())
        };
        !f.is_null()
    }

    /// Adds a registered connection-level input filter (from `pre_connection`).
    pub fn add_input_filter(&mut self, name: &str) -> bool {
        let n = self.pool().c_str(name);
        // SAFETY: as above.
        let f = unsafe {
            ffi::ap_add_input_filter(n, std::ptr::null_mut(), std::ptr::null_mut(), self.as_ptr())
        };
        !f.is_null()
    }
}
