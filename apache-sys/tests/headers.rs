//! Checks the Rust replacements of httpd's C macros against the installed headers: a small C
//! program compiled with the same include paths prints what the C macros give, and the Rust side
//! must agree. Skipped (with a note) where no C compiler or httpd headers are installed.

use apache_sys as ffi;
use std::mem::offset_of;
use std::process::Command;

fn apxs(var: &str) -> Option<String> {
    let out = Command::new("apxs").args(["-q", var]).output().ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// Compiles and runs the C probe; `None` when the tools or headers are missing.
fn c_probe() -> Option<Vec<(String, i64)>> {
    let inc = apxs("INCLUDEDIR")?;
    let apr = apxs("APR_INCLUDEDIR")?;
    let dir = std::env::temp_dir().join(format!("apache-sys-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join("probe.c");
    std::fs::write(
        &src,
        r#"
#include <stdio.h>
#include <stddef.h>
#include <httpd.h>
#include <http_config.h>
#include <apr_buckets.h>
static const char *f(cmd_parms *c, void *m, const char *a) { return NULL; }
static const command_rec take1 = AP_INIT_TAKE1("X", f, NULL, RSRC_CONF, "h");
static const command_rec flag = AP_INIT_FLAG("Y", NULL, NULL, OR_ALL, "h");
static const command_rec it2 = AP_INIT_ITERATE2("Z", NULL, NULL, ACCESS_CONF, "h");
module probe_module = { STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, NULL, 0 };
int main(void) {
    printf("major %ld\n", (long)MODULE_MAGIC_NUMBER_MAJOR);
    printf("minor %ld\n", (long)MODULE_MAGIC_NUMBER_MINOR);
    printf("cookie %ld\n", (long)MODULE_MAGIC_COOKIE);
    printf("module_index %ld\n", (long)probe_module.module_index);
    printf("take1_how %ld\n", (long)take1.args_how);
    printf("take1_where %ld\n", (long)take1.req_override);
    printf("flag_how %ld\n", (long)flag.args_how);
    printf("flag_where %ld\n", (long)flag.req_override);
    printf("it2_how %ld\n", (long)it2.args_how);
    printf("sizeof_command_rec %ld\n", (long)sizeof(command_rec));
    printf("sizeof_module %ld\n", (long)sizeof(module));
    printf("bucket_link %ld\n", (long)offsetof(apr_bucket, link));
    printf("brigade_list %ld\n", (long)offsetof(apr_bucket_brigade, list));
    printf("sizeof_bucket %ld\n", (long)sizeof(apr_bucket));
    return 0;
}
"#,
    )
    .ok()?;
    let exe = dir.join("probe");
    let status = Command::new("cc")
        .args(["-DLINUX", "-D_REENTRANT", "-D_GNU_SOURCE"])
        .arg(format!("-I{inc}"))
        .arg(format!("-I{apr}"))
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let out = Command::new(&exe).output().ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(' ')?;
                Some((k.to_string(), v.parse().ok()?))
            })
            .collect(),
    )
}

#[test]
fn macros_match_the_installed_headers() {
    let Some(probe) = c_probe() else {
        eprintln!("skipped: no C compiler or httpd headers (apache2-dev) here");
        return;
    };
    let get = |k: &str| probe.iter().find(|(n, _)| n == k).map(|(_, v)| *v).unwrap();
    let m = ffi::standard20_module_stuff(c"probe".as_ptr());
    assert_eq!(
        i64::from(m.version),
        get("major"),
        "MODULE_MAGIC_NUMBER_MAJOR"
    );
    assert_eq!(
        i64::from(m.minor_version),
        get("minor"),
        "MODULE_MAGIC_NUMBER_MINOR"
    );
    assert_eq!(m.magic as i64, get("cookie"), "MODULE_MAGIC_COOKIE");
    assert_eq!(i64::from(m.module_index), get("module_index"));

    unsafe extern "C" fn f(
        _: *mut ffi::cmd_parms,
        _: *mut std::os::raw::c_void,
        _: *const std::os::raw::c_char,
    ) -> *const std::os::raw::c_char {
        std::ptr::null()
    }
    let null = std::ptr::null_mut();
    let take1 = ffi::AP_INIT_TAKE1(c"X".as_ptr(), f, null, ffi::RSRC_CONF as i32, c"h".as_ptr());
    assert_eq!(i64::from(take1.args_how), get("take1_how"));
    assert_eq!(i64::from(take1.req_override), get("take1_where"));
    unsafe extern "C" fn g(
        _: *mut ffi::cmd_parms,
        _: *mut std::os::raw::c_void,
        _: std::os::raw::c_int,
    ) -> *const std::os::raw::c_char {
        std::ptr::null()
    }
    let flag = ffi::AP_INIT_FLAG(c"Y".as_ptr(), g, null, ffi::OR_ALL as i32, c"h".as_ptr());
    assert_eq!(i64::from(flag.args_how), get("flag_how"));
    assert_eq!(i64::from(flag.req_override), get("flag_where"));
    unsafe extern "C" fn h(
        _: *mut ffi::cmd_parms,
        _: *mut std::os::raw::c_void,
        _: *const std::os::raw::c_char,
        _: *const std::os::raw::c_char,
    ) -> *const std::os::raw::c_char {
        std::ptr::null()
    }
    let it2 = ffi::AP_INIT_ITERATE2(c"Z".as_ptr(), h, null, 0, c"h".as_ptr());
    assert_eq!(i64::from(it2.args_how), get("it2_how"));

    assert_eq!(
        std::mem::size_of::<ffi::command_rec>() as i64,
        get("sizeof_command_rec")
    );
    assert_eq!(
        std::mem::size_of::<ffi::module>() as i64,
        get("sizeof_module")
    );
    assert_eq!(offset_of!(ffi::apr_bucket, link) as i64, get("bucket_link"));
    assert_eq!(
        offset_of!(ffi::apr_bucket_brigade, list) as i64,
        get("brigade_list")
    );
    assert_eq!(
        std::mem::size_of::<ffi::apr_bucket>() as i64,
        get("sizeof_bucket")
    );
}

