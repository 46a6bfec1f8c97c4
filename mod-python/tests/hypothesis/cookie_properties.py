"""mod_python.Cookie's properties, outside httpd (it imports nothing of httpd): any Cookie
header is read without failing, in every class and mismatch mode; what a cookie writes reads
back as written; a signature, once tampered with, is never taken for a good one."""

from hypothesis import assume, given, strategies as st

from mod_python import Cookie

MODES = (Cookie.Cookie.DOWNGRADE, Cookie.Cookie.IGNORE, Cookie.Cookie.EXCEPTION)

# Names as handlers choose them; values that need no quoting in a Cookie header.
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,11}", fullmatch=True)
values = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7e,
                                        blacklist_characters=';",\\'), max_size=40)
secrets = st.one_of(st.text(min_size=1, max_size=20), st.binary(min_size=1, max_size=20))
headers = st.lists(st.one_of(st.sampled_from([";", "=", '"', "\\", ",", " ", "$Path=/"]),
                             st.text(max_size=8)), max_size=16).map("".join)
marshalled = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=10), st.binary(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=12)


@given(headers, secrets)
def test_any_header_is_read_in_every_class_and_mode(header, secret):
    for c in Cookie.Cookie.parse(header).values():
        assert isinstance(c, Cookie.Cookie)
    for cls in (Cookie.SignedCookie, Cookie.MarshalCookie):
        for mode in MODES:
            try:
                found = cls.parse(header, secret, mode)
            except Cookie.CookieError:
                assert mode == Cookie.Cookie.EXCEPTION
                continue
            for c in found.values():
                assert isinstance(c, Cookie.Cookie)


@given(st.dictionaries(names, values, min_size=1, max_size=6))
def test_cookies_read_back_as_written(cookies):
    header = "; ".join(str(Cookie.Cookie(k, v)) for k, v in cookies.items())
    parsed = Cookie.Cookie.parse(header)
    assert {k: c.value for k, c in parsed.items()} == cookies


@given(names, values, secrets)
def test_a_signed_cookie_verifies_with_its_secret_only(name, value, secret):
    header = str(Cookie.SignedCookie(name, value, secret))
    for mode in MODES:
        c = Cookie.SignedCookie.parse(header, secret, mode)[name]
        assert type(c) is Cookie.SignedCookie and c.value == value
    other = secret + (b"x" if isinstance(secret, bytes) else "x")
    assert Cookie.SignedCookie.parse(header, other, Cookie.Cookie.IGNORE) == {}


@given(names, values, secrets, st.integers(min_value=0), st.sampled_from("0123456789abcdefX"))
def test_a_tampered_signed_cookie_is_never_a_signed_cookie(name, value, secret, at, char):
    text = str(Cookie.SignedCookie(name, value, secret)).split("=", 1)[1]
    at %= len(text)
    assume(text[at] != char)
    forged = "%s=%s%s%s" % (name, text[:at], char, text[at + 1:])
    assert Cookie.SignedCookie.parse(forged, secret, Cookie.Cookie.IGNORE) == {}
    downgraded = Cookie.SignedCookie.parse(forged, secret)[name]
    assert type(downgraded) is Cookie.Cookie
    try:
        Cookie.SignedCookie.parse(forged, secret, Cookie.Cookie.EXCEPTION)
    except Cookie.CookieError:
        pass
    else:
        raise AssertionError("a forged cookie passed in EXCEPTION mode")


@given(names, marshalled, secrets)
def test_a_marshal_cookie_reads_back_its_value(name, value, secret):
    header = str(Cookie.MarshalCookie(name, value, secret))
    c = Cookie.MarshalCookie.parse(header, secret, Cookie.Cookie.EXCEPTION)[name]
    # Compared as values (marshal's bytes depend on reference counts), and as types.
    assert c.value == value and repr(c.value) == repr(value)


@given(st.text(max_size=40))
def test_an_expires_string_is_taken_or_refused_with_value_error(text):
    c = Cookie.Cookie("n", "v")
    try:
        c.expires = text
    except ValueError:
        return
    assert c.expires == text
