"""mod_python.apache: constants, the handler dispatcher, and helpers for handlers."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

from mod_python import _apache
from mod_python._output import ErrorLogHandler as ErrorLogHandler
from mod_python._request import mp_finfo, mp_request
from mod_python._server import mp_server
from mod_python._server import register_exit_cleanup as _register_exit_cleanup
from mod_python._table import mp_table

# Return codes of handlers.
OK = 0
DECLINED = -1
DONE = -2
SUSPENDED = -3

# HTTP status codes.
HTTP_CONTINUE = 100
HTTP_SWITCHING_PROTOCOLS = 101
HTTP_PROCESSING = 102
HTTP_OK = 200
HTTP_CREATED = 201
HTTP_ACCEPTED = 202
HTTP_NON_AUTHORITATIVE = 203
HTTP_NO_CONTENT = 204
HTTP_RESET_CONTENT = 205
HTTP_PARTIAL_CONTENT = 206
HTTP_MULTI_STATUS = 207
HTTP_MULTIPLE_CHOICES = 300
HTTP_MOVED_PERMANENTLY = 301
HTTP_MOVED_TEMPORARILY = 302
HTTP_SEE_OTHER = 303
HTTP_NOT_MODIFIED = 304
HTTP_USE_PROXY = 305
HTTP_TEMPORARY_REDIRECT = 307
HTTP_BAD_REQUEST = 400
HTTP_UNAUTHORIZED = 401
HTTP_PAYMENT_REQUIRED = 402
HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
HTTP_METHOD_NOT_ALLOWED = 405
HTTP_NOT_ACCEPTABLE = 406
HTTP_PROXY_AUTHENTICATION_REQUIRED = 407
HTTP_REQUEST_TIME_OUT = 408
HTTP_CONFLICT = 409
HTTP_GONE = 410
HTTP_LENGTH_REQUIRED = 411
HTTP_PRECONDITION_FAILED = 412
HTTP_REQUEST_ENTITY_TOO_LARGE = 413
HTTP_REQUEST_URI_TOO_LARGE = 414
HTTP_UNSUPPORTED_MEDIA_TYPE = 415
HTTP_RANGE_NOT_SATISFIABLE = 416
HTTP_EXPECTATION_FAILED = 417
HTTP_IM_A_TEAPOT = 418
HTTP_UNPROCESSABLE_ENTITY = 422
HTTP_LOCKED = 423
HTTP_FAILED_DEPENDENCY = 424
HTTP_UPGRADE_REQUIRED = 426
HTTP_INTERNAL_SERVER_ERROR = 500
HTTP_NOT_IMPLEMENTED = 501
HTTP_BAD_GATEWAY = 502
HTTP_SERVICE_UNAVAILABLE = 503
HTTP_GATEWAY_TIME_OUT = 504
HTTP_VERSION_NOT_SUPPORTED = 505
HTTP_VARIANT_ALSO_VARIES = 506
HTTP_INSUFFICIENT_STORAGE = 507
HTTP_NOT_EXTENDED = 510

# Log levels.
APLOG_EMERG = 0
APLOG_ALERT = 1
APLOG_CRIT = 2
APLOG_ERR = 3
APLOG_WARNING = 4
APLOG_NOTICE = 5
APLOG_INFO = 6
APLOG_DEBUG = 7
APLOG_NOERRNO = 0

# Method numbers.
M_GET = 0
M_PUT = 1
M_POST = 2
M_DELETE = 3
M_CONNECT = 4
M_OPTIONS = 5
M_TRACE = 6
M_PATCH = 7
M_PROPFIND = 8
M_PROPPATCH = 9
M_MKCOL = 10
M_COPY = 11
M_MOVE = 12
M_LOCK = 13
M_UNLOCK = 14
M_VERSION_CONTROL = 15
M_CHECKOUT = 16
M_UNCHECKOUT = 17
M_CHECKIN = 18
M_UPDATE = 19
M_LABEL = 20
M_REPORT = 21
M_MKWORKSPACE = 22
M_MKACTIVITY = 23
M_BASELINE_CONTROL = 24
M_MERGE = 25
M_INVALID = 26

# mpm_query() questions and answers (ap_mpm.h).
AP_MPMQ_NOT_SUPPORTED = 0
AP_MPMQ_STATIC = 1
AP_MPMQ_DYNAMIC = 2
AP_MPMQ_STARTING = 0
AP_MPMQ_RUNNING = 1
AP_MPMQ_STOPPING = 2
AP_MPMQ_MAX_DAEMON_USED = 1
AP_MPMQ_IS_THREADED = 2
AP_MPMQ_IS_FORKED = 3
AP_MPMQ_HARD_LIMIT_DAEMONS = 4
AP_MPMQ_HARD_LIMIT_THREADS = 5
AP_MPMQ_MAX_THREADS = 6
AP_MPMQ_MIN_SPARE_DAEMONS = 7
AP_MPMQ_MIN_SPARE_THREADS = 8
AP_MPMQ_MAX_SPARE_DAEMONS = 9
AP_MPMQ_MAX_SPARE_THREADS = 10
AP_MPMQ_MAX_REQUESTS_DAEMON = 11
AP_MPMQ_MAX_DAEMONS = 12
AP_MPMQ_MPM_STATE = 13
AP_MPMQ_IS_ASYNC = 14
AP_MPMQ_GENERATION = 15
AP_MPMQ_HAS_SERF = 16


# The rest of 3.5's constants.
REQ_PROCEED = OK
REQ_NOACTION = DECLINED
REQ_ABORTED = HTTP_INTERNAL_SERVER_ERROR
REQ_EXIT = "REQ_EXIT"

# get_remote_host() lookups.
REMOTE_HOST = 0
REMOTE_NAME = 1
REMOTE_NOLOOKUP = 2
REMOTE_DOUBLE_REV = 3

# Indexes of a finfo object (req.finfo, stat()).
FINFO_MODE = 0
FINFO_INO = 1
FINFO_DEV = 2
FINFO_NLINK = 3
FINFO_UID = 4
FINFO_GID = 5
FINFO_SIZE = 6
FINFO_ATIME = 7
FINFO_MTIME = 8
FINFO_CTIME = 9
FINFO_FNAME = 10
FINFO_NAME = 11
FINFO_FILETYPE = 12

# Indexes of req.parsed_uri.
URI_SCHEME = 0
URI_HOSTINFO = 1
URI_USER = 2
URI_PASSWORD = 3
URI_HOSTNAME = 4
URI_PORT = 5
URI_PATH = 6
URI_QUERY = 7
URI_FRAGMENT = 8

# req.proxyreq.
PROXYREQ_NONE = 0
PROXYREQ_PROXY = 1
PROXYREQ_REVERSE = 2
PROXYREQ_RESPONSE = 3

# req.used_path_info.
AP_REQ_ACCEPT_PATH_INFO = 0
AP_REQ_REJECT_PATH_INFO = 1
AP_REQ_DEFAULT_PATH_INFO = 2

# req.read_body.
REQUEST_NO_BODY = 0
REQUEST_CHUNKED_ERROR = 1
REQUEST_CHUNKED_DECHUNK = 2

# Magic content types.
CGI_MAGIC_TYPE = "application/x-httpd-cgi"
INCLUDES_MAGIC_TYPE = "text/x-server-parsed-html"
INCLUDES_MAGIC_TYPE3 = "text/x-server-parsed-html3"
DIR_MAGIC_TYPE = "httpd/unix-directory"

# req.connection.keepalive.
AP_CONN_UNKNOWN = 0
AP_CONN_CLOSE = 1
AP_CONN_KEEPALIVE = 2

# finfo.filetype.
APR_NOFILE = 0
APR_REG = 1
APR_DIR = 2
APR_CHR = 3
APR_BLK = 4
APR_PIPE = 5
APR_LNK = 6
APR_SOCK = 7
APR_UNKFILE = 127

MODULE_MAGIC_NUMBER_MAJOR = _apache.MODULE_MAGIC_NUMBER_MAJOR
MODULE_MAGIC_NUMBER_MINOR = _apache.MODULE_MAGIC_NUMBER_MINOR

# What stat() is asked for (apr_file_info.h).
APR_FINFO_LINK = 0x00000001
APR_FINFO_MTIME = 0x00000010
APR_FINFO_CTIME = 0x00000020
APR_FINFO_ATIME = 0x00000040
APR_FINFO_SIZE = 0x00000100
APR_FINFO_CSIZE = 0x00000200
APR_FINFO_DEV = 0x00001000
APR_FINFO_INODE = 0x00002000
APR_FINFO_NLINK = 0x00004000
APR_FINFO_TYPE = 0x00008000
APR_FINFO_USER = 0x00010000
APR_FINFO_GROUP = 0x00020000
APR_FINFO_UPROT = 0x00100000
APR_FINFO_GPROT = 0x00200000
APR_FINFO_WPROT = 0x00400000
APR_FINFO_ICASE = 0x01000000
APR_FINFO_NAME = 0x02000000
APR_FINFO_MIN = 0x00008170
APR_FINFO_IDENT = 0x00003000
APR_FINFO_OWNER = 0x00030000
APR_FINFO_PROT = 0x00700000
APR_FINFO_NORM = 0x0073b170
APR_FINFO_DIRENT = 0x02000000


class SERVER_RETURN(Exception):
    """Raise SERVER_RETURN(code) in a handler to end it with that return code."""


class _ClientError(OSError):
    """What req.read() and req.write() raise when they fail through no fault of the handler:
    the client stopped sending its body (status 400, or 408 after Timeout), went away while
    the response was going out (OK: there is no one to answer), or httpd has already answered
    the request (DONE). An OSError, as 3.5's IOError was; left uncaught, the request ends with
    `status` and one line at level info instead of a traceback."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def log_error(message, level=APLOG_ERR, server=None):
    """Writes to the error_log: against the request being served when there is one. None
    writes nothing, as in 3.5."""
    if message is not None:
        _apache.log_error(str(message), int(level) or APLOG_ERR)


