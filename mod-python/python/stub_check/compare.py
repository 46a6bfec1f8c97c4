"""Holds the type stubs (mod_python/*.pyi) to the modules they describe, and
uses_everything.py to the stubs.

- `drift()`, run inside httpd (the modules import mod_python._apache, which only
  mod_python.so makes): every public name a stub declares exists in its module, with the
  parameters the stub gives it; every public name the module defines (its imports aside) is in
  the stub; the same for the members of each class. Served by `handler` to
  tests/stubs.rs.
- `coverage()`, anywhere: uses_everything.py has a function for each stub module and for each
  of its classes with public members (`use_<module>` and `use_<module>__<Class>`,
  `use_mod_python` for the package), and each names every public name the stub declares
  there.

A stub name the module does not have would be a promise the code does not keep; a module name
the stub lacks, a part of the API editors and mypy cannot see.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "mod_python"
USES = HERE / "uses_everything.py"

# Checked by tests/native_module.rs against what mod_python.so exports.
NATIVE = "_apache"

# (name, kind, has a default) of each parameter, kinds as inspect names them.
Params = list[tuple[str, str, bool]]


@dataclass
class Member:
    """A name a stub declares: what it is, and a function's parameters (None when it is not
    a function, or is overloaded)."""

    kind: str  # "class", "def", "property" or "var"
    params: Params | None = None


@dataclass
class StubClass:
    bases: list[str]
    members: dict[str, Member] = field(default_factory=dict)


@dataclass
class Stub:
    names: dict[str, Member] = field(default_factory=dict)
    classes: dict[str, StubClass] = field(default_factory=dict)
    all: list[str] | None = None


def public(name: str) -> bool:
    return not name.startswith("_")


def stub_modules() -> list[str]:
    """The modules with a stub, by name within the package ("" for the package itself)."""
    names = []
    for path in sorted(PACKAGE.glob("*.pyi")):
        if path.stem != NATIVE:
            names.append("" if path.stem == "__init__" else path.stem)
    return names


def _params(args: ast.arguments) -> Params:
    out: Params = []
    positional = args.posonlyargs + args.args
    first_default = len(positional) - len(args.defaults)
    for i, a in enumerate(positional):
        kind = "POSITIONAL_ONLY" if i < len(args.posonlyargs) else "POSITIONAL_OR_KEYWORD"
        out.append((a.arg, kind, i >= first_default))
    if args.vararg is not None:
        out.append((args.vararg.arg, "VAR_POSITIONAL", False))
    for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append((a.arg, "KEYWORD_ONLY", default is not None))
    if args.kwarg is not None:
        out.append((args.kwarg.arg, "VAR_KEYWORD", False))
    return out


def _decorators(node: ast.FunctionDef) -> set[str]:
    found = set()
    for d in node.decorator_list:
        if isinstance(d, ast.Name):
            found.add(d.id)
        elif isinstance(d, ast.Attribute):
            found.add(d.attr)
    return found


def _declare(names: dict[str, Member], node: ast.stmt) -> None:
    """Adds what one statement of a stub (or of a class body in it) declares."""
    if isinstance(node, ast.FunctionDef):
        decorators = _decorators(node)
        if decorators & {"property", "setter", "deleter"}:
            names[node.name] = Member("property")
        elif "overload" in decorators or node.name in names:
            names[node.name] = Member("def")
        else:
            names[node.name] = Member("def", _params(node.args))
    elif isinstance(node, ast.ClassDef):
        names[node.name] = Member("class")
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        names[node.target.id] = Member("var")
    elif isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                names[target.id] = Member("var")
    elif isinstance(node, ast.ImportFrom):
        # Only `from m import x as x` re-exports, in a stub.
        for alias in node.names:
            if alias.asname is not None and alias.asname == alias.name:
                names[alias.name] = Member("var")


def read_stub(path: Path) -> Stub:
    stub = Stub()
    for node in ast.parse(path.read_text(), str(path)).body:
        _declare(stub.names, node)
        if isinstance(node, ast.ClassDef):
            cls = StubClass([ast.unparse(b) for b in node.bases])
            for item in node.body:
                _declare(cls.members, item)
            stub.classes[node.name] = cls
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 \
            else node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and target.id == "__all__" \
                and isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            stub.all = ast.literal_eval(node.value)
    return stub


@dataclass
class Source:
    """What a module's source says that its objects cannot: which of its names are imports,
    and the attributes its classes' instances get from their methods (`self.x = ...`) or from
    `__getattr__` (the names it compares the asked name with)."""

    imported: set[str] = field(default_factory=set)
    instance_attrs: dict[str, set[str]] = field(default_factory=dict)


def _self_attrs(cls: ast.ClassDef) -> set[str]:
    found = set()
    for method in cls.body:
        if not isinstance(method, ast.FunctionDef):
            continue
        for node in ast.walk(method):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) \
                        and t.value.id == "self":
                    found.add(t.attr)
            if method.name == "__getattr__" and isinstance(node, ast.Compare):
                found.update(c.value for c in [node.left, *node.comparators]
                             if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return found


def read_source(path: Path) -> Source:
    source = Source()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                source.imported.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ClassDef):
            source.instance_attrs[node.name] = _self_attrs(node)
    return source


def set_on_requests() -> set[str]:
    """The attributes the package's modules set on request objects (`req.form = ...`): a
    request object takes attributes of its own, and these are documented ones."""
    found = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) \
                            and t.value.id == "req":
                        found.add(t.attr)
    return found


def _runtime_params(obj: Any) -> Params | None:
    """The parameters of a function written in Python, else None (nothing to compare)."""
    if isinstance(obj, classmethod | staticmethod):
        obj = obj.__func__
    if not isinstance(obj, types.FunctionType):
        return None
    return [(p.name, p.kind.name, p.default is not inspect.Parameter.empty)
            for p in inspect.signature(obj).parameters.values()]


def _params_differ(stub: Params, runtime: Params) -> bool:
    # A stub may name keyword arguments that the function takes through **kwargs.
    if any(kind == "VAR_KEYWORD" for _, kind, _ in runtime):
        names = {name for name, _, _ in runtime}
        extra = [p for p in stub if p[1] == "KEYWORD_ONLY" and p[0] not in names]
        if extra:
            stub = [p for p in stub if p not in extra]
            if not any(kind == "VAR_KEYWORD" for _, kind, _ in stub):
                runtime = [p for p in runtime if p[1] != "VAR_KEYWORD"]
    return stub != runtime


def _show(params: Params) -> str:
    marks = {"VAR_POSITIONAL": "*", "VAR_KEYWORD": "**"}
    return "(%s)" % ", ".join(
        marks.get(kind, "") + name + ("=" if default else "") for name, kind, default in params)


def _check_params(where: str, member: Member, obj: Any, problems: list[str]) -> None:
    if member.kind != "def" or member.params is None:
        return
    runtime = _runtime_params(obj)
    if runtime is not None and _params_differ(member.params, runtime):
        problems.append("%s: the stub has %s, the code %s"
                        % (where, _show(member.params), _show(runtime)))


def _stub_member(stub: Stub, cls: str, name: str) -> Member | None:
    """`name` as the stub declares it on class `cls` or on one of its bases in the stub."""
    seen = set()
    todo = [cls]
    while todo:
        c = todo.pop()
        if c in seen or c not in stub.classes:
            continue
        seen.add(c)
        found = stub.classes[c].members.get(name)
        if found is not None:
            return found
        todo.extend(stub.classes[c].bases)
    return None


def _check_class(module: str, name: str, cls: type, stub: Stub, source: Source,
                 problems: list[str]) -> None:
    where = "%s.%s" % (module, name)
    members = stub.classes[name].members
    # What instances get in the module's code, from this class's methods and its bases'.
    instance = set()
    for base in cls.__mro__:
        if base.__module__ == cls.__module__:
            instance |= source.instance_attrs.get(base.__name__, set())
    if name == "mp_request":
        instance |= set_on_requests()
    for member_name, member in members.items():
        if not (public(member_name) or member_name.startswith("__")):
            continue
        if not hasattr(cls, member_name) and member_name not in instance:
            problems.append("%s.%s: in the stub, not in the code" % (where, member_name))
            continue
        if hasattr(cls, member_name):
            _check_params("%s.%s" % (where, member_name), member,
                          inspect.getattr_static(cls, member_name), problems)
    own = {n for n in vars(cls) if public(n)
           and not any(hasattr(base, n) for base in cls.__mro__[1:])}
    for member_name in sorted((own | {n for n in instance if public(n)})
                              - set(members)):
        if _stub_member(stub, name, member_name) is None:
            problems.append("%s.%s: in the code, not in the stub" % (where, member_name))


def drift(module_name: str) -> list[str]:
    """How the stub of `module_name` ("" for the package) and the module disagree."""
    stem = module_name or "__init__"
    full = "mod_python" + ("." + module_name if module_name else "")
    stub = read_stub(PACKAGE / (stem + ".pyi"))
    source = read_source(PACKAGE / (stem + ".py"))
    module = importlib.import_module(full)
    problems: list[str] = []
    for name, member in stub.names.items():
        if not public(name):
            continue
        if not hasattr(module, name):
            problems.append("%s.%s: in the stub, not in the module" % (full, name))
            continue
        obj = getattr(module, name)
        if member.kind == "class" and not isinstance(obj, type):
            problems.append("%s.%s: a class in the stub, a %s in the module"
                            % (full, name, type(obj).__name__))
        elif member.kind == "def" and (isinstance(obj, type) or not callable(obj)):
            problems.append("%s.%s: a function in the stub, a %s in the module"
                            % (full, name, type(obj).__name__))
        _check_params("%s.%s" % (full, name), member, obj, problems)
        if member.kind == "class" and isinstance(obj, type):
            _check_class(full, name, obj, stub, source, problems)
    for name, obj in vars(module).items():
        if public(name) and name not in stub.names and name not in source.imported \
                and not isinstance(obj, types.ModuleType):
            problems.append("%s.%s: in the module, not in the stub" % (full, name))
    if stub.all is not None and stub.all != getattr(module, "__all__", None):
        problems.append("%s.__all__: the stub has %r, the module %r"
                        % (full, stub.all, getattr(module, "__all__", None)))
    return problems


def coverage() -> list[str]:
    """The stubbed names uses_everything.py does not use where it should."""
    used: dict[str, set[str]] = {}
    for node in ast.parse(USES.read_text(), str(USES)).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("use_"):
            names = set()
            for inner in ast.walk(node):
                if isinstance(inner, ast.Name):
                    names.add(inner.id)
                elif isinstance(inner, ast.Attribute):
                    names.add(inner.attr)
                elif isinstance(inner, ast.keyword) and inner.arg:
                    names.add(inner.arg)
            used[node.name] = names
    problems = []
    for module in stub_modules():
        stub = read_stub(PACKAGE / ((module or "__init__") + ".pyi"))
        prefix = "use_" + (module or "mod_python")
        wanted = [(prefix, {n for n in stub.names if public(n)})]
        for c, cls in stub.classes.items():
            members = {n for n in cls.members if public(n)}
            if public(c) and members:
                wanted.append((prefix + "__" + c, members))
        for function, names in wanted:
            if function not in used:
                problems.append("uses_everything.py has no %s()" % function)
                continue
            missing = sorted(names - used[function])
            if missing:
                problems.append("%s() does not use %s" % (function, ", ".join(missing)))
    return problems


def handler(req: Any) -> int:
    """What tests/stubs.rs asks of httpd: every stub's drift, one problem a line."""
    from mod_python import apache
    problems = [p for module in stub_modules() for p in drift(module)]
    req.content_type = "text/plain"
    req.write("".join(p + "\n" for p in problems))
    return apache.OK


if __name__ == "__main__":
    found = coverage()
    print("\n".join(found) or "uses_everything.py uses every stubbed name")
    sys.exit(1 if found else 0)
