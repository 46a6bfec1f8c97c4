//! A module's own state for one request or one connection, kept in httpd's
//! `r->request_config` and `c->conn_config` vectors: the place C modules keep per-request data
//! (`ap_set_module_config`), found again by any hook of the same request without a global
//! map or lock.

use crate::apr::Pool;
use crate::conn::Connection;
use crate::core::{identity, logging, panic};
use apache_sys as ffi;
use std::any::TypeId;
use std::os::raw::c_void;

/// The value stored in a module's slot, with its type so a second type is refused.
struct Slot<T> {
    type_id: TypeId,
    /// The vector pointing at this slot, emptied when the slot is dropped.
    vector: *mut ffi::ap_conf_vector_t,
    value: T,
}

/// The pool cleanup that drops a slot. It empties the vector's entry first: a cleanup of the
/// same pool that runs later ([`Request::on_pool_cleanup`] registered before the state was
/// made) and asks for the state must not find the freed slot.
unsafe extern "C" fn drop_slot<T: 'static>(data: *mut c_void) -> ffi::apr_status_t {
    // SAFETY: registered by `slot` with a Box::into_raw::<Slot<T>>, run once by the pool.
    let s = unsafe { Box::from_raw(data as *mut Slot<T>) };
    let module = identity::this_module();
    // SAFETY: the vector is allocated in the same pool (or its parent), whose memory outlives
    // its cleanups, and the pool's cleanups run on one thread.
    unsafe {
        if ffi::get_module_config(s.vector, module) == data {
            ffi::set_module_config(s.vector, module, std::ptr::null_mut());
        }
    }
    panic::guard(
        || drop(s),
        |msg| logging::server_error(std::ptr::null_mut(), &msg),
    );
    0
}

/// The `T` in `vector`'s slot for this module, created with `Default` in `pool` on first use.
///
/// # Safety
/// `vector` is a configuration vector of `pool`'s object (request or connection), used by
/// this thread only; what the slot holds was put there by this function.
pub(crate) unsafe fn slot<'a, T: Default + Send + 'static>(
    vector: *mut ffi::ap_conf_vector_t,
    pool: &Pool,
) -> &'a mut T {
    let module = identity::this_module();
    assert!(
        !vector.is_null() && !module.is_null(),
        "module state used before the module was loaded"
    );
    // SAFETY: a vector of this thread's request or connection (see # Safety).
    let mut s = unsafe { ffi::get_module_config(vector, module) } as *mut Slot<T>;
    if s.is_null() {
        s = Box::into_raw(Box::new(Slot {
            type_id: TypeId::of::<T>(),
            vector,
            value: T::default(),
        }));
        // SAFETY: the cleanup takes the box back once, when the pool goes; until then the
        // vector's entry points at it.
        unsafe {
            ffi::apr_pool_cleanup_register(
                pool.as_ptr(),
                s as *const c_void,
                Some(drop_slot::<T>),
                Some(ffi::apr_pool_cleanup_null),
            );
            ffi::set_module_config(vector, module, s as *mut c_void);
        }
    }
    // SAFETY: the entry is a live Slot made above or by an earlier call (see # Safety); its
    // type is checked before its value is reached.
    unsafe {
        assert!(
            (*s).type_id == TypeId::of::<T>(),
            "a module keeps one type of state per request or connection"
        );
        &mut (*s).value
    }
}

/// The `T` in `vector`'s slot for this module, if something put one there (a slot of another
/// type is not one).
///
/// # Safety
/// As for [`slot`], and no `&mut` to the slot's value lives meanwhile.
pub(crate) unsafe fn existing_slot<'a, T: 'static>(
    vector: *mut ffi::ap_conf_vector_t,
) -> Option<&'a T> {
    let module = identity::this_module();
    if vector.is_null() || module.is_null() {
        return None;
    }
    // SAFETY: a vector of this thread's request or connection (see # Safety), read only.
    let s = unsafe { ffi::get_module_config(vector, module) } as *const Slot<T>;
    // SAFETY: a non-null entry is a live Slot made by `slot`; its type is checked before its
    // value is reached.
    unsafe { (!s.is_null() && (*s).type_id == TypeId::of::<T>()).then(|| &(*s).value) }
}

/// Whether this module's slot in `vector` holds something.
///
/// # Safety
/// As for [`slot`].
pub(crate) unsafe fn has_slot(vector: *mut ffi::ap_conf_vector_t) -> bool {
    let module = identity::this_module();
    // SAFETY: a vector of this thread's request or connection (see # Safety), read only.
    !vector.is_null()
        && !module.is_null()
        && !unsafe { ffi::get_module_config(vector, module) }.is_null()
}

impl Connection {
    /// This module's state for this connection, made with `Default` on first use and dropped
    /// with the connection's pool (by the event MPM's listener thread, hence `Send`). One type
    /// per module, as for [`Request::state`](crate::Request::state).
    pub fn state<T: Default + Send + 'static>(&mut self) -> &mut T {
        // SAFETY: conn_config belongs to this connection, whose pool holds the slot; the
        // &mut self borrow makes this the only reference.
        unsafe { slot((*self.as_ptr()).conn_config, self.pool()) }
    }
}
