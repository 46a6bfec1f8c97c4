//! `mod_python.util` on a real httpd, under event and prefork: FieldStorage over query strings,
//! urlencoded and multipart bodies (file uploads streamed to temporary files, callbacks,
//! malformed bodies answered 400), redirect(), the helpers, and the same form read by C
//! mod_python 3.5 where it is installed.

mod support;

use harness::{Httpd, Mpm};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The application: `/form/<name>` runs `do_<name>`.
const APP: &str = r#"
from mod_python import apache, util
import gc, io, os, tempfile

def handler(req):
    req.content_type = 'text/plain; charset=utf-8'
    return globals()['do_' + req.uri.rsplit('/', 1)[-1]](req)

def show(f):
    kind = type(f).__name__
    if kind == 'Field':
        return 'Field %s filename=%r type=%r value=%r' % (f.name, f.filename, f.type, f.value)
    return '%s %s=%r' % (kind, f.name, f.value)

def do_fields(req):
    kb = req.headers_in.get('X-Keep-Blank') == '1'
    fs = util.FieldStorage(req, keep_blank_values=kb)
    out = [show(f) for f in fs.list]
    out.append('keys=%s len=%d' % (','.join(fs.keys()), len(fs)))
    for k in fs.keys():
        v = fs[k]
        out.append('%s: [] -> %s | getfirst=%s getlist=%r str=%s' % (
            k, type(v).__name__, fs.getfirst(k), fs.getlist(k), isinstance(fs.getfirst(k), str)))
    out.append('missing: get=%r getfirst=%r getlist=%r in=%r has_key=%r' % (
        fs.get('zz'), fs.getfirst('zz', 'dflt'), fs.getlist('zz'), 'zz' in fs, fs.has_key('zz')))
    req.write('\n'.join(out) + '\n')
    return apache.OK

def do_multipart(req):
    fs = util.FieldStorage(req)
    out = []
    for f in fs.list:
        out.append(show(f))
        out.append('  type=%r type_options=%r disposition=%r disposition_options=%r' % (
            f.type, dict(f.type_options), f.disposition, dict(f.disposition_options)))
        out.append('  headers=%r' % (sorted(f.headers.items()),))
        out.append('  file=%r' % (f.file.read(),))
    up = fs['upload']
    out.append('upload is a Field: %r, in a temporary file: %r' % (
        isinstance(up, util.Field), not isinstance(up.file, io.BytesIO)))
    req.write('\n'.join(out) + '\n')
    return apache.OK