def _main_server() -> mp_server | None:
    handle = _apache.main_server_handle()
    return mp_server(handle) if handle else None


main_server = _main_server()
"""The server outside any virtual host (a server object, like req.server)."""

interpreter = _apache.interpreter
"""The name of the interpreter this code runs in: by default the virtual host's server name;
"main_interpreter" for Python's main interpreter."""


def server_root():
    return _apache.server_root()


def exists_config_define(name):
    """Whether httpd was started with -D name (or the configuration has Define name)."""
    return _apache.exists_config_define(str(name))


def stat(fname, wanted):
    """The file's information as a finfo object (like req.finfo), asking for the
    APR_FINFO_* fields in wanted."""
    return mp_finfo(*_apache.stat(str(fname), int(wanted)))


def config_tree():
    """The configuration httpd read: a list of (directive, args), each section followed by
    the list of the directives inside it."""
    return _apache.config_tree()


def register_cleanup(callable, data=None):
    """Runs callable(data) when the child process exits (data is None when not given)."""
    _register_exit_cleanup(callable, data)


def mpm_query(code):
    return _apache.mpm_query(int(code))


# The modification time of each module's file when it was (re)loaded, by sys.modules key.
_module_mtimes: dict[str, float | None] = {}
# When each module's file was last looked at: as in mod_python 3.5, a module's file is checked
# for changes at most once a second, which spares a stat() on nearly every request.
_module_checked: dict[str, float] = {}
_CHECK_INTERVAL = 1.0
_monotonic = time.monotonic


