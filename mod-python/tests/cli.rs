//! The `mod_python` command as a user meets it: `pip install ./mod-python` into a virtual
//! environment, then `mod_python serve` on a WSGI application (under each MPM), a handler
//! module (edited while it runs) and a directory of pages, each stopped with Ctrl-C (SIGINT);
//! `module-config` in an httpd of the test's own; 3.5's `create`, `start` and `stop`; the
//! mistakes the command must report in a sentence, without a traceback; and the type stubs the
//! package installs, which mypy in the environment reads.
//!
//! The environment is built once under target/ and kept: it is built again only when a source
//! that goes into it changes (a release build of the module takes minutes).

use harness::Httpd;
use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// What goes into the pip build: a change to any of it means building again.
const BUILD_INPUTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "apache-sys/Cargo.toml",
    "apache-sys/build.rs",
    "apache-sys/wrapper.h",
    "apache-sys/src",
    "apache-rs/Cargo.toml",
    "apache-rs/src",
    "mod-python/Cargo.toml",
    "mod-python/build.rs",
    "mod-python/pyproject.toml",
    "mod-python/setup.py",
    "mod-python/README.md",
    "mod-python/src",
    "mod-python/python",
];

fn hash_tree(h: &mut DefaultHasher, path: &Path) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for e in entries {
            if e.file_name().is_some_and(|n| n == "__pycache__") {
                continue;
            }
            hash_tree(h, &e);
        }
    } else if let Ok(bytes) = std::fs::read(path) {
        h.write(path.to_string_lossy().as_bytes());
        h.write(&bytes);
    }
}

fn sources_stamp(python: &Path) -> String {
    let mut h = DefaultHasher::new();
    h.write(python.to_string_lossy().as_bytes());
    for rel in BUILD_INPUTS {
        hash_tree(&mut h, &workspace().join(rel));
    }
    format!("{:016x}", h.finish())
}

/// pip builds run one at a time: each is a release build on a machine with few cores.
static PIP: Mutex<()> = Mutex::new(());

