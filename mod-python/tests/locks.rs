//! mod_python's global locks (`_apache._global_lock` and friends): mutual exclusion between
//! the children of a prefork server and the threads of an event server.

use harness::{Httpd, Mpm};

const HANDLERS: &str = r#"
from mod_python import apache, _apache
import os, time

def count(req):
    # Time spent holding the lock, on the system-wide monotonic clock: intervals of different
    # requests (processes, threads) must never overlap.
    _apache._global_lock(req.server, 'counter')
    try:
        start = time.monotonic()
        time.sleep(0.003)
        end = time.monotonic()
    finally:
        _apache._global_unlock(req.server, 'counter')
    req.write('%.6f %.6f %d' % (start, end, os.getpid()))
    return apache.OK

def hold(req):
    # Holds the lock from when it makes the flag file until the test removes it (10 s at most),
    # so the test probes while the lock is surely held, however slow the machine.
    flag = os.path.join(os.path.dirname(__file__), 'flags', 'held')
    _apache._global_lock(req.server, None, 3)
    try:
        open(flag, 'w').close()
        deadline = time.monotonic() + 10
        while os.path.exists(flag) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        _apache._global_unlock(req.server, None, 3)
    req.write('held')
    return apache.OK

def probe(req):
    got = _apache._global_trylock(req.server, None, 3)
    if got:
        _apache._global_unlock(req.server, None, 3)
    req.write('free' if got else 'busy')
    return apache.OK

def misuse(req):
    out = []
    for call in (lambda: _apache._global_unlock(req.server, None, 2),
                 lambda: _apache._global_lock(req.server, None, 99),
                 lambda: _apache._global_lock(req.server, None)):
        try:
            call()
            out.append('ok')
        except ValueError as e:
            out.append('ValueError')
    req.write(' '.join(out))
    return apache.OK
"#;

fn server(mpm: Mpm) -> Httpd {
    let mut conf = String::from(
        "PythonPath \"sys.path+['@ROOT@/py']\"\nPythonOption mod_python.mutex_locks 4\n",
    );
    // Under prefork, children that end after a few connections make sure several processes
    // take the lock. Not under event: there httpd itself (a static file, no mod_python
    // loaded) wedges with `MaxConnectionsPerChild 10` and 8 clients of one request per
    // connection: children that reached the limit stay in the scoreboard ("scoreboard is
    // full", AH03490), and clients get resets or no answer.
    if mpm == Mpm::Prefork {
        conf += "MaxConnectionsPerChild 10\n";
    }
    for name in ["count", "hold", "probe", "misuse"] {
        conf += &format!(
            "<Location /{name}>\n    SetHandler mod_python\n    PythonHandler handlers::{name}\n    \
</Location>\n"
        );
    }
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/handlers.py", HANDLERS)
        .config(&conf)
        .start()
}

fn get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split("\r\n\r\n").nth(1).unwrap_or("").to_string()
}

#[test]
fn a_global_lock_excludes_other_processes_and_threads() {
    for mpm in [Mpm::Prefork, Mpm::Event] {
        let httpd = server(mpm);
        let port = httpd.port();
        let (threads, each) = (8, 12);
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                std::thread::spawn(move || {
                    (0..each).map(|_| get(port, "/count")).collect::<Vec<_>>()
                })
            })
            .collect();
        let mut held = Vec::new();
        let mut pids = std::collections::HashSet::new();
        for w in workers {
            for answer in w.join().expect("client thread") {
                let f: Vec<&str> = answer.split(' ').collect();
                assert_eq!(f.len(), 3, "{answer:?}\n{}", httpd.error_log());
                held.push((f[0].parse::<f64>().unwrap(), f[1].parse::<f64>().unwrap()));
                pids.insert(f[2].to_string());
            }
        }
        assert_eq!(held.len(), threads * each);
        held.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in held.windows(2) {
            assert!(
                pair[1].0 >= pair[0].1,
                "{mpm:?}: two requests held the lock at once: {pair:?}"
            );
        }
        if mpm == Mpm::Prefork {
            assert!(pids.len() >= 2, "only one process served: {pids:?}");
        }
    }
}

#[test]
fn trylock_sees_a_lock_held_elsewhere_and_misuse_is_an_error() {
    for mpm in [Mpm::Prefork, Mpm::Event] {
        let httpd = server(mpm);
        let port = httpd.port();
        assert_eq!(get(port, "/probe"), "free", "{mpm:?}");
        // A directory httpd's user (www-data) may write the flag into.
        let flags = httpd.root().join("py/flags");
        std::fs::create_dir_all(&flags).unwrap();
        std::fs::set_permissions(&flags, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        let flag = flags.join("held");
        let holder = std::thread::spawn(move || get(port, "/hold"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !flag.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "{mpm:?}: /hold never took the lock\n{}",
                httpd.error_log()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(get(port, "/probe"), "busy", "{mpm:?}");
        std::fs::remove_file(&flag).unwrap();
        assert_eq!(holder.join().unwrap(), "held");
        assert_eq!(get(port, "/probe"), "free", "{mpm:?}");
        assert_eq!(
            get(port, "/misuse"),
            "ValueError ValueError ValueError",
            "{mpm:?}"
        );
        assert_eq!(get(port, "/probe"), "free", "{mpm:?}");
    }
}
