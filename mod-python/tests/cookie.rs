//! mod_python.Cookie on a real httpd, under event and prefork: Set-Cookie headers written by
//! `add_cookie`, Cookie headers read by `get_cookies`/`get_cookie`, signed and marshalled
//! cookies, malformed headers. Where Debian's C mod_python 3.5 is installed the same handler
//! runs on it too: the answers must be the same, and cookies signed by one server must verify
//! on the other.
//!
//! Debian's 3.5 Cookie module cannot sign on Python 3.11 as shipped: it calls `hmac.new`
//! without a digest (Python 3.8 made it required; it was MD5 before) on `str` keys, and
//! `base64.encodestring` (gone since 3.9), written for Python 2's library. On the C server
//! only, the handler gives that module's `hmac` and `base64` names Python 2's behaviour
//! (MD5 by default, text in and out), which is what 3.5 signs with wherever it works.

mod support;

use harness::{Httpd, Mpm, Response};
use std::path::PathBuf;

const APP: &str = r#"
from mod_python import apache, Cookie
import base64, hashlib, hmac, types

SECRET = 'sekrit'
DATA = {'n': 32, 'colour': 'white', 'list': [1, 2.5, None, True], 'nested': {'t': (1, 'ü')}}


def _python2_library():
    # Only ever installed into C mod_python 3.5's Cookie module (see the test's header).
    def raw(x):
        return x.encode('utf-8') if isinstance(x, str) else x

    class Hex(str):
        def decode(self, *args):
            return str(self)

    class Mac(object):
        def __init__(self, key, msg=None, digestmod=None):
            self._m = hmac.new(raw(key), raw(msg) if msg is not None else None,
                               digestmod or hashlib.md5)

        def update(self, msg):
            self._m.update(raw(msg))

        def hexdigest(self):
            return Hex(self._m.hexdigest())

    Cookie.hmac = types.SimpleNamespace(new=Mac, compare_digest=hmac.compare_digest)
    Cookie.base64 = types.SimpleNamespace(
        encodestring=lambda b: base64.encodebytes(b).decode('ascii'),
        decodestring=lambda s: base64.decodebytes(raw(s)))


def describe(c):
    if c is None:
        return 'None'
    return '%s:%r' % (type(c).__name__, c.value)


def describe_all(cookies):
    return ' '.join('%s=%s' % (k, describe(cookies[k])) for k in sorted(cookies))


def attempt(f):
    try:
        return f()
    except Cookie.CookieError as e:
        return 'CookieError(%s)' % e


def set_(req):
    Cookie.add_cookie(req, 'plain', 'v1')
    Cookie.add_cookie(req, Cookie.Cookie(
        'full', 'v2', version=1, path='/c', domain='.example.org', secure=1, comment='hi',
        expires=1700000000, max_age=3600, discard=1, port='80', httponly=1))
    Cookie.add_cookie(req, 'dated', 'v3', expires='Tue, 14-Nov-2023 22:13:20 GMT', path='/')
    Cookie.add_cookie(req, 'early', 'v4', expires=-1.5, samesite='Strict', httponly=True)
    c = Cookie.Cookie('late', 'v5')
    c.expires = 253402300799
    c.path = '/late'
    Cookie.add_cookie(req, c)
    try:
        Cookie.Cookie('bad', 'x', expires='Tue, 14 Nov 2023 22:13:20 GMT')
    except ValueError as e:
        req.write('ValueError(%s)\n' % e)
    try:
        Cookie.Cookie('bad', 'x', colour='red')
    except AttributeError:
        req.write('AttributeError\n')
    return apache.OK


def read(req):
    req.write(describe_all(Cookie.get_cookies(req)) + '\n')
    req.write('b=%s missing=%s\n' % (describe(Cookie.get_cookie(req, 'b')),
                                    describe(Cookie.get_cookie(req, 'missing'))))
    req.write('str=%s\n' % ' '.join(sorted(str(c) for c in Cookie.get_cookies(req).values())))
    return apache.OK


def sign(req):
    Cookie.add_cookie(req, Cookie.SignedCookie('user', 'ada', SECRET, path='/'))
    Cookie.add_cookie(req, Cookie.MarshalCookie('data', DATA, SECRET))
    Cookie.add_cookie(req, Cookie.MarshalCookie('m', 'hello', SECRET, httponly=1))
    return apache.OK


