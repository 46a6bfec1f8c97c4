# Types of mod_python.cgihandler for editors and type checkers: PythonHandler
# mod_python.cgihandler runs CGI scripts in-process.

from mod_python._request import mp_request

__all__ = ["handler"]

def handler(req: mp_request) -> int: ...
