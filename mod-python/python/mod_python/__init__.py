"""mod_python for Apache httpd 2.4, re-implemented in Rust on apache-rs.

This package is compiled into mod_python.so and served from there: nothing needs installing.
As in 3.5, `mod_python.version` is the module of this build's values and `mp_version` the
version string.
"""

from mod_python import version

mp_version = version.version
"""This project's version: the mod_python API level it implements, then its own version."""

# As 3.5's: `from mod_python import *` imports these.
__all__ = ["apache", "cgihandler", "psp", "publisher", "python22", "util", "version"]
