//! `PythonFreeThreading`: a free-threaded CPython (PEP 703, `python3.13t`) on a real httpd.
//! With `On` the handlers of one interpreter run Python at the same time on the threads of a
//! child, and many requests at once in one interpreter are served right; with `Off` (the
//! default) the GIL stays; on a build with a GIL `On` is refused while the configuration is
//! read, and `PythonInterpreterGIL own` is refused beside `On`.
//!
//! Most of these need a module built for a free-threaded CPython (`cargo xtask test --python
//! /path/to/python3.13t`); built for one with a GIL they say so and pass.

mod support;

use harness::{Builder, Httpd, Mpm};
use support::busy::{self, Run, overlap};

/// Whether the module was built for a free-threaded CPython; says why not when it was not.
fn free_threaded(test: &str) -> bool {
    if !cfg!(Py_GIL_DISABLED) {
        eprintln!(
            "{test}: skipped: mod_python.so is built for CPython {}, which has a GIL (run \
             `cargo xtask test --python PATH` with a free-threaded one, python3.13t)",
            support::PYTHON_VERSION
        );
    }
    cfg!(Py_GIL_DISABLED)
}

fn mod_python(mpm: Mpm) -> Builder {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
}

/// The shared CPU-bound work (`support::busy::WORK`), its flag whether the GIL is on. The
/// whole library is imported first: none of its extension modules may turn the GIL back on.
fn busy_module() -> String {
    format!(
        r#"{}
from mod_python import apache, util, Session, Cookie, psp, publisher, wsgi, cache

def handler(req):
    text = work(float(req.args), sys._is_gil_enabled())
    req.content_type = 'text/plain'
    req.write(text)
    return apache.OK
"#,
        busy::WORK
    )
}

/// One child of the event MPM with `extra` configuration, [`BUSY`] at `/busy` in one
/// interpreter.
fn busy_server(extra: &str) -> Httpd {
    busy_builder(extra).start()
}

fn busy_builder(extra: &str) -> Builder {
    mod_python(Mpm::Event)
        .single_child()
        .file("py/busy.py", busy_module())
        .config(&format!(
            "{extra}<Location /busy>\n    SetHandler mod_python\n    PythonInterpreter one\n    \
             PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler busy\n</Location>\n"
        ))
}

/// Two runs of one second in the same interpreter, the second sent while the first works.
fn pair(httpd: &Httpd) -> (Run, Run) {
    busy::pair(httpd, "/busy", "/busy", 1.0)
}

#[test]
fn without_the_gil_two_requests_of_one_interpreter_run_at_the_same_time() {
    if !free_threaded("without_the_gil_two_requests_of_one_interpreter_run_at_the_same_time") {
        return;
    }
    let httpd = busy_server("PythonFreeThreading On\n");
    let (a, b) = pair(&httpd);
    let both = overlap(a, b);
    eprintln!("no GIL: {a:?} {b:?}: overlap {both:.3} s");
    assert!(!a.flag && !b.flag, "the GIL is on: {a:?} {b:?}");
    assert!(
        b.start < a.end && both > 0.3,
        "the second run did not start while the first worked: {a:?} {b:?}"
    );
    let log = httpd.error_log();
    support::no_crash(&log, "free threading");
    assert!(!log.contains("GIL) has been enabled"), "{log}");
}

#[test]
fn by_default_a_free_threaded_python_keeps_its_gil() {
    if !free_threaded("by_default_a_free_threaded_python_keeps_its_gil") {
        return;
    }
    for extra in ["", "PythonFreeThreading Off\n"] {
        let httpd = busy_server(extra);
        let (a, b) = pair(&httpd);
        assert!(a.flag && b.flag, "{extra:?}: the GIL is off: {a:?} {b:?}");
        assert!(
            b.start >= a.end - 0.01,
            "{extra:?}: two runs overlapped with the GIL on: {a:?} {b:?}"
        );
    }
}

#[test]
fn python_gil_in_httpds_environment_overrides_the_directive() {
    if !free_threaded("python_gil_in_httpds_environment_overrides_the_directive") {
        return;
    }
    for (env, directive, gil) in [("0", "Off", false), ("1", "On", true)] {
        let httpd = busy_builder(&format!("PythonFreeThreading {directive}\n"))
            .env("PYTHON_GIL", env)
            .start();
        let run = Run::parse(&httpd.get("/busy?0.01").text());
        assert_eq!(run.flag, gil, "PYTHON_GIL={env} with {directive}");
    }
}

