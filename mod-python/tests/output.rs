//! What Python prints, warns and logs reaches httpd's error_log, as under mod_wsgi (C
//! mod_python 3.5 lost `print()` and wrote stderr bare): `sys.stdout` and `sys.stderr` line by
//! line at error level with httpd's prefix, the client's address inside a request; warnings at
//! warning level; `logging` records at their own level. On a real httpd under the event and
//! prefork MPMs.

use harness::{Httpd, Mpm};

const HANDLERS: &str = r#"
import logging, sys, threading, warnings
from mod_python import apache

print('printed at import')

def stdio(req):
    print('printed in a request')
    sys.stdout.write('part one, ')
    sys.stdout.write('part two\n')
    sys.stderr.write('written to stderr\n')
    sys.stdout.buffer.write(b'bytes to stdout.buffer\n')
    print('first of two lines\nsecond of two lines')
    print('x' * 20000)
    print('flushed without a newline', end='')
    sys.stdout.flush()
    t = threading.Thread(target=lambda: print('printed in a thread'))
    t.start()
    t.join()
    # A thread that ends in the middle of a line: logged at the child's exit.
    t = threading.Thread(target=lambda: sys.stdout.write('a thread left this line'))
    t.start()
    t.join()
    print('left at the end of the phase', end='')
    req.write('ok %s %s' % (sys.stdout.isatty(), sys.stdout.encoding))
    return apache.OK

def records(req):
    app = logging.getLogger('app')
    app.warning('a warning record')
    app.error('an error record')
    app.info('an info record nobody asked for')
    warnings.warn('a user warning')
    mine = logging.getLogger('mine')
    mine.addHandler(apache.ErrorLogHandler())
    mine.setLevel(logging.DEBUG)
    mine.propagate = False
    mine.info('info through the handler')
    mine.critical('critical through the handler')
    try:
        1 / 0
    except ZeroDivisionError:
        mine.exception('an exception through the handler')
    req.write('ok')
    return apache.OK

def configured(req):
    # An application that configures logging keeps its own handlers: here a stream handler
    # on sys.stderr, whose lines come at error level.
    logging.basicConfig(level=logging.INFO, format='%(levelname)s:%(name)s:%(message)s',
                        force=True)
    logging.getLogger('cfg').info('an info record of a configured application')
    req.write('ok')
    return apache.OK
"#;

fn server(mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/outmod.py", HANDLERS)
        .file("py/startup.py", "print('printed by PythonImport')\n")
        .config(
            "PythonPath \"sys.path+['@ROOT@/py']\"\n\
             PythonImport startup main_interpreter\n\
             <Location /py>\n    SetHandler mod_python\n    PythonInterpreter out\n</Location>\n\
             <Location /py/stdio>\n    PythonHandler outmod::stdio\n</Location>\n\
             <Location /py/records>\n    PythonHandler outmod::records\n</Location>\n\
             <Location /py/configured>\n    PythonInterpreter configured\n    \
             PythonHandler outmod::configured\n</Location>\n",
        )
        .start()
}

const MPMS: [Mpm; 2] = [Mpm::Event, Mpm::Prefork];

/// The error_log line ending with `message`.
fn line(log: &str, message: &str) -> String {
    log.lines()
        .find(|l| l.ends_with(message))
        .unwrap_or_else(|| panic!("no line ending with {message:?} in\n{log}"))
        .to_string()
}

/// The line ends with `message`, at `level` of module python, with the client when `client`.
fn assert_entry(log: &str, message: &str, level: &str, client: bool) {
    let l = line(log, message);
    assert!(l.contains(&format!("[python:{level}] [pid ")), "{l}");
    assert_eq!(l.contains("[client 127.0.0.1:"), client, "{l}");
    // One message per entry: nothing but the prefix before it.
    assert!(l.ends_with(&format!("] {message}")), "{l}");
}

#[test]
fn stdout_and_stderr_lines_reach_the_error_log() {
    for mpm in MPMS {
        let httpd = server(mpm);
        let r = httpd.get("/py/stdio");
        assert_eq!(r.text(), "ok False utf-8", "{mpm:?}: {}", httpd.error_log());
        let log = httpd.error_log();
        assert_entry(&log, "printed by PythonImport", "error", false);
        assert_entry(&log, "printed at import", "error", true);
        assert_entry(&log, "printed in a request", "error", true);
        assert_entry(&log, "part one, part two", "error", true);
        assert_entry(&log, "written to stderr", "error", true);
        assert_entry(&log, "bytes to stdout.buffer", "error", true);
        assert_entry(&log, "first of two lines", "error", true);
        assert_entry(&log, "second of two lines", "error", true);
        assert_entry(&log, "flushed without a newline", "error", true);
        assert_entry(&log, "left at the end of the phase", "error", true);
        // A thread the handler started is not the request's: the server's entry.
        assert_entry(&log, "printed in a thread", "error", false);
        // A line longer than httpd's entries is logged whole, in pieces.
        let xs: usize = log
            .lines()
            .filter(|l| l.contains("[python:error]") && l.ends_with("xxxx"))
            .map(|l| l.rsplit(' ').next().unwrap().len())
            .sum();
        assert_eq!(xs, 20000, "{mpm:?}");
        assert!(!log.contains("a thread left this line"), "{mpm:?}");
        // What a thread left unfinished is logged when the child exits.
        httpd.graceful_restart();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !httpd.error_log().contains("a thread left this line") {
            assert!(
                std::time::Instant::now() < deadline,
                "{mpm:?}: {}",
                httpd.error_log()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_entry(
            &httpd.error_log(),
            "a thread left this line",
            "error",
            false,
        );
    }
}

#[test]
fn logging_records_and_warnings_come_at_their_level() {
    for mpm in MPMS {
        let httpd = server(mpm);
        assert_eq!(httpd.get("/py/records").text(), "ok", "{mpm:?}");
        let log = httpd.error_log();
        // Without any handler configured, as where Python would have printed them.
        assert_entry(&log, "a warning record", "warn", true);
        assert_entry(&log, "an error record", "error", true);
        assert!(!log.contains("an info record nobody asked for"), "{mpm:?}");
        let warning = line(&log, "UserWarning: a user warning");
        assert!(warning.contains("[python:warn]"), "{warning}");
        assert!(warning.contains("outmod.py:"), "{warning}");
        // mod_python.apache.ErrorLogHandler, given to a logger.
        assert_entry(&log, "info through the handler", "info", true);
        assert_entry(&log, "critical through the handler", "crit", true);
        assert_entry(&log, "an exception through the handler", "error", true);
        assert_entry(&log, "ZeroDivisionError: division by zero", "error", true);
        // An application that configured logging.
        assert_eq!(httpd.get("/py/configured").text(), "ok", "{mpm:?}");
        assert_entry(
            &httpd.error_log(),
            "INFO:cfg:an info record of a configured application",
            "error",
            true,
        );
    }
}
