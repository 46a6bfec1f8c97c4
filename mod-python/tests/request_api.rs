//! The rest of mod_python 3.5's request, connection, server and module API on a real httpd,
//! under event and prefork: each value compared with what httpd really did.

mod support;

use harness::{Httpd, Mpm};

const API: &str = r#"
from mod_python import apache
import os, time

def finfo(req):
    f = req.finfo
    req.write('type=%r size=%r idx=%r mtime=%r fname=%r valid=%r' % (
        f.filetype, f.size, f[apache.FINFO_SIZE], f[apache.FINFO_MTIME], f.fname,
        bool(f.valid)))
    other = req.get_options().get('other')
    if other:
        req.finfo = apache.stat(other, apache.APR_FINFO_MIN)
        req.write(' restat=%r' % req.finfo.size)
    return apache.OK

def uri(req):
    u = req.parsed_uri
    req.write('path=%r query=%r port=%r idx_path=%r idx_port=%r tuple=%r scheme=%r' % (
        u.path, u.query, u.port, u[apache.URI_PATH], u[apache.URI_PORT], isinstance(u, tuple),
        u[apache.URI_SCHEME]))
    return apache.OK

def fixuphandler(req):
    # In mod_dir's subrequest for the index file, req.main is the request for the directory.
    if req.main is not None:
        req.notes['sub_main'] = '%s|%s|%s|%s' % (req.main.uri, req.main.method, req.uri,
                                                 req.main.headers_in.get('X-Main'))
        try:
            req.main.notes['x'] = 'y'
            req.notes['main_write'] = 'allowed'
        except RuntimeError:
            req.notes['main_write'] = 'refused'
    return apache.OK

def index(req):
    req.write('main=%r sub_main=%s main_write=%s' % (
        req.main, req.notes.get('sub_main'), req.notes.get('main_write')))
    return apache.OK

def redirect(req):
    req.user_note = 'from the first request'
    req.internal_redirect('/api/target')
    return apache.OK

def target(req):
    p = req.prev
    req.write('uri=%s prev=%s prev.next.uri=%s prev.prev=%r main=%r next=%r status=%r' % (
        req.uri, p.uri, p.next.uri, p.prev, p.main, req.next, p.status))
    req.write(' conn=%s options=%r' % (p.connection.remote_ip, p.get_options()))
    return apache.OK

READ_ONLY = ('method', 'unparsed_uri', 'the_request', 'protocol', 'hostname', 'allowed',
             'allowed_xmethods', 'allowed_methods', 'clength', 'bytes_sent', 'sent_bodyct',
             'read_body', 'read_chunked', 'expecting_100', 'vlist_validator',
             'eos_sent', 'main', 'prev', 'next', 'parsed_uri', 'hlist', 'extension',
             'header_only', 'proto_num', 'request_time', 'mtime', 'content_encoding',
             'remaining', 'read_length', 'range', 'connection', 'server', 'useragent_addr',
             'useragent_ip', 'interpreter_x')

def readonly(req):
    refused = []
    for name in READ_ONLY:
        if name == 'interpreter_x':
            continue
        try:
            setattr(req, name, getattr(req, name))
        except AttributeError:
            refused.append(name)
    req.write('refused=%d of %d;' % (len(refused), len(READ_ONLY) - 1))
    req.write(' accepted=%s' % ','.join(n for n in READ_ONLY[:-1] if n not in refused))
    return apache.OK

def writable(req):
    req.uri = '/api/changed'
    req.args = None
    removed = req.args is None
    req.args = 'a=2'
    req.path_info = '/pi'
    req.canonical_filename = '/canon'
    req.ap_auth_type = 'Demo'
    req.proxyreq = apache.PROXYREQ_NONE
    req.used_path_info = apache.AP_REQ_ACCEPT_PATH_INFO
    req.no_local_copy = 1
    req.no_cache = 1
    req.status_line = '299 Quite Fine'
    req.status = 299
    req.write('uri=%s args=%s path_info=%s canonical=%s auth=%s no_cache=%r no_local_copy=%r '
              'used_path_info=%r removed=%r' % (
                  req.uri, req.args, req.path_info, req.canonical_filename, req.ap_auth_type,
                  req.no_cache, req.no_local_copy, req.used_path_info, removed))
    return apache.OK

def simple(req):
    req.assbackwards = 1
    req.write('no headers at all')
    return apache.OK

