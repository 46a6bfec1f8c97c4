//! The classes of security holes mod_python has had, each kept shut by a named test on a real
//! httpd under event, worker and prefork: the publisher reaching what it should not
//! (CVE-2002-0185, CVE-2005-0088), a query string crashing a child (CVE-2004-0096), session
//! ids reaching outside the store (CVE-2006-1095), and their neighbours: unknown session ids
//! adopted, tracebacks sent to clients, session files others can read, header splitting, and
//! forged signed cookies trusted.

use harness::{Httpd, Mpm, Response};

/// A page that imports things and keeps a secret, as real pages do.
const OPEN_PAGE: &str = r#"
import os
import os.path as osp
from os import environ
from platform import python_version
from shutil import rmtree

_secret = 'SECRET-MARKER'
SETTINGS = {'password': 'SECRET-MARKER'}
greeting = 'hi there'
length = len
rm_alias = rmtree

class Page:
    def __init__(self):
        self._token = 'SECRET-MARKER'
    def method(self):
        return 'method of page'

page = Page()

def index(req):
    return 'index of open'

def hello():
    return 'hello'

def fails():
    raise ValueError('SECRET-MARKER in a published function')
"#;

/// A page that lists an imported function in `__all__`: published, also in strict mode.
const LISTED_PAGE: &str = r#"
from platform import python_version
__all__ = ['python_version', 'index']

def index():
    return 'index of listed'
"#;

const APP: &str = r#"
import os
from mod_python import apache, util, Cookie, Session

def query(req):
    # Every parser a query string reaches.
    apache.parse_qs(req.args or '', 1)
    apache.parse_qsl(req.args or '', 1)
    util.parse_qs(req.args or '', 1)
    form = util.FieldStorage(req, keep_blank_values=1)
    req.write('%d fields in %d' % (len(form.keys()), os.getpid()))
    return apache.OK

def boom(req):
    raise ValueError('SECRET-MARKER in an exception')

def header(req):
    req.headers_out[req.args or 'X-Evil'] = 'value\r\nSet-Cookie: injected=1'
    req.write('body')
    return apache.OK

def header_lf(req):
    req.err_headers_out['X-Evil'] = 'value\nX-Injected: 1'
    req.write('body')
    return apache.OK

def cookie_crlf(req):
    Cookie.add_cookie(req, 'name', 'value\r\nX-Injected: 1')
    req.write('body')
    return apache.OK

def session(req):
    s = Session.Session(req)
    s['n'] = s.get('n', 0) + 1
    s.save()
    req.write('%s %d %s' % (s.id(), s['n'], s.is_new()))
    return apache.OK

SECRET = 'cookie secret'

def sign(req):
    Cookie.add_cookie(req, Cookie.SignedCookie('user', 'ann', SECRET))
    req.write('signed')
    return apache.OK

def signed(req):
    mode = {'downgrade': Cookie.Cookie.DOWNGRADE, 'ignore': Cookie.Cookie.IGNORE,
            'exception': Cookie.Cookie.EXCEPTION}[req.args]
    try:
        found = Cookie.get_cookies(req, Cookie.SignedCookie, secret=SECRET, mismatch=mode)
    except Cookie.CookieError:
        req.write('CookieError')
        return apache.OK
    c = found.get('user')
    req.write('none' if c is None else '%s %s' % (type(c).__name__, c.value))
    return apache.OK
"#;

const WSGI_APP: &str = r#"
def application(environ, start_response):
    raise ValueError('SECRET-MARKER in a WSGI application')
"#;

const PSP_PAGE: &str = "<% raise ValueError('SECRET-MARKER in a PSP page') %>\n";

fn app_location(path: &str, callable: &str, extra: &str) -> String {
    format!(
        "<Location {path}>\n    SetHandler mod_python\n    PythonHandler app::{callable}\n{extra}</Location>\n"
    )
}

