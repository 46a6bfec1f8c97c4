//! mod_config on a real httpd: every argument kind, per-directory merging, per-server
//! configuration of virtual hosts, .htaccess overrides, and configuration errors with file and
//! line.

use harness::{Httpd, Mpm};

const CONF: &str = r#"
ConfigServerTag main-server
ConfigLimit 7
<Location /c>
    SetHandler config-dump
    ConfigGreeting "hello there"
    ConfigAppend one two
    ConfigPair k1 v1
    ConfigOptional first
    ConfigTriple a b
    ConfigRaw   raw   words "kept as written"
</Location>
<Location /c/deeper>
    ConfigAppend three
    ConfigLoud On
    ConfigMap m x y
    ConfigOptional first second
</Location>
<Location /c/reset>
    ConfigReset
    ConfigAppend fresh
    ConfigLoud off
</Location>
<Location /c/argv>
    ConfigWords a "b c" d
    ConfigOneOrThree x y z
</Location>
"#;

fn server(mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .module("config_module", harness::cdylib("mod_config"))
        .config(CONF)
        .start()
}

fn field(body: &str, key: &str) -> String {
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .to_string()
}

#[test]
fn every_argument_kind_and_per_directory_merge() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let top = httpd.get("/c").text();
        assert_eq!(field(&top, "greeting"), "hello there", "{mpm:?}");
        assert_eq!(field(&top, "list"), "one,two");
        assert_eq!(field(&top, "loud"), "-");
        assert_eq!(field(&top, "pairs"), "k1=v1");
        assert_eq!(field(&top, "optional"), "Some((\"first\", None))");
        assert_eq!(field(&top, "triple"), "Some((\"a\", Some(\"b\"), None))");
        assert_eq!(field(&top, "raw"), "raw   words \"kept as written\"");
        assert_eq!(field(&top, "context"), "/c");

        // The deeper section adds to what /c set and overrides single values.
        let deep = httpd.get("/c/deeper").text();
        assert_eq!(field(&deep, "greeting"), "hello there");
        assert_eq!(field(&deep, "list"), "one,two,three");
        assert_eq!(field(&deep, "loud"), "true");
        assert_eq!(field(&deep, "pairs"), "k1=v1,m=x,m=y");
        assert_eq!(
            field(&deep, "optional"),
            "Some((\"first\", Some(\"second\")))"
        );
        assert_eq!(field(&deep, "context"), "/c/deeper");

        // A no-args directive resets the inherited list; FLAG accepts any case of Off.
        let reset = httpd.get("/c/reset").text();
        assert_eq!(field(&reset, "list"), "fresh");
        assert_eq!(field(&reset, "loud"), "false");

        // TAKE_ARGV gets every word (quotes group), TAKE13 one or three.
        let argv = httpd.get("/c/argv").text();
        assert_eq!(field(&argv, "list"), "one,two,argv:a+b c+d");
        assert_eq!(
            field(&argv, "triple"),
            "Some((\"x\", Some(\"y\"), Some(\"z\")))"
        );

        // Other modules' per-directory configuration.
        assert_eq!(
            field(&top, "set_handler"),
            "config-dump mime=true nosuch=false"
        );

        // Per-server configuration.
        assert_eq!(field(&top, "server_tag"), "main-server");
        assert_eq!(field(&top, "limit"), "7");
    }
}

#[test]
fn virtual_hosts_get_their_own_server_config() {
    let httpd = Httpd::builder()
        .module("config_module", harness::cdylib("mod_config"))
        .config(CONF)
        .config(
            "<VirtualHost 127.0.0.1:*>\n    ServerName other.test\n    ConfigServerTag vhost\n    \
             <Location /c>\n        SetHandler config-dump\n    </Location>\n</VirtualHost>\n\
             <VirtualHost 127.0.0.1:*>\n    ServerName 127.0.0.1\n    <Location /c>\n        SetHandler config-dump\n    </Location>\n</VirtualHost>",
        )
        .start();
    let vhost = httpd
        .request("GET", "/c", &[("Host", "other.test")], b"")
        .text();
    assert_eq!(field(&vhost, "server_tag"), "vhost");
    // A virtual host that sets nothing inherits the main server's values.
    assert_eq!(field(&vhost, "limit"), "7");
    let main = httpd.get("/c").text();
    assert_eq!(field(&main, "server_tag"), "main-server");
}

#[test]
fn htaccess_overrides_follow_allowoverride() {
    let httpd = Httpd::builder()
        .module("config_module", harness::cdylib("mod_config"))
        .file(
            "htdocs/ok/.htaccess",
            "ConfigGreeting from-htaccess\nSetHandler config-dump\n",
        )
        .file("htdocs/ok/index.txt", "x")
        .file("htdocs/bad/.htaccess", "ConfigPair k v\n")
        .file("htdocs/bad/index.txt", "x")
        .config(
            "<Directory @ROOT@/htdocs/ok>\n    AllowOverride FileInfo\n</Directory>\n\
             <Directory @ROOT@/htdocs/bad>\n    AllowOverride All\n</Directory>",
        )
        .start();
    let ok = httpd.get("/ok/index.txt");
    assert_eq!(ok.status, 200);
    assert_eq!(field(&ok.text(), "greeting"), "from-htaccess");
    // ConfigPair is not allowed in .htaccess at all: a 500 and the reason in the log.
    assert_eq!(httpd.get("/bad/index.txt").status, 500);
    assert!(
        httpd.error_log().contains("ConfigPair not allowed here"),
        "{}",
        httpd.error_log()
    );
}

#[test]
fn bad_arguments_are_config_errors_with_file_and_line() {
    let start = |extra: &str| {
        Httpd::builder()
            .module("config_module", harness::cdylib("mod_config"))
            .config(extra)
            .try_start()
            .err()
            .unwrap_or_else(|| panic!("{extra:?} must be refused"))
    };
    // Our own validation: the message, the directive, the file and the line.
    let err = start("\n\nConfigLimit 1000");
    assert!(
        err.contains("ConfigLimit: \"1000\" is not a number from 1 to 100"),
        "{err}"
    );
    assert!(err.contains("httpd.conf"), "{err}");
    assert!(err.contains("Syntax error on line"), "{err}");
    // httpd's own checks: FLAG values, argument counts, context.
    assert!(start("ConfigLoud maybe").contains("ConfigLoud must be On or Off"));
    assert!(start("ConfigPair onlyone").contains("ConfigPair takes two arguments"));
    assert!(start("ConfigOneOrThree a b").contains("ConfigOneOrThree takes one or three arguments"));
    let ctx = start("<Location /x>\nConfigServerTag nope\n</Location>");
    assert!(
        ctx.contains("ConfigServerTag not allowed in <Location> context"),
        "{ctx}"
    );
    let loc = start("<Location /x>\nConfigLimit 3\n</Location>");
    assert!(
        loc.contains("ConfigLimit not allowed in <Location> context"),
        "{loc}"
    );
}
