"""The command line: `mod_python COMMAND [options]`, each command's arguments, and how a
failure is reported (one message, exit status 1, no traceback)."""

import argparse
import os
import platform
import sys
from pathlib import Path

from mod_python_cli import httpd, installation, serve, skeleton
from mod_python_cli.confgen import Options
from mod_python_cli.errors import CliError

DESCRIPTION = """\
Serve a Python web application with Apache httpd and mod_python, or manage an httpd that
loads mod_python.

  mod_python serve app.py          a WSGI application, or a mod_python handler module
  mod_python serve pkg.mod::app    a callable in an importable module
  mod_python serve site/           published modules (.py) and Python Server Pages (.psp)
  mod_python module-config         the lines that load mod_python into an httpd of your own
"""


def cmd_serve(args):
    opts = Options(
        host=args.host,
        port=args.port,
        mpm=args.mpm,
        processes=args.processes,
        threads=args.threads if args.threads is not None else (1 if args.mpm == "prefork" else 5),
        url_aliases=[(url, Path(path).resolve()) for url, path in args.url_alias],
        document_root=Path(args.document_root).resolve() if args.document_root else None,
        debug=args.debug,
        interpreter_gil=args.interpreter_gil,
        free_threading=args.free_threading == "on",
        log_level=args.log_level,
        user=args.user,
        group=args.group,
    )
    return serve.run(
        args.target,
        opts,
        python_path=args.python_path,
        server_root=args.server_root,
        setup_only=args.setup_only,
        reload_code=not args.no_reload,
    )


def cmd_module_config(args):
    for line in (installation.load_module_line(), *installation.python_environment_lines()):
        print(line)
    return 0


def cmd_create(args):
    python_path = [p for p in args.pythonpath.split(":") if p]
    options = list(args.pythonoption)
    if args.pythonhandler == "mod_python.wsgi" and not any(
        o.startswith("mod_python.wsgi.application") for o in options
    ):
        print(
            "mod_python: add --pythonoption 'mod_python.wsgi.application module::callable'",
            file=sys.stderr,
        )
    script = skeleton.create(args.directory, args.listen, python_path, args.pythonhandler, options)
    conf = script.parent / "httpd.conf"
    print(f"Created {script.parent.parent}.")
    print(f"The configuration is the script {script}; after editing it, run:")
    print(f"    mod_python genconfig {script} > {conf}")
    print(f"Start the server with: mod_python start {conf}")
    return 0


def cmd_genconfig(args):
    sys.stdout.write(skeleton.run_script(args.script))
    return 0


def cmd_start(args):
    httpd.control(args.conf, "start")


def cmd_stop(args):
    httpd.control(args.conf, "graceful-stop")


def cmd_restart(args):
    httpd.control(args.conf, "graceful")


def cmd_version(args):
    binary = httpd.binary()
    details = httpd.details(binary)
    try:
        module = repr(str(installation.module_path()))
    except CliError as e:
        module = str(e)
    rows = [
        ("mod_python", installation.version(), module),
        ("python", " ".join(sys.version.split()), repr(sys.executable)),
        ("httpd", details.get("Server version", "?"), repr(str(binary))),
        ("apr", details.get("APR", "?"), None),
        ("platform", platform.platform(), None),
    ]
    for name, value, where in rows:
        print(f"{name + ':':<13}{value}")
        if where:
            print(f"{'':<13}{where}")
    return 0


def parser():
    top = argparse.ArgumentParser(
        prog="mod_python",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("serve", help="run httpd in the foreground on an application (Ctrl-C stops)")
    p.add_argument(
        "target",
        metavar="TARGET",
        help="app.py, app.py::callable, package.module[::callable], or a directory",
    )
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for every one)",
    )
    p.add_argument(
        "--mpm",
        default="event",
        choices=("event", "worker", "prefork"),
        help="httpd's processing model (default event)",
    )
    p.add_argument("--processes", type=int, default=1, help="child processes (default 1)")
    p.add_argument(
        "--threads", type=int, default=None, help="threads per process (default 5; 1 under prefork)"
    )
    p.add_argument(
        "--python-path",
        action="append",
        default=[],
        metavar="DIR",
        help="a directory to put on sys.path (repeatable)",
    )
    p.add_argument(
        "--url-alias",
        nargs=2,
        action="append",
        default=[],
        metavar=("URL", "PATH"),
        help="serve the files of PATH at URL (repeatable)",
    )
    p.add_argument(
        "--document-root",
        metavar="DIR",
        help="static files served where they exist, ahead of the application",
    )
    p.add_argument(
        "--server-root",
        metavar="DIR",
        help="where to write httpd.conf (default: a temporary directory, removed at exit)",
    )
    p.add_argument(
        "--setup-only",
        action="store_true",
        help="write the configuration and say how to start it; do not start",
    )
    p.add_argument(
        "--no-reload", action="store_true", help="do not restart httpd when a .py file changes"
    )
    p.add_argument("--debug", action="store_true", help="PythonDebug On: tracebacks in the browser")
    p.add_argument(
        "--interpreter-gil",
        choices=("shared", "own"),
        default="shared",
        help="PythonInterpreterGIL: 'own' gives the application's interpreter a GIL of its own "
        "(CPython 3.12 or later; default shared)",
    )
    p.add_argument(
        "--free-threading",
        choices=("off", "on"),
        default="off",
        help="PythonFreeThreading: 'on' runs Python without its GIL, so that the application's "
        "requests run in parallel on the threads of a process (a free-threaded CPython, "
        "3.13t or later; default off)",
    )
    p.add_argument("--log-level", default="warn", help="httpd's LogLevel (default warn)")
    p.add_argument(
        "--user", help="the user httpd's children run as when started as root (default www-data)"
    )
    p.add_argument("--group", help="their group (default: the user's)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "module-config", help="print the lines that load mod_python into an existing httpd"
    )
    p.set_defaults(func=cmd_module_config)

    p = sub.add_parser(
        "create", help="make a server directory with a Python-made configuration (mod_python 3.5)"
    )
    p.add_argument("directory", help="the new ServerRoot")
    p.add_argument("--listen", default="8888", help="[address:]port for Listen (default 8888)")
    p.add_argument("--pythonpath", default="", help="colon-separated directories for PythonPath")
    p.add_argument(
        "--pythonhandler", required=True, help="the PythonHandler, e.g. mod_python.wsgi or mymodule"
    )
    p.add_argument(
        "--pythonoption",
        action="append",
        default=[],
        help="a PythonOption 'key value' (repeatable)",
    )
    p.set_defaults(func=cmd_create)

    p = sub.add_parser(
        "genconfig", help="run a configuration script made by create; prints httpd.conf"
    )
    p.add_argument("script", help="conf/httpd_conf.py")
    p.set_defaults(func=cmd_genconfig)

    for name, func, what in (
        ("start", cmd_start, "start httpd with a configuration file"),
        ("stop", cmd_stop, "stop it gracefully (graceful-stop)"),
        ("restart", cmd_restart, "restart it gracefully (graceful)"),
    ):
        p = sub.add_parser(name, help=what)
        p.add_argument("conf", help="httpd.conf")
        p.set_defaults(func=func)

    p = sub.add_parser("version", help="versions and locations of mod_python, Python and httpd")
    p.set_defaults(func=cmd_version)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except CliError as e:
        print(f"mod_python: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `mod_python module-config | head -1`: the reader left; nothing to report.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
