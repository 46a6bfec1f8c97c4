//! Stand-in memcached and redis servers on 127.0.0.1, for tests of httpd's socache providers
//! (`mod_socache_memcache`, `mod_socache_redis`) without the real servers: each speaks as much
//! of its protocol as apr_memcache and apr_redis use for a socache, and records what it was
//! sent, so a test can check the keys and expiries a provider chose.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The servers a socache provider talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// memcached's text protocol: set, get, delete, version.
    Memcache,
    /// Redis's protocol (RESP): SET, SETEX, PSETEX, GET, DEL, PING.
    Redis,
}

impl Protocol {
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
}

/// A value the stand-in holds.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The bytes stored.
    pub value: Vec<u8>,
    /// memcached's flags (0 over redis).
    pub flags: u32,
    /// The expiry it was sent with, in seconds (0: none).
    pub expiry: i64,
}

/// A command that changed what the stand-in holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// `"set"` or `"delete"`.
    pub command: &'static str,
    /// The key as the provider sent it.
    pub key: String,
    /// A set's expiry in seconds (0: none, or a delete).
    pub expiry: i64,
}

/// What a stand-in holds, and the sets and deletes it received, in order.
#[derive(Default, Debug)]
pub struct Seen {
    /// Key to what is stored under it.
    pub held: HashMap<String, Entry>,
    /// The sets and deletes, oldest first.
    pub sent: Vec<Sent>,
}

/// [`Seen`], shared with the test.
pub type Shared = Arc<Mutex<Seen>>;

/// Starts a stand-in on a free port of 127.0.0.1, each connection served on a thread of its
/// own for as long as the test process runs (a connection idle for 2 minutes is dropped);
/// returns the port and what the stand-in holds and received.
pub fn start(protocol: Protocol) -> (u16, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a stand-in's port");
    let port = listener.local_addr().expect("local_addr").port();
    let seen = Shared::default();
    let shared = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let _ = conn.set_read_timeout(Some(Duration::from_secs(120)));
            let seen = shared.clone();
            std::thread::spawn(move || match protocol {
                Protocol::Memcache => memcached(conn, seen),
                Protocol::Redis => redis(conn, seen),
            });
        }
    });
    (port, seen)
}

fn read_line(r: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end().to_string()))
}

fn read_exact_crlf(r: &mut impl BufRead, n: usize) -> std::io::Result<Vec<u8>> {
    let mut data = vec![0; n + 2];
    r.read_exact(&mut data)?;
    data.truncate(n);
    Ok(data)
}

impl Seen {
    fn set(&mut self, key: String, entry: Entry) {
        self.sent.push(Sent {
            command: "set",
            key: key.clone(),
            expiry: entry.expiry,
        });
        self.held.insert(key, entry);
    }

    fn delete(&mut self, key: String) -> bool {
        self.sent.push(Sent {
            command: "delete",
            key: key.clone(),
            expiry: 0,
        });
        self.held.remove(&key).is_some()
    }
}

fn memcached(conn: TcpStream, seen: Shared) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut input = BufReader::new(conn);
    while let Some(line) = read_line(&mut input)? {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["set", key, flags, exptime, len, ..] => {
                let value = read_exact_crlf(&mut input, len.parse().unwrap_or(0))?;
                let entry = Entry {
                    value,
                    flags: flags.parse().unwrap_or(0),
                    expiry: exptime.parse().unwrap_or(-1),
                };
                seen.lock().unwrap().set(key.to_string(), entry);
                out.write_all(b"STORED\r\n")?;
            }
            ["get", keys @ ..] => {
                let mut answer = Vec::new();
                let seen = seen.lock().unwrap();
                for key in keys {
                    if let Some(e) = seen.held.get(*key) {
                        answer.extend(
                            format!("VALUE {key} {} {}\r\n", e.flags, e.value.len()).bytes(),
                        );
                        answer.extend(&e.value);
                        answer.extend(b"\r\n");
                    }
                }
                drop(seen);
                answer.extend(b"END\r\n");
                out.write_all(&answer)?;
            }
            ["delete", key, ..] => {
                let gone = seen.lock().unwrap().delete(key.to_string());
                out.write_all(if gone {
                    b"DELETED\r\n"
                } else {
                    b"NOT_FOUND\r\n"
                })?;
            }
            ["version"] => out.write_all(b"VERSION 1.6.0\r\n")?,
            _ => out.write_all(b"ERROR\r\n")?,
        }
    }
    Ok(())
}

fn redis(conn: TcpStream, seen: Shared) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut input = BufReader::new(conn);
    while let Some(line) = read_line(&mut input)? {
        let Some(n) = line.strip_prefix('*').and_then(|n| n.parse::<usize>().ok()) else {
            out.write_all(b"-ERR protocol\r\n")?;
            continue;
        };
        let mut args = Vec::new();
        for _ in 0..n {
            let len = read_line(&mut input)?
                .and_then(|l| l.strip_prefix('$').and_then(|n| n.parse().ok()))
                .unwrap_or(0);
            args.push(read_exact_crlf(&mut input, len)?);
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let command = args.first().map(|a| text(a)).unwrap_or_default();
        let mut seen = seen.lock().unwrap();
        let set = |value: &[u8], expiry: i64| Entry {
            value: value.to_vec(),
            flags: 0,
            expiry,
        };
        match (command.to_ascii_uppercase().as_str(), args.as_slice()) {
            ("SETEX", [_, key, secs, value]) => {
                seen.set(text(key), set(value, text(secs).parse().unwrap_or(-1)));
                out.write_all(b"+OK\r\n")?;
            }
            ("PSETEX", [_, key, ms, value]) => {
                let ms: i64 = text(ms).parse().unwrap_or(-1000);
                seen.set(text(key), set(value, ms / 1000));
                out.write_all(b"+OK\r\n")?;
            }
            ("SET", [_, key, value, ..]) => {
                seen.set(text(key), set(value, 0));
                out.write_all(b"+OK\r\n")?;
            }
            ("GET", [_, key]) => match seen.held.get(&text(key)) {
                Some(e) => {
                    let mut answer = format!("${}\r\n", e.value.len()).into_bytes();
                    answer.extend(&e.value);
                    answer.extend(b"\r\n");
                    out.write_all(&answer)?;
                }
                None => out.write_all(b"$-1\r\n")?,
            },
            ("DEL", [_, keys @ ..]) => {
                let gone = keys.iter().filter(|k| seen.delete(text(k))).count();
                out.write_all(format!(":{gone}\r\n").as_bytes())?;
            }
            ("PING", _) => out.write_all(b"+PONG\r\n")?,
            _ => out.write_all(b"-ERR unknown command\r\n")?,
        }
    }
    Ok(())
}
