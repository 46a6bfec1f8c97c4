"""Loaded by mod_python.so into each interpreter before anything else: serves the mod_python
package from the sources compiled into the module, ahead of sys.path, so another installed
mod_python (Debian's C one) is never imported by mistake."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType


class EmbeddedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and loads the modules of the mod_python package from their compiled-in source."""

    def __init__(self, sources: dict[str, tuple[str, bool]]) -> None:
        # name -> (source text, is_package)
        self.sources = sources

    def find_spec(
        self,
        name: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if name in self.sources:
            return importlib.util.spec_from_loader(
                name, self, is_package=self.sources[name][1])
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        source, is_package = self.sources[module.__name__]
        filename = "<mod_python.so>/" + module.__name__.replace(".", "/")
        filename += "/__init__.py" if is_package else ".py"
        module.__file__ = filename
        if is_package:
            module.__path__ = []
        exec(compile(source, filename, "exec"), module.__dict__)


def install(sources: dict[str, tuple[str, bool]]) -> None:
    """Puts the finder first on sys.meta_path, once per interpreter."""
    for finder in sys.meta_path:
        if isinstance(finder, EmbeddedFinder) or type(finder).__name__ == "EmbeddedFinder":
            return
    sys.meta_path.insert(0, EmbeddedFinder(sources))
