"""mod_python.wsgi: serves a WSGI application (PEP 3333) as a mod_python content handler.

    <Location /app>
        SetHandler mod_python
        PythonHandler mod_python.wsgi
        PythonOption mod_python.wsgi.application mymodule::application
        PythonOption mod_python.wsgi.base_uri /app
    </Location>

`mod_python.wsgi.application` names `module[::callable]` (the callable defaults to
`application`; a dotted name goes down attributes), or a file by its path, whatever its
suffix (`/srv/site/app.wsgi[::callable]`), as mod_wsgi's WSGIScriptAlias does. Without the
option, a request for a file (`AddHandler mod_python .wsgi` with `PythonHandler
mod_python.wsgi`) runs that file's `application`. `mod_python.wsgi.base_uri`, when given,
is SCRIPT_NAME; without it SCRIPT_NAME is the path of the `<Location>` holding the handler
(empty in a `<Directory>`), or the URI of the file. A request outside base_uri is declined.

PEP 3333 is held to the letter: the status and the header names and values are `str` whose
characters are all Latin-1 (sent as those bytes), body blocks are `bytes`; anything else
raises TypeError in start_response or at the block, which the client sees as a 500 when
nothing was sent yet. Once the body has begun, a failure aborts the response (the client
sees it cut short, never a complete-looking answer); a client that went away is one line in
the error_log at level info.
"""

import os
import re
import sys
import threading
import time
import types

from mod_python import apache, _apache

APPLICATION_OPTION = "mod_python.wsgi.application"
BASE_URI_OPTION = "mod_python.wsgi.base_uri"

# This module runs on every request of a WSGI application, so its hot path is written for
# the interpreter: the request's native functions are called with its handle instead of
# through the request object's methods, globals used per request are bound once here, and
# the common answer (a list of bytes) takes the shortest way.
_req_call = _apache.req_call
_req_get = _apache.req_get
_req_set = _apache.req_set
_req_write = _apache.req_write
_req_options = _apache.req_options
_req_cgi_env = _apache.req_cgi_env
_tab_put = _apache.tab_put
_log = _apache.log_error
_conn_get = _apache.conn_get
_monotonic = time.monotonic
_APLOG_ERR = apache.APLOG_ERR
_OK = apache.OK


class FileWrapper(object):
    """wsgi.file_wrapper: a file-like object served in blocks, closed with the response."""

    def __init__(self, filelike, blksize=65536):
        self.filelike = filelike
        self.blksize = blksize
        close = getattr(filelike, "close", None)
        if close is not None:
            self.close = close

    def __iter__(self):
        read = self.filelike.read
        size = self.blksize
        while True:
            block = read(size)
            if not block:
                return
            yield block


class Input(object):
    """wsgi.input: the request body. The request (3.5's wsgi.input) has no __iter__, which
    PEP 3333 asks for; its other attributes are reachable here too."""

    __slots__ = ("_req",)

    def read(self, size=-1):
        return self._req.read(-1 if size is None else size)

    def readline(self, size=-1):
        return self._req.readline(-1 if size is None else size)

    def readlines(self, hint=-1):
        return self._req.readlines(-1 if hint is None else hint)

    def __iter__(self):
        readline = self._req.readline
        while True:
            line = readline()
            if not line:
                return
            yield line

    def __getattr__(self, name):
        if name[:1] == "_":
            raise AttributeError(name)
        return getattr(self._req, name)


class Errors(object):
    """wsgi.errors: a text stream into the error_log, logged against the request (with its
    client's address), one entry per line. A line written in pieces waits for its end, for
    flush(), or for the end of the request."""

    __slots__ = ("_partial",)

    def write(self, text):
        if type(text) is not str:
            text = str(text, "utf-8", "replace") if isinstance(text, bytes) else str(text)
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            _log(line, _APLOG_ERR)
        return len(text)

    def writelines(self, seq):
        for text in seq:
            self.write(text)

    def flush(self):
        if self._partial:
            line, self._partial = self._partial, ""
            _log(line, _APLOG_ERR)

    # Enough of io.TextIOBase for print(file=...) and logging.StreamHandler.
    encoding = "utf-8"
    errors = "replace"
    closed = False

    def isatty(self):
        return False

    def writable(self):
        return True


