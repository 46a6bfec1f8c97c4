//! Real applications, as their users write them, served through `mod_python.wsgi` on a real
//! httpd under the event and prefork MPMs: a Django admin login with CSRF, a chunked upload to
//! Flask, file responses with `Range` from Flask and Bottle, and Falcon's basics.
//!
//! The frameworks come from PyPI, pinned below, into a venv made with the Python mod_python.so
//! was built for (`python -m venv`) under `target/tmp`. The venv is kept between runs and made
//! again when the pinned list changes. When PyPI cannot be reached the test says so and is
//! skipped; any other failure to make the venv fails it.

mod support;

use support::run;

use harness::{Httpd, Mpm};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The frameworks and every package they pull in, pinned.
const REQUIREMENTS: &str = "\
asgiref==3.13.0
blinker==1.9.0
bottle==0.13.5
click==8.5.1
Django==5.2.20
falcon==4.4.0
Flask==3.1.3
itsdangerous==2.2.0
Jinja2==3.1.6
MarkupSafe==3.0.4
sqlparse==0.6.1
Werkzeug==3.1.9
";

/// The venv's site-packages, made (once per test process) if missing or out of date; `Err`
/// with the reason when PyPI cannot be reached.
fn site_packages() -> Result<PathBuf, String> {
    let venv = support::pinned_venv("apps-venv", &[], REQUIREMENTS)?;
    let (ok, out) = support::run(Command::new(venv.join("bin/python")).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    ]));
    assert!(ok, "{out}");
    Ok(PathBuf::from(out.trim()))
}

const DJANGO_SETTINGS: &str = r#"
import os
BASE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = 'a-test-key-that-is-long-enough-for-django-to-take-it-0123456789'
DEBUG = False
ALLOWED_HOSTS = ['*']
INSTALLED_APPS = ['django.contrib.admin', 'django.contrib.auth', 'django.contrib.contenttypes',
                  'django.contrib.sessions', 'django.contrib.messages']
MIDDLEWARE = ['django.middleware.security.SecurityMiddleware',
              'django.contrib.sessions.middleware.SessionMiddleware',
              'django.middleware.common.CommonMiddleware',
              'django.middleware.csrf.CsrfViewMiddleware',
              'django.contrib.auth.middleware.AuthenticationMiddleware',
              'django.contrib.messages.middleware.MessageMiddleware']
ROOT_URLCONF = 'djsite.urls'
TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates', 'APP_DIRS': True,
              'OPTIONS': {'context_processors': [
                  'django.template.context_processors.request',
                  'django.contrib.auth.context_processors.auth',
                  'django.contrib.messages.context_processors.messages']}}]
DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3',
                         'NAME': os.path.join(BASE, 'db', 'db.sqlite3')}}
STATIC_URL = 'static/'
USE_TZ = True
"#;

const DJANGO_URLS: &str = r#"
from django.contrib import admin
from django.urls import path
urlpatterns = [path('admin/', admin.site.urls)]
"#;

/// Django's stock wsgi.py.
const DJANGO_WSGI: &str = r#"
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'djsite.settings')
application = get_wsgi_application()
"#;

const DJANGO_SETUP: &str = r#"
import django
django.setup()
from django.core.management import call_command
from django.contrib.auth.models import User
call_command('migrate', verbosity=0)
User.objects.create_superuser('admin', 'admin@example.com', 'a-Pass-1234')
"#;

const FLASK_APP: &str = r#"
import hashlib, os
from flask import Flask, request, send_file
app = Flask(__name__)
DATA = os.path.join(os.path.dirname(__file__), 'data.bin')

@app.route('/hello/<name>')
def hello(name):
    return 'Hello, %s!' % name

@app.route('/upload', methods=['POST'])
def upload():
    data = request.get_data()
    return {'length': len(data), 'sha256': hashlib.sha256(data).hexdigest(),
            'content_length': request.content_length}

@app.route('/file')
def file():
    return send_file(DATA, mimetype='application/octet-stream', conditional=True)
"#;

const BOTTLE_APP: &str = r#"
import os
import bottle
app = bottle.Bottle()

