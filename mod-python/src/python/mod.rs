//! CPython inside httpd: starting it with its configuration (`startup`), how threads enter
//! Python (`gil`), the interpreters (`interpreters`), the handler loop (`dispatch`), the end of
//! Python at child exit (`child_exit`), and objects made straight from bytes (`rawbytes`).
//!
//! Above `config/`, below everything that runs Python for a request: it knows no request.

pub mod child_exit;
pub mod dispatch;
pub mod gil;
pub mod interpreters;
pub mod rawbytes;
pub mod startup;