def _check_header(item):
    """A response header as PEP 3333 has it: a (name, value) tuple of `str` within Latin-1;
    returns the value as httpd takes it (bytes when it is not ASCII)."""
    if type(item) is not tuple or len(item) != 2:
        raise TypeError("a WSGI response header is a (name, value) tuple, not %r" % (item,))
    name, value = item
    if type(name) is not str or type(value) is not str:
        raise TypeError("WSGI response header names and values are str, not %s: %r"
                        % (type(name if type(name) is not str else value).__name__, item))
    if not name.isascii() or not _TOKEN.issuperset(name) or not name:
        if not _is_latin1(name):
            raise TypeError("the WSGI response header name %r has characters outside "
                            "Latin-1" % (name,))
        raise ValueError("the WSGI response header name %r is not an HTTP token" % (name,))
    if value.isascii():
        if "\n" in value or "\r" in value or "\0" in value:
            raise ValueError("the WSGI response header %r holds a line break or NUL" % (name,))
        return value
    if not _is_latin1(value):
        raise TypeError("the value of the WSGI response header %r has characters outside "
                        "Latin-1: %r" % (name, value))
    return value.encode("latin-1")


def _is_latin1(text):
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_token = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+").fullmatch
_bad_value = re.compile(r"[\r\n\0]").search


def _not_bytes(data):
    return TypeError("a WSGI body is made of bytes, not %s: %.60r" % (type(data).__name__, data))


class Response(object):
    """A request's start_response (a bound method, given to the application) and the write()
    callable it returns. The status and headers wait for the first block of the body, so that
    start_response(..., exc_info) can still replace them (PEP 3333)."""

    # `left`: the Content-Length still to send, when the application gave one (PEP 3333 has
    # the server send no more than that). `sent`: the status and headers were set on the
    # request; `begun`: body bytes were handed to httpd (a failure then aborts).
    __slots__ = ("req", "status", "headers", "sent", "begun", "left")

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            if self.sent:
                try:
                    raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None
        elif self.status is not None:
            # PEP 3333: a second call without exc_info is a fatal error.
            raise RuntimeError("start_response called a second time without exc_info")
        if type(status) is not str:
            raise TypeError("a WSGI status is a str, not %s: %r" % (type(status).__name__,
                                                                     status))
        if (len(status) < 5 or not status[:3].isdigit() or status[3] != " "
                or not status.isascii() or not status.isprintable()):
            raise ValueError("a WSGI status is 'NNN Reason', not %r" % (status,))
        if type(headers) is not list:
            raise TypeError("WSGI response headers are a list, not %s" % type(headers).__name__)
        for item in headers:
            # The common case, checked inline: a pair of ASCII str, the name a token, no line
            # break in the value. Anything else takes the long way, which says what is wrong
            # (or encodes a Latin-1 value).
            if (type(item) is not tuple or len(item) != 2 or type(item[0]) is not str
                    or type(item[1]) is not str or not item[1].isascii()
                    or _bad_value(item[1]) or not _token(item[0])):
                self.headers = [(item[0], _check_header(item)) for item in headers]
                break
        else:
            self.headers = headers
        self.status = status
        return self.write

    def send_headers(self, h, length=None):
        """Sets the status and headers on request `h`; returns the Content-Length still to
        send (None: no limit). `length`: the body's, when the whole of it is known and httpd
        will count it, so that a Content-Length saying the same need not be set."""
        status = self.status
        if status is None:
            raise RuntimeError("the application returned (or wrote) without calling "
                               "start_response")
        self.sent = True
        if status != "200 OK":
            _req_set(h, "status", int(status[:3]))
            _req_set(h, "status_line", status)
        for name, value in self.headers:
            low = name.lower()
            if low == "content-type" and type(value) is str:
                _req_set(h, "content_type", value)
            elif low == "content-length":
                left = int(value)
                # Bodies past httpd's write buffer (8000 bytes) reach the filter in pieces.
                if left != length or left > 4096:
                    self.left = left
                    _tab_put(h, 1, name, value, True)
            else:
                _tab_put(h, 1, name, value, True)  # 1: headers_out
        return self.left

    def write(self, data, flush=True):
        if type(data) is not bytes:
            raise _not_bytes(data)
        if not self.sent:
            if not data:
                return
            self.send_headers(self.req._h)  # read at each use: 0 once the request has ended
        left = self.left
        if left is not None:
            if len(data) > left:
                data = data[:left]
            self.left = left - len(data)
        if data:
            self.begun = True
            _req_write(self.req._h, data, flush)


def _import_error(spec, module_name, e):
    if e.name is None or not (module_name + ".").startswith(e.name + "."):
        return None  # a module the application itself imports is missing: that error stays
    return ImportError("mod_python.wsgi: cannot import module '%s' of the application '%s' "
                       "(PythonOption %s); sys.path: %s"
                       % (module_name, spec, APPLICATION_OPTION, sys.path), name=module_name)


# `module::callable` (or `path::callable`) -> (application, its file). Under PythonAutoReload
# (the default) the applications are looked up again (through import_module, or the file's
# modification time, which reload a changed module) once a second, which is as often as
# import_module looks at a module's file anyway.
_apps = {}
_recheck_at = 0.0
_NEVER = float("inf")


