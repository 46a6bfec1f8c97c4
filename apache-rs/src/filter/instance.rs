//! A filter instance as httpd calls it ([`Filter`]), where it sits in the chain
//! ([`FilterType`]) and what an input filter is asked ([`InputMode`]).

use crate::apr::Pool;
use crate::apr::{AprError, Brigade, OwnedBrigade};
use crate::conn::Connection;
use crate::core::strings;
use crate::http::Request;
use apache_sys as ffi;
use std::any::TypeId;
use std::cell::UnsafeCell;
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
    pub(super) fn raw(self) -> ffi::ap_filter_type {
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
    pub(super) fn from_raw(m: ffi::ap_input_mode_t) -> InputMode {
        match m {
            ffi::AP_MODE_GETLINE => InputMode::GetLine,
            ffi::AP_MODE_EATCRLF => InputMode::EatCrlf,
            ffi::AP_MODE_SPECULATIVE => InputMode::Speculative,
            ffi::AP_MODE_EXHAUSTIVE => InputMode::Exhaustive,
            ffi::AP_MODE_INIT => InputMode::Init,
            _ => InputMode::ReadBytes,
        }
    }

    pub(super) fn raw(self) -> ffi::ap_input_mode_t {
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
pub(crate) struct Ctx<T> {
    pub(crate) type_id: TypeId,
    pub(crate) value: T,
}

impl Filter {
    pub(super) fn raw(&self) -> &ffi::ap_filter_t {
        // SAFETY: httpd owns the filter for the call, on this thread.
        unsafe { &*self.0.get() }
    }

    /// The filter's registered name.
    pub fn name(&self) -> Option<&str> {
        // SAFETY: the filter record lives as long as the server configuration.
        unsafe { strings::to_str((*self.raw().frec).name) }
    }

    /// The request, for request filters.
    pub fn request(&mut self) -> Option<&mut Request> {
        let r = self.raw().r;
        // SAFETY: the request outlives its filters' calls.
        (!r.is_null()).then(|| unsafe { Request::from_raw_mut(r) })
    }

    /// The connection.
    pub fn connection(&mut self) -> &mut Connection {
        // SAFETY: every filter has a connection that outlives the call.
        unsafe { Connection::from_raw_mut(self.raw().c) }
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
    /// created with `Default` on first use and dropped with the pool, possibly on another
    /// thread (hence `Send`; see [Values that a pool drops](crate::apr::Pool#values-that-a-pool-drops)):
    ///
    /// ```compile_fail,E0277
    /// #[derive(Default)]
    /// struct Seen(std::rc::Rc<u32>);
    /// fn filter(f: &mut apache::filter::Filter) {
    ///     f.ctx::<Seen>();
    /// }
    /// ```
    pub fn ctx<T: Default + Send + 'static>(&mut self) -> &mut T {
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

    /// Ends the response as failed from this output filter, as httpd's own filters do when
    /// they cannot go on, and returns the status to hand back to httpd
    /// ([`AprError::FILTER_ERROR`]: the error response is sent, nobody sends a second one).
    /// What `bb` holds is dropped. Before the response has begun (headers not yet sent), the
    /// client gets a 500 error page: an error bucket the HTTP header filter turns into one.
    /// After it, the response is cut short as [`Request::abort_response`] cuts it (a `502`
    /// error bucket: no last chunk, the connection closed, nothing cached). A filter that
    /// calls this must drop whatever reaches it afterwards (the end of stream already went).
    pub fn fail_output(&mut self, bb: &mut Brigade) -> Result<(), AprError> {
        bb.cleanup();
        let begun = match self.request() {
            Some(r) if r.sent_bodyct() != 0 => {
                r.set_no_cache(true);
                true
            }
            Some(_) => false,
            // A connection filter has no error page to send: its stream is cut short.
            None => true,
        };
        let mut out = self.new_brigade();
        if begun {
            out.append_flush();
            out.append_error(502);
        } else {
            out.append_error(500);
        }
        out.append_eos();
        // Failing to send the error changes nothing: the response is over either way.
        let _ = self.pass(&mut out);
        Err(AprError::FILTER_ERROR)
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
    pub fn fetch(
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