def check(req):
    for mode in (Cookie.Cookie.DOWNGRADE, Cookie.Cookie.IGNORE, Cookie.Cookie.EXCEPTION):
        user = attempt(lambda: describe(Cookie.get_cookie(
            req, 'user', Cookie.SignedCookie, secret=SECRET, mismatch=mode)))
        data = attempt(lambda: describe(Cookie.get_cookie(
            req, 'data', Cookie.MarshalCookie, secret=SECRET, mismatch=mode)))
        req.write('mode %d: user=%s data=%s\n' % (mode, user, data))
    data = Cookie.get_cookie(req, 'data', Cookie.MarshalCookie, secret=SECRET)
    req.write('same data: %s\n' % (data is not None and data.value == DATA))
    return apache.OK


def dump(req):
    req.write('Cookie: %s\n' % describe_all(Cookie.get_cookies(req)))
    for cls in (Cookie.SignedCookie, Cookie.MarshalCookie):
        req.write('%s: %s\n' % (cls.__name__, describe_all(
            Cookie.get_cookies(req, cls, secret=SECRET))))
        req.write('%s strict: %s\n' % (cls.__name__, attempt(lambda: describe_all(
            Cookie.get_cookies(req, cls, secret=SECRET, mismatch=Cookie.Cookie.EXCEPTION)))))
    return apache.OK


def api(req):
    # Where this module differs from 3.5 (3.5 raised on commentURL, wrote 'path=None', and
    # wrote a flag set to a false value), and the methods get_cookie does not reach.
    c = Cookie.Cookie('x', 'y', commentURL='http://e/c', path=None, secure=False, httponly=0,
                      discard='', expires=None)
    req.write('%s\n' % c)
    c = Cookie.Cookie('x', 'y', expires=0)
    del c.expires
    req.write('%s %s\n' % (c, hasattr(c, 'expires')))
    req.write('%s\n' % attempt(lambda: str(Cookie.SignedCookie('s', 'v'))))
    s = Cookie.SignedCookie('s', 'v', SECRET)
    req.write('%s\n' % (s.hexdigest('v') == hmac.new(b'sekrit', b'sv', hashlib.md5).hexdigest()))
    parsed = Cookie.SignedCookie.parse(str(s), SECRET)['s']
    req.write('%s %r\n' % (type(parsed).__name__, parsed.value))
    s = Cookie.SignedCookie('s', str(s)[2:])
    req.write('%s\n' % attempt(lambda: s.unsign('other')))
    s.unsign(SECRET)
    req.write('%r %s\n' % (s.value, s))
    m = Cookie.MarshalCookie('m', str(Cookie.MarshalCookie('m', [1, {'k': b'bytes'}], SECRET))[2:])
    m.unmarshal(SECRET)
    req.write('%r\n' % (m.value,))
    return apache.OK


_ready = False


def handler(req):
    global _ready
    if not _ready:
        if req.get_options().get('python2_library') == 'on':
            _python2_library()
        _ready = True
    req.content_type = 'text/plain; charset=utf-8'
    return {'set': set_, 'read': read, 'sign': sign, 'check': check,
            'dump': dump, 'api': api}[req.uri.rsplit('/', 1)[-1]](req)
"#;

fn server(module: PathBuf, mpm: Mpm, python2_library: bool) -> Httpd {
    let option = if python2_library {
        "    PythonOption python2_library on\n"
    } else {
        ""
    };
    Httpd::builder()
        .mpm(mpm)
        .module("python_module", module)
        .file("app/app.py", APP)
        .config(&format!(
            "<Location /c>\n    SetHandler mod_python\n    PythonPath \"sys.path+['@ROOT@/app']\"\n    \
             PythonHandler app\n    PythonDebug On\n{option}</Location>\n"
        ))
        .start()
}

fn ours(mpm: Mpm) -> Httpd {
    server(harness::cdylib("mod_python"), mpm, false)
}

/// C mod_python 3.5's httpd, when Debian's module is installed for our Python version.
fn theirs(mpm: Mpm) -> Option<Httpd> {
    support::c_mod_python().map(|c_module| server(c_module, mpm, true))
}

fn get(httpd: &Httpd, path: &str, cookies: &[&str]) -> Response {
    let headers: Vec<(&str, &str)> = cookies.iter().map(|c| ("Cookie", *c)).collect();
    let r = httpd.request("GET", path, &headers, b"");
    assert_eq!(r.status, 200, "{path} {cookies:?}: {}", r.text());
    r
}

