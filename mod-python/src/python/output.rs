//! What Python code writes to `sys.stdout` and `sys.stderr`: lines of httpd's error_log.
//!
//! In a child of httpd, file descriptor 1 is wherever httpd's own stdout went (usually
//! nowhere) and 2 is the main error_log, written bare. So, as mod_wsgi does, each interpreter's
//! `sys.stdout` and `sys.stderr` are streams of `mod_python._output` whose text comes here,
//! and each line becomes an entry of the error_log through httpd's logging: with the time,
//! `[python:error]`, the pid and thread, and the client when this thread is serving a request.
//!
//! A line is logged when it ends. The start of a line waits, per thread and stream, for the
//! rest: until a newline, a flush of its stream, the end of the request phase (or filter call,
//! connection, include element) that wrote it, or the child's exit, so that threads writing at
//! once do not mix their lines, and nothing written is lost.

use apache::core::logging::{Level, log};
use std::cell::Cell;
use std::sync::Mutex;
use std::thread::ThreadId;

/// `sys.stdout` or `sys.stderr`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// The stream of a file descriptor number (1 or 2).
    pub fn from_fd(fd: i32) -> Option<Stream> {
        match fd {
            1 => Some(Stream::Stdout),
            2 => Some(Stream::Stderr),
            _ => None,
        }
    }

    /// Both at error level, as mod_wsgi logs them: what an application prints is seen under
    /// httpd's default `LogLevel warn`.
    fn level(self) -> Level {
        Level::Error
    }
}

/// The start of a line written by a thread, waiting for its end.
struct Partial {
    thread: ThreadId,
    stream: Stream,
    text: Vec<u8>,
}

/// Every thread's waiting starts of lines; a thread has an entry only while one waits.
static WAITING: Mutex<Vec<Partial>> = Mutex::new(Vec::new());

thread_local! {
    /// Whether this thread has an entry in `WAITING`: most writes end their line and need
    /// not look there.
    static HAS_WAITING: Cell<bool> = const { Cell::new(false) };
}

/// httpd cuts an error_log entry at 8 kB (`MAX_STRING_LEN`), its prefix included: longer
/// lines are logged in pieces of this size, so that nothing is cut off.
const PIECE: usize = 7680;

/// Logs one line (without its newline) of `stream`.
fn emit(stream: Stream, line: &[u8]) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = String::from_utf8_lossy(line);
    let mut rest: &str = &text;
    loop {
        if rest.len() <= PIECE {
            log(stream.level(), rest);
            return;
        }
        let mut cut = PIECE;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        log(stream.level(), &rest[..cut]);
        rest = &rest[cut..];
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Partial>> {
    WAITING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes this thread's waiting starts of lines (of `stream`, or of both).
fn take_mine(stream: Option<Stream>) -> Vec<Partial> {
    if !HAS_WAITING.with(Cell::get) {
        return Vec::new();
    }
    let me = std::thread::current().id();
    let mut all = lock();
    let mut taken = Vec::new();
    let mut i = 0;
    while i < all.len() {
        if all[i].thread == me && stream.is_none_or(|s| all[i].stream == s) {
            taken.push(all.swap_remove(i));
        } else {
            i += 1;
        }
    }
    let left = all.iter().any(|p| p.thread == me);
    drop(all);
    HAS_WAITING.with(|w| w.set(left));
    taken
}

/// Writes `data` to `stream` for this thread: each line it ends is logged; what follows the
/// last newline waits for the rest of its line.
pub fn write(stream: Stream, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let mut line = take_mine(Some(stream))
        .pop()
        .map(|p| p.text)
        .unwrap_or_default();
    let mut rest = data;
    while let Some(i) = rest.iter().position(|&b| b == b'\n') {
        if line.is_empty() {
            emit(stream, &rest[..i]);
        } else {
            line.extend_from_slice(&rest[..i]);
            emit(stream, &line);
            line.clear();
        }
        rest = &rest[i + 1..];
    }
    line.extend_from_slice(rest);
    if !line.is_empty() {
        lock().push(Partial {
            thread: std::thread::current().id(),
            stream,
            text: line,
        });
        HAS_WAITING.with(|w| w.set(true));
    }
}

/// Logs the start of a line this thread left in `stream` (`sys.stdout.flush()`).
pub fn flush(stream: Stream) {
    for p in take_mine(Some(stream)) {
        emit(p.stream, &p.text);
    }
}

/// Logs the starts of lines this thread left in either stream: at the end of what it served
/// (a request phase, a filter call, an include element, a connection), so that they are
/// logged with that request.
pub fn flush_thread() {
    for p in take_mine(None) {
        emit(p.stream, &p.text);
    }
}

/// Logs every thread's waiting starts of lines: at child exit. The lock is only tried, a few
/// times: under prefork the exit may run in a signal handler that interrupted this thread's
/// own write.
pub fn flush_all() {
    for _ in 0..20 {
        let mut all = match WAITING.try_lock() {
            Ok(all) => all,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(5));
                continue;
            }
        };
        let taken = std::mem::take(&mut *all);
        drop(all);
        for p in taken {
            emit(p.stream, &p.text);
        }
        return;
    }
}

/// Calls [`flush_all`] when dropped: at the end of the child's exit, however it ends.
pub struct FlushAllAtEnd;

impl Drop for FlushAllAtEnd {
    fn drop(&mut self) {
        flush_all();
    }
}
