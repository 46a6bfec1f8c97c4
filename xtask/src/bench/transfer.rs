//! The 100 MB transfers: the file served, and a keep-alive HTTP/1.1 client that uploads it in
//! 64 KiB writes or downloads it, reading every response to its end and checking it, without
//! keeping the body in memory.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The size of every big body: 100 MiB.
pub const SIZE: u64 = 100 << 20;
/// The size of the client's upload writes, the same as the handler's reads.
const WRITE: usize = 64 << 10;
/// The largest slice of the pattern asked for at once.
const CHUNK: usize = 1 << 20;
/// The pattern's period: an odd prime, so that a body shifted by a buffer's size (a power of
/// two) differs from the file instead of matching by chance.
const PERIOD: usize = 251;
/// Long enough for 100 MiB through a slow handler on a busy machine, short enough that a
/// stuck server fails the flavor instead of the bench.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Which way the body goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upload,
    Download,
}

/// `len` (at most 1 MiB) bytes of the body, starting at byte `offset`.
fn pattern(offset: u64, len: usize) -> &'static [u8] {
    static BUF: OnceLock<Vec<u8>> = OnceLock::new();
    let buf = BUF.get_or_init(|| (0..CHUNK + PERIOD).map(|i| (i % PERIOD) as u8).collect());
    let start = (offset % PERIOD as u64) as usize;
    &buf[start..start + len]
}

/// Writes the 100 MiB file the download flavors serve, in real 1 MiB writes: a sparse file
/// would be served from the zero page and measure nothing.
pub fn write_file(path: &Path) -> Result<(), String> {
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(err)?;
    }
    let mut f = std::fs::File::create(path).map_err(err)?;
    let mut off = 0;
    while off < SIZE {
        f.write_all(pattern(off, CHUNK)).map_err(err)?;
        off += CHUNK as u64;
    }
    use std::os::unix::fs::PermissionsExt;
    // The children run as www-data when the bench runs as root.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).map_err(err)
}

/// Puts the file at `htdocs/big.bin` in a ServerRoot: a hard link, so that every flavor reads
/// the same pages of the page cache and no flavor pays for a cold one.
pub fn place(file: &Path, root: &Path) -> Result<(), String> {
    let dest = root.join("htdocs/big.bin");
    if std::fs::hard_link(file, &dest).is_ok() {
        return Ok(());
    }
    std::fs::copy(file, &dest)
        .map(|_| ())
        .map_err(|e| format!("{}: {e}", dest.display()))
}

/// What a run of transfers did.
pub struct Done {
    pub transfers: u64,
    pub seconds: f64,
    /// CPU time the client itself used: near `seconds`, the client was the bottleneck and the
    /// throughput is the client's, not the server's.
    pub client_cpu_seconds: f64,
}

/// CPU time (user and system) of the calling thread, in seconds.
fn thread_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given, which is plain integers.
    let u = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut u);
        u
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

/// One keep-alive connection to an httpd, opened again when the server closes it.
pub struct Client {
    port: u16,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    pub fn new(port: u16) -> Self {
        Client { port, conn: None }
    }

    /// Transfers one after the other for `time`: at least one, at most `count`.
    pub fn run(
        &mut self,
        path: &str,
        dir: Direction,
        count: u32,
        time: Duration,
    ) -> Result<Done, String> {
        let t0 = Instant::now();
        let cpu0 = thread_cpu_seconds();
        let mut transfers = 0;
        while transfers < u64::from(count) && (transfers == 0 || t0.elapsed() < time) {
            self.transfer(path, dir)
                .map_err(|e| format!("transfer {}: {e}", transfers + 1))?;
            transfers += 1;
        }
        Ok(Done {
            transfers,
            seconds: t0.elapsed().as_secs_f64(),
            client_cpu_seconds: thread_cpu_seconds() - cpu0,
        })
    }

    /// One upload or download, checked: an upload's answer is the byte count the handler
    /// read; a download's body is the file, byte for byte.
    pub fn transfer(&mut self, path: &str, dir: Direction) -> Result<(), String> {
        let result = self.exchange(path, dir);
        if result.is_err() {
            // Whatever is left of the response on it would be read as the next one.
            self.conn = None;
        }
        result
    }

    fn exchange(&mut self, path: &str, dir: Direction) -> Result<(), String> {
        let port = self.port;
        let conn = match &mut self.conn {
            Some(c) => c,
            None => self
                .conn
                .insert(connect(port).map_err(|e| format!("connect: {e}"))?),
        };
        let keep_alive = match dir {
            Direction::Upload => upload(conn, path)?,
            Direction::Download => download(conn, path)?,
        };
        if !keep_alive {
            self.conn = None;
        }
        Ok(())
    }
}