def status(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

def do_upload(req):
    gc.collect()
    hwm = status('VmHWM:')
    fs = util.FieldStorage(req)
    growth = status('VmHWM:') - hwm
    f = fs['file']
    f.file.seek(0, 2)
    size = f.file.tell()
    f.file.seek(0)
    req.write('hwm_growth=%d size=%d filename=%s note=%s\n' % (
        growth, size, f.filename, fs.getfirst('note')))
    while True:
        chunk = f.file.read(65536)
        if not chunk:
            break
        req.write(chunk, 0)
    return apache.OK

class Spool(io.FileIO):
    """file_callback's file, as in 3.5's documentation: removes itself when closed."""
    def __init__(self, directory, advisory_filename):
        self.advisory_filename = advisory_filename
        self.path = os.path.join(directory, 'spool-%d' % id(self))
        io.FileIO.__init__(self, self.path, 'w+b')

    def close(self):
        if not self.closed:
            io.FileIO.close(self)
            os.remove(self.path)

class Memo(io.BytesIO):
    made = 0
    def __init__(self):
        io.BytesIO.__init__(self)
        Memo.made += 1

def do_callbacks(req):
    directory = tempfile.mkdtemp()
    Memo.made = 0
    fs = util.FieldStorage(req, file_callback=lambda name: Spool(directory, name),
                           field_callback=Memo)
    up = fs['upload']
    out = ['upload file is Spool: %r advisory=%r value=%r on disk=%r' % (
        isinstance(up.file, Spool), up.file.advisory_filename, up.value,
        os.listdir(directory) == [os.path.basename(up.file.path)])]
    out.append('text file is Memo: %r value=%r memos=%d' % (
        isinstance(fs['text'].file, Memo), fs['text'].value, Memo.made))
    del up, fs
    gc.collect()
    out.append('after the form is gone, files left: %r' % (os.listdir(directory),))
    os.rmdir(directory)
    req.write('\n'.join(out) + '\n')
    return apache.OK

def do_parse(req):
    util.FieldStorage(req)
    req.write('parsed\n')
    return apache.OK

def do_redirect(req):
    req.headers_out['X-Before'] = 'set'
    how = req.args or ''
    if how == 'late':
        req.write('started ')
        try:
            util.redirect(req, '/too-late')
        except IOError as e:
            req.write('IOError: %s' % e)
            return apache.OK
    elif how == 'permanent':
        util.redirect(req, 'http://example.com/new', permanent=1)
    elif how == 'text':
        util.redirect(req, '/elsewhere', text='gone elsewhere\n')
    else:
        util.redirect(req, '/elsewhere?x=1')
    req.headers_out['X-After'] = 'the handler went on'
    req.write('after the redirect\n')
    return apache.OK

def target(a, b=None, *rest):
    return 'target a=%r b=%r' % (a, b)

def kw_target(req, **kw):
    return 'kw_target req=%s kw=%r' % (req, sorted(kw.items()))

class Page(object):
    def __init__(self, a):
        self.a = a

def do_helpers(req):
    fs = util.FieldStorage(req)
    out = [util.apply_fs_data(target, fs, req='R'),
           util.apply_fs_data(kw_target, fs, req='R'),
           'class a=%r' % util.apply_fs_data(Page, fs).a,
           repr(util.parse_qs('a=1&b=&a=%C3%A9;c=x+y')),
           repr(util.parse_qsl('a=1&b=&k', 1)),
           repr(util.parse_qsl(b'n=%FF+1')),
           repr(util.parse_header('form-data; name="a;b"; filename="C:\\dir\\f.txt"')),
           repr(util.parse_header('Text/HTML; Charset=UTF-8')),
           repr(fs)]
    fs.add_field('extra', 'x')
    fs['a'] = 'replaced'
    del fs['b']
    out.append('after changes: %s' % ','.join('%s=%s' % (f.name, f) for f in fs.list))
    req.write('\n'.join(out) + '\n')
    return apache.OK
"#;

fn server(module: PathBuf, mpm: Mpm, app: &str) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", module)
        .file("app/form.py", app)
        .config(
            "<Location /form>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/app']\"\n    \
             PythonHandler form\n</Location>\n",
        )
        .start()
}

fn both(test: impl Fn(Mpm, &Httpd)) {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(harness::cdylib("mod_python"), mpm, APP);
        test(mpm, &httpd);
    }
}

const URLENCODED: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