def allow(req):
    req.allow_methods(['GET', 'FROB'])
    req.allow_methods(['PUT'])
    if req.method != 'GET':
        return apache.HTTP_METHOD_NOT_ALLOWED
    req.write('allowed_methods=%r' % (req.allowed_methods,))
    return apache.OK

def conditional(req):
    req.update_mtime(1700000000)
    req.update_mtime(1600000000)
    req.set_last_modified()
    req.set_etag()
    rc = req.meets_conditions()
    if rc != apache.OK:
        return rc
    req.write('mtime=%r' % req.mtime)
    return apache.OK

def ssl(req):
    req.write('https=%r var=%r' % (req.is_https(), req.ssl_var_lookup('SSL_PROTOCOL')))
    if req.args == 'wsgi':
        req.write(' scheme=%s' % req.build_wsgi_env()['wsgi.url_scheme'])
    return apache.OK

def remote(req):
    req.write('host=%r nolookup=%r nolookup_ip=%r name=%r' % (
        req.get_remote_host(apache.REMOTE_HOST),
        req.get_remote_host(apache.REMOTE_NOLOOKUP),
        req.get_remote_host(apache.REMOTE_NOLOOKUP, 1),
        req.get_remote_host()))
    return apache.OK

def config(req):
    req.write('exts=%r requires=%r hlist=%s,%s,%r send_http_header=%r' % (
        req.get_addhandler_exts(), req.requires(), req.hlist.handler, req.hlist.directory,
        req.hlist.is_location, req.send_http_header()))
    return apache.OK

def server(req):
    s = req.server
    req.write('|'.join(repr(x) for x in (
        s.server_hostname, s.port, s.is_virtual, s.error_fname.endswith('/logs/error_log'),
        s.loglevel, s.names, s.wild_names, s.timeout, s.keep_alive, s.keep_alive_max,
        s.keep_alive_timeout, s.limit_req_line, s.limit_req_fieldsize, s.limit_req_fields,
        s.path, s.pathlen, abs(time.time() - s.restart_time) < 600, s.next is None,
        s.get_options().get('srvopt'), s.get_config().get('PythonDebug'),
        req.server == apache.main_server, s.defn_line_number, s.my_generation)))
    return apache.OK

def conn(req):
    c = req.connection
    seen = c.notes.get('seen')
    c.notes['seen'] = str(int(seen or 0) + 1)
    req.write('|'.join(repr(x) for x in (
        seen, c.remote_ip, c.local_addr[1], c.base_server.server_hostname, c.keepalive,
        c.keepalives, c.remote_logname, c.double_reverse, c.aborted, c.local_ip,
        req.useragent_addr == c.remote_addr)))
    req.headers_out['X-Conn-Id'] = str(c.id)
    return apache.OK

def module(req):
    f = apache.stat(req.get_options()['file'], apache.APR_FINFO_NORM)
    missing = apache.stat('/no/such/file', apache.APR_FINFO_MIN)
    tree = apache.config_tree()
    at = tree.index(('<Location', '/api/module>'))
    req.write('define=%r undefined=%r size=%r type=%r missing=%r,%r tree=%r,%r' % (
        apache.exists_config_define('MP_TEST_DEFINE'), apache.exists_config_define('MP_NOPE'),
        f.size, f.filetype == apache.APR_REG, missing.filetype, missing.size,
        ('PythonOption', 'srvopt yes') in tree, tree[at + 1]))
    return apache.OK

def cleanup(req):
    path = req.get_options()['marker']
    def write(what):
        with open(path, 'a') as f:
            f.write(what + '\n')
    apache.register_cleanup(write, 'module cleanup ran')
    req.server.register_cleanup(req, write, 'server cleanup ran')
    req.write('registered')
    return apache.OK

def counted(req):
    req.write('abc')
    req.write('|%r|%r|%r' % (req.bytes_sent, req.chunked, req.sent_bodyct > 0))
    return apache.OK

def length(req):
    req.set_content_length(5)
    req.write(('%r' % req.clength).rjust(5, '.'))
    return apache.OK

class Greeter(object):
    def __init__(self, who):
        self.who = who

    def hello(self):
        return 'hello ' + self.who

