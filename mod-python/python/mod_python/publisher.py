"""mod_python.publisher: mod_python 3.5's publisher handler.

`PythonHandler mod_python.publisher` maps a URL to a Python file and an object inside it
(/dir/page.py/obj/method, or /dir/page/obj/method where the handler applies without the
suffix), calls it with the form's fields as keyword arguments, and writes what it returns.
`__auth__`, `__access__` and `__auth_realm__`, in the module, in an object on the way, or as
constants assigned inside a function's body, guard what lies below them with HTTP basic
authentication.

A page publishes what its module holds, names it imported included, as in 3.5 (the class of
CVE-2002-0185: `from shutil import rmtree` makes `rmtree` callable from the web). With
`PythonOption mod_python.publisher.strict On` only what the module defines itself, or lists in
`__all__`, is published; without it, serving an imported object logs a warning, once per page
and name.
"""

import ast
import base64
import dis
import os
import re
import types
from time import monotonic as _monotonic
import weakref

from mod_python import apache, util

_OK = apache.OK
_FORBIDDEN = apache.HTTP_FORBIDDEN
_NOT_FOUND = apache.HTTP_NOT_FOUND
_UNAUTHORIZED = apache.HTTP_UNAUTHORIZED
_BAD_REQUEST = apache.HTTP_BAD_REQUEST

_METHODS = ("GET", "POST", "HEAD")

# 3.5 calls a result HTML when it ends with a closing html tag (looked for in its last 100
# characters); everything else is plain text.
_HTML_END = re.compile(r"</\s*html\s*>\s*$", re.I)
_HTML_END_BYTES = re.compile(br"</\s*html\s*>\s*$", re.I)

# Published objects of these kinds would expose code rather than a page.
_UNPUBLISHABLE = (
    types.ModuleType,
    type,
    types.BuiltinFunctionType,
    types.BuiltinMethodType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
)

# Looking up attributes of these would reach the interpreter's internals (function globals,
# a module's imports), or nothing useful.
_OPAQUE = _UNPUBLISHABLE + (
    types.FunctionType,
    types.MethodType,
    types.GeneratorType,
    str,
    bytes,
    bytearray,
    int,
    float,
    complex,
    bool,
    type(None),
    tuple,
    list,
    dict,
    set,
    frozenset,
)

_AUTH_NAMES = ("__auth__", "__access__", "__auth_realm__")

_STRICT = "mod_python.publisher.strict"


def _refuse(req, status, why):
    req.log_error("mod_python.publisher: %s: %s" % (req.uri, why), apache.APLOG_WARNING)
    raise apache.SERVER_RETURN(status)


# The file a URL names.

def _module_path(req):
    filename = req.filename
    directory, name = os.path.split(filename)
    if not name:
        name = "index"
    elif name.endswith(".py"):
        name = name[:-3]
    elif "." in name:
        # The page may be reached through another extension the handler is added for
        # (`AddHandler mod_python .py .pub` serves page.pub/func from page.py).
        base, ext = name.rsplit(".", 1)
        if ext in req.get_addhandler_exts().replace(".", " ").split():
            name = base
    return directory, name


# path -> (module, when it was last looked at): between two looks a page is used as it is,
# without reading the request's configuration, which costs more than the rest of the lookup.
_pages = {}
_LOOK_EVERY = 1.0


def _load(req, path):
    """The module of the file at path; None when there is no such file."""
    now = _monotonic()
    page = _pages.get(path)
    if page is not None and now - page[1] < _LOOK_EVERY:
        return page[0]
    module = _import(req, path)
    if module is not None:
        _pages[path] = (module, now)
    return module


def _import(req, path):
    config = req.get_config()
    autoreload = config.get("PythonAutoReload", "1") != "0"
    try:
        return apache.import_module(path, autoreload=autoreload,
                                    log=config.get("PythonDebug", "0") == "1")
    except OSError:
        if not os.path.isfile(path):
            return None
        raise


def _find_module(req):
    """The page module and, when the URL named a page that does not exist, the name that
    becomes the first step inside the directory's index.py (as 3.5 does: /dir/other runs
    index.py's other)."""
    directory, name = _module_path(req)
    module = _load(req, os.path.join(directory, name + ".py"))
    if module is not None:
        return module, None
    if name != "index":
        module = _load(req, os.path.join(directory, "index.py"))
        if module is not None:
            return module, name
    _refuse(req, _NOT_FOUND, "no page %s.py" % os.path.join(directory, name))


# Authentication.

_code_auth = weakref.WeakKeyDictionary()


