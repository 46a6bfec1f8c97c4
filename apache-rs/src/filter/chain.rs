//! Adding filters to a request's or connection's chains, and sending a brigade down them.

use crate::apr::{AprError, Brigade, OwnedBrigade};
use crate::conn::Connection;
use crate::core::strings;
use crate::filter::instance::Ctx;
use crate::http::Request;
use apache_sys as ffi;
use std::any::TypeId;
use std::os::raw::{c_char, c_void};

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
    /// than a short answer that looks whole: what was sent so far is flushed, then an error
    /// bucket `502` and the end of stream follow, as mod_proxy does when its backend fails
    /// mid-body. httpd's chunk filter then leaves out the last chunk, its error filter closes
    /// the connection instead of keeping it alive (so a `Content-Length` answer arrives short),
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

    /// Whether this request's output chain holds a filter registered as `name`, compared
    /// without case (httpd keeps filter names in lower case): `r.has_output_filter("INCLUDES")`
    /// says whether mod_include will still parse what the handler writes.
    pub fn has_output_filter(&self, name: &str) -> bool {
        // SAFETY: valid request served by this thread; its chain's filters and their records
        // live at least as long as the request.
        let mut f = unsafe { (*self.as_ptr()).output_filters };
        while !f.is_null() {
            // SAFETY: `f` is a filter of the chain (see above); its record's name is a
            // NUL-terminated string httpd keeps for the server's life.
            let (found, next) = unsafe {
                let frec = (*f).frec;
                let found = !frec.is_null()
                    && strings::to_str((*frec).name).is_some_and(|n| n.eq_ignore_ascii_case(name));
                (found, (*f).next)
            };
            if found {
                return true;
            }
            f = next;
        }
        false
    }

    /// Adds a registered output filter to this request; `false` when no filter has that name.
    pub fn add_output_filter(&mut self, name: &str) -> bool {
        self.add_filter(ffi::ap_add_output_filter, name, std::ptr::null_mut())
    }

    /// Adds a registered input filter to this request; `false` when no filter has that name.
    pub fn add_input_filter(&mut self, name: &str) -> bool {
        self.add_filter(ffi::ap_add_input_filter, name, std::ptr::null_mut())
    }

    /// Adds a registered output filter whose state ([`Filter::ctx`](crate::filter::Filter::ctx))
    /// starts as `ctx` instead of `T::default()`: one filter function can serve several
    /// instances that each know what they are for. `false` when no filter has that name (`ctx`
    /// is then dropped). The context is dropped with the request's pool, possibly on another
    /// thread, hence `Send`:
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
        let c = self.pool().alloc_raw(Ctx {
            type_id: TypeId::of::<T>(),
            value: ctx,
        });
        self.add_filter(ffi::ap_add_output_filter, name, c.cast())
    }

    /// Adds a registered input filter whose state starts as `ctx`; see
    /// [`Request::add_output_filter_with`].
    pub fn add_input_filter_with<T: Default + Send + 'static>(
        &mut self,
        name: &str,
        ctx: T,
    ) -> bool {
        let c = self.pool().alloc_raw(Ctx {
            type_id: TypeId::of::<T>(),
            value: ctx,
        });
        self.add_filter(ffi::ap_add_input_filter, name, c.cast())
    }

    /// Adds filter `name` to this request's chain with `add`, its state `ctx` (NULL, or a
    /// `Ctx` in the request pool).
    fn add_filter(&mut self, add: ApAddFilter, name: &str, ctx: *mut c_void) -> bool {
        let n = self.pool().c_str(name);
        // SAFETY: this thread's request and its connection; the name and the state live in
        // the request pool, as long as the filter.
        !unsafe { add(n, ctx, self.as_ptr(), self.raw().connection) }.is_null()
    }
}

impl Connection {
    /// Adds a registered connection-level output filter (from `pre_connection`).
    pub fn add_output_filter(&mut self, name: &str) -> bool {
        self.add_filter(ffi::ap_add_output_filter, name)
    }

    /// Adds a registered connection-level input filter (from `pre_connection`).
    pub fn add_input_filter(&mut self, name: &str) -> bool {
        self.add_filter(ffi::ap_add_input_filter, name)
    }

    /// Adds filter `name` to this connection's chain with `add`.
    fn add_filter(&mut self, add: ApAddFilter, name: &str) -> bool {
        let n = self.pool().c_str(name);
        // SAFETY: this thread's connection, no request; the name lives in the connection pool.
        !unsafe { add(n, std::ptr::null_mut(), std::ptr::null_mut(), self.as_ptr()) }.is_null()
    }
}

/// `ap_add_output_filter` or `ap_add_input_filter`: adds the filter registered under a name to
/// a request's chain (or a connection's, for a NULL request).
type ApAddFilter = unsafe extern "C" fn(
    *const c_char,
    *mut c_void,
    *mut ffi::request_rec,
    *mut ffi::conn_rec,
) -> *mut ffi::ap_filter_t;
