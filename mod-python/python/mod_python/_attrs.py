"""What the objects share, as mod_python 3.5 had them: properties that are only read (setting
one raises 3.5's AttributeError), their `log_error`, and the C records behind them
(req._request_rec, conn._conn_rec, server._server_rec) as capsules of their address."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NoReturn

from mod_python._apache import log_error


def _not_writable(message: str, obj: object, value: object) -> NoReturn:
    raise AttributeError(message)


def read_only(owner: str, name: str, get: Callable[[Any], Any]) -> property:
    """A property of the class named `owner` that `get` reads and nothing writes (3.5's
    attributes of a C record: "attribute 'name' of 'owner' objects is not writable")."""
    message = "attribute '%s' of '%s' objects is not writable" % (name, owner)
    return property(get, partial(_not_writable, message))


def read_only_member(get: Callable[[Any], Any]) -> property:
    """A property that `get` reads and nothing writes (3.5's read-only members of an object
    itself: "readonly attribute")."""
    return property(get, partial(_not_writable, "readonly attribute"))


def record_capsule(address: int) -> object:
    """A PyCapsule without a name holding `address`, as 3.5 handed the C records to C
    extensions (PyCapsule_GetPointer(capsule, NULL) gives the address back). Made with ctypes
    when asked, so nothing of ctypes is loaded otherwise."""
    import ctypes

    make = ctypes.pythonapi.PyCapsule_New
    make.restype = ctypes.py_object
    make.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
    capsule: object = make(address, None, None)
    return capsule


def log_message(message: str | None, level: int) -> None:
    """`req.log_error`, `conn.log_error`, `server.log_error`: message at level (0 is
    apache.APLOG_ERR), against the request being served when there is one; nothing for None,
    and a `TypeError` for what is not text, as in 3.5."""
    if message is None:
        return
    if not isinstance(message, str):
        raise TypeError("log_error() argument 1 must be str or None, not %s"
                        % type(message).__name__)
    log_error(message, int(level) or 3)