def _constant_assignments(code):
    """The values of __auth__, __access__ and __auth_realm__ when a function's body assigns
    them constants (a string, a list, tuple or dict of constants), found in its bytecode
    without running it."""
    found = {}
    stack = []
    for ins in dis.get_instructions(code):
        op = ins.opname
        arg = ins.arg
        if op == "LOAD_CONST":
            stack.append(ins.argval)
        elif op in ("BUILD_LIST", "BUILD_TUPLE", "BUILD_SET") and len(stack) >= arg:
            items = stack[len(stack) - arg:]
            del stack[len(stack) - arg:]
            kind = {"BUILD_LIST": list, "BUILD_TUPLE": tuple, "BUILD_SET": set}[op]
            stack.append(kind(items))
        elif op == "BUILD_MAP" and len(stack) >= 2 * arg:
            items = stack[len(stack) - 2 * arg:]
            del stack[len(stack) - 2 * arg:]
            stack.append(dict(zip(items[::2], items[1::2])))
        elif op == "BUILD_CONST_KEY_MAP" and len(stack) >= arg + 1:
            keys = stack.pop()
            values = stack[len(stack) - arg:]
            del stack[len(stack) - arg:]
            stack.append(dict(zip(keys, values)))
        elif op in ("LIST_EXTEND", "SET_UPDATE", "DICT_UPDATE") and len(stack) >= 2:
            more = stack.pop()
            target = stack[-arg] if len(stack) >= arg else None
            if isinstance(target, (list, set, dict)):
                target.update(more) if not isinstance(target, list) else target.extend(more)
            else:
                stack = []
        elif op == "LIST_TO_TUPLE" and stack:
            stack.append(tuple(stack.pop()))
        elif op in ("STORE_FAST", "STORE_NAME") and ins.argval in _AUTH_NAMES and stack:
            found.setdefault(ins.argval, stack.pop())
            stack = []
        elif op in ("RESUME", "NOP", "CACHE", "EXTENDED_ARG"):
            pass
        else:
            stack = []
    return found


def _guards(obj):
    """(__auth__, __access__, __auth_realm__) of obj, None where absent."""
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, types.FunctionType):
        code = obj.__code__
        found = _code_auth.get(code)
        if found is None:
            names = code.co_varnames
            if "__auth__" in names or "__access__" in names or "__auth_realm__" in names:
                found = _constant_assignments(code)
            else:
                found = {}
            _code_auth[code] = found
        if not found:
            return None, None, None
        return found.get("__auth__"), found.get("__access__"), found.get("__auth_realm__")
    if type(obj) is types.ModuleType:
        # Read from the module's namespace: getattr's default would cost an AttributeError,
        # its message formatted, for each name the page module does not set, on every request.
        found = _module_names(obj)
        if found is not None:
            return found.get("__auth__"), found.get("__access__"), found.get("__auth_realm__")
    try:
        return (getattr(obj, "__auth__", None), getattr(obj, "__access__", None),
                getattr(obj, "__auth_realm__", None))
    except Exception:
        return None, None, None


def _module_names(module):
    """The namespace of a module whose attributes are only its namespace's (no module-level
    `__getattr__`, PEP 562), else None."""
    names = module.__dict__
    return None if "__getattr__" in names else names


class _Credentials(object):
    __slots__ = ("read", "user", "password", "realm")

    def __init__(self):
        self.read = False
        self.user = None
        self.password = None
        self.realm = "unknown"


def _read_credentials(req, creds):
    creds.read = True
    header = req.headers_in.get("Authorization")
    if header is None:
        return
    if isinstance(header, list):
        header = header[0]
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        _refuse(req, _BAD_REQUEST, "Authorization is not Basic")
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except ValueError:
        _refuse(req, _BAD_REQUEST, "Authorization is not base64")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    if not sep:
        _refuse(req, _BAD_REQUEST, "Authorization without a password")
    creds.user, creds.password = user, password


def _check(req, obj, creds):
    auth, access, realm = _guards(obj)
    if realm is not None:
        creds.realm = realm
    if auth is None and access is None:
        return
    if not creds.read:
        _read_credentials(req, creds)
    user = creds.user
    if auth is not None:
        if user is None:
            allowed = False
        elif callable(auth):
            allowed = auth(req, user, creds.password)
        elif hasattr(auth, "keys"):
            allowed = user in auth and auth[user] == creds.password
        else:
            allowed = auth
        if not allowed:
            req.err_headers_out["WWW-Authenticate"] = 'Basic realm="%s"' % creds.realm
            raise apache.SERVER_RETURN(_UNAUTHORIZED)
    if access is not None:
        if callable(access):
            allowed = user is not None and access(req, user)
        else:
            allowed = user is not None and user in access
        if not allowed:
            _refuse(req, _FORBIDDEN, "user %r is not in __access__" % (user,))
    if user is not None:
        req.user = user
        req.ap_auth_type = "Basic"


# What a page defines itself, and what it imported.

_bindings = weakref.WeakKeyDictionary()


def _own_names(module):
    """The names a page module binds at its top level other than by importing them, read
    from its source once per module (a reloaded page is a new module)."""
    names = _bindings.get(module)
    if names is None:
        names = _scan_bindings(getattr(module, "__file__", None))
        _bindings[module] = names
    return names


