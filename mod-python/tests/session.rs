//! mod_python.Session on a real httpd, under event and prefork: a counter kept across
//! requests by the session cookie in each store (FileSession, DbmSession, MemorySession),
//! the factory's choice of store, timeouts and the cleanup of expired sessions,
//! `invalidate()`, signed cookies, bad cookies and unreadable session files, the session
//! lock serializing two requests of one session, the cookie options, and PSP's `session`.

use harness::{Httpd, Mpm, Response};
use std::path::Path;
use std::time::Duration;

const MPMS: [Mpm; 2] = [Mpm::Event, Mpm::Prefork];

const APP: &str = r#"
from mod_python import apache, Session
import dbm, os, time


def _open(req, **kw):
    secret = req.get_options().get('secret')
    if secret:
        kw['secret'] = secret
    return Session.Session(req, **kw)


def _show(req, s):
    req.write('%s %d %s %s' % (type(s).__name__, s.get('n', 0), s.id(), s.is_new()))


def count(req):
    s = _open(req)
    s['n'] = s.get('n', 0) + 1
    s.save()
    _show(req, s)


def short(req):
    s = _open(req)
    s.set_timeout(1)
    s['n'] = s.get('n', 0) + 1
    s.save()
    _show(req, s)


def slow(req):
    # Read, wait, write: two requests of one session that overlapped would both write the
    # same number.
    s = _open(req)
    n = s.get('n', 0)
    time.sleep(0.6)
    s['n'] = n + 1
    s.save()
    _show(req, s)


def peek(req):
    s = _open(req)
    _show(req, s)
    req.write(' timeout=%s' % s.timeout())
    req.write(' times=%s' % (s.created() <= s.last_accessed() <= time.time()))


def invalidate(req):
    s = _open(req)
    s.invalidate()
    s['n'] = 99
    s.save()
    req.write('gone')


def _stored(s, sid):
    if isinstance(s, Session.FileSession):
        return os.path.exists(os.path.join(s._sessdir, sid[:2], sid))
    if isinstance(s, Session.DbmSession):
        db = dbm.open(s._dbmfile, 'r')
        try:
            return sid.encode() in db
        finally:
            db.close()
    return sid in Session.MemorySession.sdict


def sweep(req):
    # What a request does once in CLEANUP_CHANCE: the sweep runs after the response.
    s = _open(req, timeout=1)
    s.cleanup()
    req.write('before=%s' % _stored(s, req.args))


def stored(req):
    req.write('stored=%s' % _stored(_open(req), req.args))


def corrupt(req):
    s = _open(req)
    s.save()
    path = os.path.join(s._sessdir, s.id()[:2], s.id())
    with open(path, 'wb') as f:
        f.write(b'\x80\x04not a pickle')
    req.write(s.id())


def handler(req):
    req.content_type = 'text/plain'
    action = req.uri.rsplit('/', 1)[-1]
    globals()[action](req)
    return apache.OK
"#;

const PAGE: &str =
    "<% session['n'] = session.get('n', 0) + 1 %>n=<%= session['n'] %> new=<%= session.is_new() %>\n";

fn location(path: &str, options: &[(&str, &str)]) -> String {
    let mut s = format!(
        "<Location {path}>\n    SetHandler mod_python\n    PythonHandler app\n    PythonDebug On\n"
    );
    for (k, v) in options {
        s += &format!("    PythonOption {k} \"{v}\"\n");
    }
    s + "</Location>\n"
}

