"""Example mod_python filters served by `cargo xtask demo` (PythonOutputFilter and
PythonInputFilter in mod-python/demo.conf)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # The filter object's class, for the annotations: mod_python makes the objects.
    from mod_python._filter import mp_filter


def outputfilter(filter: mp_filter) -> None:
    """Upper-cases a response, brigade by brigade: try /py/shout."""
    s = filter.read()
    while s:
        filter.write(s.upper())
        s = filter.read()
    if s is None:
        filter.close()


def inputfilter(filter: mp_filter) -> None:
    """Upper-cases a request body before the handler reads it:
    curl -d 'a=quiet&b=words' URL/py/form-shout"""
    s = filter.read()
    while s:
        filter.write(s.upper())
        s = filter.read()
    if s is None:
        filter.close()
