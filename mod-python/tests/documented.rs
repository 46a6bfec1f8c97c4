//! Every directive mod_python.so registers is in the directive reference,
//! docs/src/mod-python.md, and has a row in the table of mod_python 3.5's directives of
//! docs/src/migrating.md. The list comes from the running module, through mod_info's page
//! about it, so a directive added to the code without a word in the guide fails here.

use harness::Httpd;
use std::path::Path;

/// The directives httpd knows from mod_python.so, as mod_info lists them
/// (`<dd><tt>PythonHandler - <i>Python content handlers</i></tt></dd>`).
fn registered_directives() -> Vec<String> {
    let httpd = Httpd::builder()
        .module("python_module", harness::cdylib("mod_python"))
        .system_module("info_module", "mod_info.so")
        .config("<Location /server-info>\n    SetHandler server-info\n</Location>")
        .start();
    let page = httpd.get("/server-info?mod_python.c").text();
    let start = page
        .find("Module Directives:")
        .unwrap_or_else(|| panic!("no directive list from mod_info:\n{page}"));
    let section = &page[start..];
    let section = &section[..section
        .find("Current Configuration:")
        .unwrap_or(section.len())];
    section
        .split("<tt>")
        .skip(1)
        .filter_map(|s| s.split(" - ").next())
        .map(|name| name.trim().to_string())
        .collect()
}

fn chapter(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/src")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_directive_is_in_the_directive_reference() {
    let directives = registered_directives();
    assert!(
        directives.len() >= 20 && directives.iter().any(|d| d == "PythonHandler"),
        "mod_info listed {directives:?}"
    );
    let reference = "docs/src/mod-python.md";
    let text = chapter("mod-python.md");
    // Named in a code span, alone (`PythonDebug`) or with its syntax (`PythonImport module ...`).
    let missing: Vec<&String> = directives
        .iter()
        .filter(|d| !text.contains(&format!("`{d}`")) && !text.contains(&format!("`{d} ")))
        .collect();
    assert!(
        missing.is_empty(),
        "registered by mod_python.so but not in {reference}: {missing:?}"
    );
}

/// The migration table's rows start with the directive in a code span: `| `PythonDebug On|Off` |`.
#[test]
fn every_directive_has_a_row_in_the_migration_table() {
    let directives = registered_directives();
    let text = chapter("migrating.md");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| `Python"))
        .collect();
    let missing: Vec<&String> = directives
        .iter()
        .filter(|d| {
            !rows
                .iter()
                .any(|r| r.starts_with(&format!("| `{d}`")) || r.starts_with(&format!("| `{d} ")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "registered by mod_python.so but without a row in docs/src/migrating.md: {missing:?}"
    );
}
