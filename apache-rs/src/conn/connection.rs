//! `conn_rec`: one client connection, which may carry many requests (keep-alive).

use crate::apr::{OwnedBrigade, Pool};
use crate::core::strings;
use apache_sys as ffi;
use std::cell::UnsafeCell;
use std::marker::PhantomData;

/// A borrowed `conn_rec`. Not `Send`: it belongs to the thread serving the connection.
///
/// ```compile_fail,E0277
/// fn send<T: Send>() {}
/// send::<apache::Connection>();
/// ```
#[repr(transparent)]
pub struct Connection(UnsafeCell<ffi::conn_rec>, PhantomData<*mut ()>);

impl Connection {
    /// Borrows a conn_rec httpd handed over, to read it.
    ///
    /// # Safety
    /// `c` is a valid conn_rec, used by this thread only, for `'a`.
    pub unsafe fn from_raw<'a>(c: *mut ffi::conn_rec) -> &'a Connection {
        // SAFETY: Connection is a transparent wrapper of conn_rec; validity, thread and
        // lifetime are the caller's promise (see # Safety).
        unsafe { &*(c as *const Connection) }
    }

    /// Borrows a conn_rec httpd handed over, to change it.
    ///
    /// # Safety
    /// `c` is a valid conn_rec, used by this thread only, through this borrow only, for `'a`.
    pub unsafe fn from_raw_mut<'a>(c: *mut ffi::conn_rec) -> &'a mut Connection {
        // SAFETY: Connection is a transparent wrapper of conn_rec; validity, thread and
        // lifetime are the caller's promise (see # Safety).
        unsafe { &mut *(c as *mut Connection) }
    }

    /// The `conn_rec` pointer.
    pub fn as_ptr(&self) -> *mut ffi::conn_rec {
        self.0.get()
    }

    fn raw(&self) -> &ffi::conn_rec {
        // SAFETY: read access on this connection's own thread.
        unsafe { &*self.0.get() }
    }

    fn raw_mut(&mut self) -> &mut ffi::conn_rec {
        // SAFETY: as above, with exclusive access through &mut self.
        unsafe { &mut *self.0.get() }
    }

    /// The connection's pool (lives as long as the connection).
    pub fn pool(&self) -> &crate::apr::Pool {
        // SAFETY: the pool outlives the conn_rec borrow.
        unsafe { crate::apr::Pool::from_raw(self.raw().pool) }
    }

    /// The server (virtual host) the connection came in on, by address.
    pub fn base_server(&self) -> &crate::server::Server {
        // SAFETY: set when the connection is made.
        unsafe { crate::server::Server::from_raw(self.raw().base_server) }
    }

    /// The peer's IP address as text (`client_ip`: the TCP peer, before any proxy rewriting).
    pub fn client_ip(&self) -> Option<&str> {
        // SAFETY: pool string.
        unsafe { strings::to_str(self.raw().client_ip) }
    }

    /// The peer's port.
    pub fn client_port(&self) -> u16 {
        let a = self.raw().client_addr;
        if a.is_null() {
            0
        } else {
            // SAFETY: client_addr, when set, lives in the connection's pool.
            unsafe { (*a).port }
        }
    }

    /// Our own IP address for this connection.
    pub fn local_ip(&self) -> Option<&str> {
        // SAFETY: pool string.
        unsafe { strings::to_str(self.raw().local_ip) }
    }

    /// Our own port for this connection.
    pub fn local_port(&self) -> u16 {
        let a = self.raw().local_addr;
        if a.is_null() {
            0
        } else {
            // SAFETY: local_addr, when set, lives in the connection's pool.
            unsafe { (*a).port }
        }
    }

    /// The client's host name, when a reverse lookup was made (`HostnameLookups`).
    pub fn remote_host(&self) -> Option<&str> {
        // SAFETY: pool string.
        unsafe { strings::to_str(self.raw().remote_host) }
    }

    /// httpd's id for the connection, unique among the connections alive at the same time.
    pub fn id(&self) -> i64 {
        self.raw().id
    }

    /// Whether the client has gone away.
    pub fn aborted(&self) -> bool {
        self.raw().aborted != 0
    }

    /// Whether the connection will be kept alive after the current request.
    pub fn keepalive(&self) -> bool {
        self.raw().keepalive == ffi::AP_CONN_KEEPALIVE
    }

    /// Closes the connection once the current request is answered, instead of keeping it
    /// alive for another: what a module does when what is left of the request on the wire
    /// cannot be trusted (a body read part-way).
    pub fn close_after_request(&mut self) {
        // SAFETY: `&mut self`: this thread's connection, borrowed exclusively.
        unsafe { (*self.as_ptr()).keepalive = ffi::AP_CONN_CLOSE };
    }

    /// How many requests this connection has served so far.
    pub fn keepalives(&self) -> i32 {
        self.raw().keepalives
    }

    /// Notes shared by the modules for this connection.
    pub fn notes(&self) -> &crate::apr::Table {
        // SAFETY: the table lives as long as the connection.
        unsafe { crate::apr::Table::from_raw(self.raw().notes) }
    }

    /// [`Connection::notes`], to change them.
    pub fn notes_mut(&mut self) -> &mut crate::apr::Table {
        // SAFETY: the table lives as long as the connection; &mut self makes this the only
        // borrow.
        unsafe { crate::apr::Table::from_raw_mut(self.raw().notes) }
    }

    /// The client's user name from an ident lookup (`IdentityCheck`), when one was made.
    pub fn remote_logname(&self) -> Option<&str> {
        // SAFETY: pool string.
        unsafe { strings::to_str(self.raw().remote_logname) }
    }

    /// Our own host name for this connection, when known.
    pub fn local_host(&self) -> Option<&str> {
        // SAFETY: pool string.
        unsafe { strings::to_str(self.raw().local_host) }
    }

    /// Whether the client's name was checked both ways: 0 not yet, 1 yes and it matched,
    /// -1 it did not (`double_reverse`).
    pub fn double_reverse(&self) -> i32 {
        // A two-bit signed field: sign-extend.
        (self.raw().double_reverse() << 30) >> 30
    }

    /// httpd's keep-alive decision for the connection: `AP_CONN_UNKNOWN` 0, `AP_CONN_CLOSE` 1,
    /// `AP_CONN_KEEPALIVE` 2.
    pub fn keepalive_state(&self) -> i32 {
        self.raw().keepalive as i32
    }

    /// Changes httpd's keep-alive decision (a handler setting `AP_CONN_CLOSE` 1 closes the
    /// connection after this response). Only the three states above are taken: `false`, and
    /// nothing changed, for any other number.
    pub fn set_keepalive_state(&mut self, state: i32) -> bool {
        match u32::try_from(state) {
            Ok(s @ (ffi::AP_CONN_UNKNOWN | ffi::AP_CONN_CLOSE | ffi::AP_CONN_KEEPALIVE)) => {
                self.raw_mut().keepalive = s as _;
                true
            }
            _ => false,
        }
    }
}

impl<'p> OwnedBrigade<'p> {
    /// A new empty brigade in `pool` (a request's or connection's) with buckets from the
    /// connection's allocator. Destroyed on drop (its buckets too); the pool must not be
    /// cleared before that, which the borrow ensures.
    pub fn new(pool: &'p Pool, conn: &Connection) -> OwnedBrigade<'p> {
        // SAFETY: the connection's allocator serves its whole life, longer than the borrow.
        let alloc = unsafe { (*conn.as_ptr()).bucket_alloc };
        OwnedBrigade::with_alloc(pool, alloc)
    }
}
