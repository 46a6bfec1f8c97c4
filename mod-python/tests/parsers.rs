//! The Python package's parsers of what clients send, fuzzed through a real httpd with
//! proptest: multipart/form-data and urlencoded bodies and query strings (`util.FieldStorage`),
//! `Cookie` headers (`Cookie`, `SignedCookie`, `MarshalCookie`), PSP templates and the
//! publisher's URL traversal. What is written well reads back as written; anything else is
//! answered (200 or 400, never 500), and the server serves on. Each property runs 48 cases
//! per MPM by default; `PROPTEST_CASES` asks for more (`cargo xtask soak --fuzz` does).

use harness::{Httpd, Mpm, Response};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const PARSE: &str = r#"
from mod_python import apache, util, Cookie, psp

def _hex(v):
    if v is None:
        return '-'  # a part without a name, as 3.5 gives it
    if isinstance(v, str):
        v = v.encode('utf-8', 'surrogateescape')
    return v.hex()

def form(req):
    # Every field as name|filename|hex of its value, in order.
    fs = util.FieldStorage(req, keep_blank_values=1)
    req.content_type = 'text/plain'
    for f in fs.list:
        req.write('%s|%s|%s\n' % (_hex(f.name), _hex(f.filename or ''), _hex(f.value)))
    return apache.OK

def cookies(req):
    header = req.headers_in.get('Cookie', '')
    plain = Cookie.get_cookies(req)
    for mode in (Cookie.Cookie.DOWNGRADE, Cookie.Cookie.IGNORE, Cookie.Cookie.EXCEPTION):
        for cls in (Cookie.SignedCookie, Cookie.MarshalCookie):
            try:
                Cookie.get_cookies(req, cls, secret='s3cret', mismatch=mode)
            except Cookie.CookieError:
                pass
    for name, c in sorted(plain.items()):
        req.write('%s|%s\n' % (_hex(name), _hex(c.value)))
    return apache.OK

def template(req):
    # A PSP template from the body: parsed, then compiled; or the parse error.
    text = req.read().decode('utf-8', 'surrogateescape')
    try:
        code = psp.parsestring(text)
    except SyntaxError:
        req.write('psp syntax error')
        return apache.OK
    try:
        compile(code, '<template>', 'exec')
    except SyntaxError:
        req.write('code syntax error')
        return apache.OK
    req.write('compiled')
    return apache.OK

def run_template(req):
    psp.PSP(req, string=req.read().decode('utf-8')).run()
    return apache.OK
"#;

const PAGE: &str = r#"
import os
from os import environ
_secret = 'SECRET-MARKER'

class Page:
    _hidden = 'SECRET-MARKER'
    def method(self):
        return 'method'

page = Page()
greeting = 'hi'

def index():
    return 'index'

def hello():
    return 'hello'
"#;

/// The names the page publishes: a path made only of these may answer 200.
const PUBLISHED: [&str; 5] = ["index", "hello", "greeting", "page", "method"];

fn server(mpm: Mpm) -> Httpd {
    let mut c = String::from("PythonPath \"sys.path+['@ROOT@/py']\"\n");
    for name in ["form", "cookies", "template", "run_template"] {
        c += &format!(
            "<Location /{name}>\n    SetHandler mod_python\n    PythonHandler parse::{name}\n</Location>\n"
        );
    }
    c += "<Directory @ROOT@/htdocs/pub>\n    AddHandler mod_python .py\n    \
          PythonHandler mod_python.publisher\n    PythonOption mod_python.publisher.strict On\n\
          </Directory>\n";
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("py/parse.py", PARSE)
        .file("htdocs/pub/page.py", PAGE)
        .config(&c)
        .start()
}

