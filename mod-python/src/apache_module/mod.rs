pub mod filter;
pub mod request;
pub mod request_fallback;
