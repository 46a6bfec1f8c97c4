"""mod_python.Cookie: HTTP cookies, with mod_python 3.5's API.

A ``Cookie`` is one cookie (a name, a value and its attributes); ``str()`` of it is what goes
in a ``Set-Cookie`` header, and ``Cookie.parse()`` reads a ``Cookie`` header into a dict of
them. ``SignedCookie`` adds an HMAC of name and value, so a value the client changed is
noticed; ``MarshalCookie`` carries any marshallable value, signed. ``add_cookie``,
``get_cookies`` and ``get_cookie`` do the usual work with a request.

The wire formats are 3.5's, so cookies pass between this module and C mod_python 3.5 both
ways: a signed value is the 32 hex digits of HMAC-MD5(secret, name + value) followed by the
value; a marshalled one is signed base64 of ``marshal.dumps(value)``.
"""

import base64
import calendar
import hashlib
import hmac
import marshal
import re
import time

__all__ = ["Cookie", "SignedCookie", "MarshalCookie", "CookieError",
           "add_cookie", "get_cookies", "get_cookie"]


class CookieError(Exception):
    """A cookie whose signature does not verify, or whose marshalled value cannot be read;
    or a ``SignedCookie`` written without a secret."""


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {m.lower(): i for i, m in enumerate(_MONTHS, 1)}

# The Netscape date form 3.5 accepts for a string expires, as leniently as 3.5 (which asked
# strptime): any case, one or two digits for day and time, any run of white space where the
# form has a space. The weekday is not checked against the date.
_EXPIRES_FORM = re.compile(
    r"([a-z]{3}),\s+(\d{1,2})-([a-z]{3})-(\d{4})\s+(\d{1,2}):(\d{1,2}):(\d{1,2})\s+gmt\Z",
    re.IGNORECASE)


def _http_date(seconds):
    # Our own names rather than strftime's: the locale of the process must not change the
    # header. The year is not padded, as glibc's %Y (what 3.5 used) does not pad it.
    t = time.gmtime(seconds)
    return "%s, %02d-%s-%d %02d:%02d:%02d GMT" % (
        _DAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year,
        t.tm_hour, t.tm_min, t.tm_sec)


def _valid_expires(text):
    m = _EXPIRES_FORM.match(text)
    if not m:
        return False
    day_name, day, month, year, hour, minute, second = m.groups()
    month = _MONTH_NUMBER.get(month.lower())
    if day_name.capitalize() not in _DAYS or month is None:
        return False
    day, year = int(day), int(year)
    if year == 0 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    # Seconds up to 61 for leap seconds, as strptime (what 3.5 checked with) allows.
    return int(hour) < 24 and int(minute) < 60 and int(second) < 62


def _header_pairs(text):
    """The (name, value) pairs of a Cookie header, as 3.5 reads them.

    Pairs are separated by ';'. Spaces and commas before a name are skipped; a name runs up to
    a space, ';' or '='; the '=' may have spaces around it, and may be missing when a space
    separates name and value. A value that opens with '"' runs to the matching '"' (a
    backslash escapes the next character) and keeps its quotes; otherwise it runs to the next
    ';', spaces and commas included. Nothing in the text makes this fail: what cannot be read
    as a pair is passed over.
    """
    n = len(text)
    i = 0
    while i < n:
        # Leading spaces and commas; a name cannot start with either, but if nothing else
        # does, the last comma of the run is taken for a name (3.5 did the same).
        start = i
        while i < n and text[i] in " ,":
            i += 1
        if i < n and text[i] not in ";=":
            name_start = i
        else:
            last_comma = text.rfind(",", start, i)
            if last_comma < 0:
                i += 1
                continue
            name_start = last_comma
        i = name_start + 1
        while i < n and text[i] not in "; =":
            i += 1
        name = text[name_start:i]
        while i < n and text[i] == " ":
            i += 1
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] == " ":
                i += 1
        end = _quoted_end(text, i)
        if end < 0:
            end = text.find(";", i)
            if end < 0:
                end = n
        value = text[i:end]
        i = end
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == ";":
            i += 1
        yield name, value


def _quoted_end(text, i):
    """Where the quoted string opening at i ends (just past its closing quote), or -1."""
    n = len(text)
    if i >= n or text[i] != '"':
        return -1
    i += 1
    while i < n:
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\\":
            # An escaped line break does not count as escaped (3.5's reading).
            if i + 1 >= n or text[i + 1] == "\n":
                return -1
            i += 2
        else:
            i += 1
    return -1


