//! One client connection (`conn_rec`): [`Connection`], reading from and writing to the client
//! through its filters ([`ConnIo`]), what mod_ssl knows of it, and a module's state for it.
//! Imports [`crate::core`], [`crate::apr`] and [`crate::server`].

mod connection;
mod io;
pub(crate) mod ssl;
pub(crate) mod state;

pub use connection::Connection;
pub use io::ConnIo;
