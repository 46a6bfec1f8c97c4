//! Real memcached and redis-server instances for tests of httpd's network socache providers
//! (`mod_socache_memcache`, `mod_socache_redis`): each [`Store`] is a private server on a free
//! port of 127.0.0.1, keeping nothing on disk, stopped when dropped (a panicking test too). A
//! test can stop it and start it again on the same port mid-run, and read what it holds with
//! [`Store::get`] and [`Store::ttl`], as the providers key it ([`socache_key`]).
//!
//! ```no_run
//! use harness::stores::{self, Protocol};
//! let Some(store) = stores::start_or_skip(Protocol::Redis) else { return };
//! let spec = store.spec(); // "redis:127.0.0.1:<port>", for a socache directive
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The network stores httpd's socache providers talk to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// memcached's text protocol, through `mod_socache_memcache`.
    Memcache,
    /// Redis's protocol (RESP), through `mod_socache_redis`.
    Redis,
}

impl Protocol {
    /// Both, memcache first.
    pub const ALL: [Protocol; 2] = [Protocol::Memcache, Protocol::Redis];

    /// The socache provider's name (`memcache`, `redis`).
    pub fn provider(self) -> &'static str {
        match self {
            Protocol::Memcache => "memcache",
            Protocol::Redis => "redis",
        }
    }

    /// The provider's module: its symbol and its file in the system modules directory.
    pub fn module(self) -> (&'static str, &'static str) {
        match self {
            Protocol::Memcache => ("socache_memcache_module", "mod_socache_memcache.so"),
            Protocol::Redis => ("socache_redis_module", "mod_socache_redis.so"),
        }
    }

    /// The server's program (`memcached`, `redis-server`).
    pub fn program(self) -> &'static str {
        match self {
            Protocol::Memcache => "memcached",
            Protocol::Redis => "redis-server",
        }
    }

    /// The Debian package that has the program.
    fn package(self) -> &'static str {
        match self {
            Protocol::Memcache => "memcached",
            Protocol::Redis => "redis-server",
        }
    }
}

/// The key a provider gives a socache entry: the cache's namespace (the id it was made with),
/// a colon, and the entry's id in lower-case hex.
pub fn socache_key(namespace: &str, id: &[u8]) -> String {
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!("{namespace}:{hex}")
}

/// Why `protocol`'s server cannot run here, if it cannot: its program or its httpd module is
/// missing.
pub fn missing(protocol: Protocol) -> Option<String> {
    let (_, module) = protocol.module();
    if program_path(protocol.program()).is_none() {
        Some(format!(
            "{} is not installed (apt-get install {})",
            protocol.program(),
            protocol.package()
        ))
    } else if !crate::system_modules_dir().join(module).exists() {
        Some(format!("httpd has no {module}"))
    } else {
        None
    }
}

/// Starts a private server, or says on stderr why the test is skipped (the program or the
/// provider's module is missing) and returns `None`. Any other failure panics.
pub fn start_or_skip(protocol: Protocol) -> Option<Store> {
    if let Some(why) = missing(protocol) {
        eprintln!("skipped: {why}");
        return None;
    }
    Some(Store::start(protocol).unwrap_or_else(|e| panic!("{e}")))
}

fn program_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A running memcached or redis-server on 127.0.0.1, killed when dropped.
pub struct Store {
    protocol: Protocol,
    port: u16,
    child: Option<Child>,
    /// Its working directory and log.
    dir: PathBuf,
}

