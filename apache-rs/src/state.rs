//! A module's own state for one request or one connection, kept in httpd's
//! `r->request_config` and `c->conn_config` vectors: the place C modules keep per-request data
//! (`ap_set_module_config`), found again by any hook of the same request without a global
//! map or lock.

use crate::{Connection, Request};
use apache_sys as ffi;
use std::any::TypeId;
use std::os::raw::c_void;

/// The value stored in a module's slot, with its type so a second type is refused.
struct Slot<T> {
    type_id: TypeId,
    value: T,
}

/// The `T` in `vector`'s slot for this module, created with `Default` in `pool` on first use.
///
/// # Safety
/// `vector` is a configuration vector of `pool`'s object (request or connection), used by
/// this thread only; what the slot holds was put there by this function.
unsafe fn slot<'a, T: Default + 'static>(
    vector: *mut ffi::ap_conf_vector_t,
    pool: &crate::Pool,
) -> &'a mut T {
    let module = crate::module::this_module();
    assert!(
        !vector.is_null() && !module.is_null(),
        "module state used before the module was loaded"
    );
    let mut s = ffi::get_module_config(vector, module) as *mut Slot<T>;
    if s.is_null() {
        s = pool.alloc_raw(Slot {
            type_id: TypeId::of::<T>(),
            value: T::default(),
        });
        ffi::set_module_config(vector, module, s as *mut c_void);
    }
    assert!(
        (*s).type_id == TypeId::of::<T>(),
        "a module keeps one type of state per request or connection"
    );
    &mut (*s).value
}

/// Whether this module's slot in `vector` holds something.
///
/// # Safety
/// As for [`slot`].
unsafe fn has_slot(vector: *mut ffi::ap_conf_vector_t) -> bool {
    let module = crate::module::this_module();
    !vector.is_null() && !module.is_null() && !ffi::get_module_config(vector, module).is_null()
}

impl Request {
    /// This module's state for this request: made with `Default` the first time any hook of
    /// the request asks, dropped when the request's pool is (the request's end). A module
    /// keeps one type of state (a struct with what it needs); asking for another type panics.
    pub fn state<T: Default + 'static>(&mut self) -> &mut T {
        // SAFETY: request_config belongs to this request, whose pool holds the slot; the
        // &mut self borrow makes this the only reference.
        unsafe { slot(self.raw().request_config, self.pool()) }
    }

    /// Whether [`Request::state`] was made for this request (without making it).
    pub fn has_state(&self) -> bool {
        // SAFETY: only reads the slot.
        unsafe { has_slot(self.raw().request_config) }
    }
}

impl Connection {
    /// This module's state for this connection, made with `Default` on first use and dropped
    /// with the connection's pool. One type per module, as for [`Request::state`].
    pub fn state<T: Default + 'static>(&mut self) -> &mut T {
        // SAFETY: conn_config belongs to this connection, whose pool holds the slot; the
        // &mut self borrow makes this the only reference.
        unsafe { slot((*self.as_ptr()).conn_config, self.pool()) }
    }
}
