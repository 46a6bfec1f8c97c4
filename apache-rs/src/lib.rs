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
//! # Layers
//! The crate is laid out by httpd subsystem, and each folder's items are re-exported by it, so
//! an item's path says its layer. From the bottom up (each imports only those before it):
//!
//! - [`core`]: hook outcomes ([`Status`], [`Error`], [`HookResult`]), logging, panics, which
//!   module this cdylib is;
//! - [`apr`]: pools, tables, bucket brigades;
//! - [`server`]: the `server_rec` and what httpd knows of the process;
//! - [`conn`]: the connection;
//! - [`http`]: the request, its body, its response, subrequests, authentication;
//! - [`module`](mod@module): declaring the module, hooks, directives, typed configuration, providers;
//! - [`filter`]: filters; [`shared`]: what processes share (mutexes, caches).
//!
//! The guide's "Design" chapter draws the layers and says where each kind of change goes.
//!
//! # Building
//! `apache-sys` generates its bindings at build time with bindgen from the installed httpd and
//! APR headers (Debian: `apache2-dev`, with `libclang-dev` for bindgen). It finds them the way
//! module builds do, through `apxs` (`apxs -q INCLUDEDIR`, `APR_INCLUDEDIR` and the flags of
//! the `apr-1-config`/`apu-1-config` it names; the `APXS` variable names another apxs), then
//! `pkg-config`. `APACHE_INCLUDE_DIR` and `APR_INCLUDE_DIR` override where httpd's and APR's
//! headers are. Without headers or libclang, or with the `pregenerated` feature (or
//! `APACHE_SYS_PREGENERATED` set), the bindings checked in for Linux x86_64 are used, so the
//! crate builds, and its documentation renders, with no httpd installed. A module is a
//! `cdylib`; nothing is linked: httpd's symbols are resolved when httpd loads the module.
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

pub mod apr;
pub mod conn;
pub mod core;
pub mod filter;
pub mod http;
pub mod module;
pub mod server;
pub mod shared;

#[doc(hidden)]
pub mod __private;

pub use crate::apr::{Pool, Table};
pub use crate::conn::Connection;
pub use crate::core::{Error, HookResult, NotLent, Status};
pub use crate::http::Request;
pub use crate::module::{ModuleConfig, Order};
pub use crate::server::Server;
