"""Whether httpd's children can read what they need.

Started as root, httpd serves as another user (www-data): Python starts in each child as that
user and imports the standard library, the environment's packages and the application from
there. A directory that user cannot enter (a home directory is often closed to others) would
only show as a child dying at start; this says which path, before httpd starts.
"""

import grp
import pwd
import stat
import sys
import sysconfig
from pathlib import Path

from mod_python_cli.errors import CliError
from mod_python_cli.installation import site_packages, virtual_env


def _can(st, uid, gids, owner_bit, group_bit, other_bit):
    if st.st_uid == uid:
        return bool(st.st_mode & owner_bit)
    if st.st_gid in gids:
        return bool(st.st_mode & group_bit)
    return bool(st.st_mode & other_bit)


def first_unreadable(path, uid, gids):
    """The first directory on the way to `path` that uid cannot enter, or `path` itself when
    it cannot read it; None when all is well (by permission bits; ACLs are not looked at)."""
    path = Path(path)
    for d in [*reversed(path.parents), path]:
        try:
            st = d.stat()
        except OSError:
            return None  # not there: a missing file is reported where it is used
        if stat.S_ISDIR(st.st_mode) and not _can(
            st, uid, gids, stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH
        ):
            return d
    st = path.stat()
    if not _can(st, uid, gids, stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH):
        return path
    return None


def account(conf_text):
    """The User and Group lines of a configuration, or None when there are none."""
    user = group = None
    for line in conf_text.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "User":
            user = words[1]
        elif len(words) == 2 and words[0] == "Group":
            group = words[1]
    return (user, group) if user else None


def needed_paths(app, opts):
    """What the children read: Python's standard library (without which Python cannot start),
    the application's directories and the static files."""
    paths = [Path(sysconfig.get_path("stdlib")), *app.python_dirs]
    if app.directory is not None:
        paths.append(app.directory)
    if opts.document_root is not None:
        paths.append(opts.document_root)
    paths += [p for _, p in opts.url_aliases]
    return paths


def check_readable(conf, app, opts):
    """Fails, naming the path, when the children's user cannot read something they need; warns
    when it cannot read the environment's packages, which only an application importing them
    needs."""
    found = account(Path(conf).read_text())
    if found is None:
        return
    user, group = found
    entry = pwd.getpwnam(user)
    gids = {grp.getgrnam(group).gr_gid if group else entry.pw_gid}
    gids.update(g.gr_gid for g in grp.getgrall() if user in g.gr_mem)
    for path in needed_paths(app, opts):
        bad = first_unreadable(path, entry.pw_uid, gids)
        if bad is not None:
            raise CliError(
                f"httpd runs as {user} when started as root, and {user} cannot read {bad}"
                f" (needed for {path}): make it readable (chmod o+rx), run as another user,"
                " or choose the user with --user"
            )
    if virtual_env():
        for path in site_packages():
            bad = first_unreadable(path, entry.pw_uid, gids)
            if bad is not None:
                print(
                    f"mod_python: warning: httpd runs as {user}, who cannot read {bad}: the"
                    f" packages of {virtual_env()} cannot be imported by the application",
                    file=sys.stderr,
                )
                return
