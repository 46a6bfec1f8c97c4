"""The system's httpd: where its binary and its modules are, what version it is, and starting and
stopping one by its configuration file."""

import os
import shutil
import subprocess
from pathlib import Path

from mod_python_cli.errors import CliError
from mod_python_cli.installation import build_info

INSTALL_HINT = "install it with: sudo apt-get install apache2 (on Fedora: sudo dnf install httpd)"
BINARY_NAMES = ("apache2", "httpd")
MODULE_DIRS = ("/usr/lib/apache2/modules", "/usr/lib64/httpd/modules", "/usr/lib/httpd/modules")


def _apxs(var):
    """`apxs -q VAR`; apxs comes with apache2-dev, which a server need not have."""
    tool = shutil.which("apxs") or shutil.which("apxs2")
    if not tool:
        return None
    try:
        out = subprocess.run([tool, "-q", var], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def binary():
    """The httpd to run: `$HTTPD`, else the one the module was built against, else one found in
    apxs's SBINDIR, on PATH or in /usr/sbin."""
    given = os.environ.get("HTTPD")
    if given:
        if not os.access(given, os.X_OK):
            raise CliError(f"httpd is not installed at {given} (named by $HTTPD); {INSTALL_HINT}")
        return Path(given)
    candidates = [build_info().get("httpd")]
    sbindir = _apxs("SBINDIR")
    for name in BINARY_NAMES:
        candidates += [sbindir and os.path.join(sbindir, name), shutil.which(name)]
        candidates.append(os.path.join("/usr/sbin", name))
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return Path(c)
    raise CliError(f"httpd is not installed; {INSTALL_HINT}")


def modules_dir():
    """Where httpd's own modules (mod_mpm_event.so, mod_mime.so, ...) are."""
    candidates = [os.environ.get("APACHE_MODULES_DIR"), build_info().get("libexecdir")]
    candidates += [_apxs("LIBEXECDIR"), *MODULE_DIRS]
    for c in candidates:
        if c and os.path.isfile(os.path.join(c, "mod_mime.so")):
            return Path(c)
    raise CliError(f"httpd's modules (mod_mime.so, the MPMs) were not found; {INSTALL_HINT}")


def system_module(name):
    """The path of one of httpd's own modules (`mod_mpm_event.so`), which must exist."""
    path = modules_dir() / name
    if not path.is_file():
        raise CliError(f"{path} does not exist: this httpd lacks {name}")
    return path


def details(httpd):
    """`httpd -V`'s answers: {'Server version': 'Apache/2.4.62 (Debian)', 'APR': '1.7.2', ...}."""
    try:
        out = subprocess.run([str(httpd), "-V"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        raise CliError(f"{httpd} -V failed: {e}") from None
    found = {}
    for line in out.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith(" "):
            found[key.strip()] = value.strip()
    loaded = found.get("Server loaded", "")
    for part in loaded.split(","):
        words = part.split()
        if len(words) == 2:
            found[words[0]] = words[1]
    return found


def control(conf, action):
    """Runs `httpd -f CONF -k ACTION` (start, graceful, graceful-stop) in place of this process,
    as apachectl does."""
    conf = Path(conf).resolve()
    if not conf.is_file():
        raise CliError(f"{conf} does not exist")
    httpd = str(binary())
    os.execv(httpd, [httpd, "-f", str(conf), "-k", action])