def _due_for_check(key: str) -> bool:
    now = _monotonic()
    if now - _module_checked.get(key, -_CHECK_INTERVAL) < _CHECK_INTERVAL:
        return False
    _module_checked[key] = now
    return True


def _module_file_mtime(module: ModuleType) -> float | None:
    path = getattr(module, "__file__", None)
    if path:
        try:
            return os.stat(path).st_mtime
        except OSError:
            pass
    return None


_import_lock = threading.RLock()


def import_module(module_name, autoreload=1, log=0, path=None):
    """Imports a handler module: by dotted name (searched in `path` first when given) or by
    absolute file path. With autoreload, a module whose file changed is loaded again."""
    if module_name[:1] == "/":
        return _import_file(module_name, autoreload, log)
    if path:
        for directory in reversed(path):
            if directory not in sys.path:
                sys.path.insert(0, directory)
    module = sys.modules.get(module_name)
    if module is None or getattr(getattr(module, "__spec__", None), "_initializing", False):
        # importlib, so that a thread arriving while another is still running the module's
        # code waits for it instead of getting a half-made module.
        module = importlib.import_module(module_name)
        with _import_lock:
            _module_mtimes.setdefault(module_name, _module_file_mtime(module))
        if log:
            log_error("mod_python: importing module '%s'" % module_name, APLOG_NOTICE)
        return module
    if autoreload and _due_for_check(module_name):
        mtime = _module_file_mtime(module)
        if mtime is not None and _module_mtimes.get(module_name) != mtime:
            with _import_lock:
                # Another thread may have reloaded it while this one waited.
                if _module_mtimes.get(module_name) != mtime:
                    module = importlib.reload(module)
                    _module_mtimes[module_name] = mtime
                    if log:
                        log_error("mod_python: reimporting module '%s'" % module_name,
                                  APLOG_NOTICE)
                module = sys.modules.get(module_name, module)
    return module


