//! Finds the httpd and APR headers the way apxs-based module builds do, and runs bindgen on them.
//! When headers or libclang are missing, or the `pregenerated` feature is on, the checked-in
//! bindings are used instead, so the crate builds (and docs.rs renders) with no httpd installed.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const PREGENERATED: &str = "src/pregenerated/bindings_linux_x86_64.rs";

fn main() {
    for var in [
        "APXS",
        "APACHE_INCLUDE_DIR",
        "APR_INCLUDE_DIR",
        "APACHE_SYS_PREGENERATED",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed={PREGENERATED}");
    println!("cargo::rustc-check-cfg=cfg(apache_sys_generated)");

    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bindings.rs");
    let forced = env::var_os("CARGO_FEATURE_PREGENERATED").is_some()
        || env::var_os("APACHE_SYS_PREGENERATED").is_some();
    let generated = if forced {
        Err("the `pregenerated` feature asks for the checked-in bindings".to_string())
    } else {
        find_clang_args().and_then(|args| generate(&args, &out))
    };
    match generated {
        Ok(()) => println!("cargo:rustc-cfg=apache_sys_generated"),
        Err(why) => {
            if !forced {
                println!("cargo:warning=apache-sys: using pregenerated bindings ({why})");
            }
            std::fs::copy(PREGENERATED, &out).expect("copy pregenerated bindings");
        }
    }
}

/// Runs `apxs -q VAR`; `None` when apxs is absent or prints nothing.
fn apxs(var: &str) -> Option<String> {
    let apxs = env::var("APXS").unwrap_or_else(|_| "apxs".to_string());
    let out = Command::new(apxs).args(["-q", var]).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn tool_output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// The clang arguments: include directories and the preprocessor flags httpd modules are built
/// with, taken from explicit overrides, then apxs (and the apr/apu config tools it names), then
/// pkg-config.
fn find_clang_args() -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let httpd_inc = env::var("APACHE_INCLUDE_DIR")
        .ok()
        .or_else(|| apxs("INCLUDEDIR"));
    let apr_inc = env::var("APR_INCLUDE_DIR")
        .ok()
        .or_else(|| apxs("APR_INCLUDEDIR"));
    if let Some(dir) = &httpd_inc {
        args.push(format!("-I{dir}"));
    }
    if let Some(dir) = &apr_inc {
        args.push(format!("-I{dir}"));
    }
    // Flags that only matter for C compilation (warnings, optimisation) are left out: bindgen
    // needs the include paths and defines.
    let mut flags = Vec::new();
    for var in ["EXTRA_INCLUDES", "EXTRA_CPPFLAGS", "CPPFLAGS", "CFLAGS"] {
        if let Some(v) = apxs(var) {
            flags.extend(v.split_whitespace().map(str::to_string));
        }
    }
    for var in ["APR_CONFIG", "APU_CONFIG"] {
        if let Some(tool) = apxs(var) {
            for query in [&["--includes"][..], &["--cppflags"][..]] {
                if let Some(v) = tool_output(&tool, query) {
                    flags.extend(v.split_whitespace().map(str::to_string));
                }
            }
        }
    }
    if apr_inc.is_none() {
        if let Some(v) = tool_output("pkg-config", &["--cflags", "apr-1", "apr-util-1"]) {
            flags.extend(v.split_whitespace().map(str::to_string));
        }
    }
    for f in flags {
        let wanted = (f.starts_with("-I") && f.len() > 2 && f != "-I.") || f.starts_with("-D");
        if wanted && !args.contains(&f) {
            args.push(f);
        }
    }
    let has = |header: &str| {
        args.iter()
            .filter_map(|a| a.strip_prefix("-I"))
            .any(|d| Path::new(d).join(header).is_file())
    };
    if !has("httpd.h") {
        return Err(
            "httpd.h not found (install apache2-dev, or set APXS / APACHE_INCLUDE_DIR)".into(),
        );
    }
    if !has("apr.h") {
        return Err("apr.h not found (install libapr1-dev, or set APR_INCLUDE_DIR)".into());
    }
    Ok(args)
}

fn generate(clang_args: &[String], out: &Path) -> Result<(), String> {
    // bindgen loads libclang at run time and panics when it cannot; that is a reason to fall
    // back, not to fail the build.
    let args = clang_args.to_vec();
    let result = std::panic::catch_unwind(move || {
        bindgen::Builder::default()
            .header("wrapper.h")
            .clang_args(&args)
            .allowlist_function("(ap|apr|apu|unixd)_.*")
            .allowlist_type("(ap|apr|apu|authn|authz)_.*|.*_rec|module|command_rec|cmd_parms|cmd_how|.*_struct|include_ctx_t|include_handler_fn_t")
            .allowlist_var(
                "(AP|APR|APU|HTTP|M|APLOG|OR|MODULE|REQUEST|PROXYREQ|AUTHN|AUTHZ|AUTH|ACCESS|RSRC|NOT_IN|GLOBAL|EXEC|PROXY|RAW|TAKE|ITERATE|FLAG|NO_ARGS|SATISFY|REMOTE|DEFAULT|ap|apr)_?.*|OK|DECLINED|DONE|SUSPENDED|HTTP_.*|ACCESS_CONF|RSRC_CONF|EXEC_ON_READ|PROXY_CONF|OPT_.*|SSI_.*|AUTHN_PROVIDER_GROUP|AUTHZ_PROVIDER_GROUP",
            )
            .blocklist_function("apr_.*_vformatter.*")
            .derive_default(true)
            .derive_debug(true)
            .layout_tests(true)
            .generate_comments(false)
            .prepend_enum_name(false)
            .size_t_is_usize(true)
            // The crate's edition and minimum Rust: `unsafe extern` blocks.
            .rust_target(bindgen::RustTarget::stable(85, 0).expect("a Rust version bindgen knows"))
            .rust_edition(bindgen::RustEdition::Edition2024)
            .generate()
    });
    match result {
        Ok(Ok(bindings)) => bindings.write_to_file(out).map_err(|e| e.to_string()),
        Ok(Err(e)) => Err(format!("bindgen failed: {e}")),
        Err(_) => Err("libclang could not be loaded (install libclang-dev)".into()),
    }
}
