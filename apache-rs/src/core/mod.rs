//! What every other layer uses: hook outcomes and errors ([`Status`], [`Error`],
//! [`HookResult`]), logging into httpd's error_log, keeping panics out of httpd, which module
//! this cdylib is, and C strings. Imports nothing else of the crate.

pub(crate) mod bits;
pub mod fn_value;
pub mod identity;
pub mod lend;
pub mod logging;
pub mod panic;
mod status;
pub(crate) mod strings;

pub use lend::NotLent;
pub(crate) use status::apr_strerror;
pub use status::{Error, HookResult, Status};