@app.route('/hello/<name>')
def hello(name):
    return 'Hello, %s! q=%s' % (name, bottle.request.query.get('q'))

@app.post('/form')
def form():
    return 'x=%s y=%s' % (bottle.request.forms.get('x'), bottle.request.forms.get('y'))

@app.route('/static/<name>')
def static(name):
    return bottle.static_file(name, root=os.path.dirname(__file__))

application = app
"#;

const FALCON_APP: &str = r#"
import falcon

class Things:
    def on_get(self, req, resp, name):
        resp.media = {'name': name, 'q': req.get_param('q')}

    def on_post(self, req, resp, name):
        resp.status = falcon.HTTP_201
        resp.media = {'name': name, 'got': req.get_media()}

app = falcon.App()
app.add_route('/things/{name}', Things())
"#;

/// 200 kB that differ everywhere, for the uploads and the ranges.
fn data() -> Vec<u8> {
    (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn location(path: &str, app: &str) -> String {
    format!(
        "<Location {path}>\n    SetHandler mod_python\n    PythonHandler mod_python.wsgi\n    \
         PythonOption mod_python.wsgi.application {app}\n</Location>\n"
    )
}

fn server(site: &Path, mpm: Mpm) -> Httpd {
    let data = data();
    let mut config = format!(
        "PythonPath \"['{}'] + sys.path + ['@ROOT@/apps']\"\n",
        site.display()
    );
    config += &location("/django", "djsite.wsgi");
    config += &location("/flask", "flaskapp::app");
    config += &location("/bottle", "bottleapp");
    config += &location("/falcon", "falconapp::app");
    let httpd = Httpd::builder()
        .mpm(mpm)
        .module("python_module", harness::cdylib("mod_python"))
        .file("apps/djsite/__init__.py", "")
        .file("apps/djsite/settings.py", DJANGO_SETTINGS)
        .file("apps/djsite/urls.py", DJANGO_URLS)
        .file("apps/djsite/wsgi.py", DJANGO_WSGI)
        .file("apps/flaskapp.py", FLASK_APP)
        .file("apps/bottleapp.py", BOTTLE_APP)
        .file("apps/falconapp.py", FALCON_APP)
        .file("apps/data.bin", &data)
        .config(&config)
        .start();
    // The database, made before the first request; the children (www-data when the tests
    // run as root) write to it at login.
    let apps = httpd.root().join("apps");
    std::fs::create_dir_all(apps.join("db")).unwrap();
    let python = site.ancestors().nth(3).unwrap().join("bin/python");
    let (ok, out) = support::run(
        Command::new(python)
            .args(["-c", DJANGO_SETUP])
            .env("PYTHONPATH", &apps)
            .env("DJANGO_SETTINGS_MODULE", "djsite.settings"),
    );
    assert!(ok, "django setup: {out}");
    open_to_children(&apps.join("db"));
    httpd
}

fn open_to_children(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o666)).unwrap();
    }
}

const MPMS: [Mpm; 2] = [Mpm::Event, Mpm::Prefork];

/// Runs `test` on a server of each MPM, or says why it cannot.
fn with_servers(test: impl Fn(&Httpd, Mpm)) {
    let site = match site_packages() {
        Ok(site) => site,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    for mpm in MPMS {
        let httpd = server(&site, mpm);
        test(&httpd, mpm);
    }
}

/// The `name=value` of each Set-Cookie.
fn cookies(r: &harness::Response) -> Vec<String> {
    r.headers_all("Set-Cookie")
        .iter()
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .collect()
}

fn cookie_value(r: &harness::Response, name: &str) -> String {
    cookies(r)
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} cookie: {:?}", r.headers))
}