def cgi(req):
    saved = apache.setup_cgi(req)
    try:
        import sys
        print('Status: 202 Accepted')
        print('Content-Type: text/x-cgi')
        print('X-Cgi: yes')
        print()
        print('script=%s gateway=%s body=%s' % (os.environ['SCRIPT_NAME'],
                                               os.environ['GATEWAY_INTERFACE'],
                                               sys.stdin.read()))
    finally:
        apache.restore_nocgi(*saved)
    mod = __import__(__name__)
    req.write('%s|%s|%r|%r|%s|%r' % (
        'SCRIPT_NAME' in os.environ, apache.escape('<a href="x">&</a>', 1),
        apache.resolve_object(mod, 'Greeter.hello', arg='bob')(),
        apache.resolve_object(mod, 'nothing.here', silent=1),
        isinstance(apache.make_table(), apache.table), apache.HTTP_IM_A_TEAPOT))
    return apache.OK

def app(environ, start_response):
    write = start_response('201 Created', [('Content-Type', 'text/x-wsgi'), ('X-W', '1')])
    write(('script=%s path=%s method=%s scheme=%s input=%r\n' % (
        environ['SCRIPT_NAME'], environ['PATH_INFO'], environ['REQUEST_METHOD'],
        environ['wsgi.url_scheme'], environ['wsgi.input'].read())).encode())
    return [b'done']

def wsgi(req):
    env = req.build_wsgi_env()
    for chunk in app(env, req.wsgi_start_response):
        req.write(chunk)
    req.write(' req.path_info=%s' % req.path_info)
    return apache.OK
"#;

fn conf() -> String {
    let mut c = String::from("PythonPath \"sys.path+['@ROOT@/py']\"\nDefine MP_TEST_DEFINE\n");
    c += "PythonOption srvopt yes\nPythonDebug On\n";
    for name in [
        "finfo",
        "uri",
        "redirect",
        "target",
        "readonly",
        "writable",
        "simple",
        "allow",
        "conditional",
        "ssl",
        "remote",
        "config",
        "server",
        "conn",
        "module",
        "cleanup",
        "counted",
        "length",
        "wsgi",
        "cgi",
    ] {
        c += &format!(
            "<Location /api/{name}>\n    SetHandler mod_python\n    PythonHandler api::{name}\n</Location>\n"
        );
    }
    c +=
        "<Location /api/module>\n    PythonOption file @ROOT@/htdocs/files/data.txt\n</Location>\n";
    c += "<Directory @ROOT@/htdocs/files>\n    AddHandler mod_python .txt .tx2\n    PythonHandler api::finfo\n    Require all granted\n</Directory>\n";
    c += "<Directory @ROOT@/htdocs/other>\n    AddHandler mod_python .txt\n    PythonHandler api::config\n</Directory>\n";
    c += "<Directory @ROOT@/htdocs/cond>\n    AddHandler mod_python .txt\n    PythonHandler api::conditional\n</Directory>\n";
    c += "<Directory @ROOT@/htdocs/restat>\n    AddHandler mod_python .txt\n    PythonHandler api::finfo\n    PythonOption other @ROOT@/htdocs/files/big.txt\n</Directory>\n";
    c += "<Directory @ROOT@/htdocs/dir>\n    DirectoryIndex index.txt\n    AddHandler mod_python .txt\n    PythonFixupHandler api\n    PythonHandler api::index\n</Directory>\n";
    c
}

fn builder(mpm: Mpm) -> harness::Builder {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .system_module("dir_module", "mod_dir.so")
        .file("py/api.py", API)
        .file("htdocs/files/data.txt", "twelve bytes")
        .file("htdocs/files/big.txt", "x".repeat(1000))
        .file("htdocs/other/page.txt", "")
        .file("htdocs/cond/page.txt", "")
        .file("htdocs/restat/page.txt", "")
        .file("htdocs/dir/index.txt", "")
        .config(&conf())
}

fn both(test: impl Fn(Mpm, &Httpd)) {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = builder(mpm).start();
        test(mpm, &httpd);
    }
}

fn text(httpd: &Httpd, path: &str) -> String {
    let r = httpd.get(path);
    assert!(
        r.status < 500,
        "{path}: {} {}\n{}",
        r.status,
        r.text(),
        httpd.error_log()
    );
    r.text()
}

