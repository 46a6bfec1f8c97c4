//! Declaring the module to httpd: the exported `module` struct ([`crate::module!`]), hooks
//! ([`crate::hook!`], [`Registrar`], [`Order`]), configuration directives
//! ([`crate::directive!`], [`Directive`]), typed configuration ([`ModuleConfig`]), and
//! authentication providers. Imports [`crate::core`], [`crate::apr`], [`crate::server`],
//! [`crate::conn`] and [`crate::http`]; nothing below imports it.

pub(crate) mod config;
pub mod directive;
mod hooks;
pub mod provider;
pub(crate) mod record;

pub use config::{Module, ModuleConfig};
pub use directive::{Context, Directive, DirectiveError};
pub use hooks::{AuthInternal, Order, Registrar};
pub use provider::{AuthnStatus, AuthzStatus};