#[test]
fn django_admin_login_with_csrf() {
    with_servers(|httpd, mpm| {
        let r = httpd.get("/django/admin/login/?next=/django/admin/");
        assert_eq!(
            r.status,
            200,
            "{mpm:?}: {}\n{}",
            r.text(),
            httpd.error_log()
        );
        let csrf = cookie_value(&r, "csrftoken");
        let page = r.text();
        let token = page
            .split("name=\"csrfmiddlewaretoken\" value=\"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .unwrap_or_else(|| panic!("{mpm:?}: no CSRF token in {page}"))
            .to_string();
        let form = format!(
            "csrfmiddlewaretoken={token}&username=admin&password=a-Pass-1234&next=%2Fdjango%2Fadmin%2F"
        );
        let cookie = format!("csrftoken={csrf}");
        let post = |cookie: &str, form: &str| {
            httpd.request(
                "POST",
                "/django/admin/login/?next=/django/admin/",
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Cookie", cookie),
                ],
                form.as_bytes(),
            )
        };
        // Without the cookie, CSRF protection refuses the login.
        assert_eq!(post("", &form).status, 403, "{mpm:?}");
        let r = post(&cookie, &form);
        assert_eq!(
            (r.status, r.header("Location")),
            (302, Some("/django/admin/")),
            "{mpm:?}: {}\n{}",
            r.text(),
            httpd.error_log()
        );
        let session = cookie_value(&r, "sessionid");
        let r = httpd.request(
            "GET",
            "/django/admin/",
            &[("Cookie", &format!("{cookie}; sessionid={session}"))],
            b"",
        );
        assert_eq!(r.status, 200, "{mpm:?}");
        assert!(
            r.text().contains("Site administration"),
            "{mpm:?}: {}",
            r.text()
        );
        // A wrong password stays on the login page.
        let wrong = form.replace("a-Pass-1234", "wrong");
        let r = post(&cookie, &wrong);
        assert_eq!(r.status, 200, "{mpm:?}");
        assert!(
            r.text().contains("Please enter the correct username"),
            "{mpm:?}"
        );
    });
}

/// `body` in chunks of `size`.
fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in body.chunks(size) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn sha256_hex(data: &[u8]) -> String {
    let (ok, out) = {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let file = dir.join(format!("apps-sha-{}", std::process::id()));
        std::fs::write(&file, data).unwrap();
        let r = support::run(Command::new("sha256sum").arg(&file));
        let _ = std::fs::remove_file(file);
        r
    };
    assert!(ok, "{out}");
    out.split_whitespace().next().unwrap().to_string()
}

#[test]
fn flask_chunked_upload_and_ranges() {
    let data = data();
    let sha = sha256_hex(&data);
    with_servers(|httpd, mpm| {
        let r = httpd.get("/flask/hello/Ada");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "Hello, Ada!"),
            "{mpm:?}"
        );
        // A chunked upload has no Content-Length: werkzeug reads it because of
        // wsgi.input_terminated.
        let r = httpd.request(
            "POST",
            "/flask/upload",
            &[
                ("Transfer-Encoding", "chunked"),
                ("Content-Type", "application/octet-stream"),
            ],
            &chunked(&data, 7000),
        );
        assert_eq!(
            r.text(),
            format!("{{\"content_length\":null,\"length\":200000,\"sha256\":\"{sha}\"}}\n"),
            "{mpm:?}: {}",
            httpd.error_log()
        );
        // And with a Content-Length.
        let r = httpd.request("POST", "/flask/upload", &[], &data);
        assert!(
            r.text().contains("\"length\":200000"),
            "{mpm:?}: {}",
            r.text()
        );
        // The whole file, then a range of it.
        let r = httpd.get("/flask/file");
        assert_eq!((r.status, r.body.len()), (200, data.len()), "{mpm:?}");
        assert_eq!(r.body, data, "{mpm:?}");
        assert_eq!(r.header("Accept-Ranges"), Some("bytes"), "{mpm:?}");
        let r = httpd.request("GET", "/flask/file", &[("Range", "bytes=1000-1999")], b"");
        assert_eq!(r.status, 206, "{mpm:?}");
        assert_eq!(
            r.header("Content-Range"),
            Some("bytes 1000-1999/200000"),
            "{mpm:?}"
        );
        assert_eq!(r.body, &data[1000..2000], "{mpm:?}");
        let r = httpd.request("GET", "/flask/file", &[("Range", "bytes=500000-")], b"");
        assert_eq!(r.status, 416, "{mpm:?}");
    });
}

