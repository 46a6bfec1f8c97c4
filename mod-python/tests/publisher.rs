//! `mod_python.publisher` on a real httpd, under event and prefork: URL mapping, arguments from
//! the query string and the body, traversal and its refusals, `__auth__`/`__access__`,
//! content types, errors, reloading, and the same URLs answered by C mod_python 3.5 where it
//! is installed.

mod support;

use harness::{Httpd, Mpm};
use std::path::PathBuf;
use std::time::Duration;

const HELLO: &str = r#"
import os

def index(req):
    return "index of hello\n"

def hello():
    return "hello world\n"

def greet(name, greeting="Hello"):
    return "%s, %s!\n" % (greeting, name)

def who(req):
    req.content_type = 'text/x-who'
    return "uri=%s form=%s\n" % (req.uri, sorted(req.form.keys()))

def kw(req, a, **rest):
    return 'a=%s rest=%s\n' % (a, sorted((k, str(v)) for k, v in rest.items()))

def multi(a):
    return repr(a) + '\n'

def html():
    return "<html><body>hi</body></html>"

def htmlish():
    return "<p>text with </b> tags</p>"

def raw():
    return b"raw bytes\n"

def nothing():
    return None

def number():
    return 42

def boom():
    raise ValueError('kaboom')

def _private():
    return 'secret'

class Thing:
    pass

class Obj:
    greeting = 'attr value'
    def hi(self, name='x'):
        return 'obj hi %s\n' % name
    def _hidden(self):
        return 'hidden'

obj = Obj()
obj.sub = Obj()
length = len
"#;

const INDEX: &str =
    "def index():\n    return 'pub index\\n'\n\ndef other():\n    return 'pub other\\n'\n";

const AUTH: &str = r#"
__auth_realm__ = "Module Realm"
__auth__ = {'ann': 'pw', 'eve': 'pw'}
__access__ = ['ann']

def index(req):
    return 'auth index for %s\n' % req.user
"#;

const CAUTH: &str = r#"
def __auth__(req, user, password):
    return password == 'open'

def __access__(req, user):
    return user != 'eve'

def index(req):
    return 'cauth for %s\n' % req.user
"#;

const FAUTH: &str = r#"
def secret(req):
    __auth_realm__ = 'Fn Realm'
    __auth__ = {'ann': 'pw'}
    __access__ = ['ann']
    return 'secret for %s\n' % req.user

class Guard:
    __auth__ = {'ann': 'pw'}
    __auth_realm__ = 'Obj Realm'
    def page(self, req):
        return 'guarded page %s\n' % req.user

guarded = Guard()

def public(req):
    return 'public\n'
"#;

const FILES: [(&str, &str); 5] = [
    ("hello.py", HELLO),
    ("index.py", INDEX),
    ("auth.py", AUTH),
    ("cauth.py", CAUTH),
    ("fauth.py", FAUTH),
];

/// `/pub` as the usual configuration (`AddHandler`), `/set` with `SetHandler` (pages without
/// the `.py`), `/dbg` with `PythonDebug On`.
fn server(module: PathBuf, mpm: Mpm) -> Httpd {
    let mut b = Httpd::builder().mpm(mpm).module("python_module", module);
    for dir in ["pub", "set", "dbg"] {
        for (name, text) in FILES {
            b = b.file(&format!("htdocs/{dir}/{name}"), text);
        }
    }
    b.config(
        "<Directory @ROOT@/htdocs/pub>\n    AddHandler mod_python .py\n    PythonHandler mod_python.publisher\n</Directory>\n\
         <Directory @ROOT@/htdocs/set>\n    SetHandler mod_python\n    PythonHandler mod_python.publisher\n</Directory>\n\
         <Directory @ROOT@/htdocs/dbg>\n    AddHandler mod_python .py\n    PythonHandler mod_python.publisher\n    PythonDebug On\n</Directory>\n",
    )
    .start()
}

const ANN: &str = "Basic YW5uOnB3"; // ann:pw
const EVE: &str = "Basic ZXZlOnB3"; // eve:pw
const ANN_BAD: &str = "Basic YW5uOmJhZA=="; // ann:bad
const ANN_OPEN: &str = "Basic YW5uOm9wZW4="; // ann:open
const EVE_OPEN: &str = "Basic ZXZlOm9wZW4="; // eve:open

