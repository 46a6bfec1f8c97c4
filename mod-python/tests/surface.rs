//! Every object a handler sees has mod_python 3.5's surface: the same attribute and method
//! names, the same types of values, the same attributes writable. Where Debian's C mod_python
//! 3.5 is installed, the same probe runs on it and each answer must be ours too; the names
//! 3.5's sources declare are kept here as well, for the objects whose `dir()` the C module
//! answers empty (the connection, the filter, `req.hlist`, finfo) and for machines without it.
//! Under event and prefork.

use harness::{Httpd, Mpm};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::PathBuf;

/// The request object (requestobject.c: its methods, getsets and members, as built for httpd
/// 2.4, and `wsgi_start_response`, which Debian's build has).
const REQUEST: &[&str] = &[
    "_bytes_queued",
    "_content_type_set",
    "_request_rec",
    "add_cgi_vars",
    "add_common_vars",
    "add_handler",
    "add_input_filter",
    "add_output_filter",
    "allow_methods",
    "allowed",
    "allowed_methods",
    "allowed_xmethods",
    "ap_auth_type",
    "args",
    "assbackwards",
    "auth_name",
    "auth_type",
    "build_wsgi_env",
    "bytes_sent",
    "canonical_filename",
    "chunked",
    "clength",
    "connection",
    "construct_url",
    "content_encoding",
    "content_languages",
    "content_type",
    "discard_request_body",
    "document_root",
    "eos_sent",
    "err_headers_out",
    "expecting_100",
    "extension",
    "filename",
    "finfo",
    "flush",
    "get_addhandler_exts",
    "get_basic_auth_pw",
    "get_config",
    "get_options",
    "get_remote_host",
    "handler",
    "header_only",
    "headers_in",
    "headers_out",
    "hlist",
    "hostname",
    "internal_redirect",
    "interpreter",
    "is_https",
    "log_error",
    "main",
    "meets_conditions",
    "method",
    "method_number",
    "mtime",
    "next",
    "no_cache",
    "no_local_copy",
    "notes",
    "parsed_uri",
    "path_info",
    "phase",
    "prev",
    "proto_num",
    "protocol",
    "proxyreq",
    "range",
    "read",
    "read_body",
    "read_chunked",
    "read_length",
    "readline",
    "readlines",
    "register_cleanup",
    "register_input_filter",
    "register_output_filter",
    "remaining",
    "request_time",
    "send_http_header",
    "sendfile",
    "sent_bodyct",
    "server",
    "set_content_length",
    "set_etag",
    "set_last_modified",
    "ssl_var_lookup",
    "status",
    "status_line",
    "subprocess_env",
    "the_request",
    "unparsed_uri",
    "update_mtime",
    "uri",
    "used_path_info",
    "user",
    "useragent_addr",
    "useragent_ip",
    "vlist_validator",
    "write",
    "wsgi_start_response",
];

/// The server object (serverobject.c).
const SERVER: &[&str] = &[
    "_server_rec",
    "defn_line_number",
    "defn_name",
    "error_fname",
    "get_config",
    "get_options",
    "is_virtual",
    "keep_alive",
    "keep_alive_max",
    "keep_alive_timeout",
    "limit_req_fields",
    "limit_req_fieldsize",
    "limit_req_line",
    "log_error",
    "loglevel",
    "my_generation",
    "names",
    "next",
    "path",
    "pathlen",
    "port",
    "register_cleanup",
    "restart_time",
    "server_admin",
    "server_hostname",
    "timeout",
    "wild_names",
];

/// The table's methods (tableobject.c), besides the mapping protocol.
const TABLE: &[&str] = &[
    "add",
    "clear",
    "copy",
    "get",
    "has_key",
    "items",
    "iteritems",
    "iterkeys",
    "itervalues",
    "keys",
    "popitem",
    "setdefault",
    "update",
    "values",
];

/// The connection object (connobject.c's member list and getattr; its `dir()` is empty).
/// `hlist` is there too, but reading it on a request's connection crashes the C module.
const CONNECTION: &[&str] = &[
    "_conn_rec",
    "aborted",
    "base_server",
    "client_addr",
    "client_ip",
    "double_reverse",
    "id",
    "keepalive",
    "keepalives",
    "local_addr",
    "local_host",
    "local_ip",
    "log_error",
    "notes",
    "read",
    "readline",
    "remote_addr",
    "remote_host",
    "remote_ip",
    "remote_logname",
    "write",
];

/// The filter object (filterobject.c).
const FILTER: &[&str] = &[
    "close",
    "closed",
    "dir",
    "disable",
    "flush",
    "handler",
    "is_input",
    "name",
    "pass_on",
    "read",
    "readline",
    "req",
    "softspace",
    "write",
];

