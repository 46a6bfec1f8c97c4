# Types of mod_python.cache for editors and type checkers: caches of values that are costly
# to make, shared by the threads of a process.
#
# The classes are not generic at run time (`Cache[str]` would raise where a subclass is
# declared), so a cache's values are Any, but where the class says what it makes.

import re
from collections.abc import Callable, Hashable
from types import ModuleType
from typing import Any, Generic, TypeVar

__all__ = [
    "NOT_INITIALIZED",
    "Entry",
    "Cache",
    "WeakCache",
    "FileCache",
    "HTTPEntity",
    "HTTPCache",
    "ModuleCache",
    "HttpModuleCache",
    "FunctionCache",
    "parseRFC822Time",
    "re_max_age",
]

_R = TypeVar("_R")

# The value of an entry not built yet.
NOT_INITIALIZED: object

class Entry:
    def __init__(self, key: Hashable) -> None: ...

# Values by name; subclasses give build() and, to notice staleness, check().
class Cache:
    def __init__(self, max_size: int = 0) -> None: ...
    def key(self, name: Any) -> Hashable: ...
    # None when the entry's value may be used as it is; else what build() is handed.
    def check(self, key: Any, name: Any, entry: Entry) -> Any: ...
    def build(self, key: Any, name: Any, opened: Any, entry: Entry) -> Any: ...
    def commit(self) -> None: ...
    def __getitem__(self, name: Any) -> Any: ...
    def __setitem__(self, name: Any, value: Any) -> None: ...
    def __delitem__(self, name: Any) -> None: ...
    def __contains__(self, name: object) -> bool: ...
    def __len__(self) -> int: ...
    def mru(self) -> Hashable | None: ...
    def lru(self) -> Hashable | None: ...
    def clear(self) -> None: ...

# Holds its values weakly: an entry goes once nothing else holds its value.
class WeakCache(Cache): ...

# A file's contents (bytes, or str in text mode) by file name.
class FileCache(Cache):
    mode: str
    def __init__(self, max_size: int = 0, mode: str = "rb") -> None: ...

# A module made by running a Python file, by the file's name.
class ModuleCache(FileCache):
    def __init__(self, max_size: int = 0) -> None: ...
    def __getitem__(self, name: str) -> ModuleType: ...

def parseRFC822Time(t: str) -> float: ...

re_max_age: re.Pattern[str]

# What an HTTPCache holds.
class HTTPEntity:
    entity: bytes
    metadata: dict[str, str]
    def __init__(self, entity: bytes, metadata: dict[str, str]) -> None: ...

# The entity at a URL, by URL (a subclass may make something else of it).
class HTTPCache(Cache):
    # Seconds before a fetch gives up.
    timeout: float
    def __getitem__(self, name: str) -> HTTPEntity | Any: ...

# A module made from the Python source at a URL, by URL.
class HttpModuleCache(HTTPCache):
    def __getitem__(self, name: str) -> ModuleType: ...

# Memoizes `function`: calling the cache calls it once per distinct arguments.
class FunctionCache(Cache, Generic[_R]):
    function: Callable[..., _R]
    def __init__(self, function: Callable[..., _R], max_size: int = 0) -> None: ...
    def __call__(self, *args: Hashable, **kw: Hashable) -> _R: ...
