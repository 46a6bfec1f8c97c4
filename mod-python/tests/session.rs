//! mod_python.Session on a real httpd, under event and prefork: a counter kept across
//! requests by the session cookie in each store (FileSession, DbmSession, MemorySession),
//! the factory's choice of store, timeouts and the cleanup of expired sessions,
//! `invalidate()`, signed cookies, bad cookies and unreadable session files, the session
//! lock serializing two requests of one session, the cookie options, PSP's `session`, and
//! SocacheSession on shmcb (on real memcached and redis servers: `tests/session_stores`).

mod support;

use harness::{Httpd, Mpm, Response};
use std::time::Duration;

const MPMS: [Mpm; 2] = [Mpm::Event, Mpm::Prefork];

const APP: &str = r#"
from mod_python import apache, Session, _apache
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
    if isinstance(s, Session.SocacheSession):
        return _apache.socache_retrieve(s._cache, Session._socache_key(sid)) is not None
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


def slowpid(req):
    slow(req)
    req.write(' pid=%d' % os.getpid())


def big(req):
    # A counter saved, then a value too large for the store: the save raises and the
    # counter stays as it was.
    s = _open(req)
    s['n'] = s.get('n', 0) + 1
    s.save()
    s['blob'] = os.urandom(int(req.args))
    try:
        s.save()
        req.write('saved')
    except Exception as e:
        req.write('%s: %s' % (type(e).__name__, e))


def many(req):
    # Sessions made one after the other, each kept: all of them must stay while the cache
    # has room for them.
    n = int(req.args)
    sids = []
    for i in range(n):
        s = Session.SocacheSession(req, lock=0)
        s['i'] = i
        s.save()
        sids.append(s.id())
    kept = sum(1 for sid in sids if _stored(s, sid))
    req.write('kept %d of %d' % (kept, n))


def handler(req):
    req.content_type = 'text/plain'
    action = req.uri.rsplit('/', 1)[-1]
    globals()[action](req)
    return apache.OK
"#;

const PAGE: &str = "<% session['n'] = session.get('n', 0) + 1 %>n=<%= session['n'] %> new=<%= session.is_new() %>\n";

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
    support::writable_by_children(&httpd.root().join("sess"));
    httpd
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

// --- SocacheSession --------------------------------------------------------------------

const SOCACHE: &str = "mod_python.session.socache";

fn shmcb() -> harness::Builder {
    Httpd::builder().system_module("socache_shmcb_module", "mod_socache_shmcb.so")
}

/// A server whose sessions may live in the socache `spec` (set at server level).
fn socache_server(mpm: Mpm, spec: &str) -> Httpd {
    let mut conf =
        format!("PythonPath \"sys.path+['@ROOT@/app']\"\nPythonOption {SOCACHE} \"{spec}\"\n");
    conf += &location(
        "/sc",
        &[("mod_python.session.session_type", "SocacheSession")],
    );
    // No session_type: the option naming a cache makes the factory choose it.
    conf += &location("/scdefault", &[]);
    // A type given explicitly wins over the cache.
    conf += &location(
        "/file",
        &[
            ("mod_python.session.session_type", "FileSession"),
            ("mod_python.file_session.database_directory", "@ROOT@/sess"),
        ],
    );
    // The cache option emptied here, and one naming a cache no server level made.
    conf += &location(
        "/scnone",
        &[
            ("mod_python.session.session_type", "SocacheSession"),
            (SOCACHE, ""),
        ],
    );
    conf += &location(
        "/scother",
        &[
            ("mod_python.session.session_type", "SocacheSession"),
            (SOCACHE, "shmcb:@ROOT@/run/other(100000)"),
        ],
    );
    let httpd = shmcb()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("app/app.py", APP)
        .file("sess/README", "session stores\n")
        .config(&conf)
        .start();
    support::writable_by_children(&httpd.root().join("sess"));
    httpd
}

