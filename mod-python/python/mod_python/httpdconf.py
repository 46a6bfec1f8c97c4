"""mod_python.httpdconf: httpd configuration written as Python objects, as in 3.5.

`str()` of an object is its httpd.conf text; `repr()` is Python that makes it again, so a
configuration can be kept as a Python file (what `write_basic_config` writes) and printed
into an httpd.conf:

    >>> print(Container(Listen('127.0.0.1:8080'),
    ...                 Location('/app', SetHandler('mod_python'),
    ...                          PythonHandler('mod_python.publisher'))))
    Listen 127.0.0.1:8080
    <Location /app>
      SetHandler mod_python
      PythonHandler mod_python.publisher
    </Location>

- `Directive(name, val, flipslash=1)`: one line, `name val`. Each directive of 3.5's list has
  a class named after it taking the value (`Listen('8080')`).
- `ContainerTag(tag, attr, args, flipslash=1)`: a section, `<tag attr>` ... `</tag>`, what it
  holds indented by two; `Directory`, `Files`, `IfModule`, `Location` and `VirtualHost` take
  `(attr, *args)`.
- `Container(*args, only_if=None)`: a sequence with no text of its own, left out when the
  Python expression `only_if` is false.
- `Comment(text)`: `# ` before each line.

With `flipslash` (the default, except for `LogFormat` and `PythonPath`), backslashes become
slashes, so Windows paths work.

This module works outside httpd too (`python3 -c 'from mod_python.httpdconf import *'` with
the package on the path): only `write_basic_config` asks mod_python.version for paths.
"""

import os
import shutil
import sys

import mod_python  # for the `only_if` expressions, which name mod_python.version
import mod_python.version


class Directive:
    """One directive line."""

    def __init__(self, name, val, flipslash=1):
        self.name = name
        self.val = val
        self.indent = 0
        self.flipslash = flipslash

    def _slashes(self, text):
        return text.replace("\\", "/") if self.flipslash else text

    def __repr__(self):
        return self._slashes("%s%s(%r)" % (" " * self.indent, self.name, self.val))

    def __str__(self):
        return self._slashes("%s%s %s\n" % (" " * self.indent, self.name, self.val))


class Comment:
    """Comment lines."""

    def __init__(self, comment):
        self.comment = comment
        self.indent = 0

    def __repr__(self):
        pad = " " * self.indent
        first, *rest = self.comment.splitlines() or [""]
        text = "%sComment(%r" % (pad, first + "\n")
        for line in rest:
            text += "\n%s        %r" % (pad, line + "\n")
        return text + ")"

    def __str__(self):
        pad = " " * self.indent
        return "".join("%s# %s\n" % (pad, line) for line in self.comment.splitlines())


class ContainerTag:
    """A section: `<tag attr>`, what it holds, `</tag>`."""

    def __init__(self, tag, attr, args, flipslash=1):
        self.tag = tag
        self.attr = attr
        self.args = args
        self.indent = 0
        self.flipslash = flipslash

    def __repr__(self):
        pad = " " * self.indent
        text = "%s%s(%r," % (pad, self.tag, self.attr)
        if self.flipslash:
            text = text.replace("\\", "/")
        for arg in self.args:
            arg.indent = self.indent + 4
            text += "\n%r," % (arg,)
        return text + "\n%s)" % pad

    def __str__(self):
        pad = " " * self.indent
        text = "%s<%s %s>\n" % (pad, self.tag, self.attr)
        if self.flipslash:
            text = text.replace("\\", "/")
        for arg in self.args:
            arg.indent = self.indent + 2
            text += str(arg)
        return text + "%s</%s>\n" % (pad, self.tag)


class Container:
    """A sequence of directives, sections and comments, with no text of its own; `only_if`, a
    Python expression, leaves it out of the text when false."""

    def __init__(self, *args, **kwargs):
        self.args = list(args)
        self.indent = 0
        self.only_if = kwargs.get("only_if")

    def append(self, value):
        if not isinstance(value, (Directive, Container, ContainerTag, Comment)):
            raise TypeError("appended value must be an instance of Directive, Container, "
                            "ContainerTag or Comment")
        self.args.append(value)

    def __repr__(self):
        pad = " " * self.indent
        text = pad + "Container("
        for arg in self.args:
            arg.indent = self.indent + 4
            text += "\n%r," % (arg,)
        if self.only_if:
            return text + "\n%s    only_if=%r)" % (pad, self.only_if)
        return text + "\n%s)" % pad

    def __str__(self):
        if self.only_if and not eval(self.only_if, {"mod_python": mod_python}):
            return ""
        text = ""
        for arg in self.args:
            arg.indent = self.indent
            text += str(arg)
        return text


