//! Starts a real httpd for integration tests: a temporary ServerRoot, `Listen` on 127.0.0.1 and
//! a free port, the MPM the test asks for, and the test's modules and configuration. The server
//! stops when the [`Httpd`] is dropped; a test that fails prints the error_log.
//!
//! There is no mock of httpd anywhere in the project: every test talks HTTP to the real server.
#![deny(missing_docs)]

mod client;
pub mod stores;
pub mod tls;

pub use client::{Response, request as request_port};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// httpd's multi-processing modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mpm {
    /// `mpm_event`: threads, with keep-alive connections parked off-thread.
    Event,
    /// `mpm_worker`: threads.
    Worker,
    /// `mpm_prefork`: one single-threaded process per connection.
    Prefork,
}

impl Mpm {
    /// Every MPM.
    pub const ALL: [Mpm; 3] = [Mpm::Event, Mpm::Worker, Mpm::Prefork];

    /// The MPM's name (`event`, `worker`, `prefork`).
    pub fn name(&self) -> &'static str {
        match self {
            Mpm::Event => "event",
            Mpm::Worker => "worker",
            Mpm::Prefork => "prefork",
        }
    }

    fn sizing(&self, single_child: bool) -> &'static str {
        match self {
            Mpm::Prefork if single_child => {
                "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\nMaxRequestWorkers 1\nServerLimit 1\n"
            }
            Mpm::Prefork => {
                "StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\nMaxRequestWorkers 16\nServerLimit 16\n"
            }
            _ if single_child => {
                "StartServers 1\nServerLimit 1\nThreadsPerChild 8\nMinSpareThreads 1\nMaxSpareThreads 16\nMaxRequestWorkers 8\nThreadLimit 8\n"
            }
            _ => {
                "StartServers 2\nServerLimit 4\nThreadsPerChild 8\nMinSpareThreads 8\nMaxSpareThreads 32\nMaxRequestWorkers 32\nThreadLimit 8\n"
            }
        }
    }
}

fn apxs(var: &str) -> Option<String> {
    let out = Command::new("apxs").args(["-q", var]).output().ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// Whether an HTTP server answers on 127.0.0.1:`port`.
pub fn answers(port: u16) -> bool {
    client::probe(port)
}

/// The httpd binary: `$HTTPD`, else `apache2` or `httpd` in `apxs -q SBINDIR`, else
/// `/usr/sbin/apache2`.
pub fn httpd_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("HTTPD") {
        return PathBuf::from(p);
    }
    if let Some(dir) = apxs("SBINDIR") {
        for name in ["apache2", "httpd"] {
            let p = Path::new(&dir).join(name);
            if p.exists() {
                return p;
            }
        }
    }
    PathBuf::from("/usr/sbin/apache2")
}

/// Where httpd's own modules are: `$APACHE_MODULES_DIR`, else `apxs -q LIBEXECDIR`, else
/// Debian's `/usr/lib/apache2/modules`.
pub fn system_modules_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("APACHE_MODULES_DIR") {
        return PathBuf::from(p);
    }
    apxs("LIBEXECDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/apache2/modules"))
}

/// The C mod_python 3.5 installed with httpd (Debian's `libapache2-mod-python`), for tests
/// that compare with it; `None`, said on stderr, when there is none.
pub fn c_mod_python() -> Option<PathBuf> {
    let c = system_modules_dir().join("mod_python.so");
    if c.exists() {
        Some(c)
    } else {
        eprintln!("C mod_python is not installed: compared with the expected answers only");
        None
    }
}

/// The shared library `lib<lib_name>.so` that cargo built in the profile of the running test:
/// `target/<profile>/` (from `cargo build`) or `target/<profile>/deps/` (from `cargo test`, which
/// builds a module crate's library there), the newer of the two; `$CARGO_TARGET_DIR` is honoured.
pub fn cdylib(lib_name: &str) -> PathBuf {
    let file = format!("lib{lib_name}.so");
    let mut dirs = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        // target/<profile>/deps/<test> -> target/<profile>
        let mut dir = exe.parent().map(Path::to_path_buf);
        if dir.as_ref().is_some_and(|d| d.ends_with("deps")) {
            dir = dir.and_then(|d| d.parent().map(Path::to_path_buf));
        }
        if let Some(d) = dir {
            if let (Some(t), Some(p)) = (std::env::var_os("CARGO_TARGET_DIR"), d.file_name()) {
                let other = PathBuf::from(t).join(p);
                dirs.push(other.join("deps"));
                dirs.push(other);
            }
            dirs.push(d.join("deps"));
            dirs.push(d);
        }
    }
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    dirs.into_iter()
        .map(|d| d.join(&file))
        .filter(|p| p.exists())
        .max_by_key(|p| modified(p))
        .unwrap_or_else(|| {
            panic!(
                "{file} not found next to the test binary: build it with `cargo build --workspace`"
            )
        })
}