fn ok_text(
    httpd: &Httpd,
    mpm: Mpm,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> String {
    let r = httpd.request(method, path, headers, body);
    assert_eq!(
        r.status,
        200,
        "{mpm:?} {path}: {}\n{}",
        r.text(),
        httpd.error_log()
    );
    r.text()
}

/// One part of a form: name, filename, content type, content.
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

/// A multipart/form-data body.
fn multipart(boundary: &str, parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, ctype, content) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(f) = filename {
            body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        if let Some(t) = ctype {
            body.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[test]
fn urlencoded_post_and_query_string_are_merged() {
    both(|mpm, httpd| {
        let t = ok_text(
            httpd,
            mpm,
            "POST",
            "/form/fields?a=q1&b=q%202",
            &[URLENCODED],
            b"a=b1&c=%C3%A9t%C3%A9+1&d=x%26y%3Dz",
        );
        assert_eq!(
            t,
            "StringField a='q1'\nStringField b='q 2'\nStringField a='b1'\nStringField c='été 1'\n\
             StringField d='x&y=z'\n\
             keys=a,b,c,d len=4\n\
             a: [] -> list | getfirst=q1 getlist=[Field('a', 'q1'), Field('a', 'b1')] str=True\n\
             b: [] -> StringField | getfirst=q 2 getlist=[Field('b', 'q 2')] str=True\n\
             c: [] -> StringField | getfirst=été 1 getlist=[Field('c', 'été 1')] str=True\n\
             d: [] -> StringField | getfirst=x&y=z getlist=[Field('d', 'x&y=z')] str=True\n\
             missing: get=None getfirst='dflt' getlist=[] in=False has_key=False\n",
            "{mpm:?}"
        );
        // Without a Content-Type a POST body is taken as urlencoded, as 3.5 does; a GET's
        // body is not read.
        let t = ok_text(httpd, mpm, "POST", "/form/fields", &[], b"n=1");
        assert!(
            t.starts_with("StringField n='1'\nkeys=n len=1\n"),
            "{mpm:?}: {t}"
        );
        let t = ok_text(httpd, mpm, "GET", "/form/fields?g=1", &[URLENCODED], b"n=1");
        assert!(
            t.starts_with("StringField g='1'\nkeys=g len=1\n"),
            "{mpm:?}: {t}"
        );
        // A charset in the Content-Type decodes the body.
        let t = ok_text(
            httpd,
            mpm,
            "POST",
            "/form/fields",
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=iso-8859-1",
            )],
            b"n=%E9t%E9",
        );
        assert!(t.starts_with("StringField n='été'\n"), "{mpm:?}: {t}");
    });
}

#[test]
fn repeated_keys_give_lists_getfirst_and_getlist() {
    both(|mpm, httpd| {
        let t = ok_text(
            httpd,
            mpm,
            "GET",
            "/form/fields?x=1&x=2;x=3&y=only",
            &[],
            b"",
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[4], "keys=x,y len=2", "{mpm:?}: {t}");
        assert_eq!(
            lines[5],
            "x: [] -> list | getfirst=1 getlist=[Field('x', '1'), Field('x', '2'), Field('x', '3')] str=True",
            "{mpm:?}"
        );
        assert_eq!(
            lines[6], "y: [] -> StringField | getfirst=only getlist=[Field('y', 'only')] str=True",
            "{mpm:?}"
        );
    });
}

#[test]
fn blank_values_are_dropped_unless_kept() {
    both(|mpm, httpd| {
        let body = b"a=&b=2&c&=v";
        let t = ok_text(httpd, mpm, "POST", "/form/fields?q=", &[URLENCODED], body);
        assert!(
            t.starts_with("StringField b='2'\nStringField ='v'\nkeys=b, len=2\n"),
            "{mpm:?}: {t}"
        );
        let t = ok_text(
            httpd,
            mpm,
            "POST",
            "/form/fields?q=",
            &[URLENCODED, ("X-Keep-Blank", "1")],
            body,
        );
        assert!(
            t.starts_with(
                "StringField q=''\nStringField a=''\nStringField b='2'\nStringField c=''\nStringField ='v'\n\
                 keys=q,a,b,c, len=5\n"
            ),
            "{mpm:?}: {t}"
        );
    });
}

#[test]
fn multipart_text_fields_and_a_file_upload() {
    // Content a naive parser gets wrong: CR, LF, NUL, and lines that begin like the boundary.
    let boundary = "----WebKitFormBoundaryQ7x";
    let mut content = b"\x00\x01\r\n--".to_vec();
    content.extend_from_slice(format!("--{boundary}X\r\n\r\n--{boundary} x\r\n\n").as_bytes());
    content.extend_from_slice(&(0..=255u8).collect::<Vec<_>>());
    content.extend_from_slice(b"\r\n");
    let body = multipart(
        boundary,
        &[
            ("title", None, None, "Grüße".as_bytes()),
            ("tag", None, None, b"a"),
            (
                "tag",
                None,
                Some("text/plain; charset=iso-8859-1"),
                b"caf\xe9",
            ),
            ("empty", None, None, b""),
            (
                "upload",
                Some("C:\\Users\\ada\\notes v2.bin"),
                Some("application/octet-stream"),
                &content,
            ),
            ("nofile", Some(""), Some("application/octet-stream"), b""),
        ],
    );
    let ctype = format!("multipart/form-data; boundary={boundary}");
    both(|mpm, httpd| {
        let t = ok_text(
            httpd,
            mpm,
            "POST",
            "/form/multipart",
            &[("Content-Type", &ctype)],
            &body,
        );
        let mut want = String::from(
            "StringField title='Grüße'\n  type='text/plain' type_options={} disposition='form-data' disposition_options={'name': 'title'}\n  \
             headers=[('Content-Disposition', 'form-data; name=\"title\"')]\n  file=b'Gr\\xc3\\xbc\\xc3\\x9fe'\n\
             StringField tag='a'\n  type='text/plain' type_options={} disposition='form-data' disposition_options={'name': 'tag'}\n  \
             headers=[('Content-Disposition', 'form-data; name=\"tag\"')]\n  file=b'a'\n\
             StringField tag='café'\n  type='text/plain' type_options={'charset': 'iso-8859-1'} disposition='form-data' disposition_options={'name': 'tag'}\n  \
             headers=[('Content-Disposition', 'form-data; name=\"tag\"'), ('Content-Type', 'text/plain; charset=iso-8859-1')]\n  file=b'caf\\xe9'\n\
             StringField empty=''\n  type='text/plain' type_options={} disposition='form-data' disposition_options={'name': 'empty'}\n  \
             headers=[('Content-Disposition', 'form-data; name=\"empty\"')]\n  file=b''\n",
        );
        let value = py_bytes(&content);
        want += &format!(
            "Field upload filename='C:\\\\Users\\\\ada\\\\notes v2.bin' type='application/octet-stream' value={value}\n  \
             type='application/octet-stream' type_options={{}} disposition='form-data' \
             disposition_options={{'name': 'upload', 'filename': 'C:\\\\Users\\\\ada\\\\notes v2.bin'}}\n  \
             headers=[('Content-Disposition', 'form-data; name=\"upload\"; filename=\"C:\\\\Users\\\\ada\\\\notes v2.bin\"'), ('Content-Type', 'application/octet-stream')]\n  \
             file={value}\n"
        );
        want += "Field nofile filename='' type='application/octet-stream' value=b''\n  \
                 type='application/octet-stream' type_options={} disposition='form-data' disposition_options={'name': 'nofile', 'filename': ''}\n  \
                 headers=[('Content-Disposition', 'form-data; name=\"nofile\"; filename=\"\"'), ('Content-Type', 'application/octet-stream')]\n  \
                 file=b''\n\
                 upload is a Field: True, in a temporary file: True\n";
        assert_eq!(t, want, "{mpm:?}");
    });
}

/// Python's repr of a bytes object.
fn py_bytes(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut s = format!("b{quote}");
    for &c in b {
        match c {
            b'\\' => s += "\\\\",
            b'\t' => s += "\\t",
            b'\n' => s += "\\n",
            b'\r' => s += "\\r",
            c if c as char == quote => {
                s.push('\\');
                s.push(quote)
            }
            0x20..=0x7e => s.push(c as char),
            c => s += &format!("\\x{c:02x}"),
        }
    }
    s.push(quote);
    s
}

#[test]
fn a_5_mb_upload_streams_to_a_file_without_growing_the_child() {
    let boundary = "b0undary";
    // Pseudo-random bytes with the boundary's beginnings placed across the 64 KiB reads.
    let mut data = Vec::with_capacity(5 << 20);
    let mut x: u32 = 12345;
    while data.len() < 5 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        data.push((x >> 16) as u8);
        if data.len() % 65536 == 65530 {
            data.extend_from_slice(format!("\r\n--{boundary}-x\r\n--{boundary}Z").as_bytes());
        }
    }
    let body = multipart(
        boundary,
        &[
            ("note", None, None, b"five megabytes"),
            (
                "file",
                Some("big.bin"),
                Some("application/octet-stream"),
                &data,
            ),
        ],
    );
    let ctype = format!("multipart/form-data; boundary={boundary}");
    both(|mpm, httpd| {
        let r = httpd.request("POST", "/form/upload", &[("Content-Type", &ctype)], &body);
        assert_eq!(r.status, 200, "{mpm:?}: {}", httpd.error_log());
        let nl = r.body.iter().position(|&c| c == b'\n').unwrap();
        let head = String::from_utf8_lossy(&r.body[..nl]).into_owned();
        assert!(
            head.ends_with(&format!(
                "size={} filename=big.bin note=five megabytes",
                data.len()
            )),
            "{mpm:?}: {head}"
        );
        assert!(
            r.body[nl + 1..] == data[..],
            "{mpm:?}: the upload came back different"
        );
        // How much the child's peak RSS grew while the form was read: far below the 5 MB that
        // went through (a child's peak is its RSS between requests, so the growth shows).
        let growth: i64 = head
            .split_whitespace()
            .find_map(|w| w.strip_prefix("hwm_growth="))
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(growth < 2 << 20, "{mpm:?}: {head}");
    });
}

