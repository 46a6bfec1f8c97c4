//! `mod_rsinclude`: new server-side include elements for mod_include's `INCLUDES` filter.
//!
//! - `<!--#rsgreet name="World" -->` becomes `Hello, World!`. The name's HTML entities are
//!   decoded and its variables expanded (`name="${REMOTE_ADDR}"`), as mod_include does for its
//!   own elements; the greeting is written HTML-escaped. Without `name`, the element is logged
//!   and shown as mod_include's error text.
//! - `<!--#rsflush -->` writes `[flushed]` and sends the page so far to the client at once.
//! - `<!--#rsrun -->` stands for an element that runs code: it writes `ran`, unless
//!   `Options IncludesNOEXEC` forbids that here (then it is logged and shown as an error).
//! - `<!--#rsfail how="panic" -->`, `how="error"`, `how="abort"`: what becomes of a handler
//!   that panics (logged, shown as an error, the page goes on), one that reports an error
//!   (the same, without the panic), and one that returns `Err` (the response is cut short).
//!
//! ```apache
//! LoadModule include_module modules/mod_include.so
//! LoadModule rsinclude_module modules/mod_rsinclude.so
//! <Directory /srv/pages>
//!     Options +Includes
//!     AddType text/html .shtml
//!     AddOutputFilter INCLUDES .shtml
//! </Directory>
//! ```
#![forbid(unsafe_code)]

use apache::apr::AprError;
use apache::core::logging::{Level, log};
use apache::filter::include::{Element, ElementResult};

apache::module!(rsinclude_module, file: "mod_rsinclude.c");
apache::hook!(register, |reg| {
    reg.include_element(c"rsgreet", greet);
    reg.include_element(c"rsflush", flush);
    reg.include_element(c"rsrun", run);
    reg.include_element(c"rsfail", fail);
});

/// The page's file, for log messages.
fn page(e: &mut Element) -> String {
    e.request().filename().unwrap_or("?").to_string()
}

fn greet(e: &mut Element) -> ElementResult {
    let name = e
        .attributes()
        .find(|(attribute, _)| attribute == "name")
        .map(|(_, value)| value);
    match name {
        Some(name) => {
            let name = e.expand_variables(&name);
            e.write(format!("Hello, {}!", escape(&name)).as_bytes());
        }
        None => {
            let page = page(e);
            log(
                Level::Error,
                &format!("rsgreet: no 'name' attribute in {page}"),
            );
            e.error();
        }
    }
    Ok(())
}

fn flush(e: &mut Element) -> ElementResult {
    e.write(b"[flushed]");
    e.flush();
    Ok(())
}

fn run(e: &mut Element) -> ElementResult {
    if !e.exec_allowed() {
        let page = page(e);
        log(
            Level::Error,
            &format!("rsrun: running code is not allowed in {page}"),
        );
        e.error();
        return Ok(());
    }
    e.write(b"ran");
    Ok(())
}

fn fail(e: &mut Element) -> ElementResult {
    let how = e
        .attributes()
        .find(|(attribute, _)| attribute == "how")
        .map(|(_, value)| value)
        .unwrap_or_default();
    match how.as_str() {
        "panic" => panic!("rsfail asked to panic"),
        "abort" => Err(AprError::GENERAL),
        _ => {
            log(Level::Error, "rsfail: failing as asked");
            e.error();
            Ok(())
        }
    }
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}
