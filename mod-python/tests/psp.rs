//! mod_python.psp on a real httpd, under event and prefork: pages with text, expressions,
//! comments, code blocks whose indentation carries into the text after them, includes, the
//! request object, the generated-code view of `page.psp_` with `PythonDebug On`, errors, a page
//! changed on disk, and the dbm file of compiled pages shared by all children. Where Debian's C mod_python 3.5 is installed, the same pages run on it
//! too and the bytes sent must be the same.

mod support;

use harness::{Httpd, Mpm, Response};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// A page using all of 3.5's syntax; its indentation follows 3.5's rules.
const PAGE: &str = r#"<html><% title = "Hello" %>
<%-- a comment
     over lines, never sent --%>
<h1><%= title %></h1>
<%
n = len(title)
for i in range(3):
    # the text up to the next block is in the loop
%>
  <p>row <%= i %> of <%= n %>, "quoted" 'too'</p>
<%
# back at the top level
if n > 3:
%>long<%
else:
%>short<%
%>
<%@ include file="footer.inc" %>
</html>
"#;

const FOOTER: &str = "<footer><%= req.uri %></footer>";

const EXPECTED: &str = "<html>\n\n<h1>Hello</h1>\n\n  <p>row 0 of 5, \"quoted\" 'too'</p>\n\n  \
                        <p>row 1 of 5, \"quoted\" 'too'</p>\n\n  <p>row 2 of 5, \"quoted\" 'too'</p>\n\
                        long\n<footer>/psp/page.psp</footer>\n</html>\n";

const REQUEST: &str = "<%\nreq.headers_out['X-Psp'] = 'yes'\nreq.content_type = 'text/plain'\n%>\
                       method=<%= req.method %> args=<%= req.args %> uri=<%= req.uri %> \
                       agent=<%= req.headers_in.get('X-Agent', '-') %>\n";

const NESTED: &str = "<ul>\n<%\nfor row in ['a', 'b']:\n    if row == 'a':\n%><li>first <%= row %></li>\n<%\n    else:\n%><li>other <%= row %></li>\n<%\n%></ul>\n";

const BAD: &str = "before\n<% x = 1 %>\n<%= 1 / 0 %>\nafter\n";

const HANDLER: &str = r#"
from mod_python import apache, psp

def handler(req):
    req.content_type = 'text/plain'
    try:
        psp.PSP(req, string='<% for c in "ab": %><%= c %><% %>\n')
    except SyntaxError:
        req.write('SyntaxError as in 3.5\n')
    psp.PSP(req, string='s=<%= who %>\n', vars={'who': 'init'}).run({'who': 'run'})
    psp.PSP(req, filename='../psp/vars.psp').run({'who': 'file'})
    req.write('code: ' + repr(psp.parsestring('a<%= b %>')) + '\n')
    return apache.OK
"#;

fn server(module: PathBuf, mpm: Mpm) -> Httpd {
    let httpd = Httpd::builder()
        .mpm(mpm)
        .module("python_module", module)
        .file("htdocs/psp/page.psp", PAGE)
        .file("htdocs/psp/footer.inc", FOOTER)
        .file("htdocs/psp/request.psp", REQUEST)
        .file("htdocs/psp/nested.psp", NESTED)
        .file("htdocs/psp/bad.psp", BAD)
        .file(
            "htdocs/psp/form.psp",
            "name=<%= form.getfirst('name', '-') %> keys=<%= sorted(form.keys()) %>\n",
        )
        .file(
            "htdocs/psp/caught.psp",
            "<% psp.set_error_page('oops.psp') %>before <%= 1 / 0 %> after\n",
        )
        .file(
            "htdocs/psp/oops.psp",
            "caught <%= exception[0].__name__ %> at <%= req.uri %>\n",
        )
        .file("htdocs/psp/utf8.psp", "café <%= 'ü' %>\n")
        .file("htdocs/psp/vars.psp", "v=<%= who %>\n")
        .file("htdocs/psp/broken.psp", "a\n<% if %>\nb\n")
        .file("htdocs/psp/open.psp", "a\nb <% x = 1\n")
        .file("htdocs/psp/session.psp", "<%= session %>\n")
        .file("htdocs/psp/changing.psp", "one <%= 1 %>\n")
        .file("htdocs/plain/page.psp", "<%= 6 * 7 %>\n")
        .file("htdocs/plain/bad.psp", BAD)
        .file("htdocs/api/x", "")
        .file("app/app.py", HANDLER)
        // The default session store's dbm file under this server's root, not in /tmp, where
        // runs of the suite for other Pythons (whose dbm modules differ: 3.13's writes SQLite)
        // would share it.
        .file("sess/README", "the session store\n")
        .config(
            "PythonOption mod_python.session.database_directory @ROOT@/sess\n\
             <Directory @ROOT@/htdocs/psp>\n    AddHandler mod_python .psp .psp_\n    \
             PythonHandler mod_python.psp\n    PythonDebug On\n</Directory>\n\
             <Directory @ROOT@/htdocs/plain>\n    AddHandler mod_python .psp .psp_\n    \
             PythonHandler mod_python.psp\n</Directory>\n\
             <Directory @ROOT@/htdocs/api>\n    SetHandler mod_python\n    \
             PythonPath \"sys.path+['@ROOT@/app']\"\n    PythonHandler app\n    \
             PythonDebug On\n</Directory>\n",
        )
        .start();
    support::writable_by_children(&httpd.root().join("sess"));
    httpd
}