/// `req.hlist` (hlistobject.c).
const HLIST: &[&str] = &["directory", "handler", "is_location", "next", "silent"];

/// A finfo object (finfoobject.c).
const FINFO: &[&str] = &[
    "atime",
    "ctime",
    "device",
    "filetype",
    "fname",
    "group",
    "inode",
    "mtime",
    "name",
    "nlink",
    "protection",
    "size",
    "user",
    "valid",
];

/// The native module as 3.5 code imports it (`import _apache`; _apachemodule.c).
const C_MODULE: &[&str] = &[
    "APR_BLK",
    "APR_CHR",
    "APR_DIR",
    "APR_LNK",
    "APR_NOFILE",
    "APR_PIPE",
    "APR_REG",
    "APR_SOCK",
    "APR_UNKFILE",
    "AP_CONN_CLOSE",
    "AP_CONN_KEEPALIVE",
    "AP_CONN_UNKNOWN",
    "MODULE_MAGIC_NUMBER_MAJOR",
    "MODULE_MAGIC_NUMBER_MINOR",
    "SERVER_RETURN",
    "_global_lock",
    "_global_trylock",
    "_global_unlock",
    "config_tree",
    "exists_config_define",
    "log_error",
    "mpm_query",
    "parse_qs",
    "parse_qsl",
    "register_cleanup",
    "server_root",
    "stat",
    "table",
];

/// Names ours has beyond 3.5's, each with the reason.
const EXTRAS: &[(&str, &str)] = &[(
    "request requires",
    "3.5 documents req.requires(); its C module leaves it out when built for httpd 2.4, \
     which has no ap_requires: ours reads the Require directives from the configuration",
)];

/// The probe: for each object, one line per attribute, `object name kind access`. The kind
/// is `method`, or the type of the value (a subclass of a built-in type counts as that type:
/// req.parsed_uri is a tuple with attributes); the access is `rw` when setting the attribute
/// to its own value is taken, `ro` when it raises AttributeError.
fn probe() -> String {
    let list = |names: &[&str]| format!("{names:?}");
    format!(
        r#"
from mod_python import apache
import inspect

def kind(value):
    if inspect.ismethod(value) or inspect.isbuiltin(value) or inspect.isroutine(value):
        return 'method'
    for base in type(value).__mro__:
        if base.__module__ == 'builtins' and base is not object:
            return base.__name__
    return type(value).__name__

def lines(obj, label, names=None, skip=()):
    if names is None:
        names = [n for n in dir(obj) if not n.startswith('__')]
    out = []
    for name in names:
        if name in skip:
            continue
        try:
            value = getattr(obj, name)
        except AttributeError:
            out.append('%s %s missing -' % (label, name))
            continue
        access = '-'
        if kind(value) != 'method':
            try:
                setattr(obj, name, value)
                access = 'rw'
            except AttributeError:
                access = 'ro'
            except Exception:
                access = 'rw'
        out.append('%s %s %s %s' % (label, name, kind(value), access))
    return out

def handler(req):
    out = lines(req, 'request')
    out += lines(req.server, 'server')
    out += lines(req.headers_in, 'table')
    out += lines(apache.table(), 'table_own')
    # Reading conn.hlist outside a connection handler crashes the C module.
    out += lines(req.connection, 'connection', {connection}, skip=('hlist',))
    out += lines(req.hlist, 'hlist', {hlist})
    out += lines(apache.stat(__file__, apache.APR_FINFO_NORM), 'finfo', {finfo})
    out.append('request parsed_uri %s ro' % kind(req.parsed_uri))
    import _apache
    out += lines(_apache, 'c_module')
    req.content_type = 'text/plain'
    req.write('\n'.join(out) + '\n')
    return apache.OK

def outputfilter(filter):
    data = filter.read()
    if data is None:
        filter.close()
        return
    if data:
        filter.write(data)
        filter.write('\n'.join(lines(filter, 'filter', {filter_names})) + '\n')

def connectionhandler(conn):
    out = lines(conn, 'served', {connection} + ['hlist'])
    out += lines(conn.hlist, 'served_hlist', {hlist})
    conn.write('\n'.join(out) + '\n')
    return apache.OK
"#,
        connection = list(CONNECTION),
        hlist = list(HLIST),
        finfo = list(FINFO),
        filter_names = list(FILTER),
    )
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("address").port()
}

