"""An example mod_python connection handler served by `cargo xtask demo`: not HTTP, a line
protocol on its own port (PythonConnectionHandler in mod-python/demo.conf).

    nc 127.0.0.1 8008
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mod_python import apache

if TYPE_CHECKING:
    # The connection object's class, for the annotation: mod_python makes the object.
    from mod_python._connection import mp_connection


def connectionhandler(conn: mp_connection) -> int:
    conn.write(b"mod_python line server in interpreter %s; 'quit' ends\n"
               % apache.interpreter.encode())
    count = 0
    while True:
        try:
            line = conn.readline()
        except IOError:
            break  # the client went away
        if not line or line.strip() == b"quit":
            break
        count += 1
        conn.write(b"%d: %s" % (count, line[::-1].lstrip(b"\n") + b"\n"))
    return apache.OK
