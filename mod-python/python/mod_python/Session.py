"""Sessions kept across requests, as in mod_python 3.5: a session is a dict whose content
survives between requests of one client, found again by a cookie (``pysid``) holding its
id. ``Session(req)`` picks the store from ``PythonOption mod_python.session.session_type``;
``FileSession``, ``DbmSession``, ``MemorySession`` and ``SocacheSession`` can be used
directly.

A session locks its id (a global lock shared by every child and thread) from the moment it
is made until the request ends, so two requests of one session run one after the other
and the second sees what the first saved."""

import os
import pickle
import random
import re
import secrets
import tempfile
import time

from mod_python import apache, Cookie, _apache

COOKIE_NAME = "pysid"
DFT_TIMEOUT = 30 * 60
DFT_LOCK = True
# One request in this many also sweeps expired sessions out of the store.
CLEANUP_CHANCE = 1000

tempdir = tempfile.gettempdir()

_SID = re.compile(r"[0-9a-f]{32}\Z")


def _new_sid(req=None):
    return secrets.token_hex(16)


def _check_sid(sid):
    return isinstance(sid, str) and _SID.match(sid) is not None


def _option(options, *names, default=None):
    """The first of ``names`` that is set (3.5's names first, then the pre-3.3 ones)."""
    for name in names:
        if name in options:
            return options[name]
    return default


def true_or_false(item):
    """3.5's reading of a yes/no PythonOption."""
    if isinstance(item, str):
        return item.strip().lower() in ("1", "true", "yes", "on")
    return bool(item)


def _unlock_at_request_end(session):
    session.unlock()


def _log(req, message, level=apache.APLOG_NOTICE):
    try:
        req.log_error(message, level)
    except Exception:
        apache.log_error(message, level)