fn ours(mpm: Mpm) -> Httpd {
    server(harness::cdylib("mod_python"), mpm)
}

/// C mod_python 3.5's httpd, when Debian's module is installed for our Python version.
fn theirs(mpm: Mpm) -> Option<Httpd> {
    support::c_mod_python().map(|c_module| server(c_module, mpm))
}

const MPMS: [Mpm; 2] = [Mpm::Event, Mpm::Prefork];

/// The text of an HTML page (PythonDebug's error page escapes the traceback).
fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

fn get(httpd: &Httpd, path: &str) -> Response {
    httpd.request("GET", path, &[("X-Agent", "tester")], b"")
}

/// Status, Content-Type, X-Psp and the body (its exact bytes, as UTF-8).
fn seen(httpd: &Httpd, path: &str) -> (u16, String, String, String) {
    let r = get(httpd, path);
    (
        r.status,
        r.header("Content-Type").unwrap_or("-").to_string(),
        r.header("X-Psp").unwrap_or("-").to_string(),
        String::from_utf8(r.body).expect("UTF-8 body"),
    )
}

#[test]
fn page_text_expressions_blocks_comments_include_are_3_5_bytes() {
    for mpm in MPMS {
        let httpd = ours(mpm);
        let mine = [
            seen(&httpd, "/psp/page.psp"),
            seen(&httpd, "/psp/nested.psp"),
            seen(&httpd, "/psp/request.psp?a=1&b=two"),
            seen(&httpd, "/psp/caught.psp"),
            seen(&httpd, "/psp/utf8.psp"),
            seen(&httpd, "/psp/form.psp?name=Ada&x=&y=2"),
        ];
        assert_eq!(
            mine[0],
            (200, "text/html".into(), "-".into(), EXPECTED.into()),
            "{mpm:?}: {}",
            mine[0].3
        );
        assert_eq!(
            mine[1].3, "<ul>\n<li>first a</li>\n<li>other b</li>\n</ul>\n",
            "{mpm:?}"
        );
        assert_eq!(
            mine[2],
            (
                200,
                "text/plain".into(),
                "yes".into(),
                "method=GET args=a=1&b=two uri=/psp/request.psp agent=tester\n".into()
            ),
            "{mpm:?}"
        );
        // The error page runs after what the page wrote before failing.
        assert_eq!(
            mine[3].3, "before caught ZeroDivisionError at /psp/caught.psp\n",
            "{mpm:?}"
        );
        assert_eq!(mine[4].3, "café ü\n", "{mpm:?}");
        assert_eq!(mine[5].3, "name=Ada keys=['name', 'x', 'y']\n", "{mpm:?}");
        if let Some(c) = theirs(mpm) {
            let c_seen = [
                seen(&c, "/psp/page.psp"),
                seen(&c, "/psp/nested.psp"),
                seen(&c, "/psp/request.psp?a=1&b=two"),
                seen(&c, "/psp/caught.psp"),
                seen(&c, "/psp/utf8.psp"),
            ];
            // Not the form page: Debian's 3.5 util gives bytes values and mixes up names on
            // Python 3.
            assert_eq!(
                mine[..5],
                c_seen,
                "{mpm:?}: C mod_python's\n{}",
                c.error_log()
            );
        }
    }
}

