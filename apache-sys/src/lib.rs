//! Raw FFI bindings to the Apache httpd 2.4 module API and APR/APR-util.
//!
//! The bindings are made by bindgen from the installed headers (found through `apxs`), or taken
//! from the checked-in copy for Linux x86_64 when headers or libclang are missing or the
//! `pregenerated` feature is on. The C macros that bindgen cannot translate and that modules
//! need are in [`macros`].
//!
//! This crate is the unsafe floor; the safe API is the `apache-httpd` crate (`use apache::...`).
//! Nothing here links a library: module symbols are resolved against the httpd process that
//! loads the module.
#![deny(missing_docs)]

/// The bindgen output: every item of the httpd and APR headers that modules use. Generated
/// code is exempt from the workspace's unsafe lints: its unsafe is layout tests and bit-field
/// accessors written by bindgen.
#[allow(
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    missing_docs,
    dead_code,
    clippy::all,
    improper_ctypes,
    unnecessary_transmutes,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]
mod bindings {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}
pub use bindings::*;

pub mod macros;
pub use macros::*;

/// The bindings generated at build time, as text, for the drift check against the checked-in copy.
#[doc(hidden)]
#[cfg(apache_sys_generated)]
pub const GENERATED_BINDINGS: &str = include_str!(concat!(env!("OUT_DIR"), "/bindings.rs"));
