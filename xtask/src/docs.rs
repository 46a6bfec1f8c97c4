//! `cargo xtask docs`: the API documentation with rustdoc's warnings as errors, and the guide
//! (docs/, mdBook) built into target/book with its internal links checked.

use crate::{cargo, run, workspace};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The mdBook release the guide is built with, installed by `cargo install --locked` when
/// `mdbook` is missing.
const MDBOOK_VERSION: &str = "0.4.52";

pub fn run_docs(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("docs: unknown argument {a}"));
    }
    run(
        "rustdoc",
        cargo()
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    let src = workspace().join("docs/src");
    let problems = check_links(&src)?;
    if !problems.is_empty() {
        return Err(format!(
            "{} broken link(s) in the guide:\n  {}",
            problems.len(),
            problems.join("\n  ")
        ));
    }
    eprintln!("xtask: guide links: all internal links resolve");
    let mdbook = mdbook()?;
    let dest = workspace().join("target/book");
    run(
        "mdbook",
        Command::new(mdbook)
            .arg("build")
            .arg(workspace().join("docs"))
            .arg("--dest-dir")
            .arg(&dest),
    )?;
    println!("the guide is in {}", dest.join("index.html").display());
    Ok(())
}

/// `mdbook` on PATH or in cargo's bin directory, installed there if it is in neither.
fn mdbook() -> Result<PathBuf, String> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|d| d.join("bin/mdbook"));
    let found = |p: &Path| Command::new(p).arg("--version").output().is_ok();
    if found(Path::new("mdbook")) {
        return Ok(PathBuf::from("mdbook"));
    }
    if let Some(p) = cargo_bin.as_ref().filter(|p| found(p)) {
        return Ok(p.clone());
    }
    run(
        "install mdbook",
        cargo().args(["install", "--locked", "mdbook", "--version", MDBOOK_VERSION]),
    )?;
    cargo_bin
        .filter(|p| found(p))
        .ok_or_else(|| "mdbook was installed but is not in $CARGO_HOME/bin".to_string())
}

/// The text of a chapter with code left out: fenced blocks and inline code spans hold
/// examples, not links.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if fenced {
            out.push('\n');
            continue;
        }
        let mut in_code = false;
        for ch in line.chars() {
            if ch == '`' {
                in_code = !in_code;
            } else if !in_code {
                out.push(ch);
            }
        }
        out.push('\n');
    }
    out
}

/// The targets of a chapter's links: inline `[text](target)` and reference
/// `[label]: target` definitions.
fn link_targets(text: &str) -> Vec<String> {
    let text = prose(text);
    let mut found = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let target = rest[..end].split_whitespace().next().unwrap_or_default();
        found.push(target.trim_matches(|c| c == '<' || c == '>').to_string());
        rest = &rest[end..];
    }
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with('[')
            && let Some(i) = line.find("]: ")
            && let Some(target) = line[i + 3..].split_whitespace().next()
        {
            found.push(target.to_string());
        }
    }
    found
}

/// The anchor mdBook gives a heading: lower case, spaces as `-`, other punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

fn anchors(text: &str) -> HashSet<String> {
    let mut fenced = false;
    let mut set = HashSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            set.insert(anchor(line.trim_start_matches('#').trim()));
        }
    }
    set
}

fn is_external(target: &str) -> bool {
    ["http://", "https://", "mailto:", "ftp://"]
        .iter()
        .any(|p| target.starts_with(p))
}

/// Every internal link of the guide's chapters that does not lead to a chapter of the book
/// (listed in SUMMARY.md), a file under docs/src, or a heading of its target.
pub fn check_links(src: &Path) -> Result<Vec<String>, String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let summary = read(&src.join("SUMMARY.md"))?;
    let mut chapters: HashSet<PathBuf> = HashSet::new();
    let mut problems = Vec::new();
    for target in link_targets(&summary) {
        let path = src.join(&target);
        if !path.is_file() {
            problems.push(format!("SUMMARY.md: {target} does not exist"));
        }
        chapters.insert(normalize(&path));
    }
    let mut files: Vec<PathBuf> = chapters.iter().filter(|p| p.is_file()).cloned().collect();
    files.sort();
    for file in files {
        let text = read(&file)?;
        let name = file
            .strip_prefix(src)
            .unwrap_or(&file)
            .display()
            .to_string();
        for target in link_targets(&text) {
            if target.is_empty() || is_external(&target) {
                continue;
            }
            let (path_part, fragment) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (target.as_str(), None),
            };
            let dest = if path_part.is_empty() {
                file.clone()
            } else {
                normalize(&file.parent().unwrap_or(src).join(path_part))
            };
            if !dest.starts_with(normalize(src)) {
                problems.push(format!(
                    "{name}: {target} is outside docs/src, so not in the book"
                ));
            } else if !dest.exists() {
                problems.push(format!("{name}: {target} does not exist"));
            } else if dest.extension().is_some_and(|e| e == "md") && !chapters.contains(&dest) {
                problems.push(format!("{name}: {target} is not a chapter in SUMMARY.md"));
            } else if let Some(fragment) = fragment {
                let heads = anchors(&read(&dest)?);
                if dest.extension().is_some_and(|e| e == "md") && !heads.contains(fragment) {
                    problems.push(format!("{name}: no heading #{fragment} in {path_part}"));
                }
            }
        }
    }
    Ok(problems)
}

/// `a/./b/../c` as `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_links_outside_code() {
        let text = "See [the guide](a.md#intro) and [b][x].\n\n[x]: b.md\n\
                    ```\n[not](code.md)\n```\nand `[nor](span.md)`.\n";
        assert_eq!(link_targets(text), ["a.md#intro", "b.md"]);
    }

    #[test]
    fn anchors_as_mdbook_makes_them() {
        assert_eq!(
            anchor("Getting started: a Rust module"),
            "getting-started-a-rust-module"
        );
        assert_eq!(anchor("`req.write` and more"), "reqwrite-and-more");
    }

    #[test]
    fn reports_each_kind_of_broken_link() {
        let src = std::env::temp_dir().join(format!("xtask-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&src);
        std::fs::create_dir_all(&src).unwrap();
        let write = |f: &str, t: &str| std::fs::write(src.join(f), t).unwrap();
        write(
            "SUMMARY.md",
            "# Summary\n\n- [A](a.md)\n- [Gone](gone.md)\n",
        );
        write(
            "a.md",
            "# Top\n\n[ok](#top) [ok](a.md#top) [b](b.md) [c](c.md) [h](a.md#nowhere) [out](../x.md)\n",
        );
        write("b.md", "# B\n");
        let mut problems = check_links(&src).unwrap();
        problems.sort();
        std::fs::remove_dir_all(&src).unwrap();
        assert_eq!(
            problems,
            [
                "SUMMARY.md: gone.md does not exist",
                "a.md: ../x.md is outside docs/src, so not in the book",
                "a.md: b.md is not a chapter in SUMMARY.md",
                "a.md: c.md does not exist",
                "a.md: no heading #nowhere in a.md",
            ]
        );
    }

    /// The guide as it is in the repository: every internal link resolves.
    #[test]
    fn the_guide_has_no_broken_links() {
        let problems = check_links(&workspace().join("docs/src")).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
