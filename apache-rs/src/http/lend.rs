//! Lending the request being served to code that calls back later on the same thread.
//!
//! An embedded language runtime (mod_python's CPython) receives control from a hook and calls
//! back into httpd through objects it keeps. [`Request::lend`] gives up the hook's `&mut Request`
//! for the duration of a call; inside it, [`Request::with_lent`] hands the request out again, one
//! borrow at a time. Nothing can reach the request after `lend` returns: an object kept past its
//! request gets [`NotLent`].

use crate::core::NotLent;
use crate::http::Request;
use apache_sys as ffi;
use std::cell::Cell;

thread_local! {
    static LENT: Cell<*mut ffi::request_rec> = const { Cell::new(std::ptr::null_mut()) };
}

/// Puts back the previously lent request when a lend ends, even by unwinding.
struct Restore(*mut ffi::request_rec);

impl Drop for Restore {
    fn drop(&mut self) {
        LENT.with(|l| l.set(self.0));
    }
}

impl Request {
    /// Runs `f` with this request lent to the thread; `f` reaches it through
    /// [`Request::with_lent`]. Lends nest (a subrequest lent inside a handler), the innermost
    /// being the one handed out.
    pub fn lend<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let _restore = Restore(LENT.with(|l| l.replace(self.as_ptr())));
        f()
    }

    /// Borrows the request lent to this thread by [`Request::lend`]. While `f` runs the request
    /// is taken, so a nested call gets [`NotLent`] instead of a second `&mut`.
    pub fn with_lent<R>(f: impl FnOnce(&mut Request) -> R) -> Result<R, NotLent> {
        let r = LENT.with(|l| l.replace(std::ptr::null_mut()));
        if r.is_null() {
            return Err(NotLent);
        }
        let _restore = Restore(r);
        // SAFETY: `r` was lent by `lend`, whose caller's &mut borrow is suspended for the whole
        // lend; taking it out of the slot makes this the only live reference until restored.
        Ok(f(unsafe { Request::from_raw_mut(r) }))
    }

    /// The address of the lent request, to check that an object still belongs to it.
    pub fn lent_id() -> Option<usize> {
        let r = LENT.with(Cell::get);
        (!r.is_null()).then_some(r as usize)
    }

    /// An identity for this request, comparable with [`Request::lent_id`].
    pub fn id(&self) -> usize {
        self.as_ptr() as usize
    }
}

thread_local! {
    /// The request whose [`Request::on_pool_cleanup`] callback this thread is running.
    static ENDED: Cell<*mut ffi::request_rec> = const { Cell::new(std::ptr::null_mut()) };
}

/// The filter chains a request and its connection had when an end-of-request callback began.
struct Chains {
    out: *mut ffi::ap_filter_t,
    proto_out: *mut ffi::ap_filter_t,
    input: *mut ffi::ap_filter_t,
    proto_input: *mut ffi::ap_filter_t,
    conn_out: *mut ffi::ap_filter_t,
    conn_input: *mut ffi::ap_filter_t,
}

/// Marks a request as ended on this thread and hides its filter chains for as long as it
/// lives; puts both back when dropped, even by unwinding.
struct Ended {
    r: *mut ffi::request_rec,
    previous: *mut ffi::request_rec,
    chains: Chains,
}

impl Ended {
    /// # Safety
    /// `r` is a request whose pool is running its cleanups on this thread.
    unsafe fn enter(r: *mut ffi::request_rec) -> Ended {
        // SAFETY: the request and its connection are alive while the request pool's cleanups
        // run, on this thread (see # Safety).
        let chains = unsafe {
            let c = (*r).connection;
            Chains {
                out: std::mem::replace(&mut (*r).output_filters, std::ptr::null_mut()),
                proto_out: std::mem::replace(&mut (*r).proto_output_filters, std::ptr::null_mut()),
                input: std::mem::replace(&mut (*r).input_filters, std::ptr::null_mut()),
                proto_input: std::mem::replace(&mut (*r).proto_input_filters, std::ptr::null_mut()),
                conn_out: std::mem::replace(&mut (*c).output_filters, std::ptr::null_mut()),
                conn_input: std::mem::replace(&mut (*c).input_filters, std::ptr::null_mut()),
            }
        };
        Ended {
            r,
            previous: ENDED.with(|e| e.replace(r)),
            chains,
        }
    }
}

impl Drop for Ended {
    fn drop(&mut self) {
        // SAFETY: `r` and its connection outlive the cleanup this guard lives in (`enter`).
        // Whatever the callback added to the hidden chains (httpd's OLD_WRITE filter on a
        // write) is dropped with them; it lives in the request's pool, freed next.
        unsafe {
            let r = self.r;
            let c = (*r).connection;
            (*r).output_filters = self.chains.out;
            (*r).proto_output_filters = self.chains.proto_out;
            (*r).input_filters = self.chains.input;
            (*r).proto_input_filters = self.chains.proto_input;
            (*c).output_filters = self.chains.conn_out;
            (*c).input_filters = self.chains.conn_input;
        }
        ENDED.with(|e| e.set(self.previous));
    }
}

/// A callback waiting in a request pool's cleanup list.
struct EndOfRequest<F> {
    r: *mut ffi::request_rec,
    f: F,
}

