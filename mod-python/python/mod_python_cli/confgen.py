"""The httpd.conf `mod_python serve` runs with: a whole server (no other configuration read),
listening where asked, with mod_python.so and the application's sections."""

import grp
import os
import pwd
import re
from dataclasses import dataclass, field
from pathlib import Path

from mod_python_cli import httpd
from mod_python_cli.errors import CliError
from mod_python_cli.installation import httpd_quote, load_module_line, python_environment_lines
from mod_python_cli.target import HANDLER, SITE, WSGI

MPMS = ("event", "worker", "prefork")
ACCESS_FORMAT = '"%h %l %u %t \\"%r\\" %>s %b"'


@dataclass
class Options:
    """`serve`'s options that shape the configuration."""

    host: str = "127.0.0.1"
    port: int = 8000
    mpm: str = "event"
    processes: int = 1
    threads: int = 5
    url_aliases: list[tuple[str, Path]] = field(default_factory=list)
    document_root: Path | None = None
    debug: bool = False
    # PythonInterpreterGIL: "own" only where the module's CPython has PEP 684 (3.12+); httpd
    # refuses it otherwise, with the reason.
    interpreter_gil: str = "shared"
    # PythonFreeThreading On: only where the module's CPython is free-threaded (3.13t); httpd
    # refuses it otherwise, with the reason.
    free_threading: bool = False
    log_level: str = "warn"
    # None: to the terminal (serve); a directory: files there (--setup-only).
    log_dir: Path | None = None
    user: str | None = None
    group: str | None = None


def mpm_lines(opts):
    """The MPM and its sizing: `processes` children of `threads` threads each, all started at
    once and kept (a development server should not fork in the middle of a request)."""
    if opts.mpm not in MPMS:
        raise CliError(f"--mpm {opts.mpm}: choose one of {', '.join(MPMS)}")
    if opts.processes < 1 or opts.threads < 1:
        raise CliError("--processes and --threads must be at least 1")
    module = httpd.system_module(f"mod_mpm_{opts.mpm}.so")
    lines = [f"LoadModule mpm_{opts.mpm}_module {httpd_quote(str(module))}"]
    n, t = opts.processes, opts.threads
    if opts.mpm == "prefork":
        if t != 1:
            raise CliError(
                f"--threads {t}: prefork runs one thread per process; use --processes, or"
                " --mpm event for threads"
            )
        lines += [
            f"StartServers {n}",
            f"MinSpareServers {n}",
            f"MaxSpareServers {n}",
            f"ServerLimit {n}",
            f"MaxRequestWorkers {n}",
        ]
    else:
        lines += [
            f"StartServers {n}",
            f"ServerLimit {n}",
            f"ThreadLimit {t}",
            f"ThreadsPerChild {t}",
            f"MinSpareThreads {t}",
            f"MaxSpareThreads {n * t}",
            f"MaxRequestWorkers {n * t}",
        ]
    return lines


def account_lines(opts):
    """The user and group httpd's children run as, when it starts as root (it refuses to serve
    as root): --user/--group, else www-data, else nobody."""
    if os.geteuid() != 0:
        return []
    user = opts.user or next((u for u in ("www-data", "nobody") if _exists(pwd.getpwnam, u)), None)
    if user is None or not _exists(pwd.getpwnam, user):
        raise CliError(
            f"started as root, httpd serves as another user, and user {user} does not exist:"
            " choose one with --user"
        )
    group = opts.group or grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    if not _exists(grp.getgrnam, group):
        raise CliError(f"group {group} does not exist; choose one with --group")
    return [f"User {user}", f"Group {group}"]


def _exists(lookup, name):
    try:
        lookup(name)
        return True
    except KeyError:
        return False


def log_lines(opts):
    """The error log and the access log: to the terminal, or to files for a server started
    later."""
    if opts.log_dir is None:
        error, access = "/dev/stderr", "/dev/stdout"
    else:
        error, access = str(opts.log_dir / "error_log"), str(opts.log_dir / "access_log")
    return [
        f"ErrorLog {httpd_quote(error)}",
        f"LogLevel {opts.log_level}",
        f"LogFormat {ACCESS_FORMAT} common",
        f"CustomLog {httpd_quote(access)} common",
    ]


def _system_modules(names):
    return [
        f"LoadModule {symbol} {httpd_quote(str(httpd.system_module(file)))}"
        for symbol, file in names
    ]


