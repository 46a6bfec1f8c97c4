"""mod_python for Apache httpd 2.4, re-implemented in Rust on apache-rs.

This package is compiled into mod_python.so and served from there: nothing needs installing.
"""

from mod_python import _apache

version = "3.5.0+rs." + _apache.crate_version
"""This project's version: the mod_python API level it implements, then its own version."""

__all__ = ["apache", "version"]