class BaseSession(dict):
    """What every store shares; a store supplies ``do_load``, ``do_save``, ``do_delete`` and
    ``do_cleanup``."""

    def __init__(self, req, sid=None, secret=None, lock=1, timeout=0):
        dict.__init__(self)
        self._req = req
        # Kept apart: the request object is closed by the time its cleanups (the unlock,
        # the sweep of expired sessions) run.
        self._server = req.server
        self._sid = sid or None
        self._secret = secret
        self._lock = lock
        self._locked = 0
        self._cleanup_registered = False
        self._new = 1
        self._created = 0
        self._accessed = 0
        self._timeout = 0
        self._invalid = 0

        if self._sid is None:
            cookie = self._read_cookie()
            if cookie is not None:
                self._sid = cookie
        elif not _check_sid(self._sid):
            # An id the caller passed in is a programming error; a bad cookie is not.
            raise ValueError("Invalid Session ID: sid=%s" % (sid,))

        self.init_lock()

        if self._sid:
            self.lock()
            if self.load():
                self._new = 0

        if self._new:
            if self._sid:
                self.unlock()
            self._sid = _new_sid(req)
            self.lock()
            Cookie.add_cookie(req, self.make_cookie())
            self._created = time.time()
            self._timeout = timeout or DFT_TIMEOUT

        self._accessed = time.time()

        if random.randint(1, CLEANUP_CHANCE) == 1:
            self.cleanup()

    def _cookie_name(self):
        return self._req.get_options().get("mod_python.session.cookie_name", COOKIE_NAME)

    def _read_cookie(self):
        """The session id the client sent, or None when there is none or it is not one
        this server could have made (forged, badly signed, malformed)."""
        name = self._cookie_name()
        try:
            if self._secret:
                cookie = Cookie.get_cookie(self._req, name, Class=Cookie.SignedCookie,
                                           secret=self._secret, mismatch=Cookie.Cookie.IGNORE)
            else:
                cookie = Cookie.get_cookie(self._req, name)
        except Exception:
            return None
        if cookie is None or not _check_sid(cookie.value):
            return None
        return cookie.value

    def make_cookie(self):
        """The cookie that carries this session's id: signed when there is a secret, for
        the application's domain and path."""
        name = self._cookie_name()
        if self._secret:
            c = Cookie.SignedCookie(name, self._sid, secret=self._secret)
        else:
            c = Cookie.Cookie(name, self._sid)
        options = self._req.get_options()
        domain = _option(options, "mod_python.session.application_domain")
        if domain:
            c.domain = domain
        path = _option(options, "mod_python.session.application_path", "ApplicationPath")
        c.path = path if path else self._default_path()
        return c

    def _default_path(self):
        # The directory holding the handler directive, as a URL; '/' when it does not
        # map onto the URL (a <Location>, an Alias, a UserDir).
        req = self._req
        try:
            directory = req.hlist.directory
            root = req.document_root()
        except Exception:
            directory = None
        path = None
        if directory and root:
            root = root.rstrip("/")
            if directory.startswith(root):
                path = directory[len(root):]
        if not path or not req.uri.startswith(path):
            path = "/"
        return path

    def invalidate(self):
        """Ends the session: the client is told to forget the cookie and the store
        forgets the data. A later ``save()`` does nothing."""
        c = self.make_cookie()
        c.expires = 0
        Cookie.add_cookie(self._req, c)
        self.delete()
        self._invalid = 1

    def load(self):
        """Reads the session from the store; false when it is not there, has expired or
        cannot be read. A store that cannot be reached raises StoreUnavailable."""
        try:
            record = self.do_load()
        except StoreUnavailable:
            raise
        except Exception as e:
            _log(self._req, "mod_python.Session: session %s unreadable, starting anew: %s"
                 % (self._sid, e))
            return 0
        if not isinstance(record, dict):
            return 0
        try:
            accessed = float(record["_accessed"])
            timeout = float(record["_timeout"])
            created = record["_created"]
            data = record["_data"]
            if not isinstance(data, dict):
                return 0
        except (KeyError, TypeError, ValueError):
            return 0
        if time.time() - accessed > timeout:
            return 0
        self._created = created
        self._accessed = accessed
        self._timeout = record["_timeout"]
        self.update(data)
        return 1

    def save(self):
        """Writes the session to the store (not after ``invalidate()``)."""
        if self._invalid:
            return
        self.do_save({
            "_data": dict(self),
            "_created": self._created,
            "_accessed": self._accessed,
            "_timeout": self._timeout,
        })

    def delete(self):
        """Removes the session from the store and empties it."""
        self.do_delete()
        self.clear()

    def init_lock(self):
        pass

    def lock(self):
        """Takes the session's global lock (when made with ``lock=1``), released at the
        end of the request if not before."""
        if self._lock and not self._locked:
            _apache._global_lock(self._server, self._sid)
            self._locked = 1
            if not self._cleanup_registered:
                self._req.register_cleanup(_unlock_at_request_end, self)
                self._cleanup_registered = True

    def unlock(self):
        if self._lock and self._locked:
            self._locked = 0
            _apache._global_unlock(self._server, self._sid)

    def is_new(self):
        return not not self._new

    def id(self):
        return self._sid

    def created(self):
        return self._created

    def last_accessed(self):
        return self._accessed

    def timeout(self):
        return self._timeout

    def set_timeout(self, secs):
        self._timeout = secs

    def cleanup(self):
        """Sweeps expired sessions out of the store, after the response is sent."""
        self._req.register_cleanup(_run_cleanup, (self.do_cleanup, self._server))

    def do_cleanup(self):
        raise NotImplementedError

    def do_load(self):
        raise NotImplementedError

    def do_save(self, record):
        raise NotImplementedError

    def do_delete(self):
        raise NotImplementedError

    def __del__(self):
        try:
            self.unlock()
        except Exception:
            pass


def _run_cleanup(data):
    sweep, server = data
    try:
        sweep()
    except Exception as e:
        server.log_error("mod_python.Session: cleanup of expired sessions failed: %s" % e,
                         apache.APLOG_NOTICE)


