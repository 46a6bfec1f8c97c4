"""Coverage-guided fuzzing of mod_python.Cookie with atheris (libFuzzer), outside httpd
(Cookie imports nothing of httpd): `cargo xtask soak --fuzz` runs it for a while. Any Cookie
header, in every class and mismatch mode, and any expires string: a failure is any exception
but those the API documents (CookieError in EXCEPTION mode, ValueError for expires)."""

import sys

import atheris

with atheris.instrument_imports():
    from mod_python import Cookie

MODES = (Cookie.Cookie.DOWNGRADE, Cookie.Cookie.IGNORE, Cookie.Cookie.EXCEPTION)


def one_input(data):
    given = atheris.FuzzedDataProvider(data)
    secret = given.ConsumeUnicodeNoSurrogates(given.ConsumeIntInRange(0, 12))
    header = given.ConsumeUnicodeNoSurrogates(given.remaining_bytes())
    for c in Cookie.Cookie.parse(header).values():
        str(c)
    for cls in (Cookie.SignedCookie, Cookie.MarshalCookie):
        for mode in MODES:
            try:
                cls.parse(header, secret, mode)
            except Cookie.CookieError:
                if mode != Cookie.Cookie.EXCEPTION:
                    raise
    c = Cookie.Cookie("n", "v")
    try:
        c.expires = header
    except ValueError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
