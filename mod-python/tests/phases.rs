//! Every request phase mod_python 3.5 offers runs its Python handler, in httpd's order, with the
//! callable names 3.5 defaults to; PythonInitHandler acts where 3.5 says; PythonHandlerModule
//! serves every phase from one module; a phase handler's answer is the phase's answer.

use harness::{Httpd, Mpm};

/// Each handler appends its phase to req.notes['trace'] (one request object, one notes table
/// across phases); the content handler writes the trace; the log and cleanup handlers, which
/// run after the response, append to a file the test reads.
const PHASES: &str = r#"
from mod_python import apache

def mark(req, name):
    req.notes['trace'] = req.notes.get('trace', '') + name + ';'

def log_to_file(req, name):
    with open(req.get_options()['trace_file'], 'a') as f:
        f.write('%s %s %s\n' % (req.uri, name, req.notes.get('trace', '')))

def postreadrequesthandler(req):
    mark(req, 'postread')
    return apache.OK

def transhandler(req):
    mark(req, 'trans')
    if req.uri.startswith('/translated/'):
        # A trans handler maps the URI to a file of its choosing.
        req.filename = req.document_root() + '/real.txt'
        return apache.OK
    return apache.DECLINED

def inithandler(req):
    mark(req, 'init@' + req.phase)
    return apache.OK

def headerparserhandler(req):
    mark(req, 'headerparser')
    return apache.OK

def accesshandler(req):
    mark(req, 'access')
    if req.headers_in.get('X-Deny'):
        return apache.HTTP_FORBIDDEN
    return apache.OK

def authenhandler(req):
    mark(req, 'authen')
    if req.headers_in.get('X-User') != 'bob':
        return apache.HTTP_UNAUTHORIZED
    req.user = 'bob'
    return apache.OK

def authzhandler(req):
    mark(req, 'authz(%s)' % req.user)
    return apache.OK

def typehandler(req):
    mark(req, 'type')
    req.content_type = 'text/x-phases'
    return apache.OK

def fixuphandler(req):
    mark(req, 'fixup')
    return apache.OK

def handler(req):
    mark(req, 'handler')
    req.write(req.notes['trace'])
    return apache.OK

def loghandler(req):
    log_to_file(req, 'log')
    return apache.OK

def cleanuphandler(req):
    log_to_file(req, 'cleanup')
    return apache.OK
"#;

fn server(mpm: Mpm, trace: &std::path::Path) -> Httpd {
    server_with(mpm, trace, "PythonInitHandler phases\n")
}

/// The server with `top` at the top level of its configuration. `MP_SO` runs it with another
/// mod_python.so (Debian's C one, to compare).
fn server_with(mpm: Mpm, trace: &std::path::Path, top: &str) -> Httpd {
    let trace = trace.display();
    Httpd::builder()
        .mpm(mpm)
        .module(
            "python_module",
            std::env::var("MP_SO")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|_| harness::cdylib("mod_python")),
        )
        .system_module("authn_core_module", "mod_authn_core.so")
        .system_module("authz_user_module", "mod_authz_user.so")
        .file("py/phases.py", PHASES)
        .file("htdocs/real.txt", "the real file\n")
        .file("htdocs/dir/page", "")
        .config(&format!(
            "PythonPath \"sys.path+['@ROOT@/py']\"\n\
             PythonOption trace_file {trace}\n\
             PythonPostReadRequestHandler phases\n\
             PythonTransHandler phases\n\
             {top}\
             <Directory @ROOT@/htdocs/dir>\n\
             \x20   SetHandler mod_python\n\
             \x20   PythonInitHandler phases\n\
             \x20   PythonHandler phases\n\
             </Directory>\n\
             <Location /loc>\n\
             \x20   SetHandler mod_python\n\
             \x20   PythonInitHandler phases\n\
             \x20   PythonHandler phases\n\
             </Location>\n\
             <Location /all>\n\
             \x20   SetHandler mod_python\n\
             \x20   AuthType Basic\n\
             \x20   AuthName phases\n\
             \x20   Require valid-user\n\
             \x20   PythonInitHandler phases\n\
             \x20   PythonHeaderParserHandler phases\n\
             \x20   PythonAccessHandler phases\n\
             \x20   PythonAuthenHandler phases\n\
             \x20   PythonAuthzHandler phases\n\
             \x20   PythonTypeHandler phases\n\
             \x20   PythonFixupHandler phases\n\
             \x20   PythonHandler phases\n\
             \x20   PythonLogHandler phases\n\
             \x20   PythonCleanupHandler phases\n\
             </Location>\n\
             <Location /module>\n\
             \x20   SetHandler mod_python\n\
             \x20   AuthType Basic\n\
             \x20   AuthName phases\n\
             \x20   Require valid-user\n\
             \x20   PythonHandlerModule phases\n\
             </Location>\n"
        ))
        .start()
}

