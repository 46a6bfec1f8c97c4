# Types of mod_python.wsgi for editors and type checkers: PythonHandler mod_python.wsgi
# serves a WSGI application (PEP 3333).

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mod_python._request import mp_request

APPLICATION_OPTION: str
BASE_URI_OPTION: str

# wsgi.file_wrapper.
class FileWrapper:
    filelike: Any
    blksize: int
    # The file-like object's own close, when it has one.
    close: Callable[[], object]
    def __init__(self, filelike: Any, blksize: int = 65536) -> None: ...
    def __iter__(self) -> Iterator[bytes]: ...

# wsgi.input: the request body; the request object's other attributes are reachable too.
class Input:
    def read(self, size: int | None = -1) -> bytes: ...
    def readline(self, size: int | None = -1) -> bytes: ...
    def readlines(self, hint: int | None = -1) -> list[bytes]: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def __getattr__(self, name: str) -> Any: ...

# wsgi.errors: a text stream into the error_log, one entry per line.
class Errors:
    encoding: str
    errors: str
    closed: bool
    def write(self, text: str) -> int: ...
    def writelines(self, seq: Iterable[str]) -> None: ...
    def flush(self) -> None: ...
    def isatty(self) -> bool: ...
    def writable(self) -> bool: ...

# A request's start_response and the write() callable it returns.
class Response:
    req: mp_request
    status: str | None
    headers: list[tuple[str, str | bytes]]
    sent: bool
    begun: bool
    left: int | None
    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[..., None]: ...
    def send_headers(self, h: int, length: int | None = None) -> int | None: ...
    def write(self, data: bytes, flush: bool = True) -> None: ...

def handler(req: mp_request) -> int: ...