def _expired(record, now):
    try:
        return now - float(record["_accessed"]) > float(record["_timeout"])
    except Exception:
        return True


# --- DbmSession -------------------------------------------------------------------------

class DbmSession(BaseSession):
    """Sessions in one dbm file shared by all children, each access under a global lock.
    ``dbmtype`` is a module with dbm's ``open`` (Python's ``dbm`` by default, which picks
    whatever dbm flavour is installed)."""

    def __init__(self, req, dbm=None, sid=0, secret=None, dbmtype=None, timeout=0, lock=1):
        if not dbm:
            options = req.get_options()
            dbm = _option(options, "mod_python.dbm_session.database_filename",
                          "session_dbm")
            if not dbm:
                directory = _option(options, "mod_python.dbm_session.database_directory",
                                    "mod_python.session.database_directory",
                                    "session_directory", default=tempdir)
                dbm = os.path.join(directory, "mp_sess.dbm")
        self._dbmfile = dbm
        if dbmtype is None:
            import dbm as dbmtype
        self._dbmtype = dbmtype
        BaseSession.__init__(self, req, sid=sid, secret=secret, timeout=timeout, lock=lock)

    def _with_db(self, work):
        return apache._with_locked_dbm(self._server, self._dbmtype, self._dbmfile, work)

    def do_load(self):
        key = self._sid.encode("ascii")

        def read(db):
            return db[key] if key in db else None

        raw = self._with_db(read)
        return None if raw is None else pickle.loads(raw)

    def do_save(self, record):
        blob = pickle.dumps(record)
        key = self._sid.encode("ascii")

        def write(db):
            db[key] = blob

        self._with_db(write)

    def do_delete(self):
        key = self._sid.encode("ascii")

        def remove(db):
            if key in db:
                del db[key]

        self._with_db(remove)

    def do_cleanup(self):
        now = time.time()

        def sweep(db):
            for key in list(db.keys()):
                try:
                    record = pickle.loads(db[key])
                except Exception:
                    record = None
                if record is None or _expired(record, now):
                    del db[key]

        self._with_db(sweep)


# --- FileSession ------------------------------------------------------------------------

DFT_FAST_CLEANUP = True
DFT_VERIFY_CLEANUP = True
DFT_GRACE_PERIOD = 240
DFT_CLEANUP_TIME_LIMIT = 2

_STATUS_FILE = "fs_status.txt"
_STATUS_VERSION = "2"


