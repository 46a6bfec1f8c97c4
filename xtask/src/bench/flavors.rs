//! The flavors of the issue: what each loads into httpd, the handler it runs, and how it is
//! driven.

use super::transfer::Direction;
use super::{sh, workspace};
use harness::stores::Protocol;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a flavor is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// wrk with many small requests, each answered with [`BODY`].
    Wrk,
    /// 100 MiB bodies, one after the other on one connection.
    Big(Direction),
}

/// A flavor: how to set up httpd, and the URL that serves the body.
pub struct Flavor {
    pub name: &'static str,
    /// The flavor this one is compared with.
    pub baseline: Option<&'static str>,
    pub setup: Option<Box<dyn Fn(harness::Builder) -> harness::Builder>>,
    pub path: &'static str,
    pub load: Load,
    /// For [`Load::Wrk`]: an urlencoded form POSTed instead of a GET.
    pub form: Option<&'static str>,
    /// Why it is not measured, when it cannot be.
    pub missing: Option<String>,
    /// Where its sessions are kept, for the flavors that use `mod_python.Session`.
    pub sessions: Option<Sessions>,
}

/// The stores of the session flavors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    /// httpd's shared memory (`mod_socache_shmcb`).
    Shmcb,
    /// A private memcached or redis-server the bench starts.
    Server(Protocol),
}

impl Sessions {
    /// The socache module that serves them.
    pub fn module(self) -> (&'static str, &'static str) {
        match self {
            Sessions::Shmcb => ("socache_shmcb_module", "mod_socache_shmcb.so"),
            Sessions::Server(p) => p.module(),
        }
    }
}

pub const BODY: &str = "hello world\n";

const PY_HELLO: &str = "from mod_python import apache\n\ndef handler(req):\n    req.content_type = 'text/plain'\n    req.write('hello world\\n')\n    return apache.OK\n";
const WSGI_HELLO: &str = "def application(environ, start_response):\n    body = b'hello world\\n'\n    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])\n    return [body]\n";
/// Answers the number of bytes it read, which the client checks.
const PY_UPLOAD: &str = "from mod_python import apache\n\ndef handler(req):\n    n = 0\n    while True:\n        chunk = req.read(65536)\n        if not chunk:\n            break\n        n += len(chunk)\n    req.content_type = 'text/plain'\n    req.write(str(n))\n    return apache.OK\n";
const PY_DOWNLOAD: &str = "from mod_python import apache\n\ndef handler(req):\n    req.content_type = 'application/octet-stream'\n    req.sendfile('@ROOT@/htdocs/big.bin')\n    return apache.OK\n";

/// Where a module is, or why it is not there.
type Module = Result<PathBuf, String>;

/// Builds the C floor module with apxs into `dir`.
fn build_c_hello(dir: &Path) -> Module {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let src = dir.join("mod_chello.c");
    std::fs::copy(workspace().join("xtask/bench/mod_chello.c"), &src).map_err(|e| e.to_string())?;
    sh(Command::new("apxs").arg("-c").arg(&src).current_dir(dir))?;
    let so = dir.join(".libs/mod_chello.so");
    so.exists()
        .then_some(so)
        .ok_or_else(|| "apxs built no mod_chello.so".into())
}

fn system_module(file: &str, package: &str) -> Module {
    let p = harness::system_modules_dir().join(file);
    if p.exists() {
        Ok(p)
    } else {
        Err(format!("{package} not installed"))
    }
}

fn ours(lib: &str) -> Module {
    let p = workspace().join("target/release").join(lib);
    if p.exists() {
        Ok(p)
    } else {
        Err("not built".into())
    }
}

/// A flavor that loads one module and configures it.
fn with_module(
    name: &'static str,
    baseline: Option<&'static str>,
    module: Module,
    load: Load,
    path: &'static str,
    setup: impl Fn(harness::Builder, &Path) -> harness::Builder + 'static,
) -> Flavor {
    let (so, missing) = match module {
        Ok(so) => (so, None),
        Err(why) => (PathBuf::new(), Some(why)),
    };
    Flavor {
        name,
        baseline,
        setup: Some(Box::new(move |b| setup(b, &so))),
        path,
        load,
        form: None,
        missing,
        sessions: None,
    }
}

/// A mod_python flavor (C or ours: the same handler file and configuration) serving `/py`.
fn python(
    name: &'static str,
    baseline: Option<&'static str>,
    module: &Module,
    load: Load,
    source: &'static str,
) -> Flavor {
    with_module(name, baseline, module.clone(), load, "/py", move |b, so| {
        b.module("python_module", so)
            .file("py/bench_handler.py", source)
            .config("<Location /py>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler bench_handler\n</Location>\n")
    })
}

