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
    """The lines that start httpd's Python in this environment, with `app_dirs` first on
    sys.path.

    In a virtual environment, `PythonHome` names it: Python starts as the environment's own
    interpreter would, its packages before the system's. (A module pip built in the environment
    starts there without the line too; it is written so that the configuration says where its
    packages come from.) The application's directories go first on sys.path by `PythonPath`.
    """
    lines = []
    home = virtual_env()
    if home:
        lines.append(f"PythonHome {httpd_quote(home)}")
    dirs = [str(d) for d in app_dirs]
    if dirs:
        lines.append(f"PythonPath {httpd_quote(repr(dirs) + ' + sys.path')}")
    return lines


def load_module_line():
    """`LoadModule python_module /path/to/mod_python.so`."""
    return f"LoadModule {MODULE_SYMBOL} {httpd_quote(str(module_path()))}"