fn server(module: PathBuf, mpm: Mpm, conn_port: u16) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", module)
        .file("app/surface.py", probe())
        .config(&format!(
            "PythonPath \"sys.path+['@ROOT@/app']\"\n\
             PythonOutputFilter surface SURFACE\n\
             <Location /surface>\n    SetHandler mod_python\n    PythonHandler surface\n    \
             SetOutputFilter SURFACE\n</Location>\n\
             Listen 127.0.0.1:{conn_port} surface\n\
             <VirtualHost 127.0.0.1:{conn_port}>\n    PythonConnectionHandler surface\n\
             </VirtualHost>\n"
        ))
        .start()
}

/// (object, name) -> (kind, access), from the probe's lines on one server.
type Surface = BTreeMap<(String, String), (String, String)>;

fn surface(httpd: &Httpd, conn_port: u16) -> Surface {
    let r = httpd.get("/surface");
    assert_eq!(r.status, 200, "{}\n{}", r.text(), httpd.error_log());
    let mut text = r.text();
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", conn_port)).expect("connect");
    conn.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let _ = conn.write_all(b"\n");
    let mut served = String::new();
    conn.read_to_string(&mut served).expect("read");
    text += &served;
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            (f.len() == 4).then(|| {
                (
                    (f[0].to_string(), f[1].to_string()),
                    (f[2].to_string(), f[3].to_string()),
                )
            })
        })
        .collect()
}

/// The names of `object` in `s` that it really has.
fn names(s: &Surface, object: &str) -> BTreeSet<String> {
    s.iter()
        .filter(|((o, _), (kind, _))| o == object && kind != "missing")
        .map(|((_, n), _)| n.clone())
        .collect()
}

/// Checks ours against the names of 3.5's sources.
fn check_against_sources(ours: &Surface, mpm: Mpm) {
    let declared = [
        ("request", REQUEST),
        ("server", SERVER),
        ("table", TABLE),
        ("table_own", TABLE),
        ("connection", CONNECTION),
        ("served", CONNECTION),
        ("filter", FILTER),
        ("hlist", HLIST),
        ("served_hlist", HLIST),
        ("finfo", FINFO),
        ("c_module", C_MODULE),
    ];
    for (object, list) in declared {
        let have = names(ours, object);
        let missing: Vec<_> = list.iter().filter(|n| !have.contains(**n)).collect();
        assert!(missing.is_empty(), "{mpm:?}: {object} lacks {missing:?}");
        if matches!(
            object,
            "request" | "server" | "table" | "table_own" | "c_module"
        ) {
            // dir() lists everything: nothing public beyond 3.5's but the extras.
            let extra: Vec<_> = have
                .iter()
                .filter(|n| !n.starts_with('_') && !list.contains(&n.as_str()))
                .filter(|n| !EXTRAS.iter().any(|(e, _)| *e == format!("{object} {n}")))
                .collect();
            assert!(
                extra.is_empty(),
                "{mpm:?}: {object} has more than 3.5: {extra:?}"
            );
        }
    }
    // What 3.5 lets handlers write, and only that (of its names: ours of its own are private).
    let writable: BTreeSet<_> = ours
        .iter()
        .filter(|((o, n), (_, a))| o == "request" && a == "rw" && REQUEST.contains(&n.as_str()))
        .map(|((_, n), _)| n.as_str())
        .collect();
    let want: BTreeSet<_> = [
        "ap_auth_type",
        "args",
        "assbackwards",
        "canonical_filename",
        "chunked",
        "content_type",
        "filename",
        "finfo",
        "handler",
        "no_cache",
        "no_local_copy",
        "path_info",
        "proxyreq",
        "status",
        "status_line",
        "uri",
        "used_path_info",
        "user",
    ]
    .into_iter()
    .collect();
    assert_eq!(writable, want, "{mpm:?}: the request's writable attributes");
    for object in ["connection", "served"] {
        let rw: Vec<_> = ours
            .iter()
            .filter(|((o, n), (_, a))| o == object && a == "rw" && CONNECTION.contains(&n.as_str()))
            .map(|((_, n), _)| n.as_str())
            .collect();
        assert_eq!(rw, ["keepalive"], "{mpm:?}: {object}");
    }
    let rw: Vec<_> = ours
        .iter()
        .filter(|((o, n), (_, a))| o == "filter" && a == "rw" && FILTER.contains(&n.as_str()))
        .map(|((_, n), _)| n.as_str())
        .collect();
    assert_eq!(
        rw,
        ["req", "softspace"],
        "{mpm:?}: the filter's writable attributes"
    );
}

