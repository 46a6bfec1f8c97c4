//! What mod_python keeps and runs while httpd serves something: a request (`request`, and the
//! handlers of its phases, `phase`), a filter call (`filter`), a `<!--#python -->` element of
//! a page (`include`) or a whole connection (`connection`).
//!
//! Above `python/`, below `apache_module/`, whose native functions reach the request, filter or
//! connection these lend to the thread.

pub mod connection;
pub mod filter;
pub mod include;
pub mod phase;
pub mod request;
