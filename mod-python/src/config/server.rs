//! The per-server configuration: what is read once per (virtual) server.

use super::{FreeThreading, HandlerSpec, InterpreterGil, PythonHome};
use apache::module::ModuleConfig;

/// Per-server configuration.
#[derive(Debug, Clone, Default)]
pub struct SrvConf {
    /// `PythonImport module[::function] interpreter`.
    pub imports: Vec<(String, String)>,
    /// `PythonOptimize On` (main server only): Python runs as with `-O`.
    pub optimize: bool,
    /// `PythonConnectionHandler`.
    pub connection_handler: Option<HandlerSpec>,
    /// `PythonHome` (main server only).
    pub python_home: Option<PythonHome>,
    /// `PythonInterpreterGIL` (main server only).
    pub interpreter_gil: InterpreterGil,
    /// `PythonFreeThreading` (main server only).
    pub free_threading: Option<FreeThreading>,
}

impl ModuleConfig for SrvConf {
    fn create(_: Option<&str>) -> Self {
        SrvConf::default()
    }

    fn merge(base: &Self, add: &Self) -> Self {
        // Each server's own imports: children run those of every server once.
        SrvConf {
            imports: add.imports.clone(),
            optimize: add.optimize || base.optimize,
            connection_handler: add
                .connection_handler
                .clone()
                .or_else(|| base.connection_handler.clone()),
            python_home: add.python_home.clone().or_else(|| base.python_home.clone()),
            interpreter_gil: if add.interpreter_gil.is_empty() {
                base.interpreter_gil.clone()
            } else {
                add.interpreter_gil.clone()
            },
            free_threading: add
                .free_threading
                .clone()
                .or_else(|| base.free_threading.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_single;

    #[test]
    fn a_virtual_host_keeps_its_own_imports_and_inherits_the_rest() {
        let main = SrvConf {
            imports: vec![("a".into(), "main_interpreter".into())],
            optimize: true,
            connection_handler: Some(parse_single("echo", "connectionhandler", None).unwrap()),
            python_home: None,
            interpreter_gil: InterpreterGil::default(),
            free_threading: None,
        };
        let vhost = SrvConf {
            imports: vec![("b".into(), "vhost".into())],
            ..SrvConf::default()
        };
        let merged = SrvConf::merge(&main, &vhost);
        assert_eq!(merged.imports, [("b".to_string(), "vhost".to_string())]);
        assert!(merged.optimize);
        assert_eq!(merged.connection_handler.unwrap().module, "echo");
        assert!(
            SrvConf::merge(&main, &SrvConf::default())
                .imports
                .is_empty()
        );
    }
}