#[test]
fn a_counter_is_kept_in_a_socache_session_and_the_factory_chooses_it() {
    for mpm in MPMS {
        let httpd = socache_server(mpm, "shmcb");
        check_counter(&httpd, "/sc", "SocacheSession", &format!("{mpm:?} socache"));
        check_counter(
            &httpd,
            "/scdefault",
            "SocacheSession",
            &format!("{mpm:?} socache by default"),
        );
        check_counter(&httpd, "/file", "FileSession", &format!("{mpm:?} file"));
        let r = get(&httpd, "/sc/peek", None);
        assert!(
            r.text().ends_with(" timeout=1800 times=True"),
            "{}",
            r.text()
        );
        // Without a cache at server level: a Python exception that says where to set it.
        for (base, message) in [
            (
                "/scnone",
                "SocacheSession needs PythonOption mod_python.session.socache",
            ),
            ("/scother", "must be set at server level"),
        ] {
            let r = httpd.request("GET", &format!("{base}/count"), &[], b"");
            assert_eq!(r.status, 500, "{mpm:?} {base}");
            let log = httpd.error_log();
            assert!(log.contains(message), "{mpm:?} {base}: {log}");
        }
    }
}

/// shmcb files an entry in one of its subcaches by the key's first byte, and every session's
/// key begins alike: they all went to one subcache, and a default-sized shmcb ("shmcb",
/// 512000 bytes: 8 subcaches of 57 entries with the hints sessions give) kept only the last
/// 57 sessions. apache-rs now spreads the keys over the subcaches.
#[test]
fn a_socache_session_cache_holds_as_many_sessions_as_its_size_allows() {
    let httpd = socache_server(Mpm::Event, "shmcb");
    let r = get(&httpd, "/sc/many?200", None);
    assert_eq!(r.text(), "kept 200 of 200", "{}", httpd.error_log());
}

