"""Imports an application's module as httpd's Python will, and says what it offers.

`mod_python serve` runs this in a child interpreter (`python -m mod_python_cli.probe REQUEST`):
the application's code runs there, not in the command, so whatever it does on import (print,
exit, fail) is reported as the application's own, and the command's process stays clean.

The `mod_python` package works only inside httpd (its native half is mod_python.so). A module
that imports it, as handler modules do, is therefore read rather than run: its top-level
definitions are found in its source, and what it does on import is left for httpd to report.

REQUEST is JSON: {"module": name, "path": [dirs first on sys.path], "names": [callables]}. The
answer is one JSON line on stdout: {"ok": true, "file": ..., "imported": bool,
"callables": {name: arity}} where arity is the number of positional arguments a callable
requires (null when it cannot be told), or {"ok": false, "error": the Python error as text}.
"""

import ast
import importlib
import importlib.util
import inspect
import json
import os
import sys
import traceback

_PARAMETER_KINDS = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def arity(obj):
    """How many positional arguments `obj` requires, or None when its signature is unknown or
    takes any number."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return None
    return sum(1 for p in params if p.kind in _PARAMETER_KINDS and p.default is p.empty)


def lookup(module, dotted):
    """`module.a.b` for `a.b`, or None when an attribute is missing."""
    obj = module
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


_IMPORTLIB_DIR = os.path.dirname(importlib.__file__)


def _is_machinery(tb):
    name = tb.tb_frame.f_code.co_filename
    return (
        name == __file__ or name.startswith("<frozen ") or os.path.dirname(name) == _IMPORTLIB_DIR
    )


def describe(exc):
    """The error as Python shows it, without the frames of the import machinery and of this
    module, and without the `Traceback (most recent call last):` header: the frames left are
    the application's."""
    tb = exc.__traceback__
    while tb is not None and _is_machinery(tb):
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    if lines and lines[0].startswith("Traceback"):
        lines = lines[1:]
    return "".join(lines).rstrip()


class NeedsHttpd(ImportError):
    """Raised for an import of the mod_python package, which works only inside httpd."""


class _HttpdOnly:
    """A meta path finder that refuses the mod_python package (see NeedsHttpd)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "mod_python" or fullname.startswith("mod_python."):
            raise NeedsHttpd(f"{fullname} is imported only inside httpd", name=fullname)
        return None


def _needs_httpd(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, NeedsHttpd):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _def_arity(node):
    args = node.args
    if args.vararg is not None:
        return None
    return len(args.posonlyargs) + len(args.args) - len(args.defaults)


def static_callables(path, names):
    """The wanted names a module's source defines at top level: functions with their arity,
    anything else assigned or imported under the name with an unknown one."""
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), path)
    heads = {name.split(".")[0]: name for name in names}
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in heads:
            name = heads[node.name]
            found[name] = _def_arity(node) if name == node.name else None
            continue
        if isinstance(node, ast.ClassDef):
            bound = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = [t.id for t in targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound = [(a.asname or a.name).split(".")[0] for a in node.names]
        else:
            continue
        for b in bound:
            if b in heads:
                found[heads[b]] = None
    return found


def probe(request):
    for d in reversed(request["path"]):
        sys.path.insert(0, d)
    sys.meta_path.insert(0, _HttpdOnly())
    name, names = request["module"], request["names"]
    try:
        module = importlib.import_module(name)
    except BaseException as e:  # SystemExit and all: the application's to report
        if not _needs_httpd(e):
            return {"ok": False, "error": describe(e)}
        spec = importlib.util.find_spec(name)
        path = spec.origin if spec else None
        return {
            "ok": True,
            "file": path,
            "imported": False,
            "callables": static_callables(path, names),
        }
    found = {}
    for wanted in names:
        obj = lookup(module, wanted)
        if obj is not None and callable(obj):
            found[wanted] = arity(obj)
    return {
        "ok": True,
        "file": getattr(module, "__file__", None),
        "imported": True,
        "callables": found,
    }


def main():
    answer_to = sys.stdout
    # What the application prints while it is imported must not be taken for the answer.
    sys.stdout = sys.stderr
    answer = probe(json.loads(sys.argv[1]))
    answer_to.write(json.dumps(answer) + "\n")
    answer_to.flush()


if __name__ == "__main__":
    main()
