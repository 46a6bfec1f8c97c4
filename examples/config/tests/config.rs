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
<Location /c/three>
    ConfigThree one "two too" three
    ConfigTwoOrThree x y
    ConfigDirOnly here
</Location>
<Location /c/three/more>
    ConfigTwoOrThree p q r
</Location>
<Location /c/merge-panic>
    ConfigGreeting panic-in-merge
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

        // TAKE3 exactly three words, TAKE23 two or three; a section-only directive.
        let three = httpd.get("/c/three").text();
        assert_eq!(
            field(&three, "three"),
            "Some((\"one\", \"two too\", \"three\"))",
            "{mpm:?}"
        );
        assert_eq!(field(&three, "two_or_three"), "Some((\"x\", \"y\", None))");
        assert_eq!(field(&three, "dir_only"), "here");
        let more = httpd.get("/c/three/more").text();
        assert_eq!(
            field(&more, "two_or_three"),
            "Some((\"p\", \"q\", Some(\"r\")))"
        );
        assert_eq!(
            field(&more, "three"),
            "Some((\"one\", \"two too\", \"three\"))"
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
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = Httpd::builder()
            .mpm(mpm)
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
        assert_eq!(field(&vhost, "server_tag"), "vhost", "{mpm:?}");
        // A virtual host that sets nothing inherits the main server's values.
        assert_eq!(field(&vhost, "limit"), "7", "{mpm:?}");
        let main = httpd.get("/c").text();
        assert_eq!(field(&main, "server_tag"), "main-server", "{mpm:?}");
        // Iterating from the main server visits every virtual host (httpd keeps the last
        // defined first), each with its own (merged) server configuration.
        assert_eq!(
            field(&main, "servers"),
            "127.0.0.1[main-server],127.0.0.1(vhost)[main-server],other.test(vhost)[vhost]",
            "{mpm:?}"
        );
    }
}

/// One directive per override class: each is read from `.htaccess` where `AllowOverride`
/// names its class, and refused (a 500 naming it) where it names another.
#[test]
fn each_override_class_is_honoured_in_htaccess() {
    let classes = [
        ("Limit", "ConfigForLimit"),
        ("Options", "ConfigForOptions"),
        ("AuthConfig", "ConfigForAuth"),
        ("Indexes", "ConfigForIndexes"),
        ("FileInfo", "ConfigGreeting"),
    ];
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let mut b = Httpd::builder()
            .mpm(mpm)
            .module("config_module", harness::cdylib("mod_config"))
            .config("<Location /dirs>\n    SetHandler config-dump\n</Location>\n");
        for (i, (class, directive)) in classes.iter().enumerate() {
            // The same .htaccess, allowed by its class and by the next class only.
            let other = classes[(i + 1) % classes.len()].0;
            for (dir, allow) in [("yes", *class), ("no", other)] {
                b = b
                    .file(
                        &format!("htdocs/dirs/{class}-{dir}/.htaccess"),
                        format!("{directive} from-{class}\n"),
                    )
                    .file(&format!("htdocs/dirs/{class}-{dir}/x.txt"), "x")
                    .config(&format!(
                        "<Directory @ROOT@/htdocs/dirs/{class}-{dir}>\n    AllowOverride {allow}\n</Directory>\n"
                    ));
            }
        }
        let httpd = b.start();
        for (class, directive) in classes {
            let yes = httpd.get(&format!("/dirs/{class}-yes/x.txt"));
            assert_eq!(yes.status, 200, "{mpm:?} {class}");
            let text = yes.text();
            let seen = if directive == "ConfigGreeting" {
                field(&text, "greeting")
            } else {
                field(&text, "overrides")
            };
            assert!(seen.ends_with(&format!("from-{class}")), "{mpm:?}: {text}");
            let no = httpd.get(&format!("/dirs/{class}-no/x.txt"));
            assert_eq!(no.status, 500, "{mpm:?} {class}");
            assert!(
                httpd
                    .error_log()
                    .contains(&format!("{directive} not allowed here")),
                "{mpm:?} {class}: {}",
                httpd.error_log()
            );
        }
    }
}