#[test]
fn psp_api_from_a_handler() {
    for mpm in MPMS {
        let httpd = ours(mpm);
        let r = get(&httpd, "/api/x");
        assert_eq!(r.status, 200, "{mpm:?}: {}", httpd.error_log());
        let text = r.text();
        let mut lines = text.lines();
        // A one-line block ending with ':' does not compile, in 3.5 as here.
        assert_eq!(lines.next(), Some("SyntaxError as in 3.5"), "{text}");
        assert_eq!(lines.next(), Some("s=run"), "{text}");
        assert_eq!(lines.next(), Some("v=file"), "{text}");
        assert!(
            lines.next().unwrap().starts_with("code: 'req.write("),
            "{text}"
        );
    }
}

#[test]
fn code_view_with_python_debug_only() {
    for mpm in MPMS {
        let httpd = ours(mpm);
        let r = get(&httpd, "/psp/page.psp_");
        assert_eq!(r.status, 200, "{mpm:?}");
        assert_eq!(r.header("Content-Type"), Some("text/html"));
        let text = r.text();
        assert!(text.starts_with("<table>"), "{text}");
        // The generated code's lines beside the page's, HTML-escaped.
        assert!(
            text.contains("req.write(str(&nbsp;title&nbsp;),0)"),
            "{text}"
        );
        assert!(text.contains("for&nbsp;i&nbsp;in&nbsp;range(3):"), "{text}");
        assert!(
            text.contains("&lt;h1&gt;&lt;%=&nbsp;title&nbsp;%&gt;&lt;/h1&gt;"),
            "{text}"
        );
        assert!(text.trim_end().ends_with("</table>"), "{text}");
        // Without PythonDebug a page.psp_ is just a file that is not there.
        assert_eq!(get(&httpd, "/plain/page.psp_").status, 404, "{mpm:?}");
        assert_eq!(get(&httpd, "/plain/page.psp").text(), "42\n", "{mpm:?}");
    }
}

#[test]
fn runtime_error_answers_500_with_traceback_logged() {
    for mpm in MPMS {
        let httpd = ours(mpm);
        let r = get(&httpd, "/psp/bad.psp");
        assert_eq!(r.status, 500, "{mpm:?}");
        let text = unescape(&r.text());
        assert!(text.contains("ZeroDivisionError"), "{mpm:?}: {text}");
        // The traceback names the page and its line.
        assert!(
            text.contains("bad.psp\", line 3"),
            "{mpm:?}: the page's line number: {text}"
        );
        let r = get(&httpd, "/plain/bad.psp");
        assert_eq!(r.status, 500, "{mpm:?}");
        assert!(!r.text().contains("ZeroDivisionError"), "{mpm:?}");
        let log = httpd.error_log();
        assert!(log.contains("ZeroDivisionError"), "{mpm:?}: {log}");
        assert!(log.contains("bad.psp"), "{mpm:?}: {log}");
    }
}

#[test]
fn syntax_errors_name_the_page() {
    for mpm in MPMS {
        let httpd = ours(mpm);
        for (path, why) in [
            ("/psp/broken.psp", "invalid syntax"),
            ("/psp/open.psp", "'<%' without '%>'"),
        ] {
            let r = get(&httpd, path);
            assert_eq!(r.status, 500, "{mpm:?} {path}");
            let text = unescape(&r.text());
            let file = path.rsplit('/').next().unwrap();
            assert!(text.contains("SyntaxError"), "{mpm:?}: {text}");
            assert!(text.contains(why), "{mpm:?}: {text}");
            assert!(
                text.contains(&format!("{file}\", line 2")),
                "{mpm:?}: {text}"
            );
        }
        // A page naming `session` gets one (mod_python.Session's default store).
        let r = get(&httpd, "/psp/session.psp");
        assert_eq!(r.status, 200, "{mpm:?}: {}", r.text());
        assert!(
            r.header("Set-Cookie")
                .is_some_and(|c| c.starts_with("pysid=")),
            "{mpm:?}: {:?}",
            r.headers
        );
    }
}

#[test]
fn a_changed_page_is_read_again() {
    for mpm in MPMS {
        let httpd = ours(mpm);
        let file = httpd.root().join("htdocs/psp/changing.psp");
        let footer = httpd.root().join("htdocs/psp/footer.inc");
        // Several requests, so that every child of prefork has the page cached.
        for _ in 0..6 {
            assert_eq!(
                get(&httpd, "/psp/changing.psp").text(),
                "one 1\n",
                "{mpm:?}"
            );
            assert!(get(&httpd, "/psp/page.psp").text().contains("<footer>/psp"));
        }
        let later = SystemTime::now() + Duration::from_secs(5);
        let touch = |path: &std::path::Path, text: &str| {
            std::fs::write(path, text).unwrap();
            let f = std::fs::File::options().write(true).open(path).unwrap();
            f.set_modified(later).unwrap();
        };
        touch(&file, "two <%= 2 %>\n");
        // A changed include is seen too, though the page itself did not change.
        touch(&footer, "<footer>new</footer>");
        for _ in 0..6 {
            assert_eq!(
                get(&httpd, "/psp/changing.psp").text(),
                "two 2\n",
                "{mpm:?}"
            );
            assert!(
                get(&httpd, "/psp/page.psp")
                    .text()
                    .contains("<footer>new</footer>")
            );
        }
    }
}

