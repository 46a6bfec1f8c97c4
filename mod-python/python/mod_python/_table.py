"""mp_table: one of a request's tables (req.headers_in, req.headers_out, ...), over the native
functions of _apache (tab_*), which reach the table through the request's handle."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from mod_python._apache import (
    tab_clear,
    tab_del,
    tab_find,
    tab_get,
    tab_has,
    tab_items,
    tab_len,
    tab_put,
)

# Which table an mp_table shows, as _apache numbers them (apache_module/table.rs).
HEADERS_IN, HEADERS_OUT, ERR_HEADERS_OUT, NOTES, SUBPROCESS_ENV, CONN_NOTES = range(6)


class Handled(Protocol):
    """What a table is reached through: an object with the handle of its request (0 once the
    request has ended)."""

    _h: int


class mp_table:
    """One of a request's tables (headers_in, headers_out, ...): keys are case-insensitive and
    may repeat; a repeated key reads as a list of its values."""

    # The request object, not its handle: a table kept past its request must stop working
    # when the request object does.
    __slots__ = ("_r", "_w")
    _r: Handled
    _w: int

    def __init__(self, req: Handled, which: int) -> None:
        self._r = req
        self._w = which

    def __getitem__(self, key: str) -> str | list[str]:
        return tab_get(self._r._h, self._w, key)

    def __setitem__(self, key: str, value: object) -> None:
        tab_put(self._r._h, self._w, key, value, False)

    def add(self, key: str, value: object) -> None:
        tab_put(self._r._h, self._w, key, value, True)

    def __delitem__(self, key: str) -> None:
        tab_del(self._r._h, self._w, key)

    def __contains__(self, key: str) -> bool:
        return tab_has(self._r._h, self._w, key)

    has_key = __contains__

    def __len__(self) -> int:
        return tab_len(self._r._h, self._w)

    def get(self, key: str, default: Any = None) -> Any:
        return tab_find(self._r._h, self._w, key, default)

    def setdefault(self, key: str, default: str = "") -> str | list[str]:
        try:
            return tab_get(self._r._h, self._w, key)
        except KeyError:
            tab_put(self._r._h, self._w, key, default, False)
            return default

    def items(self) -> list[tuple[str, str]]:
        return tab_items(self._r._h, self._w)

    def keys(self) -> list[str]:
        return [k for k, _ in tab_items(self._r._h, self._w)]

    def values(self) -> list[str]:
        return [v for _, v in tab_items(self._r._h, self._w)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def update(self, other: Any = (), **more: object) -> None:
        """Sets each key of `other` (a mapping, or anything with items(), or pairs) and of
        `more`."""
        pairs: Iterable[tuple[str, object]] = (
            other.items() if hasattr(other, "items") else other
        )
        for k, v in list(pairs) + list(more.items()):
            self[k] = v

    def copy(self) -> dict[str, str]:
        return dict(self.items())

    def clear(self) -> None:
        tab_clear(self._r._h, self._w)

    def __eq__(self, other: object) -> bool:
        items: Any = other.items() if hasattr(other, "items") else other
        return dict(self.items()) == dict(items)

    def __repr__(self) -> str:
        return repr(dict(self.items()))
