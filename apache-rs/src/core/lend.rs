//! Lending: a hook hands what it is serving to code that calls back later on the same thread
//! (an embedded interpreter's objects). The request ([`crate::Request::lend`]), a filter
//! ([`crate::filter::Filter::lend`]) and a connection's reader and writer
//! ([`crate::conn::ConnIo::lend`]) are lent this way.

/// The request is not (or no longer) lent to this thread, or is already borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLent;

impl std::fmt::Display for NotLent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request is not being served by this thread")
    }
}

impl std::error::Error for NotLent {}
