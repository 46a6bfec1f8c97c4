//! Who the client is, as the request sees it: its host name or address and port.

use crate::core::strings;
use crate::http::Request;
use apache_sys as ffi;
use std::os::raw::c_int;

/// How [`Request::remote_host`] may find the client's name (`REMOTE_*` of `http_core.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteHost {
    /// The name if known or looked up (per `HostnameLookups`), else `None`.
    Host,
    /// The name if known, else the IP address.
    Name,
    /// Never look up: the name if already known, else the IP address.
    NoLookup,
    /// A double-reverse-checked name (looked up both ways, whatever `HostnameLookups` says),
    /// else `None`.
    DoubleRev,
}

impl Request {
    /// The client's host name, or its IP address when `HostnameLookups` is off.
    pub fn remote_name(&self) -> Option<&str> {
        // SAFETY: valid request; REMOTE_NAME never does a lookup beyond the configured one.
        unsafe {
            let r = self.as_ptr();
            strings::to_str(ffi::ap_get_remote_host(
                (*r).connection,
                (*r).per_dir_config as *mut _,
                ffi::REMOTE_NAME as c_int,
                std::ptr::null_mut(),
            ))
        }
    }

    /// The client's host name as `kind` asks (`ap_get_remote_host`, which may look it up in
    /// the DNS), with whether the answer is an IP address rather than a name.
    pub fn remote_host(&self, kind: RemoteHost) -> (Option<&str>, bool) {
        let kind = match kind {
            RemoteHost::Host => ffi::REMOTE_HOST,
            RemoteHost::Name => ffi::REMOTE_NAME,
            RemoteHost::NoLookup => ffi::REMOTE_NOLOOKUP,
            RemoteHost::DoubleRev => ffi::REMOTE_DOUBLE_REV,
        };
        let mut is_ip: c_int = 0;
        // SAFETY: valid request of this thread; the answer is a connection pool string.
        let name = unsafe {
            let r = self.as_ptr();
            strings::to_str(ffi::ap_get_remote_host(
                (*r).connection,
                (*r).per_dir_config as *mut _,
                kind as c_int,
                &mut is_ip,
            ))
        };
        (name, is_ip != 0)
    }

    /// The client's port as the request sees it (`r->useragent_addr`, which `mod_remoteip`
    /// may set to the address a proxy reported); 0 when unknown.
    pub fn useragent_port(&self) -> u16 {
        let a = self.raw().useragent_addr;
        if a.is_null() {
            0
        } else {
            // SAFETY: NULL or the request's (or its connection's) address record.
            unsafe { (*a).port }
        }
    }
}
