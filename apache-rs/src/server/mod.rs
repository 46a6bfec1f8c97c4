//! The server: each (virtual) host's `server_rec` ([`Server`]), the configuration as read
//! ([`ConfigNode`]), and what httpd knows of the whole process (MPM, defines, start time).
//! Imports [`crate::core`] and [`crate::apr`].

mod config_tree;
mod process;
mod record;

pub use config_tree::ConfigNode;
pub use process::{
    add_version_component, apr_version, exists_config_define, httpd_version, mpm_query,
    restart_time, scoreboard_children, wait_children_ended,
};
pub use record::Server;