def _directive_class(name, flipslash=1, default=None):
    """A Directive subclass named `name` whose instances are `name val` lines."""
    def init_required(self, val):
        Directive.__init__(self, name, val, flipslash)

    def init_with_default(self, val=default):
        Directive.__init__(self, name, val, flipslash)

    init = init_required if default is None else init_with_default
    return type(name, (Directive,), {"__init__": init, "__module__": __name__,
                                     "__doc__": "The %s directive." % name})


def _section_class(tag):
    """A ContainerTag subclass for `<tag attr>` sections, made as `tag(attr, *args)`."""
    def __init__(self, attr, *args):
        ContainerTag.__init__(self, tag, attr, args)
    return type(tag, (ContainerTag,), {"__init__": __init__, "__module__": __name__,
                                       "__doc__": "A <%s> section." % tag})


# The directives 3.5's module has a class for.
_DIRECTIVES = (
    "AddHandler AddOutputFilter AddType AuthBasicAuthoritative AuthBasicProvider AuthType "
    "AuthName CustomLog DirectoryIndex DocumentRoot ErrorLog KeepAliveTimeout Listen "
    "LoadModule LogLevel MaxConnectionsPerChild MaxClients MaxRequestsPerChild "
    "MaxSpareServers MaxSpareThreads MaxThreadsPerChild MinSpareThreads Mutex "
    "NameVirtualHost NumServers Options PidFile PythonAuthenHandler PythonAuthzHandler "
    "PythonCleanupHandler PythonConnectionHandler PythonDebug PythonHandler "
    "PythonAccessHandler PythonPostReadRequestHandler PythonTransHandler PythonFixupHandler "
    "PythonImport PythonOutputFilter PythonOption Require SetHandler ServerAdmin ServerName "
    "ServerPath ServerRoot StartServers StartThreads ThreadsPerChild Timeout TypesConfig"
).split()

# Those write_basic_config writes, by name (so that its code names what it uses); the others
# of the list are made in the loop below.
CustomLog = _directive_class("CustomLog")
DocumentRoot = _directive_class("DocumentRoot")
ErrorLog = _directive_class("ErrorLog")
Listen = _directive_class("Listen")
LoadModule = _directive_class("LoadModule")
LogLevel = _directive_class("LogLevel")
MaxConnectionsPerChild = _directive_class("MaxConnectionsPerChild")
MaxRequestsPerChild = _directive_class("MaxRequestsPerChild")
PidFile = _directive_class("PidFile")
PythonHandler = _directive_class("PythonHandler")
PythonOption = _directive_class("PythonOption")
ServerName = _directive_class("ServerName")
ServerRoot = _directive_class("ServerRoot")
SetHandler = _directive_class("SetHandler")
TypesConfig = _directive_class("TypesConfig")

for _name in _DIRECTIVES:
    if _name not in globals():
        globals()[_name] = _directive_class(_name)
# Regular expressions and Python expressions keep their backslashes.
LogFormat = _directive_class("LogFormat", flipslash=0)
PythonPath = _directive_class("PythonPath", flipslash=0)
# 3.5 defaults these two to Off.
PythonInterpPerDirectory = _directive_class("PythonInterpPerDirectory", default="Off")
PythonInterpPerDirective = _directive_class("PythonInterpPerDirective", default="Off")

for _name in ("Directory", "Files", "IfModule", "Location", "VirtualHost"):
    globals()[_name] = _section_class(_name)
del _name


class LockFile(Directive):
    """httpd 2.2's LockFile (commented out on Windows, which has none)."""

    def __init__(self, val):
        name = "LockFile" if sys.platform != "win32" else "#LockFile"
        Directive.__init__(self, name, val)


def quote_if_space(s):
    """`s` in double quotes when it holds a space (a path httpd would otherwise split)."""
    return '"%s"' % s if " " in s else s


# The modules a basic configuration loads from LIBEXECDIR, as (name, file).
_BASIC_MODULES = [(name + "_module", "mod_%s.so" % name) for name in (
    "authn_file authn_core authz_host authz_groupfile authz_user authz_core access_compat "
    "auth_basic reqtimeout include filter mime log_config env headers setenvif version unixd "
    "status autoindex dir alias").split()]


def _say(text):
    print(text, file=sys.stderr)


def _make_dirs(server_root, conf, logs, htdocs):
    for d in (server_root, os.path.join(server_root, htdocs), os.path.join(server_root, conf),
              os.path.join(server_root, logs)):
        if os.path.isdir(d):
            _say("Warning: directory %r already exists, continuing." % d)
        else:
            _say("Creating directory %r." % d)
            os.mkdir(d)
    dest = os.path.join(server_root, conf, "mime.types")
    if os.path.isfile(dest):
        _say("Warning: file %r already exists, continuing." % dest)
        return
    for d in (mod_python.version.SYSCONFDIR, "/etc"):
        src = os.path.join(d, "mime.types") if d else ""
        if src and os.path.isfile(src):
            _say("Copying %r to %r" % (src, dest))
            shutil.copy(src, dest)
            return


