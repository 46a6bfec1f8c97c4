# Types of mod_python.python22: an empty module kept so that `from mod_python.python22
# import *` still imports.

__all__: list[str] = []