const C_PY: &str = "C mod_python 3.5 PythonHandler";
const OUR_PY: &str = "our mod_python PythonHandler";

/// Reads the client's session (with the lock, as `Session()` takes it), saving it only the
/// first time, when the bench makes the sessions.
const PY_SESSION_READ: &str = "from mod_python import apache, Session\n\ndef handler(req):\n    s = Session.Session(req)\n    if s.is_new():\n        s.save()\n    req.content_type = 'text/plain'\n    req.write('hello world\\n')\n    return apache.OK\n";
/// Reads the client's session, changes it and saves it.
const PY_SESSION_WRITE: &str = "from mod_python import apache, Session\n\ndef handler(req):\n    s = Session.Session(req)\n    s['n'] = s.get('n', 0) + 1\n    s.save()\n    req.content_type = 'text/plain'\n    req.write('hello world\\n')\n    return apache.OK\n";

/// The session flavors, each against the plain handler: a session read, and read and saved,
/// in each store.
const SESSION_FLAVORS: [(&str, Sessions, &str); 6] = [
    ("session read, shmcb", Sessions::Shmcb, PY_SESSION_READ),
    ("session write, shmcb", Sessions::Shmcb, PY_SESSION_WRITE),
    (
        "session read, memcached",
        Sessions::Server(Protocol::Memcache),
        PY_SESSION_READ,
    ),
    (
        "session write, memcached",
        Sessions::Server(Protocol::Memcache),
        PY_SESSION_WRITE,
    ),
    (
        "session read, Redis",
        Sessions::Server(Protocol::Redis),
        PY_SESSION_READ,
    ),
    (
        "session write, Redis",
        Sessions::Server(Protocol::Redis),
        PY_SESSION_WRITE,
    ),
];

fn session_flavors(module: &Module) -> Vec<Flavor> {
    SESSION_FLAVORS
        .iter()
        .map(|&(name, sessions, source)| {
            let mut f = python(name, Some(OUR_PY), module, Load::Wrk, source);
            f.sessions = Some(sessions);
            if let (None, Sessions::Server(p)) = (&f.missing, sessions) {
                f.missing = harness::stores::missing(p);
            }
            f
        })
        .collect()
}
const C_PUBLISHER: &str = "C mod_python 3.5 publisher hello";
const C_PSP: &str = "C mod_python 3.5 PSP page";
const C_FORM: &str = "C mod_python 3.5 util.FieldStorage POST";

/// The flavors of mod_python's library: the same files and configuration for C mod_python and
/// ours.
mod library {
    use super::{Flavor, Load, Module, with_module};

    /// A published function answering the body.
    pub fn publisher(
        name: &'static str,
        baseline: Option<&'static str>,
        module: &Module,
    ) -> Flavor {
        with_module(
            name,
            baseline,
            module.clone(),
            Load::Wrk,
            "/pub/hello.py/hello",
            |b, so| {
                b.module("python_module", so)
                .file("htdocs/pub/hello.py", "def hello():\n    return 'hello world\\n'\n")
                .config("<Directory @ROOT@/htdocs/pub>\n    AddHandler mod_python .py\n    PythonHandler mod_python.publisher\n</Directory>\n")
            },
        )
    }

    /// A Python Server Page whose text is the body.
    pub fn psp(name: &'static str, baseline: Option<&'static str>, module: &Module) -> Flavor {
        with_module(
            name,
            baseline,
            module.clone(),
            Load::Wrk,
            "/psp/hello.psp",
            |b, so| {
                b.module("python_module", so)
                .file("htdocs/psp/hello.psp", "<% greeting = 'hello world' %><%= greeting %>\n")
                .config("<Directory @ROOT@/htdocs/psp>\n    AddHandler mod_python .psp\n    PythonHandler mod_python.psp\n</Directory>\n")
            },
        )
    }

    /// A five-field urlencoded form read with util.FieldStorage (C mod_python's keys are
    /// bytes on Python 3, so the handler only counts them).
    pub fn form(name: &'static str, baseline: Option<&'static str>, module: &Module) -> Flavor {
        let mut f = with_module(
            name,
            baseline,
            module.clone(),
            Load::Wrk,
            "/form",
            |b, so| {
                b.module("python_module", so)
                .file("py/bench_form.py", FORM_HANDLER)
                .config("<Location /form>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler bench_form\n</Location>\n")
            },
        );
        f.form = Some(FORM);
        f
    }

