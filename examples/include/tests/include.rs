//! mod_rsinclude on a real httpd with mod_include: elements registered from Rust, their
//! attributes, output, errors and panics, `#if`, `IncludesNOEXEC` and flushes.

use harness::{Httpd, Mpm};

const PAGE: &str = "\
<p><!--#rsgreet name=\"World\" --></p>
<p><!--#rsgreet name=\"from ${REMOTE_ADDR}\" --></p>
<p><!--#rsgreet name=\"&lt;b&gt; &amp; co\" --></p>
<!--#if expr=\"1 = 2\" --><!--#rsgreet --><!--#endif -->
<p>end</p>
";

fn server(mpm: Mpm) -> Httpd {
    Httpd::builder()
        .mpm(mpm)
        .system_module("include_module", "mod_include.so")
        .module("rsinclude_module", harness::cdylib("mod_rsinclude"))
        .file("htdocs/page.shtml", PAGE)
        .file(
            "htdocs/errors.shtml",
            "a <!--#rsgreet --> b <!--#config errmsg=\"[own text]\" --><!--#rsgreet --> c\n",
        )
        .file("htdocs/run.shtml", "<!--#rsrun --> after\n")
        .file("htdocs/noexec/run.shtml", "<!--#rsrun --> after\n")
        .file("htdocs/panic.shtml", "before <!--#rsfail how=\"panic\" --> after\n")
        .file("htdocs/abort.shtml", "before <!--#rsfail how=\"abort\" --> after\n")
        .file("htdocs/flush.shtml", "before <!--#rsflush --> after\n")
        .config(
            "<Directory \"@ROOT@/htdocs\">\n    Options +Includes\n    AddType text/html .shtml\n    \
             AddOutputFilter INCLUDES .shtml\n</Directory>\n\
             <Directory \"@ROOT@/htdocs/noexec\">\n    Options -Includes +IncludesNOEXEC\n</Directory>\n",
        )
        .start()
}

const ERROR_TEXT: &str = "[an error occurred while processing this directive]";

#[test]
fn elements_read_attributes_and_write_in_place() {
    for mpm in Mpm::ALL {
        let httpd = server(mpm);
        let r = httpd.get("/page.shtml");
        assert_eq!(r.status, 200, "{mpm:?}");
        assert_eq!(
            r.text(),
            "<p>Hello, World!</p>\n<p>Hello, from 127.0.0.1!</p>\n\
             <p>Hello, &lt;b&gt; &amp; co!</p>\n\n<p>end</p>\n",
            "{mpm:?}"
        );
        // The element inside the false #if was not run: nothing was logged for it.
        assert!(!httpd.error_log().contains("rsgreet"), "{mpm:?}");
    }
}

#[test]
fn a_mistake_is_logged_and_shown_as_mod_include_error_text() {
    let httpd = server(Mpm::Event);
    let r = httpd.get("/errors.shtml");
    assert_eq!(r.text(), format!("a {ERROR_TEXT} b [own text] c\n"));
    let log = httpd.error_log();
    let line = log
        .lines()
        .find(|l| l.contains("rsgreet: no 'name' attribute in "))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(line.contains("[rsinclude:error]"), "{line}");
    assert!(line.contains("[client 127.0.0.1:"), "{line}");
    assert!(line.ends_with("/htdocs/errors.shtml"), "{line}");
}

#[test]
fn includes_noexec_is_told_to_the_element() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        assert_eq!(httpd.get("/run.shtml").text(), "ran after\n", "{mpm:?}");
        assert_eq!(
            httpd.get("/noexec/run.shtml").text(),
            format!("{ERROR_TEXT} after\n"),
            "{mpm:?}"
        );
        assert!(
            httpd
                .error_log()
                .contains("rsrun: running code is not allowed in "),
            "{mpm:?}"
        );
    }
}

#[test]
fn a_panic_is_logged_and_the_page_goes_on() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        let r = httpd.get("/panic.shtml");
        assert_eq!(
            (r.status, r.text()),
            (200, format!("before {ERROR_TEXT} after\n")),
            "{mpm:?}"
        );
        let log = httpd.error_log();
        assert!(
            log.contains("panicked at") && log.contains("rsfail asked to panic"),
            "{mpm:?}: {log}"
        );
        // The child survived it.
        assert_eq!(httpd.get("/run.shtml").text(), "ran after\n", "{mpm:?}");
    }
}

#[test]
fn an_err_cuts_the_response_short() {
    let httpd = server(Mpm::Event);
    let raw = httpd.raw(b"GET /abort.shtml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let text = String::from_utf8_lossy(&raw);
    // The page stops at the element: no rest, and no last chunk to say it is complete.
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        !text.contains("after") && !text.ends_with("0\r\n\r\n"),
        "{text}"
    );
    assert_eq!(httpd.get("/run.shtml").text(), "ran after\n");
}

/// The chunks of a chunked HTTP/1.1 response, in order.
fn chunks(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, mut rest) = text.split_once("\r\n\r\n").expect("a complete response");
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    let mut out = Vec::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push(after[..size].to_string());
        rest = &after[size + 2..];
    }
    out
}

#[test]
fn a_flush_sends_the_page_so_far_at_once() {
    let httpd = server(Mpm::Event);
    let get = |path: &str| {
        httpd.raw(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
    };
    let flushed = chunks(&get("/flush.shtml"));
    assert_eq!(flushed.concat(), "before [flushed] after\n", "{flushed:?}");
    // What was written goes out as it is, the text after the element in a piece of its own;
    // without the flush, the element's output and the text after it go out together.
    assert!(
        flushed.iter().any(|c| c.ends_with("[flushed]")),
        "{flushed:?}"
    );
    assert_eq!(chunks(&get("/run.shtml")), vec!["ran after\n".to_string()]);
}

#[test]
fn elements_are_registered_again_at_each_restart() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let httpd = server(mpm);
        httpd.graceful_restart();
        assert_eq!(
            httpd.get("/run.shtml").text(),
            "ran after\n",
            "{mpm:?} after restart"
        );
    }
}

#[test]
fn without_mod_include_the_module_loads_and_nothing_is_parsed() {
    let httpd = Httpd::builder()
        .module("rsinclude_module", harness::cdylib("mod_rsinclude"))
        .file("htdocs/run.shtml", "<!--#rsrun -->\n")
        .start();
    assert_eq!(httpd.get("/run.shtml").text(), "<!--#rsrun -->\n");
}

#[test]
fn the_demo_configuration_serves_its_page() {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf();
    let demo = std::fs::read_to_string(workspace.join("examples/include/demo.conf"))
        .unwrap()
        .replace("@WORKSPACE@", workspace.to_str().unwrap())
        .replace("@MODULES@", harness::system_modules_dir().to_str().unwrap());
    let httpd = Httpd::builder()
        .module("rsinclude_module", harness::cdylib("mod_rsinclude"))
        .config(&demo)
        .start();
    let page = httpd.get("/rsinclude/page.shtml").text();
    assert!(page.contains("<p>Hello, World!</p>"), "{page}");
    assert!(
        page.contains("<p>Hello, visitor from 127.0.0.1!</p>"),
        "{page}"
    );
    assert!(
        page.contains("<p>Hello, &lt;b&gt; stays text!</p>"),
        "{page}"
    );
    assert!(page.contains("Shown: the condition holds."), "{page}");
    assert!(!page.contains("never called"), "{page}");
    assert!(
        page.contains(&format!("attribute: {ERROR_TEXT}</p>")),
        "{page}"
    );
}
