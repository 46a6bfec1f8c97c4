//! Directives whose effect is on Python itself: PythonOptimize, PythonEnablePdb, and what an
//! import error in a handler directive says.

use harness::{Httpd, Mpm};

const HANDLERS: &str = r#"
from mod_python import apache
import sys

def flags(req):
    req.write('optimize=%d debug=%s' % (sys.flags.optimize, __debug__))
    return apache.OK

def stepped(req):
    req.write('ran')
    return apache.OK

def imports_missing(req):
    import no_such_dependency
    return apache.OK
"#;

fn server(extra: &str) -> Httpd {
    let mut conf = String::from("PythonPath \"sys.path+['@ROOT@/py']\"\n");
    conf += extra;
    for (loc, handler) in [
        ("/flags", "handlers::flags"),
        ("/missing", "no_such_handler_module"),
        ("/inner", "handlers::imports_missing"),
    ] {
        conf += &format!(
            "<Location {loc}>\n    SetHandler mod_python\n    PythonHandler {handler}\n</Location>\n"
        );
    }
    conf += "<Location /pdb>\n    SetHandler mod_python\n    PythonEnablePdb On\n    PythonHandler handlers::stepped\n</Location>\n";
    Httpd::builder()
        .mpm(Mpm::Prefork)
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/handlers.py", HANDLERS)
        .config(&conf)
        .start()
}

#[test]
fn python_optimize_runs_python_as_with_dash_o() {
    assert_eq!(server("").get("/flags").text(), "optimize=0 debug=True");
    assert_eq!(
        server("PythonOptimize On\n").get("/flags").text(),
        "optimize=1 debug=False"
    );
    // Only in the main server configuration, as in mod_python 3.5.
    let err = Httpd::builder()
        .module("python_module", harness::cdylib("mod_python"))
        .config("<VirtualHost 127.0.0.1:*>\n    PythonOptimize On\n</VirtualHost>\n")
        .try_start()
        .err()
        .expect("PythonOptimize in a virtual host must be refused");
    assert!(err.contains("PythonOptimize"), "{err}");
}

#[test]
fn an_import_error_names_the_module_and_the_path_searched() {
    let httpd = server("");
    assert_eq!(httpd.get("/missing").status, 500);
    let log = httpd.error_log();
    // 3.5's line, which log monitoring greps for, and the path searched after it.
    assert!(
        log.contains(
            "PythonHandler no_such_handler_module: ModuleNotFoundError: No module named 'no_such_handler_module'"
        ),
        "{log}"
    );
    assert!(
        log.contains("PythonHandler no_such_handler_module: mod_python searched: ["),
        "{log}"
    );
    assert!(
        log.contains(&format!("{}/py", httpd.root().display())),
        "{log}"
    );
    // A module the handler imports that is missing is named as such.
    assert_eq!(httpd.get("/inner").status, 500);
    assert!(
        httpd
            .error_log()
            .contains("ModuleNotFoundError: No module named 'no_such_dependency'"),
        "{}",
        httpd.error_log()
    );
}

#[test]
fn python_enable_pdb_runs_the_handler_under_the_debugger() {
    // httpd's stdin is not a terminal here: the debugger stops at the handler's first line,
    // prompts on httpd's stdout, reads end of input and quits; the handler never returns a
    // status, so the request fails.
    let httpd = server("");
    let r = httpd.get("/pdb");
    assert_eq!(r.status, 500);
    let stdout = std::fs::read_to_string(httpd.root().join("logs/stdout")).unwrap_or_default();
    assert!(
        stdout.contains("stepped()") && stdout.contains("(Pdb)"),
        "{stdout}"
    );
}

#[test]
fn htaccess_files_configure_handlers_where_allowed() {
    let httpd = Httpd::builder()
        .module("python_module", harness::cdylib("mod_python"))
        .file(
            "htdocs/ht/.htaccess",
            "SetHandler mod_python\nPythonHandler hthandler\nPythonOption origin htaccess\n",
        )
        .file(
            "htdocs/ht/hthandler.py",
            "from mod_python import apache\n\ndef handler(req):\n    \
             req.write('from %s: %s' % (__file__.rsplit('/', 2)[-2], req.get_options()['origin']))\n    \
             return apache.OK\n",
        )
        .file("htdocs/off/.htaccess", "PythonHandler hthandler\n")
        .file("htdocs/off/page.txt", "plain")
        .config(
            "<Directory \"@ROOT@/htdocs/ht\">\n    AllowOverride FileInfo\n</Directory>\n\
             <Directory \"@ROOT@/htdocs/off\">\n    AllowOverride None\n</Directory>\n",
        )
        .start();
    // The .htaccess directory goes on sys.path, as a <Directory> does.
    assert_eq!(httpd.get("/ht/anything").text(), "from ht: htaccess");
    // Where .htaccess files are not read, nothing changes.
    assert_eq!(httpd.get("/off/page.txt").text(), "plain");
}

#[test]
fn server_level_directives_are_refused_in_sections() {
    for directive in [
        "PythonTransHandler x",
        "PythonPostReadRequestHandler x",
        "PythonImport x main_interpreter",
    ] {
        let err = Httpd::builder()
            .module("python_module", harness::cdylib("mod_python"))
            .config(&format!(
                "<Directory \"@ROOT@/htdocs\">\n    {directive}\n</Directory>\n"
            ))
            .try_start()
            .err()
            .unwrap_or_else(|| panic!("{directive} accepted in <Directory>"));
        let name = directive.split(' ').next().unwrap();
        assert!(err.contains(&format!("{name} not allowed")), "{err}");
    }
}
