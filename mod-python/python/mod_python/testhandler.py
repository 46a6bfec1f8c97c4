"""mod_python.testhandler: a page that tells how mod_python is set up where it is served, to
check a configuration. Point a handler at it:

    <Location /mpinfo>
        SetHandler mod_python
        PythonHandler mod_python.testhandler
    </Location>

The page shows httpd's and Python's versions, the MPM, the server root, document root and
error_log (whose last 100 lines `?view_log=1` shows), sys.path, the interpreter, whether the
publisher and PSP import, then the request's headers, environment, mod_python configuration
and options, notes, the server's configuration and options, and the configuration tree.

It shows paths, headers and the configuration to whoever asks: serve it only where that is
wanted (behind `Require ip 127.0.0.1`, say), as with 3.5's.
"""

import collections
import html
import os
import sys

from mod_python import apache, util

__all__ = ["handler"]

LOG_LINES = 100
"""How many of the error_log's last lines `?view_log=1` shows."""


def _cell(value):
    return "<code>%s</code>" % html.escape(str(value))


def _row(out, name, value_html):
    out.append("<tr><td>%s</td><td>%s</td></tr>\n" % (_cell(name), value_html))


def _table(out, title, mapping):
    out.append("<h3>%s</h3>\n<table border=\"1\">\n<tr><th>Key</th><th>Value</th></tr>\n"
               % title)
    for key in mapping:
        _row(out, key, _cell(mapping[key]))
    out.append("</table>\n")


def _tree(out, nodes, depth):
    for node in nodes:
        if isinstance(node, list):
            _tree(out, node, depth + 1)
        else:
            out.append(html.escape("    " * depth + " ".join(node)) + "\n")


def _error_log(req):
    fname = req.server.error_fname
    if not fname:
        return None
    return os.path.join(apache.server_root() or "/", fname)


def _importable(name):
    try:
        __import__("mod_python." + name)
    except Exception:
        return "No"
    return "Yes"


def _mpm(threaded):
    if threaded:
        if apache.mpm_query(apache.AP_MPMQ_IS_THREADED):
            return "Yes, maximum %i threads / process" % apache.mpm_query(
                apache.AP_MPMQ_MAX_THREADS)
        return "No (single thread MPM)"
    if apache.mpm_query(apache.AP_MPMQ_IS_FORKED):
        return "Yes, maximum %i processes" % apache.mpm_query(apache.AP_MPMQ_MAX_DAEMONS)
    return "No (single process MPM)"


def _view_log(req, path):
    """The error_log's last lines, as text."""
    req.content_type = "text/plain"
    if path is None:
        req.write(b"no error_log file (ErrorLog is not a file)\n")
        return apache.OK
    with open(path, "rb") as log:
        for line in collections.deque(log, maxlen=LOG_LINES):
            req.write(line, 0)
    return apache.OK


def handler(req):
    req.form = util.FieldStorage(req)
    log_path = _error_log(req)
    if req.form.getfirst("view_log"):
        return _view_log(req, log_path)

    req.add_common_vars()
    out = ["<html><head><title>mod_python test page</title></head><body>\n",
           "<h3>General information</h3>\n<table border=\"1\">\n"]
    _row(out, "Apache version", _cell(req.subprocess_env.get("SERVER_SOFTWARE")))
    _row(out, "Apache threaded MPM", _cell(_mpm(True)))
    _row(out, "Apache forked MPM", _cell(_mpm(False)))
    _row(out, "Apache server root", _cell(apache.server_root()))
    _row(out, "Apache document root", _cell(req.document_root()))
    if log_path:
        _row(out, "Apache error log", _cell(log_path) + ' (<a href="?view_log=1" '
             'target="_new">view last %d lines</a>)' % LOG_LINES)
    else:
        _row(out, "Apache error log", _cell("None"))
    _row(out, "Python sys.version", _cell(sys.version))
    _row(out, "Python sys.path", "<pre>%s</pre>" % html.escape("\n".join(sys.path)))
    _row(out, "Python interpreter name", _cell(req.interpreter))
    _row(out, "mod_python.publisher available", _cell(_importable("publisher")))
    _row(out, "mod_python.psp available", _cell(_importable("psp")))
    out.append("</table>\n")

    _table(out, "Request input headers", req.headers_in)
    _table(out, "Request environment", req.subprocess_env)
    _table(out, "Request configuration", req.get_config())
    _table(out, "Request options", req.get_options())
    _table(out, "Request notes", req.notes)
    _table(out, "Server configuration", req.server.get_config())
    _table(out, "Server options", req.server.get_options())
    out.append("<h3>Server configuration tree</h3>\n<pre>")
    _tree(out, apache.config_tree(), 0)
    out.append("</pre>\n</body></html>")

    req.content_type = "text/html"
    req.write("".join(out))
    return apache.OK
