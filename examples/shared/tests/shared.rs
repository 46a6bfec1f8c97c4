//! mod_shared on a real httpd: a socache and global mutexes shared by every child process.

use harness::stores::{self, Protocol, Store};
use harness::{Builder, Httpd, Mpm};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const LOCATION: &str = "<Location /shared>\n    SetHandler shared\n</Location>\n";

fn builder(mpm: Mpm) -> Builder {
    Httpd::builder()
        .mpm(mpm)
        .module("shared_module", harness::cdylib("mod_shared"))
        .system_module("socache_shmcb_module", "mod_socache_shmcb.so")
        .config(LOCATION)
}

/// Several children, replaced often: every child must attach in child_init.
fn many_children(mpm: Mpm) -> &'static str {
    match mpm {
        Mpm::Prefork => {
            "StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\nMaxConnectionsPerChild 15\n"
        }
        _ => "StartServers 3\nMaxConnectionsPerChild 15\n",
    }
}

fn parse_count(text: &str) -> (u64, u32) {
    let mut words = text.split_whitespace();
    let n = words.next().and_then(|w| w.parse().ok());
    let pid = words
        .next()
        .and_then(|w| w.strip_prefix("pid="))
        .and_then(|p| p.parse().ok());
    match (n, pid) {
        (Some(n), Some(pid)) => (n, pid),
        _ => panic!("unexpected counter answer {text:?}"),
    }
}

/// `threads` clients each send `per_thread` increments of one counter at once (half with the
/// guard, half with explicit acquire/release); every answer must be a different number and
/// together exactly 1..=total.
fn hammer(httpd: &Httpd, name: &str, threads: usize, per_thread: usize) -> BTreeSet<u32> {
    let answers: Vec<(u64, u32)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let path = if t % 2 == 0 {
                        format!("/shared/counter/{name}")
                    } else {
                        format!("/shared/counter/{name}?explicit")
                    };
                    (0..per_thread)
                        .map(|_| {
                            let resp = httpd.get(&path);
                            assert_eq!(resp.status, 200, "{}", httpd.error_log());
                            parse_count(&resp.text())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let total = (threads * per_thread) as u64;
    let mut counts: Vec<u64> = answers.iter().map(|(n, _)| *n).collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=total).collect::<Vec<_>>(),
        "no increment lost or repeated"
    );
    let last = httpd.get(&format!("/shared/kv/counter:{name}"));
    assert_eq!(last.text(), total.to_string());
    answers.iter().map(|(_, pid)| *pid).collect()
}

#[test]
fn counter_is_exact_across_prefork_children() {
    let httpd = builder(Mpm::Prefork)
        .config(many_children(Mpm::Prefork))
        .start();
    let pids = hammer(&httpd, "prefork", 8, 25);
    assert!(
        pids.len() >= 4,
        "several processes served the requests: {pids:?}"
    );
    assert!(
        !httpd.error_log().contains("[error]"),
        "{}",
        httpd.error_log()
    );
}

#[test]
fn counter_is_exact_across_threads_and_children() {
    for mpm in [Mpm::Event, Mpm::Worker] {
        let httpd = builder(mpm).config("MaxConnectionsPerChild 60\n").start();
        let pids = hammer(&httpd, mpm.name(), 12, 20);
        assert!(
            pids.len() >= 2,
            "{mpm:?}: several children served: {pids:?}"
        );
        assert!(
            !httpd.error_log().contains("[error]"),
            "{mpm:?}: {}",
            httpd.error_log()
        );
    }
}

#[test]
fn file_based_mutexes_work_once_children_attach() {
    // flock needs apr_global_mutex_child_init in every child to reopen its lock file.
    for mpm in [Mpm::Prefork, Mpm::Event] {
        let httpd = builder(mpm)
            .config(many_children(mpm))
            .config("Mutex flock:@ROOT@/run shared-cache shared-lock\n")
            .start();
        hammer(&httpd, "flock", 6, 20);
        assert!(
            std::fs::read_dir(httpd.root().join("run"))
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("shared-lock-0")),
            "{mpm:?}: the lock files are where the Mutex directive put them"
        );
    }
}