#[test]
fn bottle_routes_forms_and_a_static_file_with_a_range() {
    let data = data();
    with_servers(|httpd, mpm| {
        let r = httpd.get("/bottle/hello/Grace?q=1");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "Hello, Grace! q=1"),
            "{mpm:?}: {}",
            httpd.error_log()
        );
        let r = httpd.request(
            "POST",
            "/bottle/form",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"x=1&y=two",
        );
        assert_eq!(r.text(), "x=1 y=two", "{mpm:?}");
        let r = httpd.request(
            "GET",
            "/bottle/static/data.bin",
            &[("Range", "bytes=-100")],
            b"",
        );
        assert_eq!(r.status, 206, "{mpm:?}");
        assert_eq!(r.body, &data[data.len() - 100..], "{mpm:?}");
        assert_eq!(httpd.get("/bottle/nothing").status, 404, "{mpm:?}");
    });
}

#[test]
fn falcon_resources_and_media() {
    with_servers(|httpd, mpm| {
        let r = httpd.get("/falcon/things/pen?q=blue");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "{\"name\": \"pen\", \"q\": \"blue\"}"),
            "{mpm:?}: {}",
            httpd.error_log()
        );
        assert_eq!(
            r.header("Content-Type"),
            Some("application/json"),
            "{mpm:?}"
        );
        let r = httpd.request(
            "POST",
            "/falcon/things/cup",
            &[("Content-Type", "application/json")],
            b"{\"size\": 3}",
        );
        assert_eq!(
            (r.status, r.text().as_str()),
            (201, "{\"name\": \"cup\", \"got\": {\"size\": 3}}"),
            "{mpm:?}"
        );
        assert_eq!(httpd.get("/falcon/none").status, 404, "{mpm:?}");
    });
}

/// The files `django-admin startproject name` makes, as (path under `sites/`, contents).
fn stock_project(site: &Path, name: &str) -> Vec<(String, Vec<u8>)> {
    let admin = site.ancestors().nth(3).unwrap().join("bin/django-admin");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("apps-projects-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, out) = run(Command::new(admin).arg("startproject").arg(name).arg(&dir));
    assert!(ok, "django-admin startproject {name}: {out}");
    let mut files = Vec::new();
    let mut todo = vec![dir.clone()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(&dir).unwrap().display().to_string();
                files.push((format!("sites/{name}/{rel}"), std::fs::read(&p).unwrap()));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    files
}

#[test]
fn two_stock_django_projects_in_two_interpreters_of_one_process() {
    // Both wsgi.py files do os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...): each
    // interpreter must start from httpd's environment, not from what the other one set.
    let site = match site_packages() {
        Ok(site) => site,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let projects = ["siteone", "sitetwo"];
    let files: Vec<_> = projects
        .iter()
        .flat_map(|p| stock_project(&site, p))
        .collect();
    for mpm in MPMS {
        let mut builder = Httpd::builder()
            .mpm(mpm)
            .single_child()
            .module("python_module", harness::cdylib("mod_python"));
        for (path, contents) in &files {
            builder = builder.file(path, contents);
        }
        for p in projects {
            builder = builder.config(&format!(
                "<Location /{p}>\n    SetHandler mod_python\n    PythonInterpreter {p}\n    \
                 PythonPath \"['@ROOT@/sites/{p}', '{}'] + sys.path\"\n    \
                 PythonHandler mod_python.wsgi\n    \
                 PythonOption mod_python.wsgi.application {p}.wsgi\n</Location>\n",
                site.display()
            ));
        }
        let httpd = builder.start();
        for _ in 0..2 {
            for p in projects {
                // The stock project's only URL is admin/: elsewhere, with its DEBUG = True,
                // Django's 404 page names the URLconf of the settings it runs with.
                let r = httpd.get(&format!("/{p}/nothing-here"));
                assert_eq!(r.status, 404, "{mpm:?} {p}: {}", httpd.error_log());
                let text = r.text();
                assert!(
                    text.contains(&format!(
                        "Using the URLconf defined in <code>{p}.urls</code>"
                    )),
                    "{mpm:?} {p}: {text}"
                );
            }
        }
    }
}