def _application(req, spec):
    global _recheck_at
    if _monotonic() >= _recheck_at:
        _apps.clear()
        _recheck_at = _NEVER
    found = _apps.get(spec)
    if found is None:
        found = _apps[spec] = _load(req, spec)
    return found


def _load(req, spec):
    global _recheck_at
    if not spec:
        raise LookupError("mod_python.wsgi: no application configured: set PythonOption %s "
                          "module[::callable] or /path/to/file[::callable]" % APPLICATION_OPTION)
    module_name, _, name = spec.strip().partition("::")
    name = name or "application"
    config = req.get_config()
    autoreload = config.get("PythonAutoReload", "1") == "1"
    debug = config.get("PythonDebug") == "1"
    if "/" in module_name:
        module = _load_file(os.path.join(apache.server_root() or "/", module_name), autoreload,
                            debug)
    else:
        try:
            module = apache.import_module(module_name, autoreload, debug)
        except ImportError as e:
            error = _import_error(spec, module_name, e)
            if error is None:
                raise
            raise error from None
    app = module
    for part in name.split("."):
        app = getattr(app, part, None)
        if app is None:
            break
    if app is None or not callable(app):
        raise LookupError("mod_python.wsgi: the application '%s' (PythonOption %s) was not "
                          "found: module '%s' has no callable '%s'"
                          % (spec, APPLICATION_OPTION, module_name, name))
    if autoreload:
        _recheck_at = min(_recheck_at, _monotonic() + 1.0)
    filename = getattr(module, "__file__", None)
    if not filename or not os.path.isabs(filename):
        filename = None
    elif not filename.isascii():
        filename = _native(filename)
    return app, filename


# An application file (any suffix, `app.wsgi`) -> (its modification time, its module). Its
# module is also in sys.modules, under a name made of its path, so pickle finds its classes.
_files = {}
_files_lock = threading.Lock()


def _load_file(path, autoreload, log):
    try:
        mtime = os.stat(path).st_mtime
    except OSError as e:
        raise LookupError("mod_python.wsgi: the application file %s cannot be read: %s"
                          % (path, e.strerror)) from None
    loaded = _files.get(path)
    if loaded is not None and (not autoreload or loaded[0] == mtime):
        return loaded[1]
    with _files_lock:
        loaded = _files.get(path)
        if loaded is not None and (not autoreload or loaded[0] == mtime):
            return loaded[1]
        name = "_mod_python_wsgi_" + "".join(c if c.isalnum() else "_" for c in path)
        module = types.ModuleType(name)
        module.__file__ = path
        with open(path, "rb") as f:
            code = compile(f.read(), path, "exec")
        # Another thread sees the new module only once it is complete.
        exec(code, module.__dict__)
        sys.modules[name] = module
        _files[path] = (mtime, module)
        if log:
            apache.log_error("mod_python.wsgi: loaded the application file %s" % path,
                             apache.APLOG_NOTICE)
        return module


_CONSTANT = {
    "wsgi.version": (1, 0),
    "wsgi.multithread": bool(apache.mpm_query(apache.AP_MPMQ_IS_THREADED)),
    "wsgi.multiprocess": bool(apache.mpm_query(apache.AP_MPMQ_IS_FORKED)),
    "wsgi.run_once": False,
    # wsgi.input reads to the end of the body, chunked or not, and then gives b"": what
    # werkzeug (Flask) needs to read a body without a Content-Length at all.
    "wsgi.input_terminated": True,
    "wsgi.file_wrapper": FileWrapper,
}


def _native(text):
    """PEP 3333's native string of `text` (UTF-8, with bytes that are not as surrogates): each
    byte one code point (latin-1)."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def _text(native):
    """The text of a native string: its bytes as UTF-8, those that are not as surrogates."""
    return native.encode("latin-1").decode("utf-8", "surrogateescape")


def _uri(h, env):
    """The request's URI, when add_cgi_vars split it at a file (a <Directory>)."""
    env.pop("PATH_TRANSLATED", None)
    uri = _req_get(h, "uri")
    if uri is None:
        raise UnicodeError("mod_python.wsgi: the request's path is not UTF-8, which this "
                           "mod_python cannot hand to an application yet")
    return uri


# A mount point (a <Location>'s path, or base_uri) -> (SCRIPT_NAME, what PATH_INFO starts
# with below it). Keyed by hlist_context's answer, or by base_uri.
_mounts = {}


