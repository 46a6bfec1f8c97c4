"""mp_table: httpd's table, the case-insensitive mapping whose keys may repeat that headers,
notes and the environment are kept in. `apache.table()` makes one of its own; a request's
tables (req.headers_in, req.headers_out, ...) are views of httpd's, over the native
functions of _apache (tab_*), which reach the table through the request's handle.

The mapping protocol is mod_python 3.5's: `t[key]` is the value, or the list of values of a
repeated key; `get` and `setdefault` see a repeated key's first value; values are `str` (or
`bytes`, taken as they are); `del` of a missing key is no error; `has_key` answers 1 or 0;
`iterkeys`, `itervalues` and `iteritems` refuse to go on once the table changed size; two
tables, or a table and a dict, are equal when they map the same keys to the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from mod_python._apache import (
    tab_clear,
    tab_del,
    tab_first,
    tab_get,
    tab_has,
    tab_items,
    tab_len,
    tab_put,
)

# Which table a request's mp_table shows, as _apache numbers them (apache_module/table.rs).
HEADERS_IN, HEADERS_OUT, ERR_HEADERS_OUT, NOTES, SUBPROCESS_ENV, CONN_NOTES = range(6)

_T = TypeVar("_T")


class Handled(Protocol):
    """What a table is reached through: an object with the handle of its request (0 once the
    request has ended)."""

    _h: int


def _text(value: object, what: str) -> str:
    """A key or value as a table of its own keeps it: str, or bytes as the text they spell
    (surrogates standing for bytes that are not UTF-8, as httpd's tables read)."""
    if isinstance(value, str):
        return value if value.__class__ is str else str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    raise TypeError("%s must be a string, not %s" % (what, type(value).__name__))


class mp_table:
    """A table of its own (`apache.table()`, `apache.table(mapping or pairs)`, `t.copy()`),
    and the methods every table has."""

    __slots__ = ("_items",)
    _items: list[tuple[str, str]]

    def __init__(self, items: Any = None) -> None:
        # As 3.5's: keys and values are made text with str(); pairs set (the last wins).
        self._items = []
        if items is not None:
            self.update(items)

    # The storage, which a request's table replaces with httpd's.

    def _values(self, key: object) -> list[str]:
        k = _text(key, "table keys").lower()
        if not self._items:
            # Most tables of their own are a request's options, often none: per request,
            # every lookup costs.
            return []
        return [v for name, v in self._items if name.lower() == k]

    def _put(self, key: object, value: object, add: bool) -> None:
        k, v = _text(key, "table keys"), _text(value, "table values")
        if not add:
            # As httpd sets a key: the first entry takes the value where it is (its key
            # spelled as it was), the others go.
            low = k.lower()
            kept: list[tuple[str, str]] = []
            found = False
            for name, old in self._items:
                if name.lower() != low:
                    kept.append((name, old))
                elif not found:
                    kept.append((name, v))
                    found = True
            if found:
                self._items = kept
                return
        self._items.append((k, v))

    def __getitem__(self, key: str) -> str | list[str]:
        values = self._values(key)
        if not values:
            raise KeyError(key)
        return values[0] if len(values) == 1 else values

    def __setitem__(self, key: str, value: str | bytes) -> None:
        self._put(key, value, False)

    def add(self, key: str, value: str | bytes) -> None:
        """Adds a value for key, keeping those it has (as opposed to `t[key] = value`)."""
        self._put(key, value, True)

    def __delitem__(self, key: str) -> None:
        low = _text(key, "table keys").lower()
        self._items = [(name, v) for name, v in self._items if name.lower() != low]

    def __contains__(self, key: object) -> bool:
        k = _text(key, "table keys").lower()
        for name, _ in self._items:
            if name.lower() == k:
                return True
        return False

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def clear(self) -> None:
        self._items = []

    def get(self, key: str, default: _T | None = None) -> str | _T | None:
        """The key's first value, or default."""
        values = self._values(key)
        return values[0] if values else default

    # What every table has, on top of the storage.

    def has_key(self, key: str) -> int:
        return 1 if key in self else 0

    def keys(self) -> list[str]:
        return [k for k, _ in self.items()]

    def values(self) -> list[str]:
        return [v for _, v in self.items()]

    def setdefault(self, key: str, default: str | bytes | None = None) -> str:
        """The key's first value; when it has none, default ("" when not given), which is
        set."""
        first = self.get(key)
        if first is not None:
            return first
        value = _text("" if default is None else default, "table values")
        self._put(key, value, False)
        return value

    def popitem(self) -> tuple[str, str]:
        """Removes the first entry and returns it as (key, value)."""
        pairs = self.items()
        if not pairs:
            raise KeyError("popitem(): table is empty")
        self.clear()
        for k, v in pairs[1:]:
            self._put(k, v, True)
        return pairs[0]

    def update(self, other: Any) -> None:
        """Sets each key of a mapping (or of (key, value) pairs), made text with str() as in
        3.5."""
        pairs: Iterable[Any] = (
            [(k, other[k]) for k in other.keys()] if hasattr(other, "keys") else other
        )
        for i, pair in enumerate(pairs):
            try:
                k, v = pair
            except (TypeError, ValueError):
                raise ValueError("table update sequence element #%d is not a (key, value) "
                                 "pair" % i) from None
            self._put(k if isinstance(k, (str, bytes)) else str(k),
                      v if isinstance(v, (str, bytes)) else str(v), False)

    def copy(self) -> mp_table:
        """A table of its own with the same entries."""
        table = mp_table()
        table._items = self.items()
        return table

    def __iter__(self) -> Iterator[str]:
        return self.iterkeys()

    def _iterate(self, pick: Callable[[tuple[str, str]], _T]) -> Iterator[_T]:
        size = len(self)
        for pair in self.items():
            if len(self) != size:
                raise RuntimeError("table changed size during iteration")
            yield pick(pair)
        if len(self) != size:
            raise RuntimeError("table changed size during iteration")

    def iterkeys(self) -> Iterator[str]:
        return self._iterate(lambda pair: pair[0])

    def itervalues(self) -> Iterator[str]:
        return self._iterate(lambda pair: pair[1])

    def iteritems(self) -> Iterator[tuple[str, str]]:
        return self._iterate(lambda pair: pair)

    def _mapping(self) -> dict[str, str | list[str]]:
        """The table as a dict, as 3.5 compares it: a repeated key maps to its list."""
        mapping: dict[str, str | list[str]] = {}
        for k in self.keys():
            if k not in mapping:
                mapping[k] = self[k]
        return mapping

    def __eq__(self, other: object) -> bool:
        if isinstance(other, mp_table):
            return self._mapping() == other._mapping()
        if isinstance(other, dict):
            return self._mapping() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        # As 3.5 shows a table: every entry, repeated keys too, last first.
        return "{%s}" % ", ".join("%r: %r" % pair for pair in reversed(self.items()))


class _RequestTable(mp_table):
    """One of a request's tables (headers_in, headers_out, ...), read and changed in httpd's
    own table through the request's handle."""

    # The request object, not its handle: a table kept past its request must stop working
    # when the request object does.
    __slots__ = ("_r", "_w")
    _r: Handled
    _w: int

    def __init__(self, req: Handled, which: int) -> None:
        self._r = req
        self._w = which

    def _values(self, key: object) -> list[str]:
        try:
            found = tab_get(self._r._h, self._w, key)
        except KeyError:
            return []
        return found if isinstance(found, list) else [found]

    def _put(self, key: object, value: object, add: bool) -> None:
        tab_put(self._r._h, self._w, key, value, add)

    def __getitem__(self, key: str) -> str | list[str]:
        return tab_get(self._r._h, self._w, key)

    def __setitem__(self, key: str, value: str | bytes) -> None:
        tab_put(self._r._h, self._w, key, value, False)

    def add(self, key: str, value: str | bytes) -> None:
        tab_put(self._r._h, self._w, key, value, True)

    def __delitem__(self, key: str) -> None:
        tab_del(self._r._h, self._w, key)

    def __contains__(self, key: object) -> bool:
        return tab_has(self._r._h, self._w, key)

    def __len__(self) -> int:
        return tab_len(self._r._h, self._w)

    def items(self) -> list[tuple[str, str]]:
        return tab_items(self._r._h, self._w)

    def clear(self) -> None:
        tab_clear(self._r._h, self._w)

    def get(self, key: str, default: _T | None = None) -> str | _T | None:
        return tab_first(self._r._h, self._w, key, default)


# A request's table is an mp_table to whoever looks, as in 3.5 where there is one type.
_RequestTable.__name__ = _RequestTable.__qualname__ = "mp_table"


def request_table(req: Handled, which: int) -> mp_table:
    """The table `which` (HEADERS_IN ... CONN_NOTES) of the request `req`."""
    return _RequestTable(req, which)


def table_of(pairs: list[tuple[str, str]]) -> mp_table:
    """A table of its own holding these entries, as they are."""
    table = mp_table.__new__(mp_table)
    table._items = pairs
    return table