#[test]
fn file_and_field_callbacks_make_the_files() {
    let body = multipart(
        "cb",
        &[
            ("text", None, None, b"typed"),
            (
                "upload",
                Some("photo.jpg"),
                Some("image/jpeg"),
                b"\xff\xd8jpeg",
            ),
        ],
    );
    both(|mpm, httpd| {
        let t = ok_text(
            httpd,
            mpm,
            "POST",
            "/form/callbacks",
            &[("Content-Type", "multipart/form-data; boundary=cb")],
            &body,
        );
        assert_eq!(
            t,
            "upload file is Spool: True advisory='photo.jpg' value=b'\\xff\\xd8jpeg' on disk=True\n\
             text file is Memo: True value='typed' memos=1\n\
             after the form is gone, files left: []\n",
            "{mpm:?}"
        );
    });
}

#[test]
fn malformed_multipart_bodies_are_answered_400_at_once() {
    let long_header = format!(
        "--b\r\nContent-Disposition: form-data; name=\"x\"\r\nX-Long: {}\r\n",
        "y".repeat(70_000)
    );
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "no boundary",
            "multipart/form-data",
            b"--b\r\n\r\nx\r\n--b--\r\n".to_vec(),
        ),
        (
            "no delimiter at all",
            "multipart/form-data; boundary=b",
            b"just some bytes\r\n".to_vec(),
        ),
        (
            "no closing delimiter",
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nhalf a val".to_vec(),
        ),
        (
            "a header line without a colon",
            "multipart/form-data; boundary=b",
            b"--b\r\nno colon here\r\n\r\nx\r\n--b--\r\n".to_vec(),
        ),
        (
            "the body ends in the headers",
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n".to_vec(),
        ),
        (
            "oversized part headers",
            "multipart/form-data; boundary=b",
            long_header.into_bytes(),
        ),
    ];
    both(|mpm, httpd| {
        for (what, ctype, body) in &cases {
            let started = Instant::now();
            let r = httpd.request("POST", "/form/parse", &[("Content-Type", ctype)], body);
            assert_eq!(r.status, 400, "{mpm:?} {what}: {}", r.text());
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{mpm:?} {what}: slow"
            );
        }
        let log = httpd.error_log();
        assert!(!log.contains("Traceback"), "{mpm:?}: {log}");
        // A body that is not a form: 501, as 3.5 answers.
        let r = httpd.request(
            "POST",
            "/form/parse",
            &[("Content-Type", "text/plain")],
            b"x",
        );
        assert_eq!(r.status, 501, "{mpm:?}");
        // Good forms are still read afterwards.
        let r = httpd.request("POST", "/form/parse", &[URLENCODED], b"a=1");
        assert_eq!(
            (r.status, r.text()),
            (200, "parsed\n".to_string()),
            "{mpm:?}"
        );
    });
}

