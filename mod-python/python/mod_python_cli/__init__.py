"""The `mod_python` command.

`mod_python serve app.py` runs the system's httpd with mod_python.so on an application, a
handler module or a directory of pages, in the foreground, with a configuration made for it;
`mod_python module-config` prints the lines that load the module into an httpd of one's own;
`create`, `genconfig`, `start`, `stop`, `restart` and `version` are mod_python 3.5's commands.

This package is not part of mod_python.so: it runs in an ordinary Python process, next to the
module it starts httpd with.
"""
