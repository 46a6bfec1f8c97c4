//! mod_hello on a real httpd, under every MPM.

use harness::{Httpd, Mpm};

fn server(mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("hello_module", harness::cdylib("mod_hello"))
        .config("<Location /hello>\n    SetHandler hello\n</Location>\n")
        .config("<IfModule mod_hello.c>\n    Define HELLO_BY_FILE_NAME\n</IfModule>\n")
        .config("<IfDefine HELLO_BY_FILE_NAME>\n<Location /byname>\n    SetHandler hello\n</Location>\n</IfDefine>\n")
        .start()
}

#[test]
fn hello_world_under_every_mpm() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let resp = httpd.get("/hello");
        assert_eq!(resp.status, 200, "{mpm:?}");
        assert_eq!(resp.text(), "hello world\n", "{mpm:?}");
        assert_eq!(resp.header("Content-Type"), Some("text/plain"), "{mpm:?}");
        // Anything else is declined and falls through to httpd's own handlers.
        assert_eq!(httpd.get("/nothing-here").status, 404, "{mpm:?}");
        // HEAD gets the headers and no body.
        let head = httpd.request("HEAD", "/hello", &[], b"");
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
    }
}

#[test]
fn ifmodule_matches_the_declared_file_name() {
    let httpd = server(Mpm::Event);
    assert_eq!(httpd.get("/byname").text(), "hello world\n");
}

#[test]
fn keeps_serving_across_graceful_restart() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        assert_eq!(httpd.get("/hello").text(), "hello world\n");
        httpd.graceful_restart();
        assert_eq!(
            httpd.get("/hello").text(),
            "hello world\n",
            "{mpm:?} after restart"
        );
        httpd.graceful_restart();
        assert_eq!(
            httpd.get("/hello").text(),
            "hello world\n",
            "{mpm:?} after 2nd restart"
        );
    }
}
