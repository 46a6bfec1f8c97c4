//! Two httpd on one store, behind a third running mod_proxy_balancer: what the docs' "Scaling
//! out" chapter configures.

use super::*;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The MPMs of the two servers: different ones, so each store is shown across kinds.
fn mpms(protocol: Protocol) -> (Mpm, Mpm) {
    match protocol {
        Protocol::Memcache => (Mpm::Event, Mpm::Prefork),
        Protocol::Redis => (Mpm::Worker, Mpm::Event),
    }
}

/// The balancer in front of `a` and `b`: `/spread/` sends each request to the next of them
/// (byrequests), `/sticky/` keeps a client on the server of its first request (the
/// `ROUTEID` cookie). Both map to the servers' `/app/`.
fn balancer(a: &Httpd, b: &Httpd) -> Httpd {
    let members = |name: &str| {
        format!(
            "<Proxy \"balancer://{name}\">\n    \
             BalancerMember \"http://127.0.0.1:{}\" route=a\n    \
             BalancerMember \"http://127.0.0.1:{}\" route=b\n",
            a.port(),
            b.port()
        )
    };
    let conf = format!(
        "{}    ProxySet lbmethod=byrequests\n</Proxy>\n\
         {}    ProxySet stickysession=ROUTEID\n</Proxy>\n\
         Header add Set-Cookie \"ROUTEID=.%{{BALANCER_WORKER_ROUTE}}e; path=/sticky\" \
         env=BALANCER_ROUTE_CHANGED\n\
         ProxyPass \"/spread/\" \"balancer://spread/app/\"\n\
         ProxyPass \"/sticky/\" \"balancer://sticky/app/\"\n",
        members("spread"),
        members("sticky")
    );
    Httpd::builder()
        .system_module("proxy_module", "mod_proxy.so")
        .system_module("proxy_http_module", "mod_proxy_http.so")
        .system_module("proxy_balancer_module", "mod_proxy_balancer.so")
        .system_module("lbmethod_byrequests_module", "mod_lbmethod_byrequests.so")
        .system_module("slotmem_shm_module", "mod_slotmem_shm.so")
        .system_module("headers_module", "mod_headers.so")
        .config(&conf)
        .start()
}

/// Two servers `a` and `b` on `store`, writing their marks (see `hold`) in `marks`.
fn pair(store: &Store, marks: &Path) -> (Httpd, Httpd) {
    let (mpm_a, mpm_b) = mpms(store.protocol());
    let extra = format!("PythonOption marks {}\n", marks.display());
    let a = server(mpm_a, store, "a", &extra);
    let b = server(mpm_b, store, "b", &extra);
    (a, b)
}