/// `HARNESS_MODULE_CONFIG=symbol=directives`: configuration added to every server that loads
/// the module `symbol`, after its `LoadModule` and before the test's own configuration, to run
/// a module's tests again under another setting (`cargo xtask test` runs some of mod_python's
/// with `python_module=PythonInterpreterGIL own`).
fn module_config_from_env(modules: &[(String, PathBuf)]) -> Option<String> {
    let value = std::env::var("HARNESS_MODULE_CONFIG").ok()?;
    let (symbol, text) = value.split_once('=')?;
    modules
        .iter()
        .any(|(s, _)| s == symbol)
        .then(|| text.to_string())
}

/// Configures an httpd to start; made by [`Httpd::builder`].
pub struct Builder {
    mpm: Mpm,
    modules: Vec<(String, PathBuf)>,
    config: Vec<String>,
    log_level: String,
    files: Vec<(String, Vec<u8>)>,
    env: Vec<(String, String)>,
    port: Option<u16>,
    /// A command httpd runs under, and arguments added to httpd's own (see `wrapped`).
    prefix: Vec<String>,
    args: Vec<String>,
    single_child: bool,
    stop_with_caller: bool,
}

impl Builder {
    /// Runs httpd under `prefix` (a profiler such as `valgrind --tool=callgrind`, after
    /// `setpriv` to start it as another user), with `args` added to its command line (`-X`).
    /// A prefixed httpd may not be root, so `logs/` and `run/` are made writable by everyone,
    /// and it gets two minutes, not twenty seconds, to answer.
    pub fn wrapped(mut self, prefix: &[&str], args: &[&str]) -> Self {
        self.prefix = prefix.iter().map(|s| s.to_string()).collect();
        self.args = args.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Listens on this port if it is free (the demo's fixed address), else on a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The MPM (default [`Mpm::Event`]).
    pub fn mpm(mut self, mpm: Mpm) -> Self {
        self.mpm = mpm;
        self
    }

    /// httpd is sent SIGTERM when the thread that started it ends, as it does when the whole
    /// program is killed (by `timeout`, or Ctrl-C, which does not reach httpd's own process
    /// group): for long runs that are interrupted (the soak, the benchmarks), so that no server
    /// is left behind. Not for a server that outlives the thread starting it. (Linux's parent
    /// death signal, which a wrapper that changes user, such as `setpriv`, drops.)
    pub fn stop_with_caller(mut self) -> Self {
        self.stop_with_caller = true;
        self
    }

    /// One child process serves every request (under prefork, one request at a time), for
    /// tests of what one process keeps between requests.
    pub fn single_child(mut self) -> Self {
        self.single_child = true;
        self
    }

    /// Loads a module: `LoadModule symbol path`.
    pub fn module(mut self, symbol: &str, path: impl AsRef<Path>) -> Self {
        if !self.modules.iter().any(|(s, _)| s == symbol) {
            self.modules
                .push((symbol.to_string(), path.as_ref().to_path_buf()));
        }
        self
    }

    /// Loads one of httpd's own modules, e.g. `("auth_basic_module", "mod_auth_basic.so")`.
    pub fn system_module(self, symbol: &str, file: &str) -> Self {
        let path = system_modules_dir().join(file);
        self.module(symbol, path)
    }

    /// Appends configuration text; `@ROOT@` stands for the ServerRoot.
    pub fn config(mut self, text: &str) -> Self {
        self.config.push(text.to_string());
        self
    }

    /// The `LogLevel` line's value (default `info`).
    pub fn log_level(mut self, level: &str) -> Self {
        self.log_level = level.to_string();
        self
    }

    /// Writes a file under the ServerRoot before start (`htdocs/x.txt` is served as `/x.txt`).
    /// `@ROOT@` in its contents stands for the ServerRoot.
    pub fn file(mut self, rel_path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.files
            .push((rel_path.to_string(), contents.as_ref().to_vec()));
        self
    }

    /// Sets an environment variable for the httpd process.
    pub fn env(mut self, key: &str, val: &str) -> Self {
        self.env.push((key.to_string(), val.to_string()));
        self
    }

    /// Starts httpd; panics with its output and error_log when it does not come up.
    pub fn start(self) -> Httpd {
        self.try_start()
            .unwrap_or_else(|e| panic!("httpd did not start:\n{e}"))
    }

    /// Starts httpd; `Err` carries httpd's output and error_log (a configuration error names
    /// the file and line there).
    pub fn try_start(self) -> Result<Httpd, String> {
        let mut last = String::new();
        for attempt in 0..5 {
            let root = make_root()?;
            let port = match self.port {
                Some(p) if attempt == 0 => p,
                _ => free_port()?,
            };
            match self.start_at(&root, port) {
                Ok(h) => return Ok(h),
                Err(e) => {
                    // Taken meanwhile, or the same as a port the test's own configuration
                    // listens on: another free port for the server's.
                    let busy = e.contains("Address already in use")
                        || e.contains("Cannot define multiple Listeners");
                    if std::env::var_os("KEEP_HTTPD_ROOT").is_none() {
                        let _ = std::fs::remove_dir_all(&root);
                    }
                    if !busy {
                        return Err(e);
                    }
                    last = e;
                }
            }
        }
        Err(last)
    }

    /// `cores`: the server's `CoreDumpDirectory`, when crashed children are to leave cores.
    fn conf_text(&self, root: &Path, port: u16, cores: Option<&Path>) -> String {
        let r = root.display();
        let moddir = system_modules_dir();
        let m = moddir.display();
        let mpm = self.mpm.name();
        let mut c = format!(
            "ServerRoot \"{r}\"\nListen 127.0.0.1:{port}\nServerName 127.0.0.1:{port}\nPidFile \"{r}/run/httpd.pid\"\n\
             DefaultRuntimeDir \"{r}/run\"\nErrorLog \"{r}/logs/error_log\"\nLogLevel {lvl}\n\
             LoadModule mpm_{mpm}_module \"{m}/mod_mpm_{mpm}.so\"\n{sizing}\
             LoadModule authz_core_module \"{m}/mod_authz_core.so\"\nLoadModule mime_module \"{m}/mod_mime.so\"\n",
            lvl = self.log_level,
            sizing = self.mpm.sizing(self.single_child),
        );
        if Path::new("/etc/mime.types").exists() {
            c += "TypesConfig /etc/mime.types\n";
        }
        // SAFETY: geteuid has no preconditions; it only reads the process's credentials.
        if unsafe { libc::geteuid() } == 0 {
            let www = Command::new("id")
                .arg("www-data")
                .output()
                .is_ok_and(|o| o.status.success());
            c += if www {
                "User www-data\nGroup www-data\n"
            } else {
                "User nobody\nGroup nogroup\n"
            };
        }
        c += &format!(
            "KeepAlive On\nTimeout 20\nMaxConnectionsPerChild 0\nDocumentRoot \"{r}/htdocs\"\n\
             <Directory \"{r}/htdocs\">\n    Require all granted\n</Directory>\n"
        );
        for (sym, path) in &self.modules {
            c += &format!("LoadModule {sym} \"{}\"\n", path.display());
        }
        if let Some(text) = module_config_from_env(&self.modules) {
            c += &text;
            c += "\n";
        }
        for text in &self.config {
            c += text;
            c += "\n";
        }
        if let Some(dir) = cores {
            c += &format!("CoreDumpDirectory \"{}\"\n", dir.display());
        }
        c.replace("@ROOT@", &root.display().to_string())
    }

    /// Checks the configuration as `apachectl -t` does (`httpd -t`), without starting a
    /// server: `Ok` with httpd's output when it says `Syntax OK`, else `Err` with the output
    /// (which names the file and line of a bad directive).
    pub fn config_test(self) -> Result<String, String> {
        let root = make_root()?;
        let result = self.config_test_at(&root);
        if std::env::var_os("KEEP_HTTPD_ROOT").is_none() {
            let _ = std::fs::remove_dir_all(&root);
        }
        result
    }

    fn config_test_at(&self, root: &Path) -> Result<String, String> {
        let conf = self.write_root(root, free_port()?, None)?;
        let mut cmd = Command::new(httpd_binary());
        cmd.arg("-t").arg("-d").arg(root).arg("-f").arg(&conf);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", httpd_binary().display()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() && text.contains("Syntax OK") {
            Ok(text)
        } else {
            Err(text)
        }
    }

    /// Writes the test's files and `httpd.conf` under `root`; returns the configuration's path.
    fn write_root(&self, root: &Path, port: u16, cores: Option<&Path>) -> Result<PathBuf, String> {
        let root_str = root.display().to_string();
        for (rel, contents) in &self.files {
            let p = root.join(rel);
            if let Some(d) = p.parent() {
                mkdir(d)?;
            }
            let text = String::from_utf8_lossy(contents);
            let data = if text.contains("@ROOT@") {
                text.replace("@ROOT@", &root_str).into_bytes()
            } else {
                contents.clone()
            };
            std::fs::write(&p, data).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        let conf = root.join("httpd.conf");
        std::fs::write(&conf, self.conf_text(root, port, cores)).map_err(|e| e.to_string())?;
        Ok(conf)
    }

    fn start_at(&self, root: &Path, port: u16) -> Result<Httpd, String> {
        let cores = core_dir(root);
        let conf = self.write_root(root, port, cores.as_deref())?;
        let out = std::fs::File::create(root.join("logs/stdout")).map_err(|e| e.to_string())?;
        let err = std::fs::File::create(root.join("logs/stderr")).map_err(|e| e.to_string())?;
        let mut cmd = match self.prefix.split_first() {
            Some((first, rest)) => {
                use std::os::unix::fs::PermissionsExt;
                for dir in ["logs", "run"] {
                    let _ = std::fs::set_permissions(
                        root.join(dir),
                        std::fs::Permissions::from_mode(0o777),
                    );
                }
                let mut c = Command::new(first);
                c.args(rest).arg(httpd_binary());
                c
            }
            None => Command::new(httpd_binary()),
        };
        cmd.arg("-d")
            .arg(root)
            .arg("-f")
            .arg(&conf)
            .arg("-DFOREGROUND")
            .args(&self.args);
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        // prefork signals its whole process group at shutdown: keep the test runner out of it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if cores.is_some() {
            // SAFETY: runs in the forked child before exec, and only calls setrlimit, which is
            // async-signal-safe; it allocates nothing and takes no lock.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                    let unlimited = libc::rlimit {
                        rlim_cur: libc::RLIM_INFINITY,
                        rlim_max: libc::RLIM_INFINITY,
                    };
                    // Best effort: without it the kernel writes no core, and nothing else changes.
                    libc::setrlimit(libc::RLIMIT_CORE, &unlimited);
                    Ok(())
                });
            }
        }
        if self.stop_with_caller {
            // SAFETY: runs in the forked child before exec, and only calls prctl, which is
            // async-signal-safe; it allocates nothing and takes no lock.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", httpd_binary().display()))?;
        let mut h = Httpd {
            child: Some(child),
            root: root.to_path_buf(),
            port,
        };
        let wait = if self.prefix.is_empty() { 20 } else { 120 };
        let deadline = Instant::now() + Duration::from_secs(wait);
        loop {
            if let Some(status) = h.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                h.child = None;
                return Err(format!(
                    "httpd exited ({status}) at start-up:\n{}",
                    h.output()
                ));
            }
            if client::probe(port) {
                return Ok(h);
            }
            if Instant::now() > deadline {
                let out = h.output();
                return Err(format!("httpd did not answer within {wait} s:\n{out}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn mkdir(d: &Path) -> Result<(), String> {
    std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    use std::os::unix::fs::PermissionsExt;
    // Children run as www-data when the tests run as root: they must reach the files.
    let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755));
    Ok(())
}

/// A new directory `apache-rs-<kind>-...` in the temporary directory, named apart from every
/// other test's.
fn make_temp_dir(kind: &str) -> Result<PathBuf, String> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "apache-rs-{kind}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(name);
    mkdir(&dir)?;
    Ok(dir)
}