#[test]
fn a_socache_session_is_shared_by_the_children() {
    for mpm in MPMS {
        let httpd = socache_server(mpm, "shmcb:@ROOT@/run/sessions(1024000)");
        let r = get(&httpd, "/sc/count", None);
        let cookie = set_cookie(&r).unwrap();
        // Two requests at once: a prefork child serves one connection at a time, so the
        // second is served by another child, which waits for the session lock and then
        // finds what the first saved.
        let answers: Vec<(u32, String)> = std::thread::scope(|s| {
            let one = || {
                let text = get(&httpd, "/sc/slowpid", Some(&cookie)).text();
                let pid = text.rsplit_once(" pid=").unwrap().1.to_string();
                let n: u32 = text.split(' ').nth(1).unwrap().parse().unwrap();
                (n, pid)
            };
            let a = s.spawn(one);
            std::thread::sleep(Duration::from_millis(100));
            let b = s.spawn(one);
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        let mut counts: Vec<u32> = answers.iter().map(|(n, _)| *n).collect();
        counts.sort_unstable();
        assert_eq!(counts, [2, 3], "{mpm:?}");
        if mpm == Mpm::Prefork {
            assert_ne!(answers[0].1, answers[1].1, "{mpm:?}: one child served both");
        }
        // Then one request after another, each on a new connection, whichever child.
        for n in 4..10 {
            let (_, got, _, new) = fields(&get(&httpd, "/sc/count", Some(&cookie)));
            assert_eq!((got, new), (n, false), "{mpm:?}");
        }
        // A restart makes the cache anew (shmcb's sessions go with the old one).
        httpd.graceful_restart();
        check_counter(
            &httpd,
            "/sc",
            "SocacheSession",
            &format!("{mpm:?} restarted"),
        );
        let log = httpd.error_log();
        assert!(!log.contains("Traceback"), "{mpm:?}: {log}");
    }
}

#[test]
fn a_socache_session_expires_and_is_invalidated() {
    for mpm in MPMS {
        let httpd = socache_server(mpm, "shmcb");
        let r = get(&httpd, "/sc/short", None);
        let (_, _, sid, _) = fields(&r);
        let cookie = set_cookie(&r).unwrap();
        let (_, n, same, new) = fields(&get(&httpd, "/sc/peek", Some(&cookie)));
        assert_eq!((n, same.as_str(), new), (1, sid.as_str(), false));
        assert_eq!(
            get(&httpd, &format!("/sc/stored?{sid}"), None).text(),
            "stored=True"
        );
        std::thread::sleep(Duration::from_millis(2200));
        // The cache itself dropped the entry at its expiry.
        assert_eq!(
            get(&httpd, &format!("/sc/stored?{sid}"), None).text(),
            "stored=False"
        );
        let (_, n, other, new) = fields(&get(&httpd, "/sc/peek", Some(&cookie)));
        assert_eq!((n, new), (0, true), "{mpm:?}");
        assert_ne!(other, sid);

        let r = get(&httpd, "/sc/count", None);
        let (_, _, sid, _) = fields(&r);
        let cookie = set_cookie(&r).unwrap();
        let r = get(&httpd, "/sc/invalidate", Some(&cookie));
        assert_eq!(r.text(), "gone");
        let header = r.header("Set-Cookie").unwrap();
        assert!(
            header.contains("expires=Thu, 01-Jan-1970 00:00:00 GMT"),
            "{header}"
        );
        assert_eq!(
            get(&httpd, &format!("/sc/stored?{sid}"), None).text(),
            "stored=False"
        );
        let (_, n, other, new) = fields(&get(&httpd, "/sc/peek", Some(&cookie)));
        assert_eq!((n, new), (0, true), "{mpm:?}");
        assert_ne!(other, sid);
    }
}

#[test]
fn a_session_too_large_for_the_socache_raises() {
    for mpm in MPMS {
        // A small shmcb: its subcaches hold less than the 64 KiB limit.
        let httpd = socache_server(mpm, "shmcb:@ROOT@/run/small(65536)");
        let r = get(&httpd, "/sc/big?100000", None);
        let cookie = set_cookie(&r).unwrap();
        let text = r.text();
        assert!(
            text.starts_with("ValueError: ") && text.contains("more than the 65536 bytes"),
            "{mpm:?}: {text}"
        );
        assert!(text.contains(SOCACHE), "{text}");
        let r = get(&httpd, "/sc/big?30000", Some(&cookie));
        let text = r.text();
        assert!(text.starts_with("OSError: "), "{mpm:?}: {text}");
        assert!(text.contains("shmcb"), "{mpm:?}: {text}");
        // Neither failed save lost or damaged what was stored before it.
        let (_, n, _, new) = fields(&get(&httpd, "/sc/count", Some(&cookie)));
        assert_eq!((n, new), (3, false), "{mpm:?}");
        let r = get(&httpd, "/sc/big?1000", Some(&cookie));
        assert_eq!(r.text(), "saved", "{mpm:?}");
        let log = httpd.error_log();
        assert!(!log.contains("Segmentation fault"), "{mpm:?}: {log}");
    }
}

#[test]
fn a_bad_socache_option_fails_start_up_with_its_name() {
    for mpm in MPMS {
        let attempt = |builder: harness::Builder, spec: &str| {
            let builder = builder
                .mpm(mpm)
                .module("python_module", harness::cdylib("mod_python"))
                .config(&format!("PythonOption {SOCACHE} \"{spec}\"\n"));
            match builder.try_start() {
                Ok(_) => panic!("{mpm:?}: httpd started with {spec:?}"),
                Err(e) => e,
            }
        };
        let e = attempt(shmcb(), "nosuch");
        assert!(
            e.contains(&format!("PythonOption {SOCACHE} \"nosuch\""))
                && e.contains("unknown socache provider \"nosuch\""),
            "{mpm:?}: {e}"
        );
        // The provider's module not loaded: the message names it.
        let e = attempt(Httpd::builder(), "shmcb");
        assert!(
            e.contains(&format!("PythonOption {SOCACHE} \"shmcb\""))
                && e.contains("LoadModule socache_shmcb_module"),
            "{mpm:?}: {e}"
        );
        // A bad argument, found by the provider when the cache is made.
        let e = attempt(shmcb(), "shmcb:@ROOT@/run/x(12)");
        assert!(
            e.contains(&format!("PythonOption {SOCACHE} \"")),
            "{mpm:?}: {e}"
        );
        assert!(e.contains("8192"), "{mpm:?}: {e}");
    }
    // A configuration test (httpd -t) finds an unknown provider too.
    let e = shmcb()
        .module("python_module", harness::cdylib("mod_python"))
        .config(&format!("<VirtualHost *:80>\nPythonOption {SOCACHE} \"memcache:localhost:11211\"\n</VirtualHost>\n"))
        .config_test()
        .expect_err("httpd -t accepted an unloaded provider");
    assert!(
        e.contains(&format!(
            "PythonOption {SOCACHE} \"memcache:localhost:11211\" (in the VirtualHost at"
        )) && e.contains("LoadModule socache_memcache_module"),
        "{e}"
    );
}