fn server(mpm: Mpm) -> Httpd {
    let mut c = String::new();
    c += "PythonPath \"sys.path+['@ROOT@/py']\"\n";
    for dir in ["pub", "strict"] {
        c += &format!(
            "<Directory @ROOT@/htdocs/{dir}>\n    AddHandler mod_python .py\n    PythonHandler mod_python.publisher\n"
        );
        if dir == "strict" {
            c += "    PythonOption mod_python.publisher.strict On\n";
        }
        c += "</Directory>\n";
    }
    c += "<Directory @ROOT@/htdocs/psp>\n    AddHandler mod_python .psp\n    PythonHandler mod_python.psp\n</Directory>\n";
    c += "<Location /wsgi>\n    SetHandler mod_python\n    PythonHandler mod_python.wsgi\n    \
          PythonOption mod_python.wsgi.application wsgiapp::application\n</Location>\n";
    for name in [
        "query",
        "boom",
        "header",
        "header_lf",
        "cookie_crlf",
        "sign",
        "signed",
    ] {
        c += &app_location(&format!("/{name}"), name, "");
    }
    c += &app_location(
        "/session",
        "session",
        "    PythonOption mod_python.session.session_type FileSession\n    \
         PythonOption mod_python.file_session.database_directory @ROOT@/sess\n",
    );
    // One child: a crash would show as another process answering.
    let httpd = Httpd::builder()
        .mpm(mpm)
        .single_child()
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/app.py", APP)
        .file("py/wsgiapp.py", WSGI_APP)
        .file("htdocs/pub/open.py", OPEN_PAGE)
        .file("htdocs/pub/listed.py", LISTED_PAGE)
        .file("htdocs/strict/open.py", OPEN_PAGE)
        .file("htdocs/strict/listed.py", LISTED_PAGE)
        .file("htdocs/psp/fails.psp", PSP_PAGE)
        .file("sess/README", "the session store\n")
        .file("outside/planted", "not a session\n")
        .config(&c)
        .start();
    // The children run as www-data when the tests run as root: the store is theirs.
    use std::os::unix::fs::PermissionsExt;
    let sess = httpd.root().join("sess");
    std::fs::set_permissions(&sess, std::fs::Permissions::from_mode(0o777)).unwrap();
    httpd
}

fn no_secret(r: &Response, what: &str) {
    let text = r.text();
    assert!(!text.contains("SECRET-MARKER"), "{what}: {text}");
    assert!(!text.contains("Traceback"), "{what}: {text}");
}

/// The error_log shows no crashed child.
fn no_crash(httpd: &Httpd, what: &str) {
    let log = httpd.error_log();
    for bad in ["Segmentation fault", "exit signal", "Fatal Python error"] {
        assert!(!log.contains(bad), "{what}: {bad:?}:\n{log}");
    }
}

/// CVE-2002-0185: a published page's imports reached from the web. 3.5 refuses modules but
/// publishes imported functions and objects (`from shutil import rmtree`, `from os import
/// environ`); so does this mod_python by default, with a warning once per page and name, and
/// `PythonOption mod_python.publisher.strict On` refuses them (403).
#[test]
fn cve_2002_0185_imported_objects_are_refused_in_strict_mode_and_warned_of_otherwise() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        // Without the option, 3.5's behaviour: served, and a warning logged once.
        for _ in 0..2 {
            let r = httpd.get("/pub/open.py/python_version");
            assert_eq!(r.status, 200, "{mpm:?}");
        }
        let r = httpd.get("/pub/open.py/environ");
        assert_eq!(r.status, 200, "{mpm:?}: 3.5 serves the environment");
        let log = httpd.error_log();
        assert_eq!(
            log.matches("serves 'python_version', which").count(),
            1,
            "{mpm:?}: {log}"
        );
        assert!(
            log.contains("mod_python.publisher.strict On would refuse it"),
            "{mpm:?}: {log}"
        );
        // With it, only what the page defines, or lists in __all__.
        for path in [
            "/strict/open.py/python_version",
            "/strict/open.py/environ",
            "/strict/open.py/rmtree?path=/tmp/x",
            "/strict/open.py/rm_alias?path=/tmp/x",
            "/strict/open.py/osp",
            "/strict/open.py/os",
        ] {
            let r = httpd.get(path);
            assert_eq!(r.status, 403, "{mpm:?}: {path}");
            no_secret(&r, path);
        }
        for (path, body) in [
            ("/strict/open.py", "index of open"),
            ("/strict/open.py/hello", "hello"),
            ("/strict/open.py/greeting", "hi there"),
            ("/strict/open.py/page/method", "method of page"),
            ("/strict/listed.py", "index of listed"),
        ] {
            let r = httpd.get(path);
            assert_eq!(
                (r.status, r.text().as_str()),
                (200, body),
                "{mpm:?}: {path}"
            );
        }
        let r = httpd.get("/strict/listed.py/python_version");
        assert_eq!(r.status, 200, "{mpm:?}: listed in __all__");
        no_crash(&httpd, mpm.name());
    }
}