unsafe extern "C" fn run_end_of_request<F: FnOnce(&mut Request)>(
    data: *mut std::os::raw::c_void,
) -> ffi::apr_status_t {
    // SAFETY: `data` is the live Box on_pool_cleanup registered; only its pointer is read.
    let r = unsafe { (*(data as *const EndOfRequest<F>)).r };
    let _scope = crate::core::logging::Scope::request(r);
    // SAFETY: APR runs this cleanup once, during r->pool's destruction (see on_pool_cleanup).
    let _ended = unsafe { Ended::enter(r) };
    crate::core::panic::guard(
        || {
            // SAFETY: `data` is the Box leaked by on_pool_cleanup, taken back once. The
            // request_rec lives in the pool whose cleanups are running, so it is valid until
            // they end; nothing else uses it on this thread meanwhile.
            let (req, f) = unsafe {
                let EndOfRequest { r, f } = *Box::from_raw(data as *mut EndOfRequest<F>);
                (Request::from_raw_mut(r), f)
            };
            f(req);
        },
        |msg| crate::core::logging::request_error(r, &msg),
    );
    0
}

impl Request {
    /// Runs `f` with this request at its very end, when httpd destroys the request's pool
    /// (after the response was sent and the request logged). This is where C modules run
    /// their `apr_pool_cleanup_register(r->pool, ...)` cleanups; `f` is one of them and runs
    /// in their order: the last registered on the pool first.
    ///
    /// What `f` can rely on:
    /// - the request's own fields, its tables (`notes`, `headers_in`, ...) and its pool's
    ///   memory, its [`Request::connection`] and [`Request::server`]: a pool's memory is freed
    ///   only after all its cleanups ran, and the connection and server outlive the request;
    /// - the module's [`Request::state`], if it was made before `on_pool_cleanup` was called
    ///   (it is dropped by a cleanup of its own, after this one); made afterwards, it is
    ///   already gone and asking for it makes a new one;
    /// - logging, which goes to the request's server (`ap_log_rerror`).
    ///
    /// What is gone: the request's sub-pools (APR destroys them before running a pool's
    /// cleanups) and with them its subrequests, and anything registered on the pool after
    /// `f` was (cleanups run last-in, first-out).
    ///
    /// The response has ended, and the filters that sent it may be the caller of this very
    /// cleanup (httpd destroys the pool when the end-of-request bucket leaves its output
    /// filter). So while `f` runs, the request's and its connection's filter chains are
    /// hidden, and writing ([`Request::write_bytes`], [`Request::flush_output`],
    /// [`Request::sendfile`]), reading the body, internal redirects and running subrequests
    /// are refused with an error saying the response has ended (the connection's
    /// [`io`](crate::conn::Connection::io) fails on the hidden chains). [`Request::response_ended`]
    /// tells code that `f` calls where it is.
    ///
    /// `f` may run on another thread than the one that registered it (the event MPM finishes
    /// sending a response on whichever worker is free), hence `Send`. A panic in `f` is
    /// caught and logged. To let code that reaches the request with [`Request::with_lent`]
    /// run (an embedded interpreter's objects), lend it: `r.lend(|| ...)`.
    ///
    /// ```no_run
    /// use apache::{HookResult, Request, Status};
    ///
    /// apache::module!(timing_module);
    /// apache::hook!(handler, timed);
    ///
    /// fn timed(r: &mut Request) -> HookResult {
    ///     if r.handler() != Some("timed") {
    ///         return Ok(Status::Declined);
    ///     }
    ///     r.notes_mut().set("timing-started", "yes");
    ///     r.on_pool_cleanup(|r| {
    ///         assert!(r.response_ended());
    ///         // Too late to answer: this fails, and nothing reaches the client.
    ///         assert!(r.flush_output().is_err());
    ///         let uri = r.uri().unwrap_or("-").to_owned();
    ///         let note = r.notes().get("timing-started").unwrap_or("-").to_owned();
    ///         apache::log::info!("{uri} ended (note {note}, {} bytes sent)", r.bytes_sent());
    ///     });
    ///     r.write_bytes(b"hello")?;
    ///     Ok(Status::Ok)
    /// }
    /// # fn main() {}
    /// ```
    pub fn on_pool_cleanup<F>(&self, f: F)
    where
        F: FnOnce(&mut Request) + Send + 'static,
    {
        let data = Box::into_raw(Box::new(EndOfRequest {
            r: self.as_ptr(),
            f,
        }));
        // SAFETY: the cleanup takes the box back when it runs. r->pool holds the request_rec
        // itself, so the pointer the box keeps is valid whenever the cleanup runs; a cleanup
        // that never runs (the child exits without destroying the pool) leaks the box.
        unsafe {
            ffi::apr_pool_cleanup_register(
                self.pool().as_ptr(),
                data as *const std::os::raw::c_void,
                Some(run_end_of_request::<F>),
                Some(ffi::apr_pool_cleanup_null),
            );
        }
    }

    /// Whether this request has ended: this thread is running one of its
    /// [`Request::on_pool_cleanup`] callbacks, where nothing can be sent to or read from the
    /// client any more.
    pub fn response_ended(&self) -> bool {
        ENDED.with(Cell::get) == self.as_ptr()
    }
}