/// Runs `test` on `cases` inputs from `strategy` against a server of each MPM.
fn check<S: Strategy>(strategy: S, test: impl Fn(&Httpd, S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(48);
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&strategy, |input| test(&httpd, input));
        if let Err(e) = result {
            panic!("{mpm:?}: {e}\n{}", httpd.error_log());
        }
        let log = httpd.error_log();
        for bad in ["Segmentation fault", "exit signal", "Fatal Python error"] {
            assert!(!log.contains(bad), "{mpm:?}: {bad}:\n{log}");
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every byte but the unreserved ones as `%XX`.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A part of a multipart body: a text field, or a file with its name.
#[derive(Debug, Clone)]
enum Part {
    Text(String),
    File(String, Vec<u8>),
}

fn part() -> impl Strategy<Value = (String, Part)> {
    let text = any::<String>().prop_map(Part::Text);
    let file = (
        "[A-Za-z0-9._-]{1,12}",
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(n, d)| Part::File(n, d));
    ("[a-z][a-z0-9_]{0,8}", prop_oneof![text, file])
}

fn multipart(boundary: &str, parts: &[(String, Part)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, p) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let (filename, data) = match p {
            Part::Text(t) => (None, t.as_bytes()),
            Part::File(f, d) => (Some(f), d.as_slice()),
        };
        let mut disposition = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(f) = filename {
            disposition += &format!("; filename=\"{f}\"\r\nContent-Type: application/octet-stream");
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

fn post_multipart(httpd: &Httpd, boundary: &str, body: &[u8]) -> Response {
    let ctype = format!("multipart/form-data; boundary={boundary}");
    httpd.request("POST", "/form", &[("Content-Type", &ctype)], body)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn multipart_bodies_read_back_as_written() {
    let input = (
        "[A-Za-z0-9'()+_,./:=?-]{1,40}",
        prop::collection::vec(part(), 0..6),
    );
    check(input, |httpd, (boundary, parts)| {
        let delimiter = format!("\r\n--{boundary}");
        for (_, p) in &parts {
            let data = match p {
                Part::Text(t) => t.as_bytes(),
                Part::File(_, d) => d,
            };
            let mut framed = b"\r\n".to_vec();
            framed.extend_from_slice(data);
            prop_assume!(!contains(&framed, delimiter.as_bytes()));
        }
        let r = post_multipart(httpd, &boundary, &multipart(&boundary, &parts));
        prop_assert_eq!(r.status, 200, "{}", r.text());
        let want: String = parts
            .iter()
            .map(|(name, p)| match p {
                Part::Text(t) => format!("{}||{}\n", hex(name.as_bytes()), hex(t.as_bytes())),
                Part::File(f, d) => {
                    format!(
                        "{}|{}|{}\n",
                        hex(name.as_bytes()),
                        hex(f.as_bytes()),
                        hex(d)
                    )
                }
            })
            .collect();
        prop_assert_eq!(r.text(), want);
        Ok(())
    });
}

/// How a well-formed body is broken.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Drop(usize, usize),
}

#[test]
fn broken_multipart_bodies_are_answered_200_or_400() {
    let damage = prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Flip(i, b)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                b"\r\n".to_vec(),
                b"--".to_vec(),
                b"\r\n--B\r\n".to_vec(),
                b"\r\n--B--".to_vec(),
                b"Content-Disposition: form-data\r\n".to_vec(),
                b"\r\n\r\n".to_vec(),
                b"; filename=\"../../x\"".to_vec(),
                b"\"".to_vec(),
                vec![0],
            ])
        )
            .prop_map(|(i, s)| Damage::Insert(i, s)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Damage::Drop(i, n)),
    ];
    let input = (
        prop::collection::vec(part(), 1..4),
        prop::collection::vec(damage, 1..4),
    );
    check(input, |httpd, (parts, damages)| {
        let mut body = multipart("B", &parts);
        for d in damages {
            let at = |i: usize| i % (body.len() + 1);
            match d {
                Damage::Truncate(i) => body.truncate(at(i)),
                Damage::Flip(i, b) if !body.is_empty() => {
                    let i = i % body.len();
                    body[i] ^= b;
                }
                Damage::Flip(..) => {}
                Damage::Insert(i, s) => {
                    let i = at(i);
                    body.splice(i..i, s);
                }
                Damage::Drop(i, n) => {
                    let i = at(i);
                    let end = (i + n).min(body.len());
                    body.drain(i..end);
                }
            }
        }
        let r = post_multipart(httpd, "B", &body);
        prop_assert!(
            r.status == 200 || r.status == 400,
            "{}: {}",
            r.status,
            r.text()
        );
        Ok(())
    });
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("\\PC{1,8}", any::<String>()), 0..6)
}

fn urlencode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn read_back(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}||{}\n", hex(k.as_bytes()), hex(v.as_bytes())))
        .collect()
}

#[test]
fn urlencoded_bodies_and_query_strings_read_back_as_written() {
    check((pairs(), pairs()), |httpd, (query, posted)| {
        let path = format!("/form?{}", urlencode(&query));
        let r = httpd.request(
            "POST",
            &path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            urlencode(&posted).as_bytes(),
        );
        prop_assert_eq!(r.status, 200, "{}", r.text());
        let mut all = query.clone();
        all.extend(posted);
        prop_assert_eq!(r.text(), read_back(&all));
        Ok(())
    });
}

#[test]
fn any_query_string_or_form_body_is_answered_200_or_400() {
    // Query strings of what a request line may carry; bodies of any bytes.
    let query = "[!-~]{0,60}";
    let body = prop::collection::vec(any::<u8>(), 0..200);
    check((query, body), |httpd, (qs, body)| {
        let qs = qs.replace('#', "%23");
        let r = httpd.request(
            "POST",
            &format!("/form?{qs}"),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &body,
        );
        prop_assert!(
            r.status == 200 || r.status == 400,
            "{qs}: {}: {}",
            r.status,
            r.text()
        );
        Ok(())
    });
}

