"""mod_python.psp: Python Server Pages, mod_python 3.5's API, with the page parser in Python.

A page is text with Python in it: ``<% code %>``, ``<%= expression %>``, ``<%-- comment --%>``
and ``<%@ include file="other.psp" %>``. It becomes one Python code object, made once per file
and kept while the file (and every file it includes) keeps its modification time.

The code a page becomes keeps the page's line numbers: the text of a line and the code that
follows it on that line stay on one generated line (statements joined by ';'), and newlines in
text stay inside the string written, so a traceback's line number is the page's.

Indentation follows 3.5's rule. The lines of a code block are Python as written, at their own
indentation. After a block that spans lines, text and expressions are placed at the
indentation of the block's last line, one level deeper if that line ends with ':', and stay
there until the next block that spans lines sets another.

Compiled pages are kept as 3.5 kept them: in each interpreter's memory (at most 512 files and
512 strings, the least used going first), or, for files, with ``PythonOption
mod_python.psp.cache_database_filename`` (or 3.3's ``PSPDbmCache``), in one dbm file that
every child reads and writes under a cross-process global lock, instead of in memory.
"""

import builtins
import dbm
import importlib.util
import marshal
import os
import re
import stat
import sys
import threading

from mod_python import apache
from mod_python._apache import req_options as _req_options

__all__ = ["PSP", "PSPInterface", "parse", "parsestring", "handler"]

# How deep includes may nest: a file that includes itself is an error, not a hang.
_MAX_INCLUDE_DEPTH = 32
# 3.5's limit for each memory cache (files, strings): past it, the least used quarter goes.
_MEMORY_CACHE_SIZE = 512

_DBM_OPTIONS = ("mod_python.psp.cache_database_filename", "PSPDbmCache")
# Stored before each entry. marshal's format and bytecode change between Python versions, and
# the code a page becomes may change with this module (raise the 1 when it does): an entry
# written by another one is stale, and is recognised before marshal ever reads it.
_DBM_TAG = b"mod_python.psp 1 " + importlib.util.MAGIC_NUMBER + b"\n"

_INCLUDE = re.compile(r"""\s*include\s+file\s*=\s*(?:"([^"]*)"|'([^']*)')\s*$""")
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\r": "\\r", "\0": "\\x00"})


class _Source(object):
    """One file (or string) being read: its text and name, for errors."""

    __slots__ = ("text", "name", "dir")

    def __init__(self, text, name, dir):
        # 3.5 read CRLF line ends as LF, in text and in code alike.
        self.text = text.replace("\r\n", "\n")
        self.name = name
        self.dir = dir

    def error(self, message, pos):
        lineno = self.text.count("\n", 0, pos) + 1
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        line = self.text[start:] if end < 0 else self.text[start:end]
        return SyntaxError("%s in PSP page %s" % (message, self.name),
                           (self.name, lineno, pos - start + 1, line))


def _read(path):
    with open(path, "rb") as f:
        data = f.read()
    return data.decode("utf-8", "surrogateescape")


def _tokens(src, out, depth, includes):
    """Appends the ("text" | "expr" | "code", str) pieces of src to out."""
    text, pos, n = src.text, 0, len(src.text)
    while pos < n:
        start = text.find("<%", pos)
        if start < 0:
            out.append(("text", text[pos:]))
            break
        if start > pos:
            out.append(("text", text[pos:start]))
        if text.startswith("<%--", start):
            end = text.find("--%>", start + 4)
            if end < 0:
                raise src.error("'<%--' comment without '--%>'", start)
            pos = end + 4
            continue
        end = text.find("%>", start + 2)
        if end < 0:
            raise src.error("'<%' without '%>'", start)
        pos = end + 2
        kind = text[start + 2:start + 3]
        if kind == "=":
            out.append(("expr", text[start + 3:end]))
        elif kind == "@":
            _include(src, text[start + 3:end], start, out, depth, includes)
        else:
            out.append(("code", text[start + 2:end]))


def _include(src, directive, pos, out, depth, includes):
    m = _INCLUDE.match(directive)
    if not m:
        raise src.error("unknown directive '<%%@%s%%>'" % directive, pos)
    name = m.group(1) if m.group(1) is not None else m.group(2)
    if depth >= _MAX_INCLUDE_DEPTH:
        raise src.error("includes nested too deep (at %r)" % name, pos)
    path = os.path.join(src.dir, name) if src.dir else name
    try:
        text = _read(path)
        if includes is not None:
            includes.append((path, os.stat(path).st_mtime))
    except OSError as e:
        raise src.error("cannot include %r: %s" % (path, e.strerror or e), pos)
    # Nested includes are found from the page's directory, as in 3.5.
    _tokens(_Source(text, path, src.dir), out, depth + 1, includes)