#[test]
fn dbm_provider_is_chosen_by_directive() {
    let httpd = builder(Mpm::Event)
        .system_module("socache_dbm_module", "mod_socache_dbm.so")
        .config("SharedCache dbm:@ROOT@/run/shared-cache\n")
        .start();
    hammer(&httpd, "dbm", 6, 10);
    // dbm takes entries of about 1 KB at most: a bigger one is an error, not a crash.
    let big = vec![b'd'; 2000];
    assert_eq!(
        httpd.request("PUT", "/shared/kv/big-dbm", &[], &big).status,
        500
    );
    assert!(httpd.error_log().contains("cannot store 2000 bytes"));
    assert_eq!(httpd.get("/shared/kv/big-dbm").status, 404);
    let small = vec![b'd'; 900];
    assert_eq!(
        httpd
            .request("PUT", "/shared/kv/small-dbm", &[], &small)
            .status,
        201
    );
    assert_eq!(httpd.get("/shared/kv/small-dbm").body, small);
    assert!(
        httpd.root().join("run/shared-cache.pag").exists()
            || httpd.root().join("run/shared-cache.db").exists()
            || httpd.root().join("run/shared-cache").exists(),
        "the dbm file is in use"
    );
}

#[test]
fn store_retrieve_remove_and_list() {
    let httpd = builder(Mpm::Event).start();
    assert_eq!(httpd.get("/shared/kv/missing-key").status, 404);
    let put = httpd.request("PUT", "/shared/kv/greeting", &[], b"hello\0world");
    assert_eq!(put.status, 201, "{}", httpd.error_log());
    let got = httpd.get("/shared/kv/greeting");
    assert_eq!(got.status, 200);
    assert_eq!(got.body, b"hello\0world");
    // A value larger than the first read buffer comes back whole.
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        httpd
            .request("PUT", "/shared/kv/big-value", &[], &big)
            .status,
        201
    );
    assert_eq!(httpd.get("/shared/kv/big-value").body, big);
    httpd.get("/shared/counter/listed");
    let list = httpd.get("/shared/kv").text();
    assert_eq!(
        list, "big-value 10000\ncounter:listed 1\ngreeting 11\n",
        "iterate sees every entry"
    );
    assert_eq!(
        httpd
            .request("DELETE", "/shared/kv/greeting", &[], b"")
            .status,
        200
    );
    assert_eq!(httpd.get("/shared/kv/greeting").status, 404);
    assert_eq!(
        httpd
            .request("DELETE", "/shared/kv/greeting", &[], b"")
            .status,
        404
    );
}

#[test]
fn bad_values_get_clear_errors() {
    let httpd = builder(Mpm::Event).start();
    // Past the cache's 64 KiB limit: refused with a message, never a crash.
    let huge = vec![b'x'; 70_000];
    assert_eq!(
        httpd
            .request("PUT", "/shared/kv/huge-value", &[], &huge)
            .status,
        500
    );
    // shmcb cannot take keys shorter than 4 bytes.
    assert_eq!(httpd.request("PUT", "/shared/kv/ab", &[], b"v").status, 500);
    let log = httpd.error_log();
    assert!(
        log.contains("a value of 70000 bytes is longer than the cache's limit of 65536"),
        "{log}"
    );
    assert!(
        log.contains("shmcb needs keys of at least 4 bytes"),
        "{log}"
    );
    // Still serving.
    assert_eq!(
        httpd.get("/shared/counter/after").text().split(' ').next(),
        Some("1")
    );
}

#[test]
fn provider_argument_is_passed_on() {
    // The default shmcb (512000 bytes) has no room for a 20000-byte entry; a bigger one does.
    let value = vec![b'v'; 20_000];
    let small = builder(Mpm::Event).start();
    assert_eq!(
        small.request("PUT", "/shared/kv/large", &[], &value).status,
        500
    );
    assert!(
        small.error_log().contains("cannot store 20000 bytes"),
        "{}",
        small.error_log()
    );
    let big = builder(Mpm::Event)
        .config("SharedCache shmcb:@ROOT@/run/shared-shm(2048000)\n")
        .start();
    assert_eq!(
        big.request("PUT", "/shared/kv/large", &[], &value).status,
        201
    );
    assert_eq!(big.get("/shared/kv/large").body, value);
}

#[test]
fn bad_provider_argument_fails_configuration() {
    let err = builder(Mpm::Event)
        .config("SharedCache shmcb:@ROOT@/run/shm(12)\n")
        .try_start()
        .err()
        .expect("httpd must refuse to start");
    assert!(
        err.contains("socache \"shmcb:") && err.contains("(12)\": "),
        "{err}"
    );
}