/// CVE-2002-0185 and CVE-2005-0088: modules, `_`-names, class and function internals and
/// builtins are never reached, by slashes or by dots, strict or not.
#[test]
fn cve_2005_0088_the_publisher_never_reaches_modules_private_names_internals_or_builtins() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        for dir in ["pub", "strict"] {
            for rest in [
                "os",
                "os/system",
                "os.system",
                "os/environ",
                "osp/join",
                "_secret",
                "SETTINGS/keys",
                "hello/__globals__",
                "hello.__globals__",
                "hello.func_globals",
                "hello/__code__",
                "Page",
                "Page/__init__/__globals__",
                "page/_token",
                "page/__class__",
                "page.__class__.__init__.__globals__",
                "page/method/__func__",
                "page/__dict__",
                "page/__init__",
                "__builtins__",
                "__builtins__/open",
                "length",
                "open",
                "eval",
                "__import__",
                "index/__globals__/_secret",
                "greeting/upper",
                "%5fsecret",
                "page/%5f%5fdict%5f%5f",
            ] {
                let path = format!("/{dir}/open.py/{rest}");
                let r = httpd.get(&path);
                assert!(
                    r.status == 403 || r.status == 404,
                    "{mpm:?}: {path}: {} {}",
                    r.status,
                    r.text()
                );
                no_secret(&r, &path);
            }
        }
        no_crash(&httpd, mpm.name());
    }
}

/// CVE-2004-0096: a crafted query string crashed a child. Every parser a query string
/// reaches gets odd ones; the same child answers each (one child in this server).
#[test]
fn cve_2004_0096_a_crafted_query_string_cannot_crash_a_child() {
    let long_key = "k".repeat(4000);
    let many = "a=1&".repeat(1500);
    let equals = "=".repeat(4000);
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let first = httpd.get("/query").text();
        let pid = first.rsplit(' ').next().unwrap().to_string();
        for qs in [
            "%",
            "%%%%",
            "a=%",
            "a=%z",
            "a=%zz&b=%4",
            "&&&&=&=",
            "=",
            "==",
            "a==b=c",
            "%00=%00",
            "a=%00b",
            "%ff%fe=%c3%28",
            "a=%e2%82",
            "+=+&++",
            ";;;",
            "a;b;c=1",
            "%u0041=1",
            "a[]=1&a[]=2",
            "a=1&a=2&a=3",
            long_key.as_str(),
            many.as_str(),
            equals.as_str(),
        ] {
            let r = httpd.get(&format!("/query?{qs}"));
            assert!(
                r.status == 200 || r.status == 400,
                "{mpm:?}: {qs:.40}: {} {}",
                r.status,
                httpd.error_log()
            );
            if r.status == 200 {
                assert!(r.text().ends_with(&pid), "{mpm:?}: {qs:.40}: another child");
            }
        }
        no_crash(&httpd, mpm.name());
    }
}

fn session_fields(r: &Response) -> (String, u32, bool) {
    let text = r.text();
    let f: Vec<&str> = text.split(' ').collect();
    assert_eq!(f.len(), 3, "{text}");
    (f[0].to_string(), f[1].parse().unwrap(), f[2] == "True")
}

fn is_sid(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// CVE-2006-1095: a session id with a path in it reached files outside the FileSession
/// store. Such ids are never used: the request gets a new session, and nothing outside the
/// store is read or written.
#[test]
fn cve_2006_1095_session_ids_cannot_reach_outside_the_store() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let outside = httpd.root().join("outside");
        for sid in [
            "../outside/planted",
            "../../../../etc/passwd",
            "..%2F..%2Foutside%2Fplanted",
            "/etc/passwd",
            "pl/../../outside/planted",
            "0123456789abcdef0123456789abcde/",
            "0123456789abcdef0123456789abcdef/../../outside/x",
            "\\..\\..\\outside\\planted",
            "%00",
        ] {
            let cookie = format!("pysid={sid}");
            let r = httpd.request("GET", "/session", &[("Cookie", &cookie)], b"");
            assert_eq!(r.status, 200, "{mpm:?}: {sid}: {}", httpd.error_log());
            let (new_sid, n, new) = session_fields(&r);
            assert!(is_sid(&new_sid), "{mpm:?}: {sid}: {new_sid}");
            assert_eq!((n, new), (1, true), "{mpm:?}: {sid}");
        }
        let planted = std::fs::read_to_string(outside.join("planted")).unwrap();
        assert_eq!(planted, "not a session\n", "{mpm:?}");
        let entries: Vec<_> = std::fs::read_dir(&outside).unwrap().flatten().collect();
        assert_eq!(
            entries.len(),
            1,
            "{mpm:?}: something was written outside the store"
        );
        no_crash(&httpd, mpm.name());
    }
}

