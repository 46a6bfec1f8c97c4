# Types of the mod_python package for editors and type checkers (3.5's API, served by
# mod_python.so; pip installs this copy for editors).

from mod_python import version as version

# This project's version: the mod_python API level it implements, then its own version.
mp_version: str

# The submodules `from mod_python import *` imports.
__all__ = ["apache", "cgihandler", "psp", "publisher", "python22", "util", "version"]  # noqa: F822