#[test]
fn every_object_has_3_5_s_names_types_and_writable_attributes() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let port = free_port();
        let httpd = server(harness::cdylib("mod_python"), mpm, port);
        let ours = surface(&httpd, port);
        drop(httpd);
        check_against_sources(&ours, mpm);

        let c_module = harness::system_modules_dir().join("mod_python.so");
        if !c_module.exists() {
            eprintln!("C mod_python is not installed: compared with 3.5's sources only");
            continue;
        }
        let port = free_port();
        let theirs = surface(&server(c_module, mpm, port), port);
        for object in [
            "request",
            "connection",
            "served",
            "filter",
            "hlist",
            "finfo",
        ] {
            assert!(
                !names(&theirs, object).is_empty(),
                "{mpm:?}: C answered no {object}"
            );
        }
        let mut differences = Vec::new();
        for (key, answer) in &theirs {
            // The C module raises for what it does not have; those are not in its surface.
            if answer.0 == "missing" {
                continue;
            }
            match ours.get(key) {
                Some(mine) if mine == answer => {}
                mine => {
                    differences.push(format!("{} {}: C {answer:?}, ours {mine:?}", key.0, key.1))
                }
            }
        }
        assert!(
            differences.is_empty(),
            "{mpm:?}: ours differs from C mod_python 3.5:\n{}",
            differences.join("\n")
        );
        // Everything public dir() shows on C's objects is on ours, and the other way round.
        for object in ["request", "server", "table", "table_own", "c_module"] {
            let (c, o) = (names(&theirs, object), names(&ours, object));
            let only_c: Vec<_> = c.difference(&o).collect();
            assert!(
                only_c.is_empty(),
                "{mpm:?}: {object}: only C has {only_c:?}"
            );
        }
    }
}

/// The table's mapping protocol, op by op, on a table holding `a: 1`, `b: x` and `a: 2`
/// (ASCII only: Debian's C module mangles other text in a table it made).
const TABLE_OPS: &str = r#"
from mod_python import apache

def fresh():
    t = apache.table()
    t['a'] = '1'
    t['b'] = 'x'
    t.add('a', '2')
    return t

def changed_while_iterating(t):
    for k in t.iterkeys():
        t['zz'] = '1'

OPS = [
    ('repr', lambda t: repr(t)),
    ('str', lambda t: str(t)),
    ('repr_empty', lambda t: repr(apache.table())),
    ('getitem_repeated', lambda t: t['a']),
    ('getitem_case', lambda t: t['B']),
    ('getitem_missing', lambda t: t['nope']),
    ('getitem_int', lambda t: t[5]),
    ('get_repeated', lambda t: t.get('a')),
    ('get_default', lambda t: t.get('nope', 'd')),
    ('contains', lambda t: ('A' in t, 'nope' in t)),
    ('has_key', lambda t: (t.has_key('a'), t.has_key('nope'))),
    ('len', lambda t: len(t)),
    ('bool_empty', lambda t: bool(apache.table())),
    ('keys', lambda t: t.keys()),
    ('values', lambda t: t.values()),
    ('items', lambda t: t.items()),
    ('iter', lambda t: list(t)),
    ('iterkeys', lambda t: list(t.iterkeys())),
    ('itervalues', lambda t: list(t.itervalues())),
    ('iteritems', lambda t: list(t.iteritems())),
    ('changed_while_iterating', changed_while_iterating),
    ('eq_dict_with_list', lambda t: t == {'a': ['1', '2'], 'b': 'x'}),
    ('eq_dict_first', lambda t: t == {'a': '1', 'b': 'x'}),
    ('eq_table', lambda t: apache.table([('k', 'v')]) == apache.table([('k', 'v')])),
    ('ne_empty', lambda t: t != {}),
    ('lt', lambda t: t < {}),
    ('hash', lambda t: hash(t)),
    ('setitem_replaces', lambda t: (t.__setitem__('A', '3'), t.items())),
    ('setitem_bytes', lambda t: (t.__setitem__('by', b'yy'), t['by'])),
    ('setitem_int', lambda t: t.__setitem__('n', 5)),
    ('setitem_none', lambda t: t.__setitem__('n', None)),
    ('setitem_int_key', lambda t: t.__setitem__(5, 'v')),
    ('add_int', lambda t: t.add('n', 5)),
    ('del', lambda t: (t.__delitem__('a'), t.items())),
    ('del_missing', lambda t: (t.__delitem__('nope'), len(t))),
    ('setdefault_there', lambda t: t.setdefault('a')),
    ('setdefault_new', lambda t: (t.setdefault('n'), t.items())),
    ('update_mapping', lambda t: (t.update({'u': 'v'}), t.items())),
    ('update_kw', lambda t: t.update(u='v')),
    ('popitem', lambda t: t.popitem()),
    ('popitem_empty', lambda t: apache.table().popitem()),
    ('clear', lambda t: (t.clear(), len(t))),
    ('copy_type', lambda t: type(t.copy()).__name__),
    ('table_of_pairs', lambda t: apache.table([('k', '1'), ('k', '2')]).items()),
    ('table_of_mapping', lambda t: apache.table({'n': 5}).items()),
    ('table_keyword', lambda t: apache.table(items={'n': '5'}).items()),
    ('table_of_int', lambda t: apache.table(5)),
    ('type_name', lambda t: type(t).__name__),
    # Where ours differs on purpose (see DIFFERENT below).
    ('copy_items', lambda t: t.copy().items()),
    ('popitem_then', lambda t: (t.popitem(), t.items())),
    ('update_pairs', lambda t: (t.update([('u', 'v')]), t.items())),
]

