"""Example mod_python filters served by `cargo xtask demo` (PythonOutputFilter and
PythonInputFilter in mod-python/demo.conf)."""


def outputfilter(filter):
    """Upper-cases a response, brigade by brigade: try /py/shout."""
    s = filter.read()
    while s:
        filter.write(s.upper())
        s = filter.read()
    if s is None:
        filter.close()


def inputfilter(filter):
    """Upper-cases a request body before the handler reads it:
    curl -d 'a=quiet&b=words' URL/py/form-shout"""
    s = filter.read()
    while s:
        filter.write(s.upper())
        s = filter.read()
    if s is None:
        filter.close()
