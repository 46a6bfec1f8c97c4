"""mp_request: the request object every handler is given, over the native functions of
_apache (req_*); and the values its attributes hold (mp_finfo, mp_uri).

Made by mod_python.so, one per request and interpreter. Being Python classes, these belong to
the interpreter that imported this module, as sub-interpreters require. Their attributes, what
may be written and the errors are mod_python 3.5's (requestobject.c, hlistobject.c,
finfoobject.c).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any, NoReturn

from mod_python._apache import interpreter as _interpreter_name
from mod_python._apache import (
    log_error,
    req_add_filter,
    req_add_handler,
    req_attr,
    req_attr_set,
    req_call,
    req_config,
    req_flush,
    req_get,
    req_internal_redirect,
    req_options,
    req_read,
    req_register_filter,
    req_related,
    req_sendfile,
    req_server_handle,
    req_set,
    req_write,
)
from mod_python._attrs import log_message, read_only, read_only_member, record_capsule
from mod_python._connection import mp_conn
from mod_python._hlist import mp_hlist
from mod_python._server import mp_server
from mod_python._table import (
    ERR_HEADERS_OUT,
    HEADERS_IN,
    HEADERS_OUT,
    NOTES,
    SUBPROCESS_ENV,
    mp_table,
    request_table,
    table_of,
)

FINFO_FIELDS = ("fname", "filetype", "valid", "protection", "user", "group", "size", "inode",
                "device", "nlink", "atime", "mtime", "ctime", "name")
# apache.FINFO_MODE ... FINFO_FILETYPE: the order 3.5 indexes a finfo object in.
_FINFO_INDEX = ("protection", "inode", "device", "nlink", "user", "group", "size", "atime",
                "mtime", "ctime", "fname", "name", "filetype")


class mp_finfo:
    """What httpd knows of a file (req.finfo, apache.stat()), read-only: attributes, or
    indexes apache.FINFO_*. All None but filetype (apache.APR_NOFILE) when there is no
    file."""

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
            object.__setattr__(self, k, v)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("attribute '%s' of 'mp_finfo' objects is not writable" % name)

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


# The request's fields are properties over native functions (bound to the field's name with
# functools.partial): reading or setting one runs no Python frame.
def _reader(name: str) -> property:
    return read_only("mp_request", name, partial(req_attr, name))


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
            table = d[self.key] = request_table(obj, self.which)
        return table

    def __set__(self, obj: mp_request, value: object) -> NoReturn:
        raise AttributeError("attribute '%s' of 'mp_request' objects is not writable"
                             % self.key[3:])


def _kept(key: str, make: Callable[[mp_request], Any]) -> Callable[[mp_request], Any]:
    """A getter making an object on first use and keeping it with the request object, so that
    reading the attribute again gives the same object, as in 3.5."""
    def get(req: mp_request) -> Any:
        d = req.__dict__
        found = d.get(key)
        if found is None:
            found = d[key] = make(req)
        return found
    return get


class mp_request:
    """The request being served (request_rec), passed to every handler. Handlers may add
    attributes of their own: the same object serves all the phases of a request that run in
    this interpreter."""

    # Defaults that a request changes only when it needs to, so making the object is cheap.
    _phase: str | None = None
    _extension: str | None = None
    _rbuf = b""
    _cleanups: list[tuple[Callable[[Any], object], Any]] | tuple[()] = ()
    _added = False
    _ct_set = 0
    _queued = 0
    # (module, callable, directory) of the handler running, set by mod_python.so.
    _hspec: tuple[str, str, str | None]

    # Made by mod_python.so as mp_request() with `_h` then set: no __init__, so making one
    # runs no Python code.
    _h = 0

    headers_in = _TableAttribute(HEADERS_IN)
    headers_out = _TableAttribute(HEADERS_OUT)
    err_headers_out = _TableAttribute(ERR_HEADERS_OUT)
    notes = _TableAttribute(NOTES)
    subprocess_env = _TableAttribute(SUBPROCESS_ENV)

    phase = read_only_member(attrgetter("_phase"))
    extension = read_only_member(attrgetter("_extension"))
    interpreter = read_only("mp_request", "interpreter", lambda self: _interpreter_name)
    # As 3.5: set (1) once a handler has set req.content_type.
    _content_type_set = read_only_member(attrgetter("_ct_set"))
    # As 3.5: the bytes the handler gave req.write and req.sendfile.
    _bytes_queued = read_only("mp_request", "_bytes_queued", attrgetter("_queued"))
    _request_rec = read_only("mp_request", "_request_rec",
                             lambda self: record_capsule(req_get(self._h, "_request_rec")))

    # The request_rec's fields, read (and some written) through properties set below.
    the_request: str | None
    header_only: int
    protocol: str | None
    proto_num: int
    hostname: str | None
    request_time: float
    method: str | None
    method_number: int
    allowed: int
    allowed_xmethods: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    sent_bodyct: int
    bytes_sent: int
    mtime: float
    range: str | None
    clength: int
    remaining: int
    read_length: int
    read_body: int
    read_chunked: int
    expecting_100: int
    content_encoding: str | None
    content_languages: tuple[str, ...]
    vlist_validator: str | None
    unparsed_uri: str | None
    eos_sent: int
    useragent_addr: tuple[str | None, int]
    useragent_ip: str | None
    handler: str | None
    uri: str | None
    assbackwards: int
    proxyreq: int
    status_line: str | None
    status: int
    chunked: int
    user: str | None
    ap_auth_type: str | None
    no_cache: int
    no_local_copy: int
    filename: str | None
    canonical_filename: str | None
    path_info: str | None
    args: str | None
    used_path_info: int

    def _set_content_type(self, value: str | bytes) -> None:
        req_attr_set("content_type", self, value)
        self._ct_set = 1

    content_type = property(partial(req_attr, "content_type"), _set_content_type,
                            doc="request_rec's content_type (writable)")

    connection = read_only("mp_request", "connection",
                           _kept("_conn", lambda req: mp_conn(req)))
    server = read_only("mp_request", "server",
                       _kept("_srv", lambda req: mp_server(req_server_handle(req._h))))

    def __repr__(self) -> str:
        return "<mp_request object at %#x>" % id(self)

    # Writing.
    def write(self, data: str | bytes, flush: int = 1) -> None:
        self._queued += req_write(self._h, data, bool(flush))

    def flush(self) -> None:
        req_flush(self._h)

    def sendfile(self, path: str, offset: int = 0, len: int = -1) -> int:
        sent = req_sendfile(self._h, path, offset, len)
        self._queued += sent
        return sent

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

    # Configuration: tables of their own, the same object each time within a phase (the
    # configuration in effect can change between phases, when httpd has mapped the URI to a
    # file and <Directory> sections apply).
    def get_options(self) -> mp_table:
        """The PythonOptions in effect (a table, equal to the dict of the same options)."""
        return self._configuration("_options", req_options)

    def get_config(self) -> mp_table:
        """The mod_python directives in effect, but handlers and options, as 3.5 names them."""
        return self._configuration("_config", req_config)

    def _configuration(self, key: str,
                       read: Callable[[int], list[tuple[str, str]]]) -> mp_table:
        d = self.__dict__
        kept = d.get(key)
        if kept is None or kept[0] != self._phase:
            kept = d[key] = (self._phase, table_of(read(self._h)))
        table: mp_table = kept[1]
        return table

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
        if not _is_callable(callable):
            raise ValueError("first argument must be a callable object")
        if not self._cleanups:
            self._cleanups = []
        self._cleanups.append((callable, data))

    def log_error(self, message: str | None, level: int = 3) -> None:
        log_message(message, level)

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

    def add_common_vars(self) -> None:
        req_call(self._h, "add_common_vars")

    def add_cgi_vars(self) -> None:
        req_call(self._h, "add_cgi_vars")

    # The rest of 3.5's request API (attributes computed when read; see
    # apache_module/request_fallback.rs).
    finfo = property(lambda self: mp_finfo(*req_get(self._h, "finfo")),
                     lambda self, value: req_set(self._h, "finfo", value))

    parsed_uri = read_only("mp_request", "parsed_uri",
                           lambda self: mp_uri(req_get(self._h, "parsed_uri")))

    def _related(self, which: str) -> mp_request | None:
        found = req_related(self._h, which)
        if found is None or isinstance(found, mp_request):
            # The object that request's handlers were given, as in 3.5.
            return found
        h: int = found
        # One object per request for all the objects reached from one another, this one
        # included (req.prev.next is req), so that attributes a handler sets on req.main stay.
        known = self.__dict__.get("_related_objects")
        if known is None:
            known = self.__dict__["_related_objects"] = {self._h: self}
        obj = known.get(h)
        if obj is None:
            obj = known[h] = mp_request()
            obj._h = h
            obj.__dict__["_related_objects"] = known
        return obj

    main = read_only("mp_request", "main", lambda self: self._related("main"))
    prev = read_only("mp_request", "prev", lambda self: self._related("prev"))
    next = read_only("mp_request", "next", lambda self: self._related("next"))

    @property
    def hlist(self) -> mp_hlist | None:
        spec = self.__dict__.get("_hspec")
        if spec is None:
            return None
        module, callable, directory = spec
        # As configured: the callable is left out when it is the phase's default.
        default = (self._phase or "PythonHandler")[len("Python"):].lower()
        handler = module if callable == default else "%s::%s" % (module, callable)
        section, in_location = req_call(self._h, "hlist_context")
        return mp_hlist(handler, directory or section, bool(in_location))

    @hlist.setter
    def hlist(self, value: object) -> NoReturn:
        raise AttributeError("readonly attribute")

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


def _is_callable(obj: object) -> bool:
    return callable(obj)


# As in 3.5's request_rec getters: what is only read, and what handlers may set.
for _name in ("the_request", "header_only", "protocol", "proto_num", "hostname",
              "request_time", "method", "method_number", "allowed", "allowed_xmethods",
              "allowed_methods", "sent_bodyct", "bytes_sent", "mtime", "range", "clength",
              "remaining", "read_length", "read_body", "read_chunked", "expecting_100",
              "content_encoding", "content_languages", "vlist_validator", "unparsed_uri",
              "eos_sent", "useragent_addr", "useragent_ip"):
    setattr(mp_request, _name, _reader(_name))
for _name in ("handler", "uri", "assbackwards", "proxyreq", "status_line", "status",
              "chunked", "user", "ap_auth_type", "no_cache", "no_local_copy", "filename",
              "canonical_filename", "path_info", "args", "used_path_info"):
    setattr(mp_request, _name, _field(_name))
del _name
