//! mod_counter on a real httpd: per-child state set up in child_init.

use harness::{Httpd, Mpm};
use std::collections::HashMap;

fn server(mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("counter_module", harness::cdylib("mod_counter"))
        .config("<Location /counter>\n    SetHandler counter\n</Location>\n")
        .start()
}

fn parse(t: &str) -> (u32, u64, i64) {
    let field = |k: &str| {
        t.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .unwrap()
            .to_string()
    };
    (
        field("pid=").parse().unwrap(),
        field("served=").parse().unwrap(),
        field("since=").parse().unwrap(),
    )
}

#[test]
fn each_child_counts_its_own_requests() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let mut last: HashMap<u32, u64> = HashMap::new();
        for _ in 0..40 {
            let (pid, served, since) = parse(&httpd.get("/counter").text());
            assert!(since > 0, "child_init ran in {pid} ({mpm:?})");
            // Within one child the count only goes up, by one per request it served.
            let prev = last.insert(pid, served).unwrap_or(0);
            assert!(served > prev, "{mpm:?} pid {pid}: {served} after {prev}");
        }
        let total: u64 = last.values().sum();
        assert_eq!(
            total, 40,
            "{mpm:?}: every request counted once, in the child that served it"
        );
    }
}

#[test]
fn counters_start_afresh_in_new_children_after_graceful_restart() {
    let httpd = server(Mpm::Prefork);
    for _ in 0..5 {
        httpd.get("/counter");
    }
    httpd.graceful_restart();
    // New children: child_init ran again, so each starts counting from one.
    let (_, served, _) = parse(&httpd.get("/counter").text());
    assert!(
        served <= 2,
        "a fresh child has served at most this request and the probe: {served}"
    );
}
