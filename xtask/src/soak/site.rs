//! What a soak serves, and the load that asks for it: the same pages and handlers on our
//! mod_python, on C mod_python 3.5 and (the WSGI page) on mod_wsgi 4.9, each answering
//! `hello world` when it did its work and something else when it did not, so that the load
//! checks every body, not only the status.

use harness::{Builder, Mpm};
use std::path::PathBuf;

/// A server the soak drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// This mod_python, with a Rust example module (`examples/hello`) beside it.
    Ours,
    /// Debian's C mod_python 3.5 (libapache2-mod-python).
    CModPython,
    /// Debian's mod_wsgi 4.9, embedded mode.
    ModWsgi,
}

impl Server {
    pub fn name(self) -> &'static str {
        match self {
            Server::Ours => "our mod_python",
            Server::CModPython => "C mod_python 3.5",
            Server::ModWsgi => "mod_wsgi 4.9",
        }
    }
}

/// One kind of request in the mix.
pub struct Page {
    /// What the report calls it.
    pub name: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    /// An urlencoded form body.
    pub form: Option<&'static str>,
    /// Sent with one of the sessions made before the load.
    pub session: bool,
}

/// The body every page answers when it did its work.
pub const OK_BODY: &str = "hello world";

const HELLO: &str = "from mod_python import apache\n\ndef handler(req):\n    req.content_type = 'text/plain'\n    req.write('hello world\\n')\n    return apache.OK\n";

const FORM: &str = "name=Grace+Hopper&lang=COBOL&year=1959&city=New+York&email=grace%40navy.mil";
/// Counts the fields (C mod_python's keys are bytes on Python 3, so it only counts them).
const FORM_HANDLER: &str = "from mod_python import apache, util\n\ndef handler(req):\n    form = util.FieldStorage(req)\n    n = 0\n    for key in form.keys():\n        if form.getfirst(key) is not None:\n            n += 1\n    req.content_type = 'text/plain'\n    req.write('hello world\\n' if n == 5 else 'bad form\\n')\n    return apache.OK\n";

/// `?new`: a session made, saved, read back from the store and deleted; `?make`: a session
/// made and kept (before the load); else the client's session, which must exist, read and
/// saved again. (shmcb is a ring: an entry not written again is dropped once the ring has
/// gone round, deleted entries or not, so the sessions made before the load are kept by
/// being saved.)
const SESSION_HANDLER: &str = "from mod_python import apache, Session\n\ndef handler(req):\n    req.content_type = 'text/plain'\n    s = Session.Session(req)\n    if req.args == 'new':\n        s['n'] = 1\n        s.save()\n        s.load()\n        ok = s.get('n') == 1\n        s.invalidate()\n    elif req.args == 'make':\n        s['n'] = 0\n        s.save()\n        ok = True\n    else:\n        ok = not s.is_new()\n        s.save()\n    req.write('hello world\\n' if ok else 'session lost\\n')\n    return apache.OK\n";

const PUBLISHED: &str = "def hello():\n    return 'hello world\\n'\n";
const PSP_PAGE: &str = "<% greeting = 'hello world' %><%= greeting %>\n";
const WSGI_APP: &str = "def application(environ, start_response):\n    body = b'hello world\\n'\n    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])\n    return [body]\n";

const HELLO_PAGE: Page = Page {
    name: "hello handler",
    method: "GET",
    path: "/py/hello",
    form: None,
    session: false,
};

/// The pages each server serves, in the order the load cycles through them.
pub fn mix(server: Server) -> Vec<Page> {
    let get = |name, path| Page {
        name,
        method: "GET",
        path,
        form: None,
        session: false,
    };
    let form = Page {
        name: "form POST, util.FieldStorage",
        method: "POST",
        path: "/py/form",
        form: Some(FORM),
        session: false,
    };
    let publisher = get("publisher", "/pub/page.py/hello");
    let psp = get("PSP page", "/psp/page.psp");
    let wsgi = get("WSGI application", "/wsgi");
    match server {
        Server::Ours => vec![
            HELLO_PAGE,
            form,
            get("session made, read back, deleted", "/py/session?new"),
            publisher,
            Page {
                name: "session read and saved",
                session: true,
                ..get("", "/py/session")
            },
            psp,
            wsgi,
            get("Rust module (examples/hello)", "/rust"),
        ],
        // C 3.5 keeps sessions in each process's memory under a threaded MPM, so a session
        // made by one child is not found by another: not in its mix.
        Server::CModPython => vec![HELLO_PAGE, form, publisher, psp],
        Server::ModWsgi => vec![wsgi],
    }
}

/// Only the hello handler: the load of the restart runs, the same on our module and C's.
pub fn hello_only() -> Vec<Page> {
    vec![HELLO_PAGE]
}

/// The module file of `server`, or why it is not there.
pub fn module_file(server: Server, ours: &std::path::Path) -> Result<PathBuf, String> {
    let (path, package) = match server {
        Server::Ours => (ours.to_path_buf(), "this workspace (cargo build --release)"),
        Server::CModPython => (
            harness::system_modules_dir().join("mod_python.so"),
            "libapache2-mod-python",
        ),
        Server::ModWsgi => (
            harness::system_modules_dir().join("mod_wsgi.so"),
            "libapache2-mod-wsgi-py3",
        ),
    };
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{}: {} not found ({package})",
            server.name(),
            path.display()
        ))
    }
}