impl Store {
    /// Starts a server on a free port; `Err` says why it did not come up.
    pub fn start(protocol: Protocol) -> Result<Store, String> {
        let dir = crate::make_temp_dir("store")?;
        let mut last = String::new();
        // Another process may take the free port first: then another one.
        for _ in 0..5 {
            let mut store = Store {
                protocol,
                port: crate::free_port()?,
                child: None,
                dir: dir.clone(),
            };
            match store.launch(Duration::from_secs(10)) {
                Ok(()) => return Ok(store),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// `memcache` or `redis`.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The socache provider and argument that reach it: `memcache:127.0.0.1:<port>`.
    pub fn spec(&self) -> String {
        format!("{}:127.0.0.1:{}", self.protocol.provider(), self.port)
    }

    /// The server process's id (0 while stopped).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Whether it is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the server (SIGKILL, as a crash would) and waits for it: connections to it are
    /// refused until [`Store::restart`]. What it held is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (SIGSTOP): the kernel still accepts connections and takes what is
    /// sent, but nothing answers, as with a server that hangs, until [`Store::resume`].
    /// Returns once every thread of it has stopped: kill() returns before a thread busy on
    /// another CPU has, and a multi-threaded server (memcached) could still answer a request
    /// sent right after it.
    pub fn pause(&self) {
        self.signal(libc::SIGSTOP);
        let Some(c) = &self.child else {
            return;
        };
        let tasks = PathBuf::from(format!("/proc/{}/task", c.id()));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && !all_stopped(&tasks) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Lets a paused server run again (SIGCONT): it answers what it was sent meanwhile.
    pub fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    fn signal(&self, sig: i32) {
        if let Some(c) = &self.child {
            // SAFETY: kill has no memory preconditions; the pid is our own child's, not reaped.
            unsafe { libc::kill(c.id() as i32, sig) };
        }
    }

    /// Starts it again, empty, on the same port; panics if it does not come up.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // The port stays ours unless another process took it in between.
            match self.launch(Duration::from_secs(10)) {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("restarting: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    fn args(&self) -> Vec<String> {
        let port = self.port.to_string();
        let v: Vec<&str> = match self.protocol {
            // -U 0: no UDP port.
            Protocol::Memcache => vec!["-l", "127.0.0.1", "-p", &port, "-U", "0", "-c", "256"],
            // Nothing saved: no RDB snapshots, no append-only file.
            Protocol::Redis => vec![
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--logfile",
                "",
            ],
        };
        let mut args: Vec<String> = v.into_iter().map(String::from).collect();
        // memcached refuses to run as root without a user to become.
        // SAFETY: geteuid has no preconditions; it only reads the process's credentials.
        if self.protocol == Protocol::Memcache && unsafe { libc::geteuid() } == 0 {
            args.extend(["-u".to_string(), "nobody".to_string()]);
        }
        args
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join(format!("{}.log", self.protocol.program()))
    }

    /// Runs the server on `self.port` and waits until it answers a ping.
    fn launch(&mut self, wait: Duration) -> Result<(), String> {
        let program = self.protocol.program();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| e.to_string())?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(program);
        cmd.args(self.args())
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        // Out of the test runner's process group, like httpd.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + wait;
        loop {
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                self.child = None;
                return Err(format!(
                    "{program} on port {} exited ({status}):\n{}",
                    self.port,
                    self.log()
                ));
            }
            if self.ping() {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(format!(
                    "{program} on port {} did not answer within {wait:?}:\n{}",
                    self.port,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the server wrote to its log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        s.set_write_timeout(Some(Duration::from_secs(5)))?;
        Ok(s)
    }

    fn ping(&self) -> bool {
        let command: &[u8] = match self.protocol {
            Protocol::Memcache => b"version\r\n",
            Protocol::Redis => b"*1\r\n$4\r\nPING\r\n",
        };
        let answer = self.connect().and_then(|s| {
            (&s).write_all(command)?;
            read_line(&mut BufReader::new(&s))
        });
        matches!(answer, Ok(line) if line.starts_with("VERSION ") || line == "+PONG")
    }

    /// The value stored under `key` (a key as the server sees it, e.g. from
    /// [`socache_key`]); `None` when it holds none.
    pub fn get(&self, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        let s = self.connect()?;
        let mut input = BufReader::new(&s);
        match self.protocol {
            Protocol::Memcache => {
                (&s).write_all(format!("get {key}\r\n").as_bytes())?;
                let line = read_line(&mut input)?;
                if line == "END" {
                    return Ok(None);
                }
                let len = line
                    .strip_prefix("VALUE ")
                    .and_then(|rest| rest.split(' ').nth(2))
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| protocol_error(&line))?;
                let value = read_block(&mut input, len)?;
                let end = read_line(&mut input)?;
                (end == "END")
                    .then_some(Some(value))
                    .ok_or_else(|| protocol_error(&end))
            }
            Protocol::Redis => {
                (&s).write_all(&resp(&["GET", key]))?;
                let line = read_line(&mut input)?;
                if line == "$-1" {
                    return Ok(None);
                }
                let len = line
                    .strip_prefix('$')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| protocol_error(&line))?;
                read_block(&mut input, len).map(Some)
            }
        }
    }

    /// The seconds `key` has left before the server expires it: `None` when it holds no such
    /// key, `Some(None)` when it never expires.
    pub fn ttl(&self, key: &str) -> std::io::Result<Option<Option<u64>>> {
        let s = self.connect()?;
        let mut input = BufReader::new(&s);
        match self.protocol {
            Protocol::Memcache => {
                // The meta get command, asking for the time left (`t`): `HD t<secs>`, `t-1`
                // for none, or `EN` when missing.
                (&s).write_all(format!("mg {key} t\r\n").as_bytes())?;
                let line = read_line(&mut input)?;
                if line == "EN" {
                    return Ok(None);
                }
                let t = line
                    .strip_prefix("HD ")
                    .and_then(|flags| flags.split(' ').find_map(|f| f.strip_prefix('t')))
                    .and_then(|t| t.parse::<i64>().ok())
                    .ok_or_else(|| protocol_error(&line))?;
                Ok(Some(u64::try_from(t).ok()))
            }
            Protocol::Redis => {
                (&s).write_all(&resp(&["TTL", key]))?;
                let line = read_line(&mut input)?;
                let t = line
                    .strip_prefix(':')
                    .and_then(|t| t.parse::<i64>().ok())
                    .ok_or_else(|| protocol_error(&line))?;
                // -2: no such key; -1: no expiry.
                Ok(match t {
                    -2 => None,
                    t => Some(u64::try_from(t).ok()),
                })
            }
        }
    }

    fn kill_quietly(&mut self) {
        // SIGKILL ends a paused server too.
        self.stop();
        if std::env::var_os("KEEP_HTTPD_ROOT").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// Where its log and working directory are.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "=== {} on port {} ===\n{}",
                self.protocol.program(),
                self.port,
                self.log()
            );
        }
        self.kill_quietly();
    }
}

/// A command in Redis's protocol.
fn resp(words: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", words.len()).into_bytes();
    for w in words {
        out.extend(format!("${}\r\n{w}\r\n", w.len()).bytes());
    }
    out
}

fn protocol_error(line: &str) -> std::io::Error {
    std::io::Error::other(format!("unexpected answer {line:?}"))
}

fn read_line(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line.trim_end().to_string())
}

/// `len` bytes and the CRLF after them.
fn read_block(r: &mut impl Read, len: usize) -> std::io::Result<Vec<u8>> {
    let mut data = vec![0; len + 2];
    r.read_exact(&mut data)?;
    data.truncate(len);
    Ok(data)
}

/// Whether every thread under `/proc/<pid>/task` is stopped (state `T`, after the command's
/// name in parentheses in its `stat`).
fn all_stopped(tasks: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(tasks) else {
        return false;
    };
    entries.flatten().all(|t| {
        std::fs::read_to_string(t.path().join("stat"))
            .ok()
            .and_then(|stat| {
                let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
                Some(state == 'T')
            })
            .unwrap_or(false)
    })
}