/// A session id the server never gave out, well-formed or not, is never adopted (session
/// fixation): the request gets a session of its own with a new id.
#[test]
fn unknown_session_ids_are_never_adopted() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        for sid in [
            "0123456789abcdef0123456789abcdef",
            "ffffffffffffffffffffffffffffffff",
            "0123456789ABCDEF0123456789ABCDEF",
            "attacker-chosen",
        ] {
            let cookie = format!("pysid={sid}");
            let r = httpd.request("GET", "/session", &[("Cookie", &cookie)], b"");
            let (got, n, new) = session_fields(&r);
            assert_ne!(
                got.to_ascii_lowercase(),
                sid.to_ascii_lowercase(),
                "{mpm:?}"
            );
            assert_eq!((n, new), (1, true), "{mpm:?}: {sid}");
        }
        // A session it did give out is kept.
        let r = httpd.get("/session");
        let (sid, _, _) = session_fields(&r);
        let cookie = format!("pysid={sid}");
        let r = httpd.request("GET", "/session", &[("Cookie", &cookie)], b"");
        assert_eq!(session_fields(&r), (sid, 2, false), "{mpm:?}");
    }
}

/// Session files hold what handlers store (user ids, tokens): only their owner may read
/// them, whatever the process's umask.
#[test]
fn file_sessions_are_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let (sid, _, _) = session_fields(&httpd.get("/session"));
        let dir = httpd.root().join("sess/mp_sess").join(&sid[..2]);
        let file = dir.join(&sid);
        let mode = |p: &std::path::Path| p.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600, "{mpm:?}: {}", file.display());
        assert_eq!(mode(&dir), 0o700, "{mpm:?}: {}", dir.display());
    }
}

/// With `PythonDebug Off` (the default) no traceback, and nothing of an exception's
/// message, reaches the client: from a handler, the publisher, PSP or WSGI.
#[test]
fn no_traceback_reaches_a_client_with_python_debug_off() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        for path in ["/boom", "/pub/open.py/fails", "/psp/fails.psp", "/wsgi"] {
            let r = httpd.get(path);
            assert_eq!(r.status, 500, "{mpm:?}: {path}: {}", r.text());
            no_secret(&r, path);
        }
        // The error_log has them.
        let log = httpd.error_log();
        for what in [
            "in an exception",
            "in a published function",
            "in a PSP page",
            "in a WSGI application",
        ] {
            assert!(log.contains(what), "{mpm:?}: {what}: {log}");
        }
    }
}

/// A response header holding CR or LF would split the response (header injection): httpd
/// refuses the response with a 500 instead, whichever table or helper set it.
#[test]
fn cr_lf_in_a_response_header_is_refused() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        for path in ["/header", "/header?Location", "/header_lf", "/cookie_crlf"] {
            let raw = httpd.raw(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            let text = String::from_utf8_lossy(&raw);
            assert!(text.starts_with("HTTP/1.1 500 "), "{mpm:?}: {path}: {text}");
            let head = text.split("\r\n\r\n").next().unwrap_or("");
            assert!(
                !head.contains("injected") && !head.contains("X-Injected"),
                "{mpm:?}: {path}: {head}"
            );
        }
        no_crash(&httpd, mpm.name());
    }
}

/// A tampered `SignedCookie` is, by 3.5's default (`Cookie.DOWNGRADE`), handed back as a
/// plain `Cookie` with the forged value, which code checking only the value trusts. With
/// `mismatch=Cookie.IGNORE` it is dropped, with `Cookie.EXCEPTION` it raises; a rightly
/// signed one is a `SignedCookie` in every mode.
#[test]
fn a_tampered_signed_cookie_is_dropped_or_refused_when_asked() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let r = httpd.get("/sign");
        let good = r
            .header("Set-Cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let value = good.strip_prefix("user=").unwrap();
        let forged = format!("user={}eve", &value[..32]);
        let unsigned = "user=eve".to_string();
        let ask = |mode: &str, cookie: &str| {
            httpd
                .request(
                    "GET",
                    &format!("/signed?{mode}"),
                    &[("Cookie", cookie)],
                    b"",
                )
                .text()
        };
        for mode in ["downgrade", "ignore", "exception"] {
            assert_eq!(ask(mode, &good), "SignedCookie ann", "{mpm:?}: {mode}");
        }
        for bad in [&forged, &unsigned] {
            assert_eq!(
                ask("downgrade", bad),
                format!("Cookie {}", &bad[5..]),
                "{mpm:?}"
            );
            assert_eq!(ask("ignore", bad), "none", "{mpm:?}: {bad}");
            assert_eq!(ask("exception", bad), "CookieError", "{mpm:?}: {bad}");
        }
    }
}
