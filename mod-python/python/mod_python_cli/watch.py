"""Notices changed source files by their modification times, polled: no dependency, and a
second's delay is nothing next to the restart that follows."""

import os
from pathlib import Path

SUFFIXES = (".py", ".psp")
# Directories that hold no application code, or far too much of someone else's.
SKIPPED = {
    "__pycache__",
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".tox",
    ".venv",
    "venv",
    "site-packages",
}
MAX_FILES = 5000


class Watcher:
    """The .py and .psp files under some directories, and their last modification times."""

    def __init__(self, dirs):
        self.dirs = [Path(d) for d in dirs]
        self.seen = self._scan()

    def _scan(self):
        found = {}
        for top in self.dirs:
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames[:] = [d for d in dirnames if d not in SKIPPED and not d.startswith(".")]
                for name in filenames:
                    if not name.endswith(SUFFIXES):
                        continue
                    path = os.path.join(dirpath, name)
                    try:
                        found[path] = os.stat(path).st_mtime_ns
                    except OSError:
                        continue
                    if len(found) >= MAX_FILES:
                        return found
        return found

    def changes(self):
        """The files added, changed or removed since the last call."""
        now = self._scan()
        changed = [p for p, t in now.items() if self.seen.get(p) != t]
        changed += [p for p in self.seen if p not in now]
        self.seen = now
        return sorted(changed)