def _import_file(filename: str, autoreload: object, log: object) -> ModuleType:
    key = "_mp_" + filename.replace("/", "_").replace(".", "_")
    module = sys.modules.get(key)
    if module is not None and (not autoreload or not _due_for_check(key)):
        return module
    mtime = os.path.getmtime(filename)
    if module is not None and _module_mtimes.get(key) == mtime:
        return module
    with _import_lock:
        module = sys.modules.get(key)
        if module is None or (autoreload and _module_mtimes.get(key) != mtime):
            spec = importlib.util.spec_from_file_location(key, filename)
            if spec is None or spec.loader is None:
                raise ImportError("cannot load %r as a module" % filename, path=filename)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            # Published only once complete, so other threads never see it half-made.
            sys.modules[key] = module
            _module_mtimes[key] = mtime
            if log:
                log_error("mod_python: (Re)importing module '%s'" % filename, APLOG_NOTICE)
        return module


# urllib.parse is imported when first used, not by every interpreter of every new child.
def parse_qs(qs, keep_blank_values=0, strict_parsing=0):
    import urllib.parse

    return urllib.parse.parse_qs(qs, keep_blank_values=bool(keep_blank_values),
                                 strict_parsing=bool(strict_parsing))


def parse_qsl(qs, keep_blank_values=0, strict_parsing=0):
    import urllib.parse

    return urllib.parse.parse_qsl(qs, keep_blank_values=bool(keep_blank_values),
                                  strict_parsing=bool(strict_parsing))


table = mp_table
"""httpd's table: a case-insensitive mapping whose keys may repeat (req.headers_in is one);
table() is an empty one of its own, table(mapping or pairs) one filled from them."""


# The PythonPath expression sys.path was last set from (mod_python.so reads it too).
_last_python_path: str | None = None


def _set_python_path(expression: str | None) -> None:
    """Sets sys.path from a PythonPath expression, unless it was the last one set."""
    global _last_python_path
    if expression and expression != _last_python_path:
        new_path = eval(expression, {"sys": sys, "os": os})
        # "sys.path+[...]" evaluated again each time sections with different PythonPath take
        # turns would grow sys.path without end; keep each entry once, first place wins.
        seen = set()
        unique = []
        for p in new_path:
            if p not in seen:
                seen.add(p)
                unique.append(p)
        sys.path[:] = unique
        _last_python_path = expression


def _handler_name(module_name: str, callable_name: str, default: str) -> str:
    """A handler as its directive names it (the callable left out when it is the default)."""
    return module_name if callable_name == default else "%s::%s" % (module_name, callable_name)


# What CPython says of an extension module that cannot be loaded in a sub-interpreter that
# checks them: one with its own GIL (PEP 684), or any on a free-threaded CPython (PEP 703).
_REFUSED_IN_SUBINTERPRETER = "does not support loading in subinterpreters"


def _note_refused_extension(exc: BaseException | None) -> None:
    """Adds to `exc` (PEP 678) what CPython's message does not say, when an extension module
    was refused in this sub-interpreter: why (its own GIL, and where that was set; or a
    free-threaded CPython, whose sub-interpreters all refuse single-phase modules), and what
    to do instead. Done once per exception, for the first refusal in its chain (`__cause__`,
    `__context__`)."""
    free_threaded = _apache.free_threaded and interpreter != "main_interpreter"
    if exc is None or not (_apache.own_gil or free_threaded):
        return
    seen = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ImportError) and _REFUSED_IN_SUBINTERPRETER in str(cause):
            if free_threaded:
                note = ("mod_python: interpreter %r is a sub-interpreter of a free-threaded "
                        "CPython, which refuses extension modules that do not support "
                        "sub-interpreters in every one of them, with or without a GIL; run "
                        "the application in main_interpreter." % interpreter)
            else:
                note = ("mod_python: interpreter %r has its own GIL (PythonInterpreterGIL "
                        "own, %s); this extension cannot be loaded in it. Give the interpreter "
                        "the shared GIL (PythonInterpreterGIL shared %s) or run the "
                        "application in main_interpreter."
                        % (interpreter, _apache.gil_directive, interpreter))
            if note not in getattr(exc, "__notes__", ()):
                exc.add_note(note)
            return
        cause = cause.__cause__ or cause.__context__


