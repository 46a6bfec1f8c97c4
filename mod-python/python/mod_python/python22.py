"""mod_python.python22: an empty module, kept so that handlers written long ago, which begin
with `from mod_python.python22 import *`, still import. 3.5's version of it patched builtins
that Python 2.2 lacked; every Python this mod_python runs on has them."""

__all__: list = []
