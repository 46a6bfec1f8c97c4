# Types of mod_python.apache for editors and type checkers: the constants, the helpers
# handlers call, and the types of the objects handlers are given (mp_request and the rest,
# imported here by mod_python.apache itself).

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, Final, NoReturn, overload

from mod_python._output import ErrorLogHandler as ErrorLogHandler
from mod_python._request import mp_finfo as mp_finfo
from mod_python._request import mp_request as mp_request
from mod_python._server import mp_server as mp_server
from mod_python._table import mp_table as mp_table

# Return codes of handlers.
OK: Final = 0
DECLINED: Final = -1
DONE: Final = -2
SUSPENDED: Final = -3

# HTTP status codes.
HTTP_CONTINUE: Final = 100
HTTP_SWITCHING_PROTOCOLS: Final = 101
HTTP_PROCESSING: Final = 102
HTTP_OK: Final = 200
HTTP_CREATED: Final = 201
HTTP_ACCEPTED: Final = 202
HTTP_NON_AUTHORITATIVE: Final = 203
HTTP_NO_CONTENT: Final = 204
HTTP_RESET_CONTENT: Final = 205
HTTP_PARTIAL_CONTENT: Final = 206
HTTP_MULTI_STATUS: Final = 207
HTTP_MULTIPLE_CHOICES: Final = 300
HTTP_MOVED_PERMANENTLY: Final = 301
HTTP_MOVED_TEMPORARILY: Final = 302
HTTP_SEE_OTHER: Final = 303
HTTP_NOT_MODIFIED: Final = 304
HTTP_USE_PROXY: Final = 305
HTTP_TEMPORARY_REDIRECT: Final = 307
HTTP_BAD_REQUEST: Final = 400
HTTP_UNAUTHORIZED: Final = 401
HTTP_PAYMENT_REQUIRED: Final = 402
HTTP_FORBIDDEN: Final = 403
HTTP_NOT_FOUND: Final = 404
HTTP_METHOD_NOT_ALLOWED: Final = 405
HTTP_NOT_ACCEPTABLE: Final = 406
HTTP_PROXY_AUTHENTICATION_REQUIRED: Final = 407
HTTP_REQUEST_TIME_OUT: Final = 408
HTTP_CONFLICT: Final = 409
HTTP_GONE: Final = 410
HTTP_LENGTH_REQUIRED: Final = 411
HTTP_PRECONDITION_FAILED: Final = 412
HTTP_REQUEST_ENTITY_TOO_LARGE: Final = 413
HTTP_REQUEST_URI_TOO_LARGE: Final = 414
HTTP_UNSUPPORTED_MEDIA_TYPE: Final = 415
HTTP_RANGE_NOT_SATISFIABLE: Final = 416
HTTP_EXPECTATION_FAILED: Final = 417
HTTP_IM_A_TEAPOT: Final = 418
HTTP_UNPROCESSABLE_ENTITY: Final = 422
HTTP_LOCKED: Final = 423
HTTP_FAILED_DEPENDENCY: Final = 424
HTTP_UPGRADE_REQUIRED: Final = 426
HTTP_INTERNAL_SERVER_ERROR: Final = 500
HTTP_NOT_IMPLEMENTED: Final = 501
HTTP_BAD_GATEWAY: Final = 502
HTTP_SERVICE_UNAVAILABLE: Final = 503
HTTP_GATEWAY_TIME_OUT: Final = 504
HTTP_VERSION_NOT_SUPPORTED: Final = 505
HTTP_VARIANT_ALSO_VARIES: Final = 506
HTTP_INSUFFICIENT_STORAGE: Final = 507
HTTP_NOT_EXTENDED: Final = 510

# Log levels.
APLOG_EMERG: Final = 0
APLOG_ALERT: Final = 1
APLOG_CRIT: Final = 2
APLOG_ERR: Final = 3
APLOG_WARNING: Final = 4
APLOG_NOTICE: Final = 5
APLOG_INFO: Final = 6
APLOG_DEBUG: Final = 7
APLOG_NOERRNO: Final = 0

# Method numbers.
M_GET: Final = 0
M_PUT: Final = 1
M_POST: Final = 2
M_DELETE: Final = 3
M_CONNECT: Final = 4
M_OPTIONS: Final = 5
M_TRACE: Final = 6
M_PATCH: Final = 7
M_PROPFIND: Final = 8
M_PROPPATCH: Final = 9
M_MKCOL: Final = 10
M_COPY: Final = 11
M_MOVE: Final = 12
M_LOCK: Final = 13
M_UNLOCK: Final = 14
M_VERSION_CONTROL: Final = 15
M_CHECKOUT: Final = 16
M_UNCHECKOUT: Final = 17
M_CHECKIN: Final = 18
M_UPDATE: Final = 19
M_LABEL: Final = 20
M_REPORT: Final = 21
M_MKWORKSPACE: Final = 22
M_MKACTIVITY: Final = 23
M_BASELINE_CONTROL: Final = 24
M_MERGE: Final = 25
M_INVALID: Final = 26

