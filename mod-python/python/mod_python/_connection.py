"""mp_conn: the connection a request came on (req.connection); mp_connection: the connection a
PythonConnectionHandler serves, which it reads from and writes to. Over the native functions
of _apache (conn_*). Their attributes are connobject.c's in mod_python 3.5: read when asked,
all read-only but `keepalive`."""

from __future__ import annotations

from typing import Any, NoReturn

from mod_python._apache import (
    conn_get,
    conn_read,
    conn_readline,
    conn_set_keepalive,
    conn_write,
    log_error,
    served_conn_get,
)
from mod_python._attrs import log_message, record_capsule
from mod_python._hlist import mp_hlist
from mod_python._server import mp_server
from mod_python._table import CONN_NOTES, Handled, mp_table, request_table, table_of

# The conn_rec's fields 3.5's connection object answers (its dir() lists none of them); it
# also has remote_addr, hlist and _conn_rec.
FIELDS = ("base_server", "local_addr", "client_addr", "client_ip", "remote_ip", "remote_host",
          "remote_logname", "aborted", "keepalive", "double_reverse", "keepalives", "local_ip",
          "local_host", "id", "notes")

# conn.remote_ip and conn.remote_addr, httpd 2.2's names, are warned about once per process
# (and interpreter).
_warned: set[str] = set()


def _field(name: str) -> property:
    return property(lambda self: self._get(name), doc="conn_rec's %s" % name)


class mp_conn:
    """The connection a request came on."""

    # The request it was reached through (its attributes are read through the request's
    # handle); the connection's handle, for a connection handler's; what is kept once made.
    __slots__ = ("_req", "_h", "_kept")
    _req: Handled | None
    _h: int
    _kept: dict[str, Any]

    def __init__(self, req: Handled | None) -> None:
        object.__setattr__(self, "_req", req)
        object.__setattr__(self, "_h", 0)
        object.__setattr__(self, "_kept", {})

    def _get(self, name: str) -> Any:
        req = self._req
        return conn_get(req._h if req is not None else 0, name)

    def _set_keepalive(self, value: int) -> None:
        req = self._req
        conn_set_keepalive(req._h if req is not None else 0, value)

    def __repr__(self) -> str:
        return "<mp_conn object at %#x>" % id(self)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "keepalive":
            if not isinstance(value, int):
                raise TypeError("keepalive must be a integer")
            self._set_keepalive(value)
            return
        raise AttributeError("readonly attribute" if name in FIELDS else name)

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("can't delete connection attributes")

    # The conn_rec's fields, read when asked (set below, one property each).
    client_ip: str | None
    remote_host: str | None
    remote_logname: str | None
    aborted: int
    keepalive: int
    double_reverse: int
    keepalives: int
    local_ip: str | None
    local_host: str | None
    id: int
    local_addr: tuple[str | None, int]
    client_addr: tuple[str | None, int]

    def _deprecated(self, name: str, instead: str) -> Any:
        if name not in _warned:
            _warned.add(name)
            log_error("mod_python: conn.%s deprecated in 2.4, use %s" % (name, instead), 4)
        return self._get("client_ip" if name == "remote_ip" else "client_addr")

    @property
    def remote_ip(self) -> str | None:
        return self._deprecated("remote_ip", "req.useragent_ip or conn.client_ip")

    @property
    def remote_addr(self) -> tuple[str | None, int]:
        return self._deprecated("remote_addr", "req.useragent_addr or conn.client_addr")

    @property
    def base_server(self) -> mp_server:
        server = self._kept.get("base_server")
        if server is None:
            server = self._kept["base_server"] = mp_server(self._get("base_server"))
        return server

    @property
    def notes(self) -> mp_table:
        notes = self._kept.get("notes")
        if notes is None:
            notes = self._kept["notes"] = self._notes()
        return notes

    def _notes(self) -> mp_table:
        assert self._req is not None
        return request_table(self._req, CONN_NOTES)

    @property
    def hlist(self) -> mp_hlist | None:
        """None: only a connection handler's connection has a handler list."""
        return None

    @property
    def _conn_rec(self) -> object:
        return record_capsule(self._get("_conn_rec"))

    def log_error(self, message: str | None, level: int = 3) -> None:
        log_message(message, level)

    # Reading and writing: a connection handler's only (a request's connection is httpd's to
    # read and write, so these raise RuntimeError on one).
    def read(self, length: int | None = 0) -> bytes:
        """At most `length` bytes, waiting for at least one (without it, what there is, up to
        8 KiB); with -1, everything until the client closes. b'' at the end."""
        if length is None or length == 0:
            length = 8192
        return conn_read(self._h, length)

    def readline(self, length: int | None = 0) -> bytes:
        """One line, with its newline, or its first `length` bytes; b'' at the end."""
        return conn_readline(self._h, -1 if not length else length)

    def write(self, data: str | bytes) -> None:
        conn_write(self._h, data)


for _name in ("client_ip", "remote_host", "remote_logname", "aborted", "keepalive",
              "double_reverse", "keepalives", "local_ip", "local_host", "id", "local_addr",
              "client_addr"):
    setattr(mp_conn, _name, _field(_name))
del _name


class mp_connection(mp_conn):
    """The connection a PythonConnectionHandler serves: mp_conn's attributes, read through
    the connection itself, and reading from and writing to the client."""

    __slots__ = ("_handler",)
    _handler: tuple[str, str | None]

    def __init__(self, h: int, handler: str, directory: str | None) -> None:
        mp_conn.__init__(self, None)
        object.__setattr__(self, "_h", h)
        object.__setattr__(self, "_handler", (handler, directory))

    def _get(self, name: str) -> Any:
        if name == "keepalive" and "keepalive" in self._kept:
            return self._kept["keepalive"]
        return served_conn_get(self._h, name)

    def _set_keepalive(self, value: int) -> None:
        # httpd does not read it while a connection handler serves the whole connection,
        # which it closes after: the value is kept here, for reading back.
        self._kept["keepalive"] = value

    def _notes(self) -> mp_table:
        # The notes as they were when first asked for: a connection handler's own table.
        return table_of(served_conn_get(self._h, "notes"))

    @property
    def hlist(self) -> mp_hlist:
        handler, directory = self._handler
        return mp_hlist(handler, directory, False)


def dispatch(h: int, module_name: str, callable_name: str, directory: str | None,
             autoreload: bool, python_path: str | None) -> int:
    """Runs a PythonConnectionHandler (called by mod_python.so); returns its result
    (apache.OK: served)."""
    # Imported here: mod_python.apache imports the object modules.
    from mod_python import apache
    handler = apache._handler_name(module_name, callable_name, "connectionhandler")
    conn = mp_connection(h, handler, directory)
    try:
        if python_path:
            apache._set_python_path(python_path)
        obj = apache._find_handler(module_name, callable_name, autoreload, directory)
        try:
            result = obj(conn)
        except apache.SERVER_RETURN as e:
            result = e.args[0] if e.args else apache.OK
        if result.__class__ is not int:
            raise TypeError("ConnectionHandler '%s' returned invalid return code." % handler)
        return result
    except Exception:
        apache._log_exception("ConnectionHandler", handler)
        return apache.HTTP_INTERNAL_SERVER_ERROR
    finally:
        object.__setattr__(conn, "_h", 0)
