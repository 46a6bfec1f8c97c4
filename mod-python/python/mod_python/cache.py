"""mod_python.cache: caches of values that are costly to make, shared by the threads of a
process, with the classes and methods of 3.5's module.

A cache maps a name to a value built on first use and built again when `check()` finds it
stale. Subclasses choose what a value is:

- `Cache(max_size=0)`: the base; subclasses give `build()` and, to notice staleness,
  `check()`. With `max_size`, the least recently used entry goes when the cache is full.
- `FileCache(max_size=0, mode='rb')`: a file's contents, read again when its modification
  time changes.
- `ModuleCache(max_size=0)`: a module made by running a Python file (not put in
  sys.modules), run again when the file changes.
- `HTTPCache(max_size=0)`: the entity at a URL (an `HTTPEntity`), fetched again when it
  expires (Cache-Control max-age, or Expires) and then revalidated with its ETag or
  Last-Modified, so an unchanged entity costs a 304.
- `HttpModuleCache(max_size=0)`: a module made from Python source at a URL.
- `WeakCache(max_size=0)`: holds its values weakly: an entry goes when nothing else holds it.
- `FunctionCache(function, max_size=0)`: memoizes `function(*args, **kw)`; call the cache.

Threads: the map and the recency order are kept under one lock held only briefly; each entry
has a lock of its own held while it is checked and built, so one name is built once while
other threads wait for it, and different names are built at the same time.
"""

import re
import threading
import time
import types
import urllib.error
import urllib.request
import weakref
from calendar import timegm
from collections import OrderedDict
from email.utils import mktime_tz, parsedate_tz
from os import stat

__all__ = ["NOT_INITIALIZED", "Entry", "Cache", "WeakCache", "FileCache", "HTTPEntity",
           "HTTPCache", "ModuleCache", "HttpModuleCache", "FunctionCache",
           "parseRFC822Time", "re_max_age"]

NOT_INITIALIZED = object()
"""The value of an entry not built yet (or whose weakly held value has gone)."""


class Entry:
    """One cached name: its key, its value (NOT_INITIALIZED until built) and the lock under
    which it is checked and built. check() and build() may keep their own data on it (a file's
    modification time, an HTTP validator)."""

    def __init__(self, key):
        self._key = key
        self._value = NOT_INITIALIZED
        self._lock = threading.Lock()


class Cache:
    """A thread-safe cache of values built by `build()`, optionally bounded to `max_size`
    entries (0: unbounded), dropping the least recently used one first."""

    def __init__(self, max_size=0):
        self._maxsize = max_size
        self._dict = OrderedDict()  # key -> Entry, least recently used first
        self._lock = threading.Lock()

    # What subclasses override.

    def key(self, name):
        """The key under which `name` is cached (the name itself by default)."""
        return name

    def check(self, key, name, entry):
        """Whether the entry is stale: None when its value may be used as it is; otherwise an
        opened resource handed to build(). Runs under the entry's lock."""
        return None

    def build(self, key, name, opened, entry):
        """The value for `name`, from what check() opened. Runs under the entry's lock."""
        raise NotImplementedError("%s.build() is not written" % type(self).__name__)

    def commit(self):
        """Called after each change of a value (to persist the cache, say)."""

    def _pack(self, entry, value):
        entry._value = value

    def _unpack(self, entry):
        return entry._value

    # The mapping.

    def __getitem__(self, name):
        return self._checkitem(name)[2]

    def __setitem__(self, name, value):
        entry = self._get_entry(self.key(name))
        with entry._lock:
            self._pack(entry, value)
            self.commit()

    def __delitem__(self, name):
        key = self.key(name)
        with self._lock:
            del self._dict[key]

    def __contains__(self, name):
        with self._lock:
            return self.key(name) in self._dict

    def __len__(self):
        with self._lock:
            return len(self._dict)

    def _get_entry(self, key):
        """The entry of `key`, made if missing, marked as the most recently used; the least
        recently used one goes when that makes the cache too big."""
        with self._lock:
            entry = self._dict.get(key)
            if entry is None:
                entry = self._dict[key] = Entry(key)
                if self._maxsize and len(self._dict) > self._maxsize:
                    self._dict.popitem(last=False)
            else:
                self._dict.move_to_end(key)
            return entry

    def _checkitem(self, name):
        """(is_new, key, value, entry) for `name`, building the value when it is missing or
        check() finds it stale; is_new says it was built now."""
        key = self.key(name)
        entry = self._get_entry(key)
        with entry._lock:
            value = self._unpack(entry)
            opened = self.check(key, name, entry)
            if value is not NOT_INITIALIZED and opened is None:
                return False, key, value, entry
            value = self.build(key, name, opened, entry)
            self._pack(entry, value)
            self.commit()
            return True, key, value, entry

    def mru(self):
        """The most recently used key (None when empty)."""
        with self._lock:
            return next(reversed(self._dict), None)

    def lru(self):
        """The least recently used key (None when empty)."""
        with self._lock:
            return next(iter(self._dict), None)

    def clear(self):
        """Forgets every entry."""
        with self._lock:
            self._dict.clear()