def _mpm_module(modpath):
    """The LoadModule of an MPM, where httpd has them as modules (Debian's does): without
    one, httpd would not start. The event MPM when it is there."""
    for mpm in ("event", "worker", "prefork"):
        path = os.path.join(modpath, "mod_mpm_%s.so" % mpm)
        if os.path.isfile(path):
            return Container(LoadModule("mpm_%s_module %s" % (mpm, quote_if_space(path))))
    return Container()


def write_basic_config(server_root, listen="0.0.0.0:8888", conf="conf", logs="logs",
                       htdocs="public", pythonhandler="mod_python.publisher",
                       pythonpath=(), pythonoptions=(), mp_comments=(),
                       conf_name="httpd_conf.py", createdirs=True, replace_config=False):
    """Writes `server_root/conf/conf_name`: a Python script that prints an httpd.conf serving
    `htdocs` through `pythonhandler` on `listen`; makes the directories first (createdirs).
    Returns the script's path, or None when it exists already and replace_config is false.
    Progress is told on stderr, as 3.5 did."""
    conf_path = os.path.join(server_root, conf, conf_name)
    if os.path.exists(conf_path) and not replace_config:
        _say("Error: %r already exists, aborting." % conf_path)
        return None
    if createdirs:
        _make_dirs(server_root, conf, logs, htdocs)
    mime_types = os.path.join(conf, "mime.types")
    if not os.path.exists(os.path.join(server_root, mime_types)):
        _say("Warning: file %r does not exist." % os.path.join(server_root, mime_types))
    if not os.path.isdir(os.path.join(server_root, htdocs)):
        _say("Warning: %r does not exist or not a directory." % os.path.join(server_root,
                                                                               htdocs))
    modpath = mod_python.version.LIBEXECDIR
    modules = Container(Comment("\nLoad the necessary modules (this is the default httpd "
                                "set):\n\n"), _mpm_module(modpath))
    for name, file in _BASIC_MODULES:
        path = os.path.join(modpath, file)
        # A module compiled into httpd (Debian's log_config, version, unixd) has no file,
        # and httpd refuses to load it again.
        if modpath and not os.path.isfile(path):
            continue
        modules.append(LoadModule("%s %s" % (name, quote_if_space(path))))
    logs_at = lambda name: quote_if_space(os.path.join(logs, name))  # noqa: E731
    main = Container(
        Comment("\nMain configuration options:\n\n"),
        ServerRoot(server_root),
        Container(MaxConnectionsPerChild("65536"),
                  only_if="mod_python.version.HTTPD_VERSION[0:3] == '2.4'"),
        Container(MaxRequestsPerChild("65536"),
                  only_if="mod_python.version.HTTPD_VERSION[0:3] < '2.4'"),
        LogFormat(r'"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined'),
        CustomLog("%s combined" % logs_at("access_log")),
        ErrorLog(logs_at("error_log")),
        LogLevel("warn"),
        PidFile(logs_at("httpd.pid")),
        TypesConfig(quote_if_space(mime_types)),
        # A ServerName keeps httpd from warning that it cannot tell its own name.
        ServerName("127.0.0.1"),
        Listen(listen),
        DocumentRoot(quote_if_space(os.path.join(server_root, htdocs))),
        Container(LockFile(logs_at("accept.lock")),
                  only_if="mod_python.version.HTTPD_VERSION[0:3] == '2.2'"),
    )
    mp = Container(
        Comment("\nmod_python-specific options:\n\n"),
        LoadModule("python_module %s" % quote_if_space(os.path.join(modpath, "mod_python.so"))),
        SetHandler("mod_python"),
        Comment("PythonDebug On"),
        PythonHandler(pythonhandler),
    )
    if pythonpath:
        mp.append(PythonPath('"sys.path+[%s]"' % "".join(repr(p) + "," for p in pythonpath)))
    for option in pythonoptions:
        mp.append(PythonOption(option))
    for comment in mp_comments:
        mp.append(Comment(comment))
    config = Container(Comment("\nThis config was auto-generated, do not edit!\n\n"),
                       modules, main, mp)
    script = ("#!%s\n\n"
              "#\n"
              "# Made by mod_python.httpdconf.write_basic_config; edit it as you like.\n"
              "# Run, it prints an httpd configuration:\n"
              "#   python3 %s > httpd.conf\n"
              "#\n\n"
              "from mod_python.httpdconf import *\n\n"
              "config = %r\n\n"
              "print(config)\n") % (mod_python.version.PYTHON_BIN, conf_name, config)
    _say("Writing %r." % conf_path)
    with open(conf_path, "w") as f:
        f.write(script)
    return conf_path
