pub mod connection;
pub mod filter;
pub mod request;
