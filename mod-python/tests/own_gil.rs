//! `PythonInterpreterGIL own`: sub-interpreters with a GIL of their own (PEP 684) on a real
//! httpd. Their handlers and filters run Python at the same time on the threads of one child;
//! their modules and `_apache` state stay apart; an extension CPython refuses in them is
//! reported naming the directive; a child that had them exits cleanly; and on CPython 3.11
//! the directive is refused while the configuration is read.
//!
//! Most of these need a module built for CPython 3.12 or later (`cargo xtask test --python
//! $(pyenv prefix 3.13.0)/bin/python3`); built for 3.11 they say so and pass.

mod support;

use harness::{Builder, Httpd, Mpm};
use support::busy::{self, overlap, pair};

/// Whether the module was built for a CPython that gives interpreters their own GIL; says why
/// not when it was not.
fn own_gil_supported(test: &str) -> bool {
    let version = support::python_major_minor();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let supported = (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (3, 12);
    if !supported {
        eprintln!(
            "{test}: skipped: mod_python.so is built for CPython {} (a GIL per interpreter \
             needs 3.12 or later; run `cargo xtask test --python PATH` with one)",
            support::PYTHON_VERSION
        );
    }
    supported
}

fn mod_python(mpm: Mpm) -> Builder {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
}

/// A `<Location>` running `handler` in the interpreter `interp`, with `py/` on sys.path.
fn location(path: &str, interp: &str, handler: &str) -> String {
    format!(
        "<Location {path}>\n    SetHandler mod_python\n    PythonInterpreter {interp}\n    \
         PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler {handler}\n</Location>\n"
    )
}

/// The shared CPU-bound work (`support::busy::WORK`), its flag whether the interpreter has
/// its own GIL, in a handler and in an output filter.
fn busy_module() -> String {
    format!(
        r#"{}
from mod_python import apache, _apache

def handler(req):
    text = work(float(req.args), _apache.own_gil)
    req.content_type = 'text/plain'
    req.write(text)
    return apache.OK

def outputfilter(filter):
    s = filter.read()
    while s:
        s = filter.read()
    if s is None:
        filter.write(work(float(filter.req.args), _apache.own_gil))
        filter.close()
"#,
        busy::WORK
    )
}

fn parallel_server() -> Httpd {
    let mut c = String::from(
        "PythonInterpreterGIL own\nPythonInterpreterGIL shared shared_a shared_b\n\
         PythonOutputFilter busy BUSY\n",
    );
    for (path, interp) in [
        ("/own-a", "own_a"),
        ("/own-b", "own_b"),
        ("/shared-a", "shared_a"),
        ("/shared-b", "shared_b"),
    ] {
        c += &location(path, interp, "busy");
    }
    // Filters: a static file passed through the BUSY filter, in each own-GIL interpreter.
    for (dir, interp) in [("fa", "own_fa"), ("fb", "own_fb")] {
        c += &format!(
            "<Directory \"@ROOT@/htdocs/{dir}\">\n    SetOutputFilter BUSY\n    \
             PythonInterpreter {interp}\n    PythonPath \"sys.path+['@ROOT@/py']\"\n</Directory>\n"
        );
    }
    mod_python(Mpm::Event)
        .single_child()
        .file("py/busy.py", busy_module())
        .file("htdocs/fa/x.txt", "x\n")
        .file("htdocs/fb/x.txt", "x\n")
        .config(&c)
        .start()
}

#[test]
fn handlers_and_filters_of_two_own_gil_interpreters_run_at_the_same_time() {
    if !own_gil_supported("handlers_and_filters_of_two_own_gil_interpreters_run_at_the_same_time") {
        return;
    }
    let httpd = parallel_server();
    let seconds = 1.0;
    // One child, event MPM: two worker threads, each in an interpreter with its own GIL.
    let (a, b) = pair(&httpd, "/own-a", "/own-b", seconds);
    let both = overlap(a, b);
    eprintln!(
        "own GILs: {a:?} {b:?}: overlap {both:.3} s, {:.2} cores while both ran",
        (a.cpu + b.cpu) / (a.end.max(b.end) - a.start.min(b.start))
    );
    assert!(a.flag && b.flag, "{a:?} {b:?}");
    assert!(
        b.start < a.end && both > 0.3,
        "the second own-GIL run did not start while the first worked: {a:?} {b:?}"
    );
    // The same pair with the shared GIL: the second waits for the first (the switch interval
    // is longer than the work), so the test tells the two apart.
    let (a, b) = pair(&httpd, "/shared-a", "/shared-b", seconds);
    eprintln!("shared GIL: {a:?} {b:?}: overlap {:.3} s", overlap(a, b));
    assert!(!a.flag && !b.flag, "{a:?} {b:?}");
    assert!(
        b.start >= a.end - 0.01,
        "two shared-GIL runs overlapped: {a:?} {b:?}"
    );
    // Python filters of two own-GIL interpreters, too.
    let (a, b) = pair(&httpd, "/fa/x.txt", "/fb/x.txt", seconds);
    eprintln!(
        "own-GIL filters: {a:?} {b:?}: overlap {:.3} s",
        overlap(a, b)
    );
    assert!(a.flag && b.flag, "{a:?} {b:?}");
    assert!(
        b.start < a.end && overlap(a, b) > 0.3,
        "the second own-GIL filter did not start while the first worked: {a:?} {b:?}"
    );
    support::no_crash(&httpd.error_log(), "parallel");
}

/// A module imported by both interpreters, each counting its own requests; and the
/// interpreter's view of itself.
const STATE: &str = r#"
import sys
from mod_python import apache, _apache
import counter

def handler(req):
    counter.COUNT += 1
    counter.SEEN.append(req.interpreter)
    req.content_type = 'text/plain'
    req.write('%s %d %s %s %s %s' % (
        apache.interpreter, counter.COUNT, sorted(set(counter.SEEN)),
        _apache.interpreter, _apache.own_gil, _apache.gil_directive is not None))
    return apache.OK
"#;

/// Much of `_apache` at once: request attributes, tables, reading and writing, in a loop.
const STRESS: &str = r#"
import hashlib
from mod_python import apache

def handler(req):
    body = req.read()
    total = 0
    for i in range(200):
        req.headers_out['X-N'] = str(i)
        total += len(req.uri) + len(req.headers_in.get('Host', '')) + len(req.headers_out['X-N'])
        req.notes['k%d' % (i % 5)] = req.interpreter
    req.content_type = 'text/plain'
    req.write('%s %d %s' % (req.interpreter, total, hashlib.sha256(body).hexdigest()[:16]))
    return apache.OK
"#;

fn isolation_server(mpm: Mpm) -> Httpd {
    let mut c = String::from("PythonInterpreterGIL own\n");
    for (path, interp, handler) in [
        ("/state-a", "iso_a", "state"),
        ("/state-b", "iso_b", "state"),
        ("/stress-a", "iso_a", "stress"),
        ("/stress-b", "iso_b", "stress"),
        ("/state-main", "main_interpreter", "state"),
    ] {
        c += &location(path, interp, handler);
    }
    mod_python(mpm)
        .single_child()
        .file("py/state.py", STATE)
        .file("py/stress.py", STRESS)
        .file("py/counter.py", "COUNT = 0\nSEEN = []\n")
        .config(&c)
        .start()
}

#[test]
fn module_state_and_apache_state_stay_in_their_interpreter() {
    if !own_gil_supported("module_state_and_apache_state_stay_in_their_interpreter") {
        return;
    }
    for mpm in [Mpm::Event, Mpm::Worker, Mpm::Prefork] {
        let httpd = isolation_server(mpm);
        let get = |path: &str| {
            let r = httpd.get(path);
            assert_eq!(r.status, 200, "{mpm:?} {path}: {}", httpd.error_log());
            r.text()
        };
        for round in 1..=3 {
            assert_eq!(
                get("/state-a"),
                format!("iso_a {round} ['iso_a'] iso_a True True"),
                "{mpm:?}"
            );
            assert_eq!(
                get("/state-b"),
                format!("iso_b {round} ['iso_b'] iso_b True True"),
                "{mpm:?}"
            );
        }
        // The main interpreter keeps the process's first GIL, whatever the default.
        assert_eq!(
            get("/state-main"),
            "main_interpreter 1 ['main_interpreter'] main_interpreter False False",
            "{mpm:?}"
        );
        support::no_crash(&httpd.error_log(), mpm.name());
    }
}

#[test]
fn many_requests_at_once_in_two_own_gil_interpreters_are_served_right() {
    if !own_gil_supported("many_requests_at_once_in_two_own_gil_interpreters_are_served_right") {
        return;
    }
    for mpm in [Mpm::Event, Mpm::Worker] {
        let httpd = isolation_server(mpm);
        let body = b"the same body for every request".repeat(100);
        let digest = {
            // What hashlib.sha256(body).hexdigest()[:16] gives, computed by Python here.
            let (ok, out) = support::run(std::process::Command::new(support::PYTHON).args([
                "-c",
                "import hashlib; print(hashlib.sha256(b'the same body for every request' * 100).hexdigest()[:16], end='')",
            ]));
            assert!(ok, "{out}");
            out
        };
        std::thread::scope(|s| {
            for t in 0..6 {
                let (httpd, body, digest) = (&httpd, &body, &digest);
                s.spawn(move || {
                    for i in 0..25 {
                        let which = if (t + i) % 2 == 0 { "a" } else { "b" };
                        let r = httpd.request(
                            "POST",
                            &format!("/stress-{which}"),
                            &[("Host", "stress.test")],
                            body,
                        );
                        assert_eq!(r.status, 200, "{mpm:?}: {}", httpd.error_log());
                        let text = r.text();
                        let f: Vec<&str> = text.split(' ').collect();
                        assert_eq!(f[0], format!("iso_{which}"), "{mpm:?}: {text}");
                        assert_eq!(f[2], digest.as_str(), "{mpm:?}: {text}");
                    }
                });
            }
        });
        support::no_crash(&httpd.error_log(), mpm.name());
    }
}

const REFUSED: &str = r#"
from mod_python import apache

def handler(req):
    import _curses
    req.write('imported')
    return apache.OK
"#;

#[test]
fn an_extension_refused_in_an_own_gil_interpreter_names_the_directive() {
    if !own_gil_supported("an_extension_refused_in_an_own_gil_interpreter_names_the_directive") {
        return;
    }
    let mut c = String::from("PythonInterpreterGIL own refusing\nPythonImport _curses refusing\n");
    c += &location("/own", "refusing", "refused");
    c += &location("/shared", "accepting", "refused");
    let httpd = mod_python(Mpm::Event)
        .file("py/refused.py", REFUSED)
        .config(&c)
        .start();
    let r = httpd.get("/shared");
    if cfg!(Py_GIL_DISABLED) {
        // A free-threaded CPython refuses single-phase modules in every sub-interpreter.
        assert_eq!(r.status, 500);
        let log = httpd.error_log();
        let note = "mod_python: interpreter 'accepting' is a sub-interpreter of a free-threaded \
                    CPython, which refuses extension modules that do not support \
                    sub-interpreters in every one of them, with or without a GIL; run the \
                    application in main_interpreter.";
        assert!(log.contains(note), "{log}");
    } else {
        // In a shared-GIL interpreter the module imports.
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "imported"),
            "{}",
            httpd.error_log()
        );
    }
    let r = httpd.get("/own");
    assert_eq!(r.status, 500);
    let log = httpd.error_log();
    let conf = httpd.root().join("httpd.conf");
    let note = if cfg!(Py_GIL_DISABLED) {
        "mod_python: interpreter 'refusing' is a sub-interpreter of a free-threaded CPython"
            .to_string()
    } else {
        format!(
            "mod_python: interpreter 'refusing' has its own GIL (PythonInterpreterGIL own, {}:",
            conf.display()
        )
    };
    assert!(
        log.contains("module _curses does not support loading in subinterpreters"),
        "{log}"
    );
    // Named for the handler's error and for the PythonImport that failed at start.
    assert!(log.matches(&note).count() >= 2, "{note}\n{log}");
    if !cfg!(Py_GIL_DISABLED) {
        assert!(
            log.contains(
                "PythonInterpreterGIL shared refusing) or run the application in main_interpreter"
            ),
            "{log}"
        );
    }
    assert!(
        log.contains("interpreter \"refusing\" made with its own GIL (PythonInterpreterGIL own"),
        "{log}"
    );
    support::no_crash(&log, "refused extension");
}

