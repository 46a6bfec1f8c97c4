"""<!--#python eval="..." --> and <!--#python exec="..." -->: Python code in pages parsed by
mod_include's INCLUDES filter (Options +Includes), as mod_python 3.5 provides.

mod_python.so reads the element and calls dispatch() in the interpreter of the page's
directory. The code runs in globals kept for the page in req.ssi_globals (made on first use;
a handler of an earlier phase may fill it, as 3.5's documentation shows), where `filter` is an
ssi_filter whose write() puts text into the page in the element's place and `req` is the
request object. An `eval` element's value, unless None, is written as str() makes it.
"""

from __future__ import annotations

import html
import traceback

from mod_python._apache import log_error, ssi_flush, ssi_write
from mod_python._filter import mp_filter
from mod_python._request import mp_request


class ssi_filter(mp_filter):
    """The filter object of a <!--#python --> element: what it writes goes into the page in
    the element's place. The element has no data of its own to read, and nothing to close or
    pass on."""

    def __init__(self, h: int, req: mp_request) -> None:
        super().__init__(0, "includes", False, req, "", None)
        self._element = h

    def read(self, length: int | None = -1) -> bytes | None:
        return None

    def readline(self, length: int | None = -1) -> bytes | None:
        return None

    def write(self, data: str | bytes) -> None:
        ssi_write(self._element, data)

    def flush(self) -> None:
        ssi_flush(self._element)

    def close(self) -> None:
        pass

    def pass_on(self) -> None:
        pass

    def disable(self) -> None:
        pass


def dispatch(h: int, req: mp_request, tag: str, code: str, debug: bool,
             python_path: str | None) -> bool:
    """Runs the code of one element (called by mod_python.so). An exception is logged with
    its traceback (and, with PythonDebug On, written into the page); the answer is then
    False, and mod_python.so shows mod_include's error text in the element's place."""
    # Imported here: mod_python.apache imports the object modules.
    from mod_python import apache
    filter = ssi_filter(h, req)
    # An attribute of the request object 3.5 documents (a fixup handler may fill it).
    scope: dict[str, object] | None = getattr(req, "ssi_globals", None)
    if scope is None:
        scope = {}
        req.ssi_globals = scope  # type: ignore[attr-defined]
    try:
        if python_path:
            apache._set_python_path(python_path)
        scope["filter"] = filter
        scope["req"] = req
        scope["__file__"] = req.filename
        source = code.replace("\r\n", "\n").rstrip()
        if tag == "eval":
            value = eval(source, scope)
            if value is not None:
                filter.write(str(value))
        else:
            exec(source, scope)
        return True
    except Exception as e:
        apache._note_refused_extension(e)
        text = traceback.format_exc()
        report = "mod_python: exception in #python %s of %s:\n%s" % (tag, req.filename, text)
        for line in report.rstrip().split("\n"):
            log_error(line, 3)
        if debug:
            page = "\n<pre>\nMod_python error: \"#python %s %s\"\n\n%s</pre>\n" % (
                tag, html.escape(req.filename or ""), html.escape(text))
            try:
                filter.write(page)
            except Exception:
                pass
        return False
    finally:
        scope["filter"] = None
        filter._element = 0