# mpm_query() questions and answers (ap_mpm.h).
AP_MPMQ_NOT_SUPPORTED: Final = 0
AP_MPMQ_STATIC: Final = 1
AP_MPMQ_DYNAMIC: Final = 2
AP_MPMQ_STARTING: Final = 0
AP_MPMQ_RUNNING: Final = 1
AP_MPMQ_STOPPING: Final = 2
AP_MPMQ_MAX_DAEMON_USED: Final = 1
AP_MPMQ_IS_THREADED: Final = 2
AP_MPMQ_IS_FORKED: Final = 3
AP_MPMQ_HARD_LIMIT_DAEMONS: Final = 4
AP_MPMQ_HARD_LIMIT_THREADS: Final = 5
AP_MPMQ_MAX_THREADS: Final = 6
AP_MPMQ_MIN_SPARE_DAEMONS: Final = 7
AP_MPMQ_MIN_SPARE_THREADS: Final = 8
AP_MPMQ_MAX_SPARE_DAEMONS: Final = 9
AP_MPMQ_MAX_SPARE_THREADS: Final = 10
AP_MPMQ_MAX_REQUESTS_DAEMON: Final = 11
AP_MPMQ_MAX_DAEMONS: Final = 12
AP_MPMQ_MPM_STATE: Final = 13
AP_MPMQ_IS_ASYNC: Final = 14
AP_MPMQ_GENERATION: Final = 15
AP_MPMQ_HAS_SERF: Final = 16

# The rest of 3.5's constants.
REQ_PROCEED: Final = 0  # OK
REQ_NOACTION: Final = -1  # DECLINED
REQ_ABORTED: Final = 500  # HTTP_INTERNAL_SERVER_ERROR
REQ_EXIT: Final = "REQ_EXIT"

# get_remote_host() lookups.
REMOTE_HOST: Final = 0
REMOTE_NAME: Final = 1
REMOTE_NOLOOKUP: Final = 2
REMOTE_DOUBLE_REV: Final = 3

# Indexes of a finfo object (req.finfo, stat()).
FINFO_MODE: Final = 0
FINFO_INO: Final = 1
FINFO_DEV: Final = 2
FINFO_NLINK: Final = 3
FINFO_UID: Final = 4
FINFO_GID: Final = 5
FINFO_SIZE: Final = 6
FINFO_ATIME: Final = 7
FINFO_MTIME: Final = 8
FINFO_CTIME: Final = 9
FINFO_FNAME: Final = 10
FINFO_NAME: Final = 11
FINFO_FILETYPE: Final = 12

# Indexes of req.parsed_uri.
URI_SCHEME: Final = 0
URI_HOSTINFO: Final = 1
URI_USER: Final = 2
URI_PASSWORD: Final = 3
URI_HOSTNAME: Final = 4
URI_PORT: Final = 5
URI_PATH: Final = 6
URI_QUERY: Final = 7
URI_FRAGMENT: Final = 8

# req.proxyreq.
PROXYREQ_NONE: Final = 0
PROXYREQ_PROXY: Final = 1
PROXYREQ_REVERSE: Final = 2
PROXYREQ_RESPONSE: Final = 3

# req.used_path_info.
AP_REQ_ACCEPT_PATH_INFO: Final = 0
AP_REQ_REJECT_PATH_INFO: Final = 1
AP_REQ_DEFAULT_PATH_INFO: Final = 2

# req.read_body.
REQUEST_NO_BODY: Final = 0
REQUEST_CHUNKED_ERROR: Final = 1
REQUEST_CHUNKED_DECHUNK: Final = 2

# Magic content types.
CGI_MAGIC_TYPE: Final = "application/x-httpd-cgi"
INCLUDES_MAGIC_TYPE: Final = "text/x-server-parsed-html"
INCLUDES_MAGIC_TYPE3: Final = "text/x-server-parsed-html3"
DIR_MAGIC_TYPE: Final = "httpd/unix-directory"

# req.connection.keepalive.
AP_CONN_UNKNOWN: Final = 0
AP_CONN_CLOSE: Final = 1
AP_CONN_KEEPALIVE: Final = 2

# finfo.filetype.
APR_NOFILE: Final = 0
APR_REG: Final = 1
APR_DIR: Final = 2
APR_CHR: Final = 3
APR_BLK: Final = 4
APR_PIPE: Final = 5
APR_LNK: Final = 6
APR_SOCK: Final = 7
APR_UNKFILE: Final = 127

