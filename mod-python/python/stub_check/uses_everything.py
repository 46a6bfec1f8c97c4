"""Uses every name the type stubs (mod_python/*.pyi) declare, as handler code would, for mypy
to check against them (cargo xtask test: `mypy --config-file stub_check/mypy.ini`). It is never
run: it only has to type-check.

Each stub module has a function `use_<module>` naming its public names (`use_mod_python` for
the package), and each of its classes with public members a function `use_<module>__<Class>`
naming them; compare.py's coverage() holds this file to that (tests/stubs.rs). assert_type
pins what the stubs promise a handler gets.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Hashable, Mapping
from types import CodeType, ModuleType
from typing import Any, assert_type

import mod_python
from mod_python import (
    Cookie,
    Session,
    _connection,
    _filter,
    _hlist,
    _request,
    _server,
    _table,
    apache,
    cache,
    cgihandler,
    httpdconf,
    psp,
    publisher,
    python22,
    testhandler,
    util,
    version,
    wsgi,
)
from mod_python.apache import mp_finfo, mp_request, mp_server, mp_table
from mod_python.python22 import *  # noqa: F403

# The objects a handler is given: the request, a filter, a connection handler's connection.
Request = mp_request
Filter = _filter.mp_filter
Connection = _connection.mp_connection


def use_mod_python() -> None:
    assert_type(mod_python.mp_version, str)
    assert_type(mod_python.version.version, str)


def use_apache(req: Request) -> int:
    numbers: list[int] = [
        apache.OK, apache.DECLINED, apache.DONE, apache.SUSPENDED, apache.HTTP_CONTINUE,
        apache.HTTP_SWITCHING_PROTOCOLS, apache.HTTP_PROCESSING, apache.HTTP_OK,
        apache.HTTP_CREATED, apache.HTTP_ACCEPTED, apache.HTTP_NON_AUTHORITATIVE,
        apache.HTTP_NO_CONTENT, apache.HTTP_RESET_CONTENT, apache.HTTP_PARTIAL_CONTENT,
        apache.HTTP_MULTI_STATUS, apache.HTTP_MULTIPLE_CHOICES, apache.HTTP_MOVED_PERMANENTLY,
        apache.HTTP_MOVED_TEMPORARILY, apache.HTTP_SEE_OTHER, apache.HTTP_NOT_MODIFIED,
        apache.HTTP_USE_PROXY, apache.HTTP_TEMPORARY_REDIRECT, apache.HTTP_BAD_REQUEST,
        apache.HTTP_UNAUTHORIZED, apache.HTTP_PAYMENT_REQUIRED, apache.HTTP_FORBIDDEN,
        apache.HTTP_NOT_FOUND, apache.HTTP_METHOD_NOT_ALLOWED, apache.HTTP_NOT_ACCEPTABLE,
        apache.HTTP_PROXY_AUTHENTICATION_REQUIRED, apache.HTTP_REQUEST_TIME_OUT,
        apache.HTTP_CONFLICT, apache.HTTP_GONE, apache.HTTP_LENGTH_REQUIRED,
        apache.HTTP_PRECONDITION_FAILED, apache.HTTP_REQUEST_ENTITY_TOO_LARGE,
        apache.HTTP_REQUEST_URI_TOO_LARGE, apache.HTTP_UNSUPPORTED_MEDIA_TYPE,
        apache.HTTP_RANGE_NOT_SATISFIABLE, apache.HTTP_EXPECTATION_FAILED, apache.HTTP_IM_A_TEAPOT,
        apache.HTTP_UNPROCESSABLE_ENTITY, apache.HTTP_LOCKED, apache.HTTP_FAILED_DEPENDENCY,
        apache.HTTP_UPGRADE_REQUIRED, apache.HTTP_INTERNAL_SERVER_ERROR,
        apache.HTTP_NOT_IMPLEMENTED, apache.HTTP_BAD_GATEWAY, apache.HTTP_SERVICE_UNAVAILABLE,
        apache.HTTP_GATEWAY_TIME_OUT, apache.HTTP_VERSION_NOT_SUPPORTED,
        apache.HTTP_VARIANT_ALSO_VARIES, apache.HTTP_INSUFFICIENT_STORAGE,
        apache.HTTP_NOT_EXTENDED, apache.APLOG_EMERG, apache.APLOG_ALERT, apache.APLOG_CRIT,
        apache.APLOG_ERR, apache.APLOG_WARNING, apache.APLOG_NOTICE, apache.APLOG_INFO,
        apache.APLOG_DEBUG, apache.APLOG_NOERRNO, apache.M_GET, apache.M_PUT, apache.M_POST,
        apache.M_DELETE, apache.M_CONNECT, apache.M_OPTIONS, apache.M_TRACE, apache.M_PATCH,
        apache.M_PROPFIND, apache.M_PROPPATCH, apache.M_MKCOL, apache.M_COPY, apache.M_MOVE,
        apache.M_LOCK, apache.M_UNLOCK, apache.M_VERSION_CONTROL, apache.M_CHECKOUT,
        apache.M_UNCHECKOUT, apache.M_CHECKIN, apache.M_UPDATE, apache.M_LABEL, apache.M_REPORT,
        apache.M_MKWORKSPACE, apache.M_MKACTIVITY, apache.M_BASELINE_CONTROL, apache.M_MERGE,
        apache.M_INVALID, apache.AP_MPMQ_NOT_SUPPORTED, apache.AP_MPMQ_STATIC,
        apache.AP_MPMQ_DYNAMIC, apache.AP_MPMQ_STARTING, apache.AP_MPMQ_RUNNING,
        apache.AP_MPMQ_STOPPING, apache.AP_MPMQ_MAX_DAEMON_USED, apache.AP_MPMQ_IS_THREADED,
        apache.AP_MPMQ_IS_FORKED, apache.AP_MPMQ_HARD_LIMIT_DAEMONS,
        apache.AP_MPMQ_HARD_LIMIT_THREADS, apache.AP_MPMQ_MAX_THREADS,
        apache.AP_MPMQ_MIN_SPARE_DAEMONS, apache.AP_MPMQ_MIN_SPARE_THREADS,
        apache.AP_MPMQ_MAX_SPARE_DAEMONS, apache.AP_MPMQ_MAX_SPARE_THREADS,
        apache.AP_MPMQ_MAX_REQUESTS_DAEMON, apache.AP_MPMQ_MAX_DAEMONS, apache.AP_MPMQ_MPM_STATE,
        apache.AP_MPMQ_IS_ASYNC, apache.AP_MPMQ_GENERATION, apache.AP_MPMQ_HAS_SERF,
        apache.REQ_PROCEED, apache.REQ_NOACTION, apache.REQ_ABORTED, apache.REMOTE_HOST,
        apache.REMOTE_NAME, apache.REMOTE_NOLOOKUP, apache.REMOTE_DOUBLE_REV, apache.FINFO_MODE,
        apache.FINFO_INO, apache.FINFO_DEV, apache.FINFO_NLINK, apache.FINFO_UID, apache.FINFO_GID,
        apache.FINFO_SIZE, apache.FINFO_ATIME, apache.FINFO_MTIME, apache.FINFO_CTIME,
        apache.FINFO_FNAME, apache.FINFO_NAME, apache.FINFO_FILETYPE, apache.URI_SCHEME,
        apache.URI_HOSTINFO, apache.URI_USER, apache.URI_PASSWORD, apache.URI_HOSTNAME,
        apache.URI_PORT, apache.URI_PATH, apache.URI_QUERY, apache.URI_FRAGMENT,
        apache.PROXYREQ_NONE, apache.PROXYREQ_PROXY, apache.PROXYREQ_REVERSE,
        apache.PROXYREQ_RESPONSE, apache.AP_REQ_ACCEPT_PATH_INFO, apache.AP_REQ_REJECT_PATH_INFO,
        apache.AP_REQ_DEFAULT_PATH_INFO, apache.REQUEST_NO_BODY, apache.REQUEST_CHUNKED_ERROR,
        apache.REQUEST_CHUNKED_DECHUNK, apache.AP_CONN_UNKNOWN, apache.AP_CONN_CLOSE,
        apache.AP_CONN_KEEPALIVE, apache.APR_NOFILE, apache.APR_REG, apache.APR_DIR,
        apache.APR_CHR, apache.APR_BLK, apache.APR_PIPE, apache.APR_LNK, apache.APR_SOCK,
        apache.APR_UNKFILE, apache.MODULE_MAGIC_NUMBER_MAJOR, apache.MODULE_MAGIC_NUMBER_MINOR,
        apache.APR_FINFO_LINK, apache.APR_FINFO_MTIME, apache.APR_FINFO_CTIME,
        apache.APR_FINFO_ATIME, apache.APR_FINFO_SIZE, apache.APR_FINFO_CSIZE,
        apache.APR_FINFO_DEV, apache.APR_FINFO_INODE, apache.APR_FINFO_NLINK,
        apache.APR_FINFO_TYPE, apache.APR_FINFO_USER, apache.APR_FINFO_GROUP,
        apache.APR_FINFO_UPROT, apache.APR_FINFO_GPROT, apache.APR_FINFO_WPROT,
        apache.APR_FINFO_ICASE, apache.APR_FINFO_NAME, apache.APR_FINFO_MIN,
        apache.APR_FINFO_IDENT, apache.APR_FINFO_OWNER, apache.APR_FINFO_PROT,
        apache.APR_FINFO_NORM, apache.APR_FINFO_DIRENT,
    ]
    texts: list[str] = [
        apache.REQ_EXIT, apache.CGI_MAGIC_TYPE, apache.INCLUDES_MAGIC_TYPE,
        apache.INCLUDES_MAGIC_TYPE3, apache.DIR_MAGIC_TYPE,
    ]
    del numbers, texts
    assert_type(apache.MODULE_MAGIC_NUMBER_MAJOR, int)
    try:
        raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
    except apache.SERVER_RETURN as e:
        assert_type(e.args, tuple[Any, ...])
    server = apache.main_server
    assert_type(server, mp_server | None)
    assert_type(apache.interpreter, str)
    apache.log_error("text", apache.APLOG_NOTICE)
    apache.log_error(None)
    assert_type(apache.server_root(), str | None)
    assert_type(apache.exists_config_define("X"), bool)
    finfo = apache.stat("/etc/hosts", apache.APR_FINFO_NORM)
    assert_type(finfo, mp_finfo)
    assert_type(apache.config_tree(), list[Any])
    apache.register_cleanup(print, "child exit")
    assert_type(apache.mpm_query(apache.AP_MPMQ_IS_THREADED), int | None)
    assert_type(apache.import_module("os"), ModuleType)
    assert_type(apache.parse_qs("a=1"), dict[str, list[str]])
    assert_type(apache.parse_qs(b"a=1"), dict[bytes, list[bytes]])
    assert_type(apache.parse_qsl("a=1"), list[tuple[str, str]])
    table: mp_table = apache.table({"a": "1"})
    assert_type(apache.make_table(), mp_table)
    assert_type(table, apache.mp_table)
    apache.init()
    assert_type(apache.escape("<"), str)
    assert_type(apache.module_mtime(apache), float)
    assert_type(apache.resolve_object(apache, "table"), Any)
    env = apache.build_cgi_env(req)
    assert_type(env, dict[str, str])
    saved, stdin, stdout = apache.setup_cgi(req)
    apache.restore_nocgi(saved, stdin, stdout)
    handler: logging.Handler = apache.ErrorLogHandler()
    logging.getLogger("app").addHandler(handler)
    assert_type(req, apache.mp_request)
    assert_type(req.finfo, apache.mp_finfo)
    assert_type(req.server, apache.mp_server)
    for stream in (apache.NullIO(), apache.CGIStdin(req), apache.CGIStdout(req)):
        assert_type(stream, apache.NullIO)
    return apache.OK


def use_apache__NullIO(stream: apache.NullIO) -> None:
    assert_type(stream.tell(), int)
    assert_type(stream.read(), str)
    assert_type(stream.readline(), str)
    assert_type(stream.readlines(), list[str])
    stream.write("text")
    stream.writelines(["a", "b"])
    stream.seek(0)
    assert_type(stream.isatty(), int)
    stream.flush()
    stream.close()
    try:
        stream.fileno()
    except OSError:
        pass


def use_apache__CGIStdin(stream: apache.CGIStdin) -> None:
    assert_type(stream.req, Request)


def use_apache__CGIStdout(stream: apache.CGIStdout) -> None:
    assert_type(stream.req, Request)
    assert_type(stream.headers_sent, int)
    assert_type(stream.headers, str)


def use__request() -> None:
    assert_type(_request.FINFO_FIELDS, tuple[str, ...])
    assert_type(_request.mp_request, type[Request])
    assert_type(_request.mp_finfo, type[mp_finfo])
    assert_type(_request.mp_uri, type[_request.mp_uri])


def use__request__mp_request(req: Request) -> int:
    # The tables.
    headers: mp_table = req.headers_in
    req.headers_out["X-Served-By"] = "mod_python"
    req.err_headers_out.add("Set-Cookie", "a=1")
    req.notes["seen"] = b"1"
    assert_type(req.subprocess_env.get("PATH"), str | None)
    assert_type(headers.get("Host", ""), str)
    # What httpd knows of the request.
    assert_type(req.phase, str | None)
    assert_type(req.extension, str | None)
    assert_type(req.interpreter, str)
    assert_type(req.connection, _connection.mp_conn)
    assert_type(req.server, mp_server)
    assert_type(req.hlist, _hlist.mp_hlist | None)
    assert_type(req.parsed_uri, _request.mp_uri)
    assert_type(req.main, Request | None)
    assert_type(req.prev, Request | None)
    assert_type(req.next, Request | None)
    assert_type(req.the_request, str | None)
    assert_type(req.header_only, int)
    assert_type(req.protocol, str | None)
    assert_type(req.proto_num, int)
    assert_type(req.hostname, str | None)
    assert_type(req.request_time, float)
    assert_type(req.method, str | None)
    assert_type(req.method_number, int)
    assert_type(req.allowed, int)
    assert_type(req.allowed_xmethods, tuple[str, ...])
    assert_type(req.allowed_methods, tuple[str, ...])
    assert_type(req.sent_bodyct, int)
    assert_type(req.bytes_sent, int)
    assert_type(req.mtime, float)
    assert_type(req.range, str | None)
    assert_type(req.clength, int)
    assert_type(req.remaining, int)
    assert_type(req.read_length, int)
    assert_type(req.read_body, int)
    assert_type(req.read_chunked, int)
    assert_type(req.expecting_100, int)
    assert_type(req.content_encoding, str | None)
    assert_type(req.content_languages, tuple[str, ...])
    assert_type(req.vlist_validator, str | None)
    assert_type(req.unparsed_uri, str | None)
    assert_type(req.eos_sent, int)
    assert_type(req.useragent_addr, tuple[str | None, int])
    assert_type(req.useragent_ip, str | None)
    # What handlers write: text as str or bytes.
    req.content_type = "text/plain"
    req.content_type = b"text/plain"
    assert_type(req.content_type, str | None)
    assert_type(req.handler, str | None)
    req.handler = None
    req.uri = "/other"
    assert_type(req.uri, str | None)
    assert_type(req.args, str | None)
    req.args = None
    req.path_info = ""
    assert_type(req.path_info, str | None)
    req.filename = b"/srv/\xff"
    assert_type(req.filename, str | None)
    req.canonical_filename = "/srv/x"
    assert_type(req.canonical_filename, str | None)
    req.user = "ann"
    assert_type(req.user, str | None)
    req.ap_auth_type = "Basic"
    assert_type(req.ap_auth_type, str | None)
    req.status_line = "200 Fine"
    assert_type(req.status_line, str | None)
    req.status = apache.HTTP_OK
    req.assbackwards = 0
    req.proxyreq = apache.PROXYREQ_NONE
    req.chunked = 1
    req.no_cache = 1
    req.no_local_copy = 1
    req.used_path_info = apache.AP_REQ_ACCEPT_PATH_INFO
    req.finfo = apache.stat("/etc/hosts", apache.APR_FINFO_MIN)
    # Set by the library's handlers.
    req.form = util.FieldStorage(req)
    req.session = Session.Session(req)
    req.ssi_globals = {"title": "page"}
    # The response.
    req.write("text")
    req.write(b"bytes", 0)
    req.flush()
    assert_type(req.sendfile("/etc/hosts", 0, -1), int)
    req.set_content_length(10)
    req.send_http_header()
    req.set_etag()
    req.set_last_modified()
    req.update_mtime(0.0)
    assert_type(req.meets_conditions(), int)
    req.allow_methods(["GET", "POST"], 1)
    req.internal_redirect("/elsewhere")
    # The body.
    assert_type(req.read(), bytes)
    assert_type(req.read(10), bytes)
    assert_type(req.readline(), bytes)
    assert_type(req.readlines(), list[bytes])
    assert_type(req.discard_request_body(), int)
    # Configuration.
    assert_type(req.get_options(), mp_table)
    assert_type(req.get_config(), mp_table)
    assert_type(req.requires(), tuple[str, ...])
    assert_type(req.get_addhandler_exts(), str)
    # Handlers, filters, the request's life.
    req.add_handler("PythonFixupHandler", "module::fixup")
    req.register_output_filter("UPPER", "filters::upper")
    req.register_input_filter("LOWER", "filters::lower", "/srv")
    req.add_output_filter("UPPER")
    req.add_input_filter("LOWER")
    req.register_cleanup(print, "done")
    req.log_error("message", apache.APLOG_INFO)
    # The client, URLs, the environment.
    assert_type(req.get_basic_auth_pw(), str | None)
    assert_type(req.auth_name(), str | None)
    assert_type(req.auth_type(), str | None)
    assert_type(req.get_remote_host(), str | None)
    assert_type(req.get_remote_host(apache.REMOTE_NOLOOKUP, 1), tuple[str | None, int])
    assert_type(req.is_https(), int)
    assert_type(req.ssl_var_lookup("SSL_PROTOCOL"), str | None)
    assert_type(req.document_root(), str | None)
    assert_type(req.construct_url("/x"), str)
    req.add_common_vars()
    req.add_cgi_vars()
    assert_type(req.build_wsgi_env(), dict[str, Any])
    write = req.wsgi_start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"body")
    return apache.OK


def use__request__mp_finfo(finfo: mp_finfo) -> None:
    assert_type(finfo.fname, str | None)
    assert_type(finfo.filetype, int)
    assert_type(finfo.valid, int | None)
    assert_type(finfo.protection, int | None)
    assert_type(finfo.user, int | None)
    assert_type(finfo.group, int | None)
    assert_type(finfo.size, int | None)
    assert_type(finfo.inode, int | None)
    assert_type(finfo.device, int | None)
    assert_type(finfo.nlink, int | None)
    assert_type(finfo.atime, int | None)
    assert_type(finfo.mtime, int | None)
    assert_type(finfo.ctime, int | None)
    assert_type(finfo.name, str | None)
    assert_type(finfo[apache.FINFO_SIZE], Any)


def use__request__mp_uri(uri: _request.mp_uri) -> None:
    assert_type(uri.scheme, str | None)
    assert_type(uri.hostinfo, str | None)
    assert_type(uri.user, str | None)
    assert_type(uri.password, str | None)
    assert_type(uri.hostname, str | None)
    assert_type(uri.port, int | None)
    assert_type(uri.path, str | None)
    assert_type(uri.query, str | None)
    assert_type(uri.fragment, str | None)
    assert_type(uri[apache.URI_PATH], Any)


def use__table() -> None:
    which: list[int] = [_table.HEADERS_IN, _table.HEADERS_OUT, _table.ERR_HEADERS_OUT,
                        _table.NOTES, _table.SUBPROCESS_ENV, _table.CONN_NOTES]
    owner: _table.Handled = _request.mp_request()
    for w in which:
        assert_type(_table.request_table(owner, w), mp_table)
    assert_type(_table.table_of([("a", "1")]), _table.mp_table)


def use__table__mp_table(t: mp_table) -> None:
    t["Accept"] = "text/html"
    t.add("Accept", b"text/plain")
    # A repeated key gives the list of its values: typed so that code need not test which.
    assert_type(t["Accept"], str | Any)
    del t["Accept"]
    assert_type("Accept" in t, bool)
    assert_type(len(t), int)
    assert_type(t.get("Host"), str | None)
    assert_type(t.get("Host", 0), str | int)
    assert_type(t.has_key("Host"), int)
    assert_type(t.keys(), list[str])
    assert_type(t.values(), list[str])
    assert_type(t.items(), list[tuple[str, str]])
    assert_type(t.setdefault("Host", "localhost"), str)
    assert_type(t.popitem(), tuple[str, str])
    t.update({"a": "1"})
    t.update([("b", "2")])
    assert_type(t.copy(), mp_table)
    for key in t.iterkeys():
        assert_type(key, str)
    for value in t.itervalues():
        assert_type(value, str)
    for pair in t.iteritems():
        assert_type(pair, tuple[str, str])
    t.clear()


def use__server() -> None:
    _server.register_exit_cleanup(print, "bye")
    assert_type(_server.mp_server, type[mp_server])


def use__server__mp_server(s: mp_server) -> None:
    assert_type(s.next, mp_server | None)
    assert_type(s.get_options(), mp_table)
    assert_type(s.get_config(), mp_table)
    s.register_cleanup(_request.mp_request(), print, "bye")
    s.log_error("message", apache.APLOG_WARNING)
    assert_type(s.server_hostname, str | None)
    assert_type(s.server_admin, str | None)
    assert_type(s.port, int)
    assert_type(s.is_virtual, int)
    assert_type(s.defn_name, str | None)
    assert_type(s.defn_line_number, int)
    assert_type(s.error_fname, str | None)
    assert_type(s.loglevel, int)
    assert_type(s.names, tuple[str, ...])
    assert_type(s.wild_names, tuple[str, ...])
    assert_type(s.limit_req_line, int)
    assert_type(s.limit_req_fieldsize, int)
    assert_type(s.limit_req_fields, int)
    assert_type(s.timeout, float)
    assert_type(s.keep_alive, int)
    assert_type(s.keep_alive_max, int)
    assert_type(s.keep_alive_timeout, float)
    assert_type(s.path, str | None)
    assert_type(s.pathlen, int)
    assert_type(s.restart_time, float | None)
    assert_type(s.my_generation, int)


def use__hlist() -> None:
    assert_type(_hlist.mp_hlist("module", None, False), _hlist.mp_hlist)


def use__hlist__mp_hlist(hlist: _hlist.mp_hlist) -> None:
    assert_type(hlist.handler, str | None)
    assert_type(hlist.directory, str | None)
    assert_type(hlist.is_location, int | None)
    assert_type(hlist.silent, int | None)
    hlist.next()


def use__connection() -> None:
    assert_type(_connection.FIELDS, tuple[str, ...])
    assert_type(_connection.mp_conn, type[_connection.mp_conn])
    assert_type(_connection.mp_connection, type[Connection])
    assert_type(_connection.dispatch(0, "lines", "handler", None, False, None), int)


def use__connection__mp_conn(conn: _connection.mp_conn) -> None:
    assert_type(conn.client_ip, str | None)
    assert_type(conn.client_addr, tuple[str | None, int])
    assert_type(conn.remote_host, str | None)
    assert_type(conn.remote_logname, str | None)
    assert_type(conn.aborted, int)
    conn.keepalive = apache.AP_CONN_CLOSE
    assert_type(conn.keepalive, int)
    assert_type(conn.double_reverse, int)
    assert_type(conn.keepalives, int)
    assert_type(conn.local_ip, str | None)
    assert_type(conn.local_addr, tuple[str | None, int])
    assert_type(conn.local_host, str | None)
    assert_type(conn.id, int)
    assert_type(conn.remote_ip, str | None)
    assert_type(conn.remote_addr, tuple[str | None, int])
    assert_type(conn.base_server, mp_server)
    assert_type(conn.notes, mp_table)
    assert_type(conn.hlist, _hlist.mp_hlist | None)
    conn.log_error("message")
    assert_type(conn.read(), bytes)
    assert_type(conn.readline(80), bytes)
    conn.write(b"line\n")


def use__connection__mp_connection(conn: Connection) -> int:
    assert_type(conn.hlist, _hlist.mp_hlist)
    return apache.OK


def use__filter(req: Request) -> None:
    assert_type(_filter.mp_filter, type[Filter])
    _filter.dispatch(0, "UPPER", False, req, "filters", "outputfilter", None, False, True, None)


def use__filter__mp_filter(filter: Filter) -> None:
    assert_type(filter.req, Request)
    filter.softspace = 0
    assert_type(filter.name, str)
    assert_type(filter.is_input, int)
    assert_type(filter.handler, str)
    assert_type(filter.dir, str | None)
    assert_type(filter.closed, int)
    data = filter.read()
    while data:
        filter.write(data.upper())
        data = filter.readline(80)
    filter.flush()
    if data is None:
        filter.close()
    filter.pass_on()
    filter.disable()


def use_util(req: Request) -> None:
    assert_type(util.readBlockSize, int)
    assert_type(util.parse_qsl("a=1&b=2"), list[tuple[str, str]])
    assert_type(util.parse_qsl(b"a=1"), list[tuple[bytes, bytes]])
    assert_type(util.parse_qs("a=1&a=2"), dict[str, list[str]])
    assert_type(util.parse_qs(b"a=1"), dict[bytes, list[bytes]])
    assert_type(util.parse_header("text/html; charset=utf-8"), tuple[str, dict[str, str]])
    form = util.FieldStorage(req, keep_blank_values=1)
    upload = util.Field("photo")
    text = util.StringField("value")
    fields: util.FieldList = form.list
    fields.append(upload)
    fields.append(text)

    def greet(name: str = "you") -> str:
        return "hello " + name

    assert_type(util.apply_fs_data(greet, form, req=req), str)
    if form.getfirst("next"):
        util.redirect(req, "/next", permanent=1, text="moved")


def use_util__Field(field: util.Field) -> None:
    assert_type(field.name, str | None)
    assert_type(field.filename, str | None)
    data = field.file.read(65536)
    assert_type(field.value, bytes | None)
    assert_type(field.type, str | None)
    assert_type(field.type_options.get("charset"), str | None)
    assert_type(field.disposition, str | None)
    assert_type(field.disposition_options, Mapping[str, str])
    assert_type(field.headers, mp_table | Mapping[str, str])
    del data


def use_util__StringField(field: util.StringField) -> None:
    assert_type(field.upper(), str)
    assert_type(field.name, str | None)
    assert_type(field.value, str)
    assert_type(field.file.read(), bytes | Any)
    assert_type(field.filename, None)
    assert_type(field.type, str)
    assert_type(field.type_options.get("charset"), str | None)
    assert_type(field.disposition, str | None)
    assert_type(field.disposition_options.get("name"), str | None)
    assert_type(field.headers, mp_table | Mapping[str, str])
    assert_type(field.ctype, str)
    assert_type(field.disp_options, Mapping[str, str] | None)


def use_util__FieldList(fields: util.FieldList) -> None:
    assert_type(fields.table(), dict[str | None, list[util.Field | util.StringField]])


def use_util__FieldStorage(form: util.FieldStorage, req: Request) -> None:
    # A name's value is a StringField, a Field or a list of them: typed `StringField | Any`.
    name = form["name"]
    assert_type(name, util.StringField | Any)
    assert_type(form.get("name"), util.StringField | Any | None)
    assert_type(form.getfirst("name", ""), util.StringField | Any | str)
    assert_type(form.getlist("tag"), list[util.StringField | Any])
    form["name"] = "Ann"
    form.add_field("tag", "new")
    del form["tag"]
    assert_type("name" in form, bool)
    assert_type(form.has_key("name"), bool)
    assert_type(form.keys(), list[str | None])
    assert_type(form.items(), list[tuple[str | None, util.StringField | Any]])
    assert_type(form.list, util.FieldList)
    assert_type(form.parse_qsl_safely("a=1", 1), list[tuple[str, str]])
    assert_type(form.read_to_boundary(req, b"--boundary", None), bool)
    form.clear()


def use_Cookie(req: Request) -> None:
    try:
        Cookie.add_cookie(req, Cookie.Cookie("visits", "1", path="/"))
        Cookie.add_cookie(req, "plain", "value", httponly=1)
        assert_type(Cookie.get_cookies(req), dict[str, Any])
        assert_type(Cookie.get_cookie(req, "visits"), Cookie.Cookie | None)
        signed = Cookie.get_cookie(req, "login", Cookie.SignedCookie, secret="s3cret")
        assert_type(signed, Cookie.SignedCookie | Cookie.Cookie | None)
        kept = Cookie.MarshalCookie("state", {"n": 1}, "s3cret")
        Cookie.add_cookie(req, kept)
    except Cookie.CookieError:
        pass


def use_Cookie__Cookie(c: Cookie.Cookie) -> None:
    assert_type(c.name, str)
    assert_type(c.value, Any)
    c.version = 1
    c.path = "/"
    c.domain = "example.org"
    c.secure = True
    c.comment = "kept"
    c.expires = 0
    c.expires = "Thu, 01-Jan-2026 00:00:00 GMT"
    assert_type(c.expires, str)
    c.max_age = 3600
    c.samesite = "Lax"
    c.commentURL = "https://example.org/"
    c.discard = 1
    c.port = "80"
    c.httponly = 1
    cookies = Cookie.Cookie.parse("a=1; b=2", names=["a"])
    assert_type(cookies, dict[str, Cookie.Cookie])
    modes: list[int] = [Cookie.Cookie.DOWNGRADE, Cookie.Cookie.IGNORE, Cookie.Cookie.EXCEPTION]
    del modes


def use_Cookie__SignedCookie(c: Cookie.SignedCookie) -> None:
    assert_type(c.hexdigest("value"), str)
    c.unsign("s3cret")
    found = Cookie.SignedCookie.parse("a=1", "s3cret", Cookie.Cookie.IGNORE)
    assert_type(found, dict[str, Cookie.Cookie])


def use_Cookie__MarshalCookie(c: Cookie.MarshalCookie) -> None:
    c.unmarshal("s3cret")


def use_Session(req: Request) -> None:
    constants: list[object] = [
        Session.COOKIE_NAME, Session.DFT_TIMEOUT, Session.DFT_LOCK, Session.CLEANUP_CHANCE,
        Session.tempdir, Session.DFT_FAST_CLEANUP, Session.DFT_VERIFY_CLEANUP,
        Session.DFT_GRACE_PERIOD, Session.DFT_CLEANUP_TIME_LIMIT, Session.SOCACHE_OPTION,
    ]
    del constants
    assert_type(Session.true_or_false("On"), bool)
    sessions: list[Session.BaseSession] = [
        Session.Session(req),
        Session.DbmSession(req, dbm="/tmp/sessions.dbm"),
        Session.FileSession(req, timeout=600),
        Session.MemorySession(req, lock=0),
        Session.SocacheSession(req, secret="s3cret"),
    ]
    del sessions
    assert_type(Session.StoreUnavailable("memcached at 127.0.0.1:11211 is down"),
                Session.StoreUnavailable)


def use_Session__BaseSession(session: Session.BaseSession) -> None:
    session["visits"] = session.get("visits", 0) + 1
    assert_type(session.make_cookie(), Cookie.Cookie)
    assert_type(session.load(), int)
    session.save()
    assert_type(session.is_new(), bool)
    assert_type(session.id(), str)
    assert_type(session.created(), float)
    assert_type(session.last_accessed(), float)
    assert_type(session.timeout(), float)
    session.set_timeout(3600)
    session.init_lock()
    session.lock()
    session.unlock()
    session.cleanup()
    session.do_cleanup()
    assert_type(session.do_load(), dict[str, Any] | None)
    session.do_save({"_data": {}})
    session.do_delete()
    session.delete()
    session.invalidate()


def use_Session__MemorySession() -> None:
    assert_type(Session.MemorySession.sdict, dict[str, bytes])


def use_Session__StoreUnavailable(req: Request) -> int:
    try:
        Session.SocacheSession(req, secret="s3cret")
    except Session.StoreUnavailable as e:
        assert_type(e.message, str)
        raise
    return apache.OK


def use_psp(req: Request) -> int:
    assert_type(psp.parse("page.psp", "/srv/pages"), str)
    assert_type(psp.parsestring("<%= 1 %>"), str)
    page = psp.PSP(req, filename="page.psp", vars={"title": "Hello"})
    page.run({"user": "ann"})
    assert_type(psp.PSPInterface(req, None, None), psp.PSPInterface)
    return psp.handler(req)


def use_psp__PSP(page: psp.PSP) -> None:
    assert_type(page.req, Request)
    assert_type(page.vars, dict[str, Any])
    assert_type(page.filename, str | None)
    assert_type(page.string, str | None)
    assert_type(page.code, CodeType | None)
    page.run(flush=1)
    page.display_code()


def use_psp__PSPInterface(iface: psp.PSPInterface) -> None:
    assert_type(iface.req, Request)
    assert_type(iface.filename, str | None)
    assert_type(iface.form, util.FieldStorage | None)
    assert_type(iface.error_page, psp.PSP | None)
    iface.set_error_page("oops.psp")

    def total(a: str = "0", b: str = "0") -> int:
        return int(a) + int(b)

    assert_type(iface.apply_data(total), int)
    iface.redirect("/elsewhere")


def use_publisher(req: Request) -> int:
    return publisher.handler(req)


def use_wsgi(req: Request) -> int:
    assert_type(wsgi.APPLICATION_OPTION, str)
    assert_type(wsgi.BASE_URI_OPTION, str)
    assert_type(wsgi.Input, type[wsgi.Input])
    assert_type(wsgi.Errors, type[wsgi.Errors])
    assert_type(wsgi.Response, type[wsgi.Response])
    assert_type(wsgi.FileWrapper(io.BytesIO(b"data")), wsgi.FileWrapper)
    return wsgi.handler(req)


def use_wsgi__FileWrapper(wrapper: wsgi.FileWrapper) -> None:
    assert_type(wrapper.filelike, Any)
    assert_type(wrapper.blksize, int)
    for block in wrapper:
        assert_type(block, bytes)
    wrapper.close()


def use_wsgi__Input(stream: wsgi.Input) -> None:
    assert_type(stream.read(), bytes)
    assert_type(stream.readline(), bytes)
    assert_type(stream.readlines(), list[bytes])
    for line in stream:
        assert_type(line, bytes)


def use_wsgi__Errors(errors: wsgi.Errors) -> None:
    assert_type(errors.write("line\n"), int)
    errors.writelines(["a\n", "b\n"])
    errors.flush()
    assert_type(errors.encoding, str)
    assert_type(errors.errors, str)
    assert_type(errors.closed, bool)
    assert_type(errors.isatty(), bool)
    assert_type(errors.writable(), bool)
    print("to the error_log", file=errors)


def use_wsgi__Response(response: wsgi.Response) -> None:
    assert_type(response.req, Request)
    assert_type(response.status, str | None)
    assert_type(response.headers, list[tuple[str, str | bytes]])
    assert_type(response.sent, bool)
    assert_type(response.begun, bool)
    assert_type(response.left, int | None)
    write = response.start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"body")
    assert_type(response.send_headers(0), int | None)
    response.write(b"more", flush=False)


def use_cache() -> None:
    assert_type(cache.NOT_INITIALIZED, object)
    assert_type(cache.Entry("key"), cache.Entry)
    assert_type(cache.parseRFC822Time("Sun, 06 Nov 1994 08:49:37 GMT"), float)
    assert_type(cache.re_max_age.search("max-age=60"), re.Match[str] | None)
    caches: list[cache.Cache] = [cache.WeakCache(), cache.FileCache(max_size=10)]
    del caches
    assert_type(cache.ModuleCache()["/srv/helpers.py"], ModuleType)
    page = cache.HTTPCache()["http://127.0.0.1/"]
    assert_type(page, cache.HTTPEntity | Any)
    assert_type(cache.HttpModuleCache()["http://127.0.0.1/m.py"], ModuleType)

    @cache.FunctionCache
    def square(n: int) -> int:
        return n * n

    assert_type(square(3), int)


def use_cache__Cache(c: cache.Cache) -> None:
    c["name"] = "value"
    assert_type(c["name"], Any)
    del c["name"]
    assert_type("name" in c, bool)
    assert_type(len(c), int)
    key = c.key("name")
    entry = cache.Entry(key)
    assert_type(c.check(key, "name", entry), Any)
    assert_type(c.build(key, "name", None, entry), Any)
    c.commit()
    recent: Hashable | None = c.mru()
    oldest: Hashable | None = c.lru()
    del recent, oldest
    c.clear()


def use_cache__FileCache(c: cache.FileCache) -> None:
    assert_type(c.mode, str)


def use_cache__HTTPEntity(e: cache.HTTPEntity) -> None:
    assert_type(e.entity, bytes)
    assert_type(e.metadata, dict[str, str])


def use_cache__HTTPCache(c: cache.HTTPCache) -> None:
    assert_type(c.timeout, float)


def use_cache__FunctionCache(c: cache.FunctionCache[str]) -> None:
    assert_type(c.function, Callable[..., str])
    assert_type(c(1, 2), str)


def use_cgihandler(req: Request) -> int:
    return cgihandler.handler(req)


def use_testhandler(req: Request) -> int:
    assert_type(testhandler.LOG_LINES, int)
    return testhandler.handler(req)


def use_python22() -> None:
    assert_type(python22.__all__, list[str])


def use_version() -> None:
    values: list[str] = [
        version.version, version.HTTPD, version.HTTPD_VERSION, version.APR_VERSION,
        version.LIBEXECDIR, version.SYSCONFDIR, version.PYTHON_BIN, version.PYTHON_VERSION,
    ]
    del values


def use_httpdconf() -> str:
    h = httpdconf
    config = h.Container(
        h.Comment("made by uses_everything.py"),
        h.ServerRoot("/srv/httpd"), h.Listen("127.0.0.1:8080"), h.ServerName("localhost"),
        h.ServerAdmin("root@localhost"), h.ServerPath("/"), h.DocumentRoot("/srv/www"),
        h.ErrorLog("logs/error_log"), h.CustomLog("logs/access_log combined"),
        h.LogLevel("warn"), h.LogFormat("%h %r combined"), h.PidFile("logs/httpd.pid"),
        h.TypesConfig("conf/mime.types"), h.LockFile("logs/accept.lock"),
        h.Timeout("60"), h.KeepAliveTimeout("5"), h.NameVirtualHost("*:8080"),
        h.StartServers("2"), h.StartThreads("2"), h.NumServers("2"), h.MaxClients("50"),
        h.MaxSpareServers("5"), h.MaxSpareThreads("10"), h.MinSpareThreads("2"),
        h.MaxThreadsPerChild("25"), h.ThreadsPerChild("25"), h.MaxRequestsPerChild("0"),
        h.MaxConnectionsPerChild("0"), h.Mutex("default"), h.Options("None"),
        h.LoadModule("python_module modules/mod_python.so"),
        h.AddHandler("mod_python .py"), h.AddOutputFilter("INCLUDES .shtml"),
        h.AddType("text/html .shtml"), h.DirectoryIndex("index.py"),
        h.AuthType("Basic"), h.AuthName("members"), h.AuthBasicProvider("file"),
        h.AuthBasicAuthoritative("On"), h.Require("valid-user"),
        h.PythonPath("sys.path+['/srv/app']"), h.PythonDebug("On"),
        h.PythonInterpPerDirectory(), h.PythonInterpPerDirective("Off"),
        h.PythonImport("app main_interpreter"), h.PythonOption("key value"),
        h.PythonOutputFilter("filters UPPER"),
        h.PythonPostReadRequestHandler("hooks"), h.PythonTransHandler("hooks"),
        h.PythonAccessHandler("hooks"), h.PythonAuthenHandler("hooks"),
        h.PythonAuthzHandler("hooks"), h.PythonFixupHandler("hooks"),
        h.PythonHandler("mod_python.publisher"), h.PythonCleanupHandler("hooks"),
        h.PythonConnectionHandler("lines"), h.SetHandler("mod_python"),
        h.Directory("/srv/www", h.Options("None")), h.Files("*.py"),
        h.IfModule("mod_python.c"), h.Location("/app"), h.VirtualHost("*:8080"),
        h.ContainerTag("Proxy", "*", [h.Require("all granted")]),
        only_if="mod_python.version.HTTPD_VERSION[0:3] == '2.4'",
    )
    config.append(h.Directive("Define", "X"))
    assert_type(h.quote_if_space("/srv/my site"), str)
    assert_type(h.write_basic_config("/srv/httpd", listen="127.0.0.1:8888"), str | None)
    return str(config)


def use_httpdconf__Directive(d: httpdconf.Directive) -> None:
    assert_type(d.name, str)
    assert_type(d.val, str)
    assert_type(d.indent, int)
    assert_type(d.flipslash, int)


def use_httpdconf__Comment(c: httpdconf.Comment) -> None:
    assert_type(c.comment, str)
    assert_type(c.indent, int)


def use_httpdconf__ContainerTag(t: httpdconf.ContainerTag) -> None:
    assert_type(t.tag, str)
    assert_type(t.attr, str)
    assert_type(len(t.args), int)
    assert_type(t.indent, int)
    assert_type(t.flipslash, int)


def use_httpdconf__Container(c: httpdconf.Container) -> None:
    c.append(httpdconf.Comment("more"))
    assert_type(len(c.args), int)
    assert_type(c.indent, int)
    assert_type(c.only_if, str | None)
