"""mod_python.util: form data (FieldStorage), query strings, redirects, and the matching of form
fields to a callable's arguments that the publisher uses; mod_python 3.5's API on Python 3.

Text is str and file uploads are bytes: names and values of fields are decoded (UTF-8 unless the
request or the part names another charset), the content of an uploaded file is not. The module
never imports `cgi` (gone from Python 3.13).
"""

import codecs
import io
import re
import tempfile
import types
from urllib.parse import unquote_to_bytes

from mod_python import apache

__all__ = ["FieldStorage", "Field", "StringField", "FieldList", "parse_qs", "parse_qsl",
           "parse_header", "apply_fs_data", "redirect", "readBlockSize"]

# 3.5's name and value (the size of its line reads), kept for code that reads it; the parser
# here reads the body in chunks of _CHUNK.
readBlockSize = 65368

# What one req.read() asks for: below glibc's mmap threshold, so each chunk is a plain malloc.
_CHUNK = 65536
# The headers of one part of a multipart body, blank line included, must fit in this.
_MAX_PART_HEADERS = 65536
# Spaces a client may put between a boundary and the end of its line (RFC 2046's transport
# padding); more means the line is not a boundary.
_MAX_PADDING = 1024

_new_str = str.__new__
_append = list.append
_EMPTY = types.MappingProxyType({})


# Query strings.

def _split_pairs(qs, keep_blank_values, strict_parsing, unq, amp, semi, eq, plus, space, pct):
    # One loop for str and bytes: the separators and the unquoting function come from the caller.
    if semi in qs:
        qs = qs.replace(semi, amp)
    pairs = []
    for part in qs.split(amp):
        if not part:
            if strict_parsing:
                raise ValueError("bad query field: %r" % (part,))
            continue
        name, sep, value = part.partition(eq)
        if not sep:
            if strict_parsing:
                raise ValueError("bad query field: %r" % (part,))
            if not keep_blank_values:
                continue
        elif not value and not keep_blank_values:
            continue
        if plus in name:
            name = name.replace(plus, space)
        if pct in name:
            name = unq(name)
        if value:
            if plus in value:
                value = value.replace(plus, space)
            if pct in value:
                value = unq(value)
        pairs.append((name, value))
    return pairs


# Runs of %XX escapes, decoded together so that a character of several bytes comes out whole;
# what is not a valid escape stays as it is (as urllib.parse.unquote does, in a fraction of its
# time).
_escapes = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_unquoters = {}


def _unquoter(charset):
    f = _unquoters.get(charset)
    if f is None:
        def run(match, fromhex=bytes.fromhex):
            return fromhex(match.group().replace("%", "")).decode(charset, "replace")

        def f(s, sub=_escapes.sub):
            return sub(run, s)
        _unquoters[charset] = f
    return f


def _text_pairs(qs, keep_blank_values, strict_parsing, charset="utf-8"):
    return _split_pairs(qs, keep_blank_values, strict_parsing, _unquoter(charset),
                        "&", ";", "=", "+", " ", "%")


def parse_qsl(qs, keep_blank_values=0, strict_parsing=0):
    """The (name, value) pairs of a query string (application/x-www-form-urlencoded data), in
    order. '&' and ';' both separate pairs, '+' is a space, %XX escapes are decoded (as UTF-8
    for a str; a bytes query string gives bytes pairs). Pairs with an empty value, and names
    without '=', are left out unless keep_blank_values. With strict_parsing, a pair without '='
    or an empty pair raises ValueError."""
    if isinstance(qs, str):
        return _text_pairs(qs, keep_blank_values, strict_parsing)
    return _split_pairs(bytes(qs), keep_blank_values, strict_parsing, unquote_to_bytes,
                        b"&", b";", b"=", b"+", b" ", b"%")


def parse_qs(qs, keep_blank_values=0, strict_parsing=0):
    """Like parse_qsl, as a dict: each name maps to the list of its values, in order."""
    result = {}
    for name, value in parse_qsl(qs, keep_blank_values, strict_parsing):
        values = result.get(name)
        if values is None:
            result[name] = [value]
        else:
            values.append(value)
    return result


# Header values.

