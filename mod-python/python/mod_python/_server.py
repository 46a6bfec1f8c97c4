"""mp_server: a (virtual) server, as req.server and apache.main_server show it, over the
native functions of _apache (srv_*); and the cleanups run when the child process exits."""

from __future__ import annotations

import atexit
import traceback
from collections.abc import Callable
from typing import Any

from mod_python._apache import log_error, srv_config, srv_get, srv_options
from mod_python._attrs import log_message, read_only, record_capsule
from mod_python._table import mp_table, table_of


class mp_server:
    """A (virtual) server, named by its handle; its attributes are read when asked. Handlers
    may add attributes of their own, as in 3.5."""

    __slots__ = ("_s", "__dict__")
    _s: int

    def __init__(self, handle: int) -> None:
        self._s = handle

    def __eq__(self, other: object) -> bool:
        return isinstance(other, mp_server) and other._s == self._s

    def __hash__(self) -> int:
        return hash(self._s)

    def __repr__(self) -> str:
        return "<mp_server object at %#x>" % id(self)

    next = read_only("mp_server", "next",
                     lambda self: mp_server(n) if (n := srv_get(self._s, "next")) else None)
    _server_rec = read_only("mp_server", "_server_rec", lambda self: record_capsule(self._s))

    def get_options(self) -> mp_table:
        """The PythonOptions of the server's configuration (a table)."""
        return table_of(srv_options(self._s))

    def get_config(self) -> mp_table:
        """The mod_python directives of the server's configuration (a table)."""
        return table_of(srv_config(self._s))

    def register_cleanup(self, req: object, callable: Callable[[Any], object],
                         data: Any = None) -> None:
        """Runs callable(data) when the child process exits; `req` is the request being
        served, as 3.5 asks."""
        if not hasattr(req, "_h"):
            raise ValueError("first argument must be a request object")
        if not _is_callable(callable):
            raise ValueError("second argument must be a callable object")
        register_exit_cleanup(callable, data)

    def log_error(self, message: str | None, level: int = 3) -> None:
        log_message(message, level)

    # The server_rec's fields, read when asked (set below, one property each).
    server_hostname: str | None
    server_admin: str | None
    port: int
    is_virtual: int
    defn_name: str | None
    defn_line_number: int
    error_fname: str | None
    loglevel: int
    names: tuple[str, ...]
    wild_names: tuple[str, ...]
    limit_req_line: int
    limit_req_fieldsize: int
    limit_req_fields: int
    timeout: float
    keep_alive: int
    keep_alive_max: int
    keep_alive_timeout: float
    path: str | None
    pathlen: int
    restart_time: float | None
    my_generation: int


def _is_callable(obj: object) -> bool:
    return callable(obj)


def _field(name: str) -> property:
    return read_only("mp_server", name, lambda self: srv_get(self._s, name))


for _name in ("server_hostname", "server_admin", "port", "is_virtual", "defn_name",
              "defn_line_number", "error_fname", "loglevel", "names", "wild_names",
              "limit_req_line", "limit_req_fieldsize", "limit_req_fields", "timeout",
              "keep_alive", "keep_alive_max", "keep_alive_timeout", "path", "pathlen",
              "restart_time", "my_generation"):
    setattr(mp_server, _name, _field(_name))
del _name


def register_exit_cleanup(callable: Callable[[Any], object], data: Any = None) -> None:
    """Runs callable(data) when the child process exits (data is None when not given, as in
    3.5); a failure is logged with its traceback."""

    def run() -> None:
        try:
            callable(data)
        except Exception:
            log_error("mod_python: cleanup at child exit failed: " + traceback.format_exc(), 3)

    atexit.register(run)