#[test]
fn htaccess_overrides_follow_allowoverride() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = Httpd::builder()
            .mpm(mpm)
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
        assert_eq!(ok.status, 200, "{mpm:?}");
        assert_eq!(field(&ok.text(), "greeting"), "from-htaccess");
        // ConfigPair is not allowed in .htaccess at all: a 500 and the reason in the log.
        assert_eq!(httpd.get("/bad/index.txt").status, 500, "{mpm:?}");
        assert!(
            httpd.error_log().contains("ConfigPair not allowed here"),
            "{}",
            httpd.error_log()
        );
    }
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
    assert!(
        start("ConfigOneOrThree a b").contains("ConfigOneOrThree takes one or three arguments")
    );
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
    assert!(start("ConfigThree a b").contains("ConfigThree takes three arguments"));
    assert!(start("ConfigTwoOrThree a").contains("ConfigTwoOrThree takes two or three arguments"));
    // ACCESS_CONF only: not at server level.
    let dir_only = start("ConfigDirOnly x");
    assert!(
        dir_only.contains("ConfigDirOnly not allowed here"),
        "{dir_only}"
    );
}

/// `apachectl -t` (httpd -t) reports a bad argument with the file and line it is on.
#[test]
fn config_test_names_the_file_and_line_of_a_bad_argument() {
    let check = |extra: &str| {
        Httpd::builder()
            .module("config_module", harness::cdylib("mod_config"))
            .file("conf/extra.conf", extra)
            .config("Include @ROOT@/conf/extra.conf")
            .config_test()
    };
    let ok = check("ConfigLimit 5\n").expect("a good configuration passes");
    assert!(ok.contains("Syntax OK"), "{ok}");
    let err = check("# a comment\n\nConfigLimit 1000\n").expect_err("1000 is refused");
    assert!(
        err.contains("Syntax error on line 3 of ") && err.contains("/conf/extra.conf:"),
        "{err}"
    );
    assert!(
        err.contains("ConfigLimit: \"1000\" is not a number from 1 to 100"),
        "{err}"
    );
}

/// A panic in a directive's function is a configuration error with the panic's message and
/// location; a panic in a merge (at request time, where no status can be returned) is logged,
/// the section's configuration is left out, and the server goes on.
#[test]
fn panics_while_configuring_are_errors_not_crashes() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let err = Httpd::builder()
            .mpm(mpm)
            .module("config_module", harness::cdylib("mod_config"))
            .config("\nConfigPanic")
            .try_start()
            .err()
            .expect("a panicking directive stops httpd");
        assert!(err.contains("Syntax error on line"), "{mpm:?}: {err}");
        assert!(
            err.contains("ConfigPanic: panicked at examples/config/src/lib.rs:")
                && err.contains("asked to panic while reading the configuration"),
            "{mpm:?}: {err}"
        );

        let httpd = server(mpm);
        let r = httpd.get("/c/merge-panic");
        assert_eq!(r.status, 200, "{mpm:?}");
        assert_ne!(field(&r.text(), "greeting"), "panic-in-merge", "{mpm:?}");
        let log = httpd.error_log();
        assert!(
            log.contains("panicked at examples/config/src/lib.rs:")
                && log.contains("asked to panic in merge"),
            "{mpm:?}: {log}"
        );
        assert_eq!(
            field(&httpd.get("/c").text(), "greeting"),
            "hello there",
            "{mpm:?}"
        );
    }
}

/// The module is unloaded and loaded again at each graceful restart: its directives, their
/// merges and the server configuration come back the same.
#[test]
fn directives_survive_graceful_restarts() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let before: Vec<String> = ["/c", "/c/deeper", "/c/three/more"]
            .iter()
            .map(|p| httpd.get(p).text())
            .collect();
        for round in 0..2 {
            httpd.graceful_restart();
            let after: Vec<String> = ["/c", "/c/deeper", "/c/three/more"]
                .iter()
                .map(|p| httpd.get(p).text())
                .collect();
            assert_eq!(before, after, "{mpm:?} after restart {round}");
        }
    }
}
