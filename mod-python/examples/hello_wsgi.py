"""A WSGI application, nothing mod_python-specific in it: `mod_python serve` this file."""


def application(environ, start_response):
    body = "hello from WSGI: %s %s\n" % (environ["REQUEST_METHOD"], environ["PATH_INFO"])
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode("utf-8")]
