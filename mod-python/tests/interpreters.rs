//! Named interpreters: each virtual host runs in a sub-interpreter of its own by default, so
//! two applications can import different modules of the same name in one httpd;
//! `PythonInterpreter`, `PythonInterpPerDirectory`, `PythonInterpPerDirective` and
//! `PythonImport` choose interpreters as mod_python 3.5 does.

use harness::{Httpd, Mpm};

/// An application whose modules have the same names in both virtual hosts.
fn app(which: &str) -> String {
    format!(
        r#"
from mod_python import apache
import sys
import settings

def handler(req):
    req.content_type = 'text/plain'
    req.write('app={which} settings=%s interp=%s req.interp=%s imported=%s' % (
        settings.VALUE, apache.interpreter, req.interpreter, 'started' in sys.modules))
    return apache.OK
"#
    )
}

const WHERE: &str = r#"
from mod_python import apache
import sys

def handler(req):
    req.write('%s|%s|%s' % (req.interpreter, apache.interpreter, 'started' in sys.modules))
    return apache.OK
"#;

fn server(mpm: Mpm) -> Httpd {
    let vhost = |name: &str| {
        format!(
            "<VirtualHost 127.0.0.1:*>\n    ServerName {name}.test\n    <Location /app>\n        \
             SetHandler mod_python\n        PythonPath \"sys.path+['@ROOT@/{name}']\"\n        \
             PythonHandler app\n    </Location>\n</VirtualHost>\n"
        )
    };
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("one/app.py", app("one"))
        .file("one/settings.py", "VALUE = 'first'\n")
        .file("two/app.py", app("two"))
        .file("two/settings.py", "VALUE = 'second'\n")
        .file("common/started.py", "mark = 'imported at start'\n")
        .file("common/where.py", WHERE)
        .file("htdocs/a/where.py", WHERE)
        .file("htdocs/b/where.py", WHERE)
        .config(&format!(
            "PythonPath \"sys.path+['@ROOT@/common']\"\n\
             PythonImport started one.test\n\
             PythonImport started main_interpreter\n\
             {}{}\
             <Location /main>\n    SetHandler mod_python\n    PythonInterpreter main_interpreter\n    PythonHandler where\n</Location>\n\
             <Location /named>\n    SetHandler mod_python\n    PythonInterpreter custom\n    PythonHandler where\n</Location>\n\
             <Directory \"@ROOT@/htdocs/a\">\n    SetHandler mod_python\n    PythonInterpPerDirectory On\n    PythonHandler where\n</Directory>\n\
             <Directory \"@ROOT@/htdocs/b\">\n    SetHandler mod_python\n    PythonInterpPerDirective On\n    PythonHandler where\n</Directory>\n\
             <VirtualHost 127.0.0.1:*>\n    ServerName 127.0.0.1\n    <Location /default>\n        SetHandler mod_python\n        PythonHandler where\n    </Location>\n</VirtualHost>\n",
            vhost("one"),
            vhost("two"),
        ))
        .start()
}

fn get(httpd: &Httpd, host: &str, path: &str) -> String {
    let r = httpd.request("GET", path, &[("Host", host)], b"");
    assert_eq!(r.status, 200, "{host}{path}: {}", httpd.error_log());
    r.text()
}

#[test]
fn each_virtual_host_has_its_own_modules() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        for _ in 0..3 {
            assert_eq!(
                get(&httpd, "one.test", "/app"),
                "app=one settings=first interp=one.test req.interp=one.test imported=True",
                "{mpm:?}"
            );
            assert_eq!(
                get(&httpd, "two.test", "/app"),
                "app=two settings=second interp=two.test req.interp=two.test imported=False",
                "{mpm:?}"
            );
        }
    }
}

#[test]
fn interpreters_are_made_again_after_a_graceful_restart() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        assert!(get(&httpd, "two.test", "/app").contains("settings=second"));
        httpd.graceful_restart();
        for _ in 0..3 {
            assert!(
                get(&httpd, "one.test", "/app").contains("settings=first"),
                "{mpm:?}"
            );
            assert!(
                get(&httpd, "two.test", "/app").contains("settings=second"),
                "{mpm:?}"
            );
        }
        let log = httpd.error_log();
        assert!(
            !log.contains("could not") && !log.contains("Fatal"),
            "{log}"
        );
    }
}

#[test]
fn interpreter_directives_choose_the_interpreter() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let root = httpd.root().display().to_string();
        // PythonImport ran in the main interpreter at start; "custom" is new and has not.
        assert_eq!(
            get(&httpd, "127.0.0.1", "/main"),
            "main_interpreter|main_interpreter|True",
            "{mpm:?}"
        );
        assert_eq!(get(&httpd, "127.0.0.1", "/named"), "custom|custom|False");
        let a = format!("{root}/htdocs/a/");
        assert_eq!(
            get(&httpd, "127.0.0.1", "/a/where.py"),
            format!("{a}|{a}|False")
        );
        // Per directive: the directory of the section with the PythonHandler.
        let b = format!("{root}/htdocs/b/");
        assert_eq!(
            get(&httpd, "127.0.0.1", "/b/where.py"),
            format!("{b}|{b}|False")
        );
        // By default, the server's name.
        assert_eq!(
            get(&httpd, "127.0.0.1", "/default"),
            "127.0.0.1|127.0.0.1|False"
        );
    }
}

#[test]
fn threads_take_turns_across_interpreters() {
    for mpm in [Mpm::Event, Mpm::Worker] {
        let httpd = server(mpm);
        let port = httpd.port();
        let threads: Vec<_> = (0..6)
            .map(|i| {
                std::thread::spawn(move || {
                    let (host, want) = match i % 3 {
                        0 => ("one.test", "settings=first"),
                        1 => ("two.test", "settings=second"),
                        _ => ("127.0.0.1", "main_interpreter|"),
                    };
                    let path = if i % 3 == 2 { "/main" } else { "/app" };
                    for _ in 0..15 {
                        let r = get_raw(port, host, path);
                        assert!(r.contains(want), "{host}: {r}");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("client thread");
        }
        let log = httpd.error_log();
        assert!(!log.contains("Fatal") && !log.contains("segfault"), "{log}");
    }
}

fn get_raw(port: u16, host: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}