fn server(mpm: Mpm, extra: &str) -> Httpd {
    let mut conf = String::from("PythonPath \"sys.path+['@ROOT@/app']\"\n");
    conf += extra;
    let file_dir = ("mod_python.file_session.database_directory", "@ROOT@/sess");
    conf += &location(
        "/file",
        &[
            ("mod_python.session.session_type", "FileSession"),
            file_dir,
            ("mod_python.file_session.cleanup_grace_period", "0"),
        ],
    );
    conf += &location(
        "/dbm",
        &[
            ("mod_python.session.session_type", "DbmSession"),
            ("mod_python.dbm_session.database_filename", "@ROOT@/sess/db"),
        ],
    );
    // No session_type: the factory chooses, as 3.5 does, from the MPM.
    conf += &location(
        "/default",
        &[("mod_python.session.database_directory", "@ROOT@/sess")],
    );
    conf += &location(
        "/mem",
        &[("mod_python.session.session_type", "MemorySession")],
    );
    conf += &location(
        "/signed",
        &[
            ("mod_python.session.session_type", "FileSession"),
            file_dir,
            ("secret", "s3cret"),
        ],
    );
    conf += &location(
        "/custom",
        &[
            ("mod_python.session.session_type", "FileSession"),
            file_dir,
            ("mod_python.session.cookie_name", "mysid"),
            ("mod_python.session.application_path", "/custom/app"),
            ("mod_python.session.application_domain", ".example.org"),
        ],
    );
    conf += "<Directory @ROOT@/htdocs/psp>\n    AddHandler mod_python .psp\n    \
             PythonHandler mod_python.psp\n    PythonDebug On\n    \
             PythonOption mod_python.session.session_type FileSession\n    \
             PythonOption mod_python.file_session.database_directory @ROOT@/sess\n\
             </Directory>\n";
    let httpd = Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("app/app.py", APP)
        .file("htdocs/psp/count.psp", PAGE)
        .file("sess/README", "session stores\n")
        .config(&conf)
        .start();
    // The children run as www-data; the store is theirs to write.
    open_up(&httpd.root().join("sess"));
    httpd
}

fn open_up(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
}

/// One child process only, so every request sees that process's memory.
fn single_process(mpm: Mpm) -> Httpd {
    let sizing = match mpm {
        Mpm::Prefork => {
            "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\nServerLimit 1\n\
             MaxRequestWorkers 1\n"
        }
        _ => "StartServers 1\nServerLimit 1\nMaxRequestWorkers 8\nMinSpareThreads 1\n",
    };
    server(mpm, sizing)
}

fn get(httpd: &Httpd, path: &str, cookie: Option<&str>) -> Response {
    let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", *c)).collect();
    let r = httpd.request("GET", path, &headers, b"");
    assert_eq!(
        r.status,
        200,
        "{path} {cookie:?}: {}\n{}",
        r.text(),
        httpd.error_log()
    );
    r
}

/// `name=value` of the response's Set-Cookie, without its attributes.
fn set_cookie(r: &Response) -> Option<String> {
    r.header("Set-Cookie")
        .map(|c| c.split(';').next().unwrap().trim().to_string())
}

/// The handler's answer: store, counter, session id, is_new.
fn fields(r: &Response) -> (String, u32, String, bool) {
    let text = r.text();
    let f: Vec<&str> = text.split(' ').collect();
    assert!(f.len() >= 4, "{text}");
    (
        f[0].to_string(),
        f[1].parse().unwrap(),
        f[2].to_string(),
        f[3] == "True",
    )
}