#[test]
fn values_expire() {
    let httpd = builder(Mpm::Prefork).start();
    let put = httpd.request(
        "PUT",
        "/shared/kv/short-lived?ttl_ms=1500",
        &[],
        b"soon gone",
    );
    assert_eq!(put.status, 201);
    assert_eq!(httpd.get("/shared/kv/short-lived").text(), "soon gone");
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(httpd.get("/shared/kv/short-lived").status, 404, "expired");
    let list = httpd.get("/shared/kv").text();
    assert!(
        !list.contains("short-lived"),
        "iterate skips expired entries: {list}"
    );
}

#[test]
fn unknown_provider_fails_configuration() {
    let err = builder(Mpm::Event)
        .config("SharedCache nosuch:/tmp/x\n")
        .try_start()
        .err()
        .expect("httpd must refuse to start");
    assert!(
        err.contains("unknown socache provider \"nosuch\"")
            && err.contains("LoadModule socache_nosuch_module"),
        "{err}"
    );
}

#[test]
fn unregistered_socache_module_fails_configuration() {
    // memcache is a real provider, but its module is not loaded here.
    let err = builder(Mpm::Event)
        .config("SharedCache memcache:127.0.0.1:11211\n")
        .try_start()
        .err()
        .expect("httpd must refuse to start");
    assert!(
        err.contains("unknown socache provider \"memcache\""),
        "{err}"
    );
}

/// The answer to `GET /shared/lock/<i>?try`.
fn try_lock(httpd: &Httpd, i: usize) -> String {
    httpd.get(&format!("/shared/lock/{i}?try")).text()
}

#[test]
fn locks_exclude_other_processes_and_threads() {
    for mpm in [Mpm::Prefork, Mpm::Event] {
        let httpd = builder(mpm).start();
        assert_eq!(try_lock(&httpd, 1), "free\n");
        std::thread::scope(|s| {
            let holder = s.spawn(|| httpd.get("/shared/lock/1?hold_ms=1500").text());
            // Wait until the holder has the lock.
            let deadline = Instant::now() + Duration::from_secs(5);
            while try_lock(&httpd, 1) != "busy\n" {
                assert!(Instant::now() < deadline, "{mpm:?}: lock 1 never held");
                std::thread::sleep(Duration::from_millis(20));
            }
            assert_eq!(
                try_lock(&httpd, 2),
                "free\n",
                "{mpm:?}: other locks stay free"
            );
            // A blocking lock waits for the holder instead of failing.
            let started = Instant::now();
            let waited = httpd.get("/shared/lock/1?hold_ms=1");
            assert_eq!(waited.text(), "held\n");
            assert!(
                started.elapsed() > Duration::from_millis(200),
                "{mpm:?}: waited"
            );
            assert_eq!(holder.join().unwrap(), "held\n");
        });
        assert_eq!(
            try_lock(&httpd, 1),
            "free\n",
            "{mpm:?}: released by the guard"
        );
    }
}

#[test]
fn misuse_of_locks_is_an_error_not_a_hang() {
    let httpd = builder(Mpm::Event).config("SharedLocks 3\n").start();
    let twice = httpd.get("/shared/lock/0?twice").text();
    assert!(twice.contains("already held by this thread"), "{twice}");
    let release = httpd.get("/shared/lock/0?release").text();
    assert!(release.contains("not held by this thread"), "{release}");
    assert_eq!(try_lock(&httpd, 0), "free\n");
    let out_of_range = httpd.get("/shared/lock/3?try");
    assert_eq!(out_of_range.status, 500);
    assert!(
        httpd
            .error_log()
            .contains("no global mutex 3: the set has 3 (0 to 2)")
    );
}

#[test]
fn bad_lock_count_is_a_config_error() {
    let err = builder(Mpm::Event)
        .config("SharedLocks 0\n")
        .try_start()
        .err()
        .expect("refused");
    assert!(
        err.contains("SharedLocks: \"0\" is not a number from 1 to 256"),
        "{err}"
    );
}

