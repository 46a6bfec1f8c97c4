//! Adding filters to a request's or connection's chains, and sending a brigade down them.

use crate::apr::{AprError, Brigade, OwnedBrigade};
use crate::conn::Connection;
use crate::filter::instance::Ctx;
use crate::http::Request;
use apache_sys as ffi;
use std::any::TypeId;
use std::os::raw::c_void;

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
    /// Adds a registered output filter whose state ([`Filter::ctx`](crate::filter::Filter::ctx)) starts as `ctx` instead
    /// of `T::default()`: one filter function can serve several instances that each know what
    /// they are for. `false` when no filter has that name (`ctx` is then dropped). The context
    /// is dropped with the request's pool, possibly on another thread, hence `Send`:
    ///
    /// ```compile_fail,E0277
    /// fn add(r: &mut apache::Request) {
    ///     r.add_output_filter_with("MINE", std::rc::Rc::new(1));
    /// }
    /// ```
    pub fn add_output_filter_with<T: Default + Send + 'static>(
        &mut self,
        name: &str,
        ctx: T,
    ) -> bool {
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
    pub fn add_input_filter_with<T: Default + Send + 'static>(
        &mut self,
        name: &str,
        ctx: T,
    ) -> bool {
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
