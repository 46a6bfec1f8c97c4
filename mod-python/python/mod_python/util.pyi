# Types of mod_python.util for editors and type checkers: form data, query strings,
# redirects.

import builtins
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO, NoReturn, Self, TypeVar, overload

from typing_extensions import Buffer

from mod_python._request import mp_request
from mod_python._table import mp_table

__all__ = [
    "FieldStorage",
    "Field",
    "StringField",
    "FieldList",
    "parse_qs",
    "parse_qsl",
    "parse_header",
    "apply_fs_data",
    "redirect",
    "readBlockSize",
]

_T = TypeVar("_T")

readBlockSize: int

# A str query string gives str names and values; bytes (or another buffer), bytes.
@overload
def parse_qsl(
    qs: str, keep_blank_values: int = 0, strict_parsing: int = 0
) -> list[tuple[str, str]]: ...
@overload
def parse_qsl(
    qs: Buffer, keep_blank_values: int = 0, strict_parsing: int = 0
) -> list[tuple[bytes, bytes]]: ...
@overload
def parse_qs(
    qs: str, keep_blank_values: int = 0, strict_parsing: int = 0
) -> dict[str, list[str]]: ...
@overload
def parse_qs(
    qs: Buffer, keep_blank_values: int = 0, strict_parsing: int = 0
) -> dict[bytes, list[bytes]]: ...
def parse_header(line: str | Buffer) -> tuple[str, dict[str, str]]: ...

class Field:
    # A file uploaded with a multipart form. `file` is a temporary file, or what
    # file_callback made; `value` reads all of it.
    name: str | None
    file: BinaryIO | Any
    filename: str | None
    type: str | None
    type_options: Mapping[str, str]
    disposition: str | None
    disposition_options: Mapping[str, str]
    headers: mp_table | Mapping[str, str]
    value: bytes | None
    def __init__(self, name: str | None, *args: Any, **kwargs: Any) -> None: ...

class StringField(str):
    # A form field that is not a file upload: a str with a Field's attributes.
    name: str | None
    value: str
    file: BinaryIO | Any
    filename: None
    type: str
    type_options: Mapping[str, str]
    disposition: str | None
    disposition_options: Mapping[str, str]
    headers: mp_table | Mapping[str, str]
    ctype: str
    disp_options: Mapping[str, str] | None
    def __new__(cls, value: str = "") -> Self: ...

class FieldList(list[Field | StringField]):
    def table(self) -> dict[str | None, list[Field | StringField]]: ...

class FieldStorage:
    # The fields in the order they came (the class's methods name the builtin as
    # builtins.list).
    list: FieldList
    def __init__(
        self,
        req: mp_request,
        keep_blank_values: int = 0,
        strict_parsing: int = 0,
        file_callback: Callable[[str], Any] | None = None,
        field_callback: Callable[[], Any] | None = None,
    ) -> None: ...
    # A name gives its field (a StringField, or a Field for an upload) or, when it came more
    # than once, the list of them: typed `StringField | Any` so that code need not test which
    # (a StringField has a Field's attributes too).
    def __getitem__(self, key: str | None) -> StringField | Any: ...
    @overload
    def get(self, key: str | None) -> StringField | Any | None: ...
    @overload
    def get(self, key: str | None, default: _T) -> StringField | Any | _T: ...
    @overload
    def getfirst(self, key: str | None) -> StringField | Any | None: ...
    @overload
    def getfirst(self, key: str | None, default: _T) -> StringField | Any | _T: ...
    def getlist(self, key: str | None) -> builtins.list[StringField | Any]: ...
    def __setitem__(self, key: str, value: object) -> None: ...
    def __delitem__(self, key: str | None) -> None: ...
    def __contains__(self, key: object) -> bool: ...
    def __iter__(self) -> Iterator[str | None]: ...
    def __len__(self) -> int: ...
    def add_field(self, key: str, value: object) -> None: ...
    def clear(self) -> None: ...
    def keys(self) -> builtins.list[str | None]: ...
    def has_key(self, key: object) -> bool: ...
    def items(self) -> builtins.list[tuple[str | None, StringField | Any]]: ...
    def parse_qsl_safely(
        self, query_string: str | Buffer, keep_blank_values: int
    ) -> builtins.list[tuple[str, str]]: ...
    def read_to_boundary(self, req: mp_request, boundary: str | bytes, file: Any) -> bool: ...

# Calls `object` with the form's fields it takes as keyword arguments (and `args`).
def apply_fs_data(object: Callable[..., _T], fs: FieldStorage, **args: Any) -> _T: ...

# Always raises: apache.SERVER_RETURN(apache.DONE) once the redirect is set.
def redirect(
    req: mp_request, location: str, permanent: int = 0, text: str | None = None
) -> NoReturn: ...