#[test]
fn graceful_restart_starts_a_new_empty_cache() {
    for mpm in [Mpm::Prefork, Mpm::Event] {
        let httpd = builder(mpm).start();
        for n in 1..=3 {
            assert_eq!(
                parse_count(&httpd.get("/shared/counter/restart").text()).0,
                n
            );
        }
        // A request of the old generation holds a lock across the restart: its child keeps
        // the old mutex (and cache) until it exits, and the request ends normally.
        std::thread::scope(|s| {
            let holder = s.spawn(|| httpd.get("/shared/lock/1?hold_ms=1500"));
            let deadline = Instant::now() + Duration::from_secs(5);
            while try_lock(&httpd, 1) != "busy\n" {
                assert!(Instant::now() < deadline, "{mpm:?}: lock 1 never held");
                std::thread::sleep(Duration::from_millis(20));
            }
            httpd.graceful_restart();
            // The new generation's lock 1 is another mutex: free while the old one is held.
            // (An old idle child may still take a connection or two right after the restart.)
            while try_lock(&httpd, 1) != "free\n" {
                assert!(Instant::now() < deadline, "{mpm:?}: new lock 1 never free");
                std::thread::sleep(Duration::from_millis(20));
            }
            assert!(
                !holder.is_finished(),
                "{mpm:?}: seen free while the old one was held"
            );
            let old = holder.join().unwrap();
            assert_eq!(
                (old.status, old.text().as_str()),
                (200, "held\n"),
                "{mpm:?}"
            );
        });
        // The old cache was destroyed with the old configuration pool; the new generation's
        // cache starts empty, and its mutexes work in the new children.
        assert_eq!(
            parse_count(&httpd.get("/shared/counter/restart").text()).0,
            1,
            "{mpm:?}"
        );
        hammer(&httpd, "after-restart", 4, 10);
        assert!(
            !httpd.error_log().contains("[error]"),
            "{mpm:?}: {}",
            httpd.error_log()
        );
    }
}

#[test]
fn a_panic_inside_iterate_leaves_the_cache_unlocked() {
    let httpd = builder(Mpm::Event).start();
    httpd.get("/shared/counter/before");
    assert_eq!(httpd.get("/shared/kv?panic").status, 500);
    assert!(
        httpd.error_log().contains("panic while listing, as asked"),
        "{}",
        httpd.error_log()
    );
    // The cache's mutex was released on the way out: every use still works.
    assert_eq!(httpd.get("/shared/kv").text(), "counter:before 1\n");
    hammer(&httpd, "after-panic", 4, 5);
}

#[test]
fn a_child_that_skips_child_init_gets_an_error() {
    for mpm in [Mpm::Prefork, Mpm::Event] {
        let httpd = builder(mpm).config("SharedAttach Off\n").start();
        let resp = httpd.get("/shared/counter/unattached");
        assert_eq!(resp.status, 500, "{mpm:?}");
        let log = httpd.error_log();
        assert!(
            log.contains("global mutex shared-lock-") && log.contains("without child_init"),
            "{mpm:?}: {log}"
        );
        assert_eq!(httpd.get("/shared/lock/0?try").status, 500, "{mpm:?}");
    }
}

/// A server whose cache is `store`, with `extra` configuration.
fn on_store(mpm: Mpm, store: &Store, extra: &str) -> Httpd {
    let (module, file) = store.protocol().module();
    builder(mpm)
        .system_module(module, file)
        .config(&format!("SharedCache {}\n{extra}", store.spec()))
        .config(many_children(mpm))
        .start()
}

/// The stores this machine can run, each started afresh; the others are skipped, saying why.
fn each_store() -> impl Iterator<Item = Store> {
    Protocol::ALL.into_iter().filter_map(stores::start_or_skip)
}

/// The key mod_shared's entry `key` has in a memcached or redis server.
fn server_key(key: &str) -> String {
    stores::socache_key("mod_shared", key.as_bytes())
}

/// The memcache and redis providers (each its own httpd module), on real servers: values
/// stored by one child are read by others and are in the server under the cache's namespace,
/// with their time to live; a missing key is a 404 (the server answered); the counter stays
/// exact under the global mutexes; listing is refused with 501, as neither can iterate.
#[test]
fn memcache_and_redis_keep_the_cache_in_their_servers() {
    for store in each_store() {
        let provider = store.protocol().provider();
        for mpm in [Mpm::Event, Mpm::Prefork] {
            let httpd = on_store(mpm, &store, "");
            let what = format!("{provider} {mpm:?}");
            let put = httpd.request(
                "PUT",
                "/shared/kv/greeting?ttl_ms=60000",
                &[],
                b"hello\0there",
            );
            assert_eq!(put.status, 201, "{what}: {}", httpd.error_log());
            let key = server_key("greeting");
            assert_eq!(
                store.get(&key).unwrap().as_deref(),
                Some(&b"hello\0there"[..]),
                "{what}"
            );
            assert!(
                matches!(store.ttl(&key).unwrap(), Some(Some(59 | 60))),
                "{what}"
            );
            for _ in 0..5 {
                assert_eq!(
                    httpd.get("/shared/kv/greeting").body,
                    b"hello\0there",
                    "{what}"
                );
            }
            assert_eq!(
                httpd
                    .request("DELETE", "/shared/kv/greeting", &[], b"")
                    .status,
                200,
                "{what}"
            );
            assert_eq!(store.get(&key).unwrap(), None, "{what}");
            assert_eq!(httpd.get("/shared/kv/greeting").status, 404, "{what}");
            assert_eq!(
                httpd
                    .request("DELETE", "/shared/kv/greeting", &[], b"")
                    .status,
                404,
                "{what}"
            );
            // A counter of its own: the store outlives each server, and keeps the last one's.
            hammer(&httpd, &format!("{provider}-{}", mpm.name()), 4, 8);
            assert_eq!(httpd.get("/shared/kv").status, 501, "{what}");
            assert!(
                httpd
                    .error_log()
                    .contains(&format!("{provider} cannot list its entries")),
                "{what}: {}",
                httpd.error_log()
            );
        }
    }
}