class Cookie(object):
    """One cookie: ``Cookie(name, value, **attributes)``.

    Attributes are given as keywords or set afterwards; unknown ones raise AttributeError.
    An attribute never set is absent (reading it raises AttributeError), and ``str()`` writes
    only those set. ``expires`` takes seconds since the epoch (written as an HTTP date) or a
    date string of the form ``Wdy, DD-Mon-YYYY HH:MM:SS GMT``; anything else raises
    ValueError. ``__data__`` is a dict for subclasses' own use.
    """

    # The order attributes are written in, which is 3.5's.
    _valid_attr = ("version", "path", "domain", "secure", "comment", "expires", "max_age",
                   "samesite", "commentURL", "discard", "port", "httponly")
    # Written as the bare name when true; a false value leaves them out.
    _flags = ("secure", "discard", "httponly")

    __slots__ = ("name", "value", "version", "path", "domain", "secure", "comment",
                 "_expires", "max_age", "samesite", "commentURL", "discard", "port",
                 "httponly", "__data__")

    # What parse() does with a cookie that fails its check (SignedCookie, MarshalCookie):
    # hand it back as a plain Cookie, leave it out, or raise CookieError.
    DOWNGRADE = 0
    IGNORE = 1
    EXCEPTION = 3

    def __init__(self, name, value, **kw):
        self.name = name
        self.value = value
        self.__data__ = {}
        for key, val in kw.items():
            if key == "__data__":
                self.__data__ = val
            elif key in self._valid_attr:
                setattr(self, key, val)
            else:
                raise AttributeError("'%s' object has no attribute '%s'"
                                     % (type(self).__name__, key))

    @property
    def expires(self):
        try:
            return self._expires
        except AttributeError:
            raise AttributeError("'%s' object has no attribute 'expires'"
                                 % type(self).__name__) from None

    @expires.setter
    def expires(self, when):
        if when is None:
            try:
                del self._expires
            except AttributeError:
                pass
        elif isinstance(when, (int, float)):
            self._expires = _http_date(when)
        elif isinstance(when, str):
            if not _valid_expires(when):
                raise ValueError("Invalid expires time: %s" % when)
            self._expires = when
        else:
            raise TypeError("expires must be seconds since the epoch or a date string, not %s"
                            % type(when).__name__)

    @expires.deleter
    def expires(self):
        try:
            del self._expires
        except AttributeError:
            pass

    def _attributes(self):
        for attr in self._valid_attr:
            val = getattr(self, attr, None)
            if val is None:
                continue
            if attr in self._flags:
                if val:
                    yield attr
            else:
                yield "%s=%s" % (attr, val)

    def _output(self, value):
        return "; ".join(["%s=%s" % (self.name, value)] + list(self._attributes()))

    def __str__(self):
        return self._output(self.value)

    def __repr__(self):
        return "<%s: %s>" % (type(self).__name__, str(self))

    @classmethod
    def parse(cls, str, **kw):
        """Reads a Cookie header's value (without the header's name) into a dict of cookies
        of this class, by name; a name given twice keeps its last value. Names starting with
        '$' (RFC 2109 attributes) are passed over. With ``names=[...]`` only those names are
        looked at. Quoted values keep their quotes, as in 3.5."""
        return cls._from_pairs(str, kw.get("names"), lambda name, value: cls(name, value))

    @classmethod
    def _from_pairs(cls, text, names, make):
        # A name sent twice is checked only with its last value, in the place of its first,
        # as 3.5 did: which cookie raises first under EXCEPTION depends on it.
        pairs = {}
        for name, value in _header_pairs(text):
            if not name.startswith("$") and (names is None or name in names):
                pairs[name] = value
        cookies = {}
        for name, value in pairs.items():
            c = make(name, value)
            if c is not None:
                cookies[name] = c
        return cookies


def _utf8(text):
    # Lone surrogates (from undecodable header bytes) must not make signing raise.
    if isinstance(text, (bytes, bytearray)):
        return bytes(text)
    return str(text).encode("utf-8", "surrogatepass")


