# Loaded by mod_python.so into each interpreter before anything else: serves the mod_python
# package from the sources compiled into the module, ahead of sys.path, so another installed
# mod_python (Debian's C one) is never imported by mistake.
import sys
import importlib.abc
import importlib.util


class EmbeddedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, sources):
        # name -> (source text, is_package)
        self.sources = sources

    def find_spec(self, name, path=None, target=None):
        if name in self.sources:
            return importlib.util.spec_from_loader(
                name, self, is_package=self.sources[name][1])
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        source, is_package = self.sources[module.__name__]
        filename = "<mod_python.so>/" + module.__name__.replace(".", "/")
        filename += "/__init__.py" if is_package else ".py"
        module.__file__ = filename
        if is_package:
            module.__path__ = []
        exec(compile(source, filename, "exec"), module.__dict__)


def install(sources):
    for finder in sys.meta_path:
        if isinstance(finder, EmbeddedFinder) or type(finder).__name__ == "EmbeddedFinder":
            return
    sys.meta_path.insert(0, EmbeddedFinder(sources))