/// A stopped store: reads (a missing key too, which the provider cannot tell from an
/// unreachable server without trying one), writes and removals fail with 503 and a message
/// naming the store; the same requests succeed again, in every child, once it runs again.
#[test]
fn an_unreachable_store_is_a_503_not_a_miss() {
    for mut store in each_store() {
        let httpd = on_store(Mpm::Event, &store, "");
        let what = format!("{:?}", store.protocol());
        assert_eq!(httpd.get("/shared/kv/never-stored").status, 404, "{what}");
        store.stop();
        for (method, path) in [
            ("GET", "/shared/kv/never-stored"),
            ("PUT", "/shared/kv/greeting"),
            ("DELETE", "/shared/kv/greeting"),
            ("GET", "/shared/kv/never-stored"),
        ] {
            let r = httpd.request(method, path, &[], b"x");
            assert_eq!(r.status, 503, "{what}: {method} {path}");
        }
        assert!(
            httpd
                .error_log()
                .contains(&format!("socache {}: cannot", store.spec())),
            "{what}: {}",
            httpd.error_log()
        );
        store.restart();
        // Each child finds the store again on its own (within the 5 s APR-util waits before it
        // tries a failed server): until then, the same requests are still 503.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut in_a_row = 0;
        while in_a_row < 5 {
            let served = httpd.get("/shared/kv/never-stored").status == 404
                && httpd
                    .request("PUT", "/shared/kv/greeting", &[], b"back")
                    .status
                    == 201
                && httpd.get("/shared/kv/greeting").body == b"back";
            in_a_row = if served { in_a_row + 1 } else { 0 };
            assert!(Instant::now() < deadline, "{what}: {}", httpd.error_log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `SharedCacheTimeout` (`CacheBuilder::timeout`) bounds each call: with the store frozen
/// (SIGSTOP), a read fails with 503 after the limit instead of waiting for ever, which is what
/// the providers alone do; other requests are served meanwhile, and once the store runs again
/// the value it held is read.
#[test]
fn a_timeout_bounds_every_call_to_a_store_that_hangs() {
    for store in each_store() {
        for mpm in [Mpm::Event, Mpm::Prefork] {
            let httpd = on_store(mpm, &store, "SharedCacheTimeout 0.5\n");
            let what = format!("{:?} {mpm:?}", store.protocol());
            let put = httpd.request("PUT", "/shared/kv/kept", &[], b"still here");
            assert_eq!(put.status, 201, "{what}");
            store.pause();
            for _ in 0..3 {
                let start = Instant::now();
                let r = httpd.get("/shared/kv/kept");
                assert_eq!(r.status, 503, "{what}");
                assert!(start.elapsed() < Duration::from_secs(3), "{what}");
            }
            assert_eq!(httpd.get("/shared/lock/0?try").text(), "free\n", "{what}");
            let log = httpd.error_log();
            assert!(
                log.contains("the store did not answer within 0.5 s"),
                "{what}: {log}"
            );
            store.resume();
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let r = httpd.get("/shared/kv/kept");
                if r.status == 200 {
                    assert_eq!(r.body, b"still here", "{what}");
                    break;
                }
                assert!(Instant::now() < deadline, "{what}: {}", httpd.error_log());
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

#[test]
fn a_bad_timeout_is_a_config_error() {
    let err = builder(Mpm::Event)
        .config("SharedCacheTimeout soon\n")
        .try_start()
        .err()
        .expect("httpd must refuse to start");
    assert!(
        err.contains("SharedCacheTimeout: \"soon\" is not a number"),
        "{err}"
    );
}
