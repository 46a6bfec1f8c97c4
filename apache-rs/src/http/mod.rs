//! One HTTP request (`request_rec`): [`Request`] with its fields and headers, its body
//! ([`Body`]), its response, the file it maps to ([`FileInfo`]), its URI ([`ParsedUri`]),
//! subrequests ([`SubRequest`]), authentication and client data, CGI variables, lending it to
//! an embedded interpreter and running code at its end, and a module's state for it.
//! Imports [`crate::core`], [`crate::apr`], [`crate::server`] and [`crate::conn`].

mod auth;
mod body;
mod cgi;
mod client;
mod core_config;
mod fields;
mod file_info;
mod lend;
mod method;
mod request;
mod response;
mod ssl;
mod state;
mod subrequest;
mod uri;

pub use body::{Body, BodyError};
pub use client::RemoteHost;
pub use file_info::{FileInfo, FileKind, FinfoFields, stat};
pub use method::MethodMask;
pub(crate) use request::ENDED;
pub use request::Request;
pub use subrequest::SubRequest;
pub use uri::ParsedUri;