/// "status | content type | WWW-Authenticate | body of a 200".
fn seen(httpd: &Httpd, method: &str, path: &str, auth: Option<&str>, body: &str) -> String {
    let mut headers = vec![];
    if method == "POST" {
        headers.push(("Content-Type", "application/x-www-form-urlencoded"));
    }
    if let Some(a) = auth {
        headers.push(("Authorization", a));
    }
    let r = httpd.request(method, path, &headers, body.as_bytes());
    format!(
        "{} | {} | {} | {}",
        r.status,
        if r.status == 200 {
            r.header("Content-Type").unwrap_or("-")
        } else {
            "-"
        },
        r.header("WWW-Authenticate").unwrap_or("-"),
        if r.status == 200 {
            r.text()
        } else {
            String::new()
        }
    )
}

fn get(httpd: &Httpd, path: &str) -> String {
    seen(httpd, "GET", path, None, "")
}

fn both(test: impl Fn(Mpm, &Httpd)) {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        test(mpm, &server(harness::cdylib("mod_python"), mpm));
    }
}

fn check(httpd: &Httpd, mpm: Mpm, cases: &[(&str, &str)]) {
    for (path, want) in cases {
        assert_eq!(&get(httpd, path), want, "{mpm:?} GET {path}");
    }
}

#[test]
fn maps_urls_to_pages_and_objects() {
    both(|mpm, h| {
        check(
            h,
            mpm,
            &[
                (
                    "/pub/hello.py/hello",
                    "200 | text/plain | - | hello world\n",
                ),
                ("/pub/hello.py", "200 | text/plain | - | index of hello\n"),
                ("/pub/hello.py/", "200 | text/plain | - | index of hello\n"),
                (
                    "/pub/hello.py/hello/",
                    "200 | text/plain | - | hello world\n",
                ),
                ("/pub/index.py", "200 | text/plain | - | pub index\n"),
                ("/pub/index.py/other", "200 | text/plain | - | pub other\n"),
                ("/set/hello/hello", "200 | text/plain | - | hello world\n"),
                ("/set/hello", "200 | text/plain | - | index of hello\n"),
                ("/set/", "200 | text/plain | - | pub index\n"),
                ("/set/index/other", "200 | text/plain | - | pub other\n"),
                // A page that does not exist is looked up in index.py.
                ("/set/other", "200 | text/plain | - | pub other\n"),
                ("/set/nosuch/x", "404 | - | - | "),
                ("/pub/nosuch.py", "404 | - | - | "),
                ("/pub/hello.py/missing", "404 | - | - | "),
                // Dotted traversal, by '/' or '.'.
                (
                    "/pub/hello.py/obj/hi?name=Z",
                    "200 | text/plain | - | obj hi Z\n",
                ),
                ("/pub/hello.py/obj.hi", "200 | text/plain | - | obj hi x\n"),
                (
                    "/pub/hello.py/obj/sub/hi",
                    "200 | text/plain | - | obj hi x\n",
                ),
                (
                    "/pub/hello.py/obj/greeting",
                    "200 | text/plain | - | attr value",
                ),
            ],
        );
    });
}

#[test]
fn refuses_private_names_modules_classes_and_builtins() {
    both(|mpm, h| {
        check(
            h,
            mpm,
            &[
                ("/pub/hello.py/_private", "403 | - | - | "),
                ("/pub/hello.py/obj/_hidden", "403 | - | - | "),
                ("/pub/hello.py/__doc__", "403 | - | - | "),
                ("/pub/hello.py/hello.__globals__", "403 | - | - | "),
                ("/pub/hello.py/os", "403 | - | - | "),
                ("/pub/hello.py/os/getcwd", "403 | - | - | "),
                ("/pub/hello.py/Thing", "403 | - | - | "),
                ("/pub/hello.py/length", "403 | - | - | "),
                ("/pub/hello.py/hello/extra", "403 | - | - | "),
            ],
        );
        assert!(
            h.error_log().contains("begins with an underscore"),
            "{mpm:?}"
        );
        let r = h.request("DELETE", "/pub/hello.py/hello", &[], b"");
        assert_eq!(r.status, 405, "{mpm:?}");
    });
}

