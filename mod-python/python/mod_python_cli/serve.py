"""`mod_python serve`: httpd in the foreground on one application, restarted gracefully when its
code changes, stopped by Ctrl-C."""

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mod_python_cli import confgen, httpd, installation, target
from mod_python_cli.errors import CliError
from mod_python_cli.permissions import check_readable
from mod_python_cli.watch import Watcher

START_SECONDS = 30
STOP_SECONDS = 15
POLL_SECONDS = 1.0


def say(message):
    """The command's own messages go to stderr with the error log; stdout carries the access
    log."""
    print(f"mod_python: {message}", file=sys.stderr, flush=True)


class Stop(Exception):
    """Raised in the main loop by SIGTERM and SIGHUP, as Ctrl-C raises KeyboardInterrupt."""


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def check_port_free(host, port):
    """Fails clearly when something already listens where httpd is to listen."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # As httpd binds: a connection of an earlier server lingering in TIME_WAIT is no obstacle.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise CliError(
                    f"port {port} on {host} is in use: stop what listens there, or choose"
                    " another with --port"
                ) from None
            if e.errno == errno.EACCES:
                raise CliError(
                    f"port {port} needs root to listen on: choose one above 1023 with --port"
                ) from None
            raise CliError(f"cannot listen on {host}:{port}: {e.strerror}") from None


def answers(host, port):
    """Whether httpd accepts connections yet."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def prepare_root(server_root):
    """The ServerRoot: the one given, else a new temporary directory. httpd's children may run
    as another user: they must be able to reach it."""
    if server_root is not None:
        root = Path(server_root).resolve()
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = Path(tempfile.mkdtemp(prefix="mod_python-"))
    for d in (root, root / "run", root / "logs", root / "htdocs"):
        d.mkdir(exist_ok=True)
        os.chmod(d, 0o755)
    return root


def write_config(root, app, opts):
    conf = root / "httpd.conf"
    conf.write_text(confgen.server_config(root, app, opts))
    return conf


def start(conf, root):
    """httpd in the foreground, in a process group of its own: Ctrl-C reaches this command,
    which stops httpd in order, and not httpd's children in the middle of a request."""
    binary = httpd.binary()
    return subprocess.Popen(
        [str(binary), "-d", str(root), "-f", str(conf), "-DFOREGROUND"],
        stdin=subprocess.DEVNULL,
        process_group=0,
    )


def wait_until_serving(proc, opts):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CliError(
                f"httpd did not start (exit status {proc.returncode}); its messages are above"
            )
        if answers(opts.host, opts.port):
            return
        time.sleep(0.1)
    raise CliError(f"httpd did not answer on {confgen.address(opts)} within {START_SECONDS} s")


def stop(proc):
    """SIGTERM, as `httpd -k stop`: children end, the parent exits. The whole group is killed
    if it has not within STOP_SECONDS."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        say(f"httpd did not stop within {STOP_SECONDS} s; killing it")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def reload(proc, app, changed):
    """A graceful restart (SIGUSR1): each child finishes its requests and is replaced by one
    that imports the code afresh. A module that no longer imports is reported here, as the
    browser would only show a 500."""
    shown = ", ".join(os.path.basename(p) for p in changed[:3])
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    say(f"{shown}{more} changed: restarting httpd")
    if app.kind != target.SITE:
        answer = target.probe(app.module, app.python_dirs, [app.callable])
        if not answer["ok"]:
            say(str(target.import_error(app.module, answer)))
    proc.send_signal(signal.SIGUSR1)


def sizing(opts):
    """`event MPM, 2 processes of 5 threads`."""
    processes = f"{opts.processes} process{'es' if opts.processes > 1 else ''}"
    threads = f"{opts.threads} thread{'s' if opts.threads > 1 else ''}"
    return f"{opts.mpm} MPM, {processes} of {threads}"


def run(spec, opts, python_path=(), server_root=None, setup_only=False, reload_code=True):
    """Serves `spec` until Ctrl-C; returns the exit status."""
    # What is missing from the machine is said before anything about the application.
    httpd.binary()
    installation.module_path()
    app = target.resolve(spec, python_path)
    keep = setup_only or server_root is not None
    if setup_only:
        root = prepare_root(server_root)
        opts.log_dir = root / "logs"
        conf = write_config(root, app, opts)
        say(f"configuration for {app.describe()} written to {conf}")
        print(f"start:  mod_python start {conf}")
        print(f"        (in the foreground: {httpd.binary()} -d {root} -f {conf} -DFOREGROUND)")
        print(f"stop:   mod_python stop {conf}")
        print(f"logs:   {root / 'logs'}")
        return 0
    check_port_free(opts.host, opts.port)
    root = prepare_root(server_root)
    try:
        conf = write_config(root, app, opts)
        check_readable(conf, app, opts)
        return _serve(conf, root, app, opts, reload_code)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def _serve(conf, root, app, opts, reload_code):
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    # Ctrl-C stops the server even when the shell started this command with SIGINT ignored
    # (`mod_python serve ... &` in a script), as a `kill -INT` then means it.
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    proc = None
    try:
        proc = start(conf, root)
        wait_until_serving(proc, opts)
        url = f"http://{confgen.address(opts)}/"
        say(f"serving {app.describe()} at {url} ({sizing(opts)}); Ctrl-C stops")
        watcher = Watcher(app.watch_dirs) if reload_code else None
        while proc.poll() is None:
            time.sleep(POLL_SECONDS)
            changed = watcher.changes() if watcher else []
            if changed and proc.poll() is None:
                reload(proc, app, changed)
        say(f"httpd exited (status {proc.returncode})")
        return proc.returncode or 1
    except (KeyboardInterrupt, Stop):
        say("stopping httpd")
        return 0
    finally:
        # A second Ctrl-C must not cut the stop short and leave httpd running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if proc is not None:
            stop(proc)
        for s, handler in previous.items():
            signal.signal(s, handler)