def _text_literal(s):
    return 'req.write("""%s""",0)' % s.translate(_TEXT_ESCAPES)


class _Writer(object):
    """Lays out the generated statements (see the module's docstring)."""

    def __init__(self):
        self.parts = []
        self.indent = ""
        self.fresh = True      # at the start of a line: the next statement gets the indent
        self.joiner = "; "     # what goes between the previous statement and the next
        self.needs_body = False  # the last block opened a suite nothing has filled yet

    def statement(self, s):
        if self.fresh:
            self.parts.append(self.indent)
            self.parts.append(s)
            self.fresh = False
        else:
            self.parts.append(self.joiner)
            self.parts.append(s)
        self.joiner = "; "
        self.needs_body = False

    def fill_body(self):
        if self.needs_body:
            self.statement("pass")

    def code(self, code):
        if "\n" not in code:
            code = code.strip()
            if code:
                self.statement(code)
            return
        self.fill_body()
        lines = code.split("\n")
        first = lines[0].strip()
        if first:
            self.statement(first)
        # The indentation of the last line that counts and whether the last line with code on
        # it opened a suite, as 3.5 decides them: the block's first line counts as unindented,
        # a last line with nothing on it does not count.
        indent, colon = "", first.endswith(":")
        for line in lines[1:-1]:
            self.parts.append("\n")
            self.parts.append(line)
            stripped = line.lstrip(" \t")
            indent = line[:len(line) - len(stripped)]
            stripped = stripped.rstrip()
            if stripped:
                colon = stripped.endswith(":")
        last = lines[-1]
        self.parts.append("\n")
        stripped = last.strip()
        if stripped:
            # Code right before '%>': 3.5 wrote the text after it on the same line, which did
            # not compile; here the text follows it as the next statement of that line (inside
            # the suite when the line opens one).
            self.parts.append(last.rstrip())
            colon = stripped.endswith(":")
            self.indent = last[:len(last) - len(last.lstrip(" \t"))] + ("\t" if colon else "")
            self.fresh = False
            self.joiner = " " if colon else "; "
        else:
            # 3.5 kept a blank last line's whitespace and put the indentation after it.
            self.indent = last + (last or indent) + ("\t" if colon else "")
            self.fresh = True
        self.needs_body = colon

    def result(self):
        self.fill_body()
        self.parts.append("\n")
        return "".join(self.parts)


def _generate(tokens):
    w = _Writer()
    text = []
    for kind, value in tokens:
        if kind == "text":
            text.append(value)
            continue
        if text:
            s = "".join(text)
            text = []
            if s:
                w.statement(_text_literal(s))
        if kind == "expr":
            w.statement("req.write(str(%s),0)" % value)
        else:
            w.code(value)
    if text:
        s = "".join(text)
        if s:
            w.statement(_text_literal(s))
    return w.result()


def _parse_file(path, includes=None):
    src = _Source(_read(path), path, os.path.dirname(path))
    out = []
    _tokens(src, out, 0, includes)
    return _generate(out)


def parse(filename, dir=None):
    """The Python source the PSP file becomes; dir, when given, is the directory it is in."""
    if dir:
        filename = os.path.join(dir, filename)
    return _parse_file(filename)


def parsestring(str):
    """The Python source a PSP page given as a string becomes."""
    if isinstance(str, (bytes, bytearray)):
        str = bytes(str).decode("utf-8", "surrogateescape")
    src = _Source(str, "<string>", None)
    out = []
    _tokens(src, out, 0, None)
    return _generate(out)