#[test]
fn passes_form_fields_as_arguments() {
    both(|mpm, h| {
        check(
            h,
            mpm,
            &[
                (
                    "/pub/hello.py/greet?name=Ada",
                    "200 | text/plain | - | Hello, Ada!\n",
                ),
                (
                    "/pub/hello.py/greet?name=Ada&greeting=Hi&extra=1",
                    "200 | text/plain | - | Hi, Ada!\n",
                ),
                // A required argument missing: the call fails, as in 3.5.
                ("/pub/hello.py/greet", "500 | - | - | "),
                (
                    "/pub/hello.py/who?x=1&y=",
                    "200 | text/x-who | - | uri=/pub/hello.py/who form=['x', 'y']\n",
                ),
                (
                    "/pub/hello.py/kw?a=1&b=2&c=",
                    "200 | text/plain | - | a=1 rest=[('b', '2'), ('c', '')]\n",
                ),
                (
                    "/pub/hello.py/multi?a=1&a=2",
                    "200 | text/plain | - | ['1', '2']\n",
                ),
            ],
        );
        assert_eq!(
            seen(
                h,
                "POST",
                "/pub/hello.py/greet?greeting=Yo",
                None,
                "name=Bob"
            ),
            "200 | text/plain | - | Yo, Bob!\n",
            "{mpm:?}"
        );
        assert_eq!(
            seen(h, "POST", "/pub/hello.py/kw", None, "a=1&z=2"),
            "200 | text/plain | - | a=1 rest=[('z', '2')]\n",
            "{mpm:?}"
        );
    });
}

#[test]
fn writes_results_with_a_guessed_content_type() {
    both(|mpm, h| {
        check(
            h,
            mpm,
            &[
                (
                    "/pub/hello.py/html",
                    "200 | text/html | - | <html><body>hi</body></html>",
                ),
                (
                    "/pub/hello.py/htmlish",
                    "200 | text/plain | - | <p>text with </b> tags</p>",
                ),
                ("/pub/hello.py/raw", "200 | text/plain | - | raw bytes\n"),
                ("/pub/hello.py/number", "200 | text/plain | - | 42"),
                // Nothing returned: nothing written, the type httpd chose stays.
                ("/pub/hello.py/nothing", "200 | text/x-python | - | "),
            ],
        );
        let r = h.request("HEAD", "/pub/hello.py/hello", &[], b"");
        assert_eq!((r.status, r.body.len()), (200, 0), "{mpm:?}");
    });
}

#[test]
fn an_exception_is_a_500_with_its_traceback() {
    both(|mpm, h| {
        assert_eq!(get(h, "/pub/hello.py/boom"), "500 | - | - | ", "{mpm:?}");
        let log = h.error_log();
        assert!(log.contains("ValueError: kaboom"), "{mpm:?}: {log}");
        let r = h.get("/dbg/hello.py/boom");
        assert_eq!(r.status, 500, "{mpm:?}");
        assert!(
            r.text().contains("ValueError: kaboom"),
            "{mpm:?}: {}",
            r.text()
        );
    });
}

#[test]
fn basic_auth_guards_modules_functions_and_objects() {
    both(|mpm, h| {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "/pub/auth.py",
                None,
                "401 | - | Basic realm=\"Module Realm\" | ",
            ),
            (
                "/pub/auth.py",
                Some(ANN),
                "200 | text/plain | - | auth index for ann\n",
            ),
            ("/pub/auth.py", Some(EVE), "403 | - | - | "),
            (
                "/pub/auth.py",
                Some(ANN_BAD),
                "401 | - | Basic realm=\"Module Realm\" | ",
            ),
            ("/pub/auth.py", Some("Bearer xyz"), "400 | - | - | "),
            (
                "/pub/cauth.py",
                None,
                "401 | - | Basic realm=\"unknown\" | ",
            ),
            (
                "/pub/cauth.py",
                Some(ANN_OPEN),
                "200 | text/plain | - | cauth for ann\n",
            ),
            ("/pub/cauth.py", Some(EVE_OPEN), "403 | - | - | "),
            (
                "/pub/cauth.py",
                Some(ANN),
                "401 | - | Basic realm=\"unknown\" | ",
            ),
            (
                "/pub/fauth.py/secret",
                None,
                "401 | - | Basic realm=\"Fn Realm\" | ",
            ),
            (
                "/pub/fauth.py/secret",
                Some(ANN),
                "200 | text/plain | - | secret for ann\n",
            ),
            (
                "/pub/fauth.py/guarded/page",
                None,
                "401 | - | Basic realm=\"Obj Realm\" | ",
            ),
            (
                "/pub/fauth.py/guarded/page",
                Some(ANN),
                "200 | text/plain | - | guarded page ann\n",
            ),
            (
                "/pub/fauth.py/public",
                None,
                "200 | text/plain | - | public\n",
            ),
        ];
        for (path, auth, want) in cases {
            assert_eq!(
                &seen(h, "GET", path, *auth, ""),
                want,
                "{mpm:?} {path} {auth:?}"
            );
        }
    });
}

