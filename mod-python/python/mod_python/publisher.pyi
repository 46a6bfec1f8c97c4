# Types of mod_python.publisher for editors and type checkers: PythonHandler
# mod_python.publisher.

from mod_python._request import mp_request

def handler(req: mp_request) -> int: ...
