//! The store stopped and started again, or hanging, mid-run: requests that need a session get
//! 503 and one error_log line naming the store, within the time limit, and are served again
//! once the store is back.

use super::*;
use std::time::{Duration, Instant};

const UNAVAILABLE: &str = "session store unavailable, answering 503";

/// The error_log lines that name `store`.
fn lines_naming(httpd: &Httpd, store: &Store) -> Vec<String> {
    let spec = store.spec();
    let log = httpd.error_log();
    log.lines()
        .filter(|l| l.contains(&spec))
        .map(String::from)
        .collect()
}

/// `GET path` must be answered 503 within `within`, with no new session cookie and exactly
/// one new error_log line naming the store, which says why.
fn unavailable(httpd: &Httpd, store: &Store, path: &str, cookies: &[&str], within: Duration) {
    let what = format!("{:?} {path} {cookies:?}", store.protocol());
    let before = lines_naming(httpd, store).len();
    let start = Instant::now();
    let r = get_port(httpd.port(), path, cookies);
    let took = start.elapsed();
    assert_eq!(r.status, 503, "{what}: {}\n{}", r.text(), httpd.error_log());
    assert!(took < within, "{what}: answered after {took:?}");
    assert_eq!(
        cookie(&r, "pysid"),
        None,
        "{what}: a new session was offered"
    );
    let lines = lines_naming(httpd, store);
    assert_eq!(lines.len(), before + 1, "{what}: {:#?}", &lines[before..]);
    assert!(
        lines[before].contains(UNAVAILABLE),
        "{what}: {}",
        lines[before]
    );
}

/// Requests `path` until `times` answers in a row are 200 (every child has found the store
/// again), at most for `within`; returns the last answer and how long it took.
fn until_served(
    httpd: &Httpd,
    path: &str,
    cookies: &[&str],
    within: Duration,
) -> (Response, Duration) {
    let start = Instant::now();
    let mut in_a_row = 0;
    loop {
        let r = get_port(httpd.port(), path, cookies);
        in_a_row = if r.status == 200 { in_a_row + 1 } else { 0 };
        if in_a_row == 5 {
            return (r, start.elapsed());
        }
        assert!(
            start.elapsed() < within,
            "{path}: still {} after {within:?}\n{}",
            r.status,
            httpd.error_log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn no_crash(httpd: &Httpd, what: &str) {
    let log = httpd.error_log();
    for bad in ["Traceback", "exit signal", "Segmentation"] {
        assert!(!log.contains(bad), "{what}: {bad}\n{log}");
    }
}

/// The store killed mid-run: reading a session (with its cookie), saving a new one and
/// invalidating one are each answered 503 at once, with one error_log line naming the store;
/// pages without sessions are served. Started again (empty, as a restarted memcached or a
/// redis without persistence is), it serves within a few seconds: APR-util tries a server
/// it found down again after 5 seconds.
#[test]
fn a_stopped_store_answers_503_until_it_is_started_again() {
    for mut store in each_store() {
        for mpm in [Mpm::Event, Mpm::Prefork] {
            let what = format!("{:?} {mpm:?}", store.protocol());
            let httpd = server(mpm, &store, "a", "");
            let pysid = cookie(&get_ok(&httpd, "/app/count", &[]), "pysid").unwrap();

            store.stop();
            let quick = Duration::from_secs(3);
            for (path, cookies) in [
                ("/app/peek", vec![pysid.as_str()]),
                ("/app/count", vec![pysid.as_str()]),
                ("/app/count", vec![]),
                ("/app/invalidate", vec![pysid.as_str()]),
            ] {
                unavailable(&httpd, &store, path, &cookies, quick);
            }
            assert_eq!(get_ok(&httpd, "/app/plain", &[]).text(), "plain server=a");

            store.restart();
            let (r, took) = until_served(&httpd, "/app/count", &[&pysid], Duration::from_secs(30));
            eprintln!("{what}: served again {took:?} after the restart");
            // The restarted store is empty: the cookie's session is gone, a new one began.
            let a = answer(&r);
            assert!(a.new && a.n == 1, "{what}: {a:?}");
            no_crash(&httpd, &what);
        }
    }
}

/// The store frozen (SIGSTOP: connections are accepted, nothing answers), with a time limit of
/// one second: requests that need a session get 503 within it, several at once too (of
/// different sessions: those of one session wait for each other's end, the session lock),
/// while pages without sessions are served; once the store runs again, the sessions it held
/// are there.
#[test]
fn a_store_that_hangs_is_given_up_on_at_the_time_limit() {
    for store in each_store() {
        for mpm in [Mpm::Event, Mpm::Prefork] {
            let what = format!("{:?} {mpm:?}", store.protocol());
            let httpd = server(mpm, &store, "a", &format!("PythonOption {TIMEOUT} 1\n"));
            // Sessions of several clients: requests of one session wait for each other (the
            // session lock), those of different sessions do not.
            let sessions: Vec<String> = (0..5)
                .map(|_| cookie(&get_ok(&httpd, "/app/count", &[]), "pysid").unwrap())
                .collect();
            let pysid = &sessions[0];

            store.pause();
            // A second of waiting for the store, and slack for a loaded machine.
            let within = Duration::from_millis(3500);
            unavailable(&httpd, &store, "/app/count", &[pysid], within);
            let started = Instant::now();
            let answers: Vec<(u16, Duration)> = std::thread::scope(|s| {
                let each: Vec<_> = sessions[1..]
                    .iter()
                    .map(|other| {
                        s.spawn(|| {
                            let r = get_port(httpd.port(), "/app/count", &[other]);
                            (r.status, started.elapsed())
                        })
                    })
                    .collect();
                each.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for (status, took) in &answers {
                assert_eq!(*status, 503, "{what}: {answers:?}");
                assert!(*took < within, "{what}: {answers:?}");
            }
            assert_eq!(get_ok(&httpd, "/app/plain", &[]).text(), "plain server=a");
            let log = lines_naming(&httpd, &store).join("\n");
            assert!(
                log.contains("the store did not answer within 1 s"),
                "{what}: {log}"
            );

            store.resume();
            let (r, took) = until_served(&httpd, "/app/peek", &[pysid], Duration::from_secs(30));
            eprintln!("{what}: served again {took:?} after the store resumed");
            // Nothing was lost: the session the store held is the cookie's again.
            let a = answer(&r);
            assert_eq!((a.n, a.new), (1, false), "{what}: {a:?}");
            no_crash(&httpd, &what);
        }
    }
}