#[test]
fn magic_number_matches_the_installed_httpd() {
    let Some(inc) = apxs("INCLUDEDIR") else {
        eprintln!("skipped: apxs not installed");
        return;
    };
    let mmn = std::fs::read_to_string(format!("{inc}/ap_mmn.h")).expect("ap_mmn.h");
    let value = |name: &str| -> u32 {
        mmn.lines()
            .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} not in ap_mmn.h"))
    };
    assert_eq!(
        ffi::MODULE_MAGIC_NUMBER_MAJOR,
        value("MODULE_MAGIC_NUMBER_MAJOR")
    );
    assert_eq!(
        ffi::MODULE_MAGIC_NUMBER_MINOR,
        value("MODULE_MAGIC_NUMBER_MINOR")
    );
}

/// The ring macros on a brigade and buckets laid out in Rust memory: no APR call is made.
#[test]
fn ring_macros_link_and_unlink() {
    // SAFETY: zeroed brigades and buckets are plain data; the ring is made well-formed before
    // the macros follow it, and every pointer is to a local that outlives its use.
    unsafe {
        let mut bb: ffi::apr_bucket_brigade = std::mem::zeroed();
        let b = &mut bb as *mut ffi::apr_bucket_brigade;
        let s = ffi::APR_BRIGADE_SENTINEL(b);
        (*b).list.next = s;
        (*b).list.prev = s;
        assert!(ffi::APR_BRIGADE_EMPTY(b));
        let mut e1: ffi::apr_bucket = std::mem::zeroed();
        let mut e2: ffi::apr_bucket = std::mem::zeroed();
        let (p1, p2) = (&mut e1 as *mut _, &mut e2 as *mut _);
        ffi::APR_BRIGADE_INSERT_TAIL(b, p1);
        ffi::APR_BRIGADE_INSERT_HEAD(b, p2);
        assert!(!ffi::APR_BRIGADE_EMPTY(b));
        assert_eq!(ffi::APR_BRIGADE_FIRST(b), p2);
        assert_eq!(ffi::APR_BRIGADE_LAST(b), p1);
        assert_eq!(ffi::APR_BUCKET_NEXT(p2), p1);
        assert_eq!(ffi::APR_BUCKET_NEXT(p1), s);
        assert_eq!(ffi::APR_BUCKET_PREV(p1), p2);
        ffi::APR_BUCKET_REMOVE(p2);
        assert_eq!(ffi::APR_BRIGADE_FIRST(b), p1);
        ffi::APR_BUCKET_REMOVE(p1);
        assert!(ffi::APR_BRIGADE_EMPTY(b));
    }
}

/// The checked-in bindings must be what bindgen makes from the installed headers; regenerate
/// with `cargo xtask bindings` when this fails after an httpd or bindgen upgrade.
#[test]
fn pregenerated_bindings_match_the_headers() {
    #[cfg(apache_sys_generated)]
    {
        let checked_in = include_str!("../src/pregenerated/bindings_linux_x86_64.rs");
        assert!(
            ffi::GENERATED_BINDINGS == checked_in,
            "src/pregenerated/bindings_linux_x86_64.rs differs from bindgen's output for the \
             installed headers: run `cargo xtask bindings`"
        );
    }
    #[cfg(not(apache_sys_generated))]
    eprintln!("skipped: the build used the pregenerated bindings (no headers or libclang)");
}