#[test]
fn a_changed_page_is_reloaded() {
    both(|mpm, h| {
        let page = h.root().join("htdocs/pub/changing.py");
        std::fs::write(&page, "def index():\n    return 'first\\n'\n").unwrap();
        assert_eq!(
            get(h, "/pub/changing.py"),
            "200 | text/plain | - | first\n",
            "{mpm:?}"
        );
        // Modules are looked at at most once a second, and mtimes may be that coarse.
        std::thread::sleep(Duration::from_millis(1100));
        std::fs::write(&page, "def index():\n    return 'second\\n'\n").unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        for _ in 0..8 {
            // Every child that served the first version must see the second.
            assert_eq!(
                get(h, "/pub/changing.py"),
                "200 | text/plain | - | second\n",
                "{mpm:?}"
            );
        }
    });
}

/// URLs where C mod_python 3.5 (Debian's, on Python 3) behaves as documented.
const COMPARED: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/pub/hello.py/hello", None),
    ("GET", "/pub/hello.py", None),
    ("GET", "/pub/hello.py/", None),
    ("GET", "/pub/index.py/other", None),
    (
        "GET",
        "/pub/hello.py/greet?name=Ada&greeting=Hi&extra=1",
        None,
    ),
    ("GET", "/pub/hello.py/greet", None),
    ("GET", "/pub/hello.py/html", None),
    ("GET", "/pub/hello.py/htmlish", None),
    ("GET", "/pub/hello.py/number", None),
    ("GET", "/pub/hello.py/nothing", None),
    ("GET", "/pub/hello.py/boom", None),
    ("GET", "/pub/hello.py/_private", None),
    ("GET", "/pub/hello.py/obj/_hidden", None),
    ("GET", "/pub/hello.py/os", None),
    ("GET", "/pub/hello.py/os/getcwd", None),
    ("GET", "/pub/hello.py/Thing", None),
    ("GET", "/pub/hello.py/length", None),
    ("GET", "/pub/hello.py/hello/extra", None),
    ("GET", "/pub/hello.py/obj/sub/hi?name=Q", None),
    ("GET", "/pub/hello.py/obj.hi", None),
    ("GET", "/pub/hello.py/missing", None),
    ("GET", "/pub/nosuch.py", None),
    ("GET", "/set/hello/hello", None),
    ("GET", "/set/hello", None),
    ("GET", "/set/", None),
    ("GET", "/set/other", None),
    ("GET", "/set/nosuch/x", None),
    ("GET", "/set/hello.py//hello", None),
    ("POST", "/set/hello.py/hello", None),
    ("PUT", "/set/hello.py/hello", None),
    ("GET", "/pub/auth.py", None),
    ("GET", "/pub/cauth.py", None),
    ("GET", "/pub/fauth.py/guarded/page", None),
    ("GET", "/pub/fauth.py/public", None),
];

#[test]
fn answers_as_c_mod_python_does() {
    let Some(c_module) = support::c_mod_python() else {
        return;
    };
    let run = |h: &Httpd| -> Vec<String> {
        COMPARED
            .iter()
            .map(|(m, p, a)| format!("{m} {p}: {}", seen(h, m, p, *a, "x=1")))
            .collect()
    };
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let ours = run(&server(harness::cdylib("mod_python"), mpm));
        let theirs = run(&server(c_module.clone(), mpm));
        assert_eq!(
            ours, theirs,
            "{mpm:?}: our answers differ from C mod_python's"
        );
    }
}