class FileSession(BaseSession):
    """One file per session under ``<directory>/mp_sess/<first two hex digits of id>/``.

    The periodic cleanup judges a file by its modification time ("fast cleanup"): a file
    untouched for longer than the session timeout plus a grace period is a candidate, and,
    with ``verify_cleanup``, is only removed once its own recorded timeout says it expired
    (a session given a longer timeout survives). A sweep stops after
    ``cleanup_time_limit`` seconds and the next one carries on where it stopped."""

    def __init__(self, req, sid=0, secret=None, timeout=0, lock=1,
                 fast_cleanup=-1, verify_cleanup=-1):
        options = req.get_options()
        if fast_cleanup == -1:
            fast_cleanup = true_or_false(_option(
                options, "mod_python.file_session.enable_fast_cleanup",
                "session_fast_cleanup", default=DFT_FAST_CLEANUP))
        if verify_cleanup == -1:
            verify_cleanup = true_or_false(_option(
                options, "mod_python.file_session.verify_session_timeout",
                "session_verify_cleanup", default=DFT_VERIFY_CLEANUP))
        self._fast_cleanup = fast_cleanup
        self._verify_cleanup = verify_cleanup
        self._grace_period = _int_option(options, DFT_GRACE_PERIOD,
                                         "mod_python.file_session.cleanup_grace_period",
                                         "session_grace_period")
        self._cleanup_time_limit = _int_option(options, DFT_CLEANUP_TIME_LIMIT,
                                               "mod_python.file_session.cleanup_time_limit",
                                               "session_cleanup_time_limit")
        directory = _option(options, "mod_python.file_session.database_directory",
                            "mod_python.session.database_directory", "session_directory",
                            default=tempdir)
        self._sessdir = os.path.join(directory, "mp_sess")
        self._cleanup_timeout = timeout or DFT_TIMEOUT
        BaseSession.__init__(self, req, sid=sid, secret=secret, timeout=timeout, lock=lock)

    def _path(self):
        return os.path.join(self._sessdir, self._sid[:2], self._sid)

    def _guarded(self, work):
        # Without the session lock (lock=0) a reader could see a file half written by
        # another request: take the id's lock around the file access itself.
        if self._locked:
            return work()
        _apache._global_lock(self._server, self._sid)
        try:
            return work()
        finally:
            _apache._global_unlock(self._server, self._sid)

    def do_load(self):
        path = self._path()

        def read():
            try:
                with open(path, "rb") as f:
                    return pickle.load(f)
            except FileNotFoundError:
                return None

        return self._guarded(read)

    def do_save(self, record):
        path = self._path()
        blob = pickle.dumps(record)

        def write():
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            # Written aside and renamed over, so a crash never leaves half a session.
            tmp = "%s.%d.%d.tmp" % (path, os.getpid(), id(self))
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(blob)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise

        self._guarded(write)

    def do_delete(self):
        path = self._path()

        def remove():
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

        self._guarded(remove)

    def do_cleanup(self):
        _file_cleanup(self._server, self._sessdir, self._cleanup_timeout,
                      self._fast_cleanup, self._verify_cleanup, self._grace_period,
                      self._cleanup_time_limit)


def _int_option(options, default, *names):
    value = _option(options, *names)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return default


def _file_cleanup(server, sessdir, timeout, fast, verify, grace, time_limit):
    # One sweep at a time in the whole server; a request that finds one running leaves it.
    hold = _try_hold(server, "mod_python.file_session.cleanup")
    if hold is None:
        return
    try:
        _sweep_files(server, sessdir, timeout, fast, verify, grace, time_limit)
    finally:
        hold()


def _sweep_files(server, sessdir, timeout, fast, verify, grace, time_limit):
    started = time.time()
    try:
        subdirs = sorted(d for d in os.listdir(sessdir)
                         if len(d) == 2 and os.path.isdir(os.path.join(sessdir, d)))
    except OSError:
        return
    status = os.path.join(sessdir, _STATUS_FILE)
    resume = ""
    try:
        with open(status) as f:
            version, resume = (f.read().split() + ["", ""])[:2]
        if version != _STATUS_VERSION:
            resume = ""
    except (OSError, ValueError):
        resume = ""
    todo = [d for d in subdirs if d >= resume] + [d for d in subdirs if d < resume]
    stopped_at = ""
    removed = 0
    for sub in todo:
        if time_limit and time.time() - started > time_limit:
            stopped_at = sub
            break
        directory = os.path.join(sessdir, sub)
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            path = os.path.join(directory, name)
            if name.endswith(".tmp") or not _check_sid(name):
                # Leftovers of a crashed save, after they can no longer be in use.
                if name.endswith(".tmp"):
                    _unlink_if_older(path, time.time() - grace - 60)
                continue
            if _file_expired(server, path, name, timeout, fast, verify, grace):
                removed += 1
    try:
        with open(status + ".tmp", "w") as f:
            f.write("%s %s\n" % (_STATUS_VERSION, stopped_at))
        os.replace(status + ".tmp", status)
    except OSError:
        pass
    server.log_error("mod_python.Session: FileSession cleanup removed %d sessions in %.3fs%s"
                     % (removed, time.time() - started,
                        " (stopped at %s)" % stopped_at if stopped_at else ""),
                     apache.APLOG_INFO)


def _unlink_if_older(path, limit):
    try:
        if os.stat(path).st_mtime < limit:
            os.unlink(path)
    except OSError:
        pass