// --- The dbm cache of compiled pages (PythonOption mod_python.psp.cache_database_filename) ---

/// Lists the keys of a dbm file in the cache directory (the file named by the query string).
const DBM_KEYS: &str = r#"
import dbm, os
from mod_python import apache

def handler(req):
    req.content_type = 'text/plain'
    db = dbm.open(os.path.join(req.get_options()['cache_dir'], req.args), 'r')
    try:
        for key in sorted(db.keys()):
            req.write(key.decode() + '\n')
    finally:
        db.close()
    return apache.OK
"#;

const CANNOT_USE: &str = "cannot use the cache of compiled pages";

fn dbm_server(mpm: Mpm) -> Httpd {
    let psp_dir = |dir: &str, option: &str, file: &str| {
        format!(
            "<Directory @ROOT@/htdocs/{dir}>\n    AddHandler mod_python .psp\n    \
             PythonHandler mod_python.psp\n    PythonOption {option} {file}\n</Directory>\n"
        )
    };
    let page = "<%@ include file=\"part.inc\" %> pid=<%= os.getpid() %>\n";
    let httpd = Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("htdocs/cached/page.psp", format!("v1 {page}"))
        .file("htdocs/cached/part.inc", "part1")
        .file("htdocs/oldname/page.psp", "old <%= 1 %>\n")
        .file("htdocs/nowhere/page.psp", "n pid=<%= os.getpid() %>\n")
        .file("htdocs/damaged/page.psp", "d pid=<%= os.getpid() %>\n")
        .file("cache/damaged.dbm", "this is not a dbm file\n")
        .file("htdocs/keys/x", "")
        .file("app/dbmkeys.py", DBM_KEYS)
        .config(&format!(
            "{}{}{}{}<Directory @ROOT@/htdocs/keys>\n    SetHandler mod_python\n    \
             PythonPath \"sys.path+['@ROOT@/app']\"\n    PythonHandler dbmkeys\n    \
             PythonOption cache_dir @ROOT@/cache\n</Directory>\n",
            psp_dir(
                "cached",
                "mod_python.psp.cache_database_filename",
                "@ROOT@/cache/psp.dbm"
            ),
            psp_dir("oldname", "PSPDbmCache", "@ROOT@/cache/old.dbm"),
            psp_dir(
                "nowhere",
                "mod_python.psp.cache_database_filename",
                "@ROOT@/no/such/dir/psp.dbm"
            ),
            psp_dir(
                "damaged",
                "mod_python.psp.cache_database_filename",
                "@ROOT@/cache/damaged.dbm"
            ),
        ))
        .start();
    // The children make the dbm files there.
    support::writable_by_children(&httpd.root().join("cache"));
    httpd
}

fn set_mtime(path: &std::path::Path, when: SystemTime) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(when).unwrap();
}

/// Writes new text into a file and gives it back the modification time it had.
fn rewrite_keeping_mtime(path: &std::path::Path, text: &str) {
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    std::fs::write(path, text).unwrap();
    set_mtime(path, mtime);
}

/// The page's text before " pid=" and the pid that served it.
fn page_and_pid(httpd: &Httpd, path: &str) -> (String, String) {
    let r = get(httpd, path);
    let text = r.text();
    assert_eq!(r.status, 200, "{path}: {text}\n{}", httpd.error_log());
    let (page, pid) = text
        .trim_end()
        .rsplit_once(" pid=")
        .unwrap_or_else(|| panic!("{path}: {text}"));
    (page.to_string(), pid.to_string())
}