def _header_params(rest):
    params = {}
    n = len(rest)
    i = 0
    while i < n:
        j = i
        while j < n and rest[j] != "=" and rest[j] != ";":
            j += 1
        if j == n or rest[j] == ";":
            # A parameter without a value is dropped, as 3.5 does.
            i = j + 1
            continue
        name = rest[i:j].strip().lower()
        j += 1
        while j < n and (rest[j] == " " or rest[j] == "\t"):
            j += 1
        if j < n and rest[j] == '"':
            k = j + 1
            while k < n and rest[k] != '"':
                # A backslash keeps the next character inside the string, but stays in the
                # value: Internet Explorer sends Windows paths unescaped in filename="...".
                k += 2 if rest[k] == "\\" else 1
            value = rest[j + 1:k]
            end = rest.find(";", k)
        else:
            end = rest.find(";", j)
            value = rest[j:end if end >= 0 else n].strip()
        if name:
            params[name] = value
        i = n if end < 0 else end + 1
    return params


def parse_header(line):
    """Splits a header value such as Content-Type or Content-Disposition into its main value
    (lower-cased) and a dict of its parameters (names lower-cased, quotes removed)."""
    if not isinstance(line, str):
        line = bytes(line).decode("latin-1")
    key, _, rest = line.partition(";")
    return key.strip().lower(), (_header_params(rest) if rest else {})


def _charset_of(params, default):
    charset = params.get("charset")
    if not charset:
        return default
    try:
        return codecs.lookup(charset.strip()).name
    except LookupError:
        return default


# Fields.

class Field(object):
    """A file uploaded with a multipart form: `file` holds its content (a temporary file, or
    what file_callback made), `value` reads it all (bytes). Also name, filename (as the client
    sent it, possibly with a path), type, type_options, disposition, disposition_options and
    headers (a table of the part's headers)."""

    file = None
    filename = None
    type = None
    type_options = _EMPTY
    disposition = None
    disposition_options = _EMPTY
    headers = _EMPTY

    def __init__(self, name, *args, **kwargs):
        self.name = name
        if args or kwargs:
            # 3.2's form: Field(name, file, ctype, type_options, disp, disp_options, headers).
            self._old_init(*args, **kwargs)

    def _old_init(self, file, ctype, type_options, disp, disp_options, headers=None):
        self.file = file
        self.type = ctype
        self.type_options = type_options
        self.disposition = disp
        self.disposition_options = disp_options
        self.headers = {} if headers is None else headers
        if disp_options and "filename" in disp_options:
            self.filename = disp_options["filename"]

    def __getattr__(self, name):
        # value is read from the file each time (not kept), so a large upload is held in memory
        # only while the caller holds the result; an assigned value takes precedence.
        if name != "value":
            raise AttributeError(name)
        f = self.file
        if f is None:
            return None
        f.seek(0)
        data = f.read()
        f.seek(0)
        return data

    def __repr__(self):
        return "Field(%r, %r)" % (self.name, self.value)

    def __del__(self):
        # As in 3.5: file_callback objects may rely on close() to remove their file.
        f = self.__dict__.get("file")
        if f is not None:
            try:
                f.close()
            except Exception:
                pass


class StringField(str):
    """A form field that is not a file upload: a str (its value) with the attributes of a
    Field: name, value, file (a binary file of its bytes), filename (None), type, type_options,
    disposition, disposition_options and headers (set for parts of a multipart body)."""

    __slots__ = ("name", "value", "__dict__")

    filename = None
    type = "text/plain"
    type_options = _EMPTY
    disposition = None
    disposition_options = _EMPTY
    headers = _EMPTY
    # 3.5's names for type and disposition_options of fields that came without headers.
    ctype = "text/plain"
    disp_options = None

    def __new__(cls, value=""):
        self = _new_str(cls, value)
        self.value = _new_str(str, self)
        self.name = None
        return self

    def __getattr__(self, name):
        if name == "file":
            raw = self.__dict__.get("_raw")
            if raw is None:
                raw = self.value.encode("utf-8")
            f = self.file = io.BytesIO(raw)
            return f
        raise AttributeError(name)

    def __repr__(self):
        return "Field(%r, %r)" % (self.name, self.value)


def _string_field(name, value):
    field = _new_str(StringField, value)
    field.value = value
    field.name = name
    return field


