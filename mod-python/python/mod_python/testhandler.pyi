# Types of mod_python.testhandler for editors and type checkers: PythonHandler
# mod_python.testhandler shows how mod_python is set up.

from mod_python._request import mp_request

__all__ = ["handler"]

# How many of the error_log's last lines ?view_log=1 shows.
LOG_LINES: int

def handler(req: mp_request) -> int: ...
