//! APR, the Apache Portable Runtime that httpd is built on: memory pools ([`Pool`]), tables
//! ([`Table`]), and APR-util's bucket brigades ([`Brigade`], [`Bucket`]), which filters pass
//! along and a connection's reader and writer use, and what a failed APR call returns
//! ([`AprError`]). Imports only [`crate::core`].

mod brigade;
mod error;
mod pool;
mod table;

pub use brigade::{Brigade, Bucket, Buckets, Cursor, OwnedBrigade};
pub use error::AprError;
pub use pool::{OwnedPool, Pool};
pub use table::Table;