/// An own-GIL interpreter that imports what mod_python's Cookie and Session use (hashlib,
/// hmac, secrets), asyncio and datetime (whose C part keeps static types the main interpreter
/// must make first), and leaves an atexit function that writes to a file.
const EXITING: &str = r#"
import asyncio, atexit, datetime, hashlib, hmac, secrets
from mod_python import apache, Cookie, Session

def handler(req):
    marker = req.get_options()['marker']
    def done():
        with open(marker, 'a') as f:
            f.write('%s atexit\n' % req_interp)
    req_interp = req.interpreter
    atexit.register(done)
    req.write('%s %s' % (req.interpreter, hashlib.sha256(b'x').hexdigest()[:8]))
    return apache.OK
"#;

#[test]
fn a_child_that_had_own_gil_interpreters_exits_cleanly() {
    if !own_gil_supported("a_child_that_had_own_gil_interpreters_exits_cleanly") {
        return;
    }
    for mpm in Mpm::ALL {
        let dir = support::scratch_dir(&format!("own-gil-exit-{mpm:?}"));
        let log = dir.join("error_log");
        let marker = dir.join("atexit");
        let mut c = format!(
            "PythonInterpreterGIL own\nErrorLog {}\nLogLevel info\nPythonOption marker {}\n",
            log.display(),
            marker.display()
        );
        c += &location("/a", "exit_a", "exiting");
        c += &location("/b", "exit_b", "exiting");
        c += &location("/main", "main_interpreter", "exiting");
        let httpd = mod_python(mpm)
            .single_child()
            .file("py/exiting.py", EXITING)
            .config(&c)
            .start();
        for path in ["/a", "/b", "/main"] {
            let r = httpd.get(path);
            assert_eq!(r.status, 200, "{mpm:?} {path}: {}", httpd.error_log());
        }
        httpd.stop();
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        support::no_crash(&log, mpm.name());
        assert!(!log.contains("Python not finalized"), "{mpm:?}: {log}");
        let ran = std::fs::read_to_string(&marker).unwrap_or_default();
        for interp in ["exit_a", "exit_b", "main_interpreter"] {
            assert!(
                ran.contains(&format!("{interp} atexit")),
                "{mpm:?}: {interp}'s atexit did not run: {ran:?}\n{log}"
            );
        }
        // CPython 3.12 would crash finalizing the main interpreter after such interpreters
        // ended: it is left, and the log says so (docs/src/interpreters.md).
        let kept = log.contains("the main interpreter not finalized");
        assert_eq!(
            kept,
            support::python_major_minor() == "3.12",
            "{mpm:?}: {log}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_directive_is_checked_when_the_configuration_is_read() {
    let conf_test = |text: &str| mod_python(Mpm::Event).config(text).config_test();
    let supported = support::python_major_minor() != "3.11";
    let own = conf_test("PythonInterpreterGIL own\n");
    if supported {
        own.unwrap_or_else(|e| panic!("PythonInterpreterGIL own refused: {e}"));
    } else {
        let e = own.unwrap_err();
        assert!(
            e.contains(&format!(
                "PythonInterpreterGIL own: a GIL per interpreter needs CPython 3.12 or later \
                 (PEP 684); this mod_python runs CPython {}",
                support::PYTHON_VERSION
            )) && e.contains("line "),
            "{e}"
        );
    }
    conf_test("PythonInterpreterGIL shared\nPythonInterpreterGIL shared a b\n")
        .unwrap_or_else(|e| panic!("shared refused: {e}"));
    let refused = [
        ("PythonInterpreterGIL mine\n", "is neither own nor shared"),
        (
            "<VirtualHost 127.0.0.1:*>\n    PythonInterpreterGIL shared\n</VirtualHost>\n",
            "cannot occur within <VirtualHost> section",
        ),
        (
            "<Location /x>\n    PythonInterpreterGIL shared\n</Location>\n",
            "not allowed in <Location> context",
        ),
    ];
    for (text, why) in refused {
        let e = conf_test(text).unwrap_err();
        assert!(e.contains(why), "{text}: {e}");
    }
    if supported {
        let e = conf_test("PythonInterpreterGIL own main_interpreter\n").unwrap_err();
        assert!(e.contains("the main interpreter always has"), "{e}");
        let e =
            conf_test("PythonInterpreterGIL own a\nPythonInterpreterGIL shared b a\n").unwrap_err();
        assert!(
            e.contains("interpreter \"a\" is given shared here and own at ")
                && e.contains("httpd.conf:"),
            "{e}"
        );
    }
}
