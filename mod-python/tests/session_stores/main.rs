//! SocacheSession on real memcached and redis servers, each a private instance the test starts
//! on a free port of 127.0.0.1 (`harness::stores`), killed when the test ends: one httpd whose
//! children share the sessions (`one_server`), two httpd on one store behind a third running
//! mod_proxy_balancer (`two_servers`), and the store stopped, restarted and hung mid-run
//! (`faults`). A test is skipped, saying why, only when memcached or redis-server (or its
//! socache module) is not installed.

mod faults;
mod one_server;
mod two_servers;

use harness::stores::{self, Protocol, Store};
use harness::{Httpd, Mpm, Response};
use std::path::{Path, PathBuf};

const SOCACHE: &str = "mod_python.session.socache";
const TIMEOUT: &str = "mod_python.session.socache_timeout";

/// The application every server runs under `/app/<action>`; each answer names the server
/// (`PythonOption server`) and the process that served it.
const APP: &str = r#"
from mod_python import apache, Session
import os, time


def _answer(req, s):
    req.write('n=%d sid=%s new=%s server=%s pid=%d' % (
        s.get('n', 0), s.id(), s.is_new(), req.get_options().get('server', '?'), os.getpid()))


def count(req):
    # ?<seconds> sets the session's timeout before it is saved.
    s = Session.Session(req)
    if req.args:
        s.set_timeout(int(req.args))
    s['n'] = s.get('n', 0) + 1
    s.save()
    _answer(req, s)


def peek(req):
    _answer(req, Session.Session(req))


def invalidate(req):
    s = Session.Session(req)
    s.invalidate()
    req.write('gone server=%s' % req.get_options().get('server', '?'))


def hold(req):
    # ?<me>,<other>,<seconds>: with the session (and its lock) held, leaves a mark named <me>
    # and waits until the mark <other> is there or the seconds have passed. Two requests that
    # hold the session at once see each other's marks; two that the lock keeps apart do not
    # overlap.
    s = Session.Session(req)
    entered = time.time()
    me, other, wait = req.args.split(',')
    marks = req.get_options()['marks']
    open(os.path.join(marks, me), 'w').close()
    deadline = entered + float(wait)
    saw = False
    while time.time() < deadline:
        if os.path.exists(os.path.join(marks, other)):
            saw = True
            break
        time.sleep(0.02)
    req.write('entered=%f left=%f saw=%s server=%s' % (
        entered, time.time(), saw, req.get_options().get('server', '?')))


def plain(req):
    req.write('plain server=%s' % req.get_options().get('server', '?'))


def handler(req):
    req.content_type = 'text/plain'
    globals()[req.uri.rsplit('/', 1)[-1]](req)
    return apache.OK
"#;

/// A server named `name` whose sessions live in `store`, with several children that each
/// serve only a few connections; `extra` is added to its configuration.
fn server(mpm: Mpm, store: &Store, name: &str, extra: &str) -> Httpd {
    let (module, file) = store.protocol().module();
    let sizing = match mpm {
        Mpm::Prefork => {
            "StartServers 3\nMinSpareServers 3\nMaxSpareServers 6\nMaxConnectionsPerChild 5\n"
        }
        _ => "StartServers 2\nMaxConnectionsPerChild 5\n",
    };
    let conf = format!(
        "PythonPath \"sys.path+['@ROOT@/app']\"\n\
         PythonOption {SOCACHE} \"{}\"\n{sizing}{extra}\n\
         <Location /app>\n    SetHandler mod_python\n    PythonHandler app\n    \
         PythonDebug On\n    PythonOption server {name}\n</Location>\n",
        store.spec()
    );
    Httpd::builder()
        .system_module(module, file)
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("app/app.py", APP)
        .config(&conf)
        .start()
}

/// The stores this machine can run, each started afresh; the others are skipped, saying why.
fn each_store() -> impl Iterator<Item = Store> {
    Protocol::ALL.into_iter().filter_map(stores::start_or_skip)
}

/// What `count` or `peek` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    n: u32,
    sid: String,
    new: bool,
    server: String,
    pid: u32,
}

/// The `key=value` field `name` of an answer.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split(' ')
        .find_map(|w| w.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
}

fn answer(r: &Response) -> Answer {
    let text = r.text();
    let get = |name| {
        field(&text, name).unwrap_or_else(|| panic!("no {name} in {:?} ({})", text, r.status))
    };
    Answer {
        n: get("n").parse().unwrap(),
        sid: get("sid").to_string(),
        new: get("new") == "True",
        server: get("server").to_string(),
        pid: get("pid").parse().unwrap(),
    }
}

/// `GET path` on the server at `port`, with these cookies.
fn get_port(port: u16, path: &str, cookies: &[&str]) -> Response {
    let cookie = cookies.join("; ");
    let headers: Vec<(&str, &str)> = if cookie.is_empty() {
        Vec::new()
    } else {
        vec![("Cookie", cookie.as_str())]
    };
    harness::request_port(port, "GET", path, &headers, b"")
        .unwrap_or_else(|e| panic!("GET {path} on port {port}: {e}"))
}

/// `GET path` on `httpd`, which must answer 200.
fn get_ok(httpd: &Httpd, path: &str, cookies: &[&str]) -> Response {
    let r = get_port(httpd.port(), path, cookies);
    assert_eq!(r.status, 200, "{path}: {}\n{}", r.text(), httpd.error_log());
    r
}

/// The `name=value` of the response's cookie `name`, without its attributes.
fn cookie(r: &Response, name: &str) -> Option<String> {
    r.headers_all("Set-Cookie")
        .into_iter()
        .map(|c| c.split(';').next().unwrap().trim().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The key the store holds session `sid` under: the socache key `mod_python.session:<sid>` in
/// mod_python's namespace of networked stores.
fn key_of(sid: &str) -> String {
    stores::socache_key("mp_session", format!("mod_python.session:{sid}").as_bytes())
}

/// A directory both servers of a test can write to (their children run as www-data when the
/// tests run as root), removed when dropped.
struct SharedDir(PathBuf);

impl SharedDir {
    fn new(tag: &str) -> SharedDir {
        use std::os::unix::fs::PermissionsExt;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("mp-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        SharedDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for SharedDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
