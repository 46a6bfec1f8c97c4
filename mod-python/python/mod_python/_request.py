# The objects handlers are given: run by mod_python.so inside each interpreter's
# mod_python._apache module, whose native functions (tab_*, req_*) these classes call. Being
# Python classes, they belong to the interpreter that made them, as sub-interpreters require.

HEADERS_IN, HEADERS_OUT, ERR_HEADERS_OUT, NOTES, SUBPROCESS_ENV, CONN_NOTES = range(6)


class mp_table(object):
    """One of a request's tables (headers_in, headers_out, ...): keys are case-insensitive and
    may repeat; a repeated key reads as a list of its values."""

    # The request object, not its handle: a table kept past its request must stop working
    # when the request object does.
    __slots__ = ("_r", "_w")

    def __init__(self, req, which):
        self._r = req
        self._w = which

    def __getitem__(self, key):
        return tab_get(self._r._h, self._w, key)

    def __setitem__(self, key, value):
        tab_put(self._r._h, self._w, key, value, False)

    def add(self, key, value):
        tab_put(self._r._h, self._w, key, value, True)

    def __delitem__(self, key):
        tab_del(self._r._h, self._w, key)

    def __contains__(self, key):
        return tab_has(self._r._h, self._w, key)

    has_key = __contains__

    def __len__(self):
        return tab_len(self._r._h, self._w)

    def get(self, key, default=None):
        return tab_find(self._r._h, self._w, key, default)

    def setdefault(self, key, default=""):
        try:
            return tab_get(self._r._h, self._w, key)
        except KeyError:
            tab_put(self._r._h, self._w, key, default, False)
            return default

    def items(self):
        return tab_items(self._r._h, self._w)

    def keys(self):
        return [k for k, _ in tab_items(self._r._h, self._w)]

    def values(self):
        return [v for _, v in tab_items(self._r._h, self._w)]

    def __iter__(self):
        return iter(self.keys())

    def update(self, other=(), **more):
        pairs = other.items() if hasattr(other, "items") else other
        for k, v in list(pairs) + list(more.items()):
            self[k] = v

    def copy(self):
        return dict(self.items())

    def clear(self):
        tab_clear(self._r._h, self._w)

    def __eq__(self, other):
        return dict(self.items()) == dict(other.items() if hasattr(other, "items") else other)

    def __repr__(self):
        return repr(dict(self.items()))


class mp_conn(object):
    """The connection a request came on, as it was when asked."""

    __slots__ = ("remote_ip", "remote_host", "local_ip", "local_addr", "remote_addr", "id",
                 "keepalives", "aborted", "_req")

    def __init__(self, remote_ip, remote_host, local_ip, local_addr, remote_addr, id,
                 keepalives, aborted):
        self.remote_ip = remote_ip
        self.remote_host = remote_host
        self.local_ip = local_ip
        self.local_addr = local_addr
        self.remote_addr = remote_addr
        self.id = id
        self.keepalives = keepalives
        self.aborted = aborted

    @property
    def client_ip(self):
        return self.remote_ip

    # Read from the connection when asked (through the request it was reached from).
    @property
    def base_server(self):
        return mp_server(conn_get(self._req._h, "base_server"))

    remote_logname = property(lambda self: conn_get(self._req._h, "remote_logname"))
    local_host = property(lambda self: conn_get(self._req._h, "local_host"))
    double_reverse = property(lambda self: conn_get(self._req._h, "double_reverse"))
    keepalive = property(lambda self: conn_get(self._req._h, "keepalive"))

    @property
    def notes(self):
        return mp_table(self._req, CONN_NOTES)


class mp_server(object):
    """A (virtual) server, named by its handle; its attributes are read when asked."""

    __slots__ = ("_s",)

    def __init__(self, handle):
        self._s = handle

    def __eq__(self, other):
        return isinstance(other, mp_server) and other._s == self._s

    def __hash__(self):
        return hash(self._s)

    @property
    def next(self):
        n = srv_get(self._s, "next")
        return mp_server(n) if n else None

    def get_options(self):
        return dict(srv_options(self._s))

    def get_config(self):
        return dict(srv_config(self._s))

    def register_cleanup(self, req, callable, data=None):
        """Runs callable(data) when the child process exits."""
        _register_exit_cleanup(callable, data)

    def log_error(self, message, level=3):
        log_error(str(message), int(level))


for _name in ("server_hostname", "server_admin", "port", "is_virtual", "defn_name",
              "defn_line_number", "error_fname", "loglevel", "names", "wild_names",
              "limit_req_line", "limit_req_fieldsize", "limit_req_fields", "timeout",
              "keep_alive", "keep_alive_max", "keep_alive_timeout", "path", "pathlen",
              "restart_time", "my_generation"):
    setattr(mp_server, _name, property(lambda self, _n=_name: srv_get(self._s, _n)))


