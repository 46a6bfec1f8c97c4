"""Builds mod_python.so for the Python that runs this build, and packages it.

pip runs this file with the interpreter of the environment it installs into (its build
isolation adds the build requirements to that interpreter's path; it does not change the
interpreter), so `sys.executable` is the Python the module must link and `sys.prefix` the
virtual environment, if any, the module is for.

The module is a plain shared library that httpd loads with LoadModule, not a Python extension:
setuptools-rust builds it with no Python bindings, and it is installed as
`mod_python_cli/mod_python.so`, where the `mod_python` command finds it.
"""

import hashlib
import os
import pprint
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools_rust import Binding, RustExtension
from setuptools_rust.build import build_rust

HERE = Path(__file__).resolve().parent
MODULE_FILE = "mod_python.so"


def workspace_root():
    """The cargo workspace this crate belongs to (the checkout), or the crate itself."""
    parent = HERE.parent / "Cargo.toml"
    if parent.exists() and "[workspace]" in parent.read_text():
        return HERE.parent
    return HERE


def crate_version():
    """The version the crate declares, from the workspace's `[workspace.package]`."""
    text = (workspace_root() / "Cargo.toml").read_text()
    section = re.search(r"^\[workspace\.package\]$(.*?)(^\[|\Z)", text, re.M | re.S)
    found = re.search(r'^version\s*=\s*"([^"]+)"', section.group(1) if section else text, re.M)
    if not found:
        sys.exit("setup.py: no version in Cargo.toml")
    return found.group(1)


def virtual_env():
    """The virtual environment being installed into, or None for a system or user install."""
    return sys.prefix if sys.prefix != sys.base_prefix else None


def cargo_target_dir():
    """A target directory of this interpreter's own: the module links one Python and records one
    environment, so builds for two environments sharing one directory would rebuild each other's
    dependencies every time."""
    key = hashlib.sha256(sys.executable.encode()).hexdigest()[:12]
    name = f"{Path(sys.prefix).name}-py{sys.version_info[0]}{sys.version_info[1]}-{key}"
    return workspace_root() / "target" / "pip" / name


def cargo_env():
    """The environment cargo runs in: this Python, never one found on PATH or left in the
    caller's environment."""
    env = dict(os.environ)
    env["PYO3_PYTHON"] = sys.executable
    # An extension-module build would leave libpython unlinked; httpd would not load the module.
    env.pop("PYO3_BUILD_EXTENSION_MODULE", None)
    env.pop("PYO3_CONFIG_FILE", None)
    home = virtual_env()
    if home:
        env["MOD_PYTHON_DEFAULT_HOME"] = home
    else:
        env.pop("MOD_PYTHON_DEFAULT_HOME", None)
    env.setdefault("CARGO_TARGET_DIR", str(cargo_target_dir()))
    # pyo3's deferred-decref pool must be off (see the workspace's .cargo/config.toml, which a
    # build outside the checkout, or one with RUSTFLAGS set, does not apply).
    flags = env.get("RUSTFLAGS", "")
    if "pyo3_disable_reference_pool" not in flags:
        env["RUSTFLAGS"] = f"{flags} --cfg pyo3_disable_reference_pool".strip()
    return env


def apxs(var):
    """`apxs -q VAR`, or None without apache2-dev."""
    tool = os.environ.get("APXS") or shutil.which("apxs") or shutil.which("apxs2")
    if not tool:
        return None
    try:
        out = subprocess.run([tool, "-q", var], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def build_info():
    """What `mod_python version` reports and where the command looks first for httpd."""
    sbindir = apxs("SBINDIR")
    httpd = None
    for name in ("apache2", "httpd"):
        if sbindir and os.path.exists(os.path.join(sbindir, name)):
            httpd = os.path.join(sbindir, name)
            break
    return {
        "version": crate_version(),
        "python": sys.executable,
        "python_version": sys.version.split()[0],
        "python_home": virtual_env(),
        "httpd": httpd,
        "libexecdir": apxs("LIBEXECDIR"),
        "sysconfdir": apxs("SYSCONFDIR"),
    }


class build_module(build_rust):
    """Installs the library as `mod_python.so`: httpd's name for it, not an extension's."""

    def get_dylib_ext_path(self, ext, target_fname):
        path = super().get_dylib_ext_path(ext, target_fname)
        return os.path.join(os.path.dirname(path), MODULE_FILE)


class build_py_with_info(build_py):
    """Writes `mod_python_cli/_build_info.py` into the build, not into the source tree."""

    def run(self):
        super().run()
        dest = Path(self.build_lib) / "mod_python_cli" / "_build_info.py"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(
            '"""Recorded by setup.py when this package was built."""\n\n'
            f"INFO = {pprint.pformat(build_info())}\n"
        )


setup(
    version=crate_version(),
    rust_extensions=[
        RustExtension(
            # Only the target's directory is used: the file is named by build_module.
            "mod_python_cli.mod_python",
            path=str(HERE / "Cargo.toml"),
            binding=Binding.NoBinding,
            env=cargo_env(),
        )
    ],
    cmdclass={"build_rust": build_module, "build_py": build_py_with_info},
)