#[test]
fn finfo_describes_the_file_httpd_mapped() {
    both(|mpm, httpd| {
        let path = httpd.root().join("htdocs/files/data.txt");
        let meta = std::fs::metadata(&path).unwrap();
        let mtime = meta
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let t = text(httpd, "/files/data.txt");
        assert_eq!(
            t,
            format!(
                "type=1 size=12 idx=12 mtime={mtime} fname='{}' valid=True",
                path.display()
            ),
            "{mpm:?}"
        );
        // A URL Python alone serves maps to no file.
        let t = text(httpd, "/api/finfo");
        assert_eq!(
            t, "type=0 size=None idx=None mtime=None fname=None valid=False",
            "{mpm:?}"
        );
        // req.finfo = apache.stat(...) points the request at another file.
        let t = text(httpd, "/restat/page.txt");
        assert!(t.ends_with("restat=1000"), "{mpm:?}: {t}");
    });
}

#[test]
fn parsed_uri_by_index_and_by_attribute() {
    both(|mpm, httpd| {
        let t = text(httpd, "/api/uri?x=1");
        assert_eq!(
            t,
            format!(
                "path='/api/uri' query='x=1' port={p} idx_path='/api/uri' idx_port={p} tuple=True scheme=None",
                p = httpd.port()
            ),
            "{mpm:?}"
        );
    });
}

#[test]
fn main_is_the_request_a_subrequest_was_made_for() {
    both(|mpm, httpd| {
        // mod_dir looks the index file up in a subrequest, whose fixup handler sees req.main;
        // its notes come back to the request for the directory.
        let r = httpd.request("GET", "/dir/", &[("X-Main", "hi")], b"");
        assert_eq!(
            r.text(),
            "main=None sub_main=/dir/|GET|/dir/index.txt|hi main_write=refused",
            "{mpm:?}"
        );
    });
}

#[test]
fn prev_and_next_after_internal_redirect() {
    both(|mpm, httpd| {
        let t = text(httpd, "/api/redirect");
        assert_eq!(
            t,
            "uri=/api/target prev=/api/redirect prev.next.uri=/api/target prev.prev=None main=None next=None status=200 conn=127.0.0.1 options={'srvopt': 'yes'}",
            "{mpm:?}"
        );
    });
}

#[test]
fn read_only_attributes_refuse_writes_and_writable_ones_take_effect() {
    both(|mpm, httpd| {
        let t = text(httpd, "/api/readonly");
        assert_eq!(t, "refused=34 of 34; accepted=", "{mpm:?}");
        let r = httpd.get("/api/writable?a=1");
        assert_eq!(r.status, 299, "{mpm:?}");
        assert_eq!(
            r.text(),
            "uri=/api/changed args=a=2 path_info=/pi canonical=/canon auth=Demo no_cache=1 \
             no_local_copy=1 used_path_info=0 removed=True",
            "{mpm:?}"
        );
        // httpd dates a no-cache response as already expired.
        assert!(r.header("Expires").is_some(), "{mpm:?}: {:?}", r.headers);
        // assbackwards: httpd sends the body alone, as to an HTTP/0.9 client.
        let raw = httpd.raw(b"GET /api/simple HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_eq!(
            String::from_utf8_lossy(&raw),
            "no headers at all",
            "{mpm:?}"
        );
    });
}

#[test]
fn allow_methods_fill_the_allow_header_of_a_405() {
    both(|mpm, httpd| {
        let r = httpd.request("DELETE", "/api/allow", &[], b"");
        assert_eq!(r.status, 405, "{mpm:?}");
        let allow = r.header("Allow").unwrap_or_default().to_string();
        for m in ["GET", "PUT"] {
            assert!(allow.contains(m), "{mpm:?}: Allow: {allow}");
        }
        // httpd lists extension methods only when M_INVALID is allowed too.
        assert!(!allow.contains("FROB"), "{mpm:?}: Allow: {allow}");
        assert_eq!(text(httpd, "/api/allow"), "allowed_methods=('FROB',)");
    });
}