def app_lines(app, opts):
    """The sections that hand requests to Python."""
    if app.kind == SITE:
        d = httpd_quote(str(app.directory))
        handlers = []
        if app.publisher:
            handlers.append("    PythonHandler mod_python.publisher | .py")
        if app.psp:
            handlers.append("    PythonHandler mod_python.psp | .psp")
        exts = " ".join(e for e, on in ((".py", app.publisher), (".psp", app.psp)) if on)
        return [
            "DirectoryIndex index.html index.psp index.py",
            f"<Directory {d}>",
            f"    AddHandler mod_python {exts}",
            *handlers,
            "</Directory>",
        ]
    if app.kind == WSGI:
        python = [
            "    PythonHandler mod_python.wsgi",
            f"    PythonOption mod_python.wsgi.application {app.module}::{app.callable}",
        ]
    elif app.kind == HANDLER:
        python = [f"    PythonHandler {app.module}::{app.callable}"]
    else:
        raise ValueError(app.kind)
    if opts.document_root is None:
        return [
            "<Location />",
            "    SetHandler mod_python",
            *python,
            "    Require all granted",
            "</Location>",
        ]
    # Files that exist under the document root are served as they are; every other URL, but
    # those of --url-alias, goes to the application (mod_wsgi-express does the same).
    aliases = [
        f'RewriteCond "%{{REQUEST_URI}}" "!^{re.escape(url.rstrip("/"))}(/|$)"'
        for url, _ in opts.url_aliases
    ]
    return [
        "RewriteEngine On",
        'RewriteCond "%{DOCUMENT_ROOT}%{REQUEST_URI}" !-f',
        *aliases,
        "RewriteRule ^ - [H=mod_python]",
        "<Location />",
        *python,
        "    Require all granted",
        "</Location>",
    ]


def alias_lines(opts):
    """--url-alias URL PATH: static files from PATH at URL, ahead of the application."""
    lines = []
    for url, path in opts.url_aliases:
        if not path.exists():
            raise CliError(f"--url-alias {url} {path}: {path} does not exist")
        lines += [
            f"Alias {httpd_quote(url)} {httpd_quote(str(path))}",
            f"<Location {httpd_quote(url)}>",
            "    SetHandler none",
            "    Require all granted",
            "</Location>",
        ]
    return lines


def address(opts):
    """`host:port`, with an IPv6 host in brackets."""
    host = f"[{opts.host}]" if ":" in opts.host else opts.host
    return f"{host}:{opts.port}"


def server_config(root, app, opts):
    """The whole httpd.conf for serving `app` from the server root `root`."""
    if app.kind == SITE and opts.document_root is not None:
        raise CliError(
            "--document-root is for an application; a directory served is its own document root"
        )
    if app.kind == SITE:
        docroot = app.directory
    else:
        docroot = opts.document_root or root / "htdocs"
    modules = [
        ("authz_core_module", "mod_authz_core.so"),
        ("mime_module", "mod_mime.so"),
        ("dir_module", "mod_dir.so"),
    ]
    if opts.url_aliases:
        modules.append(("alias_module", "mod_alias.so"))
    if opts.document_root is not None:
        modules.append(("rewrite_module", "mod_rewrite.so"))
    lines = [
        "# Made by `mod_python serve`: a whole server, reading no other configuration.",
        f"ServerRoot {httpd_quote(str(root))}",
        f"Listen {address(opts)}",
        f"ServerName {address(opts)}",
        f"PidFile {httpd_quote(str(root / 'run' / 'httpd.pid'))}",
        f"DefaultRuntimeDir {httpd_quote(str(root / 'run'))}",
        *mpm_lines(opts),
        *_system_modules(modules),
        *account_lines(opts),
        *log_lines(opts),
    ]
    if Path("/etc/mime.types").is_file():
        lines.append("TypesConfig /etc/mime.types")
    lines += [
        "<Directory />",
        "    Require all denied",
        "    AllowOverride None",
        "</Directory>",
        f"DocumentRoot {httpd_quote(str(docroot))}",
        f"<Directory {httpd_quote(str(docroot))}>",
        "    Require all granted",
        "</Directory>",
        load_module_line(),
        *python_environment_lines(app.python_dirs),
    ]
    if opts.debug:
        lines.append("PythonDebug On")
    if opts.interpreter_gil != "shared":
        lines.append(f"PythonInterpreterGIL {opts.interpreter_gil}")
    if opts.free_threading:
        lines.append("PythonFreeThreading On")
    lines += app_lines(app, opts)
    lines += alias_lines(opts)
    return "\n".join(lines) + "\n"
