//! Write Apache httpd 2.4 modules in safe Rust.
//!
//! A module is a `cdylib` that declares itself with [`module!`] and registers its hooks with
//! [`hook!`] from anywhere in the crate. Hook functions receive safe types ([`Request`],
//! [`Connection`], [`Server`], [`Pool`], [`Table`]) and return a [`HookResult`]; no `unsafe` and
//! no `extern "C"` is needed in user code. A panic in a hook never crosses into httpd: it is
//! logged with its location and the request gets a 500.
//!
//! ```no_run
//! use apache::{Request, HookResult, Status};
//! use std::io::Write;
//!
//! apache::module!(hello_module);
//! apache::hook!(handler, hello);
//!
//! fn hello(r: &mut Request) -> HookResult {
//!     if r.handler() != Some("hello") {
//!         return Ok(Status::Declined);
//!     }
//!     r.set_content_type("text/plain");
//!     r.write_all(b"hello world\n")?;
//!     Ok(Status::Ok)
//! }
//! # fn main() {}
//! ```
//!
//! # Threads
//! Under the worker and event MPMs many threads of one child process serve requests at once.
//! A [`Request`] (like a [`Connection`]) belongs to the thread serving it: it is neither `Send`
//! nor `Sync`, so it cannot leak into another thread. Module statics are shared by all threads
//! of a child and must be thread-safe as usual in Rust. Each child process has its own copy of
//! every static: state set before the fork (in `post_config`) is inherited, state set after it
//! is per child.
#![deny(missing_docs)]

pub use apache_sys as ffi;
pub use log;

pub mod body;
pub mod bucket;
pub mod conn_io;
pub mod connection;
mod cstr;
pub mod directives;
pub mod filter;
pub mod hooks;
pub mod lend;
pub mod logging;
#[doc(hidden)]
pub mod module;
pub mod mutex;
pub mod panic;
pub mod pool;
pub mod provider;
pub mod request;
pub mod response;
pub mod server;
pub mod slot;
pub mod socache;
pub mod ssl;
pub mod state;
pub mod status;
pub mod table;

pub use connection::Connection;
pub use hooks::Order;
pub use pool::Pool;
pub use request::Request;
pub use server::Server;
pub use status::{Error, HookResult, Status};
pub use table::Table;

#[doc(hidden)]
pub use inventory as __inventory;