def _names(code):
    """Every global name the code (and the functions and classes it defines) reads."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


class _Compiled(object):
    __slots__ = ("code", "mtime", "includes", "uses_form", "uses_session", "uses_psp",
                 "uses_util")

    def __init__(self, code, mtime=None, includes=()):
        self.code = code
        self.mtime = mtime
        self.includes = includes
        names = _names(code)
        self.uses_form = "form" in names
        self.uses_session = "session" in names
        self.uses_psp = "psp" in names
        self.uses_util = "util" in names

    def fresh(self):
        for path, mtime in self.includes:
            try:
                if os.stat(path).st_mtime != mtime:
                    return False
            except OSError:
                return False
        return True


class _HitsCache(object):
    """A bounded dict that counts uses; when full, the least used entries go."""

    def __init__(self, size=_MEMORY_CACHE_SIZE):
        self.size = size
        self.items = {}
        # Threads of one child may store at once; lookups need no lock.
        self.lock = threading.Lock()

    def get(self, key):
        item = self.items.get(key)
        if item is None:
            return None
        item[0] += 1  # a count lost to a race only ages the entry a little
        return item[1]

    def store(self, key, value):
        with self.lock:
            self.items[key] = [1, value]
            if len(self.items) > self.size:
                keep = int(self.size * 0.75)
                by_use = sorted(self.items.items(), key=lambda kv: kv[1][0])
                for k, _ in by_use[:len(by_use) - keep]:
                    del self.items[k]


_file_cache = _HitsCache()
_string_cache = _HitsCache()


def _compile_file(filename, mtime):
    includes = []
    source = _parse_file(filename, includes)
    return _Compiled(compile(source, filename, "exec"), mtime, tuple(includes))


def _dbm_filename(req):
    if req is None:
        return None
    # The options as pairs, read straight from the request: this runs for every page, and
    # req.get_options() would make a table of them each time.
    options = _req_options(req._h)
    for wanted in _DBM_OPTIONS:
        low = wanted.lower()
        for name, value in options:
            if name.lower() == low:
                return value or None
    return None


def _with_dbm(req, dbmfile, work):
    """work(db) on the dbm file opened (made if missing) under the global lock."""
    return apache._with_locked_dbm(req.server, dbm, dbmfile, work)


def _dbm_encode(entry):
    return _DBM_TAG + marshal.dumps((entry.mtime, entry.includes, entry.code))


def _dbm_decode(raw, mtime):
    """The entry raw holds when it is this Python's and this page version's, else None."""
    if raw is None or not raw.startswith(_DBM_TAG):
        return None
    try:
        stored_mtime, includes, code = marshal.loads(raw[len(_DBM_TAG):])
        if stored_mtime != mtime:
            return None
        entry = _Compiled(code, stored_mtime, tuple(tuple(i) for i in includes))
    except Exception:
        # A damaged value costs a compile, which then overwrites it.
        return None
    return entry if entry.fresh() else None


# The dbm files this interpreter could not use, so that the error_log says so once per
# process and not once per request.
_dbm_failed = set()


def _dbm_trouble(dbmfile, error):
    if dbmfile in _dbm_failed:
        return
    _dbm_failed.add(dbmfile)
    apache.log_error("mod_python.psp: cannot use the cache of compiled pages %r (%s); "
                     "this process compiles pages and keeps them in memory until it can"
                     % (dbmfile, error), apache.APLOG_WARNING)


def _load_dbm(req, dbmfile, filename, mtime):
    """The page from the dbm file, compiled and stored there when missing or stale; None
    when the file cannot be used."""
    key = os.fsencode(filename)
    try:
        raw = _with_dbm(req, dbmfile, lambda db: db.get(key))
    except Exception as e:
        _dbm_trouble(dbmfile, e)
        return None
    entry = _dbm_decode(raw, mtime)
    if entry is not None:
        _dbm_failed.discard(dbmfile)
        return entry
    # Compiled outside the lock: a page's syntax error must not leave other children waiting.
    entry = _compile_file(filename, mtime)
    value = _dbm_encode(entry)

    def store(db):
        db[key] = value

    try:
        _with_dbm(req, dbmfile, store)
        _dbm_failed.discard(dbmfile)
    except Exception as e:
        _dbm_trouble(dbmfile, e)
    return entry


def _load(filename, req=None):
    try:
        st = os.stat(filename)
    except OSError:
        raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
    if not stat.S_ISREG(st.st_mode):
        raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
    mtime = st.st_mtime
    dbmfile = _dbm_filename(req)
    if dbmfile:
        # As in 3.5, pages kept in the dbm file are not kept in memory too: saving each
        # child's memory is what the option is for.
        entry = _load_dbm(req, dbmfile, filename, mtime)
        if entry is not None:
            return entry
    entry = _file_cache.get(filename)
    if entry is None or entry.mtime != mtime or (entry.includes and not entry.fresh()):
        entry = _compile_file(filename, mtime)
        _file_cache.store(filename, entry)
    return entry


def _load_string(string):
    # Strings are kept in memory only, as in 3.5.
    entry = _string_cache.get(string)
    if entry is None:
        entry = _Compiled(compile(parsestring(string), "<psp string>", "exec"))
        _string_cache.store(string, entry)
    return entry


def _form_of(req):
    form = getattr(req, "form", None)
    if form is None:
        from mod_python import util
        form = req.form = util.FieldStorage(req, keep_blank_values=1)
    return form


def _session_module(filename):
    from mod_python import Session
    return Session


class PSPInterface(object):
    """The page's `psp` object."""

    def __init__(self, req, filename, form):
        self.req = req
        self.filename = filename
        self.form = form
        self.error_page = None

    def set_error_page(self, page):
        """Runs page (relative to this page, or to the document root when it starts with
        '/') instead of failing when this page raises; it gets `exception`, the exc_info."""
        if page[:1] == "/":
            path = self.req.document_root() + page
        else:
            path = os.path.join(os.path.dirname(self.filename or self.req.filename), page)
        self.error_page = PSP(self.req, path)

    def apply_data(self, object):
        """Calls object with the request's form fields that match its arguments."""
        from mod_python import util
        if self.form is None:
            self.form = _form_of(self.req)
        return util.apply_fs_data(object, self.form, req=self.req)

    def redirect(self, location, permanent=0):
        from mod_python import util
        util.redirect(self.req, location, permanent)


