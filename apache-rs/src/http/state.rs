//! A module's own state for one request, kept in `r->request_config`; see
//! [`crate::conn`]'s state for how it is kept.

use crate::conn::state::{existing_slot, has_slot, slot};
use crate::http::Request;

impl Request {
    /// This module's state for this request: made with `Default` the first time any hook of
    /// the request asks, dropped when the request's pool is (the request's end). A module
    /// keeps one type of state (a struct with what it needs); asking for another type panics.
    ///
    /// The request's pool may be destroyed on another thread than the one that made the
    /// state (see [Values that a pool drops](crate::apr::Pool#values-that-a-pool-drops)), so the
    /// state is `Send`; an `Rc` in it does not compile:
    ///
    /// ```compile_fail,E0277
    /// #[derive(Default)]
    /// struct Seen(std::rc::Rc<u32>);
    /// fn count(r: &mut apache::Request) {
    ///     r.state::<Seen>();
    /// }
    /// ```
    pub fn state<T: Default + Send + 'static>(&mut self) -> &mut T {
        // SAFETY: request_config belongs to this request, whose pool holds the slot; the
        // &mut self borrow makes this the only reference.
        unsafe { slot(self.raw().request_config, self.pool()) }
    }

    /// This module's state for this request if a hook made it, to read: for a request
    /// reached from the one being served (`r.prev()`, `r.main()`), whose state is not this
    /// hook's to make. `None` when there is none (or it is of another type).
    pub fn existing_state<T: 'static>(&self) -> Option<&T> {
        // SAFETY: request_config belongs to this request; a `&mut` to its state needs
        // `&mut self` (Request::state), which this shared borrow excludes.
        unsafe { existing_slot(self.raw().request_config) }
    }

    /// Whether [`Request::state`] was made for this request (without making it).
    pub fn has_state(&self) -> bool {
        // SAFETY: only reads the slot.
        unsafe { has_slot(self.raw().request_config) }
    }
}
