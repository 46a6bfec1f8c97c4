//! One httpd, its children sharing sessions through the store.

use super::*;
use std::collections::BTreeSet;

/// The seconds the store gives the session's entry before it expires it.
fn ttl_of(store: &Store, sid: &str) -> u64 {
    match store.ttl(&key_of(sid)).unwrap() {
        Some(Some(t)) => t,
        other => panic!("session {sid} in the store: {other:?}"),
    }
}

/// Under event and prefork: a counter kept in the store across requests served by several
/// children, each save giving the entry the session's timeout as its expiry (the shortest, one
/// second, too: it reached the providers as 0, which they refuse, before apache-rs rounded
/// it), and `invalidate()` removing the entry.
#[test]
fn the_store_keeps_a_session_for_every_child_and_expires_it_with_the_timeout() {
    for store in each_store() {
        for mpm in [Mpm::Event, Mpm::Prefork] {
            let what = format!("{:?} {mpm:?}", store.protocol());
            let httpd = server(mpm, &store, "a", "");
            let r = get_ok(&httpd, "/app/count", &[]);
            let first = answer(&r);
            assert_eq!((first.n, first.new), (1, true), "{what}");
            let pysid = cookie(&r, "pysid").expect("a new session sends its cookie");
            assert!(
                store.get(&key_of(&first.sid)).unwrap().is_some(),
                "{what}: the store holds the session"
            );
            // The default timeout, 30 minutes, is the entry's expiry.
            assert!(
                (1798..=1800).contains(&ttl_of(&store, &first.sid)),
                "{what}"
            );

            // Each request on a new connection; each child serves at most 5.
            let mut pids = BTreeSet::new();
            for n in 2..=12 {
                let a = answer(&get_ok(&httpd, "/app/count", &[&pysid]));
                assert_eq!((a.n, &a.sid, a.new), (n, &first.sid, false), "{what}");
                pids.insert(a.pid);
            }
            assert!(pids.len() >= 3, "{what}: served by {pids:?}");

            // A timeout set by the handler is the expiry of the next save.
            for timeout in [60, 2] {
                get_ok(&httpd, &format!("/app/count?{timeout}"), &[&pysid]);
                let ttl = ttl_of(&store, &first.sid);
                assert!(
                    ttl <= timeout && ttl + 2 >= timeout,
                    "{what}: timeout {timeout}, ttl {ttl}"
                );
            }

            // invalidate() removes the entry; the cookie then gives a new session.
            let r = get_ok(&httpd, "/app/invalidate", &[&pysid]);
            assert!(r.text().starts_with("gone"), "{what}");
            assert_eq!(store.get(&key_of(&first.sid)).unwrap(), None, "{what}");
            let a = answer(&get_ok(&httpd, "/app/peek", &[&pysid]));
            assert!(a.new && a.sid != first.sid, "{what}: {a:?}");

            // The shortest timeout SocacheSession gives (1 s) is stored.
            let a = answer(&get_ok(&httpd, "/app/count?1", &[]));
            assert!(ttl_of(&store, &a.sid) <= 1, "{what}");

            let log = httpd.error_log();
            assert!(!log.contains("Traceback"), "{what}: {log}");
        }
    }
}

/// `PythonOption mod_python.session.socache_timeout` must be a number of seconds; anything
/// else fails a configuration test with the option's name.
#[test]
fn a_bad_socache_timeout_fails_the_configuration_test() {
    if let Some(why) = stores::missing(Protocol::Memcache) {
        eprintln!("skipped: {why}");
        return;
    }
    let (module, file) = Protocol::Memcache.module();
    let e = Httpd::builder()
        .system_module(module, file)
        .module("python_module", harness::cdylib("mod_python"))
        .config(&format!(
            "PythonOption {SOCACHE} \"memcache:127.0.0.1:1\"\nPythonOption {TIMEOUT} soon\n"
        ))
        .config_test()
        .expect_err("httpd -t accepted a timeout that is not a number");
    assert!(
        e.contains(&format!(
            "PythonOption {TIMEOUT} \"soon\" is not a number of seconds"
        )),
        "{e}"
    );
}
