"""What `mod_python serve TARGET` serves: a WSGI application, a mod_python handler module, or a
directory of published modules and Python Server Pages; found by looking at TARGET."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mod_python_cli.errors import CliError

WSGI = "wsgi"
HANDLER = "handler"
SITE = "site"

# Looked for in a module given without a callable, in this order: mod_wsgi's name for a WSGI
# application, mod_python's for a content handler, then the name Flask and others use.
DEFAULT_NAMES = ("application", "handler", "app")
PROBE_SECONDS = 120


@dataclass
class App:
    """A servable thing and how to configure httpd for it."""

    kind: str
    # For WSGI and handler: `module::callable` as mod_python's directives take it.
    module: str = ""
    callable: str = ""
    # For a site: the directory, and whether it holds published modules and pages.
    directory: Path | None = None
    publisher: bool = False
    psp: bool = False
    # Put first on sys.path (the application's directory, --python-path).
    python_dirs: list[Path] = field(default_factory=list)
    # Looked at for changes.
    watch_dirs: list[Path] = field(default_factory=list)

    def describe(self):
        if self.kind == WSGI:
            return f"WSGI application {self.module}::{self.callable}"
        if self.kind == HANDLER:
            return f"mod_python handler {self.module}::{self.callable}"
        parts = [
            p for p, on in (("published modules", self.publisher), ("PSP pages", self.psp)) if on
        ]
        return f"{' and '.join(parts)} in {self.directory}"


def probe(module, python_dirs, names):
    """Imports `module` in a child interpreter (see probe.py) and returns its answer."""
    request = json.dumps({"module": module, "path": [str(d) for d in python_dirs], "names": names})
    try:
        out = subprocess.run(
            [sys.executable, "-m", "mod_python_cli.probe", request],
            capture_output=True,
            text=True,
            timeout=PROBE_SECONDS,
            cwd=str(python_dirs[0]) if python_dirs else None,
        )
    except subprocess.TimeoutExpired:
        raise CliError(f"importing {module} took more than {PROBE_SECONDS} s") from None
    lines = out.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        detail = out.stderr.strip() or f"exit status {out.returncode}"
        raise CliError(f"could not import {module}: {detail}") from None


def import_error(label, answer):
    """The error for a module that does not import, with Python's own message."""
    return CliError(f"{label} does not import:\n{answer['error']}")


def _choose(label, module, answer, wanted):
    """The callable to serve and its kind, from what the probe found."""
    found = answer["callables"]
    if wanted:
        if wanted not in found:
            raise CliError(f"{label} has no callable named {wanted}")
        names = [wanted]
    else:
        names = [n for n in DEFAULT_NAMES if n in found]
        if not names:
            looked = ", ".join(DEFAULT_NAMES)
            raise CliError(
                f"nothing to serve in {label}: it defines none of {looked}"
                " (a WSGI application is `application(environ, start_response)`, a mod_python"
                " handler `handler(req)`); name another callable as MODULE::CALLABLE"
            )
    name = names[0]
    args = found[name]
    if args == 1 or (args is None and name == "handler"):
        return HANDLER, name
    if args == 2 or args is None:
        return WSGI, name
    raise CliError(
        f"{module}::{name} takes {args} arguments: a WSGI application takes 2"
        " (environ, start_response) and a mod_python handler 1 (req)"
    )


def _module_app(label, module, wanted, python_dirs, watch_dirs):
    names = [wanted] if wanted else list(DEFAULT_NAMES)
    answer = probe(module, python_dirs, names)
    if not answer["ok"]:
        raise import_error(label, answer)
    kind, name = _choose(label, module, answer, wanted)
    return App(kind, module=module, callable=name, python_dirs=python_dirs, watch_dirs=watch_dirs)


def _site(directory, python_path):
    files = [p for p in directory.rglob("*") if p.suffix in (".py", ".psp")][:1000]
    publisher = any(p.suffix == ".py" for p in files)
    psp = any(p.suffix == ".psp" for p in files)
    if not (publisher or psp):
        raise CliError(
            f"nothing to serve in {directory}: a directory is served as published modules"
            " (.py) and Python Server Pages (.psp), and it has neither"
        )
    return App(
        SITE,
        directory=directory,
        publisher=publisher,
        psp=psp,
        python_dirs=[directory, *python_path],
        watch_dirs=[directory, *python_path],
    )


def resolve(spec, python_path=()):
    """The App for TARGET: `app.py`, `app.py::callable`, `package.module[::callable]`, or a
    directory. `python_path` directories are searched too, and put on httpd's sys.path."""
    python_path = [Path(p).resolve() for p in python_path]
    for p in python_path:
        if not p.is_dir():
            raise CliError(f"--python-path {p}: no such directory")
    name, _, wanted = spec.partition("::")
    path = Path(name)
    if path.is_dir():
        if wanted:
            raise CliError(f"{spec}: a directory has no callables; name a .py file")
        return _site(path.resolve(), python_path)
    if name.endswith(".py") or os.sep in name:
        if not path.is_file():
            raise CliError(f"{name} does not exist")
        path = path.resolve()
        if not path.name.endswith(".py"):
            raise CliError(f"{name} is not a Python file (.py)")
        dirs = [path.parent, *python_path]
        return _module_app(path.name, path.stem, wanted, dirs, dirs)
    # A module name, found from the current directory and --python-path.
    dirs = [Path.cwd(), *python_path]
    return _module_app(name, name, wanted, dirs, dirs)