/// Handler modules are named apart from the pages (`soak_*`): one interpreter imports both,
/// and a module name means one module in it.
///
/// An httpd for `server` under `mpm`, its pages and `extra` configuration (the harness's
/// process sizing unless `extra` sets its own: see [`sizing`]); each child's pid
/// and the time it answered are logged in `logs/answers` (`%P %{msec}t %D`), the pages of any
/// other status in `logs/failures`.
pub fn builder(server: Server, module: &std::path::Path, mpm: Mpm, extra: &str) -> Builder {
    // Our module says at debug level what a child's start and end cost.
    let level = match server {
        Server::Ours => "notice python:debug",
        _ => "notice",
    };
    let b = harness::Httpd::builder()
        .mpm(mpm)
        .stop_with_caller()
        .log_level(level)
        .config(
            "MaxKeepAliveRequests 0\n\
             LogFormat \"%P %{msec}t %D\" answers\n\
             CustomLog @ROOT@/logs/answers answers\n\
             CustomLog @ROOT@/logs/failures \"%P %>s %r\" \"expr=%{REQUEST_STATUS} != 200 && %{REQUEST_URI} != '/'\"\n",
        )
        .config(extra);
    match server {
        Server::Ours | Server::CModPython => {
            let b = b
                .module("python_module", module)
                .file("py/soak_hello.py", HELLO)
                .file("py/soak_form.py", FORM_HANDLER)
                .file("htdocs/pub/page.py", PUBLISHED)
                .file("htdocs/psp/page.psp", PSP_PAGE)
                .config(
                    "<Location /py/hello>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler soak_hello\n</Location>\n\
                     <Location /py/form>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler soak_form\n</Location>\n\
                     <Directory @ROOT@/htdocs/pub>\n    AddHandler mod_python .py\n    PythonHandler mod_python.publisher\n</Directory>\n\
                     <Directory @ROOT@/htdocs/psp>\n    AddHandler mod_python .psp\n    PythonHandler mod_python.psp\n</Directory>\n",
                );
            if server == Server::CModPython {
                return b;
            }
            b.module("hello_module", crate::workspace().join("target/release/libmod_hello.so"))
                .system_module("socache_shmcb_module", "mod_socache_shmcb.so")
                .file("py/soak_session.py", SESSION_HANDLER)
                .file("py/soak_app.py", WSGI_APP)
                .config(
                    "PythonOption mod_python.session.socache \"shmcb:@ROOT@/run/sessions(8388608)\"\n\
                     <Location /py/session>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/py']\"\n    PythonHandler soak_session\n</Location>\n\
                     <Location /wsgi>\n    SetHandler mod_python\n    PythonHandler mod_python.wsgi\n    PythonOption mod_python.wsgi.application soak_app::application\n    PythonPath \"sys.path+['@ROOT@/py']\"\n</Location>\n\
                     <Location /rust>\n    SetHandler hello\n</Location>\n",
                )
        }
        Server::ModWsgi => b
            .module("wsgi_module", module)
            .file("py/app.wsgi", WSGI_APP)
            .config(
                "WSGIScriptAlias /wsgi @ROOT@/py/app.wsgi\n<Directory @ROOT@/py>\n    Require all granted\n</Directory>\n",
            ),
    }
}

/// Enough processes for the load from the start, and no idle ones reaped: the children that
/// served the warm-up serve the whole run, so their memory can be followed.
pub fn sizing(mpm: Mpm) -> &'static str {
    match mpm {
        Mpm::Prefork => {
            "StartServers 12\nMinSpareServers 12\nMaxSpareServers 16\nMaxRequestWorkers 16\nServerLimit 16\n"
        }
        _ => {
            "StartServers 2\nServerLimit 4\nThreadsPerChild 8\nMinSpareThreads 8\nMaxSpareThreads 32\nMaxRequestWorkers 32\nThreadLimit 8\n"
        }
    }
}

/// The Lua script wrk runs: it cycles through `pages`, sends the session pages with one of
/// `cookies`, counts the answers whose body is not [`OK_BODY`] (`bad`, printed by `done`
/// as `soak: bad N`, and by kind, status and start of the body, as `soak: wrong N KIND`).
/// `close` sends `Connection: close`: one request per connection.
pub fn lua(pages: &[Page], cookies: &[String], close: bool) -> String {
    let mut s = String::from("local pages = {\n");
    for p in pages {
        let body = p.form.map_or("nil".to_string(), |f| format!("{f:?}"));
        s += &format!(
            "  {{method = {:?}, path = {:?}, body = {body}, session = {}}},\n",
            p.method, p.path, p.session
        );
    }
    s += "}\nlocal cookies = {";
    s += &cookies
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    s += &format!("}}\nlocal close = {close}\nlocal ok_body = {OK_BODY:?}\n");
    s += r#"local threads = {}
local i = 0
answered = 0
bad = 0
kinds = {}

setup = function(thread)
  table.insert(threads, thread)
end

request = function()
  i = i % #pages + 1
  local p = pages[i]
  local headers = {}
  if p.body then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  if p.session and #cookies > 0 then
    headers["Cookie"] = cookies[math.random(#cookies)]
  end
  if close then
    headers["Connection"] = "close"
  end
  return wrk.format(p.method, p.path, headers, p.body)
end

response = function(status, headers, body)
  answered = answered + 1
  if status ~= 200 or not string.find(body, ok_body, 1, true) then
    bad = bad + 1
    local kind = status .. " " .. string.gsub(string.sub(body, 1, 60), "%s+", " ")
    kinds[kind] = (kinds[kind] or 0) + 1
  end
end

done = function(summary, latency, requests)
  local total, wrong = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("answered")
    wrong = wrong + t:get("bad")
    for kind, n in pairs(t:get("kinds")) do
      io.write(string.format("soak: wrong %d %s\n", n, kind))
    end
  end
  io.write(string.format("soak: answered %d\nsoak: bad %d\n", total, wrong))
end
"#;
    s
}
