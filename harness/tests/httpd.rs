//! The harness against the real httpd, with no module of ours.

use harness::{Httpd, Mpm};

#[test]
fn serves_static_files_under_every_mpm() {
    for mpm in Mpm::ALL {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .file("htdocs/a.txt", "static\n")
            .start();
        let r = httpd.get("/a.txt");
        assert_eq!((r.status, r.text().as_str()), (200, "static\n"), "{mpm:?}");
        assert_eq!(httpd.get("/missing").status, 404);
    }
}

#[test]
fn config_errors_name_the_file_and_line() {
    let err = Httpd::builder()
        .config("NoSuchDirective here")
        .try_start()
        .err()
        .expect("must fail");
    assert!(err.contains("Invalid command 'NoSuchDirective'"), "{err}");
    assert!(err.contains("httpd.conf"), "{err}");
    assert!(err.contains("line"), "{err}");
}

#[test]
fn graceful_restart_keeps_serving() {
    let httpd = Httpd::builder().file("htdocs/a.txt", "x").start();
    httpd.graceful_restart();
    assert_eq!(httpd.get("/a.txt").text(), "x");
}
