//! Talking to the client of a connection through its filters, for protocol modules that serve
//! a whole connection from a `process_connection` hook.
//!
//! ```no_run
//! use apache::{Connection, HookResult, Status};
//! use std::io::Write;
//!
//! apache::module!(upper_module);
//! apache::hook!(process_connection, serve);
//!
//! fn serve(c: &mut Connection) -> HookResult {
//!     if c.local_port() != 7007 {
//!         return Ok(Status::Declined); // HTTP, not ours
//!     }
//!     let mut io = c.io();
//!     loop {
//!         let line = io.read_line(64 * 1024)?;
//!         if line.is_empty() {
//!             return Ok(Status::Ok); // the client closed
//!         }
//!         io.write_all(&line.to_ascii_uppercase())?;
//!         io.flush()?;
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! Reads go through `c->input_filters` (`ap_get_brigade`, blocking) and writes through
//! `c->output_filters` (`ap_pass_brigade`), so connection filters such as TLS apply. The end of
//! the input is `Ok(0)` or an empty line; a failure, including the socket's timeout (the
//! server's `Timeout` unless [`ConnIo::set_timeout`] changes it), is an `io::Error`.

use crate::apr::{AprError, OwnedBrigade};
use crate::conn::Connection;
use apache_sys as ffi;
use std::io;
use std::time::Duration;

/// Consecutive successful reads that brought neither data nor an end before a read gives up: a
/// blocking read should never come back empty-handed, so an input filter that keeps doing so
/// would otherwise make the reader spin.
const MAX_EMPTY_READS: u32 = 64;

/// A reader and writer over a connection's filters; made by [`Connection::io`].
///
/// Writes are buffered in a brigade and sent when it fills up (about 8 KB), on
/// [`io::Write::flush`], before a read waits for the client (so an answer is never stuck behind
/// a read), and when the `ConnIo` is dropped (errors are then ignored; call `flush` to see
/// them). Input read ahead of what was asked (the rest of a line longer than the limit) is kept
/// for the next read, and lost when the `ConnIo` is dropped: keep one for the connection's life.
pub struct ConnIo<'c> {
    conn: &'c Connection,
    input: OwnedBrigade<'c>,
    output: OwnedBrigade<'c>,
    /// Bytes received and not yet handed out.
    pending: Vec<u8>,
    /// The input has ended (or failed for good): later reads return nothing.
    eof: bool,
}

impl Connection {
    /// Reads from and writes to the client through the connection's filters; see [`ConnIo`].
    /// For a `process_connection` hook that serves the connection itself.
    pub fn io(&mut self) -> ConnIo<'_> {
        let conn: &Connection = self;
        ConnIo {
            conn,
            input: OwnedBrigade::new(conn.pool(), conn),
            output: OwnedBrigade::new(conn.pool(), conn),
            pending: Vec::new(),
            eof: false,
        }
    }
}

/// What a read mode asks of the input filters.
#[derive(Clone, Copy)]
enum Mode {
    /// Up to `n` bytes, whatever has arrived.
    Bytes(usize),
    /// Up to the end of a line (the core filter gives at most 8 KB at a time).
    Line,
}

impl ConnIo<'_> {
    /// The connection.
    pub fn connection(&self) -> &Connection {
        self.conn
    }

    /// Sets the socket's timeout for reads and writes (httpd's `Timeout` until then); a read
    /// that waits longer fails with [`io::ErrorKind::TimedOut`].
    pub fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        // SAFETY: the connection's socket (NULL for connections without one, e.g. HTTP/2
        // streams) lives as long as the connection.
        let sock = unsafe { ffi::ap_get_conn_socket(self.conn.as_ptr()) };
        if sock.is_null() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the connection has no socket",
            ));
        }
        let usec = i64::try_from(timeout.as_micros()).unwrap_or(i64::MAX);
        // SAFETY: valid socket; the core filters honour the socket's timeout.
        let rv = unsafe { ffi::apr_socket_timeout_set(sock, usec) };
        AprError::check(rv).map_err(io::Error::from)
    }

    /// Reads what has arrived, up to `max` bytes, waiting for at least one; empty at the end of
    /// the input. (`conn.read(len)` in mod_python.)
    pub fn read_bytes(&mut self, max: usize) -> io::Result<Vec<u8>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        if self.pending.is_empty() {
            self.receive(Mode::Bytes(max))?;
        }
        let n = max.min(self.pending.len());
        Ok(self.pending.drain(..n).collect())
    }

    /// Reads one line, up to and including its `\n`, but at most `max` bytes: a longer line
    /// comes in pieces of `max` bytes, the last one ending with `\n`. The last line of the
    /// input may have no `\n`; an empty result means the input has ended. (`conn.readline(len)`
    /// in mod_python.) `max` of 0 is an error, as it could never make progress.
    pub fn read_line(&mut self, max: usize) -> io::Result<Vec<u8>> {
        if max == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "read_line needs a limit of at least one byte",
            ));
        }
        let mut searched = 0;
        loop {
            let window = self.pending.len().min(max);
            if let Some(i) = self.pending[searched..window]
                .iter()
                .position(|&b| b == b'\n')
            {
                return Ok(self.pending.drain(..=searched + i).collect());
            }
            if window == max || (self.eof && !self.pending.is_empty()) {
                return Ok(self.pending.drain(..window).collect());
            }
            searched = window;
            if !self.receive(Mode::Line)? {
                return Ok(self.pending.drain(..).collect());
            }
        }
    }

    /// Adds the next input to `pending`; `false` at the end of the input.
    fn receive(&mut self, mode: Mode) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        // The client may be waiting for what we wrote before it sends more.
        if !self.output.is_empty() {
            io::Write::flush(self)?;
        }
        let (raw_mode, readbytes) = match mode {
            Mode::Bytes(n) => (
                ffi::AP_MODE_READBYTES,
                ffi::apr_off_t::try_from(n).unwrap_or(ffi::apr_off_t::MAX),
            ),
            // The core filter ignores the count for lines.
            Mode::Line => (ffi::AP_MODE_GETLINE, 0),
        };
        let mut empty_reads = 0;
        loop {
            // SAFETY: the connection's input filter chain (re-read each time: filters may come
            // and go) and our brigade, emptied after each read.
            let rv = unsafe {
                ffi::ap_get_brigade(
                    (*self.conn.as_ptr()).input_filters,
                    self.input.as_ptr(),
                    raw_mode,
                    ffi::APR_BLOCK_READ,
                    readbytes,
                )
            };
            if ffi::APR_STATUS_IS_EOF(rv) {
                self.input.cleanup();
                self.eof = true;
                return Ok(false);
            }
            if let Err(e) = AprError::check(rv) {
                self.input.cleanup();
                return Err(e.into());
            }
            let before = self.pending.len();
            let mut ended = false;
            let mut failed = None;
            for b in self.input.buckets() {
                if b.is_eos() {
                    ended = true;
                    break;
                }
                if b.is_metadata() {
                    continue;
                }
                match b.read() {
                    Ok(data) => self.pending.extend_from_slice(data),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            self.input.cleanup();
            if let Some(e) = failed {
                return Err(e);
            }
            if ended {
                self.eof = true;
            }
            if self.pending.len() > before {
                return Ok(true);
            }
            if ended {
                return Ok(false);
            }
            // Nothing yet: a blocking GETLINE at the end of the input comes back empty once
            // before it reports APR_EOF; ask again, within reason.
            empty_reads += 1;
            if empty_reads >= MAX_EMPTY_READS {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the input filters keep returning no data",
                ));
            }
        }
    }
}

