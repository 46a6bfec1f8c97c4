# Types of mod_python.psp for editors and type checkers: Python Server Pages.

from collections.abc import Callable
from types import CodeType
from typing import Any, NoReturn, TypeVar

from mod_python._request import mp_request
from mod_python.util import FieldStorage

__all__ = ["PSP", "PSPInterface", "parse", "parsestring", "handler"]

_T = TypeVar("_T")

# The Python source a page becomes.
def parse(filename: str, dir: str | None = None) -> str: ...
def parsestring(str: str | bytes | bytearray) -> str: ...

# The page's `psp` object.
class PSPInterface:
    req: mp_request
    filename: str | None
    form: FieldStorage | None
    error_page: PSP | None
    def __init__(
        self, req: mp_request, filename: str | None, form: FieldStorage | None
    ) -> None: ...
    def set_error_page(self, page: str) -> None: ...
    def apply_data(self, object: Callable[..., _T]) -> _T: ...
    # Always raises apache.SERVER_RETURN, as util.redirect.
    def redirect(self, location: str, permanent: int = 0) -> NoReturn: ...

# A page, from a file (by default the request's) or a string.
class PSP:
    req: mp_request
    vars: dict[str, Any]
    filename: str | None
    string: str | None
    code: CodeType | None
    def __init__(
        self,
        req: mp_request,
        filename: str | None = None,
        string: str | None = None,
        vars: dict[str, Any] = ...,
    ) -> None: ...
    def run(self, vars: dict[str, Any] = ..., flush: int = 0) -> None: ...
    def display_code(self) -> None: ...

# PythonHandler mod_python.psp.
def handler(req: mp_request) -> int: ...
