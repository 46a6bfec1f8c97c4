//! `req.register_cleanup` on a real httpd, under event and prefork: the callables run at the
//! request's end with the request still usable, as in mod_python 3.5, in 3.5's order (the last
//! registered first; one a cleanup registers, next); one that fails is logged and does not stop
//! the others; the response is over, so writing raises and nothing reaches the client.
//! Where Debian's C mod_python is installed, the same handler runs on it and must leave the
//! same record (its `req.write` in a cleanup is not compared: 3.5 does not refuse it).

mod support;

use harness::{Httpd, Mpm};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const HANDLERS: &str = r#"
from mod_python import apache
import os

def record(req):
    # Opened by path each time: the cleanups run after the handler returned.
    out = os.path.join(apache.server_root(), 'out', 'cleanups-%s.txt' % req.args)
    def line(text):
        with open(out, 'a') as f:
            f.write(text + '\n')
    return line

def handler(req):
    line = record(req)
    req.notes['k'] = 'note-' + req.args
    req.user_data = 'kept on the object'

    def attributes(data):
        c = req.connection
        line('attributes data=%r uri=%s args=%s host=%s note=%s header=%s status=%r '
             'remote_ip=%s local_ip=%s user_data=%s' % (
                 data, req.uri, req.args, req.server.server_hostname, req.notes.get('k'),
                 req.headers_in.get('X-Test'), req.status, c.remote_ip, c.local_ip,
                 req.user_data))
        req.notes['changed'] = 'in a cleanup'
        line('notes changed=%s' % req.notes.get('changed'))
        req.log_error('cleanup log_error for %s' % req.uri, apache.APLOG_NOTICE)

    def writer(data):
        outcome = []
        # The method, then the class's own (the native call under it).
        for write in (req.write, lambda text: type(req).write(req, text)):
            try:
                write('too late')
                outcome.append('accepted')
            except Exception as e:
                outcome.append('raised %s' % type(e).__name__)
        line('write %s' % ', '.join(outcome))

    def failing(data):
        line('failing ran')
        raise ValueError('cleanup failed on purpose: ' + data)

    def last(data):
        line('last registered %s' % data)
        req.register_cleanup(line, 'registered by a cleanup for %s' % req.uri)

    req.register_cleanup(attributes, 'the data')
    req.register_cleanup(writer, 'w')
    req.register_cleanup(failing, 'x1')
    req.register_cleanup(last, 4)
    req.write('registered')
    return apache.OK
"#;

fn server(module: PathBuf, mpm: Mpm) -> Httpd {
    let httpd = Httpd::builder()
        .mpm(mpm)
        .module("python_module", module)
        .file("py/cleanups.py", HANDLERS)
        .file("out/.keep", "")
        .config(
            "ServerName cleanups.test\n\
             <Location /clean>\n    SetHandler mod_python\n    \
             PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler cleanups\n</Location>\n",
        )
        .start();
    // httpd's children run as another user.
    let out = httpd.root().join("out");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).unwrap();
    httpd
}

/// The record the cleanups of request `tag` wrote, once the last of them did.
fn record(root: &Path, tag: &str) -> Vec<String> {
    let path = root.join(format!("out/cleanups-{tag}.txt"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains("attributes ") && text.contains("notes changed") {
            return text.lines().map(str::to_owned).collect();
        }
        assert!(
            Instant::now() < deadline,
            "the cleanups of {tag} did not all run: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the handler for request `tag`; returns the record, the write's line set apart.
fn run(httpd: &Httpd, tag: &str) -> (Vec<String>, String) {
    let r = httpd.request("GET", &format!("/clean?{tag}"), &[("X-Test", "yes")], b"");
    assert_eq!(r.status, 200, "{}", httpd.error_log());
    assert_eq!(r.text(), "registered", "a cleanup wrote into the response");
    let mut lines = record(httpd.root(), tag);
    let at = lines
        .iter()
        .position(|l| l.starts_with("write "))
        .expect("the writing cleanup ran");
    let write = lines.remove(at);
    lines.insert(at, "write ...".into());
    (lines, write)
}

/// Waits until the error log has `text`, and returns the log.
fn logged(httpd: &Httpd, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = httpd.error_log();
        if log.contains(text) || Instant::now() >= deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn expected(tag: &str) -> Vec<String> {
    [
        "last registered 4".to_owned(),
        "registered by a cleanup for /clean".to_owned(),
        "failing ran".to_owned(),
        "write ...".to_owned(),
        format!(
            "attributes data='the data' uri=/clean args={tag} host=cleanups.test \
             note=note-{tag} header=yes status=200 remote_ip=127.0.0.1 local_ip=127.0.0.1 \
             user_data=kept on the object"
        ),
        "notes changed=in a cleanup".to_owned(),
    ]
    .into()
}

#[test]
fn cleanups_run_with_the_request_still_usable() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(harness::cdylib("mod_python"), mpm);
        for n in 0..3 {
            let tag = format!("{}{n}", mpm.name());
            let (lines, write) = run(&httpd, &tag);
            assert_eq!(lines, expected(&tag), "{mpm:?}");
            assert_eq!(write, "write raised OSError, raised OSError", "{mpm:?}");
        }
        let tag = format!("{}2", mpm.name());
        let log = logged(&httpd, "cleanup log_error for /clean");
        assert!(
            log.contains("cleanup log_error for /clean"),
            "{mpm:?}: {log}"
        );
        let log = logged(&httpd, "cleanup failed on purpose: x1");
        assert!(
            log.contains("request cleanup failed: Traceback")
                && log.contains("ValueError: cleanup failed on purpose: x1"),
            "{mpm:?}: the failing cleanup was not logged with its traceback:\n{log}"
        );
        // Nothing a cleanup wrote reached the connection: the next response on it is intact.
        let answer = String::from_utf8_lossy(
            &httpd.raw(
                format!(
                    "GET /clean?{tag}-ka1 HTTP/1.1\r\nHost: x\r\n\r\n\
                 GET /clean?{tag}-ka2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            ),
        )
        .into_owned();
        assert_eq!(
            answer.matches("HTTP/1.1 200 OK").count(),
            2,
            "{mpm:?}: {answer}"
        );
        assert_eq!(answer.matches("registered").count(), 2, "{mpm:?}: {answer}");
        assert!(!answer.contains("too late"), "{mpm:?}: {answer}");
        for ka in ["ka1", "ka2"] {
            assert_eq!(record(httpd.root(), &format!("{tag}-{ka}")).len(), 6);
        }
        assert!(
            !log.contains("AH00052") && !log.contains("Segmentation"),
            "{mpm:?}: {log}"
        );
    }
}

#[test]
fn same_record_as_c_mod_python() {
    let Some(c_module) = support::c_mod_python() else {
        return;
    };
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let tag = format!("c{}", mpm.name());
        let theirs = run(&server(c_module.clone(), mpm), &tag);
        eprintln!("{mpm:?}: C mod_python's write in a cleanup: {}", theirs.1);
        let ours = run(&server(harness::cdylib("mod_python"), mpm), &tag);
        assert_eq!(
            ours.0, theirs.0,
            "{mpm:?}: our cleanups differ from C mod_python's"
        );
    }
}