def _file_expired(server, path, sid, timeout, fast, verify, grace):
    """Removes the session file at ``path`` when it has expired; true if it did."""
    now = time.time()
    if fast:
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return False
        if now - mtime <= timeout + grace:
            return False
        if not verify:
            return _unlink_locked(server, sid, path)
    # A session in use holds its lock: skip it rather than wait behind a slow request.
    hold = _try_hold(server, sid)
    if hold is None:
        return False
    try:
        try:
            with open(path, "rb") as f:
                record = pickle.load(f)
        except FileNotFoundError:
            return False
        except Exception:
            record = None
        if record is not None and not _expired(record, now):
            return False
        try:
            os.unlink(path)
        except OSError:
            return False
        return True
    finally:
        hold()


def _unlink_locked(server, sid, path):
    hold = _try_hold(server, sid)
    if hold is None:
        return False
    try:
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        hold()


def _try_hold(server, key):
    """Takes the global lock of ``key`` if it is free: a function that gives it back, or
    None when another request holds it."""
    try:
        if not _apache._global_trylock(server, key):
            return None
    except ValueError:
        # This thread holds that mutex already (its own session's id shares it): others
        # are kept out all the same, and it is not ours to release.
        return lambda: None
    return lambda: _apache._global_unlock(server, key)


# --- MemorySession ----------------------------------------------------------------------

class MemorySession(BaseSession):
    """Sessions in this process's memory: for a server of one process (a threaded MPM
    with one child), since another child does not see them. Lost when the child exits."""

    sdict = {}

    def __init__(self, req, sid=0, secret=None, timeout=0, lock=1):
        BaseSession.__init__(self, req, sid=sid, secret=secret, timeout=timeout, lock=lock)

    def do_load(self):
        record = MemorySession.sdict.get(self._sid)
        # A copy, so a request that changes the dict and does not save leaves no trace.
        return None if record is None else pickle.loads(record)

    def do_save(self, record):
        MemorySession.sdict[self._sid] = pickle.dumps(record)

    def do_delete(self):
        MemorySession.sdict.pop(self._sid, None)

    def do_cleanup(self):
        now = time.time()
        for sid, blob in list(MemorySession.sdict.items()):
            try:
                record = pickle.loads(blob)
            except Exception:
                record = None
            if record is None or _expired(record, now):
                MemorySession.sdict.pop(sid, None)


# --- SocacheSession ---------------------------------------------------------------------

SOCACHE_OPTION = "mod_python.session.socache"


class StoreUnavailable(apache.SERVER_RETURN):
    """The session store (a memcached or redis server) cannot be reached or did not answer
    within its time limit. A handler that lets it pass ends with 503 Service Unavailable: the
    client keeps its cookie, and its session is there again once the store is."""

    def __init__(self, message):
        apache.SERVER_RETURN.__init__(self, apache.HTTP_SERVICE_UNAVAILABLE)
        self.message = message

    def __str__(self):
        return self.message


def _unavailable(req, error):
    """The StoreUnavailable to raise for ``error`` (a ConnectionError of ``_apache``), with
    the one line the error log gets for it."""
    message = "mod_python.Session: session store unavailable, answering 503: %s" % (error,)
    _log(req, message, apache.APLOG_ERR)
    return StoreUnavailable(message)
# Keeps sessions apart from other users of a shared memcache or redis.
_SOCACHE_PREFIX = b"mod_python.session:"


def _socache_key(sid):
    return _SOCACHE_PREFIX + sid.encode("ascii")


def _socache_ttl(record):
    # A cache refuses an expiry of 0 or less; memcache counts whole seconds.
    try:
        return max(float(record["_timeout"]), 1.0)
    except Exception:
        return float(DFT_TIMEOUT)


