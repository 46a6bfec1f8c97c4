# Types of mod_python._filter for editors and type checkers: the filter object a
# PythonOutputFilter or PythonInputFilter callable is given.

from mod_python._request import mp_request

class mp_filter:
    # As in 3.5, req and softspace may be set; the rest is read-only.
    req: mp_request
    softspace: int
    def __init__(
        self,
        h: int,
        name: str,
        is_input: bool,
        req: mp_request,
        handler: str,
        dir: str | None,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def is_input(self) -> int: ...
    @property
    def handler(self) -> str: ...
    @property
    def dir(self) -> str | None: ...
    @property
    def closed(self) -> int: ...
    # b"" when this call's data is used up; None at the end of the stream (then close()).
    def read(self, length: int | None = -1) -> bytes | None: ...
    def readline(self, length: int | None = -1) -> bytes | None: ...
    def write(self, data: str | bytes) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def pass_on(self) -> None: ...
    def disable(self) -> None: ...

def dispatch(
    h: int,
    name: str,
    is_input: bool,
    req: mp_request,
    module_name: str,
    callable_name: str,
    directory: str | None,
    debug: bool,
    autoreload: bool,
    python_path: str | None,
) -> None: ...