def _mount(h, base_uri=None):
    if base_uri is None:
        key = _req_call(h, "hlist_context")
        section, in_location = key
        base = section.rstrip("/") if in_location and section else ""
    else:
        key = base_uri
        base = base_uri.rstrip("/")
    mount = _mounts[key] = (base, base + "/" if base else "")
    return mount


def _outside_base(req, base):
    req.log_error("mod_python.wsgi: %r is not under PythonOption %s %r, declining"
                  % (req.uri, BASE_URI_OPTION, base), apache.APLOG_WARNING)
    return apache.DECLINED


def _request_file(req, h):
    """The file the request maps to, when it is one (`AddHandler mod_python .wsgi`)."""
    filename = _req_get(h, "filename")
    if filename and os.path.isfile(filename):
        return filename
    return None


def handler(req):
    h = req._h
    options = dict(_req_options(h))
    spec = options.get(APPLICATION_OPTION)
    by_file = spec is None and _request_file(req, h)
    if by_file:
        spec = by_file
    found = _apps.get(spec)
    if found is None or _monotonic() >= _recheck_at:
        found = _application(req, spec)
    app, filename = found

    env = _req_cgi_env(h)
    if by_file:
        # SCRIPT_NAME: the URI of the file; PATH_INFO: what follows it, as httpd split them.
        env.pop("PATH_TRANSLATED", None)
        env.setdefault("PATH_INFO", "")
    else:
        # Without a path_info beyond a file, add_cgi_vars made SCRIPT_NAME the whole URI.
        if "PATH_INFO" not in env:
            uri = env.get("SCRIPT_NAME")
            if not uri.isascii():
                uri = _text(uri)
        else:
            uri = _uri(h, env)
        base = options.get(BASE_URI_OPTION)
        if base is None:
            base, under = _mounts.get(_req_call(h, "hlist_context")) or _mount(h)
            if uri != base and not uri.startswith(under):
                # A <LocationMatch> or a wildcard <Location> names no prefix of the URI.
                base = ""
        else:
            base, under = _mounts.get(base) or _mount(h, base)
            if uri != base and not uri.startswith(under):
                return _outside_base(req, options[BASE_URI_OPTION])
        path = uri[len(base):]
        if base.isascii() and path.isascii():
            env["SCRIPT_NAME"] = base
            env["PATH_INFO"] = path
        else:
            env["SCRIPT_NAME"] = _native(base)
            env["PATH_INFO"] = _native(path)
    if filename is not None:
        env["SCRIPT_FILENAME"] = filename
    env.update(_CONSTANT)
    env["wsgi.url_scheme"] = env["REQUEST_SCHEME"]
    stream = Input()
    stream._req = req
    env["wsgi.input"] = stream
    errors = env["wsgi.errors"] = Errors()
    errors._partial = ""

    response = Response()
    response.req = req
    response.status = None
    response.sent = False
    response.begun = False
    response.left = None
    result = None
    try:
        result = app(env, response.start_response)
        if type(result) is list or type(result) is tuple:
            # Made already: nothing needs flushing between the blocks (PEP 3333 only asks not
            # to hold one back while the application makes the next). Checked first, so a
            # block that is not bytes is a 500 with nothing sent.
            for data in result:
                if type(data) is not bytes:
                    raise _not_bytes(data)
            if response.sent:
                for data in result:
                    response.write(data, False)
            elif len(result) == 1:
                # The most common answer. Written unflushed, the whole body reaches httpd's
                # Content-Length filter at once, which sets the header itself.
                data = result[0]
                if response.send_headers(h, len(data)) is None:
                    response.begun = True
                    _req_write(h, data, False)
                else:
                    response.write(data, False)
            elif response.send_headers(h) is None:
                response.begun = True
                for data in result:
                    _req_write(h, data, False)
            else:
                for data in result:
                    response.write(data, False)
        else:
            for data in result:
                response.write(data)
            if not response.sent:
                response.send_headers(h)
    except Exception as e:
        if not response.begun:
            raise
        return _broken(req, h, e)
    finally:
        if errors._partial:
            errors.flush()
        if type(result) is not list:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    return _OK


def _broken(req, h, e):
    """The end of a response whose body had begun when `e` was raised: a client that went
    away is one line at level info; any other failure is logged with its traceback and the
    response aborted, so the client sees it incomplete (not a 200 that looks whole)."""
    if _conn_get(h, "aborted"):
        _log("mod_python.wsgi: the client went away before the response to %s was complete "
             "(%s)" % (req.uri, e), apache.APLOG_INFO)
        return _OK
    apache._report(req, "PythonHandler", "mod_python.wsgi", False, e)
    try:
        _req_call(h, "abort_response")
    except Exception:
        pass  # the connection failed meanwhile: there is nothing left to tell the client
    return _OK
