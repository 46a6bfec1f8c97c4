//! `<!--#python eval="..." -->` and `<!--#python exec="..." -->` in pages parsed by mod_include
//! (`Options +Includes`, the INCLUDES filter), on a real httpd under the event and prefork MPMs
//! (and worker for the pages 3.5 serves too).
//! Where Debian's C mod_python 3.5 is installed and serves the same page (3.5 crashes the child
//! on code that raises, and does not apply `PythonPath` to the elements), both must answer the
//! same.

use harness::{Httpd, Mpm};
use std::path::PathBuf;

const ERROR_TEXT: &str = "[an error occurred while processing this directive]";

const BASIC: &str = r#"<p>before</p>
<!--#python eval="'hello ' * 2" -->
<!--#python exec="filter.write('written')" -->
<!--#python exec="y = 7" -->
<!--#python eval="y + 1" -->
<!--#python eval="None" -->
<!--#python eval="'&lt;b&gt;'" -->
<!--#if expr="1 = 2" --><!--#python eval="1/0" --><!--#endif -->
<!--#python eval="'y' in globals(), __file__ == filter.req.filename, filter.req.uri" -->
<p>after</p>
"#;

const BASIC_SEEN: &str = "<p>before</p>\nhello hello \nwritten\n\n8\n\n<b>\n\n\
                          (True, True, '/basic.shtml')\n<p>after</p>\n";

/// A fixup handler filling the page's globals, as 3.5's documentation shows.
const FIXUP: &str = r#"
from mod_python import apache

def fixuphandler(req):
    req.ssi_globals = {'greeting': 'hi from the fixup'}
    return apache.OK

def handler(req):
    req.content_type = 'text/html'
    req.add_output_filter('INCLUDES')
    req.ssi_globals = {'made_by': 'the handler'}
    req.write('<p><!--#python eval="filter.req.uri" --></p>\n')
    req.write('<p><!--#python eval="made_by" --></p>\n', 0)
    return apache.OK

def unflushed(req):
    req.content_type = 'text/html'
    req.add_output_filter('INCLUDES')
    req.ssi_globals = {'made_by': 'the handler'}
    req.write('<p><!--#python eval="made_by" --></p>\n', 0)
    return apache.OK
"#;

fn server(module: PathBuf, mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .system_module("include_module", "mod_include.so")
        .module("python_module", module)
        .file("htdocs/basic.shtml", BASIC)
        .file(
            "htdocs/fresh.shtml",
            "<!--#python eval=\"'y' in globals()\" --><!--#python exec=\"y = 1\" -->\n",
        )
        .file("htdocs/bogus.shtml", "one <!--#python bogus=\"1\" --> two\n")
        .file("htdocs/empty.shtml", "one <!--#python eval=\"\" --> two\n")
        .file("htdocs/missing.shtml", "one <!--#python --> two\n")
        .file(
            "htdocs/both.shtml",
            "one <!--#python eval=\"1\" exec=\"x = 2\" --> two\n",
        )
        .file("htdocs/raise.shtml", "one <!--#python eval=\"1/0\" --> two\n")
        .file(
            "htdocs/names.shtml",
            "<!--#python eval=\"req is filter.req, type(filter).__name__\" -->\n",
        )
        .file(
            "htdocs/path.shtml",
            "<!--#python eval=\"__import__('ssihelper').NAME\" -->\n",
        )
        .file(
            "htdocs/globals.shtml",
            "<!--#python eval=\"greeting\" -->\n",
        )
        .file("htdocs/noexec/page.shtml", "a <!--#python eval=\"1+2\" --> b\n")
        .file(
            "htdocs/named/page.shtml",
            "<!--#python eval=\"filter.req.interpreter\" -->\n",
        )
        .file("htdocs/debug/raise.shtml", "one <!--#python eval=\"1/0\" --> two\n")
        .file("lib/ssihelper.py", "NAME = 'from the PythonPath'\n")
        .file("lib/ssifix.py", FIXUP)
        .config(
            "<Directory \"@ROOT@/htdocs\">\n    Options +Includes\n    AddType text/html .shtml\n    \
             AddOutputFilter INCLUDES .shtml\n    PythonPath \"sys.path+['@ROOT@/lib']\"\n</Directory>\n\
             <Directory \"@ROOT@/htdocs/noexec\">\n    Options -Includes +IncludesNOEXEC\n</Directory>\n\
             <Directory \"@ROOT@/htdocs/named\">\n    PythonInterpreter ssi_pages\n</Directory>\n\
             <Directory \"@ROOT@/htdocs/debug\">\n    PythonDebug On\n</Directory>\n\
             <Files globals.shtml>\n    PythonFixupHandler ssifix\n</Files>\n\
             <Location /generated>\n    Options +Includes\n    SetHandler mod_python\n    PythonHandler ssifix\n    \
             PythonPath \"sys.path+['@ROOT@/lib']\"\n</Location>\n\
             <Location /unflushed>\n    Options +Includes\n    SetHandler mod_python\n    \
             PythonHandler ssifix::unflushed\n    PythonPath \"sys.path+['@ROOT@/lib']\"\n</Location>\n",
        )
        .start()
}

fn ours(mpm: Mpm) -> Httpd {
    server(harness::cdylib("mod_python"), mpm)
}

/// Debian's C mod_python 3.5, when installed.
fn theirs(mpm: Mpm) -> Option<Httpd> {
    harness::c_mod_python().map(|c| server(c, mpm))
}

const MPMS: [Mpm; 2] = [Mpm::Event, Mpm::Prefork];

fn page(httpd: &Httpd, path: &str) -> String {
    let r = httpd.get(path);
    assert_eq!(r.status, 200, "{path}: {}\n{}", r.text(), httpd.error_log());
    r.text()
}

