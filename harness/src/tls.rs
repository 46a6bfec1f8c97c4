//! What TLS tests need: a throw-away self-signed certificate, made with the `openssl` tool.

use std::process::Command;

/// Whether `tool` (e.g. `openssl`, `curl`) can be run; TLS tests skip themselves without it.
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
        || Command::new(tool).arg("version").output().is_ok()
}

/// A new RSA key and a self-signed certificate for `127.0.0.1`, valid one day, as PEM
/// `(key, certificate)`; `None` when `openssl` is not installed. Panics if openssl fails.
pub fn self_signed_cert() -> Option<(Vec<u8>, Vec<u8>)> {
    if !have("openssl") {
        return None;
    }
    let dir = std::env::temp_dir().join(format!(
        "apache-rs-cert-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .expect("openssl");
    assert!(
        made.status.success(),
        "openssl could not make a certificate: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let key = std::fs::read(dir.join("key.pem")).expect("key.pem");
    let cert = std::fs::read(dir.join("cert.pem")).expect("cert.pem");
    let _ = std::fs::remove_dir_all(&dir);
    Some((key, cert))
}

/// The certificate a TLS test serves, or `None` after saying why the test skips itself: no
/// `openssl`, or (when `curl` is its client) no `curl`.
pub fn cert_or_skip(needs_curl: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    if needs_curl && !have("curl") {
        eprintln!("skipped: curl is needed");
        return None;
    }
    let made = self_signed_cert();
    if made.is_none() {
        eprintln!("skipped: openssl is needed");
    }
    made
}

/// `builder` with mod_ssl and a `<VirtualHost>` speaking TLS with `key` and `cert` on a free
/// port of 127.0.0.1, holding `inside` too; returns the builder and the port.
pub fn vhost(
    builder: crate::Builder,
    key: &[u8],
    cert: &[u8],
    inside: &str,
) -> (crate::Builder, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let builder = builder
        .system_module("ssl_module", "mod_ssl.so")
        .file("tls/key.pem", key)
        .file("tls/cert.pem", cert)
        .config(&format!(
            "Listen 127.0.0.1:{port}\n<VirtualHost 127.0.0.1:{port}>\n{inside}    SSLEngine on\n    \
             SSLCertificateFile @ROOT@/tls/cert.pem\n    SSLCertificateKeyFile @ROOT@/tls/key.pem\n\
             </VirtualHost>\n"
        ));
    (builder, port)
}

/// The body of `https://127.0.0.1:{port}{path}` as `curl -k` fetches it, with `headers`
/// (`"Name: value"`); 20 s at most.
pub fn curl(port: u16, path: &str, headers: &[&str]) -> String {
    let mut cmd = Command::new("curl");
    cmd.args(["-sk", "--max-time", "20"]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd
        .arg(format!("https://127.0.0.1:{port}{path}"))
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