def _register_exit_cleanup(callable, data=None):
    import atexit

    def run():
        try:
            callable(data)  # as 3.5: None when no data was given
        except Exception:
            import traceback
            log_error("mod_python: cleanup at child exit failed: " + traceback.format_exc(), 3)
    atexit.register(run)


FINFO_FIELDS = ("fname", "filetype", "valid", "protection", "user", "group", "size", "inode",
                "device", "nlink", "atime", "mtime", "ctime", "name")
# apache.FINFO_MODE ... FINFO_FILETYPE: the order 3.5 indexes a finfo object in.
_FINFO_INDEX = ("protection", "inode", "device", "nlink", "user", "group", "size", "atime",
                "mtime", "ctime", "fname", "name", "filetype")


class mp_finfo(object):
    """What httpd knows of a file (req.finfo, apache.stat()): attributes, or indexes
    apache.FINFO_*. All None but filetype (apache.APR_NOFILE) when there is no file."""

    __slots__ = FINFO_FIELDS

    def __init__(self, *fields):
        for k, v in zip(FINFO_FIELDS, fields):
            setattr(self, k, v)

    def __getitem__(self, i):
        return getattr(self, _FINFO_INDEX[i])

    def __repr__(self):
        return "{%s}" % ", ".join("%r: %r" % (k, getattr(self, k)) for k in FINFO_FIELDS)


class mp_uri(tuple):
    """req.parsed_uri: a tuple indexed by apache.URI_*, with the same parts as attributes."""

    __slots__ = ()
    scheme = property(lambda self: self[0])
    hostinfo = property(lambda self: self[1])
    user = property(lambda self: self[2])
    password = property(lambda self: self[3])
    hostname = property(lambda self: self[4])
    port = property(lambda self: self[5])
    path = property(lambda self: self[6])
    query = property(lambda self: self[7])
    fragment = property(lambda self: self[8])


class mp_hlist(object):
    """req.hlist: the handler being run."""

    __slots__ = ("handler", "directory", "is_location", "silent", "parent")

    def __init__(self, handler, directory, is_location, silent=0):
        self.handler = handler
        self.directory = directory
        self.is_location = is_location
        self.silent = silent
        self.parent = None

    def __repr__(self):
        return "{'handler':%r,'directory':%r,'is_location':%r,'silent':%r}" % (
            self.handler, self.directory, self.is_location, self.silent)


# The request's fields are properties over native functions (bound to the field's name with
# functools.partial): reading or setting one runs no Python frame.
from functools import partial as _partial


def _reader(name):
    return property(_partial(req_attr, name), doc="request_rec's %s" % name)


def _field(name):
    return property(_partial(req_attr, name), _partial(req_attr_set, name),
                    doc="request_rec's %s (writable)" % name)


class _table(object):
    """A request's table attribute, read-only as in 3.5: the table object is made on first use
    and kept with the request object, so `req.headers_in[...]` makes no new object each time."""

    __slots__ = ("which", "key")

    def __init__(self, which):
        self.which = which

    def __set_name__(self, owner, name):
        self.key = "_t_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        d = obj.__dict__
        table = d.get(self.key)
        if table is None:
            table = d[self.key] = mp_table(obj, self.which)
        return table

    def __set__(self, obj, value):
        raise AttributeError("attribute '%s' of 'mp_request' objects is not writable"
                             % self.key[3:])


