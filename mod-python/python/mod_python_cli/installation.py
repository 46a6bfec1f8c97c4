"""What pip installed: mod_python.so, the Python it was built for, and the lines that load them
into httpd."""

import importlib
import os
import sys
import sysconfig
from pathlib import Path

from mod_python_cli.errors import CliError

PACKAGE_DIR = Path(__file__).resolve().parent
MODULE_SYMBOL = "python_module"


def build_info():
    """What setup.py recorded at build time (empty when run from a source checkout)."""
    # Imported by name: the module exists only in an installed package (setup.py writes it).
    try:
        info = importlib.import_module("mod_python_cli._build_info")
    except ImportError:
        return {}
    return dict(info.INFO)


def module_path():
    """mod_python.so: `$MOD_PYTHON_SO` when set, else the one installed beside this package."""
    override = os.environ.get("MOD_PYTHON_SO")
    path = Path(override) if override else PACKAGE_DIR / "mod_python.so"
    if not path.is_file():
        raise CliError(
            f"mod_python.so is not at {path}; install the package with"
            " `pip install ./mod-python` from a checkout (which builds it)"
        )
    return path


def version():
    """This project's version, as mod_python.version says it inside httpd."""
    crate = build_info().get("version")
    if not crate:
        try:
            from importlib.metadata import version as dist_version

            crate = dist_version("mod-python-rs")
        except Exception:
            crate = "unknown"
    return f"3.5.0+rs.{crate}"


def virtual_env():
    """The virtual environment this command runs in, or None."""
    return sys.prefix if sys.prefix != sys.base_prefix else None


def site_packages():
    """The virtual environment's package directories (pure and platform, once each)."""
    dirs = []
    for key in ("purelib", "platlib"):
        d = sysconfig.get_path(key)
        if d and d not in dirs:
            dirs.append(d)
    return dirs


def httpd_quote(text):
    """`text` as one double-quoted httpd argument."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def python_environment_lines(app_dirs=()):
    """The lines that give httpd's Python this environment's packages, after `app_dirs`.

    mod_python.so does not yet take its Python home from the build (the `PythonHome` directive
    and its default, issue 16), so the environment's site-packages go on sys.path by
    `PythonPath`, behind the application's own directories. Once it does, this function is
    the one to change: a `PythonHome` line, and `PythonPath` for `app_dirs` only.

    One function makes every such line, since a `PythonPath` in a section replaces the one
    outside it: the directories must be given together.
    """
    dirs = [str(d) for d in app_dirs]
    if virtual_env():
        dirs += [d for d in site_packages() if d not in dirs]
    if not dirs:
        return []
    return [f"PythonPath {httpd_quote(repr(dirs) + ' + sys.path')}"]


def load_module_line():
    """`LoadModule python_module /path/to/mod_python.so`."""
    return f"LoadModule {MODULE_SYMBOL} {httpd_quote(str(module_path()))}"
