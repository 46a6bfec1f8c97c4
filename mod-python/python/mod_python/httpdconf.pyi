# Types of mod_python.httpdconf for editors and type checkers: httpd configuration written as
# Python objects (str() is the httpd.conf text, repr() the Python that makes it again).

from collections.abc import Sequence
from typing import TypeAlias

class Directive:
    name: str
    val: str
    indent: int
    flipslash: int
    def __init__(self, name: str, val: str, flipslash: int = 1) -> None: ...

class Comment:
    comment: str
    indent: int
    def __init__(self, comment: str) -> None: ...

class ContainerTag:
    tag: str
    attr: str
    args: Sequence[_Item]
    indent: int
    flipslash: int
    def __init__(self, tag: str, attr: str, args: Sequence[_Item], flipslash: int = 1) -> None: ...

class Container:
    args: list[_Item]
    indent: int
    # A Python expression: the container is left out of the text when it is false.
    only_if: str | None
    def __init__(self, *args: _Item, only_if: str | None = None) -> None: ...
    def append(self, value: _Item) -> None: ...

# What a Container or a section holds.
_Item: TypeAlias = Directive | Container | ContainerTag | Comment

# httpd 2.2's LockFile.
class LockFile(Directive):
    def __init__(self, val: str) -> None: ...

# A class for each directive of 3.5's list, made with the directive's value.

class AddHandler(Directive):
    def __init__(self, val: str) -> None: ...

class AddOutputFilter(Directive):
    def __init__(self, val: str) -> None: ...

class AddType(Directive):
    def __init__(self, val: str) -> None: ...

class AuthBasicAuthoritative(Directive):
    def __init__(self, val: str) -> None: ...

class AuthBasicProvider(Directive):
    def __init__(self, val: str) -> None: ...

class AuthName(Directive):
    def __init__(self, val: str) -> None: ...

class AuthType(Directive):
    def __init__(self, val: str) -> None: ...

class CustomLog(Directive):
    def __init__(self, val: str) -> None: ...

class DirectoryIndex(Directive):
    def __init__(self, val: str) -> None: ...

class DocumentRoot(Directive):
    def __init__(self, val: str) -> None: ...

class ErrorLog(Directive):
    def __init__(self, val: str) -> None: ...

class KeepAliveTimeout(Directive):
    def __init__(self, val: str) -> None: ...

class Listen(Directive):
    def __init__(self, val: str) -> None: ...

class LoadModule(Directive):
    def __init__(self, val: str) -> None: ...

class LogFormat(Directive):
    def __init__(self, val: str) -> None: ...

class LogLevel(Directive):
    def __init__(self, val: str) -> None: ...

class MaxClients(Directive):
    def __init__(self, val: str) -> None: ...

class MaxConnectionsPerChild(Directive):
    def __init__(self, val: str) -> None: ...

class MaxRequestsPerChild(Directive):
    def __init__(self, val: str) -> None: ...

class MaxSpareServers(Directive):
    def __init__(self, val: str) -> None: ...

class MaxSpareThreads(Directive):
    def __init__(self, val: str) -> None: ...

class MaxThreadsPerChild(Directive):
    def __init__(self, val: str) -> None: ...

class MinSpareThreads(Directive):
    def __init__(self, val: str) -> None: ...

class Mutex(Directive):
    def __init__(self, val: str) -> None: ...

class NameVirtualHost(Directive):
    def __init__(self, val: str) -> None: ...

class NumServers(Directive):
    def __init__(self, val: str) -> None: ...

class Options(Directive):
    def __init__(self, val: str) -> None: ...

class PidFile(Directive):
    def __init__(self, val: str) -> None: ...

class PythonAccessHandler(Directive):
    def __init__(self, val: str) -> None: ...

class PythonAuthenHandler(Directive):
    def __init__(self, val: str) -> None: ...

class PythonAuthzHandler(Directive):
    def __init__(self, val: str) -> None: ...

class PythonCleanupHandler(Directive):
    def __init__(self, val: str) -> None: ...

class PythonConnectionHandler(Directive):
    def __init__(self, val: str) -> None: ...

class PythonDebug(Directive):
    def __init__(self, val: str) -> None: ...

class PythonFixupHandler(Directive):
    def __init__(self, val: str) -> None: ...

class PythonHandler(Directive):
    def __init__(self, val: str) -> None: ...

class PythonImport(Directive):
    def __init__(self, val: str) -> None: ...

class PythonOption(Directive):
    def __init__(self, val: str) -> None: ...

class PythonOutputFilter(Directive):
    def __init__(self, val: str) -> None: ...

class PythonPath(Directive):
    def __init__(self, val: str) -> None: ...

class PythonPostReadRequestHandler(Directive):
    def __init__(self, val: str) -> None: ...

class PythonTransHandler(Directive):
    def __init__(self, val: str) -> None: ...

class Require(Directive):
    def __init__(self, val: str) -> None: ...

class ServerAdmin(Directive):
    def __init__(self, val: str) -> None: ...

class ServerName(Directive):
    def __init__(self, val: str) -> None: ...

class ServerPath(Directive):
    def __init__(self, val: str) -> None: ...

class ServerRoot(Directive):
    def __init__(self, val: str) -> None: ...

class SetHandler(Directive):
    def __init__(self, val: str) -> None: ...

class StartServers(Directive):
    def __init__(self, val: str) -> None: ...

class StartThreads(Directive):
    def __init__(self, val: str) -> None: ...

class ThreadsPerChild(Directive):
    def __init__(self, val: str) -> None: ...

class Timeout(Directive):
    def __init__(self, val: str) -> None: ...

class TypesConfig(Directive):
    def __init__(self, val: str) -> None: ...

# 3.5 defaults these two to Off.
class PythonInterpPerDirectory(Directive):
    def __init__(self, val: str = "Off") -> None: ...

class PythonInterpPerDirective(Directive):
    def __init__(self, val: str = "Off") -> None: ...

# Sections, made with their argument and what they hold.

class Directory(ContainerTag):
    def __init__(self, attr: str, *args: _Item) -> None: ...

class Files(ContainerTag):
    def __init__(self, attr: str, *args: _Item) -> None: ...

class IfModule(ContainerTag):
    def __init__(self, attr: str, *args: _Item) -> None: ...

class Location(ContainerTag):
    def __init__(self, attr: str, *args: _Item) -> None: ...

class VirtualHost(ContainerTag):
    def __init__(self, attr: str, *args: _Item) -> None: ...

def quote_if_space(s: str) -> str: ...

# Writes server_root/conf/conf_name, a Python script printing an httpd.conf; its path, or None
# when it exists already and replace_config is false.
def write_basic_config(
    server_root: str,
    listen: str = "0.0.0.0:8888",
    conf: str = "conf",
    logs: str = "logs",
    htdocs: str = "public",
    pythonhandler: str = "mod_python.publisher",
    pythonpath: Sequence[str] = (),
    pythonoptions: Sequence[str] = (),
    mp_comments: Sequence[str] = (),
    conf_name: str = "httpd_conf.py",
    createdirs: bool = True,
    replace_config: bool = False,
) -> str | None: ...