fn scratch(tag: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let d = std::env::temp_dir().join(format!("mod-python-phases-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    // The children run as www-data and write here.
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
    d
}

/// The lines the log and cleanup handlers wrote for `uri`, once both are there (they run
/// after the response has gone out).
fn logged(file: &std::path::Path, uri: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<String> = text
            .lines()
            .filter(|l| l.split(' ').next() == Some(uri))
            .map(str::to_string)
            .collect();
        if lines.len() >= 2 || std::time::Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn every_phase_runs_its_handler_in_httpds_order() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let dir = scratch(mpm.name());
        let file = dir.join("trace");
        let httpd = server(mpm, &file);
        let r = httpd.request("GET", "/all", &[("X-User", "bob")], b"");
        assert_eq!(r.status, 200, "{mpm:?}: {}", httpd.error_log());
        assert_eq!(r.header("Content-Type"), Some("text/x-phases"));
        // PythonInitHandler at server level runs first, as post-read-request; the one inside
        // the <Location> runs as the first header-parser handler.
        assert_eq!(
            r.text(),
            "init@PythonInitHandler;postread;trans;init@PythonInitHandler;headerparser;access;\
             authen;authz(bob);type;fixup;handler;",
            "{mpm:?}"
        );
        let lines = logged(&file, "/all");
        let want = "authen;authz(bob);type;fixup;handler;";
        assert_eq!(lines.len(), 2, "{mpm:?}: {lines:?}");
        assert!(
            lines[0].starts_with("/all log ") && lines[0].ends_with(want),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("/all cleanup ") && lines[1].ends_with(want),
            "{lines:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_phase_handlers_answer_is_the_phases_answer() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let dir = scratch(&format!("answer-{}", mpm.name()));
        let httpd = server(mpm, &dir.join("trace"));
        // The access handler refuses.
        let r = httpd.request("GET", "/all", &[("X-User", "bob"), ("X-Deny", "1")], b"");
        assert_eq!(r.status, 403, "{mpm:?}");
        // The authen handler does not know the user.
        let r = httpd.request("GET", "/all", &[("X-User", "eve")], b"");
        assert_eq!(r.status, 401, "{mpm:?}");
        // A trans handler that maps the URI: core serves the file it chose.
        let r = httpd.get("/translated/anything");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "the real file\n"),
            "{mpm:?}: {}",
            httpd.error_log()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn python_handler_module_serves_every_phase_from_one_module() {
    let dir = scratch("module");
    let file = dir.join("trace");
    let httpd = server(Mpm::Event, &file);
    let r = httpd.request("GET", "/module", &[("X-User", "bob")], b"");
    assert_eq!(r.status, 200, "{}", httpd.error_log());
    // The server-level handlers, then each phase's default callable of the module: the
    // module's inithandler serves PythonInitHandler inside the section too.
    assert_eq!(
        r.text(),
        "init@PythonInitHandler;postread;trans;init@PythonInitHandler;headerparser;access;\
         authen;authz(bob);type;fixup;handler;"
    );
    let lines = logged(&file, "/module");
    assert_eq!(lines.len(), 2, "{lines:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn init_handlers_run_as_post_read_request_or_header_parser_by_where_they_are() {
    let dir = scratch("sections");
    // In a <Directory> or <Location> (and no top-level one): the first header-parser handler.
    let httpd = server_with(Mpm::Event, &dir.join("trace"), "");
    for uri in ["/dir/page", "/loc"] {
        let r = httpd.get(uri);
        assert_eq!(
            r.text(),
            "postread;trans;init@PythonInitHandler;handler;",
            "{uri}: {}",
            httpd.error_log()
        );
    }
    drop(httpd);
    // With one at the top level too, that one runs first, as post-read-request.
    let httpd = server(Mpm::Event, &dir.join("trace"));
    for uri in ["/dir/page", "/loc"] {
        let r = httpd.get(uri);
        assert_eq!(
            r.text(),
            "init@PythonInitHandler;postread;trans;init@PythonInitHandler;handler;",
            "{uri}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