fn dbm_files(httpd: &Httpd, prefix: &str) -> Vec<String> {
    std::fs::read_dir(httpd.root().join("cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[test]
fn dbm_cache_compiles_a_page_once_for_every_child() {
    for mpm in MPMS {
        let httpd = dbm_server(mpm);
        let root = httpd.root().to_path_buf();
        let page = root.join("htdocs/cached/page.psp");
        let part = root.join("htdocs/cached/part.inc");
        assert!(dbm_files(&httpd, "psp.dbm").is_empty());
        assert_eq!(page_and_pid(&httpd, "/cached/page.psp").0, "v1 part1");

        // The first request made the dbm file, keyed by the page's file name.
        assert!(!dbm_files(&httpd, "psp.dbm").is_empty(), "{mpm:?}");
        let keys = get(&httpd, "/keys/x?psp.dbm").text();
        assert_eq!(keys, format!("{}\n", page.display()), "{mpm:?}");

        // The page's text changes but not its modification time: what is served is the code in
        // the dbm file, never the page parsed again. After a graceful restart, children that
        // never ran the page (no copy in their memory) serve it from the dbm file too.
        rewrite_keeping_mtime(
            &page,
            "v2 <%@ include file=\"part.inc\" %> pid=<%= os.getpid() %>\n",
        );
        let mut before = std::collections::HashSet::new();
        for _ in 0..6 {
            let (text, pid) = page_and_pid(&httpd, "/cached/page.psp");
            assert_eq!(text, "v1 part1", "{mpm:?}");
            before.insert(pid);
        }
        httpd.graceful_restart();
        let mut new_children = 0;
        for _ in 0..6 {
            let (text, pid) = page_and_pid(&httpd, "/cached/page.psp");
            assert_eq!(text, "v1 part1", "{mpm:?}: a child parsed the page");
            if !before.contains(&pid) {
                new_children += 1;
            }
        }
        assert!(new_children > 0, "{mpm:?}: no new child served the page");

        // A new modification time: compiled again, and the dbm file holds the new code.
        let later = SystemTime::now() + Duration::from_secs(5);
        set_mtime(&page, later);
        for _ in 0..6 {
            assert_eq!(
                page_and_pid(&httpd, "/cached/page.psp").0,
                "v2 part1",
                "{mpm:?}"
            );
        }
        rewrite_keeping_mtime(
            &page,
            "v3 <%@ include file=\"part.inc\" %> pid=<%= os.getpid() %>\n",
        );
        assert_eq!(page_and_pid(&httpd, "/cached/page.psp").0, "v2 part1");
        // A changed include makes the page stale too.
        std::fs::write(&part, "part2").unwrap();
        set_mtime(&part, later);
        for _ in 0..6 {
            assert_eq!(
                page_and_pid(&httpd, "/cached/page.psp").0,
                "v3 part2",
                "{mpm:?}"
            );
        }

        // 3.3's name of the option.
        assert_eq!(get(&httpd, "/oldname/page.psp").text(), "old 1\n");
        assert!(!dbm_files(&httpd, "old.dbm").is_empty(), "{mpm:?}");
        assert_eq!(
            get(&httpd, "/keys/x?old.dbm").text(),
            format!("{}\n", root.join("htdocs/oldname/page.psp").display())
        );
        let log = httpd.error_log();
        assert!(!log.contains(CANNOT_USE), "{mpm:?}: {log}");
    }
}

/// The pid of an error_log line (`[pid N:tid M]` or `[pid N]`).
fn log_pid(line: &str) -> Option<String> {
    let rest = &line[line.find("[pid ")? + 5..];
    Some(rest.chars().take_while(|c| c.is_ascii_digit()).collect())
}

#[test]
fn unusable_dbm_cache_still_serves_pages_and_says_so_once_per_process() {
    for mpm in MPMS {
        let httpd = dbm_server(mpm);
        for (dir, file) in [
            ("nowhere", "no/such/dir/psp.dbm"),
            ("damaged", "damaged.dbm"),
        ] {
            let path = format!("/{dir}/page.psp");
            let mut served = std::collections::HashSet::new();
            for _ in 0..8 {
                let (text, pid) = page_and_pid(&httpd, &path);
                assert_eq!(text, &dir[..1], "{mpm:?}");
                served.insert(pid);
            }
            let log = httpd.error_log();
            let lines: Vec<&str> = log
                .lines()
                .filter(|l| l.contains(CANNOT_USE) && l.contains(file))
                .collect();
            assert!(!lines.is_empty(), "{mpm:?} {dir}: {log}");
            let mut logged = std::collections::HashSet::new();
            for line in &lines {
                let pid = log_pid(line).unwrap_or_else(|| panic!("{line}"));
                assert!(served.contains(&pid), "{mpm:?}: {line}");
                assert!(logged.insert(pid), "{mpm:?}: logged twice: {log}");
            }
        }
        // The damaged file is left as it was.
        assert_eq!(
            std::fs::read_to_string(httpd.root().join("cache/damaged.dbm")).unwrap(),
            "this is not a dbm file\n"
        );
    }
}