/// A virtual environment made by `python -m venv` under target/, with the package installed
/// by `pip install ./mod-python` unless the same sources were installed there already.
fn venv(name: &str, python: &Path) -> PathBuf {
    let _one_at_a_time = PIP.lock().unwrap_or_else(|e| e.into_inner());
    let dir = target_dir().join("cli-test").join(name);
    let stamp_file = dir.join("mod-python.stamp");
    let stamp = sources_stamp(python);
    if std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp)
        && dir.join("bin/mod_python").exists()
    {
        return dir;
    }
    if !dir.join("bin/python").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new(python)
            .args(["-m", "venv"])
            .arg(&dir)
            .output()
            .expect("run python -m venv");
        assert!(
            out.status.success(),
            "{} -m venv failed:\n{}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let log = dir.join("pip.log");
    let started = Instant::now();
    let status = Command::new(dir.join("bin/pip"))
        .args(["install", "--force-reinstall", "--no-deps", "./mod-python"])
        .current_dir(workspace())
        // setup.py chooses a target directory per environment; the test's own would be
        // rebuilt for another Python every time.
        .env_remove("CARGO_TARGET_DIR")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.join("pip.err")).unwrap())
        .status()
        .expect("run pip");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    assert!(
        status.success(),
        "pip install ./mod-python failed ({status}):\n{}\n{}",
        tail(&read("pip.log"), 60),
        tail(&read("pip.err"), 60)
    );
    eprintln!(
        "cli: pip install ./mod-python into {} took {:.0} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    std::fs::write(&stamp_file, stamp).unwrap();
    dir
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The environment of Debian's Python, the one httpd's own modules are built for.
fn system_venv() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| venv("venv-system-python", Path::new("/usr/bin/python3")))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A scratch directory for an application's files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("mod-python-cli-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `mod_python ARGS` run to completion: (status, stdout, stderr).
fn run_cli(
    venv: &Path,
    cwd: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (ExitStatus, String, String) {
    let mut cmd = Command::new(venv.join("bin/mod_python"));
    cmd.args(args).current_dir(cwd).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run mod_python");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A running `mod_python serve`, its output going to files (a pipe nobody reads would stall
/// httpd's logging).
struct Served {
    child: Option<Child>,
    port: u16,
    out: PathBuf,
    err: PathBuf,
}

impl Served {
    fn start(venv: &Path, dir: &Scratch, args: &[&str]) -> Served {
        let port = free_port();
        let out = dir.0.join("serve.stdout");
        let err = dir.0.join("serve.stderr");
        let open = |p: &Path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .unwrap()
        };
        // Serving once the command says so, not only once httpd answers: the command checks
        // every 0.1 s, and only then watches the code for changes and takes Ctrl-C as a stop
        // of a server it announced (a child that answers at once can beat it). The file
        // gathers the runs of one test: this run's announcement is one more.
        let announcements = |err: &Path| {
            std::fs::read_to_string(err)
                .unwrap_or_default()
                .matches("mod_python: serving ")
                .count()
        };
        let before = announcements(&err);
        let child = Command::new(venv.join("bin/mod_python"))
            .arg("serve")
            .args(args)
            .args(["--port", &port.to_string()])
            .current_dir(&dir.0)
            .stdin(Stdio::null())
            .stdout(open(&out))
            .stderr(open(&err))
            .spawn()
            .expect("run mod_python serve");
        let mut served = Served {
            child: Some(child),
            port,
            out,
            err,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !harness::answers(port) || announcements(&served.err) == before {
            if let Some(status) = served.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("mod_python serve exited ({status}):\n{}", served.output());
            }
            assert!(
                Instant::now() < deadline,
                "mod_python serve did not answer and say so within 60 s:\n{}",
                served.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        served
    }

    fn output(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            std::fs::read_to_string(&self.out).unwrap_or_default(),
            std::fs::read_to_string(&self.err).unwrap_or_default()
        )
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    fn get(&self, path: &str) -> harness::Response {
        harness::request_port(self.port, "GET", path, &[], b"")
            .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", self.output()))
    }

    /// The temporary ServerRoot, from httpd's `Command line: '... -d ROOT ...'` notice.
    fn server_root(&self) -> PathBuf {
        let err = self.stderr();
        let line = err
            .lines()
            .find(|l| l.contains("Command line:"))
            .unwrap_or_else(|| panic!("no command line notice:\n{}", self.output()));
        let after = line.split(" -d ").nth(1).unwrap();
        PathBuf::from(after.split_whitespace().next().unwrap())
    }

    /// Ctrl-C: SIGINT to the command, which must stop httpd and exit 0 within 30 s, leaving no
    /// server answering and no temporary ServerRoot.
    fn interrupt(mut self) -> String {
        let root = self.server_root();
        let mut child = self.child.take().unwrap();
        // SAFETY: kill(2) takes no pointers; the pid is our own child, not yet waited for.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("no stop within 30 s of SIGINT:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let output = self.output();
        assert!(
            status.success(),
            "exit status {status} after SIGINT:\n{output}"
        );
        assert!(
            !harness::answers(self.port),
            "httpd still answers after the stop:\n{output}"
        );
        assert!(!root.exists(), "{} was left behind", root.display());
        assert!(!output.contains("Traceback"), "a traceback:\n{output}");
        assert!(output.contains("stopping httpd"), "{output}");
        output
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: kill(2) takes no pointers; the pid is our own child, not yet waited for. which stops its httpd.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
            eprintln!("{}", self.output());
        }
    }
}

const WSGI_APP: &str = r#"
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    body = 'wsgi %s %s %s' % (environ['SCRIPT_NAME'] or '-', environ['PATH_INFO'], environ['QUERY_STRING'])
    return [body.encode()]
"#;

#[test]
fn serves_a_wsgi_application_under_each_mpm() {
    let venv = system_venv();
    let dir = Scratch::new("wsgi");
    dir.write("app.py", WSGI_APP);
    for mpm in ["event", "worker", "prefork"] {
        let served = Served::start(venv, &dir, &["app.py", "--mpm", mpm]);
        let r = served.get("/");
        assert_eq!(
            (r.status, r.text()),
            (200, "wsgi - / ".to_string()),
            "{mpm}"
        );
        let r = served.get("/a/b?x=1");
        assert_eq!(r.text(), "wsgi - /a/b x=1", "{mpm}");
        assert!(
            r.header("Server")
                .is_some_and(|s| s.contains("mod_python/")),
            "{:?}",
            r.headers
        );
        let output = served.interrupt();
        assert!(output.contains(&format!("{mpm} MPM")), "{output}");
        // The access log goes to the terminal.
        assert!(output.contains("\"GET /a/b?x=1 HTTP/1.1\" 200"), "{output}");
    }
}

const HANDLER: &str = r#"
from mod_python import apache

def handler(req):
    req.content_type = 'text/plain'
    req.write('handler says %s' % WORD)
    return apache.OK

WORD = 'hello'
"#;

#[test]
fn serves_a_handler_module_and_restarts_when_it_changes() {
    let venv = system_venv();
    let dir = Scratch::new("handler");
    let file = dir.write("pages.py", HANDLER);
    let served = Served::start(venv, &dir, &["pages.py"]);
    assert_eq!(served.get("/").text(), "handler says hello");
    assert_eq!(served.get("/any/where").text(), "handler says hello");
    std::fs::write(&file, HANDLER.replace("'hello'", "'goodbye'")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if served.get("/").text() == "handler says goodbye" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the change was not served within 30 s:\n{}",
            served.output()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // mod_python's own reload (PythonAutoReload) may serve the new code before the command's
    // watcher, which polls, has restarted httpd: wait for the restart too.
    while !served
        .output()
        .contains("pages.py changed: restarting httpd")
    {
        assert!(
            Instant::now() < deadline,
            "httpd was not restarted within 30 s:\n{}",
            served.output()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = served.interrupt();
    assert!(
        output.contains("pages.py changed: restarting httpd"),
        "{output}"
    );
}

#[test]
fn serves_published_modules_and_psp_pages_from_a_directory() {
    let venv = system_venv();
    let dir = Scratch::new("site");
    dir.write(
        "site/index.py",
        "def index(req):\n    return 'the index'\n\ndef hi(req, name='nobody'):\n    return 'hi ' + name\n",
    );
    dir.write("site/page.psp", "<p><%= 6 * 7 %></p>\n");
    let served = Served::start(venv, &dir, &["site", "--mpm", "prefork"]);
    assert_eq!(served.get("/").text(), "the index");
    assert_eq!(served.get("/index.py/hi?name=ada").text(), "hi ada");
    assert_eq!(served.get("/page.psp").text(), "<p>42</p>\n");
    served.interrupt();
}

/// Runs `serve` expecting it to fail: exit status 1, the words `expected` on stderr, and no
/// traceback anywhere.
fn refused(venv: &Path, dir: &Scratch, args: &[&str], env: &[(&str, &str)], expected: &[&str]) {
    let (status, out, err) = run_cli(venv, &dir.0, args, env);
    assert_eq!(status.code(), Some(1), "{args:?}: {status}\n{out}\n{err}");
    for words in expected {
        assert!(err.contains(words), "{args:?}: no {words:?} in:\n{err}");
    }
    assert!(
        !err.contains("Traceback") && !out.contains("Traceback"),
        "{args:?}:\n{out}\n{err}"
    );
}

#[test]
fn reports_mistakes_in_a_sentence() {
    let venv = system_venv();
    let dir = Scratch::new("mistakes");
    dir.write("app.py", WSGI_APP);
    dir.write("broken.py", "import os\n\nRATIO = 1 / 0\n");
    dir.write("empty.py", "VALUE = 3\n");
    dir.write("nosite/readme.txt", "no code here\n");
    let port = free_port().to_string();
    refused(
        venv,
        &dir,
        &["serve", "missing.py"],
        &[],
        &["missing.py does not exist"],
    );
    refused(
        venv,
        &dir,
        &["serve", "broken.py"],
        &[],
        &[
            "broken.py does not import",
            "broken.py\", line 3",
            "ZeroDivisionError: division by zero",
        ],
    );
    refused(
        venv,
        &dir,
        &["serve", "empty.py"],
        &[],
        &["nothing to serve in empty.py"],
    );
    refused(
        venv,
        &dir,
        &["serve", "app.py::nope"],
        &[],
        &["no callable named nope"],
    );
    refused(
        venv,
        &dir,
        &["serve", "nosite"],
        &[],
        &["nothing to serve in"],
    );
    refused(
        venv,
        &dir,
        &["serve", "app.py"],
        &[("HTTPD", "/nonexistent/apache2")],
        &["httpd is not installed", "apt-get install apache2"],
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = listener.local_addr().unwrap().port().to_string();
    refused(
        venv,
        &dir,
        &["serve", "app.py", "--port", &busy],
        &[],
        &[&format!("port {busy} on 127.0.0.1 is in use")],
    );
    refused(
        venv,
        &dir,
        &[
            "serve",
            "app.py",
            "--port",
            &port,
            "--mpm",
            "prefork",
            "--threads",
            "4",
        ],
        &[],
        &["prefork runs one thread per process"],
    );
    // A GIL per interpreter needs CPython 3.12: httpd refuses the line, and says why.
    if !python_at_least(Path::new("/usr/bin/python3"), 12) {
        refused(
            venv,
            &dir,
            &[
                "serve",
                "app.py",
                "--port",
                &port,
                "--interpreter-gil",
                "own",
            ],
            &[],
            &["PythonInterpreterGIL own", "needs CPython 3.12"],
        );
    }
    // Debian's CPython has a GIL: no running without it.
    refused(
        venv,
        &dir,
        &["serve", "app.py", "--port", &port, "--free-threading", "on"],
        &[],
        &["PythonFreeThreading On", "needs a free-threaded CPython"],
    );
}

/// Whether `python` is CPython 3.`minor` or later.
fn python_at_least(python: &Path, minor: u32) -> bool {
    let out = Command::new(python)
        .args(["-c", "import sys; print(sys.version_info[1])"])
        .output()
        .expect("run python");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<u32>()
        .is_ok_and(|m| m >= minor)
}

/// `--setup-only` writes the configuration `serve` would run, with the options given.
#[test]
fn setup_only_writes_the_configuration_with_the_options() {
    let venv = system_venv();
    let dir = Scratch::new("setup-only");
    dir.write("app.py", WSGI_APP);
    let root = dir.0.join("root");
    let root_arg = root.display().to_string();
    // The configuration `serve app.py --setup-only` writes with these options.
    let written = |options: &[&str]| {
        let mut args = vec![
            "serve",
            "app.py",
            "--setup-only",
            "--server-root",
            &root_arg,
        ];
        args.extend_from_slice(options);
        let (status, out, err) = run_cli(venv, &dir.0, &args, &[]);
        assert!(status.success(), "{out}\n{err}");
        assert!(out.contains("mod_python start"), "{out}");
        std::fs::read_to_string(root.join("httpd.conf")).unwrap()
    };
    let conf = written(&["--free-threading", "on"]);
    assert!(conf.contains("PythonFreeThreading On"), "{conf}");
    let conf = written(&["--mpm", "worker", "--interpreter-gil", "own", "--debug"]);
    for line in [
        "PythonInterpreterGIL own",
        "PythonDebug On",
        "mod_mpm_worker.so",
    ] {
        assert!(conf.contains(line), "no {line:?} in:\n{conf}");
    }
    let conf = written(&[]);
    assert!(!conf.contains("PythonInterpreterGIL"), "{conf}");
    assert!(!conf.contains("PythonFreeThreading"), "{conf}");
}

/// `module-config`'s lines load the module into an httpd of the test's own, and give its
/// Python the environment's packages (mod_python_cli is one).
#[test]
fn module_config_loads_the_module_into_another_httpd() {
    let venv = system_venv();
    let dir = Scratch::new("module-config");
    let (status, lines, err) = run_cli(venv, &dir.0, &["module-config"], &[]);
    assert!(status.success(), "{err}");
    assert!(lines.starts_with("LoadModule python_module \""), "{lines}");
    assert!(
        lines.contains(&venv.join("lib").display().to_string()),
        "{lines}"
    );
    assert!(lines.contains("site-packages"), "{lines}");
    // In a <Directory>, as mod_python adds the directory to sys.path: a PythonPath in the
    // section would replace module-config's (docs/src/getting-started.md says so).
    let httpd = Httpd::builder()
        .config(&lines)
        .file(
            "htdocs/where/where.py",
            "import mod_python_cli\n\ndef handler(req):\n    req.write(mod_python_cli.__file__)\n    return 0\n",
        )
        .config("<Directory @ROOT@/htdocs/where>\n    SetHandler mod_python\n    PythonHandler where\n</Directory>")
        .start();
    let r = httpd.get("/where/x");
    if reachable_by_httpd(venv) {
        assert_eq!(r.status, 200, "{}", httpd.error_log());
        assert!(
            r.text().starts_with(&venv.display().to_string()),
            "{}",
            r.text()
        );
    } else {
        eprintln!("not checked: httpd's user cannot read {}", venv.display());
    }
}

/// Whether httpd's children can read under `path`: they run as another user when the tests
/// run as root, and a checkout in a home directory is often closed to others.
fn reachable_by_httpd(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid(2) takes nothing and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return true;
    }
    path.ancestors().all(|d| {
        d.metadata()
            .is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
    })
}

#[test]
fn create_start_and_stop_a_server_directory() {
    let venv = system_venv();
    let dir = Scratch::new("create");
    dir.write("app.py", WSGI_APP);
    let port = free_port();
    let root = dir.0.join("server");
    let (status, out, err) = run_cli(
        venv,
        &dir.0,
        &[
            "create",
            root.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--pythonpath",
            dir.0.to_str().unwrap(),
            "--pythonhandler",
            "mod_python.wsgi",
            "--pythonoption",
            "mod_python.wsgi.application app::application",
        ],
        &[],
    );
    assert!(status.success(), "{out}\n{err}");
    let script = root.join("conf/httpd_conf.py");
    let conf = root.join("conf/httpd.conf");
    let (status, generated, err) =
        run_cli(venv, &dir.0, &["genconfig", script.to_str().unwrap()], &[]);
    assert!(status.success(), "{err}");
    assert_eq!(generated, std::fs::read_to_string(&conf).unwrap());
    let (status, _, err) = run_cli(venv, &dir.0, &["start", conf.to_str().unwrap()], &[]);
    assert!(status.success(), "start: {err}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !harness::answers(port) {
        assert!(Instant::now() < deadline, "not serving: {err}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = harness::request_port(port, "GET", "/x", &[], b"").unwrap();
    let (status, _, err) = run_cli(venv, &dir.0, &["stop", conf.to_str().unwrap()], &[]);
    assert!(status.success(), "stop: {err}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness::answers(port) {
        assert!(Instant::now() < deadline, "still serving after stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(r.text(), "wsgi - /x ");
    // A second create over the same directory refuses to overwrite the script.
    refused(
        venv,
        &dir,
        &["create", root.to_str().unwrap(), "--pythonhandler", "x"],
        &[],
        &["exists already"],
    );
}

/// A Python outside the system's directories (pyenv's 3.12.1): the module built for it finds
/// its libpython through its run path, with no LD_LIBRARY_PATH, so httpd loads it.
#[test]
fn a_pyenv_python_build_loads_without_ld_library_path() {
    let home = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    let python = home.map(|h| h.join("versions/3.12.1/bin/python3.12"));
    let Some(python) = python.filter(|p| p.exists()) else {
        eprintln!("skipped: pyenv's Python 3.12.1 is not installed");
        return;
    };
    let venv = venv("venv-pyenv-3.12.1", &python);
    let dir = Scratch::new("pyenv");
    let (status, lines, err) = run_cli(&venv, &dir.0, &["module-config"], &[]);
    assert!(status.success(), "{err}");
    let checked = Httpd::builder()
        .config(&lines)
        .env("LD_LIBRARY_PATH", "")
        .config_test();
    assert!(checked.is_ok(), "httpd -t with the module: {checked:?}");
    let (_, version, _) = run_cli(&venv, &dir.0, &["version"], &[]);
    assert!(version.contains("3.12.1"), "{version}");
    // Serving needs the children to read pyenv's standard library.
    dir.write("app.py", WSGI_APP);
    let stdlib = python
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("lib/python3.12");
    if reachable_by_httpd(&stdlib) {
        let served = Served::start(&venv, &dir, &["app.py"]);
        let r = served.get("/");
        assert!(
            r.header("Server")
                .is_some_and(|s| s.contains("Python/3.12.1")),
            "{:?}",
            r.headers
        );
        served.interrupt();
    } else {
        refused(&venv, &dir, &["serve", "app.py"], &[], &["cannot read"]);
    }
}

/// A handler with mistakes the stubs make mypy see: a request's content type is text, and its
/// headers are a table, not a dict.
const MISTAKES: &str = r#"from mod_python import apache

def handler(req: apache.mp_request) -> int:
    req.content_type = 200
    reveal_type(req.headers_in)
    req.headers_in.missing_method()
    return apache.OK
"#;

/// `pip install ./mod-python` puts the stubs and the PEP 561 marker beside the modules, and
/// mypy installed in that environment uses them: stub_check/uses_everything.py, which names
/// every stubbed name, passes, and a handler's mistakes are reported.
#[test]
fn the_installed_stubs_are_what_mypy_in_the_environment_reads() {
    let venv = system_venv();
    let sources = workspace().join("mod-python/python");
    let installed = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("site-packages/mod_python"))
        .find(|p| p.is_dir())
        .expect("mod_python in the environment's site-packages");
    assert!(installed.join("py.typed").is_file(), "no py.typed marker");
    for stub in std::fs::read_dir(sources.join("mod_python"))
        .unwrap()
        .flatten()
    {
        let name = stub.file_name();
        if stub.path().extension().is_some_and(|e| e == "pyi") {
            assert!(
                installed.join(&name).is_file(),
                "{name:?} is not installed in {}",
                installed.display()
            );
        }
    }

    // The environment's own mypy, the version cargo xtask test checks with.
    let pins = include_str!("../python/lint-requirements.txt");
    let out = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(pins.lines().filter(|l| !l.trim().is_empty()))
        .output()
        .expect("run pip");
    assert!(
        out.status.success(),
        "pip install {pins}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = Scratch::new("typing");
    std::fs::copy(
        sources.join("stub_check/uses_everything.py"),
        dir.0.join("uses_everything.py"),
    )
    .unwrap();
    dir.write("mistakes.py", MISTAKES);
    let mypy = |file: &str| {
        let out = Command::new(venv.join("bin/mypy"))
            .args([
                "--strict",
                "--no-incremental",
                "--python-version",
                "3.11",
                file,
            ])
            .current_dir(&dir.0)
            .output()
            .expect("run mypy");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success(), text)
    };
    let (ok, text) = mypy("uses_everything.py");
    assert!(ok, "mypy uses_everything.py in the environment:\n{text}");
    let (ok, text) = mypy("mistakes.py");
    assert!(!ok, "{text}");
    for expected in [
        "mistakes.py:4: error: Incompatible types in assignment",
        "Revealed type is \"mod_python._table.mp_table\"",
        "mistakes.py:6: error: \"mp_table\" has no attribute \"missing_method\"",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}
