//! CPU-bound Python that tells whether two requests ran at the same time: the handler module
//! and the client side shared by the tests of own-GIL interpreters and of free-threading.

use harness::Httpd;
use std::time::Duration;

/// `work(seconds, flag)`: pure-Python work for `seconds` of this thread's CPU time, between two
/// readings of the one clock of the machine (`time.monotonic()`, the same in every interpreter
/// and process), answered as `start end cpu flag`. The switch interval is made longer than the
/// work: a thread waiting for the same GIL then gets it only once the work is done, so two runs
/// overlap in time only if they do not share a GIL.
pub const WORK: &str = r#"
import sys, time

def work(seconds, flag):
    sys.setswitchinterval(60)
    start = time.monotonic()
    cpu = time.thread_time()
    n = 0
    while time.thread_time() - cpu < seconds:
        for i in range(2000):
            n += i * i
    used = time.thread_time() - cpu
    return '%.6f %.6f %.6f %s' % (start, time.monotonic(), used, flag)
"#;

/// One run of [`WORK`]: when it started and ended, the CPU time it used, and its flag.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub start: f64,
    pub end: f64,
    pub cpu: f64,
    pub flag: bool,
}

impl Run {
    pub fn parse(text: &str) -> Run {
        let f: Vec<&str> = text.split(' ').collect();
        assert_eq!(f.len(), 4, "{text:?}");
        Run {
            start: f[0].parse().unwrap(),
            end: f[1].parse().unwrap(),
            cpu: f[2].parse().unwrap(),
            flag: f[3] == "True",
        }
    }
}

/// Runs the work at `a` and, a moment later, at `b` (each given `?seconds`), from two client
/// threads at once.
pub fn pair(httpd: &Httpd, a: &str, b: &str, seconds: f64) -> (Run, Run) {
    std::thread::scope(|s| {
        let first = s.spawn(|| httpd.get(&format!("{a}?{seconds}")));
        // The second starts while the first is surely working.
        std::thread::sleep(Duration::from_millis(300));
        let second = s.spawn(|| httpd.get(&format!("{b}?{seconds}")));
        let (ra, rb) = (first.join().unwrap(), second.join().unwrap());
        assert_eq!((ra.status, rb.status), (200, 200), "{}", httpd.error_log());
        (Run::parse(&ra.text()), Run::parse(&rb.text()))
    })
}

/// Seconds during which both runs were working.
pub fn overlap(a: Run, b: Run) -> f64 {
    (a.end.min(b.end) - a.start.max(b.start)).max(0.0)
}