#[test]
fn redirect_sets_status_and_location_and_ends_the_handler() {
    both(|mpm, httpd| {
        let r = httpd.get("/form/redirect");
        assert_eq!(r.status, 302, "{mpm:?}");
        assert_eq!(r.header("Location"), Some("/elsewhere?x=1"), "{mpm:?}");
        assert_eq!(r.header("X-Before"), Some("set"), "{mpm:?}");
        assert_eq!(r.header("X-After"), None, "{mpm:?}");
        assert_eq!(
            r.text(),
            "<p>The document has moved <a href=\"/elsewhere?x=1\">here</a></p>\n",
            "{mpm:?}"
        );
        let r = httpd.get("/form/redirect?permanent");
        assert_eq!(r.status, 301, "{mpm:?}");
        assert_eq!(
            r.header("Location"),
            Some("http://example.com/new"),
            "{mpm:?}"
        );
        let r = httpd.get("/form/redirect?text");
        assert_eq!(
            (r.status, r.text()),
            (302, "gone elsewhere\n".to_string()),
            "{mpm:?}"
        );
        let r = httpd.get("/form/redirect?late");
        assert_eq!(r.status, 200, "{mpm:?}");
        assert_eq!(
            r.text(),
            "started IOError: Cannot redirect after headers have already been sent.",
            "{mpm:?}"
        );
    });
}

#[test]
fn apply_fs_data_and_the_parsing_helpers() {
    both(|mpm, httpd| {
        let t = ok_text(
            httpd,
            mpm,
            "POST",
            "/form/helpers?a=1",
            &[URLENCODED],
            b"b=2&b=3&c=4&req=forged",
        );
        assert_eq!(
            t,
            "target a='1' b=['2', '3']\n\
             kw_target req=R kw=[('a', '1'), ('b', ['2', '3']), ('c', '4')]\n\
             class a='1'\n\
             {'a': ['1', 'é'], 'c': ['x y']}\n\
             [('a', '1'), ('b', ''), ('k', '')]\n\
             [(b'n', b'\\xff 1')]\n\
             ('form-data', {'name': 'a;b', 'filename': 'C:\\\\dir\\\\f.txt'})\n\
             ('text/html', {'charset': 'UTF-8'})\n\
             {'a': [Field('a', '1')], 'b': [Field('b', '2'), Field('b', '3')], 'c': [Field('c', '4')], 'req': [Field('req', 'forged')]}\n\
             after changes: c=4,req=forged,extra=x,a=replaced\n",
            "{mpm:?}"
        );
    });
}

