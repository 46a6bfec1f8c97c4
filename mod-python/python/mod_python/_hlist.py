"""mp_hlist: the entry of the handler list a request's or a connection handler's `hlist`
shows (hlistobject.c in mod_python 3.5)."""

from __future__ import annotations

from typing import NoReturn


class mp_hlist:
    """req.hlist: the handler being run, read-only; `next()` moves past it, to the end of the
    list, where every attribute is None."""

    __slots__ = ("handler", "directory", "is_location", "silent")
    handler: str | None
    directory: str | None
    is_location: int | None
    silent: int | None

    def __init__(self, handler: str, directory: str | None, is_location: bool,
                 silent: int = 0) -> None:
        object.__setattr__(self, "handler", handler)
        object.__setattr__(self, "directory", directory)
        object.__setattr__(self, "is_location", int(is_location))
        object.__setattr__(self, "silent", silent)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("attribute '%s' of 'mp_hlist' objects is not writable" % name)

    def next(self) -> None:
        for name in mp_hlist.__slots__:
            object.__setattr__(self, name, None)

    def __repr__(self) -> str:
        return "{'handler':%r,'directory':%r,'is_location':%r,'silent':%r}" % (
            self.handler, self.directory,
            None if self.is_location is None else bool(self.is_location), self.silent)
