"""Loaded by mod_python.so into each interpreter before anything else: serves the mod_python
package compiled into the module, ahead of sys.path, so another installed mod_python (Debian's
C one) is never imported by mistake.

Each interpreter of each child runs this, so it imports only light modules: importlib.abc
alone would bring in importlib.resources, pathlib, tempfile and typing, about 15 ms per
interpreter. The finder and loader are a plain class, which is all the import system asks."""

from __future__ import annotations

import importlib.util
import marshal
import sys
from importlib.machinery import ModuleSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import ModuleType


class EmbeddedFinder:
    """Finds and loads the modules of the mod_python package from what the module compiled in:
    their bytecode when the running Python can use it, else their source."""

    def __init__(self, packages: dict[str, bool], load: Callable[[str, bool], bytes | str],
                 magic: bytes) -> None:
        # name -> is a package
        self.packages = packages
        self.load = load
        # The build's bytecode is for this Python's bytecode format, without -O
        # (PythonOptimize On compiles the source instead, so that asserts go).
        self.bytecode = magic == importlib.util.MAGIC_NUMBER and not sys.flags.optimize

    def find_spec(
        self,
        name: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        is_package = self.packages.get(name)
        if is_package is None:
            return None
        # The finder is its own loader without deriving from importlib.abc.Loader (see the
        # module's docstring): the import system asks only for exec_module and create_module.
        return ModuleSpec(name, self, is_package=is_package)  # type: ignore[arg-type]

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        is_package = self.packages[name]
        filename = "<mod_python.so>/" + name.replace(".", "/")
        filename += "/__init__.py" if is_package else ".py"
        module.__file__ = filename
        if is_package:
            module.__path__ = []
        compiled = self.load(name, self.bytecode)
        if isinstance(compiled, bytes):
            code = marshal.loads(compiled)
        else:
            code = compile(compiled, filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)


def install(packages: dict[str, bool], load: Callable[[str, bool], bytes | str],
            magic: bytes) -> None:
    """Puts the finder first on sys.meta_path, once per interpreter. `load(name, bytecode)`
    gives a module's marshalled code object when `bytecode` is true and the build made one,
    else its source; `magic` is the bytecode format the build's Python wrote."""
    for finder in sys.meta_path:
        if type(finder).__name__ == "EmbeddedFinder":
            return
    sys.meta_path.insert(0, EmbeddedFinder(packages, load, magic))