impl io::Read for ConnIo<'_> {
    /// Reads what has arrived, up to `buf.len()` bytes, waiting for at least one; 0 at the end
    /// of the input.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() && !self.receive(Mode::Bytes(buf.len()))? {
            return Ok(0);
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

impl io::Write for ConnIo<'_> {
    /// Adds `buf` to the output, sending down the filters whenever the buffer fills up.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: apr_brigade_write copies `buf` into the brigade's heap buckets, or, for data
        // larger than a bucket, passes it down at once (ap_filter_flush on the current output
        // chain, which empties the brigade) while `buf` is still borrowed.
        let rv = unsafe {
            ffi::apr_brigade_write(
                self.output.as_ptr(),
                Some(ffi::ap_filter_flush),
                (*self.conn.as_ptr()).output_filters.cast(),
                buf.as_ptr().cast(),
                buf.len(),
            )
        };
        AprError::check(rv).map_err(io::Error::from)?;
        Ok(buf.len())
    }

    /// Sends everything written so far to the client, with a flush bucket so that no filter
    /// holds it back.
    fn flush(&mut self) -> io::Result<()> {
        self.output.append_flush();
        // SAFETY: the connection's output chain and our brigade.
        let rv = unsafe {
            ffi::ap_pass_brigade((*self.conn.as_ptr()).output_filters, self.output.as_ptr())
        };
        self.output.cleanup();
        AprError::check(rv).map_err(io::Error::from)
    }
}

impl Drop for ConnIo<'_> {
    fn drop(&mut self) {
        // After a panic the protocol's state is unknown: send nothing more.
        if !self.output.is_empty() && !std::thread::panicking() {
            let _ = io::Write::flush(self);
        }
    }
}

thread_local! {
    static LENT_IO: std::cell::Cell<*mut ConnIo<'static>> =
        const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Puts back the previously lent `ConnIo` when a lend ends, even by unwinding.
struct RestoreIo(*mut ConnIo<'static>);

impl Drop for RestoreIo {
    fn drop(&mut self) {
        LENT_IO.with(|l| l.set(self.0));
    }
}

impl<'c> ConnIo<'c> {
    /// Runs `f` with this `ConnIo` lent to the thread, for an embedded language whose objects
    /// call back into httpd (mod_python's `conn.read()`); they reach it through
    /// [`ConnIo::with_lent`]. Nothing reaches it after `lend` returns.
    pub fn lend<R>(&mut self, f: impl FnOnce() -> R) -> R {
        // Only the lifetime changes: the slot has to name one.
        #[allow(clippy::unnecessary_cast)]
        let me = self as *mut ConnIo<'c> as *mut ConnIo<'static>;
        let _restore = RestoreIo(LENT_IO.with(|l| l.replace(me)));
        f()
    }

    /// Borrows the `ConnIo` lent to this thread by [`ConnIo::lend`]; while `f` runs it is
    /// taken, so a nested call gets [`NotLent`](crate::core::NotLent).
    pub fn with_lent<R>(
        f: impl for<'a> FnOnce(&'a mut ConnIo<'a>) -> R,
    ) -> Result<R, crate::core::NotLent> {
        let io = LENT_IO.with(|l| l.replace(std::ptr::null_mut()));
        if io.is_null() {
            return Err(crate::core::NotLent);
        }
        let _restore = RestoreIo(io);
        // SAFETY: lent by `lend`, whose caller's &mut borrow is suspended for the whole lend;
        // taking it out of the slot makes this the only live reference until restored. The
        // closure sees it with a lifetime of its own, shorter than the connection's, and
        // cannot keep it.
        Ok(f(unsafe { &mut *io }))
    }
}
