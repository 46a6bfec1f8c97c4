//! `cargo xtask new PATH [--name NAME]`: a new module crate at PATH, outside this workspace,
//! that builds with `cargo build` and whose `cargo test` loads it into a real httpd under each
//! MPM.

use crate::workspace;
use std::path::{Path, PathBuf};

const CARGO_TOML: &str = r#"[package]
name = "@NAME@"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
name = "mod_@NAME@"
# cdylib: the file httpd loads. rlib: makes `cargo test` build it before the tests.
crate-type = ["cdylib", "rlib"]
test = false
doctest = false

[dependencies]
# `path` builds against the checkout this crate was made from; without it, crates.io's release.
apache = { package = "apache-httpd", version = "0.1", path = "@APACHE_RS@" }

[dev-dependencies]
harness = { package = "apache-test-harness", version = "0.1", path = "@HARNESS@" }

# A workspace of its own, wherever the directory is.
[workspace]
"#;

const LIB_RS: &str = r#"//! `mod_@NAME@`: an Apache httpd module. Where `SetHandler @NAME@` is configured, it answers
//! every request with a line of text.

use apache::{HookResult, Request, Status};
use std::io::Write;

apache::module!(@NAME@_module, file: "mod_@NAME@.c");
apache::hook!(handler, answer);

fn answer(r: &mut Request) -> HookResult {
    if r.handler() != Some("@NAME@") {
        return Ok(Status::Declined);
    }
    r.set_content_type("text/plain");
    r.write_all(b"hello from mod_@NAME@\n")?;
    Ok(Status::Ok)
}
"#;

const TEST_RS: &str = r#"//! mod_@NAME@ loaded into a real httpd, under each MPM.

use harness::{Httpd, Mpm};

#[test]
fn answers_where_its_handler_is_set() {
    for mpm in Mpm::ALL {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("@NAME@_module", harness::cdylib("mod_@NAME@"))
            .config("<Location /@NAME@>\n    SetHandler @NAME@\n</Location>")
            .start();
        let r = httpd.get("/@NAME@");
        assert_eq!(r.status, 200, "{mpm:?}: {}", httpd.error_log());
        assert_eq!(r.text(), "hello from mod_@NAME@\n");
        assert_eq!(httpd.get("/elsewhere").status, 404, "{mpm:?}");
    }
}
"#;

const README: &str = r#"# mod_@NAME@

An Apache httpd 2.4 module in Rust, made with `cargo xtask new` from apache-rs.

```sh
cargo build --release          # target/release/libmod_@NAME@.so
cargo test                     # loads it into a real httpd under event, worker and prefork
```

```apache
LoadModule @NAME@_module /path/to/target/release/libmod_@NAME@.so
<Location /@NAME@>
    SetHandler @NAME@
</Location>
```

Building needs httpd's headers: `sudo apt-get install apache2 apache2-dev`.
"#;

/// `greet` from `mod_greet`, `mod-greet` or `greet`.
fn module_name(path: &Path, given: Option<&str>) -> Result<String, String> {
    let raw = match given {
        Some(n) => n.to_string(),
        None => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or("new: the path has no last component to name the module after")?,
    };
    let name = raw
        .strip_prefix("mod_")
        .or_else(|| raw.strip_prefix("mod-"))
        .unwrap_or(&raw)
        .replace('-', "_");
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "new: {raw:?} does not make a module name (lower-case letters, digits, _); give one with --name"
        ))
    }
}

pub fn run_new(args: &[String]) -> Result<(), String> {
    let mut path = None;
    let mut name = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--name" => name = Some(it.next().ok_or("new: --name NAME")?.as_str()),
            other if other.starts_with('-') => return Err(format!("new: unknown option {other}")),
            other if path.is_none() => path = Some(PathBuf::from(other)),
            other => return Err(format!("new: one path only ({other})")),
        }
    }
    let path = path.ok_or("usage: cargo xtask new PATH [--name NAME]")?;
    let name = module_name(&path, name)?;
    if path.exists() && path.read_dir().map_or(true, |mut d| d.next().is_some()) {
        return Err(format!("new: {} exists and is not empty", path.display()));
    }
    let ws = workspace();
    let fill = |t: &str| {
        t.replace("@NAME@", &name)
            .replace("@APACHE_RS@", &ws.join("apache-rs").display().to_string())
            .replace("@HARNESS@", &ws.join("harness").display().to_string())
    };
    let files = [
        ("Cargo.toml", CARGO_TOML),
        ("src/lib.rs", LIB_RS),
        ("tests/httpd.rs", TEST_RS),
        ("README.md", README),
        (".gitignore", "/target\n"),
    ];
    for (rel, template) in files {
        let dest = path.join(rel);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&dest, fill(template)).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    println!(
        "made mod_{name} in {}: `cargo test` there loads it into httpd; the handler is `SetHandler {name}`",
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::module_name;
    use std::path::Path;

    #[test]
    fn names_from_paths() {
        assert_eq!(
            module_name(Path::new("/x/mod_greet"), None).unwrap(),
            "greet"
        );
        assert_eq!(
            module_name(Path::new("mod-say-hi"), None).unwrap(),
            "say_hi"
        );
        assert_eq!(module_name(Path::new("x"), Some("count")).unwrap(), "count");
        assert!(module_name(Path::new("9lives"), None).is_err());
    }
}