class SignedCookie(Cookie):
    """A cookie whose value carries an HMAC-MD5 of name and value, keyed by a secret:
    ``SignedCookie(name, value, secret, **attributes)``. The digest is 3.5's, so these
    cookies verify across this module and C mod_python 3.5."""

    __slots__ = ()

    def __init__(self, name, value, secret=None, **kw):
        Cookie.__init__(self, name, value, **kw)
        self.__data__["secret"] = secret

    def hexdigest(self, str):
        """The 32 hex digits that sign ``str`` as this cookie's value."""
        secret = self.__data__.get("secret")
        if not secret:
            raise CookieError("Cannot sign without a secret")
        return hmac.new(_utf8(secret), _utf8(self.name) + _utf8(str), hashlib.md5).hexdigest()

    def __str__(self):
        return self._signed_output(str(self.value))

    def _signed_output(self, text):
        return self._output(self.hexdigest(text) + text)

    def unsign(self, secret):
        """Checks the signature the value starts with against ``secret``; if it is right,
        the value loses it and the secret is kept for writing the cookie again. Raises
        CookieError if not."""
        value = str(self.value)
        signature, text = value[:32], value[32:]
        if secret and len(value) >= 32:
            expected = hmac.new(_utf8(secret), _utf8(self.name) + _utf8(text), hashlib.md5)
            if hmac.compare_digest(expected.hexdigest().encode("ascii"), _utf8(signature)):
                self.value = text
                self.__data__["secret"] = secret
                return
        raise CookieError("Incorrectly Signed Cookie: %s=%s" % (self.name, value))

    @classmethod
    def parse(cls, s, secret, mismatch=Cookie.DOWNGRADE, **kw):
        """As ``Cookie.parse``, checking each cookie's signature with ``secret``. A cookie
        that fails (not signed, signed with another secret, or altered) is, as ``mismatch``
        says: ``Cookie.DOWNGRADE`` (the default) a plain ``Cookie`` with the value as sent,
        ``Cookie.IGNORE`` left out, ``Cookie.EXCEPTION`` a CookieError."""
        return cls._from_pairs(s, kw.get("names"),
                               lambda name, value: cls._checked(name, value, secret, mismatch))

    @classmethod
    def _checked(cls, name, value, secret, mismatch):
        c = cls(name, value)
        try:
            c.unsign(secret)
        except CookieError:
            return _mismatched(mismatch, name, value)
        return c


def _mismatched(mismatch, name, value, error=None):
    if mismatch == Cookie.EXCEPTION:
        raise error or CookieError("Incorrectly Signed Cookie: %s=%s" % (name, value))
    if mismatch == Cookie.IGNORE:
        return None
    return Cookie(name, value)


class MarshalCookie(SignedCookie):
    """A signed cookie whose value is any object ``marshal`` can write (dicts, lists,
    strings, numbers, ...): ``MarshalCookie(name, value, secret, **attributes)``. The value
    is only unmarshalled once its signature is verified; pickle is never used."""

    __slots__ = ()

    def __str__(self):
        text = base64.b64encode(marshal.dumps(self.value)).decode("ascii")
        return self._signed_output(text)

    def unmarshal(self, secret):
        """Verifies the signature (as ``unsign``) and turns the value back into the object it
        was made from. Raises CookieError if either fails."""
        self.unsign(secret)
        self._load()

    def _load(self):
        try:
            data = base64.b64decode(self.value)
        except (ValueError, TypeError):
            raise CookieError("Cannot base64 Decode Cookie: %s=%s"
                              % (self.name, self.value)) from None
        try:
            self.value = marshal.loads(data)
        except Exception:
            # Only reached with a valid signature; whatever marshal makes of the bytes, the
            # caller gets CookieError.
            raise CookieError("Cannot Unmarshal Cookie: %s=%s"
                              % (self.name, self.value)) from None

    # parse() is SignedCookie's: a cookie rightly signed whose value cannot be unmarshalled
    # is treated as its mismatch argument says too (downgraded, it keeps the value without
    # its signature, as in 3.5).

    @classmethod
    def _checked(cls, name, value, secret, mismatch):
        c = super()._checked(name, value, secret, mismatch)
        if not isinstance(c, cls):
            return c  # the signature failed: as mismatch says
        try:
            c._load()
        except CookieError as e:
            return _mismatched(mismatch, name, c.value, e)
        return c


def add_cookie(req, cookie, value="", **kw):
    """Adds a Set-Cookie header to the response: ``cookie`` is a Cookie (then ``value`` and
    the keywords are not used) or a name, with the value and attributes. The first cookie of
    a response also adds ``Cache-Control: no-cache="set-cookie"``, so shared caches do not
    hand the cookie to others."""
    if not isinstance(cookie, Cookie):
        cookie = Cookie(cookie, value, **kw)
    if "Set-Cookie" not in req.headers_out:
        req.headers_out.add("Cache-Control", 'no-cache="set-cookie"')
    req.headers_out.add("Set-Cookie", str(cookie))


def _cookie_header(req):
    try:
        header = req.headers_in["Cookie"]
    except KeyError:
        return None
    if isinstance(header, list):
        header = "; ".join(header)
    return header


def get_cookies(req, Class=Cookie, **kw):
    """The request's cookies, read by ``Class.parse`` (keywords go to it: ``secret=`` for
    the signed classes, ``mismatch=``, ``names=``); a dict by name, empty without a Cookie
    header."""
    header = _cookie_header(req)
    if header is None:
        return {}
    return Class.parse(header, **kw)


def get_cookie(req, name, Class=Cookie, **kw):
    """The request's cookie ``name`` read by ``Class.parse``, or None. Only that cookie is
    checked, so another badly signed one does not raise."""
    header = _cookie_header(req)
    if header is None:
        return None
    kw["names"] = [name]
    return Class.parse(header, **kw).get(name)
