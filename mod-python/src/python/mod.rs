//! CPython inside httpd: how threads enter Python (`gil`), the interpreters (`interpreters`),
//! the handler loop (`dispatch`), the end of Python at child exit (`child_exit`), objects
//! made straight from bytes (`rawbytes`), and what Python prints (`output`, into the
//! error_log).
//!
//! Above `config/`, below everything that runs Python for a request: it knows no request.

pub mod child_exit;
pub mod dispatch;
pub mod gil;
pub mod interpreters;
pub mod output;
pub mod rawbytes;
