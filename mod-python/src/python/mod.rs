//! CPython inside httpd: starting it with its configuration (`startup`), how threads enter
//! Python (`gil`), the interpreters (`interpreters`), the handler loop (`dispatch`), the end of
//! Python at child exit (`child_exit`), how each interpreter's `_apache` module is made
//! (`native_module`), making sub-interpreters with a shared GIL or their own
//! (`subinterpreter`), objects made straight from bytes (`rawbytes`), what Python prints
//! (`output`, into the error_log), each interpreter's starting environment (`environ`) and the
//! `mod_python` package compiled into the module (`package`).
//!
//! Above `config/`, below everything that runs Python for a request: it knows no request.

pub mod child_exit;
pub mod dispatch;
pub mod environ;
pub mod gil;
pub mod interpreters;
pub mod native_module;
pub mod output;
pub mod package;
pub mod rawbytes;
pub mod startup;
pub mod subinterpreter;