/// The Cookie header a browser would send back for these Set-Cookie headers.
fn cookie_header(r: &Response) -> String {
    r.headers_all("Set-Cookie")
        .iter()
        .map(|c| c.split(';').next().unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

const SIGNED_USER: &str = "user=bec3d0285a6e1b5de942e54b8542a192ada";
const MARSHALLED_HELLO: &str = "m=a3a2d5f01dbaa283f61077d6b534c31f2gVoZWxsbw==; httponly";

#[test]
fn add_cookie_writes_set_cookie_headers_as_3_5_does() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let seen = |httpd: &Httpd| {
            let r = get(httpd, "/c/set", &[]);
            (
                r.headers_all("Set-Cookie")
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
                r.headers_all("Cache-Control")
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
                r.text(),
            )
        };
        let (set_cookie, cache_control, body) = seen(&ours(mpm));
        assert_eq!(
            set_cookie,
            [
                "plain=v1",
                "full=v2; version=1; path=/c; domain=.example.org; secure; comment=hi; \
                 expires=Tue, 14-Nov-2023 22:13:20 GMT; max_age=3600; discard; port=80; httponly",
                "dated=v3; path=/; expires=Tue, 14-Nov-2023 22:13:20 GMT",
                "early=v4; expires=Wed, 31-Dec-1969 23:59:58 GMT; samesite=Strict; httponly",
                "late=v5; path=/late; expires=Fri, 31-Dec-9999 23:59:59 GMT",
            ],
            "{mpm:?}"
        );
        // Once, for the first cookie of the response.
        assert_eq!(cache_control, ["no-cache=\"set-cookie\""], "{mpm:?}");
        assert_eq!(
            body,
            "ValueError(Invalid expires time: Tue, 14 Nov 2023 22:13:20 GMT)\nAttributeError\n",
            "{mpm:?}"
        );
        if let Some(c) = theirs(mpm) {
            assert_eq!(
                seen(&c),
                (set_cookie, cache_control, body),
                "{mpm:?}: C mod_python's"
            );
        }
    }
}

#[test]
fn get_cookies_and_get_cookie_read_several_cookies() {
    let requests: [&[&str]; 4] = [
        &["a=1; b=\"two words\"; $Version=1; c=x=y; a=3;d; e=f, g=h"],
        &[" a = 1 ;b=2;;  c=\"q\\\"uoted;semi\" tail"],
        // Two Cookie headers: httpd joins them with ", " before the handler sees them.
        &["a=1", "b=2"],
        &[],
    ];
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let answers = |httpd: &Httpd| {
            requests
                .iter()
                .map(|cookies| get(httpd, "/c/read", cookies).text())
                .collect::<Vec<_>>()
        };
        let mine = answers(&ours(mpm));
        assert_eq!(
            mine,
            [
                "a=Cookie:'3' b=Cookie:'\"two words\"' c=Cookie:'x=y' d=Cookie:'' \
                 e=Cookie:'f, g=h'\nb=Cookie:'\"two words\"' missing=None\n\
                 str=a=3 b=\"two words\" c=x=y d= e=f, g=h\n",
                "a=Cookie:'1 ' b=Cookie:'2' c=Cookie:'\"q\\\\\"uoted;semi\"' \
                 tail=Cookie:''\nb=Cookie:'2' missing=None\n\
                 str=a=1  b=2 c=\"q\\\"uoted;semi\" tail=\n",
                "a=Cookie:'1, b=2'\nb=None missing=None\nstr=a=1, b=2\n",
                "\nb=None missing=None\nstr=\n",
            ],
            "{mpm:?}"
        );
        if let Some(c) = theirs(mpm) {
            assert_eq!(mine, answers(&c), "{mpm:?}: C mod_python's");
        }
    }
}

