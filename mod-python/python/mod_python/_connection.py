"""mp_conn: the connection a request came on (req.connection); mp_connection: the connection
a PythonConnectionHandler serves, which it can read from and write to. Over the native
functions of _apache (conn_*)."""

from __future__ import annotations

import traceback
from typing import Any

from mod_python._apache import conn_get, conn_read, conn_readline, conn_write, log_error
from mod_python._server import mp_server
from mod_python._table import CONN_NOTES, Handled, mp_table


class mp_conn:
    """The connection a request came on, as it was when asked."""

    __slots__ = ("remote_ip", "remote_host", "local_ip", "local_addr", "remote_addr", "id",
                 "keepalives", "aborted", "_req")
    remote_ip: str
    remote_host: str | None
    local_ip: str
    local_addr: tuple[str, int]
    remote_addr: tuple[str, int]
    id: int
    keepalives: int
    aborted: bool
    # The request it was reached through, set by whoever made it: the attributes read when
    # asked go through the request's handle.
    _req: Handled

    def __init__(self, remote_ip: str, remote_host: str | None, local_ip: str,
                 local_addr: tuple[str, int], remote_addr: tuple[str, int], id: int,
                 keepalives: int, aborted: bool) -> None:
        self.remote_ip = remote_ip
        self.remote_host = remote_host
        self.local_ip = local_ip
        self.local_addr = local_addr
        self.remote_addr = remote_addr
        self.id = id
        self.keepalives = keepalives
        self.aborted = aborted

    @property
    def client_ip(self) -> str:
        return self.remote_ip

    # Read from the connection when asked (through the request it was reached from).
    @property
    def base_server(self) -> mp_server:
        return mp_server(conn_get(self._req._h, "base_server"))

    @property
    def remote_logname(self) -> str | None:
        return conn_get(self._req._h, "remote_logname")

    @property
    def local_host(self) -> str | None:
        return conn_get(self._req._h, "local_host")

    @property
    def double_reverse(self) -> int:
        return conn_get(self._req._h, "double_reverse")

    @property
    def keepalive(self) -> int:
        return conn_get(self._req._h, "keepalive")

    @property
    def notes(self) -> mp_table:
        return mp_table(self._req, CONN_NOTES)


class mp_connection(mp_conn):
    """The connection a PythonConnectionHandler serves: mp_conn's attributes, and reading
    from and writing to the client."""

    __slots__ = ("_h",)
    _h: int

    def __init__(self, h: int, *fields: Any) -> None:
        mp_conn.__init__(self, *fields)
        self._h = h

    def read(self, length: int | None = -1) -> bytes:
        """At most `length` bytes, waiting for at least one; without `length`, everything
        until the client closes. b'' at the end."""
        return conn_read(self._h, -1 if length is None else length)

    def readline(self, length: int | None = -1) -> bytes:
        """One line, with its newline, or its first `length` bytes; b'' at the end."""
        return conn_readline(self._h, -1 if length is None else length)

    def write(self, data: str | bytes) -> None:
        conn_write(self._h, data)


def dispatch(h: int, fields: tuple[Any, ...], module_name: str, callable_name: str,
             directory: str | None, autoreload: bool, python_path: str | None) -> int:
    """Runs a PythonConnectionHandler (called by mod_python.so); returns its result
    (apache.OK: served)."""
    # Imported here: mod_python.apache imports the object modules.
    from mod_python import apache
    conn = mp_connection(h, *fields)
    try:
        if python_path:
            apache._set_python_path(python_path)
        obj = apache._find_handler(module_name, callable_name, autoreload, directory,
                                   "PythonConnectionHandler")
        try:
            result = obj(conn)
        except apache.SERVER_RETURN as e:
            result = e.args[0] if e.args else apache.OK
        if not isinstance(result, int):
            raise TypeError("Connection handler '%s' returned invalid return code."
                            % callable_name)
        return result
    except Exception:
        report = "mod_python: exception in PythonConnectionHandler %s::%s:\n%s" % (
            module_name, callable_name, traceback.format_exc())
        for line in report.rstrip().split("\n"):
            log_error(line, 3)
        return apache.HTTP_INTERNAL_SERVER_ERROR
    finally:
        conn._h = 0