_BASE_GLOBALS = {"__builtins__": builtins, "apache": apache, "os": os, "sys": sys}


class PSP(object):
    """A page, from a file (by default the request's) or a string."""

    code = None

    def __init__(self, req, filename=None, string=None, vars={}):
        if filename and string is not None:
            raise ValueError("PSP takes a filename or a string, not both")
        self.req = req
        self.vars = vars
        # An empty string is an empty page (3.5 took it for no string, and served the
        # request's file instead).
        if string is not None:
            self.filename = None
            self.string = string
            self._entry = _load_string(string)
        else:
            if not filename:
                filename = req.filename
            elif not os.path.isabs(filename):
                filename = os.path.join(os.path.dirname(req.filename), filename)
            self.filename = filename
            self.string = None
            self._entry = _load(filename, req)
        self.code = self._entry.code

    def run(self, vars={}, flush=0):
        _run(self._entry, self.req, self.filename, self.vars, vars, flush)

    def __str__(self):
        self.req.content_type = "text/html"
        self.run()
        return ""

    def display_code(self):
        """Writes an HTML table: each line of the generated code beside the page's line."""
        req = self.req
        if self.filename:
            page = _read(self.filename).replace("\r\n", "\n").splitlines()
            code = _parse_file(self.filename).splitlines()
            title = self.filename
        else:
            page = self.string.splitlines()
            code = parsestring(self.string).splitlines()
            title = "(string)"
        out = ["<table>\n<tr><td></td><td><tt>&nbsp;Python code from PSP:</tt></td>"
               "<td><tt>&nbsp;%s:</tt></td></tr>\n" % _html(title)]
        for i, line in enumerate(code):
            source = page[i] if i < len(page) else ""
            out.append("<tr><td><tt>%d.&nbsp;</tt></td><td><tt><font color=blue>%s</font>"
                       "</tt></td><td><tt>&nbsp;<font color=green>%s</font></tt></td></tr>\n"
                       % (i + 1, _html(line), _html(source)))
        out.append("</table>\n")
        req.write("".join(out))


def _html(line):
    return (line.rstrip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\t", "    ").replace(" ", "&nbsp;"))


def _run(entry, req, filename, init_vars, vars, flush):
    form = _form_of(req) if entry.uses_form else None
    session = None
    if entry.uses_session and getattr(req, "session", None) is None:
        req.session = session = _session_module(filename).Session(req)
    try:
        g = _BASE_GLOBALS.copy()
        g["req"] = req
        g["form"] = form
        g["session"] = getattr(req, "session", None)
        g["__file__"] = filename or req.filename
        psp = None
        if entry.uses_psp:
            psp = g["psp"] = PSPInterface(req, filename, form)
        if entry.uses_util:
            from mod_python import util
            g["util"] = util
        if init_vars:
            g.update(init_vars)
        if vars:
            g.update(vars)
        try:
            exec(entry.code, g)
            if flush:
                req.flush()
            if session is not None:
                session.save()
        except Exception:
            if psp is None or psp.error_page is None:
                raise
            psp.error_page.run({"exception": sys.exc_info()}, flush)
    finally:
        if session is not None:
            session.unlock()
            del req.session


def handler(req):
    """PythonHandler mod_python.psp: runs the requested page; with PythonDebug On, a request
    for page.psp_ shows the code page.psp becomes."""
    req.content_type = "text/html"
    filename = req.filename
    if filename[-1:] == "_" and int(req.get_config().get("PythonDebug", 0) or 0):
        PSP(req, filename[:-1]).display_code()
    else:
        _run(_load(filename, req), req, filename, None, None, 0)
    return apache.OK
