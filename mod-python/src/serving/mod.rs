pub mod connection;
pub mod filter;
pub mod phase;
pub mod request;
