# Types of mod_python.Cookie for editors and type checkers: HTTP cookies.

from typing import Any, Final, Self, TypeVar, overload

from mod_python._request import mp_request

__all__ = [
    "Cookie",
    "SignedCookie",
    "MarshalCookie",
    "CookieError",
    "add_cookie",
    "get_cookies",
    "get_cookie",
]

_C = TypeVar("_C", bound=Cookie)

class CookieError(Exception): ...

class Cookie:
    # What parse() does with a cookie that fails its check.
    DOWNGRADE: Final = 0
    IGNORE: Final = 1
    EXCEPTION: Final = 3

    name: str
    # A str as sent; a MarshalCookie's, once unmarshalled, what was marshalled.
    value: Any
    # The attributes: absent (AttributeError) until set, then written by str().
    version: Any
    path: str
    domain: str
    secure: Any
    comment: str
    max_age: Any
    samesite: str
    commentURL: str
    discard: Any
    port: Any
    httponly: Any
    __data__: dict[str, Any]
    def __init__(self, name: str, value: Any, **kw: Any) -> None: ...
    # Seconds since the epoch, or an HTTP date "Wdy, DD-Mon-YYYY HH:MM:SS GMT"; read back as
    # the date. None removes it.
    @property
    def expires(self) -> str: ...
    @expires.setter
    def expires(self, when: float | str | None) -> None: ...
    @expires.deleter
    def expires(self) -> None: ...
    # Cookies by name, read from a Cookie header's value; keywords: names=[...].
    @classmethod
    def parse(cls, str: str, **kw: Any) -> dict[str, Self]: ...

class SignedCookie(Cookie):
    def __init__(
        self, name: str, value: Any, secret: str | bytes | None = None, **kw: Any
    ) -> None: ...
    def hexdigest(self, str: str | bytes) -> str: ...
    def unsign(self, secret: str | bytes) -> None: ...
    # Cookies of this class, or, where the signature fails, as `mismatch` says: a plain
    # Cookie (DOWNGRADE), none (IGNORE) or CookieError (EXCEPTION).
    @classmethod
    def parse(  # type: ignore[override]
        cls, s: str, secret: str | bytes | None, mismatch: int = 0, **kw: Any
    ) -> dict[str, Cookie]: ...

class MarshalCookie(SignedCookie):
    def unmarshal(self, secret: str | bytes) -> None: ...

# `cookie` is a Cookie, or a name with `value` and attributes as keywords.
def add_cookie(req: mp_request, cookie: Cookie | str, value: Any = "", **kw: Any) -> None: ...
def get_cookies(req: mp_request, Class: type[Cookie] = ..., **kw: Any) -> dict[str, Any]: ...
@overload
def get_cookie(req: mp_request, name: str, **kw: Any) -> Cookie | None: ...
@overload
def get_cookie(req: mp_request, name: str, Class: type[_C], **kw: Any) -> _C | Cookie | None: ...
