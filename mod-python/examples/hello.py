"""Example mod_python handlers served by `cargo xtask demo`. Annotated as an editor sees them
with the package's type stubs (`pip install ./mod-python`); mod_python 3.5's handlers, without
annotations, run the same."""

import mod_python
from mod_python import apache


def handler(req: apache.mp_request) -> int:
    req.content_type = "text/plain"
    req.write("hello from mod_python %s\n" % mod_python.mp_version)
    return apache.OK


def form(req: apache.mp_request) -> int:
    """Echoes a POSTed form (try: curl -d 'a=1&b=2' URL)."""
    req.content_type = "text/plain"
    body = req.read().decode("utf-8", "replace")
    for key, values in sorted(apache.parse_qs(body).items()):
        req.write("%s = %s\n" % (key, ", ".join(values)))
    return apache.OK


def authenhandler(req: apache.mp_request) -> int:
    """Lets in the user 'demo' (send header X-User: demo)."""
    if req.headers_in.get("X-User") == "demo":
        req.user = "demo"
        return apache.OK
    return apache.HTTP_UNAUTHORIZED


def whoami(req: apache.mp_request) -> int:
    req.content_type = "text/plain"
    req.write("you are %s\n" % req.user)
    return apache.OK