class SocacheSession(BaseSession):
    """Sessions in one of httpd's shared object caches, shared by every child without
    files: the cache ``PythonOption mod_python.session.socache`` names at server level
    ("shmcb", "shmcb:/path(2048000)", "memcache:host:11211", "redis:host:6379"), made
    when httpd starts. The session timeout is the entry's expiry, so the provider drops
    expired sessions itself. A session larger than the cache takes raises on ``save()``:
    ``ValueError`` over the 64 KiB limit, ``OSError`` when the provider refuses it. A store
    that cannot be reached, or does not answer within
    ``PythonOption mod_python.session.socache_timeout``, raises ``StoreUnavailable`` (503)
    from the constructor, ``save()``, ``delete()`` and ``invalidate()``."""

    def __init__(self, req, sid=0, secret=None, timeout=0, lock=1):
        spec = req.get_options().get(SOCACHE_OPTION, "").strip()
        if not spec:
            raise ValueError("SocacheSession needs PythonOption %s at server level "
                             "(main server or VirtualHost), e.g. \"shmcb\"" % SOCACHE_OPTION)
        self._cache = spec
        # What the cache holds for this session as far as this request knows: (pickle, ttl).
        self._held = None
        BaseSession.__init__(self, req, sid=sid, secret=secret, timeout=timeout, lock=lock)

    def do_load(self):
        try:
            blob = _apache.socache_retrieve(self._cache, _socache_key(self._sid))
        except ConnectionError as e:
            raise _unavailable(self._req, e) from None
        if blob is None:
            return None
        record = pickle.loads(blob)
        self._held = (blob, _socache_ttl(record))
        return record

    def do_save(self, record):
        blob = pickle.dumps(record)
        ttl = _socache_ttl(record)
        key = _socache_key(self._sid)
        try:
            _apache.socache_store(self._cache, key, blob, ttl)
        except ConnectionError as e:
            raise _unavailable(self._req, e) from None
        except OSError:
            # shmcb drops the entry it is to replace before it finds the new value too
            # large for it: put the session back as it was, so that only this save fails.
            if self._held is not None:
                try:
                    _apache.socache_store(self._cache, key, *self._held)
                except Exception:
                    pass
            raise
        self._held = (blob, ttl)

    def do_delete(self):
        self._held = None
        try:
            _apache.socache_remove(self._cache, _socache_key(self._sid))
        except ConnectionError as e:
            raise _unavailable(self._req, e) from None

    def do_cleanup(self):
        # The provider drops entries past their expiry; some (memcache) cannot list theirs.
        pass


# --- the factory ------------------------------------------------------------------------

_TYPES = {"FileSession": FileSession, "DbmSession": DbmSession,
          "MemorySession": MemorySession, "SocacheSession": SocacheSession}


def Session(req, sid=0, secret=None, timeout=0, lock=1):
    """The session of this request, in the store ``PythonOption
    mod_python.session.session_type`` names (FileSession, DbmSession, MemorySession,
    SocacheSession). Unset: SocacheSession when ``mod_python.session.socache`` names a
    cache, else as in 3.5, MemorySession when httpd runs a single multi-threaded process
    and DbmSession otherwise."""
    options = req.get_options()
    kind = _option(options, "mod_python.session.session_type", "session")
    if not kind and options.get(SOCACHE_OPTION, "").strip():
        # An administrator who named a cache for sessions means them to be kept there.
        kind = "SocacheSession"
    if not kind:
        threaded = apache.mpm_query(apache.AP_MPMQ_IS_THREADED)
        forked = apache.mpm_query(apache.AP_MPMQ_IS_FORKED)
        daemons = apache.mpm_query(apache.AP_MPMQ_MAX_DAEMONS)
        kind = "MemorySession" if threaded and (not forked or daemons == 1) else "DbmSession"
    cls = _TYPES.get(kind)
    if cls is None:
        raise ValueError("Unknown session type %s (PythonOption "
                         "mod_python.session.session_type)" % kind)
    return cls(req, sid=sid, secret=secret, timeout=timeout, lock=lock)
