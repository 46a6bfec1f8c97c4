# Types of mod_python.Session for editors and type checkers: sessions kept across requests.

from typing import Any, ClassVar

from mod_python._request import mp_request
from mod_python.apache import SERVER_RETURN
from mod_python.Cookie import Cookie

COOKIE_NAME: str
DFT_TIMEOUT: int
DFT_LOCK: bool
CLEANUP_CHANCE: int
tempdir: str

DFT_FAST_CLEANUP: bool
DFT_VERIFY_CLEANUP: bool
DFT_GRACE_PERIOD: int
DFT_CLEANUP_TIME_LIMIT: int

SOCACHE_OPTION: str

# 3.5's reading of a yes/no PythonOption.
def true_or_false(item: object) -> bool: ...

# A session is a dict whose content survives between requests of one client. A store
# supplies do_load, do_save, do_delete and do_cleanup.
class BaseSession(dict[str, Any]):
    def __init__(
        self,
        req: mp_request,
        sid: str | None = None,
        secret: str | bytes | None = None,
        lock: int = 1,
        timeout: float = 0,
    ) -> None: ...
    def make_cookie(self) -> Cookie: ...
    def invalidate(self) -> None: ...
    def load(self) -> int: ...
    def save(self) -> None: ...
    def delete(self) -> None: ...
    def init_lock(self) -> None: ...
    def lock(self) -> None: ...
    def unlock(self) -> None: ...
    def is_new(self) -> bool: ...
    def id(self) -> str: ...
    def created(self) -> float: ...
    def last_accessed(self) -> float: ...
    def timeout(self) -> float: ...
    def set_timeout(self, secs: float) -> None: ...
    def cleanup(self) -> None: ...
    def do_cleanup(self) -> None: ...
    def do_load(self) -> dict[str, Any] | None: ...
    def do_save(self, record: dict[str, Any]) -> None: ...
    def do_delete(self) -> None: ...

# `sid` defaults to the one in the request's cookie; a new session when there is none.
class DbmSession(BaseSession):
    def __init__(
        self,
        req: mp_request,
        dbm: str | None = None,
        sid: str | None = ...,
        secret: str | bytes | None = None,
        dbmtype: Any = None,
        timeout: float = 0,
        lock: int = 1,
    ) -> None: ...

class FileSession(BaseSession):
    # fast_cleanup and verify_cleanup: -1 reads PythonOptions (both on by default).
    def __init__(
        self,
        req: mp_request,
        sid: str | None = ...,
        secret: str | bytes | None = None,
        timeout: float = 0,
        lock: int = 1,
        fast_cleanup: int = -1,
        verify_cleanup: int = -1,
    ) -> None: ...

class MemorySession(BaseSession):
    # The sessions of this process, pickled, by id.
    sdict: ClassVar[dict[str, bytes]]
    def __init__(
        self,
        req: mp_request,
        sid: str | None = ...,
        secret: str | bytes | None = None,
        timeout: float = 0,
        lock: int = 1,
    ) -> None: ...

# Raised when a memcached or redis store cannot be reached or does not answer in time: a
# handler that lets it pass ends with 503 Service Unavailable.
class StoreUnavailable(SERVER_RETURN):
    message: str
    def __init__(self, message: str) -> None: ...

class SocacheSession(BaseSession):
    def __init__(
        self,
        req: mp_request,
        sid: str | None = ...,
        secret: str | bytes | None = None,
        timeout: float = 0,
        lock: int = 1,
    ) -> None: ...

# The session of this request, in the store PythonOption mod_python.session.session_type
# names.
def Session(
    req: mp_request,
    sid: str | None = ...,
    secret: str | bytes | None = None,
    timeout: float = 0,
    lock: int = 1,
) -> BaseSession: ...