class FieldList(list):
    """FieldStorage.list: the fields in the order they came. table() indexes them by name; any
    change to the list drops the index."""

    _table = None

    def table(self):
        """A dict from each name to the list of its fields, in order."""
        table = self._table
        if table is None:
            table = {}
            for field in self:
                found = table.get(field.name)
                if found is None:
                    table[field.name] = [field]
                else:
                    found.append(field)
            self._table = table
        return table


def _changes(method):
    def changed(self, *args, **kwargs):
        self._table = None
        return method(self, *args, **kwargs)
    changed.__name__ = method.__name__
    changed.__doc__ = method.__doc__
    return changed


for _name in ("__delitem__", "__iadd__", "__imul__", "__setitem__", "append", "extend",
              "insert", "pop", "remove", "clear", "sort", "reverse"):
    setattr(FieldList, _name, _changes(getattr(list, _name)))
del _name


def _add_text_fields(fields, qs, keep_blank_values, strict_parsing, charset):
    # _split_pairs for FieldStorage, making the fields as it goes: this is most of the work of
    # a small urlencoded POST, so it is done in one pass.
    if ";" in qs:
        qs = qs.replace(";", "&")
    unq = _unquoter(charset)
    for part in qs.split("&"):
        name, sep, value = part.partition("=")
        if not value:
            if strict_parsing and not sep:
                raise ValueError("bad query field: %r" % (part,))
            if not keep_blank_values or not part:
                continue
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unq(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unq(value)
        field = _new_str(StringField, value)
        field.value = value
        field.name = name
        _append(fields, field)


class _Malformed(Exception):
    pass


class _Multipart(object):
    """A multipart body read from the request in chunks, part after part. Only the chunk being
    looked at and a few bytes kept across chunks (a delimiter may straddle two) are in memory."""

    __slots__ = ("req", "pat", "buf", "pos", "eof")

    def __init__(self, req, boundary):
        self.req = req
        # A delimiter is a line "--boundary"; the line break before it belongs to it. The buffer
        # starts with a line break so that a delimiter at the very start of the body is found
        # like the others.
        self.pat = b"\n--" + boundary
        self.buf = b"\n"
        self.pos = 0
        self.eof = False

    def more(self):
        """Appends the next chunk of the body, dropping what was consumed; False at its end."""
        if self.eof:
            return False
        data = self.req.read(_CHUNK)
        if not data:
            self.eof = True
            return False
        pos = self.pos
        if pos:
            self.buf = self.buf[pos:] + data
            self.pos = 0
        else:
            self.buf += data
        return True

    def _delimiter_end(self, i):
        # For the pattern found at i: where the delimiter's line ends (negated when it closes
        # the body), 0 when what follows shows it is data, None when more bytes must be read.
        buf = self.buf
        j = i + len(self.pat)
        n = len(buf)
        if j + 2 > n:
            return None
        if buf[j] == 45 and buf[j + 1] == 45:  # "--"
            return -(j + 2)
        k = j
        while k < n and (buf[k] == 32 or buf[k] == 9):
            k += 1
        if k - j > _MAX_PADDING:
            return 0
        if k == n:
            return None
        c = buf[k]
        if c == 10:
            return k + 1
        if c == 13:
            if k + 1 == n:
                return None
            return k + 2 if buf[k + 1] == 10 else 0
        return 0

    def copy_part(self, write):
        """Passes the data up to the next delimiter to write (None drops it) and consumes the
        delimiter; True when it was the closing one."""
        pat = self.pat
        plen = len(pat)
        while True:
            buf = self.buf
            pos = self.pos
            i = buf.find(pat, pos)
            while i >= 0:
                end = self._delimiter_end(i)
                if end is None:
                    break
                if end:
                    stop = i - 1 if i > pos and buf[i - 1] == 13 else i
                    if stop > pos and write is not None:
                        write(buf[pos:stop])
                    if end < 0:
                        self.pos = -end
                        return True
                    self.pos = end
                    return False
                i = buf.find(pat, i + 1)
            # Hand on what cannot be part of a delimiter; keep the rest (and the CR before it).
            keep = i - 1 if i >= 0 else len(buf) - plen
            if keep > pos:
                if write is not None:
                    write(buf[pos:keep])
                self.pos = keep
            if not self.more():
                raise _Malformed("the body ends before the closing boundary")

    def read_headers(self):
        """The (name, value) headers of the part that starts here, up to its blank line."""
        while True:
            buf = self.buf
            pos = self.pos
            if buf.startswith(b"\r\n", pos):
                self.pos = pos + 2
                return []
            if buf.startswith(b"\n", pos):
                self.pos = pos + 1
                return []
            crlf = buf.find(b"\n\r\n", pos)
            lf = buf.find(b"\n\n", pos, crlf + 1 if crlf >= 0 else len(buf))
            if lf >= 0:
                self.pos = lf + 2
                return _parse_part_headers(buf[pos:lf])
            if crlf >= 0:
                self.pos = crlf + 3
                return _parse_part_headers(buf[pos:crlf])
            if len(buf) - pos > _MAX_PART_HEADERS:
                raise _Malformed("the headers of a part are longer than %d bytes"
                                 % _MAX_PART_HEADERS)
            if not self.more():
                raise _Malformed("the body ends inside the headers of a part")


def _parse_part_headers(block):
    headers = []
    for line in block.decode("utf-8", "replace").split("\n"):
        if line[-1:] == "\r":
            line = line[:-1]
        if line[:1] in (" ", "\t") and headers:
            # A folded line continues the header before it.
            name, value = headers[-1]
            headers[-1] = (name, (value + " " + line.strip()).strip())
            continue
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name:
            raise _Malformed("a part's header line has no name: %r" % (line[:80],))
        headers.append((name, value.strip()))
    return headers


def _rfc2231(value):
    # charset'language'percent-encoded-text (RFC 2231), as filename* carries it.
    charset, _, rest = value.partition("'")
    _, _, text = rest.partition("'")
    try:
        return _unquoter(codecs.lookup(charset or "utf-8").name)(text)
    except LookupError:
        return _unquoter("utf-8")(text)


def _bad_request(req, why):
    try:
        req.log_error("mod_python.util.FieldStorage: bad request body: %s" % why,
                      apache.APLOG_INFO)
    except Exception:
        pass
    # The reason is logged above: SERVER_RETURN's second argument would be a status.
    return apache.SERVER_RETURN(apache.HTTP_BAD_REQUEST)


class FieldStorage(object):
    """The form data of a request: the fields of the query string, then those of a POST body
    (application/x-www-form-urlencoded or multipart/*), read when the object is made.

    As a mapping, a name gives its field (a StringField, or a Field for a file upload), or the
    list of its fields when it came more than once. `list` holds every field in order.

    file_callback(filename) makes the file an upload is written to (default: a temporary file
    that disappears when closed); field_callback() makes the file other parts of a multipart
    body are written to (default: memory). A malformed body raises
    apache.SERVER_RETURN(HTTP_BAD_REQUEST); a POST of another type raises
    apache.SERVER_RETURN(HTTP_NOT_IMPLEMENTED), as 3.5 does.
    """

    def __init__(self, req, keep_blank_values=0, strict_parsing=0, file_callback=None,
                 field_callback=None):
        self.list = fields = FieldList()
        args = req.args
        if args:
            try:
                _add_text_fields(fields, args, keep_blank_values, strict_parsing, "utf-8")
            except ValueError as e:
                raise _bad_request(req, "query string: %s" % e)
        if req.method != "POST":
            return
        headers = req.headers_in
        ctype = headers.get("content-type")
        if ctype.__class__ is list:
            ctype = ctype[0]  # sent more than once
        if ctype is None or ctype == "application/x-www-form-urlencoded":
            main, params = "application/x-www-form-urlencoded", None
        else:
            main, params = parse_header(ctype)
        if main == "application/x-www-form-urlencoded":
            charset = _charset_of(params, "utf-8") if params else "utf-8"
            # One read for a usual form: a short answer means the body has ended (no need to
            # look up Content-Length, which costs as much as the read).
            body = req.read(_CHUNK)
            if body.__len__() == _CHUNK:
                pieces = [body]
                while True:
                    more = req.read(_CHUNK)
                    if not more:
                        break
                    pieces.append(more)
                body = b"".join(pieces)
            elif not body:
                return
            try:
                _add_text_fields(fields, body.decode(charset, "replace"), keep_blank_values,
                                 strict_parsing, charset)
            except ValueError as e:
                raise _bad_request(req, str(e))
        elif main.startswith("multipart/"):
            boundary = params.get("boundary")
            if not boundary:
                raise _bad_request(req, "multipart body without a boundary")
            try:
                self._read_multipart(req, boundary.encode("utf-8", "surrogateescape"),
                                     _charset_of(params, "utf-8"), file_callback,
                                     field_callback)
            except _Malformed as e:
                raise _bad_request(req, str(e))
        else:
            raise apache.SERVER_RETURN(apache.HTTP_NOT_IMPLEMENTED)

    def _read_multipart(self, req, boundary, charset, file_callback, field_callback):
        fields = self.list
        body = _Multipart(req, boundary)
        if not body.more():
            return  # an empty body: no fields, as with 3.5
        if body.copy_part(None):  # the preamble
            return
        if not callable(file_callback):
            file_callback = None
        if not callable(field_callback):
            field_callback = None
        while True:
            part_headers = body.read_headers()
            table = apache.table()
            ctype, type_options = "text/plain", {}
            disp, disp_options = None, {}
            for name, value in part_headers:
                table.add(name, value)
                low = name.lower()
                if low == "content-disposition":
                    disp, disp_options = parse_header(value)
                elif low == "content-type":
                    ctype, type_options = parse_header(value)
                    if "/" not in ctype:
                        # What some browsers send for a file without an extension.
                        ctype = "application/octet-stream"
            name = disp_options.get("name")
            filename = disp_options.get("filename")
            if filename is None and "filename*" in disp_options:
                filename = disp_options["filename"] = _rfc2231(disp_options["filename*"])
            if filename is not None:
                file = (file_callback(filename) if file_callback
                        else tempfile.TemporaryFile("w+b"))
                closed = body.copy_part(file.write)
                file.seek(0)
                field = Field(name)
                field.filename = filename
                field.file = file
            else:
                if field_callback:
                    file = field_callback()
                    closed = body.copy_part(file.write)
                    file.seek(0)
                    raw = file.read()
                    file.seek(0)
                else:
                    file = None
                    pieces = []
                    closed = body.copy_part(pieces.append)
                    raw = pieces[0] if len(pieces) == 1 else b"".join(pieces)
                part_charset = _charset_of(type_options, charset)
                value = raw.decode(part_charset, "replace")
                field = _new_str(StringField, value)
                field.value = value
                field.name = name
                if file is not None:
                    field.file = file
                elif part_charset != "utf-8" or "\ufffd" in value:
                    # Its file must give the bytes received, which encoding the value again
                    # would not.
                    field._raw = raw
            field.type = ctype
            field.type_options = type_options
            field.disposition = disp
            field.disposition_options = disp_options
            field.headers = table
            _append(fields, field)
            if closed:
                return

    # 3.5's helpers, for code that called them.

    def parse_qsl_safely(self, query_string, keep_blank_values):
        """parse_qsl of a query string given as str or bytes (bytes are decoded as UTF-8)."""
        if not isinstance(query_string, str):
            query_string = bytes(query_string).decode("utf-8", "replace")
        return _text_pairs(query_string, keep_blank_values, 0)

    def read_to_boundary(self, req, boundary, file):
        """Reads req's body by lines up to the line `boundary` (the delimiter as it appears in
        the body: "--" and the boundary parameter), writing what comes before it to file (when
        not None), without the line break that belongs to the delimiter. True when the line
        was the closing delimiter (followed by "--"), False when it was not or the body
        ended."""
        if isinstance(boundary, str):
            boundary = boundary.encode("latin-1")
        held = b""
        while True:
            line = req.readline(readBlockSize)
            if not line:
                if file is not None and held:
                    file.write(held)
                return False
            if line.startswith(boundary):
                rest = line[len(boundary):]
                if rest.startswith(b"--"):
                    return True
                if not rest.strip():
                    return False
            if file is not None:
                file.write(held)
            if line.endswith(b"\r\n"):
                held = b"\r\n"
                line = line[:-2]
            elif line.endswith(b"\n"):
                held = b"\n"
                line = line[:-1]
            else:
                held = b""
            if file is not None:
                file.write(line)

    # The mapping.

    def add_field(self, key, value):
        """Adds a field (to those of the same name, if any)."""
        self.list.append(_string_field(key, str(value)))

    def __setitem__(self, key, value):
        """Replaces the fields named key with one of this value."""
        fields = self.list
        kept = [f for f in fields if f.name != key]
        fields[:] = kept
        fields.append(_string_field(key, str(value)))

    def __delitem__(self, key):
        fields = self.list
        kept = [f for f in fields if f.name != key]
        if len(kept) == len(fields):
            raise KeyError(key)
        fields[:] = kept

    def clear(self):
        """Removes every field."""
        del self.list[:]

    def __getitem__(self, key):
        found = self.list.table().get(key)
        if found is None:
            raise KeyError(key)
        return found[0] if len(found) == 1 else list(found)

    def get(self, key, default=None):
        """The field named key, the list of them when there are several, else default."""
        found = self.list.table().get(key)
        if found is None:
            return default
        return found[0] if len(found) == 1 else list(found)

    def getfirst(self, key, default=None):
        """The first field named key, else default."""
        found = self.list.table().get(key)
        return default if found is None else found[0]

    def getlist(self, key):
        """Every field named key, in order (an empty list when there is none)."""
        found = self.list.table().get(key)
        return [] if found is None else list(found)

    def keys(self):
        """The names of the fields, each once, in the order they first came."""
        return list(self.list.table())

    def __iter__(self):
        return iter(self.keys())

    def has_key(self, key):
        return key in self.list.table()

    __contains__ = has_key

    def __len__(self):
        return len(self.list.table())

    def items(self):
        """(name, field) for every field, in order."""
        return [(field.name, field) for field in self.list]

    def __repr__(self):
        return repr(self.list.table())


# The publisher's argument matching.

def _takes(func, bound):
    # The names a Python function accepts by keyword (without its first argument when bound),
    # and whether it takes **kwargs.
    code = func.__code__
    npos = code.co_argcount
    posonly = code.co_posonlyargcount
    names = code.co_varnames[:npos + code.co_kwonlyargcount]
    if bound and npos:
        posonly = max(posonly - 1, 0)
        names = names[1:]
    return names[posonly:], bool(code.co_flags & 0x08)  # CO_VARKEYWORDS


def _signature_of(obj):
    if isinstance(obj, types.FunctionType):
        return _takes(obj, False)
    if isinstance(obj, types.MethodType):
        func = obj.__func__
        if isinstance(func, types.FunctionType):
            return _takes(func, True)
    elif isinstance(obj, type):
        init = obj.__init__
        if isinstance(init, types.FunctionType):
            return _takes(init, True)
        if init is object.__init__:
            return (), False
    elif not isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType,
                              types.MethodWrapperType, types.WrapperDescriptorType,
                              types.MethodDescriptorType)):
        call = getattr(type(obj), "__call__", None)
        if isinstance(call, types.FunctionType):
            return _takes(call, True)
    try:
        import inspect
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return (), False
    names = tuple(p.name for p in params
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    return names, any(p.kind == p.VAR_KEYWORD for p in params)


def apply_fs_data(object, fs, **args):
    """Calls object with the fields of fs as keyword arguments, passing those it accepts (all of
    them when it takes **kwargs): a field that came once as its value, one that came several
    times as the list of values; an upload as its Field. Keyword arguments given here (the
    publisher's req) are added and win over fields of the same name. Returns what the call
    returns."""
    names, takes_any = _signature_of(object)
    values = {}
    for field in fs.list:
        name = field.name
        if name is None:
            continue  # a part without a name cannot be an argument
        value = field if field.filename else field.value
        found = values.get(name)
        if found is None:
            values[name] = [value]
        else:
            found.append(value)
    for name, found in values.items():
        if len(found) == 1:
            values[name] = found[0]
    values.update(args)
    if not takes_any:
        values = {name: values[name] for name in names if name in values}
    return object(**values)


# Redirects.

def redirect(req, location, permanent=0, text=None):
    """Answers with a redirect to location (301 when permanent, else 302) and ends the handler
    (apache.SERVER_RETURN(apache.DONE)). text replaces the short HTML body. IOError when the
    response has already started."""
    if req.sent_bodyct:
        raise IOError("Cannot redirect after headers have already been sent.")
    req.err_headers_out["Location"] = location
    req.status = apache.HTTP_MOVED_PERMANENTLY if permanent else apache.HTTP_MOVED_TEMPORARILY
    if text is None:
        text = '<p>The document has moved <a href="%s">here</a></p>\n' % _escape(location)
    req.write(text)
    raise apache.SERVER_RETURN(apache.DONE)


def _escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
