//! The demo's front page: `/` lists what `cargo xtask demo` serves, with links, instead of the
//! 404 a newcomer would otherwise open first.

/// Adds `htdocs/index.html` listing `urls` (module, URL) and the module that serves it.
pub fn add(builder: harness::Builder, urls: &[(String, String)]) -> harness::Builder {
    let mut items = String::new();
    for (module, line) in urls {
        // `# URL /private/ (user alice, password secret)`: the URL, then a note.
        let (url, note) = line.split_once(' ').unwrap_or((line, ""));
        let (url, note) = (html_escape(url), html_escape(note.trim()));
        items += &format!("<li><code>{module}</code>: <a href=\"{url}\">{url}</a> {note}</li>\n");
    }
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>apache-rs demo</title></head>\n\
         <body><h1>apache-rs demo</h1>\n<p>Modules written in Rust, and mod_python on them, \
         in this httpd:</p>\n<ul>\n{items}</ul>\n</body></html>\n"
    );
    builder
        .system_module("dir_module", "mod_dir.so")
        .config("DirectoryIndex index.html")
        .file("htdocs/index.html", page)
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
