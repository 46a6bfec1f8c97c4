//! Input, output and connection filters: the filter instance httpd calls ([`Filter`]),
//! registering filters, adding them to a request or connection, and lending one to an
//! embedded interpreter; new server-side include elements for mod_include's filter
//! ([`include`](mod@include)). Imports every layer up to and including
//! [`module`](mod@crate::module) (for registration).
//!
//! ```no_run
//! use apache::apr::{AprError, Brigade};
//! use apache::filter::{Filter, FilterType};
//!
//! apache::module!(shout_module);
//! apache::hook!(register, |reg| reg.output_filter(c"SHOUT", shout, FilterType::Resource));
//!
//! fn shout(f: &mut Filter, bb: &mut Brigade) -> Result<(), AprError> {
//!     let mut out = f.new_brigade();
//!     for b in bb.buckets() {
//!         if b.is_eos() {
//!             out.append_eos();
//!         } else if b.is_flush() {
//!             out.append_flush();
//!         } else if !b.is_metadata() {
//!             out.append_bytes(&b.read().map_err(|_| AprError::GENERAL)?.to_ascii_uppercase());
//!         }
//!     }
//!     bb.cleanup();
//!     f.pass(&mut out)
//! }
//! # fn main() {}
//! ```
//!
//! # Errors and panics
//! Filters follow httpd's convention: a filter returns an APR status, which goes back to
//! whoever called it (the previous filter, and in the end the handler or the core reading a
//! request). A filter returning `Err` passes that status up; a panic is caught, logged with its
//! location against the request (or connection), and becomes `APR_EGENERAL`. For a request
//! whose response has not started, the handler then fails and httpd answers 500 (the default
//! handler turns a failed `ap_pass_brigade` into `AP_FILTER_ERROR`, which `ap_die` makes a 500
//! while the header filter is still in place); a failed input filter makes the body read fail.
//! Once headers are out, the response is cut short and the connection closed, as in C.
//! An output filter that cannot go on (it lost data it had taken) ends the response itself
//! with [`Filter::fail_output`]: a 500 page before anything went out, a response cut short
//! after. A filter that has itself sent an error response down the chain (an error bucket,
//! [`Brigade::append_error`](crate::apr::Brigade::append_error), and an end-of-stream) returns
//! [`AprError::FILTER_ERROR`](crate::apr::AprError::FILTER_ERROR) so that nobody sends a second
//! one. A handler whose [`Request::pass_brigade`](crate::Request::pass_brigade) gets that error returns
//! [`crate::core::Status::FilterError`]; an `Err` or a panic after the response has ended is turned
//! into the same by apache-rs.

mod chain;
pub mod include;
mod instance;
mod lend;
mod register;

pub use instance::{Filter, FilterType, InputMode};
pub use register::FilterResult;