/// Sends the body; its answer must be the number of bytes the handler read. Tells whether the
/// connection stays open.
fn upload(conn: &mut BufReader<TcpStream>, path: &str) -> Result<bool, String> {
    let mut w = conn.get_ref();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: {SIZE}\r\n\r\n"
    );
    w.write_all(head.as_bytes())
        .map_err(|e| format!("sending headers: {e}"))?;
    let mut off = 0;
    while off < SIZE {
        w.write_all(pattern(off, WRITE))
            .map_err(|e| format!("sending byte {off}: {e}"))?;
        off += WRITE as u64;
    }
    let mut answer = Vec::new();
    let keep_alive = read_response(conn, &mut |data| {
        answer.extend_from_slice(data);
        if answer.len() > 1024 {
            return Err("answer longer than 1 KiB".into());
        }
        Ok(())
    })?;
    let text = String::from_utf8_lossy(&answer);
    if text.trim() != SIZE.to_string() {
        return Err(format!("handler read {text:?} bytes, not {SIZE}"));
    }
    Ok(keep_alive)
}

/// Fetches the file and compares it with the pattern as it comes. Tells whether the
/// connection stays open.
fn download(conn: &mut BufReader<TcpStream>, path: &str) -> Result<bool, String> {
    conn.get_ref()
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .map_err(|e| format!("sending request: {e}"))?;
    let mut off = 0u64;
    let keep_alive = read_response(conn, &mut |mut data| {
        if off + data.len() as u64 > SIZE {
            return Err(format!("body longer than {SIZE} bytes"));
        }
        while !data.is_empty() {
            let n = data.len().min(CHUNK);
            let want = pattern(off, n);
            if data[..n] != *want {
                let i = (0..n).find(|&i| data[i] != want[i]).unwrap_or(0);
                return Err(format!(
                    "body differs from the file at byte {}",
                    off + i as u64
                ));
            }
            off += n as u64;
            data = &data[n..];
        }
        Ok(())
    })?;
    if off != SIZE {
        return Err(format!("body of {off} bytes, not {SIZE}"));
    }
    Ok(keep_alive)
}

pub fn connect(port: u16) -> std::io::Result<BufReader<TcpStream>> {
    let s = TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), IO_TIMEOUT)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(BufReader::with_capacity(256 << 10, s))
}

fn line(r: &mut BufReader<TcpStream>) -> Result<String, String> {
    let mut s = String::new();
    // A line longer than this is no HTTP we asked for; it must not fill the memory either.
    let n = std::io::Read::take(&mut *r, 16 << 10)
        .read_line(&mut s)
        .map_err(|e| format!("reading the response: {e}"))?;
    if n == 0 {
        return Err("connection closed before the response ended".into());
    }
    if !s.ends_with('\n') {
        return Err(format!("response line too long or cut: {:.80}", s));
    }
    Ok(s.trim_end().to_string())
}

/// Passes up to `n` bytes to `sink` straight from the read buffer, fewer if the server closes
/// first; returns how many.
fn copy(
    r: &mut BufReader<TcpStream>,
    n: u64,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<u64, String> {
    let mut done = 0;
    while done < n {
        let buf = r.fill_buf().map_err(|e| format!("reading the body: {e}"))?;
        if buf.is_empty() {
            break;
        }
        let k = buf
            .len()
            .min(usize::try_from(n - done).unwrap_or(usize::MAX));
        sink(&buf[..k])?;
        r.consume(k);
        done += k as u64;
    }
    Ok(done)
}

fn copy_exact(
    r: &mut BufReader<TcpStream>,
    n: u64,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let done = copy(r, n, sink)?;
    if done < n {
        return Err(format!(
            "connection closed with {} bytes of the body to come",
            n - done
        ));
    }
    Ok(())
}

/// Reads a 200 response, handing its (de-chunked) body to `sink`; tells whether the
/// connection stays open.
pub fn read_response(
    r: &mut BufReader<TcpStream>,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<bool, String> {
    let status = line(r)?;
    if !status.starts_with("HTTP/1.1 200 ") {
        return Err(format!("answered {status:?}"));
    }
    let (mut length, mut chunked, mut close) = (None, false, false);
    loop {
        let h = line(r)?;
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap_or((&h, ""));
        let v = v.trim();
        if k.eq_ignore_ascii_case("content-length") {
            length = Some(v.parse::<u64>().map_err(|_| format!("bad {h:?}"))?);
        } else if k.eq_ignore_ascii_case("transfer-encoding") {
            chunked = v.to_ascii_lowercase().contains("chunked");
        } else if k.eq_ignore_ascii_case("connection") {
            close = v.eq_ignore_ascii_case("close");
        }
    }
    if chunked {
        loop {
            let size = line(r)?;
            let hex = size.split(';').next().unwrap_or("").trim();
            let n = u64::from_str_radix(hex, 16).map_err(|_| format!("bad chunk size {size:?}"))?;
            if n == 0 {
                while !line(r)?.is_empty() {}
                break;
            }
            copy_exact(r, n, sink)?;
            if !line(r)?.is_empty() {
                return Err("chunk longer than its size".into());
            }
        }
    } else if let Some(n) = length {
        copy_exact(r, n, sink)?;
    } else {
        // Neither length nor chunks: the body ends when the server closes.
        copy(r, u64::MAX, sink)?;
        close = true;
    }
    Ok(!close)
}