/// `HARNESS_CORES=DIR`: where a crashing child of a test's httpd leaves its core, in a
/// directory named after the server's root, made here (`cargo xtask test` sets it and shows
/// the cores' backtraces after each run, whether or not a test failed). `None` without it, or when the kernel does not write cores
/// as plain files in the process's directory (`core_pattern` a pipe or a path).
fn core_dir(root: &Path) -> Option<PathBuf> {
    let base = PathBuf::from(std::env::var_os("HARNESS_CORES")?);
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").ok()?;
    if pattern.starts_with('|') || pattern.contains('/') {
        return None;
    }
    let dir = base.join(root.file_name()?);
    std::fs::create_dir_all(&dir).ok()?;
    use std::os::unix::fs::PermissionsExt;
    // httpd's children, which dump, run as its User.
    for d in [&base, &dir] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o1777)).ok()?;
    }
    Some(dir)
}

fn make_root() -> Result<PathBuf, String> {
    let root = make_temp_dir("test")?;
    for sub in ["logs", "run", "htdocs"] {
        mkdir(&root.join(sub))?;
    }
    std::fs::write(
        root.join("htdocs/index.html"),
        "<html><body>it works</body></html>\n",
    )
    .map_err(|e| e.to_string())?;
    Ok(root)
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// A running httpd, stopped on drop.
pub struct Httpd {
    child: Option<Child>,
    root: PathBuf,
    port: u16,
}

impl Httpd {
    /// Starts configuring a server.
    pub fn builder() -> Builder {
        Builder {
            mpm: Mpm::Event,
            modules: Vec::new(),
            config: Vec::new(),
            log_level: "info".into(),
            files: Vec::new(),
            env: Vec::new(),
            port: None,
            prefix: Vec::new(),
            args: Vec::new(),
            single_child: false,
            stop_with_caller: false,
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary ServerRoot.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The parent process's id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    /// Sends a request with extra headers and a body (a `Content-Length` is added unless the
    /// headers give one or a `Transfer-Encoding`).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        client::request(self.port, method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\nerror_log:\n{}", self.error_log()))
    }

    /// Sends raw bytes and returns everything the server answers until it closes.
    pub fn raw(&self, bytes: &[u8]) -> Vec<u8> {
        client::raw(self.port, bytes).unwrap_or_else(|e| panic!("raw request: {e}"))
    }

    /// The error_log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.root.join("logs/error_log")).unwrap_or_default()
    }

    fn output(&self) -> String {
        let read =
            |f: &str| std::fs::read_to_string(self.root.join("logs").join(f)).unwrap_or_default();
        format!(
            "--- stderr ---\n{}--- error_log ---\n{}",
            read("stderr"),
            read("error_log")
        )
    }

    fn signal(&self, sig: i32) {
        if let Some(c) = &self.child {
            // SAFETY: kill has no memory preconditions; the pid is our own child's, not yet reaped.
            unsafe { libc::kill(c.id() as i32, sig) };
        }
    }

    /// Graceful restart (SIGUSR1): waits until the server has re-read its configuration and
    /// answers again.
    pub fn graceful_restart(&self) {
        let count = |log: &str| log.matches("resuming normal operations").count();
        let before = count(&self.error_log());
        self.signal(libc::SIGUSR1);
        let deadline = Instant::now() + Duration::from_secs(20);
        while count(&self.error_log()) <= before {
            assert!(
                Instant::now() < deadline,
                "no restart within 20 s:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        while !client::probe(self.port) {
            assert!(
                Instant::now() < deadline,
                "not answering after restart:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server and waits for it to exit.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // httpd's event MPM can crash a child stopped (SIGTERM) while one of its workers is
        // finishing a connection: the child's main thread closes the workers' sockets while
        // a worker frees the memory of one (`apr_os_sock_get` in `close_worker_sockets`; seen
        // with no module loaded, 22 stops of 150 under traffic). A test stops a server whose
        // clients are done, so their connections are let end first, for at most a second.
        wait_for_connections_to_end(self.port, Duration::from_secs(1));
        // SAFETY: kill has no memory preconditions; the pid is our own child's, not yet reaped.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Httpd {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "=== httpd at {} ===\n{}",
                self.root.display(),
                self.output()
            );
        }
        self.shutdown();
        if std::env::var_os("KEEP_HTTPD_ROOT").is_none() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// Waits until no TCP connection to 127.0.0.1:`port` is open on the server's side (as `ss`
/// lists them: connected, not in TIME-WAIT), or `limit` has passed. Without `ss` (iproute2)
/// it does not wait. (`ss` asks the kernel for those sockets alone; reading /proc/net/tcp
/// takes a tenth of a second once a test run has left thousands in TIME-WAIT.)
fn wait_for_connections_to_end(port: u16, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline && open_connections(port).is_some_and(|n| n > 0) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How many connections to `port` are open on the server's side; `None` without `ss`.
fn open_connections(port: u16) -> Option<usize> {
    let out = Command::new("ss")
        .args(["-Htn", "state", "connected", "exclude", "time-wait"])
        .arg(format!("( sport = :{port} )"))
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&out.stdout).lines().count())
}