def _scan_bindings(path):
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, TypeError, ValueError):
        return frozenset()
    defined = set()

    def bind(target):
        if isinstance(target, ast.Name):
            defined.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for item in target.elts:
                bind(item)
        elif isinstance(target, ast.Starred):
            bind(target.value)

    def visit(body):
        # Statements run at import: the module's own, and those inside if, for, while, with
        # and try at its top level; not function or class bodies.
        for st in body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(st.name)
            elif isinstance(st, ast.Assign):
                for target in st.targets:
                    bind(target)
            elif isinstance(st, (ast.AnnAssign, ast.AugAssign)):
                bind(st.target)
            elif isinstance(st, (ast.For, ast.AsyncFor)):
                bind(st.target)
                visit(st.body)
                visit(st.orelse)
            elif isinstance(st, (ast.With, ast.AsyncWith)):
                for item in st.items:
                    if item.optional_vars is not None:
                        bind(item.optional_vars)
                visit(st.body)
            elif isinstance(st, (ast.If, ast.While)):
                visit(st.body)
                visit(st.orelse)
            elif isinstance(st, ast.Try) or type(st).__name__ == "TryStar":
                visit(st.body)
                for h in st.handlers:
                    if h.name:
                        defined.add(h.name)
                    visit(h.body)
                visit(st.orelse)
                visit(st.finalbody)

    visit(tree.body)
    return frozenset(defined)


def _is_imported(module, name, obj):
    """Whether `name`, reached from the page module, is something it did not define itself
    (an import, a star import, a name set by code) and does not list in `__all__`. A function
    bound by assignment (`rmtree = shutil.rmtree`) is still another module's."""
    names = _module_names(module) if type(module) is types.ModuleType else None
    listed = names.get("__all__") if names is not None else getattr(module, "__all__", None)
    try:
        if listed is not None and name in listed:
            return False
    except TypeError:
        pass
    if name not in _own_names(module):
        return True
    return isinstance(obj, types.FunctionType) and obj.__module__ != module.__name__


_warned = set()


def _warn_imported(req, module, name):
    key = (getattr(module, "__file__", None), name)
    if key in _warned:
        return
    _warned.add(key)
    req.log_error("mod_python.publisher: %s serves %r, which %s imports rather than defines; "
                  "PythonOption %s On would refuse it (403)" % (req.uri, name, key[0], _STRICT),
                  apache.APLOG_WARNING)


# Finding the object.

def _resolve(req, module, first):
    path_info = req.path_info
    if first is not None:
        path_info = first + "/" + (path_info or "")
    if path_info:
        names = [n for n in path_info.replace(".", "/").split("/") if n]
    else:
        names = None
    if not names:
        names = ["index"]
    creds = _Credentials()
    _check(req, module, creds)
    obj = module
    imported = None
    for name in names:
        if name[0] == "_":
            _refuse(req, _FORBIDDEN, "%s begins with an underscore" % name)
        if obj is not module and isinstance(obj, _OPAQUE):
            _refuse(req, _FORBIDDEN, "cannot look into %r for %s" % (obj, name))
        parent = obj
        try:
            obj = getattr(obj, name)
        except AttributeError:
            _refuse(req, _NOT_FOUND, "nothing is named %s" % name)
        if parent is module and _is_imported(module, name, obj):
            if req.get_options().get(_STRICT, "").lower() == "on":
                _refuse(req, _FORBIDDEN, "%s is not defined by the page (%s On)"
                        % (name, _STRICT))
            imported = name
        _check(req, obj, creds)
    if isinstance(obj, _UNPUBLISHABLE):
        _refuse(req, _FORBIDDEN, "%r is not published" % (obj,))
    if imported is not None:
        _warn_imported(req, module, imported)
    return obj


# Writing the result.

def _write(req, result, content_type_before):
    if result is None:
        return
    if isinstance(result, str):
        html = _HTML_END.search(result[-100:])
    elif isinstance(result, (bytes, bytearray)):
        html = _HTML_END_BYTES.search(result[-100:])
    else:
        result = str(result)
        html = _HTML_END.search(result[-100:])
    if req.content_type == content_type_before:
        req.content_type = "text/html" if html else "text/plain"
    req.write(result)


def handler(req):
    if req.method not in _METHODS:
        req.allow_methods(list(_METHODS))
        raise apache.SERVER_RETURN(apache.HTTP_METHOD_NOT_ALLOWED)
    module, first = _find_module(req)
    obj = _resolve(req, module, first)
    content_type = req.content_type
    if callable(obj):
        req.form = form = util.FieldStorage(req, keep_blank_values=1)
        result = util.apply_fs_data(obj, form, req=req)
    else:
        result = obj
    _write(req, result, content_type)
    return _OK