#[test]
fn last_modified_and_meets_conditions_give_304() {
    both(|mpm, httpd| {
        let r = httpd.get("/cond/page.txt");
        assert_eq!(r.status, 200, "{mpm:?}");
        assert_eq!(r.text(), "mtime=1700000000.0");
        let lm = r.header("Last-Modified").unwrap().to_string();
        assert_eq!(lm, "Tue, 14 Nov 2023 22:13:20 GMT");
        let etag = r.header("ETag").expect("an ETag").to_string();
        let r = httpd.request("GET", "/cond/page.txt", &[("If-Modified-Since", &lm)], b"");
        assert_eq!((r.status, r.text().as_str()), (304, ""), "{mpm:?}");
        let r = httpd.request("GET", "/cond/page.txt", &[("If-None-Match", &etag)], b"");
        assert_eq!(r.status, 304, "{mpm:?}");
        let r = httpd.request(
            "GET",
            "/cond/page.txt",
            &[("If-Modified-Since", "Mon, 13 Nov 2023 22:13:20 GMT")],
            b"",
        );
        assert_eq!(r.status, 200, "{mpm:?}");
    });
}

#[test]
fn https_remote_host_and_configuration_helpers() {
    both(|mpm, httpd| {
        assert_eq!(text(httpd, "/api/ssl"), "https=0 var=None", "{mpm:?}");
        // HostnameLookups is off: REMOTE_HOST knows no name, the others give the address.
        assert_eq!(
            text(httpd, "/api/remote"),
            "host=None nolookup='127.0.0.1' nolookup_ip=('127.0.0.1', 1) name='127.0.0.1'",
            "{mpm:?}"
        );
        let t = text(httpd, "/other/page.txt");
        let dir = httpd.root().join("htdocs/other/");
        assert_eq!(
            t,
            format!(
                "exts='txt ' requires=('all granted',) hlist=api::config,{},0 send_http_header=None",
                dir.display()
            ),
            "{mpm:?}"
        );
    });
}

#[test]
fn addhandler_extensions_and_requires_of_the_directory() {
    let httpd = Httpd::builder()
        .mpm(Mpm::Event)
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/api.py", API)
        .file("htdocs/files/page.txt", "")
        .config(
            "PythonPath \"sys.path+['@ROOT@/py']\"\n<Directory @ROOT@/htdocs/files>\n    \
             AddHandler mod_python .txt .tx2\n    PythonHandler api::config\n    \
             Require all granted\n</Directory>\n",
        )
        .start();
    let t = text(&httpd, "/files/page.txt");
    assert!(
        t.starts_with("exts='txt tx2 ' requires=('all granted', 'all granted')"),
        "{t}"
    );
}

#[test]
fn server_object_attributes() {
    both(|mpm, httpd| {
        let t = text(httpd, "/api/server");
        let want = format!(
            "'127.0.0.1'|{}|0|True|{}|()|()|20.0|1|100|5.0|8190|8190|100|None|0|True|True|'yes'|'1'|True|0|0",
            httpd.port(),
            // The harness's LogLevel.
            if t.contains("|7|(") { 7 } else { 6 }
        );
        assert_eq!(t, want, "{mpm:?}");
    });
}