class WeakCache(Cache):
    """Holds values through weak references: an entry goes once nothing else holds its value,
    so a result is shared while in use and not kept after."""

    def _pack(self, entry, value):
        cache_ref = weakref.ref(self)

        def gone(ref, entry=entry):
            cache = cache_ref()
            if cache is not None:
                with cache._lock:
                    # Only if the entry still holds this value (it may have been rebuilt).
                    if cache._dict.get(entry._key) is entry and entry._value is ref:
                        del cache._dict[entry._key]
        entry._value = weakref.ref(value, gone)

    def _unpack(self, entry):
        ref = entry._value
        if ref is NOT_INITIALIZED:
            return NOT_INITIALIZED
        value = ref()
        return NOT_INITIALIZED if value is None else value


class FileCache(Cache):
    """A file's contents by file name, read again when the file's modification time changes.
    Subclasses override build() to make something of the opened file."""

    def __init__(self, max_size=0, mode="rb"):
        Cache.__init__(self, max_size)
        self.mode = mode

    def check(self, key, name, entry):
        mtime = stat(key).st_mtime
        if entry._value is not NOT_INITIALIZED and getattr(entry, "_timestamp", None) == mtime:
            return None
        entry._timestamp = mtime
        return open(key, self.mode)

    def build(self, key, name, opened, entry):
        with opened:
            return opened.read()


_NOT_WORD = re.compile(r"\W+")


def _module_from(source, key, filename):
    """A module (not put in sys.modules) made by running `source`."""
    module = types.ModuleType(_NOT_WORD.sub("_", key))
    module.__file__ = key
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


class ModuleCache(FileCache):
    """A module by the name of its Python file: the file run in a new module (not put in
    sys.modules), run again when the file changes."""

    def __init__(self, max_size=0):
        FileCache.__init__(self, max_size, "r")

    def build(self, key, name, opened, entry):
        with opened:
            return _module_from(opened.read(), key, key)


def parseRFC822Time(t):
    """Seconds since the epoch of an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`)."""
    parts = parsedate_tz(t)
    if parts is None:
        raise ValueError("not an HTTP date: %r" % (t,))
    if parts[9] is None:
        return timegm(parts[:9])
    return mktime_tz(parts)


re_max_age = re.compile(r"max-age\s*=\s*(\d+)", re.I)


class HTTPEntity:
    """What an HTTPCache holds: the entity's bytes and its response headers (a dict)."""

    def __init__(self, entity, metadata):
        self.entity = entity
        self.metadata = metadata

    def __repr__(self):
        return "HTTPEntity(%r, %r)" % (self.entity, self.metadata)

    def __str__(self):
        entity = self.entity
        return entity.decode("latin-1") if isinstance(entity, bytes) else entity


class HTTPCache(Cache):
    """The entity at a URL. Fresh for as long as the server said (Cache-Control max-age, else
    Expires less Date); then asked again with its validator (If-None-Match with the ETag, or
    If-Modified-Since with Last-Modified), a 304 keeping what is cached."""

    timeout = 30
    """Seconds before a fetch gives up."""

    def check(self, key, name, entry):
        if time.time() < getattr(entry, "_expires", 0):
            return None
        request = urllib.request.Request(key)
        validator = getattr(entry, "_validator", None)
        if validator is not None and entry._value is not NOT_INITIALIZED:
            request.add_header(*validator)
        try:
            opened = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            if e.code == 304:
                e.close()
                self._remember(entry, e.headers)
                return None
            raise
        self._remember(entry, opened.headers)
        return opened

    @staticmethod
    def _remember(entry, headers):
        """Notes when the entity expires and how to revalidate it, from response headers."""
        max_age = re_max_age.search(headers.get("Cache-Control") or "")
        if max_age is not None:
            entry._expires = time.time() + int(max_age.group(1))
        elif headers.get("Expires") and headers.get("Date"):
            try:
                lifetime = parseRFC822Time(headers["Expires"]) - parseRFC822Time(headers["Date"])
            except ValueError:
                lifetime = 0
            entry._expires = time.time() + lifetime
        if headers.get("ETag"):
            entry._validator = ("If-None-Match", headers["ETag"])
        elif headers.get("Last-Modified"):
            entry._validator = ("If-Modified-Since", headers["Last-Modified"])

    def build(self, key, name, opened, entry):
        with opened:
            return HTTPEntity(opened.read(), dict(opened.headers.items()))


class HttpModuleCache(HTTPCache):
    """A module made from the Python source at a URL (not put in sys.modules), made again when
    the source changes."""

    def build(self, key, name, opened, entry):
        with opened:
            source = opened.read().replace(b"\r\n", b"\n")
        return _module_from(source, key, name)


class FunctionCache(Cache):
    """Memoizes `function`: calling the cache calls it once per distinct arguments (which
    must be hashable)."""

    def __init__(self, function, max_size=0):
        Cache.__init__(self, max_size)
        self.function = function

    def __call__(self, *args, **kw):
        return self[args, tuple(sorted(kw.items()))]

    def build(self, key, name, opened, entry):
        args, kw = key
        return self.function(*args, **dict(kw))