fn is_sid(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Three requests of one session at `base`: the counter goes 1, 2, 3 and the cookie is only
/// sent when the session is made.
fn check_counter(httpd: &Httpd, base: &str, store: &str, what: &str) {
    let r = get(httpd, &format!("{base}/count"), None);
    let (kind, n, sid, new) = fields(&r);
    assert_eq!((kind.as_str(), n, new), (store, 1, true), "{what}");
    assert!(is_sid(&sid), "{what}: {sid}");
    let cookie = set_cookie(&r).expect("a new session sends its cookie");
    assert_eq!(cookie, format!("pysid={sid}"), "{what}");
    let full = r.header("Set-Cookie").unwrap();
    assert!(full.contains("path=/"), "{what}: {full}");
    for expected in [2, 3] {
        let r = get(httpd, &format!("{base}/count"), Some(&cookie));
        assert_eq!(
            fields(&r),
            (store.to_string(), expected, sid.clone(), false),
            "{what}"
        );
        assert_eq!(set_cookie(&r), None, "{what}");
    }
    // Another client, another session.
    let (_, n, other, _) = fields(&get(httpd, &format!("{base}/count"), None));
    assert_eq!(n, 1, "{what}");
    assert_ne!(other, sid, "{what}");
}

#[test]
fn a_counter_is_kept_in_file_and_dbm_sessions() {
    for mpm in MPMS {
        let httpd = server(mpm, "");
        check_counter(&httpd, "/file", "FileSession", &format!("{mpm:?} file"));
        check_counter(&httpd, "/dbm", "DbmSession", &format!("{mpm:?} dbm"));
        // Several processes: 3.5's factory picks DbmSession for both MPMs.
        check_counter(
            &httpd,
            "/default",
            "DbmSession",
            &format!("{mpm:?} default"),
        );
        let r = get(&httpd, "/file/peek", None);
        assert!(
            r.text().ends_with(" timeout=1800 times=True"),
            "{}",
            r.text()
        );
    }
}

#[test]
fn memory_sessions_in_a_single_process_server() {
    for mpm in MPMS {
        let httpd = single_process(mpm);
        let text = get(&httpd, "/default/count", None).text();
        // One threaded process: 3.5's factory picks MemorySession; prefork is not threaded.
        let expected = if mpm == Mpm::Prefork {
            "DbmSession"
        } else {
            "MemorySession"
        };
        assert!(text.starts_with(expected), "{mpm:?}: {text}");
        check_counter(&httpd, "/mem", "MemorySession", &format!("{mpm:?} memory"));
    }
}

#[test]
fn an_expired_session_is_new_again_and_the_cleanup_removes_it() {
    for mpm in MPMS {
        let httpd = server(mpm, "");
        for base in ["/file", "/dbm"] {
            let r = get(&httpd, &format!("{base}/short"), None);
            let (_, _, sid, _) = fields(&r);
            let cookie = set_cookie(&r).unwrap();
            let (_, n, same, new) = fields(&get(&httpd, &format!("{base}/peek"), Some(&cookie)));
            assert_eq!((n, same.as_str(), new), (1, sid.as_str(), false));
            std::thread::sleep(Duration::from_millis(2200));
            let (_, n, other, new) = fields(&get(&httpd, &format!("{base}/peek"), Some(&cookie)));
            assert_eq!((n, new), (0, true), "{mpm:?} {base}");
            assert_ne!(other, sid);
            let r = get(&httpd, &format!("{base}/sweep?{sid}"), None);
            assert_eq!(r.text(), "before=True", "{mpm:?} {base}");
            // The sweep runs in the request's cleanup, after the response: wait for it.
            let mut left = String::new();
            for _ in 0..50 {
                left = get(&httpd, &format!("{base}/stored?{sid}"), None).text();
                if left == "stored=False" {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            assert_eq!(left, "stored=False", "{mpm:?} {base}");
        }
        let log = httpd.error_log();
        assert!(!log.contains("Traceback"), "{mpm:?}: {log}");
    }
}

#[test]
fn invalidate_ends_the_session() {
    for mpm in MPMS {
        let httpd = server(mpm, "");
        for base in ["/file", "/dbm"] {
            let r = get(&httpd, &format!("{base}/count"), None);
            let (_, _, sid, _) = fields(&r);
            let cookie = set_cookie(&r).unwrap();
            let r = get(&httpd, &format!("{base}/invalidate"), Some(&cookie));
            assert_eq!(r.text(), "gone");
            let header = r.header("Set-Cookie").unwrap();
            assert!(
                header.contains("expires=Thu, 01-Jan-1970 00:00:00 GMT"),
                "{header}"
            );
            let (_, n, other, new) = fields(&get(&httpd, &format!("{base}/peek"), Some(&cookie)));
            assert_eq!((n, new), (0, true), "{mpm:?} {base}");
            assert_ne!(other, sid);
        }
    }
}

#[test]
fn a_secret_signs_the_cookie_and_a_forged_one_gives_a_new_session() {
    for mpm in MPMS {
        let httpd = server(mpm, "");
        let r = get(&httpd, "/signed/count", None);
        let (_, _, sid, _) = fields(&r);
        let cookie = set_cookie(&r).unwrap();
        let value = cookie.strip_prefix("pysid=").unwrap();
        assert_eq!(value.len(), 64, "{cookie}");
        assert!(value.ends_with(&sid), "{cookie}");
        let (_, n, same, _) = fields(&get(&httpd, "/signed/count", Some(&cookie)));
        assert_eq!((n, same.as_str()), (2, sid.as_str()));
        let mut digest = value[..32].to_string();
        let flipped = if digest.starts_with('0') { "1" } else { "0" };
        digest.replace_range(..1, flipped);
        for forged in [
            format!("pysid={sid}"),
            format!("pysid={digest}{sid}"),
            format!("pysid={}{}", &value[..32], "0".repeat(32)),
        ] {
            let (_, n, other, new) = fields(&get(&httpd, "/signed/count", Some(&forged)));
            assert_eq!((n, new), (1, true), "{mpm:?} {forged}");
            assert_ne!(other, sid);
        }
        // The unsigned store does not take the signed value either.
        let (_, n, _, new) = fields(&get(&httpd, "/file/count", Some(&cookie)));
        assert_eq!((n, new), (1, true));
    }
}

#[test]
fn bad_cookies_and_unreadable_session_files_give_a_new_session() {
    for mpm in MPMS {
        let httpd = server(mpm, "");
        for base in ["/file", "/dbm", "/signed"] {
            for bad in [
                "pysid=../../../etc/passwd",
                "pysid=ZZZZ",
                "pysid=0123456789ABCDEF0123456789ABCDEF",
                "pysid=0123456789abcdef0123456789abcdef",
                "pysid=\"unterminated",
                "pysid",
                ";;=;",
            ] {
                let (_, n, sid, new) = fields(&get(&httpd, &format!("{base}/count"), Some(bad)));
                assert_eq!((n, new), (1, true), "{mpm:?} {base} {bad}");
                assert!(is_sid(&sid), "{sid}");
                assert_ne!(sid, "0123456789abcdef0123456789abcdef");
            }
        }
        let r = get(&httpd, "/file/corrupt", None);
        let sid = r.text();
        let cookie = set_cookie(&r).unwrap();
        let (_, n, other, new) = fields(&get(&httpd, "/file/count", Some(&cookie)));
        assert_eq!((n, new), (1, true), "{mpm:?}");
        assert_ne!(other, sid);
    }
}

#[test]
fn two_requests_of_one_session_run_one_after_the_other() {
    for mpm in MPMS {
        let httpd = server(mpm, "");
        for base in ["/file", "/dbm"] {
            let r = get(&httpd, &format!("{base}/count"), None);
            let cookie = set_cookie(&r).unwrap();
            let url = format!("{base}/slow");
            let mut counts: Vec<u32> = std::thread::scope(|s| {
                let a = s.spawn(|| fields(&get(&httpd, &url, Some(&cookie))).1);
                std::thread::sleep(Duration::from_millis(100));
                let b = s.spawn(|| fields(&get(&httpd, &url, Some(&cookie))).1);
                vec![a.join().unwrap(), b.join().unwrap()]
            });
            // On a loaded machine the second request may reach the lock first.
            counts.sort_unstable();
            assert_eq!(counts, [2, 3], "{mpm:?} {base}");
            let (_, n, _, _) = fields(&get(&httpd, &format!("{base}/count"), Some(&cookie)));
            assert_eq!(n, 4, "{mpm:?} {base}");
        }
        let log = httpd.error_log();
        assert!(!log.contains("Traceback"), "{mpm:?}: {log}");
    }
}

#[test]
fn cookie_name_domain_and_path_come_from_the_options() {
    for mpm in MPMS {
        let httpd = server(mpm, "");
        let r = get(&httpd, "/custom/count", None);
        let (_, _, sid, _) = fields(&r);
        let header = r.header("Set-Cookie").unwrap().to_string();
        assert!(header.starts_with(&format!("mysid={sid};")), "{header}");
        assert!(header.contains("path=/custom/app"), "{header}");
        assert!(header.contains("domain=.example.org"), "{header}");
        let (_, n, same, _) = fields(&get(&httpd, "/custom/count", Some(&format!("mysid={sid}"))));
        assert_eq!((n, same.as_str()), (2, sid.as_str()));
        let (_, n, _, new) = fields(&get(&httpd, "/custom/count", Some(&format!("pysid={sid}"))));
        assert_eq!((n, new), (1, true));
    }
}

#[test]
fn a_psp_page_uses_session() {
    for mpm in MPMS {
        let httpd = server(mpm, "");
        let r = get(&httpd, "/psp/count.psp", None);
        assert_eq!(r.text(), "n=1 new=True\n", "{mpm:?}");
        let header = r.header("Set-Cookie").unwrap().to_string();
        // The cookie is for the directory holding the handler directive.
        assert!(header.contains("path=/psp"), "{header}");
        let cookie = set_cookie(&r).unwrap();
        for n in [2, 3] {
            let r = get(&httpd, "/psp/count.psp", Some(&cookie));
            assert_eq!(r.text(), format!("n={n} new=False\n"), "{mpm:?}");
        }
    }
}
