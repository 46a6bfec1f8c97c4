"""mp_request: the request object every handler is given, over the native functions of
_apache (req_*); and the values its attributes hold (mp_finfo, mp_uri, mp_hlist).

Made by mod_python.so, one per request and interpreter. Being Python classes, these belong to
the interpreter that imported this module, as sub-interpreters require.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from functools import partial
from operator import itemgetter
from typing import Any, NoReturn

from mod_python._apache import (
    log_error,
    req_add_filter,
    req_add_handler,
    req_attr,
    req_attr_set,
    req_call,
    req_config,
    req_conn,
    req_flush,
    req_get,
    req_internal_redirect,
    req_options,
    req_read,
    req_register_filter,
    req_sendfile,
    req_server_handle,
    req_set,
    req_write,
)
from mod_python._connection import mp_conn
from mod_python._server import mp_server
from mod_python._table import (
    ERR_HEADERS_OUT,
    HEADERS_IN,
    HEADERS_OUT,
    NOTES,
    SUBPROCESS_ENV,
    mp_table,
)

FINFO_FIELDS = ("fname", "filetype", "valid", "protection", "user", "group", "size", "inode",
                "device", "nlink", "atime", "mtime", "ctime", "name")
# apache.FINFO_MODE ... FINFO_FILETYPE: the order 3.5 indexes a finfo object in.
_FINFO_INDEX = ("protection", "inode", "device", "nlink", "user", "group", "size", "atime",
                "mtime", "ctime", "fname", "name", "filetype")


class mp_finfo:
    """What httpd knows of a file (req.finfo, apache.stat()): attributes, or indexes
    apache.FINFO_*. All None but filetype (apache.APR_NOFILE) when there is no file."""

    __slots__ = FINFO_FIELDS
    fname: str | None
    filetype: int
    valid: int | None
    protection: int | None
    user: int | None
    group: int | None
    size: int | None
    inode: int | None
    device: int | None
    nlink: int | None
    atime: int | None
    mtime: int | None
    ctime: int | None
    name: str | None

    def __init__(self, *fields: Any) -> None:
        for k, v in zip(FINFO_FIELDS, fields, strict=False):
            setattr(self, k, v)

    def __getitem__(self, i: int) -> Any:
        return getattr(self, _FINFO_INDEX[i])

    def __repr__(self) -> str:
        return "{%s}" % ", ".join("%r: %r" % (k, getattr(self, k)) for k in FINFO_FIELDS)


class mp_uri(tuple[Any, ...]):
    """req.parsed_uri: a tuple indexed by apache.URI_*, with the same parts as attributes."""

    __slots__ = ()
    # Properties reading the tuple's items, set below.
    scheme: str | None
    hostinfo: str | None
    user: str | None
    password: str | None
    hostname: str | None
    port: int | None
    path: str | None
    query: str | None
    fragment: str | None


for _i, _name in enumerate(("scheme", "hostinfo", "user", "password", "hostname", "port",
                            "path", "query", "fragment")):
    setattr(mp_uri, _name, property(itemgetter(_i)))
del _i, _name


class mp_hlist:
    """req.hlist: the handler being run."""

    __slots__ = ("handler", "directory", "is_location", "silent", "parent")
    handler: str
    directory: str | None
    is_location: bool
    silent: int
    parent: mp_hlist | None

    def __init__(self, handler: str, directory: str | None, is_location: bool,
                 silent: int = 0) -> None:
        self.handler = handler
        self.directory = directory
        self.is_location = is_location
        self.silent = silent
        self.parent = None

    def __repr__(self) -> str:
        return "{'handler':%r,'directory':%r,'is_location':%r,'silent':%r}" % (
            self.handler, self.directory, self.is_location, self.silent)


# The request's fields are properties over native functions (bound to the field's name with
# functools.partial): reading or setting one runs no Python frame.
def _reader(name: str) -> property:
    return property(partial(req_attr, name), doc="request_rec's %s" % name)


def _field(name: str) -> property:
    return property(partial(req_attr, name), partial(req_attr_set, name),
                    doc="request_rec's %s (writable)" % name)


class _TableAttribute:
    """A request's table attribute, read-only as in 3.5: the table object is made on first use
    and kept with the request object, so `req.headers_in[...]` makes no new object each time."""

    __slots__ = ("which", "key")
    which: int
    key: str

    def __init__(self, which: int) -> None:
        self.which = which

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = "_t_" + name

    def __get__(self, obj: mp_request | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        d = obj.__dict__
        table = d.get(self.key)
        if table is None:
            table = d[self.key] = mp_table(obj, self.which)
        return table

    def __set__(self, obj: mp_request, value: object) -> NoReturn:
        raise AttributeError("attribute '%s' of 'mp_request' objects is not writable"
                             % self.key[3:])


class mp_request:
    """The request being served (request_rec), passed to every handler. Handlers may add
    attributes of their own: the same object serves all the phases of a request that run in
    this interpreter."""

    # Defaults that a request changes only when it needs to, so making the object is cheap.
    phase: str | None = None
    extension = property(lambda self: None, doc="the extension a `| .ext` handler matched")
    _rbuf = b""
    _cleanups: list[tuple[Callable[[Any], object], Any]] | tuple[()] = ()
    _added = False
    # (module, callable, directory) of the handler running, set by mod_python.so.
    _hspec: tuple[str, str, str | None]

    # Made by mod_python.so as mp_request() with `_h` then set: no __init__, so making one
    # runs no Python code. `interpreter` is set on the class, which is this interpreter's own.
    _h = 0
    interpreter: str | None = None

    headers_in = _TableAttribute(HEADERS_IN)
    headers_out = _TableAttribute(HEADERS_OUT)
    err_headers_out = _TableAttribute(ERR_HEADERS_OUT)
    notes = _TableAttribute(NOTES)
    subprocess_env = _TableAttribute(SUBPROCESS_ENV)

    # The request_rec's fields, read (and some written) through properties set below.
    method: str | None
    unparsed_uri: str | None
    hostname: str | None
    protocol: str | None
    the_request: str | None
    content_encoding: str | None
    useragent_ip: str | None
    range: str | None
    method_number: int
    header_only: int
    proto_num: int
    remaining: int
    read_length: int
    request_time: float
    mtime: float
    content_languages: tuple[str, ...]
    useragent_addr: tuple[str | None, int]
    allowed: int
    allowed_xmethods: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    clength: int
    bytes_sent: int
    sent_bodyct: int
    boundary: None
    read_body: int
    read_chunked: int
    expecting_100: int
    vlist_validator: str | None
    eos_sent: int
    status: int
    content_type: str | None
    filename: str | None
    user: str | None
    handler: str | None
    uri: str | None
    args: str | None
    path_info: str | None
    canonical_filename: str | None
    ap_auth_type: str | None
    status_line: str | None
    assbackwards: int
    proxyreq: int
    no_cache: int
    used_path_info: int
    chunked: int
    no_local_copy: int

    @property
    def connection(self) -> mp_conn:
        c = mp_conn(*req_conn(self._h))
        c._req = self
        return c

    @property
    def server(self) -> mp_server:
        return mp_server(req_server_handle(self._h))

    # Writing.
    def write(self, data: str | bytes, flush: int = 1) -> None:
        req_write(self._h, data, bool(flush))

    def flush(self) -> None:
        req_flush(self._h)

    def sendfile(self, path: str, offset: int = 0, len: int = -1) -> int:
        return req_sendfile(self._h, path, offset, len)

    def set_content_length(self, length: int) -> None:
        req_call(self._h, "set_content_length", length)

    # Reading the body. _rbuf holds what readline read ahead.
    def read(self, len: int | None = -1) -> bytes:
        buf = self._rbuf
        if len is None or len < 0:
            self._rbuf = b""
            return buf + req_read(self._h, -1)
        if buf:
            if len <= buf.__len__():
                self._rbuf = buf[len:]
                return buf[:len]
            self._rbuf = b""
            return buf + req_read(self._h, len - buf.__len__())
        return req_read(self._h, len)

    def readline(self, len: int | None = -1) -> bytes:
        limit = len if len is not None and len >= 0 else None
        buf = self._rbuf
        while True:
            end = buf.find(b"\n")
            if end >= 0 and (limit is None or end < limit):
                self._rbuf = buf[end + 1:]
                return buf[:end + 1]
            if limit is not None and buf.__len__() >= limit:
                self._rbuf = buf[limit:]
                return buf[:limit]
            more = req_read(self._h, 8192 if limit is None else min(8192, limit - buf.__len__()))
            if not more:
                self._rbuf = b""
                return buf
            buf += more

    def readlines(self, sizehint: int | None = -1) -> list[bytes]:
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += line.__len__()
            if sizehint is not None and 0 <= sizehint <= total:
                return lines

    def discard_request_body(self) -> int:
        return req_call(self._h, "discard_request_body")

    # Configuration.
    def get_options(self) -> dict[str, str]:
        return dict(req_options(self._h))

    def get_config(self) -> dict[str, str]:
        return dict(req_config(self._h))

    # Handlers, filters and the request's life.
    def add_handler(self, htype: str, handler: str, dir: str | None = None) -> None:
        req_add_handler(self._h, htype, handler, dir)
        self._added = True

    def register_output_filter(self, filter_name: str, filter_handler: str,
                               dir: str | None = None) -> None:
        """A filter for this request only, added with req.add_output_filter(filter_name)."""
        req_register_filter(self._h, False, filter_name, filter_handler, dir)

    def register_input_filter(self, filter_name: str, filter_handler: str,
                              dir: str | None = None) -> None:
        req_register_filter(self._h, True, filter_name, filter_handler, dir)

    def add_output_filter(self, filter_name: str) -> None:
        """Adds a filter: one registered for this request, or any filter httpd knows."""
        req_add_filter(self._h, False, filter_name)

    def add_input_filter(self, filter_name: str) -> None:
        req_add_filter(self._h, True, filter_name)

    def register_cleanup(self, callable: Callable[[Any], object], data: Any = None) -> None:
        if not self._h:
            raise RuntimeError("the request this object belongs to is no longer being served")
        if not self._cleanups:
            self._cleanups = []
        self._cleanups.append((callable, data))

    def log_error(self, message: object, level: int = 3) -> None:
        log_error(str(message), int(level))

    def internal_redirect(self, uri: str) -> None:
        req_internal_redirect(self._h, uri)

    # Authentication, URLs and CGI variables.
    def get_basic_auth_pw(self) -> str | None:
        return req_call(self._h, "get_basic_auth_pw")

    def auth_name(self) -> str | None:
        return req_call(self._h, "auth_name")

    def auth_type(self) -> str | None:
        return req_call(self._h, "auth_type")

    def document_root(self) -> str | None:
        return req_call(self._h, "document_root")

    def construct_url(self, uri: str) -> str:
        return req_call(self._h, "construct_url", uri)

    def get_remote_host(self, type: int = 1, str_is_ip: object = None) -> Any:
        return req_call(self._h, "get_remote_host", int(type), str_is_ip)

    def is_initial_req(self) -> bool:
        return req_call(self._h, "is_initial_req")

    def add_common_vars(self) -> None:
        req_call(self._h, "add_common_vars")

    def add_cgi_vars(self) -> None:
        req_call(self._h, "add_cgi_vars")

    # The rest of 3.5's request API (attributes computed when read; see
    # apache_module/request_fallback.rs).
    finfo = property(lambda self: mp_finfo(*req_get(self._h, "finfo")),
                     lambda self, value: req_set(self._h, "finfo", value))

    @property
    def parsed_uri(self) -> mp_uri:
        return mp_uri(req_get(self._h, "parsed_uri"))

    def _related(self, which: str) -> mp_request | None:
        h = req_get(self._h, which)
        if not h:
            return None
        # Cached, so that attributes a handler sets on req.main stay there.
        cache = self.__dict__.setdefault("_related_objects", {})
        obj = cache.get(h)
        if obj is None:
            obj = cache[h] = mp_request()
            obj._h = h
        return obj

    main = property(lambda self: self._related("main"))
    prev = property(lambda self: self._related("prev"))
    next = property(lambda self: self._related("next"))

    @property
    def hlist(self) -> mp_hlist | None:
        spec = self.__dict__.get("_hspec")
        if spec is None:
            return None
        module, callable, directory = spec
        handler = module if callable == "handler" else "%s::%s" % (module, callable)
        section, in_location = req_call(self._h, "hlist_context")
        return mp_hlist(handler, directory or section, bool(in_location))

    def allow_methods(self, methods: list[str] | tuple[str, ...], reset: int = 0) -> None:
        req_call(self._h, "allow_methods", list(methods), reset)

    def meets_conditions(self) -> int:
        return req_call(self._h, "meets_conditions")

    def set_etag(self) -> None:
        req_call(self._h, "set_etag")

    def set_last_modified(self) -> None:
        req_call(self._h, "set_last_modified")

    def update_mtime(self, mtime: float) -> None:
        req_call(self._h, "update_mtime", mtime)

    def is_https(self) -> int:
        return req_call(self._h, "is_https")

    def ssl_var_lookup(self, var_name: str) -> str | None:
        return req_call(self._h, "ssl_var_lookup", var_name)

    def send_http_header(self) -> None:
        """Kept for compatibility: headers go out with the first write."""

    # 3.5's methods built on the configuration and on CGI variables, in mod_python.apache
    # (imported when called: mod_python.apache imports this module).
    def requires(self) -> tuple[str, ...]:
        from mod_python import apache
        return apache._requires(self)

    def get_addhandler_exts(self) -> str:
        from mod_python import apache
        return apache._addhandler_exts(self)

    def build_wsgi_env(self) -> dict[str, Any]:
        from mod_python import apache
        return apache._build_wsgi_env(self)

    def wsgi_start_response(self, status: str, response_headers: list[tuple[str, str]],
                            exc_info: Any = None) -> Callable[..., None]:
        from mod_python import apache
        return apache._wsgi_start_response(self, status, response_headers, exc_info)

    # Called by mod_python.so.
    def _finish(self) -> None:
        """The request has ended (its pool is being destroyed, the request lent to this
        thread): run the registered cleanups with the object still attached, last registered
        first as 3.5's pool cleanups run, then detach it. The response is over: the methods
        that would send or read anything refuse, with the error a failed write gives."""
        def ended(*args: object, **kwargs: object) -> NoReturn:
            raise OSError("the response has ended: a request cleanup cannot send or read")
        refused = ("write", "flush", "sendfile", "read", "readline", "readlines",
                   "discard_request_body", "internal_redirect")
        for name in refused:
            self.__dict__[name] = ended
        try:
            # One registered by a cleanup runs next, as on a pool running its cleanups.
            while self._cleanups:
                callable, data = self._cleanups.pop()
                try:
                    callable(data)  # as 3.5: None when no data was given
                except BaseException:
                    log_error("mod_python: request cleanup failed: " + traceback.format_exc(),
                              3)
        finally:
            self._h = 0
            self._cleanups = ()
            # Detached, the methods raise as any call on an ended request does.
            for name in refused:
                self.__dict__.pop(name, None)


for _name in ("method", "unparsed_uri", "hostname", "protocol", "the_request",
              "content_encoding", "useragent_ip", "range", "method_number", "header_only",
              "proto_num", "remaining", "read_length", "request_time", "mtime",
              "content_languages",
              "useragent_addr", "allowed", "allowed_xmethods", "allowed_methods", "clength",
              "bytes_sent", "sent_bodyct", "boundary", "read_body", "read_chunked",
              "expecting_100", "vlist_validator", "eos_sent"):
    setattr(mp_request, _name, _reader(_name))
for _name in ("status", "content_type", "filename", "user", "handler",
              "uri", "args", "path_info", "canonical_filename", "ap_auth_type", "status_line",
              "assbackwards", "proxyreq", "no_cache", "used_path_info", "chunked",
              "no_local_copy"):
    setattr(mp_request, _name, _field(_name))
del _name
