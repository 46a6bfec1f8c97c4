"""mod_python 3.5's `create` and `genconfig`: a server directory whose configuration is a Python
script, run to produce httpd.conf.

`create DIR` makes DIR/conf, DIR/logs and DIR/htdocs, writes DIR/conf/httpd_conf.py (the file
to edit) and generates DIR/conf/httpd.conf from it. `genconfig` runs such a script again.
"""

import contextlib
import io
import runpy
import sys
from pathlib import Path

from mod_python_cli import httpd
from mod_python_cli.confgen import Options, account_lines
from mod_python_cli.errors import CliError
from mod_python_cli.installation import load_module_line, python_environment_lines

SCRIPT_NAME = "httpd_conf.py"

# The script `create` writes. Plain Python that prints a configuration: edit the settings or
# the text, then run `mod_python genconfig conf/httpd_conf.py > conf/httpd.conf`.
SCRIPT = r'''"""httpd configuration for @ROOT@, made by `mod_python create`.

Edit this file, then regenerate httpd.conf from it:
    mod_python genconfig @SCRIPT@ > @CONF@
"""

SERVER_ROOT = @ROOT_REPR@
LISTEN = @LISTEN@
PYTHON_HANDLER = @HANDLER@
PYTHON_OPTIONS = @OPTIONS@
# Loading mod_python.so and, for a virtual environment, its packages.
MODULE_LINES = @MODULE_LINES@
MODULES_DIR = @MODULES@
# The account httpd's children serve as when it is started as root (None otherwise).
USER = @USER@


def config():
    lines = [
        "ServerRoot " + quote(SERVER_ROOT),
        "Listen " + LISTEN,
        "ServerName " + (LISTEN if ":" in LISTEN else "localhost:" + LISTEN),
        "PidFile logs/httpd.pid",
        "LoadModule mpm_event_module " + quote(MODULES_DIR + "/mod_mpm_event.so"),
        "LoadModule authz_core_module " + quote(MODULES_DIR + "/mod_authz_core.so"),
        "LoadModule mime_module " + quote(MODULES_DIR + "/mod_mime.so"),
        "LoadModule dir_module " + quote(MODULES_DIR + "/mod_dir.so"),
        "TypesConfig /etc/mime.types",
        "ErrorLog logs/error_log",
        "LogLevel warn",
        'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common',
        "CustomLog logs/access_log common",
        "DocumentRoot " + quote(SERVER_ROOT + "/htdocs"),
        "<Directory />",
        "    Require all denied",
        "</Directory>",
        *MODULE_LINES,
        "<Location />",
        "    SetHandler mod_python",
        "    PythonHandler " + PYTHON_HANDLER,
        *("    PythonOption " + option for option in PYTHON_OPTIONS),
        "    Require all granted",
        "</Location>",
    ]
    if USER:
        lines += ["User " + USER[0], "Group " + USER[1]]
    return "\n".join(lines) + "\n"


def quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


if __name__ == "__main__":
    print(config(), end="")
'''


def create(dest, listen, python_path, handler, options):
    """Makes the server directory; returns the script's path. Existing directories are kept,
    and nothing is overwritten: an existing script stops it."""
    root = Path(dest).resolve()
    conf_dir = root / "conf"
    script = conf_dir / SCRIPT_NAME
    conf = conf_dir / "httpd.conf"
    if script.exists():
        raise CliError(f"{script} exists already: edit it and run `mod_python genconfig`")
    for d in (root, conf_dir, root / "logs", root / "htdocs"):
        if d.exists():
            print(f"mod_python: {d} exists, kept", file=sys.stderr)
        d.mkdir(parents=True, exist_ok=True)
    account = [line.split()[1] for line in account_lines(Options())]
    values = {
        "@ROOT@": str(root),
        "@SCRIPT@": str(script),
        "@CONF@": str(conf),
        "@ROOT_REPR@": repr(str(root)),
        "@LISTEN@": repr(listen),
        "@HANDLER@": repr(handler),
        "@OPTIONS@": repr(list(options)),
        "@MODULE_LINES@": repr([load_module_line(), *python_environment_lines(python_path)]),
        "@MODULES@": repr(str(httpd.modules_dir())),
        "@USER@": repr(tuple(account) or None),
    }
    text = SCRIPT
    for key, value in values.items():
        text = text.replace(key, value)
    script.write_text(text)
    if conf.exists():
        print(f"mod_python: {conf} exists, kept; regenerate it with genconfig", file=sys.stderr)
    else:
        conf.write_text(run_script(script))
    return script


def run_script(path):
    """What a configuration script prints, run by this Python as 3.5's genconfig did."""
    path = Path(path)
    if not path.is_file():
        raise CliError(f"{path} does not exist")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name="__main__")
    return out.getvalue()