def handler(req):
    out = []
    for name, op in OPS:
        try:
            value = op(fresh())
            out.append('%s: %r' % (name, value))
        except Exception as e:
            out.append('%s: %s' % (name, type(e).__name__))
    # A request's table behaves as one of its own.
    table = req.headers_out
    table['a'] = '1'
    table['b'] = 'x'
    table.add('a', '2')
    out.append('request_table_repr: %r' % table)
    out.append('request_table_get: %r' % table.get('a'))
    out.append('request_table_eq: %r' % (table == {'a': ['1', '2'], 'b': 'x'}))
    out.append('options_eq: %r' % (req.get_options() == {'k': 'v'}))
    out.append('options_type: %s' % type(req.get_options()).__name__)
    out.append('options_same: %r' % (req.get_options() is req.get_options()))
    req.content_type = 'text/plain'
    req.write('\n'.join(out) + '\n')
    return apache.OK
"#;

fn table_answers(module: PathBuf, mpm: Mpm) -> Vec<String> {
    let httpd = Httpd::builder()
        .mpm(mpm)
        .module("python_module", module)
        .file("app/tables.py", TABLE_OPS)
        .config(
            "<Location /tables>\n    SetHandler mod_python\n    \
             PythonPath \"sys.path+['@ROOT@/app']\"\n    PythonHandler tables\n    \
             PythonOption k v\n</Location>\n",
        )
        .start();
    let r = httpd.get("/tables");
    assert_eq!(r.status, 200, "{}", httpd.error_log());
    r.text().lines().map(str::to_string).collect()
}

/// Where ours differs on purpose (docs/src/mod-python.md, "Differences from 3.5"): a copy
/// keeps every entry (3.5's keeps a repeated key's last value), popitem() removes the entry
/// it returns (3.5's removes the last one), and update() also takes (key, value) pairs, as
/// dict.update does (3.5's: a mapping only).
const DIFFERENT: &[&str] = &["copy_items", "popitem_then", "update_pairs"];

#[test]
fn tables_behave_as_3_5_s() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let ours = table_answers(harness::cdylib("mod_python"), mpm);
        let want = |line: &str| {
            assert!(
                ours.iter().any(|l| l == line),
                "{mpm:?}: {line} in {ours:#?}"
            )
        };
        want("repr: \"{'a': '2', 'b': 'x', 'a': '1'}\"");
        want("getitem_repeated: ['1', '2']");
        want("get_repeated: '1'");
        want("has_key: (1, 0)");
        want("changed_while_iterating: RuntimeError");
        want("eq_dict_with_list: True");
        want("del_missing: (None, 3)");
        want("popitem: ('a', '1')");
        want("setitem_int: TypeError");
        want("request_table_get: '1'");
        want("options_eq: True");
        want("options_type: mp_table");
        want("options_same: True");
        want("update_kw: TypeError");
        want("copy_items: [('a', '1'), ('b', 'x'), ('a', '2')]");
        want("popitem_then: (('a', '1'), [('b', 'x'), ('a', '2')])");
        want("update_pairs: (None, [('a', '1'), ('b', 'x'), ('a', '2'), ('u', 'v')])");
        let c_module = harness::system_modules_dir().join("mod_python.so");
        if !c_module.exists() {
            continue;
        }
        let theirs = table_answers(c_module, mpm);
        assert_eq!(ours.len(), theirs.len(), "{mpm:?}: {theirs:#?}");
        for (o, t) in ours.iter().zip(&theirs) {
            if DIFFERENT.iter().any(|d| o.starts_with(&format!("{d}: "))) {
                continue;
            }
            assert_eq!(o, t, "{mpm:?}: ours, then C mod_python's");
        }
    }
}
