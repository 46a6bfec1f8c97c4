//! `mod_python.so`: mod_python 3.5 for Apache httpd 2.4, built on apache-rs, embedding CPython.
//!
//! `LoadModule python_module .../mod_python.so` and the mod_python directives work as with the
//! C module; the `mod_python` Python package is compiled into this library.
//!
//! The crate is in layers, each using only those below it (docs/src/design.md draws them):
//! `hooks` (the httpd module and its hooks), `apache_module` (the native `_apache` module),
//! `serving` (a request, filter call or connection being served), `python` (CPython), `shared`
//! (resources of all children) and `config` (the directives and configuration).

// The unit tests (config's) build the configuration alone: everything else runs inside httpd
// and links against it, which a test program cannot. What only the rest uses is unused there.
// So do the fuzz targets (mod-python/fuzz, built by cargo-fuzz with `--cfg fuzzing`), which
// call the configuration's parsers.
#![cfg_attr(any(test, fuzzing), allow(dead_code, unused_imports))]

// Interpreters with a GIL of their own (PythonInterpreterGIL own) must never have one
// interpreter's objects released by a thread in another: pyo3's process-wide deferred-decref
// pool would do just that, so the module is only built without it (.cargo/config.toml sets the
// cfg for cargo, setup.py for pip). See docs/src/interpreters.md. rustdoc is exempt: it only
// reads this crate (the pyo3 it links was compiled by rustc, with the flag), and
// `RUSTDOCFLAGS=...` in the environment replaces the configuration's flags for it.
#[cfg(all(not(any(test, fuzzing, doc)), not(pyo3_disable_reference_pool)))]
compile_error!(
    "mod_python must be built with `--cfg pyo3_disable_reference_pool` (set by the workspace's \
     .cargo/config.toml; when RUSTFLAGS is set, add it there)"
);

#[cfg(fuzzing)]
pub mod config;
#[cfg(not(fuzzing))]
mod config;

#[cfg(not(any(test, fuzzing)))]
mod apache_module;
#[cfg(not(any(test, fuzzing)))]
mod hooks;
// The parent's part of a graceful restart (see the module).
#[cfg(not(any(test, fuzzing)))]
mod python;
#[cfg(not(any(test, fuzzing)))]
mod restart;
#[cfg(not(any(test, fuzzing)))]
mod serving;
#[cfg(not(any(test, fuzzing)))]
mod shared;

#[cfg(not(any(test, fuzzing)))]
pub use hooks::VERSION;

// At the crate root, where `directive!` finds the `ThisModule` it defines.
#[cfg(not(any(test, fuzzing)))]
apache::module!(
    python_module,
    file: "mod_python.c",
    dir_config: config::DirConf,
    server_config: config::SrvConf
);
