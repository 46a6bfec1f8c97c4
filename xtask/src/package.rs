//! `cargo xtask package`: the crates.io packages of the library crates, made and verified as
//! `cargo publish` would, in dependency order, before anything is published.

use crate::{cargo, run};

/// The published crates, each after those it depends on. (mod-python is distributed through
/// pip, the examples and xtask not at all: their manifests say `publish = false`.)
pub const PUBLISHED: &[&str] = &["apache-sys", "apache-httpd", "apache-test-harness"];

pub fn run_package(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("package: unknown argument {a}"));
    }
    let mut cmd = cargo();
    // cargo packages several crates at once by resolving each one's dependencies on the others
    // to the packages just made, as crates.io would serve them.
    cmd.arg("package").arg("--allow-dirty");
    for name in PUBLISHED {
        cmd.args(["-p", name]);
    }
    run("package", &mut cmd)
}