#[test]
fn connection_object_and_its_notes_across_keep_alive() {
    both(|mpm, httpd| {
        let raw = httpd.raw(
            b"GET /api/conn HTTP/1.1\r\nHost: x\r\n\r\nGET /api/conn HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        let text = String::from_utf8_lossy(&raw);
        let port = httpd.port();
        assert!(
            text.contains(&format!(
                "None|'127.0.0.1'|{port}|'127.0.0.1'|0|0|None|0|0|'127.0.0.1'|True"
            )),
            "{mpm:?}: {text}"
        );
        // The second request on the connection sees the note the first left.
        assert!(
            text.contains(&format!(
                "'1'|'127.0.0.1'|{port}|'127.0.0.1'|0|1|None|0|0|'127.0.0.1'|True"
            )),
            "{mpm:?}: {text}"
        );
    });
}

#[test]
fn module_functions_stat_defines_and_config_tree() {
    both(|mpm, httpd| {
        assert_eq!(
            text(httpd, "/api/module"),
            "define=True undefined=False size=12 type=True missing=0,None tree=True,[('SetHandler', 'mod_python'), ('PythonHandler', 'api::module')]",
            "{mpm:?}"
        );
    });
}

#[test]
fn lengths_and_chunking_as_httpd_counted() {
    both(|mpm, httpd| {
        let r = httpd.get("/api/counted");
        assert_eq!(r.text(), "abc|3|1|True", "{mpm:?}");
        assert_eq!(r.header("Transfer-Encoding"), Some("chunked"));
        assert_eq!(text(httpd, "/api/length"), "....5");
    });
}

#[test]
fn wsgi_environment_and_start_response() {
    both(|mpm, httpd| {
        let r = httpd.request("POST", "/api/wsgi/sub/path", &[], b"body!");
        assert_eq!(r.status, 201, "{mpm:?}");
        assert_eq!(r.header("Content-Type"), Some("text/x-wsgi"));
        assert_eq!(r.header("X-W"), Some("1"));
        assert_eq!(
            r.text(),
            "script=/api/wsgi path=/sub/path method=POST scheme=http input=b'body!'\ndone req.path_info=/sub/path",
            "{mpm:?}"
        );
    });
}

#[test]
fn cleanups_registered_for_the_child_run_when_it_exits() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let dir = support::scratch_dir(&format!("api-{mpm:?}"));
        let marker = dir.join("marker");
        let httpd = builder(mpm)
            .config(&format!(
                "<Location /api/cleanup>\n    PythonOption marker {}\n</Location>\n",
                marker.display()
            ))
            .start();
        assert_eq!(httpd.get("/api/cleanup").text(), "registered");
        let before = std::fs::read_to_string(&marker).unwrap_or_default();
        assert_eq!(before, "", "{mpm:?}: ran before the child exited");
        httpd.stop();
        let text = std::fs::read_to_string(&marker).unwrap_or_default();
        assert!(
            text.contains("module cleanup ran") && text.contains("server cleanup ran"),
            "{mpm:?}: {text:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn cgi_helpers_and_module_functions_of_3_5() {
    both(|mpm, httpd| {
        let r = httpd.request("POST", "/api/cgi", &[], b"posted");
        assert_eq!(r.status, 202, "{mpm:?}: {}", r.text());
        assert_eq!(r.header("Content-Type"), Some("text/x-cgi"));
        assert_eq!(r.header("X-Cgi"), Some("yes"));
        assert_eq!(
            r.text(),
            "script=/api/cgi gateway=Python-CGI/1.1 body=posted\n\
             False|&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;|'hello bob'|None|True|418",
            "{mpm:?}"
        );
    });
}

#[test]
fn virtual_host_server_object_and_the_server_chain() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = Httpd::builder()
            .mpm(mpm)
            .module("python_module", harness::cdylib("mod_python"))
            .file(
                "py/vh.py",
                "from mod_python import apache\n\
                 def handler(req):\n\
                 \x20   s = req.server\n\
                 \x20   m = apache.main_server\n\
                 \x20   req.write('%s|%r|%r|%r|%r|%s|%r|%s' % (s.server_hostname, s.is_virtual, \
                 s.names, s.wild_names, s.defn_line_number > 0, m.next.server_hostname, \
                 m.next == s, req.interpreter))\n\
                 \x20   return apache.OK\n",
            )
            .config(
                "PythonPath \"sys.path+['@ROOT@/py']\"\n\
                 <VirtualHost 127.0.0.1:*>\n    ServerName vh.test\n    \
                 ServerAlias alias.test *.wild.test\n    <Location /vh>\n        \
                 SetHandler mod_python\n        PythonHandler vh\n    </Location>\n\
                 </VirtualHost>\n",
            )
            .start();
        let raw = httpd.raw(b"GET /vh HTTP/1.1\r\nHost: alias.test\r\nConnection: close\r\n\r\n");
        let text = String::from_utf8_lossy(&raw);
        assert!(
            text.contains("vh.test|1|('alias.test',)|('*.wild.test',)|True|vh.test|True|vh.test"),
            "{mpm:?}: {text}\n{}",
            httpd.error_log()
        );
    }
}

/// Over TLS (a self-signed certificate made with `openssl`, fetched with `curl -k`):
/// `is_https()` and `ssl_var_lookup()` answer as mod_ssl does. Skipped without those tools.
#[test]
fn is_https_and_ssl_variables_over_tls() {
    let Some((key, cert)) = harness::tls::cert_or_skip(true) else {
        return;
    };
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let (builder, tls) = harness::tls::vhost(builder(mpm), &key, &cert, "");
        let httpd = builder.start();
        let t = harness::tls::curl(tls, "/api/ssl?wsgi", &[]);
        assert!(
            t.starts_with("https=1 var='TLSv1.") && t.ends_with("' scheme=https"),
            "{mpm:?}: {t}\n{}",
            httpd.error_log()
        );
        assert_eq!(
            text(&httpd, "/api/ssl?wsgi"),
            "https=0 var=None scheme=http"
        );
    }
}