MODULE_MAGIC_NUMBER_MAJOR: int
MODULE_MAGIC_NUMBER_MINOR: int

# What stat() is asked for (apr_file_info.h).
APR_FINFO_LINK: Final = 0x00000001
APR_FINFO_MTIME: Final = 0x00000010
APR_FINFO_CTIME: Final = 0x00000020
APR_FINFO_ATIME: Final = 0x00000040
APR_FINFO_SIZE: Final = 0x00000100
APR_FINFO_CSIZE: Final = 0x00000200
APR_FINFO_DEV: Final = 0x00001000
APR_FINFO_INODE: Final = 0x00002000
APR_FINFO_NLINK: Final = 0x00004000
APR_FINFO_TYPE: Final = 0x00008000
APR_FINFO_USER: Final = 0x00010000
APR_FINFO_GROUP: Final = 0x00020000
APR_FINFO_UPROT: Final = 0x00100000
APR_FINFO_GPROT: Final = 0x00200000
APR_FINFO_WPROT: Final = 0x00400000
APR_FINFO_ICASE: Final = 0x01000000
APR_FINFO_NAME: Final = 0x02000000
APR_FINFO_MIN: Final = 0x00008170
APR_FINFO_IDENT: Final = 0x00003000
APR_FINFO_OWNER: Final = 0x00030000
APR_FINFO_PROT: Final = 0x00700000
APR_FINFO_NORM: Final = 0x0073B170
APR_FINFO_DIRENT: Final = 0x02000000

# Raised in a handler, ends it: SERVER_RETURN(code), or SERVER_RETURN(code, status) which
# also sets req.status.
class SERVER_RETURN(Exception): ...

# The server outside any virtual host; None only before httpd has read its configuration.
main_server: mp_server | None
# The name of the interpreter this code runs in.
interpreter: str

# httpd's table (a case-insensitive mapping whose keys may repeat): table() is an empty one.
table = mp_table
make_table = mp_table

# None writes nothing; `server` is accepted, as in 3.5, and not used.
def log_error(message: str | None, level: int = 3, server: mp_server | None = None) -> None: ...
def server_root() -> str | None: ...
def exists_config_define(name: str) -> bool: ...
def stat(fname: str, wanted: int) -> mp_finfo: ...

# (directive, args) pairs, each section followed by the list of what it holds.
def config_tree() -> list[Any]: ...
def register_cleanup(callable: Callable[[Any], object], data: Any = None) -> None: ...
def mpm_query(code: int) -> int | None: ...
def import_module(
    module_name: str, autoreload: int = 1, log: int = 0, path: list[str] | None = None
) -> ModuleType: ...
@overload
def parse_qs(
    qs: str, keep_blank_values: int = 0, strict_parsing: int = 0
) -> dict[str, list[str]]: ...
@overload
def parse_qs(
    qs: bytes, keep_blank_values: int = 0, strict_parsing: int = 0
) -> dict[bytes, list[bytes]]: ...
@overload
def parse_qsl(
    qs: str, keep_blank_values: int = 0, strict_parsing: int = 0
) -> list[tuple[str, str]]: ...
@overload
def parse_qsl(
    qs: bytes, keep_blank_values: int = 0, strict_parsing: int = 0
) -> list[tuple[bytes, bytes]]: ...
def init(name: object = None) -> None: ...
def escape(s: str, quote: bool = True) -> str: ...
def module_mtime(module: ModuleType) -> float: ...
def resolve_object(module: ModuleType, obj_str: str, arg: Any = None, silent: int = 0) -> Any: ...

# Running a CGI script in-process.
def build_cgi_env(req: mp_request) -> dict[str, str]: ...

# The saved environment, stdin and stdout, for restore_nocgi.
def setup_cgi(req: mp_request) -> tuple[dict[str, str], Any, Any]: ...
def restore_nocgi(sav_env: dict[str, str], si: Any, so: Any) -> None: ...

class NullIO:
    def tell(self) -> int: ...
    def read(self, n: int = -1) -> str: ...
    def readline(self, length: int | None = None) -> str: ...
    def readlines(self, hint: int = -1) -> list[str]: ...
    def write(self, s: str) -> None: ...
    def writelines(self, lines: Iterable[str]) -> None: ...
    def seek(self, pos: int, mode: int = 0) -> None: ...
    def isatty(self) -> int: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def fileno(self) -> NoReturn: ...

class CGIStdin(NullIO):
    req: mp_request
    def __init__(self, req: mp_request) -> None: ...

class CGIStdout(NullIO):
    req: mp_request
    headers_sent: int
    headers: str
    def __init__(self, req: mp_request) -> None: ...