#[test]
fn signed_cookie_round_trip_and_forgeries() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = ours(mpm);
        let set = get(&httpd, "/c/sign", &[]);
        let sent = set.headers_all("Set-Cookie");
        assert_eq!(sent[0], format!("{SIGNED_USER}; path=/"), "{mpm:?}");
        assert_eq!(sent[2], MARSHALLED_HELLO, "{mpm:?}");
        assert_eq!(
            set.headers_all("Cache-Control"),
            ["no-cache=\"set-cookie\""]
        );

        let back = cookie_header(&set);
        let good = get(&httpd, "/c/check", &[&back]).text();
        assert!(
            good.starts_with(
                "mode 0: user=SignedCookie:'ada' data=MarshalCookie:{'n': 32, 'colour': 'white', \
                 'list': [1, 2.5, None, True], 'nested': {'t': (1, 'ü')}}\n"
            ),
            "{mpm:?}: {good}"
        );
        assert!(good.ends_with("same data: True\n"), "{mpm:?}: {good}");
        assert_eq!(
            good.lines()
                .filter(|l| l.contains("=SignedCookie:'ada' data=MarshalCookie:"))
                .count(),
            3,
            "{mpm:?}: {good}"
        );

        // The value changed, the signature kept; the signature of another secret; no
        // signature at all; another cookie's signature.
        let forged = [
            "user=bec3d0285a6e1b5de942e54b8542a192bob",
            "user=f33ad945c681c16fc57533b4d5dc7afbada",
            "user=ada",
            "user=a3a2d5f01dbaa283f61077d6b534c31f2gVoZWxsbw==",
        ];
        for cookie in forged {
            let text = get(&httpd, "/c/check", &[cookie]).text();
            let value = cookie.strip_prefix("user=").unwrap();
            assert_eq!(
                text,
                format!(
                    "mode 0: user=Cookie:'{value}' data=None\nmode 1: user=None data=None\n\
                     mode 3: user=CookieError(Incorrectly Signed Cookie: {cookie}) data=None\n\
                     same data: False\n"
                ),
                "{mpm:?}"
            );
        }
    }
}

#[test]
fn the_rest_of_the_api_and_where_it_differs_from_3_5() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let sig = "s=7ad0395afa59bbaa9d84101a08e60e28v";
        assert_eq!(
            get(&ours(mpm), "/c/api", &[]).text(),
            format!(
                "x=y; commentURL=http://e/c\nx=y False\n\
                 CookieError(Cannot sign without a secret)\nTrue\nSignedCookie 'v'\n\
                 CookieError(Incorrectly Signed Cookie: {sig})\n'v' {sig}\n\
                 [1, {{'k': b'bytes'}}]\n"
            ),
            "{mpm:?}"
        );
    }
}

#[test]
fn marshal_cookie_round_trip_and_bad_values() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = ours(mpm);
        let set = get(&httpd, "/c/sign", &[]);
        let data = set.headers_all("Set-Cookie")[1].to_string();
        let text = get(&httpd, "/c/dump", &[&data]).text();
        let value =
            "{'n': 32, 'colour': 'white', 'list': [1, 2.5, None, True], 'nested': {'t': (1, 'ü')}}";
        let signed = data.strip_prefix("data=").unwrap();
        let b64 = &signed[32..];
        assert_eq!(
            text,
            format!(
                "Cookie: data=Cookie:'{signed}'\nSignedCookie: data=SignedCookie:'{b64}'\n\
                 SignedCookie strict: data=SignedCookie:'{b64}'\n\
                 MarshalCookie: data=MarshalCookie:{value}\nMarshalCookie strict: data=MarshalCookie:{value}\n"
            ),
            "{mpm:?}"
        );

        // Rightly signed, but not base64, or not marshal data: a plain cookie without its
        // signature, or CookieError when asked.
        let text = get(
            &httpd,
            "/c/dump",
            &["m=25efd4bf17ec67d27e7df58302a8f36ahello"],
        )
        .text();
        assert!(
            text.ends_with(
                "MarshalCookie: m=Cookie:'hello'\n\
                 MarshalCookie strict: CookieError(Cannot base64 Decode Cookie: m=hello)\n"
            ),
            "{mpm:?}: {text}"
        );
        // base64 passes over what is not of its alphabet, leaving no data here.
        let text = get(
            &httpd,
            "/c/dump",
            &["m=aae0fff1756ca9b9fa840ac99e8792cf!!!"],
        )
        .text();
        assert!(
            text.ends_with(
                "MarshalCookie: m=Cookie:'!!!'\n\
                 MarshalCookie strict: CookieError(Cannot Unmarshal Cookie: m=!!!)\n"
            ),
            "{mpm:?}: {text}"
        );
        let text = get(
            &httpd,
            "/c/dump",
            &["m=adced6645b1c146395ee912eb9e5efe8bm90IG1hcnNoYWw="],
        )
        .text();
        assert!(
            text.ends_with(
                "MarshalCookie: m=Cookie:'bm90IG1hcnNoYWw='\n\
                 MarshalCookie strict: CookieError(Cannot Unmarshal Cookie: m=bm90IG1hcnNoYWw=)\n"
            ),
            "{mpm:?}: {text}"
        );
    }
}