/// The error_log line holding `text`, if any.
fn logged(httpd: &Httpd, text: &str) -> Option<String> {
    httpd
        .error_log()
        .lines()
        .find(|l| l.contains(text))
        .map(str::to_string)
}

/// Pages both modules serve alike, with what they show.
fn shared_pages() -> Vec<(&'static str, String)> {
    vec![
        ("/basic.shtml", BASIC_SEEN.to_string()),
        ("/fresh.shtml", "False\n".to_string()),
        // The globals are the page's: a second request starts without them.
        ("/fresh.shtml", "False\n".to_string()),
        ("/bogus.shtml", format!("one {ERROR_TEXT} two\n")),
        ("/empty.shtml", format!("one {ERROR_TEXT} two\n")),
        ("/missing.shtml", format!("one {ERROR_TEXT} two\n")),
        ("/both.shtml", format!("one {ERROR_TEXT} two\n")),
        ("/noexec/page.shtml", format!("a {ERROR_TEXT} b\n")),
        ("/named/page.shtml", "ssi_pages\n".to_string()),
        ("/globals.shtml", "hi from the fixup\n".to_string()),
        (
            "/generated",
            "<p>/generated</p>\n<p>the handler</p>\n".to_string(),
        ),
        ("/unflushed", "<p>the handler</p>\n".to_string()),
    ]
}

#[test]
fn elements_write_into_the_page_as_with_mod_python_3_5() {
    for mpm in Mpm::ALL {
        let httpd = ours(mpm);
        for (path, seen) in shared_pages() {
            assert_eq!(page(&httpd, path), seen, "{mpm:?} {path}");
        }
        if let Some(c) = theirs(mpm) {
            for (path, seen) in shared_pages() {
                assert_eq!(page(&c, path), seen, "C 3.5, {mpm:?} {path}");
            }
        }
    }
}

#[test]
fn mistakes_are_logged_with_the_texts_of_3_5() {
    let file = |httpd: &Httpd, name: &str| format!("{}/htdocs/{name}", httpd.root().display());
    let expected = |httpd: &Httpd| {
        vec![
            (
                "/bogus.shtml",
                format!(
                    "unexpected 'bogus' parameter to tag 'python' in {}",
                    file(httpd, "bogus.shtml")
                ),
            ),
            (
                "/empty.shtml",
                format!(
                    "empty value for 'eval' parameter to tag 'python' in {}",
                    file(httpd, "empty.shtml")
                ),
            ),
            (
                "/missing.shtml",
                format!(
                    "missing 'eval/exec' parameter to tag 'python' in {}",
                    file(httpd, "missing.shtml")
                ),
            ),
            (
                "/both.shtml",
                format!(
                    "multiple 'eval/exec' parameters to tag 'python' in {}",
                    file(httpd, "both.shtml")
                ),
            ),
            (
                "/noexec/page.shtml",
                format!(
                    "#python used but not allowed in {}",
                    file(httpd, "noexec/page.shtml")
                ),
            ),
        ]
    };
    let mut servers = vec![("ours", ours(Mpm::Event))];
    if let Some(c) = theirs(Mpm::Event) {
        servers.push(("C 3.5", c));
    }
    for (who, httpd) in &servers {
        for (path, message) in expected(httpd) {
            page(httpd, path);
            let line = logged(httpd, &message)
                .unwrap_or_else(|| panic!("{who}: {message}\n{}", httpd.error_log()));
            assert!(line.contains(":error] "), "{who}: {line}");
            assert!(line.contains("[client 127.0.0.1:"), "{who}: {line}");
        }
    }
}

#[test]
fn code_that_raises_is_logged_and_shown_as_an_error_and_the_page_goes_on() {
    // C 3.5 loses the child here (its filter.disable() writes into mod_include's state).
    for mpm in MPMS {
        let httpd = ours(mpm);
        assert_eq!(
            page(&httpd, "/raise.shtml"),
            format!("one {ERROR_TEXT} two\n"),
            "{mpm:?}"
        );
        let head = format!(
            "mod_python: exception in #python eval of {}/htdocs/raise.shtml:",
            httpd.root().display()
        );
        let line = logged(&httpd, &head).unwrap_or_else(|| panic!("{}", httpd.error_log()));
        assert!(line.contains("[python:error]"), "{line}");
        assert!(line.contains("[client 127.0.0.1:"), "{line}");
        assert!(
            logged(&httpd, "ZeroDivisionError: division by zero").is_some(),
            "{mpm:?}"
        );
        // PythonDebug On: the traceback is in the page too, before the error text.
        let shown = page(&httpd, "/debug/raise.shtml");
        assert!(
            shown.starts_with("one \n<pre>\nMod_python error: \"#python eval "),
            "{shown}"
        );
        assert!(shown.contains("ZeroDivisionError"), "{shown}");
        assert!(
            shown.ends_with(&format!("</pre>\n{ERROR_TEXT} two\n")),
            "{shown}"
        );
        // The child is still there and serving.
        assert_eq!(page(&httpd, "/basic.shtml"), BASIC_SEEN, "{mpm:?}");
        assert!(!httpd.error_log().contains("Segmentation fault"), "{mpm:?}");
    }
}

#[test]
fn req_and_filter_are_in_scope_and_the_directory_s_python_path_applies() {
    for mpm in MPMS {
        let httpd = ours(mpm);
        assert_eq!(
            page(&httpd, "/names.shtml"),
            "(True, 'ssi_filter')\n",
            "{mpm:?}"
        );
        assert_eq!(
            page(&httpd, "/path.shtml"),
            "from the PythonPath\n",
            "{mpm:?}"
        );
    }
}