def _log_exception(phase: str, hname: str, exc: BaseException | None = None) -> None:
    """Logs `exc` (by default the exception being handled) as mod_python 3.5 did, which log
    monitoring greps for: each entry of its traceback on a line of its own after
    "<phase> <handler>: " (httpd shows the newlines inside an entry as \\n)."""
    if exc is None:
        exc = sys.exc_info()[1]
    _note_refused_extension(exc)
    for entry in traceback.format_exception(exc):
        _apache.log_error("%s %s: %s" % (phase, hname, entry.rstrip("\n")), APLOG_ERR)


def _error_page(phase: str, hname: str, exc: BaseException) -> str:
    """What PythonDebug On sends for an error: 3.5's page, the traceback in HTML."""
    import html
    page = '\n<pre>\nMod_python error: "%s %s"\n\n' % (phase, hname)
    for entry in traceback.format_exception(exc):
        page += html.escape(entry) + "\n"
    return page + "</pre>\n"


def _report(req: mp_request, phase: str, hname: str, debug: bool,
            exc: BaseException | None = None) -> int:
    """Logs `exc` (by default the exception being handled) for the handler `hname` of
    `phase`; with PythonDebug On also sends it to the client, as 3.5 did."""
    if exc is None:
        exc = sys.exc_info()[1]
    assert exc is not None
    if isinstance(exc, _ClientError):
        # httpd has logged a body it answered itself; the rest is said once here.
        level = APLOG_DEBUG if exc.status == DONE else APLOG_INFO
        _apache.log_error("%s ended: %s" % (phase, exc), level)
        return exc.status
    _log_exception(phase, hname, exc)
    if debug and not req.eos_sent:  # a response that has ended gets nothing more
        try:
            req.status = HTTP_INTERNAL_SERVER_ERROR
            req.content_type = "text/html"
            req.write(_error_page(phase, hname, exc))
            return DONE
        except Exception:
            pass
    if req.sent_bodyct and not req.eos_sent:
        # The body has begun: httpd would append its error page to it, in a response that
        # looks whole. It is cut short instead, so that the client sees it broken.
        try:
            _apache.req_call(req._h, "abort_response")
        except Exception:
            pass  # the connection failed meanwhile: nothing more can reach the client
        return DONE
    return HTTP_INTERNAL_SERVER_ERROR


def _find_handler(module_name: str, callable_name: str, autoreload: object,
                  directory: str | None) -> Any:
    """Imports a handler's module (with `directory` first on sys.path) and finds its callable,
    what to call with the request (or filter, or connection). As in 3.5, a dotted name goes
    down attributes, and a method reached through a class is called on an instance made with
    what the handler is given, a new one each call. What cannot be found raises 3.5's error,
    which log monitoring greps for: "No module named 'x'" (with a note of the path searched),
    "module '/path/x.py' contains no 'y'"."""
    try:
        module = import_module(module_name, autoreload, 0, [directory] if directory else None)
    except ImportError as e:
        if e.name is not None and (module_name + ".").startswith(e.name + "."):
            e.add_note("mod_python searched: %s" % sys.path)
        raise
    obj: Any = module
    for part in callable_name.split("."):
        parent = obj
        if parent is module and not hasattr(module, part) and hasattr(module, "__file__"):
            raise AttributeError("module '%s' contains no '%s'" % (module.__file__, part))
        obj = getattr(parent, part)
        if isinstance(parent, type):
            return lambda arg: resolve_object(module, callable_name, arg)(arg)
    return obj


def _result_of(answer: Any, req: mp_request, hname: str) -> int:
    """A handler's answer as a result: an int (as 3.5 checks it, exactly, so not True); a
    SERVER_RETURN's (result, status) sets the status."""
    if isinstance(answer, SERVER_RETURN):
        args = answer.args
        if len(args) == 2:
            answer, status = args
            if status:
                req.status = status
        else:
            answer = args[0] if args and args[0] is not None else OK
    if answer.__class__ is not int:
        raise TypeError("handler %s returned %r: a handler returns an int, apache.OK, "
                        "DECLINED, DONE or an HTTP status" % (hname, answer))
    return answer