#[test]
fn signed_and_marshalled_cookies_pass_between_c_mod_python_and_ours() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let mine = ours(mpm);
        let Some(c) = theirs(mpm) else { return };
        let from_mine = get(&mine, "/c/sign", &[]);
        let from_c = get(&c, "/c/sign", &[]);
        // The same Set-Cookie headers, byte for byte (the same Python writes the marshal data).
        assert_eq!(
            from_mine.headers_all("Set-Cookie"),
            from_c.headers_all("Set-Cookie"),
            "{mpm:?}"
        );
        for (made_by, set, reader) in [("ours", &from_mine, &c), ("C's", &from_c, &mine)] {
            let back = cookie_header(set);
            let text = get(reader, "/c/check", &[&back]).text();
            assert_eq!(
                text.lines()
                    .filter(|l| l.contains("=SignedCookie:'ada' data=MarshalCookie:"))
                    .count(),
                3,
                "{mpm:?}: cookies made by {made_by}: {text}"
            );
            assert!(
                text.ends_with("same data: True\n"),
                "{mpm:?}: cookies made by {made_by}: {text}"
            );
        }
        // A forgery is a forgery on both.
        let forged = "user=bec3d0285a6e1b5de942e54b8542a192bob";
        assert_eq!(
            get(&mine, "/c/check", &[forged]).text(),
            get(&c, "/c/check", &[forged]).text(),
            "{mpm:?}"
        );
    }
}

#[test]
fn malformed_cookie_headers_are_read_as_far_as_they_go() {
    let long = format!(
        "k={}; {}",
        "v".repeat(6000),
        (0..200)
            .map(|i| format!("k{i}={i}"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let headers: Vec<Vec<&str>> = vec![
        vec![""],
        vec![";;; ;"],
        vec!["="],
        vec!["==x; =; a"],
        vec!["a=\"unterminated; b=2"],
        vec!["a=\"x\\\"y\"z; b"],
        vec!["$Version=1; $Path=/; x=1; $Domain=.e"],
        vec![",,, a=1, b=2"],
        vec!["é=ü; ok=1"],
        vec!["a=b\tc; \td=e"],
        vec!["a=1; a=2; a=3"],
        vec!["user=0123456789abcdef0123456789abcdefada; data=garbage; m=x"],
        vec!["user=bec3d0285a6e1b5de942e54b8542a192ada; m=aae0fff1756ca9b9fa840ac99e8792cf!!!"],
        vec!["\"\"=\"\"; \"=\\"],
        vec![&long],
    ];
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let answers = |httpd: &Httpd| {
            headers
                .iter()
                .map(|cookies| get(httpd, "/c/dump", cookies).text())
                .collect::<Vec<_>>()
        };
        let mine = answers(&ours(mpm));
        assert_eq!(
            mine[0],
            "Cookie: \nSignedCookie: \nSignedCookie strict: \nMarshalCookie: \nMarshalCookie strict: \n",
            "{mpm:?}"
        );
        assert_eq!(
            mine[3],
            "Cookie: a=Cookie:'' x=Cookie:''\nSignedCookie: a=Cookie:'' x=Cookie:''\n\
             SignedCookie strict: CookieError(Incorrectly Signed Cookie: x=)\n\
             MarshalCookie: a=Cookie:'' x=Cookie:''\n\
             MarshalCookie strict: CookieError(Incorrectly Signed Cookie: x=)\n",
            "{mpm:?}"
        );
        assert!(
            mine[6].starts_with("Cookie: x=Cookie:'1'\n"),
            "{mpm:?}: {}",
            mine[6]
        );
        assert!(
            mine[8].starts_with("Cookie: ok=Cookie:'1' é=Cookie:'ü'\n"),
            "{mpm:?}: {}",
            mine[8]
        );
        assert!(
            mine[12].contains("SignedCookie: m=SignedCookie:'!!!' user=SignedCookie:'ada'\n"),
            "{mpm:?}: {}",
            mine[12]
        );
        assert!(mine[14].contains(" k199=Cookie:'199' "), "{mpm:?}");

        // A header that is not UTF-8 (C mod_python 3.5 gives no answer at all to this one).
        let raw = ours(mpm).raw(
            b"GET /c/dump HTTP/1.1\r\nHost: x\r\nCookie: a=\xff\xfe; b=1\r\nConnection: close\r\n\r\n",
        );
        let raw = String::from_utf8_lossy(&raw);
        assert!(
            raw.starts_with("HTTP/1.1 200 OK\r\n") && raw.contains("MarshalCookie strict: "),
            "{mpm:?}: {raw}"
        );
        if let Some(c) = theirs(mpm) {
            let c_answers = answers(&c);
            for (i, (m, t)) in mine.iter().zip(&c_answers).enumerate() {
                assert_eq!(m, t, "{mpm:?}: {:?}: C mod_python's differs", headers[i]);
            }
        }
    }
}