/// The same handler run by C mod_python 3.5: Debian's build (a Python 3 port) gives the body's
/// names and values as bytes, so the handler shows them decoded; ours gives str.
const COMPARE: &str = r#"
from mod_python import apache, util

def text(s):
    return s if s is None or isinstance(s, str) else s.decode('utf-8')

def handler(req):
    req.content_type = 'text/plain; charset=utf-8'
    if req.uri.endswith('/redirect'):
        util.redirect(req, '/moved/here', permanent=req.args == 'permanent')
    fs = util.FieldStorage(req, keep_blank_values=req.headers_in.get('X-Keep-Blank') == '1')
    out = ['len=%d keys=%s' % (len(fs), sorted(text(k) for k in fs.keys()))]
    for f in fs.list:
        line = '%s %s=%r' % (type(f).__name__, text(f.name), text(f.value) if f.filename is None else f.value)
        if type(f).__name__ == 'Field' or f.disposition:
            line += ' filename=%r type=%r disposition=%r options=%r' % (
                text(f.filename), text(f.type), text(f.disposition),
                sorted((text(k), text(v)) for k, v in f.type_options.items()))
        out.append(line)
    for k in fs.keys():
        first = fs.getfirst(k)
        value = first.value if isinstance(first, util.Field) else text(first.value)
        out.append('%s: %s %d first=%r' % (text(k), type(fs[k]).__name__, len(fs.getlist(k)), value))
    req.write('\n'.join(out) + '\n')
    return apache.OK
"#;

fn compare_session(httpd: &Httpd) -> Vec<String> {
    let form = multipart(
        "----formdata-compare",
        &[
            ("name", None, None, "Ada Lovelace".as_bytes()),
            ("lang", None, None, b"Python"),
            ("lang", None, None, "Caf\u{e9}".as_bytes()),
            ("comment", None, None, b"line one\r\nline two"),
            ("empty", None, None, b""),
            (
                "cv",
                Some("C:\\docs\\cv.pdf"),
                Some("application/pdf"),
                b"%PDF-1.4\r\n\x00\xff binary\r\n",
            ),
        ],
    );
    let mut answers = Vec::new();
    let mut record = |r: harness::Response| {
        answers.push(format!(
            "{} | {} | {}",
            r.status,
            r.header("Location").unwrap_or("-"),
            if r.status == 200 || r.status == 302 || r.status == 301 {
                r.text()
            } else {
                String::new()
            }
        ))
    };
    record(httpd.request(
        "POST",
        "/form/x",
        &[(
            "Content-Type",
            "multipart/form-data; boundary=----formdata-compare",
        )],
        &form,
    ));
    for keep in ["0", "1"] {
        record(httpd.request(
            "POST",
            "/form/x",
            &[URLENCODED, ("X-Keep-Blank", keep)],
            b"color=red&color=green&size=&qty=2&note=a+b%21",
        ));
    }
    record(httpd.request(
        "POST",
        "/form/x",
        &[("Content-Type", "multipart/form-data")],
        b"--x--\r\n",
    ));
    record(httpd.request(
        "POST",
        "/form/x",
        &[("Content-Type", "application/json")],
        b"{}",
    ));
    record(httpd.get("/form/redirect"));
    record(httpd.get("/form/redirect?permanent"));
    answers
}

#[test]
fn a_form_reads_the_same_as_with_c_mod_python() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let ours = compare_session(&server(harness::cdylib("mod_python"), mpm, COMPARE));
        assert!(
            ours[0].starts_with(
                "200 | - | len=5 keys=['comment', 'cv', 'empty', 'lang', 'name']\n\
                 StringField name='Ada Lovelace' filename=None type='text/plain' disposition='form-data' options=[]\n"
            ),
            "{mpm:?}: {}",
            ours[0]
        );
        assert!(ours[3].starts_with("400 "), "{mpm:?}: {}", ours[3]);
        assert!(ours[4].starts_with("501 "), "{mpm:?}: {}", ours[4]);
        assert!(
            ours[5].starts_with("302 | /moved/here | <p>The document"),
            "{mpm:?}: {}",
            ours[5]
        );
        if let Some(c_module) = support::c_mod_python() {
            let theirs = compare_session(&server(c_module, mpm, COMPARE));
            for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                assert_eq!(a, b, "{mpm:?}: answer {i} differs from C mod_python's");
            }
        }
    }
}
