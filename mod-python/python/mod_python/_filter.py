"""mp_filter: the filter object given to a PythonOutputFilter or PythonInputFilter callable,
over the native functions of _apache (flt_*), which reach the filter being run on this
thread; and the run of one filter call."""

from __future__ import annotations

from operator import attrgetter

from mod_python._apache import (
    flt_close,
    flt_disable,
    flt_flush,
    flt_pass_on,
    flt_read,
    flt_write,
)
from mod_python._attrs import read_only_member
from mod_python._request import mp_request


class mp_filter:
    """The filter object given to a PythonOutputFilter or PythonInputFilter callable, new for
    each call (each brigade of the response, or each read of the request body). As in 3.5,
    `req` and `softspace` may be set; the rest is read-only."""

    __slots__ = ("_h", "_name", "_is_input", "_handler", "_dir", "_closed", "req", "softspace")
    _h: int
    req: mp_request
    softspace: int

    def __init__(self, h: int, name: str, is_input: bool, req: mp_request, handler: str,
                 dir: str | None) -> None:
        self._h = h
        self._name = name
        self._is_input = int(is_input)
        self.req = req
        self._handler = handler
        self._dir = dir
        self._closed = 0
        self.softspace = 0

    name = read_only_member(attrgetter("_name"))
    is_input = read_only_member(attrgetter("_is_input"))
    handler = read_only_member(attrgetter("_handler"))
    dir = read_only_member(attrgetter("_dir"))
    closed = read_only_member(attrgetter("_closed"))

    def __repr__(self) -> str:
        return "<mp_filter object at %#x>" % id(self)

    def _check(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed filter")

    def read(self, length: int | None = -1) -> bytes | None:
        """Up to `length` bytes (all there is without it); '' when this call's data is used
        up; None at the end of the stream (then close the filter)."""
        self._check()
        return flt_read(self._h, -1 if length is None else length, False)

    def readline(self, length: int | None = -1) -> bytes | None:
        self._check()
        return flt_read(self._h, -1 if length is None else length, True)

    def write(self, data: str | bytes) -> None:
        self._check()
        flt_write(self._h, data)

    def flush(self) -> None:
        flt_flush(self._h)

    def close(self) -> None:
        if not self._closed:
            flt_close(self._h)
            self._closed = 1

    def pass_on(self) -> None:
        flt_pass_on(self._h)

    def disable(self) -> None:
        flt_disable(self._h)


def dispatch(h: int, name: str, is_input: bool, req: mp_request, module_name: str,
             callable_name: str, directory: str | None, debug: bool, autoreload: bool,
             python_path: str | None) -> bool:
    """Runs a filter callable for one call (called by mod_python.so); whether it raised. An
    exception is logged with its traceback as 3.5 logs it (and, with PythonDebug On, written
    to the output); the filter is then disabled and data passes through untouched, unless the
    callable had read data it did not pass on: mod_python.so then ends the response as
    failed."""
    # Imported here: mod_python.apache imports the object modules.
    from mod_python import apache
    handler = apache._handler_name(module_name, callable_name,
                                   "inputfilter" if is_input else "outputfilter")
    filter = mp_filter(h, name, is_input, req, handler, directory)
    try:
        if python_path:
            apache._set_python_path(python_path)
        obj = apache._find_handler(module_name, callable_name, autoreload, directory)
        obj(filter)
        return False
    except Exception as e:
        try:
            filter.disable()
        except Exception:
            pass
        apache._log_exception(name, handler, e)
        if debug and not is_input and not filter.closed:
            # As mod_python 3.5: a 500 page with the traceback, when the headers have not
            # gone out yet; after them, the traceback is still written into the response.
            try:
                req.status = 500
                req.content_type = "text/html"
            except Exception:
                pass
            try:
                filter.write(apache._error_page(name, handler, e))
                filter.flush()
            except Exception:
                pass
        return True
    finally:
        filter._h = 0
