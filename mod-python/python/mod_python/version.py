"""mod_python.version: what this mod_python is and what it runs with.

The names are those of 3.5's generated module. Where 3.5 wrote down what its build saw, the
versions here are read from the running server (httpd may be upgraded under a module built
earlier); the paths are what `apxs` told the build.

- `version`: this mod_python (the 3.5 API it implements, then this project's version).
- `HTTPD`: the httpd binary; `HTTPD_VERSION`: the running httpd's version (`2.4.62`).
- `APR_VERSION`: the running APR library's version.
- `LIBEXECDIR`: where httpd's modules are installed; `SYSCONFDIR`: httpd's configuration
  directory.
- `PYTHON_BIN`: the Python this module was built for; `PYTHON_VERSION`: the running one's.

Imported outside httpd (to use mod_python.httpdconf, say), the httpd values are asked of
`apxs` when it is on PATH (empty strings otherwise), and PYTHON_BIN is the running Python.
"""

import sys

# Imported by every interpreter of every child (mod_python/__init__.py): the `platform` and
# `subprocess` modules would cost about 12 ms each time, so subprocess is imported only
# outside httpd, where apxs is asked, and the running Python's version is read from
# sys.version (what platform.python_version() reads too).


def _ask_apxs():
    import subprocess

    names = ("SBINDIR", "PROGNAME", "LIBEXECDIR", "SYSCONFDIR", "HTTPD_VERSION")
    try:
        out = subprocess.run(["apxs", "-q", *names], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return {"PYTHON_BIN": sys.executable}
    found = dict(zip(names, out.strip().split(";;"), strict=False))
    if found.get("SBINDIR") and found.get("PROGNAME"):
        found["HTTPD"] = found["SBINDIR"] + "/" + found["PROGNAME"]
    found["PYTHON_BIN"] = sys.executable
    return found


try:
    from mod_python import _apache
except ImportError:  # outside httpd: nothing native to ask
    version = "3.5.0+rs"
    _values = _ask_apxs()
else:
    version = "3.5.0+rs." + _apache.crate_version
    _values = dict(_apache.build_info())

HTTPD = _values.get("HTTPD", "")
HTTPD_VERSION = _values.get("HTTPD_VERSION", "")
APR_VERSION = _values.get("APR_VERSION", "")
LIBEXECDIR = _values.get("LIBEXECDIR", "")
SYSCONFDIR = _values.get("SYSCONFDIR", "")
PYTHON_BIN = _values.get("PYTHON_BIN", "/usr/bin/python3")
PYTHON_VERSION = sys.version.split()[0]

del _values, _ask_apxs