def _dispatch(req: mp_request, phase: str, handlers: list[tuple[str, str, str | None]],
              debug: bool, autoreload: bool, python_path: str | None, pdb: bool = False,
              result: int = DECLINED, go_on: tuple[int, ...] = (OK,)) -> int:
    """Runs the handlers of a phase in order while their result is one of `go_on` (as in
    3.5: OK for the content handler, DECLINED for those where the first to answer wins, both
    for those that all run); returns the last result (`result` when none runs).

    `handlers` holds (module, callable, directory) for each handler configured for the phase.
    mod_python.so runs this loop itself (dispatch.rs); it calls this one for the handlers
    `req.add_handler` added and under PythonEnablePdb.
    """
    req._phase = phase
    default = phase[len("Python"):].lower()
    hname = phase
    try:
        if python_path and python_path != _last_python_path:
            _set_python_path(python_path)
        i = 0
        while True:
            if i == len(handlers):
                if not req._added:
                    return result
                # req.add_handler() for this same phase: those run after the ones configured.
                handlers = handlers + _apache.req_take_added(req._h, phase)
                if i == len(handlers):
                    return result
            req._hspec = handlers[i]
            module_name, callable_name, directory = handlers[i]
            hname = _handler_name(module_name, callable_name, default)
            i += 1
            obj = _find_handler(module_name, callable_name, autoreload, directory)
            answer: Any
            try:
                if pdb:
                    # PythonEnablePdb: meant for httpd -X, with a terminal on stdin; it talks
                    # through the streams Python started with (sys.stdout goes to the
                    # error_log).
                    import pdb as debugger
                    answer = debugger.Pdb(stdin=sys.__stdin__, stdout=sys.__stdout__).runcall(
                        obj, req)
                else:
                    answer = obj(req)
            except SERVER_RETURN as e:
                answer = e
            result = _result_of(answer, req, hname)
            if result not in go_on:
                return result
    except Exception:
        return _report(req, phase, hname, debug)


# Index 0 of the global locks is never chosen by a key, so it can guard a whole dbm file
# (DbmSession's store, PSP's cache of compiled pages) without ever being held already by a
# session's own lock.
_DBM_FILE_LOCK = 0


def _with_locked_dbm(server: object, dbm_module: Any, filename: str,
                     work: Callable[[Any], Any]) -> Any:
    """work(db) on the dbm file `filename`, opened (made if missing) with `dbm_module` under the
    cross-process global lock that guards whole dbm files; work's answer."""
    _apache._global_lock(server, None, _DBM_FILE_LOCK)
    try:
        db = dbm_module.open(filename, "c")
        try:
            return work(db)
        finally:
            db.close()
    finally:
        _apache._global_unlock(server, None, _DBM_FILE_LOCK)


def _run_imports(spec: str, python_path: str | None = None) -> None:
    """PythonImport: imports the module (and calls module::function) in a starting child."""
    module_name, _, func = spec.partition("::")
    try:
        if python_path:
            _set_python_path(python_path)
        module = import_module(module_name, autoreload=0)
        if func:
            getattr(module, func)()
    except Exception as e:
        _note_refused_extension(e)
        text = traceback.format_exc()
        for line in ("mod_python: PythonImport %s failed:\n%s" % (spec, text)).rstrip().split("\n"):
            _apache.log_error(line, APLOG_ERR)


def init(name=None):
    """Compatibility: mod_python 3.5 called this from the C module when an interpreter started."""
    return None


# The request methods 3.5 built on the configuration and on CGI variables.