    const FORM: &str =
        "name=Grace+Hopper&lang=COBOL&year=1959&city=New+York&email=grace%40navy.mil";
    const FORM_HANDLER: &str = "from mod_python import apache, util\n\ndef handler(req):\n    form = util.FieldStorage(req)\n    n = 0\n    for key in form.keys():\n        if form.getfirst(key) is not None:\n            n += 1\n    req.content_type = 'text/plain'\n    req.write('hello world\\n' if n == 5 else 'bad form\\n')\n    return apache.OK\n";
}
const C_UPLOAD: &str = "C mod_python 3.5 100 MB upload, req.read(65536)";
const STATIC_DOWNLOAD: &str = "static file 100 MB download";

/// The flavors of the issue, in table order. Those whose feature or comparison module is not
/// there say why instead of failing.
pub fn flavors(cdir: &Path) -> Vec<Flavor> {
    let mut v = Vec::new();
    v.push(with_module(
        "C hello (apxs)",
        None,
        build_c_hello(cdir),
        Load::Wrk,
        "/hello",
        |b, so| {
            b.module("chello_module", so)
                .config("<Location /hello>\n    SetHandler chello\n</Location>\n")
        },
    ));
    v.push(with_module(
        "apache-rs hello",
        Some("C hello (apxs)"),
        ours("libmod_hello.so"),
        Load::Wrk,
        "/hello",
        |b, so| {
            b.module("hello_module", so)
                .config("<Location /hello>\n    SetHandler hello\n</Location>\n")
        },
    ));
    v.push(Flavor {
        name: "static file",
        baseline: Some("C hello (apxs)"),
        setup: Some(Box::new(|b| b.file("htdocs/hello.txt", BODY))),
        path: "/hello.txt",
        load: Load::Wrk,
        form: None,
        missing: None,
        sessions: None,
    });
    let c_python = system_module("mod_python.so", "libapache2-mod-python");
    let our_python = ours("libmod_python.so");
    v.push(python(C_PY, None, &c_python, Load::Wrk, PY_HELLO));
    v.push(python(OUR_PY, Some(C_PY), &our_python, Load::Wrk, PY_HELLO));
    v.extend(session_flavors(&our_python));
    v.push(with_module(
        "mod_wsgi 4.9 embedded",
        None,
        system_module("mod_wsgi.so", "libapache2-mod-wsgi-py3"),
        Load::Wrk,
        "/wsgi",
        |b, so| {
            b.module("wsgi_module", so)
                .file("py/app.wsgi", WSGI_HELLO)
                .config("WSGIScriptAlias /wsgi @ROOT@/py/app.wsgi\n<Directory @ROOT@/py>\n    Require all granted\n</Directory>\n")
        },
    ));
    v.push(with_module(
        "our mod_python.wsgi hello",
        Some("mod_wsgi 4.9 embedded"),
        our_python.clone(),
        Load::Wrk,
        "/wsgi",
        |b, so| {
            b.module("python_module", so)
                .file("py/bench_app.py", WSGI_HELLO)
                .config("<Location /wsgi>\n    SetHandler mod_python\n    PythonHandler mod_python.wsgi\n    PythonOption mod_python.wsgi.application bench_app::application\n    PythonPath \"sys.path+['@ROOT@/py']\"\n</Location>\n")
        },
    ));
    // The library's flavors, each against the same page on C mod_python 3.5.
    for (c_name, our_name, flavor) in [
        (
            C_PUBLISHER,
            "publisher hello (ours)",
            library::publisher as fn(_, _, _) -> _,
        ),
        (C_PSP, "PSP page (ours)", library::psp),
        (C_FORM, "util.FieldStorage POST (ours)", library::form),
    ] {
        v.push(flavor(c_name, None, &c_python));
        v.push(flavor(our_name, Some(c_name), &our_python));
    }
    let upload = Load::Big(Direction::Upload);
    let download = Load::Big(Direction::Download);
    v.push(python(C_UPLOAD, None, &c_python, upload, PY_UPLOAD));
    v.push(python(
        "100 MB upload, req.read(65536)",
        Some(C_UPLOAD),
        &our_python,
        upload,
        PY_UPLOAD,
    ));
    // The file itself is put in htdocs when the server has started.
    v.push(Flavor {
        name: STATIC_DOWNLOAD,
        baseline: None,
        setup: Some(Box::new(|b| b)),
        path: "/big.bin",
        load: download,
        form: None,
        missing: None,
        sessions: None,
    });
    v.push(python(
        "C mod_python 3.5 100 MB download, req.sendfile",
        Some(STATIC_DOWNLOAD),
        &c_python,
        download,
        PY_DOWNLOAD,
    ));
    v.push(python(
        "100 MB download, req.sendfile",
        Some(STATIC_DOWNLOAD),
        &our_python,
        download,
        PY_DOWNLOAD,
    ));
    v
}
