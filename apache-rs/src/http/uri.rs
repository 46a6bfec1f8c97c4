//! The request's URI as parsed (`r->parsed_uri`), and URLs on this server.

use crate::core::strings;
use crate::http::Request;
use apache_sys as ffi;

/// The parts of the request URI (`r->parsed_uri`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedUri {
    /// `http`, when the client sent an absolute URI.
    pub scheme: Option<String>,
    /// `user:password@host:port`.
    pub hostinfo: Option<String>,
    /// The user part.
    pub user: Option<String>,
    /// The password part.
    pub password: Option<String>,
    /// The host part.
    pub hostname: Option<String>,
    /// The port, as given.
    pub port_str: Option<String>,
    /// The path.
    pub path: Option<String>,
    /// The query string.
    pub query: Option<String>,
    /// The fragment.
    pub fragment: Option<String>,
    /// The port number (0 when not given).
    pub port: u16,
}

impl Request {
    /// `r->parsed_uri`.
    pub fn parsed_uri(&self) -> ParsedUri {
        let u = &self.raw().parsed_uri;
        let owned = |p| {
            // SAFETY: NULL or a string of the request's pool, alive for this call.
            unsafe { strings::to_owned(p) }
        };
        ParsedUri {
            scheme: owned(u.scheme),
            hostinfo: owned(u.hostinfo),
            user: owned(u.user),
            password: owned(u.password),
            hostname: owned(u.hostname),
            port_str: owned(u.port_str),
            path: owned(u.path),
            query: owned(u.query),
            fragment: owned(u.fragment),
            port: u.port,
        }
    }

    /// The absolute URL of `uri` on this server (`ap_construct_url`).
    pub fn construct_url(&self, uri: &str) -> String {
        let u = self.pool().c_str(uri);
        // SAFETY: the result is a pool string.
        unsafe {
            strings::to_str(ffi::ap_construct_url(
                self.pool().as_ptr(),
                u,
                self.as_ptr(),
            ))
        }
        .unwrap_or("")
        .to_string()
    }
}
