"""mod_python.cgihandler: runs CGI scripts inside httpd's process, as 3.5's module did, without
a process per request:

    <Directory /srv/cgi>
        SetHandler mod_python
        PythonHandler mod_python.cgihandler
    </Directory>

The requested file is run as Python (whatever its suffix) with what a CGI script expects:
`os.environ` holds the request's CGI variables, `sys.stdin` reads the request body, what it
prints to `sys.stdout` is the response (header lines, such as `Content-Type:`, `Status:` and
`Location:`, then a blank line, then the body), and the working directory is the script's.

3.5 did this by replacing `sys.stdin`, `sys.stdout` and `os.environ` for the whole process,
so under a threaded MPM a handler running beside a CGI script saw the script's environment
and printed into its response. Here they are replaced for the script's thread only: while a
script runs, `sys.stdout`, `sys.stdin` and `os.environ` (with `os.getenv` and
`os.environb`) answer in its thread with the script's streams and environment, and in every
other thread with what they were. Setting `os.environ[...]` in a script changes its own
environment, not the process's.

The working directory is one per process and cannot be given to a thread alone: scripts in
one process run one at a time, under a lock, as in 3.5 (other handlers keep running; the
cost is that a slow script makes the next CGI request of the same process wait for it).

After each script, the modules imported from the script's directory (its helpers) are
dropped from sys.modules, so that a changed helper is read again; 3.5 dropped every module
outside the standard library, which would pull modules from under handlers running in other
threads.
"""

import os
import sys
import threading

from mod_python import apache

__all__ = ["handler"]

# The CGI state of each thread running a script: its streams and its environment.
_state = threading.local()

# The working directory is the process's: scripts take turns (see the module's text).
_cwd_lock = threading.Lock()
_install_lock = threading.Lock()
_installed = False


class _ThreadStream:
    """Stands for sys.stdout or sys.stdin: the stream of the CGI script running in this
    thread, else the stream it replaced."""

    def __init__(self, which, outside):
        self._which = which
        self._outside = outside

    def _target(self):
        streams = getattr(_state, "streams", None)
        return self._outside if streams is None else streams[self._which]

    def __getattr__(self, name):
        return getattr(self._target(), name)

    def __iter__(self):
        return iter(self._target())


class _ThreadEnviron:
    """Stands for the dict inside os.environ (and os.environb), which holds the environment as
    bytes: the CGI environment of the script running in this thread, else the process's."""

    __slots__ = ("_outside",)

    def __init__(self, outside):
        self._outside = outside

    @staticmethod
    def _mapping(outside):
        env = getattr(_state, "env", None)
        return outside if env is None else env

    def __getitem__(self, key):
        return self._mapping(self._outside)[key]

    def __setitem__(self, key, value):
        self._mapping(self._outside)[key] = value

    def __delitem__(self, key):
        del self._mapping(self._outside)[key]

    def __contains__(self, key):
        return key in self._mapping(self._outside)

    def __iter__(self):
        return iter(list(self._mapping(self._outside)))

    def __len__(self):
        return len(self._mapping(self._outside))

    def get(self, key, default=None):
        return self._mapping(self._outside).get(key, default)

    def keys(self):
        return self._mapping(self._outside).keys()

    def items(self):
        return self._mapping(self._outside).items()

    def values(self):
        return self._mapping(self._outside).values()

    def copy(self):
        return dict(self._mapping(self._outside))

    def __repr__(self):
        return repr(self._mapping(self._outside))


def _in_script_thread():
    return getattr(_state, "env", None) is not None


def _install():
    """Makes os.environ's storage and os.putenv/os.unsetenv answer per thread; once per
    interpreter, at the first CGI request (importing this module changes nothing)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        routed = _ThreadEnviron(os.environ._data)
        os.environ._data = routed
        if getattr(os, "environb", None) is not None:
            os.environb._data = routed
        putenv, unsetenv = os.putenv, os.unsetenv

        def thread_putenv(key, value):
            if not _in_script_thread():
                putenv(key, value)

        def thread_unsetenv(key):
            if not _in_script_thread():
                unsetenv(key)

        os.putenv, os.unsetenv = thread_putenv, thread_unsetenv
        _installed = True


def _route(name):
    """Puts a _ThreadStream in place of sys.<name>, over whatever is there now."""
    current = getattr(sys, name)
    if not isinstance(current, _ThreadStream):
        setattr(sys, name, _ThreadStream(name, current))


def _script(req):
    filename = req.subprocess_env.get("SCRIPT_FILENAME") or req.filename
    if not filename or not os.path.isfile(filename):
        raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
    return filename


def _drop_helpers(directory, before):
    """Forgets the modules the script imported from its own directory."""
    prefix = os.path.join(directory, "")
    for name, module in list(sys.modules.items()):
        if name in before:
            continue
        path = getattr(module, "__file__", None) or ""
        if path.startswith(prefix):
            sys.modules.pop(name, None)


def _run(filename):
    """Runs the script as 3.5 did: a module named after its file."""
    base = os.path.basename(filename)
    with open(filename, "rb") as f:
        code = compile(f.read(), filename, "exec")
    name = os.path.splitext(base)[0]
    namespace = {"__name__": name, "__file__": filename, "__builtins__": __builtins__}
    try:
        exec(code, namespace)
    except SystemExit as e:
        # The usual end of a CGI script: sys.exit() or sys.exit(0) is a normal end.
        if e.code not in (None, 0):
            raise


def handler(req):
    filename = _script(req)
    _install()
    env = apache.build_cgi_env(req)
    encode_key, encode_value = os.environ.encodekey, os.environ.encodevalue
    stdout = apache.CGIStdout(req)
    with _cwd_lock:
        _route("stdout")
        _route("stdin")
        _state.env = {encode_key(k): encode_value(v) for k, v in env.items()}
        _state.streams = {"stdout": stdout, "stdin": apache.CGIStdin(req)}
        before = set(sys.modules)
        cwd = os.getcwd()
        directory = os.path.dirname(filename)
        try:
            os.chdir(directory)
            _run(filename)
        finally:
            _state.env = None
            _state.streams = None
            os.chdir(cwd)
            _drop_helpers(directory, before)
    return apache.OK
