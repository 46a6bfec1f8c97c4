//! What mod_ssl knows of a request; see [`crate::conn`]'s side for the connection.

use crate::conn::ssl;
use crate::http::Request;

impl Request {
    /// Whether the request came over TLS by mod_ssl (`false` when mod_ssl is not loaded).
    pub fn is_https(&self) -> bool {
        self.connection().is_https()
    }

    /// An SSL variable for the request from mod_ssl; see [`Connection::ssl_var_lookup`](crate::Connection::ssl_var_lookup). The
    /// request's own variables (`HTTPS`, headers through `HTTP:name`) are answered too.
    pub fn ssl_var_lookup(&self, name: &str) -> Option<String> {
        let r = self.raw();
        ssl::lookup(self.pool(), r.server, r.connection, self.as_ptr(), name)
    }
}