def _sections_for(req: mp_request, nodes: list[Any] | None = None,
                  out: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The directives of the configuration that apply to req, from the outermost section
    in: the top level, then <Directory> sections holding its file and <Location> sections
    holding its URI (without regular expressions or .htaccess files)."""
    if out is None:
        out = []
    if nodes is None:
        nodes = config_tree()
    filename = req.filename or ""
    uri = req.uri or ""
    pending = None
    for node in nodes:
        if isinstance(node, list):
            if pending is not None:
                _sections_for(req, node, out)
            pending = None
            continue
        directive, args = node
        pending = None
        if not directive.startswith("<"):
            out.append(node)
            continue
        kind = directive[1:].lower()
        path = args.rstrip(">").strip().strip('"')
        if kind == "directory" and filename and (
                filename == path.rstrip("/") or filename.startswith(path.rstrip("/") + "/")):
            pending = node
        elif kind == "location" and (uri == path or uri.startswith(path.rstrip("/") + "/")):
            pending = node
        elif kind in ("ifmodule", "ifdefine", "virtualhost", "if", "files"):
            # Not evaluated here: what they hold is taken as applying.
            pending = node if kind not in ("virtualhost", "files") else None
    return out


def _requires(req: mp_request) -> tuple[str, ...]:
    """The arguments of the Require directives that apply to req, one string each."""
    return tuple(args for directive, args in _sections_for(req)
                 if directive.lower() == "require")


def _addhandler_exts(req: mp_request) -> str:
    """The extensions AddHandler gives to mod_python where req is, space-separated."""
    exts: list[str] = []
    for directive, args in _sections_for(req):
        if directive.lower() == "addhandler":
            words = args.split()
            if words and words[0] in ("mod_python", "python-program"):
                exts.extend(w.lstrip(".") for w in words[1:])
    return "".join(e + " " for e in exts)


def _build_wsgi_env(req: mp_request) -> dict[str, Any]:
    """The WSGI environment of req, as 3.5 makes it for its WSGI handler."""
    req.add_common_vars()
    req.add_cgi_vars()
    env = dict(req.subprocess_env.items())
    env.pop("PATH_TRANSLATED", None)
    base = req.get_options().get("mod_python.wsgi.base_uri")
    if base is None:
        hl = req.hlist
        base = hl.directory if hl is not None and hl.is_location else ""
    base = (base or "").rstrip("/")
    uri = req.uri or ""
    env["SCRIPT_NAME"] = base
    env["PATH_INFO"] = uri[len(base):] if base and uri.startswith(base) else uri
    # As 3.5 does, the request (and its CGI variables) take the split too.
    req.path_info = env["PATH_INFO"]
    req.subprocess_env["SCRIPT_NAME"] = base
    req.subprocess_env["PATH_INFO"] = env["PATH_INFO"]
    env["wsgi.input"] = req
    env["wsgi.errors"] = sys.stderr
    env["wsgi.version"] = (1, 0)
    env["wsgi.multithread"] = bool(mpm_query(AP_MPMQ_IS_THREADED))
    env["wsgi.multiprocess"] = bool(mpm_query(AP_MPMQ_IS_FORKED))
    env["wsgi.run_once"] = False
    env["wsgi.url_scheme"] = "https" if req.is_https() else "http"
    return env


def _wsgi_start_response(req: mp_request, status: str,
                         response_headers: list[tuple[str, str]],
                         exc_info: Any = None) -> Callable[..., None]:
    """WSGI's start_response for req: sets the status and headers; returns req.write."""
    if exc_info:
        try:
            if req.bytes_sent or req.sent_bodyct:
                raise exc_info[1].with_traceback(exc_info[2])
        finally:
            exc_info = None
    req.status = int(status[:3])
    req.status_line = status
    for name, value in response_headers:
        if name.lower() == "content-type":
            req.content_type = value
        else:
            req.headers_out.add(name, value)
    return req.write


# Helpers of 3.5's mod_python.apache for handlers and for running CGI scripts in-process.

make_table = mp_table


def escape(s, quote=True):
    """s with &, < and > (and, with quote, both quotes) made HTML entities: html.escape, as
    3.5's apache.escape is (imported when first used, to keep a child's start light)."""
    import html
    return html.escape(s, quote)


def module_mtime(module):
    """When the file module was loaded from last changed (0 when it has none)."""
    return _module_file_mtime(module) or 0


def resolve_object(module, obj_str, arg=None, silent=0):
    """The object a dotted name designates inside module ("obj.method"). Going through a
    class, the next name is taken from an instance of it made with arg. With silent, None
    when a part is missing instead of AttributeError."""
    obj: Any = module
    for part in obj_str.split("."):
        parent = obj
        if silent and not hasattr(obj, part):
            return None
        if parent is module and not hasattr(module, part) and hasattr(module, "__file__"):
            raise AttributeError("module '%s' contains no '%s'" % (module.__file__, part))
        obj = getattr(obj, part)
        if isinstance(parent, type):
            cls: Any = parent
            obj = getattr(cls(arg), part)
    return obj


def build_cgi_env(req):
    """The CGI environment of req, as a dict."""
    req.add_common_vars()
    req.add_cgi_vars()
    env = dict(req.subprocess_env.items())
    uri = req.uri or ""
    path_info = req.path_info
    env["SCRIPT_NAME"] = uri[:-len(path_info)] if path_info and uri.endswith(path_info) else uri
    env["GATEWAY_INTERFACE"] = "Python-CGI/1.1"
    return env


class NullIO:
    """A file that reads as empty and ignores what is written."""

    def tell(self):
        return 0

    def read(self, n=-1):
        return ""

    def readline(self, length=None):
        return ""

    def readlines(self, hint=-1):
        return []

    def write(self, s):
        pass

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def seek(self, pos, mode=0):
        pass

    def isatty(self):
        return 0

    def flush(self):
        pass

    def close(self):
        pass

    def fileno(self):
        raise OSError("no file descriptor")


class CGIStdin(NullIO):
    """sys.stdin of a CGI script run in-process: the request body, as text."""

    def __init__(self, req):
        self.req = req

    def read(self, n=-1):
        return self.req.read(n).decode("latin-1")

    def readline(self, length=None):
        return self.req.readline(-1 if length is None else length).decode("latin-1")

    def readlines(self, hint=-1):
        return [line.decode("latin-1") for line in self.req.readlines(hint)]


class CGIStdout(NullIO):
    """sys.stdout of a CGI script run in-process: the header lines it prints (Status:,
    Location:, Content-Type: and the rest) become the response's; the body follows."""

    def __init__(self, req):
        self.req = req
        self.headers_sent = 0
        self.headers = ""

    def write(self, s):
        if not s:
            return
        if self.headers_sent:
            self.req.write(s)
            return
        self.headers += s
        text = self.headers.replace("\r\n", "\n")
        end = text.find("\n\n")
        if end < 0:
            return
        for line in text[:end].split("\n"):
            name, _, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if not name:
                continue
            low = name.lower()
            if low == "content-type":
                self.req.content_type = value
            elif low == "status":
                self.req.status = int(value.split()[0])
            else:
                if low == "location" and self.req.status == HTTP_OK:
                    self.req.status = HTTP_MOVED_TEMPORARILY
                self.req.headers_out.add(name, value)
        self.headers_sent = 1
        body = text[end + 2:]
        if body:
            self.req.write(body)


def setup_cgi(req):
    """Makes os.environ, sys.stdin and sys.stdout those of a CGI script for req; returns
    what restore_nocgi needs to put them back."""
    save_env = os.environ.copy()
    si, so = sys.stdin, sys.stdout
    os.environ.update(build_cgi_env(req))
    sys.stdout = CGIStdout(req)
    sys.stdin = CGIStdin(req)
    sys.argv = []
    return save_env, si, so


def restore_nocgi(sav_env, si, so):
    """Undoes setup_cgi."""
    os.environ.clear()
    os.environ.update(sav_env)
    sys.stdout = so
    sys.stdin = si


def _c_module_names() -> ModuleType:
    """3.5's native module `_apache` as code written for 3.5 imports it (`import _apache`, to
    call `_apache._global_lock(req.server, key)` as 3.5's Session does): the names it had,
    served by this package."""
    module = ModuleType("_apache", "mod_python 3.5's native module, as 3.5 code imports it.")
    names = ("APR_BLK", "APR_CHR", "APR_DIR", "APR_LNK", "APR_NOFILE", "APR_PIPE", "APR_REG",
             "APR_SOCK", "APR_UNKFILE", "AP_CONN_CLOSE", "AP_CONN_KEEPALIVE", "AP_CONN_UNKNOWN",
             "MODULE_MAGIC_NUMBER_MAJOR", "MODULE_MAGIC_NUMBER_MINOR", "SERVER_RETURN",
             "config_tree", "exists_config_define", "log_error", "mpm_query", "parse_qs",
             "parse_qsl", "register_cleanup", "server_root", "stat", "table")
    for name in names:
        setattr(module, name, globals()[name])
    for name in ("_global_lock", "_global_trylock", "_global_unlock"):
        setattr(module, name, getattr(_apache, name))
    return module


sys.modules.setdefault("_apache", _c_module_names())
