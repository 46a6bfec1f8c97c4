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