#[test]
fn any_cookie_header_is_read_without_failing_and_simple_ones_read_back() {
    let token = prop_oneof![
        Just(";".to_string()),
        Just("=".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just(",".to_string()),
        Just(" ".to_string()),
        Just("$Version=1".to_string()),
        "[!-~]{1,8}",
        "[a-z]{1,6}=[a-zA-Z0-9]{0,10}",
        "\\PC{1,3}",
    ];
    let header = prop::collection::vec(token, 1..12).prop_map(|t| t.concat());
    check(header, |httpd, header| {
        let r = httpd.request("GET", "/cookies", &[("Cookie", &header)], b"");
        prop_assert_eq!(r.status, 200, "{:?}: {}", header, r.text());
        Ok(())
    });
    let simple = prop::collection::btree_map(
        "[a-zA-Z][a-zA-Z0-9_]{0,8}",
        "[a-zA-Z0-9!#%&'()*+./:<>?@^_`{|}~-]{0,16}",
        1..6,
    );
    check(simple, |httpd, cookies| {
        let header = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let r = httpd.request("GET", "/cookies", &[("Cookie", &header)], b"");
        let want: String = cookies
            .iter()
            .map(|(k, v)| format!("{}|{}\n", hex(k.as_bytes()), hex(v.as_bytes())))
            .collect();
        prop_assert_eq!(r.text(), want);
        Ok(())
    });
}

#[test]
fn any_psp_template_parses_or_is_a_syntax_error_and_plain_text_comes_back() {
    let token = prop_oneof![
        Just("<%".to_string()),
        Just("%>".to_string()),
        Just("<%=".to_string()),
        Just("<%--".to_string()),
        Just("--%>".to_string()),
        Just("<%@ include file=\"x\"%>".to_string()),
        Just("<%!".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("    ".to_string()),
        Just("if 1:".to_string()),
        Just("# end".to_string()),
        Just("x = 1".to_string()),
        Just("\"\"\"".to_string()),
        Just("\\".to_string()),
        "[ -~]{1,8}",
        "\\PC{1,3}",
    ];
    let template = prop::collection::vec(token, 0..16).prop_map(|t| t.concat());
    check(template, |httpd, template| {
        let r = httpd.request("POST", "/template", &[], template.as_bytes());
        prop_assert_eq!(r.status, 200, "{:?}: {}", template, r.text());
        let t = r.text();
        prop_assert!(
            ["compiled", "psp syntax error", "code syntax error"].contains(&t.as_str()),
            "{:?}: {}",
            template,
            t
        );
        Ok(())
    });
    // Text with no PSP in it is written as it is (CRLF read as LF, as 3.5 does).
    let plain = "[^<%]{0,80}";
    check(plain, |httpd, text| {
        let r = httpd.request("POST", "/run_template", &[], text.as_bytes());
        prop_assert_eq!(r.status, 200);
        prop_assert_eq!(r.text(), text.replace("\r\n", "\n"));
        Ok(())
    });
}

/// The path as httpd maps it: `%XX` decoded, slashes merged, then `.` and `..` segments
/// resolved.
fn normalized(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let digits = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(digits, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    let decoded = String::from_utf8_lossy(&out).into_owned();
    let mut segments: Vec<&str> = Vec::new();
    for s in decoded.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(s),
        }
    }
    format!("/{}", segments.join("/"))
}

#[test]
fn the_publisher_answers_any_path_and_serves_only_what_the_page_publishes() {
    let segment = prop::sample::select(vec![
        "",
        "index",
        "hello",
        "greeting",
        "page",
        "method",
        "os",
        "environ",
        "_secret",
        "_hidden",
        "Page",
        "__class__",
        "__globals__",
        "__dict__",
        "__init__",
        "__builtins__",
        "__module__",
        "%5fsecret",
        "%5f%5fclass%5f%5f",
        ".",
        "..",
        "%2e",
        "%2E%2E",
        "upper",
        "mro",
        "func_globals",
        "keys",
    ]);
    let separator = prop::sample::select(vec!["/", ".", "//", "/./"]);
    let path = prop::collection::vec((segment, separator), 0..6);
    check(path, |httpd, steps| {
        let mut path = String::from("/pub/page.py");
        for (segment, separator) in &steps {
            path += separator;
            path += segment;
        }
        let r = httpd.get(&path);
        // 400: a `..` that would climb above the root, which httpd refuses itself.
        prop_assert!(
            [200, 400, 403, 404].contains(&r.status),
            "{}: {} {}",
            path,
            r.status,
            r.text()
        );
        prop_assert!(!r.text().contains("SECRET-MARKER"), "{}", path);
        let mapped = normalized(&path);
        if let (200, Some(rest)) = (r.status, mapped.strip_prefix("/pub/page.py")) {
            for name in rest.split(['/', '.']).filter(|n| !n.is_empty()) {
                prop_assert!(
                    PUBLISHED.contains(&name),
                    "{} served through {}",
                    path,
                    name
                );
            }
        }
        Ok(())
    });
}