/// Much of `_apache` and the library at once in one interpreter: request attributes, tables,
/// body, a session and a cookie, and a module-level counter under a lock.
const STRESS: &str = r#"
import threading
from mod_python import apache, Cookie, util

LOCK = threading.Lock()
COUNT = 0

def handler(req):
    global COUNT
    body = req.read()
    total = 0
    for i in range(200):
        req.headers_out['X-N'] = str(i)
        total += len(req.uri) + len(req.headers_in.get('Host', '')) + len(req.headers_out['X-N'])
        req.notes['k%d' % (i % 5)] = req.interpreter
    form = util.parse_qs(req.args or '')
    Cookie.add_cookie(req, 'seen', form.get('n', ['0'])[0])
    with LOCK:
        COUNT += 1
    req.content_type = 'text/plain'
    req.write('%d %d %s' % (total, len(body), req.notes['k0'] == req.interpreter))
    return apache.OK

def count(req):
    req.write(str(COUNT))
    return apache.OK
"#;

#[test]
fn many_requests_at_once_in_one_interpreter_without_the_gil_are_served_right() {
    if !free_threaded("many_requests_at_once_in_one_interpreter_without_the_gil_are_served_right") {
        return;
    }
    let httpd = mod_python(Mpm::Event)
        .single_child()
        .file("py/stress.py", STRESS)
        .config(
            "PythonFreeThreading On\n<Location /s>\n    SetHandler mod_python\n    \
             PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler stress\n</Location>\n\
             <Location /count>\n    SetHandler mod_python\n    \
             PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler stress::count\n</Location>\n",
        )
        .start();
    let (clients, each) = (6, 40);
    let host = format!("127.0.0.1:{}", httpd.port());
    std::thread::scope(|s| {
        for c in 0..clients {
            let (httpd, host) = (&httpd, &host);
            s.spawn(move || {
                for i in 0..each {
                    let body = format!("client {c} request {i}").repeat(50);
                    let r = httpd.request("POST", &format!("/s?n={i}"), &[], body.as_bytes());
                    assert_eq!(r.status, 200, "{}", httpd.error_log());
                    // The same work in every request; the body and notes are this one's.
                    let expected = format!(
                        "{} {} True",
                        (0..200usize)
                            .map(|i| "/s".len() + host.len() + i.to_string().len())
                            .sum::<usize>(),
                        body.len()
                    );
                    assert_eq!(r.text(), expected);
                    assert_eq!(r.header("Set-Cookie"), Some(format!("seen={i}").as_str()));
                }
            });
        }
    });
    assert_eq!(httpd.get("/count").text(), (clients * each).to_string());
    support::no_crash(&httpd.error_log(), "many requests without the GIL");
}

#[test]
fn the_directive_is_checked_when_the_configuration_is_read() {
    let conf_test = |text: &str| mod_python(Mpm::Event).config(text).config_test();
    conf_test("PythonFreeThreading Off\n").unwrap_or_else(|e| panic!("Off refused: {e}"));
    let on = conf_test("PythonFreeThreading On\n");
    if cfg!(Py_GIL_DISABLED) {
        on.unwrap_or_else(|e| panic!("On refused: {e}"));
        for text in [
            "PythonFreeThreading On\nPythonInterpreterGIL own\n",
            "PythonInterpreterGIL own shop\nPythonFreeThreading On\n",
        ] {
            let e = conf_test(text).unwrap_err();
            assert!(
                e.contains("exclude each other") && e.contains("line "),
                "{e}"
            );
        }
        conf_test("PythonFreeThreading On\nPythonInterpreterGIL shared\n")
            .unwrap_or_else(|e| panic!("On with shared refused: {e}"));
    } else {
        let e = on.unwrap_err();
        assert!(
            e.contains(&format!(
                "PythonFreeThreading On: running Python without a GIL needs a free-threaded \
                 CPython (3.13t or later, PEP 703); this mod_python runs CPython {}",
                support::PYTHON_VERSION
            )) && e.contains("line "),
            "{e}"
        );
    }
    for (text, why) in [
        ("PythonFreeThreading maybe\n", "must be On or Off"),
        (
            "<VirtualHost 127.0.0.1:*>\n    PythonFreeThreading Off\n</VirtualHost>\n",
            "cannot occur within <VirtualHost> section",
        ),
    ] {
        let e = conf_test(text).unwrap_err();
        assert!(e.contains(why), "{text}: {e}");
    }
}