class mp_request(object):
    """The request being served (request_rec), passed to every handler. Handlers may add
    attributes of their own: the same object serves all the phases of a request that run in
    this interpreter."""

    # Defaults that a request changes only when it needs to, so making the object is cheap.
    phase = None
    extension = property(lambda self: None, doc="the extension a `| .ext` handler matched")
    _rbuf = b""
    _cleanups = ()
    _added = False

    # Made by mod_python.so as mp_request() with `_h` then set: no __init__, so making one
    # runs no Python code. `interpreter` is set on the class, which is this interpreter's own.
    _h = 0
    interpreter = None

    headers_in = _table(HEADERS_IN)
    headers_out = _table(HEADERS_OUT)
    err_headers_out = _table(ERR_HEADERS_OUT)
    notes = _table(NOTES)
    subprocess_env = _table(SUBPROCESS_ENV)

    @property
    def connection(self):
        c = mp_conn(*req_conn(self._h))
        c._req = self
        return c

    @property
    def server(self):
        return mp_server(req_server_handle(self._h))

    # Writing.
    def write(self, data, flush=1):
        req_write(self._h, data, bool(flush))

    def flush(self):
        req_flush(self._h)

    def sendfile(self, path, offset=0, len=-1):
        return req_sendfile(self._h, path, offset, len)

    def set_content_length(self, length):
        req_call(self._h, "set_content_length", length)

    # Reading the body. _rbuf holds what readline read ahead.
    def read(self, len=-1):
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

    def readline(self, len=-1):
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

    def readlines(self, sizehint=-1):
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += line.__len__()
            if sizehint is not None and 0 <= sizehint <= total:
                return lines

    def discard_request_body(self):
        return req_call(self._h, "discard_request_body")

    # Configuration.
    def get_options(self):
        return dict(req_options(self._h))

    def get_config(self):
        return dict(req_config(self._h))

    # Handlers and the request's life.
    def add_handler(self, htype, handler, dir=None):
        req_add_handler(self._h, htype, handler, dir)
        self._added = True

    def register_cleanup(self, callable, data=None):
        if not self._h:
            raise RuntimeError("the request this object belongs to is no longer being served")
        if not self._cleanups:
            self._cleanups = []
        self._cleanups.append((callable, data))

    def log_error(self, message, level=3):
        log_error(str(message), int(level))

    def internal_redirect(self, uri):
        req_internal_redirect(self._h, uri)

    # Authentication, URLs and CGI variables.
    def get_basic_auth_pw(self):
        return req_call(self._h, "get_basic_auth_pw")

    def auth_name(self):
        return req_call(self._h, "auth_name")

    def auth_type(self):
        return req_call(self._h, "auth_type")

    def document_root(self):
        return req_call(self._h, "document_root")

    def construct_url(self, uri):
        return req_call(self._h, "construct_url", uri)

    def get_remote_host(self, type=1, str_is_ip=None):
        return req_call(self._h, "get_remote_host", int(type), str_is_ip)

    def is_initial_req(self):
        return req_call(self._h, "is_initial_req")

    def add_common_vars(self):
        req_call(self._h, "add_common_vars")

    def add_cgi_vars(self):
        req_call(self._h, "add_cgi_vars")

    # The rest of 3.5's request API (attributes computed when read; see reqapi.rs).
    finfo = property(lambda self: mp_finfo(*req_get(self._h, "finfo")),
                     lambda self, value: req_set(self._h, "finfo", value))

    @property
    def parsed_uri(self):
        return mp_uri(req_get(self._h, "parsed_uri"))

    def _related(self, which):
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
    def hlist(self):
        spec = self.__dict__.get("_hspec")
        if spec is None:
            return None
        module, callable, directory = spec
        handler = module if callable == "handler" else "%s::%s" % (module, callable)
        section, in_location = req_call(self._h, "hlist_context")
        return mp_hlist(handler, directory or section, bool(in_location))

    def allow_methods(self, methods, reset=0):
        req_call(self._h, "allow_methods", list(methods), reset)

    def meets_conditions(self):
        return req_call(self._h, "meets_conditions")

    def set_etag(self):
        req_call(self._h, "set_etag")

    def set_last_modified(self):
        req_call(self._h, "set_last_modified")

    def update_mtime(self, mtime):
        req_call(self._h, "update_mtime", mtime)

    def is_https(self):
        return req_call(self._h, "is_https")

    def ssl_var_lookup(self, var_name):
        return req_call(self._h, "ssl_var_lookup", var_name)

    def send_http_header(self):
        """Kept for compatibility: headers go out with the first write."""

    def requires(self):
        from mod_python import apache
        return apache._requires(self)

    def get_addhandler_exts(self):
        from mod_python import apache
        return apache._addhandler_exts(self)

    def build_wsgi_env(self):
        from mod_python import apache
        return apache._build_wsgi_env(self)

    def wsgi_start_response(self, status, response_headers, exc_info=None):
        from mod_python import apache
        return apache._wsgi_start_response(self, status, response_headers, exc_info)

    # Called by mod_python.so.
    def _finish(self):
        """The request has ended (its pool is being destroyed, the request lent to this
        thread): run the registered cleanups with the object still attached, last registered
        first as 3.5's pool cleanups run, then detach it. The response is over: the methods
        that would send or read anything refuse, with the error a failed write gives."""
        def ended(*args, **kwargs):
            raise IOError("the response has ended: a request cleanup cannot send or read")
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
                    import traceback
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
              "useragent_addr", "allowed", "allowed_xmethods", "allowed_methods", "clength", "bytes_sent",
              "sent_bodyct", "boundary", "read_body", "read_chunked", "expecting_100",
              "vlist_validator", "eos_sent"):
    setattr(mp_request, _name, _reader(_name))
for _name in ("status", "content_type", "filename", "user", "handler",
              "uri", "args", "path_info", "canonical_filename", "ap_auth_type", "status_line",
              "assbackwards", "proxyreq", "no_cache", "used_path_info", "chunked",
              "no_local_copy"):
    setattr(mp_request, _name, _field(_name))
del _name