/// A session written through one server is read through the other, directly and through
/// the balancer; it expires when the store expires its entry (a save through either server
/// gives the entry its full timeout again); `invalidate()` through one ends it for both.
#[test]
fn two_servers_share_sessions_through_the_store() {
    for store in each_store() {
        let what = format!("{:?}", store.protocol());
        let marks = SharedDir::new("marks");
        let (a, b) = pair(&store, marks.path());
        let front = balancer(&a, &b);

        // Directly: written through a, read and written through b, read through a.
        let r = get_ok(&a, "/app/count", &[]);
        let pysid = cookie(&r, "pysid").unwrap();
        let sid = answer(&r).sid;
        let seen = answer(&get_ok(&b, "/app/peek", &[&pysid]));
        assert_eq!((seen.n, &seen.sid, seen.new), (1, &sid, false), "{what}");
        assert_eq!(seen.server, "b");
        assert_eq!(answer(&get_ok(&b, "/app/count", &[&pysid])).n, 2, "{what}");
        assert_eq!(answer(&get_ok(&a, "/app/peek", &[&pysid])).n, 2, "{what}");

        // Through the balancer, which spreads the requests over both.
        let mut servers = BTreeSet::new();
        for n in 3..=10 {
            let a = answer(&get_ok(&front, "/spread/count", &[&pysid]));
            assert_eq!((a.n, &a.sid), (n, &sid), "{what}");
            servers.insert(a.server);
        }
        assert_eq!(servers.len(), 2, "{what}: only {servers:?} served");

        // Expiry is the store's: a session of 3 seconds, read through b while the store
        // holds it, is new to both servers from the moment the store has dropped it.
        let r = get_ok(&a, "/app/count?3", &[]);
        let (short, short_sid) = (cookie(&r, "pysid").unwrap(), answer(&r).sid);
        assert!(!answer(&get_ok(&b, "/app/peek", &[&short])).new, "{what}");
        let deadline = Instant::now() + Duration::from_secs(8);
        while store.get(&key_of(&short_sid)).unwrap().is_some() {
            assert!(
                Instant::now() < deadline,
                "{what}: the store kept the entry"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for httpd in [&a, &b] {
            let again = answer(&get_ok(httpd, "/app/peek", &[&short]));
            assert!(again.new && again.sid != short_sid, "{what}: {again:?}");
        }
        // A save through the other server gives the entry its whole timeout again (memcached
        // counts whole seconds of its own clock: a second either way).
        let r = get_ok(&a, "/app/count?10", &[]);
        let (renewed, renewed_sid) = (cookie(&r, "pysid").unwrap(), answer(&r).sid);
        std::thread::sleep(Duration::from_secs(3));
        let left = |when| match store.ttl(&key_of(&renewed_sid)).unwrap() {
            Some(Some(t)) => t,
            other => panic!("{what} {when}: {other:?}"),
        };
        assert!(left("before") <= 8, "{what}");
        assert_eq!(answer(&get_ok(&b, "/app/count", &[&renewed])).n, 2);
        assert!(left("after") >= 9, "{what}");

        // invalidate() through b ends the session for a too.
        let r = get_ok(&a, "/app/count", &[]);
        let (ended, ended_sid) = (cookie(&r, "pysid").unwrap(), answer(&r).sid);
        assert!(
            get_ok(&b, "/app/invalidate", &[&ended])
                .text()
                .starts_with("gone")
        );
        assert_eq!(store.get(&key_of(&ended_sid)).unwrap(), None, "{what}");
        let after = answer(&get_ok(&a, "/app/peek", &[&ended]));
        assert!(after.new && after.sid != ended_sid, "{what}: {after:?}");

        for httpd in [&a, &b] {
            let log = httpd.error_log();
            assert!(!log.contains("Traceback"), "{what}: {log}");
        }
    }
}

/// What `hold` answered: when it held the session, whether it saw the other's mark, where.
#[derive(Debug)]
struct Held {
    entered: f64,
    left: f64,
    saw: bool,
    server: String,
}

fn held(r: &Response) -> Held {
    let text = r.text();
    assert_eq!(r.status, 200, "{text}");
    let get = |name| field(&text, name).unwrap_or_else(|| panic!("{name} in {text:?}"));
    Held {
        entered: get("entered").parse().unwrap(),
        left: get("left").parse().unwrap(),
        saw: get("saw") == "True",
        server: get("server").to_string(),
    }
}

/// Two requests of one session at once, the first to `one` (port), the second to `other` a
/// moment later, each holding the session up to `wait` seconds; `tag` names their marks.
fn hold_both(
    (one, other): (u16, u16),
    cookies: &[&str],
    tag: &str,
    wait: u32,
    prefix: &str,
) -> (Held, Held) {
    let (m1, m2) = (format!("{tag}-1"), format!("{tag}-2"));
    std::thread::scope(|s| {
        let first = s.spawn(|| {
            held(&get_port(
                one,
                &format!("{prefix}hold?{m1},{m2},{wait}"),
                cookies,
            ))
        });
        std::thread::sleep(Duration::from_millis(100));
        let second = s.spawn(|| {
            held(&get_port(
                other,
                &format!("{prefix}hold?{m2},{m1},{wait}"),
                cookies,
            ))
        });
        (first.join().unwrap(), second.join().unwrap())
    })
}

fn overlap(x: &Held, y: &Held) -> bool {
    x.entered < y.left && y.entered < x.left
}

/// `lock()` is a global lock of one httpd: it keeps two requests of one session apart within
/// a server (whichever children serve them), not across servers, which hold the session at
/// the same time. A balancer that keeps a client on one server (`stickysession`) makes the
/// lock hold for every request of the session again.
#[test]
fn the_session_lock_holds_within_one_server_and_with_sticky_balancing() {
    for store in each_store() {
        let what = format!("{:?}", store.protocol());
        let marks = SharedDir::new("marks");
        let (a, b) = pair(&store, marks.path());
        let front = balancer(&a, &b);
        let pysid = cookie(&get_ok(&a, "/app/count", &[]), "pysid").unwrap();

        // Through a and b at once: both hold the session, each sees the other's mark.
        let (x, y) = hold_both((a.port(), b.port()), &[&pysid], "across", 10, "/app/");
        assert!(x.saw && y.saw && overlap(&x, &y), "{what}: {x:?} {y:?}");
        assert_eq!((x.server.as_str(), y.server.as_str()), ("a", "b"));

        // Twice through a: one after the other.
        let (x, y) = hold_both((a.port(), a.port()), &[&pysid], "within", 3, "/app/");
        assert!(!overlap(&x, &y), "{what}: {x:?} {y:?}");
        assert!(!(x.saw && y.saw), "{what}: {x:?} {y:?}");

        // Through the sticky balancer: both go to the server of the session's first request.
        let r = get_ok(&front, "/sticky/count", &[]);
        let (pysid, route) = (cookie(&r, "pysid").unwrap(), cookie(&r, "ROUTEID").unwrap());
        let home = answer(&r).server;
        assert_eq!(route, format!("ROUTEID=.{home}"), "{what}");
        let port = front.port();
        let (x, y) = hold_both((port, port), &[&pysid, &route], "sticky", 3, "/sticky/");
        assert_eq!((&x.server, &y.server), (&home, &home), "{what}");
        assert!(!overlap(&x, &y), "{what}: {x:?} {y:?}");
    }
}
