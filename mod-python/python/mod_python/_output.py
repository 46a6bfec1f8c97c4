"""Output to httpd's error_log: each interpreter's sys.stdout and sys.stderr, warnings, and
the logging records of an application that configured no handler.

mod_python.so calls install() when it sets an interpreter up. Every line written to sys.stdout
or sys.stderr becomes an entry of the error_log at error level, as under mod_wsgi, with
httpd's prefix (time, module, level, pid) and the client when the thread is serving a
request; the start of a line waits, per thread, for its end (a newline, a flush, the end of
the request phase, or the child's exit). Warnings are logged at warning level. Logging records
that find no handler (an application that configured none) are logged at their own level,
where Python would have printed them to stderr; ErrorLogHandler does the same for loggers an
application gives it.
"""

from __future__ import annotations

import io
import logging
import sys
import warnings
from typing import Any, TextIO

from mod_python._apache import log_error, output_flush, output_write

# httpd's levels (syslog's numbers), as mod_python.apache names them.
_APLOG_CRIT = 2
_APLOG_ERR = 3
_APLOG_WARNING = 4
_APLOG_INFO = 6
_APLOG_DEBUG = 7
_APLOG_TRACE1 = 8


class ErrorLogBuffer(io.RawIOBase):
    """The binary side of an ErrorLogStream (its `buffer`), for code that writes bytes to
    sys.stdout.buffer."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        data = bytes(data)
        output_write(self._fd, data)
        return len(data)

    def flush(self) -> None:
        output_flush(self._fd)

    def close(self) -> None:
        # Shared by the whole interpreter: never closed, only flushed.
        self.flush()


class ErrorLogStream(io.TextIOBase):
    """sys.stdout (fd 1) or sys.stderr (fd 2) of an interpreter in httpd: text written is
    logged to the error_log line by line."""

    encoding = "utf-8"
    errors = "surrogateescape"

    def __init__(self, fd: int, name: str) -> None:
        super().__init__()
        self._fd = fd
        self._name = name
        self._buffer = ErrorLogBuffer(fd)

    @property
    def name(self) -> str:
        return self._name

    @property
    def line_buffering(self) -> bool:
        return True

    @property
    def buffer(self) -> ErrorLogBuffer:
        return self._buffer

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise io.UnsupportedOperation("%s goes to httpd's error_log, not to a file" % self._name)

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        output_write(self._fd, s)
        return len(s)

    def flush(self) -> None:
        output_flush(self._fd)

    def close(self) -> None:
        # Shared by the whole interpreter (and replaced streams still point at it): closing
        # it would make every later print() fail. It is only flushed.
        self.flush()

    def __repr__(self) -> str:
        return "<mod_python error_log stream %s>" % self._name


def _aplog_level(levelno: int) -> int:
    """httpd's level for a logging level."""
    if levelno >= logging.CRITICAL:
        return _APLOG_CRIT
    if levelno >= logging.ERROR:
        return _APLOG_ERR
    if levelno >= logging.WARNING:
        return _APLOG_WARNING
    if levelno >= logging.INFO:
        return _APLOG_INFO
    if levelno >= logging.DEBUG:
        return _APLOG_DEBUG
    return _APLOG_TRACE1


class ErrorLogHandler(logging.Handler):
    """A logging handler writing each record to httpd's error_log at the matching level
    (CRITICAL crit, ERROR error, WARNING warn, INFO info, DEBUG debug), one entry per line,
    with the request's client when the thread is serving one. httpd's LogLevel decides what
    is kept, as for its own modules (`LogLevel python:info` lets INFO records through)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            level = _aplog_level(record.levelno)
            for line in text.split("\n"):
                log_error(line, level)
        except Exception:
            self.handleError(record)


def _showwarning(message: Warning | str, category: type[Warning], filename: str,
                 lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
    """warnings.showwarning: to the error_log at warning level, unless a file was named."""
    if file is not None:
        _default_showwarning(message, category, filename, lineno, file, line)
        return
    text = warnings.formatwarning(message, category, filename, lineno, line)
    for part in text.rstrip("\n").split("\n"):
        log_error(part, _APLOG_WARNING)


_default_showwarning = warnings.showwarning


def install() -> None:
    """Sends this interpreter's output to the error_log (called by mod_python.so when it sets
    the interpreter up). The streams Python started with stay in sys.__stdout__ and
    sys.__stderr__ (PythonEnablePdb's debugger talks through them)."""
    sys.stdout = ErrorLogStream(1, "<stdout>")
    sys.stderr = ErrorLogStream(2, "<stderr>")
    warnings.showwarning = _showwarning
    # Records of loggers without handlers, when the root logger has none either (the
    # application configured no logging): at their level, where Python would have written
    # them to sys.stderr. An application that configures logging is left to its handlers.
    logging.lastResort = ErrorLogHandler(logging.WARNING)
