//! `ruff check` and `mypy` on the Python mod_python.so embeds (mod-python/python, configured
//! by its ruff.toml and mypy.ini), run by `cargo xtask test`; then mypy on the type stubs the
//! package ships (mod_python/*.pyi), on stub_check/uses_everything.py, which uses every name
//! they declare, and on the Python examples of mod-python/examples and of the guide (every
//! code block of docs/src marked `python`), as a handler's author would check them
//! (stub_check/mypy.ini).
//!
//! The tools come from PyPI, pinned, into a virtual environment cached in the target
//! directory (`venv.rs`). Only when PyPI cannot be reached is the check skipped, saying so.

use crate::venv;
use crate::workspace;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The tools and what they need, pinned so that every run checks by the same rules (the
/// test of the installed stubs, mod-python/tests/cli.rs, installs the same mypy).
const PINNED: &str = include_str!("../../mod-python/python/lint-requirements.txt");

fn pinned() -> Vec<&'static str> {
    PINNED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Runs ruff and mypy; `Ok` also when they were skipped because PyPI is unreachable.
pub fn check() -> Result<(), String> {
    let Some(bin) = venv::tools("python-lint", &pinned(), "ruff and mypy")? else {
        return Ok(());
    };
    let sources = workspace().join("mod-python/python");
    let env = venv::target_dir().join("python-lint");
    let caches = env.join("caches");
    crate::run(
        "ruff",
        Command::new(bin.join("ruff"))
            .args(["check", "--no-fix", "--cache-dir"])
            .arg(caches.join("ruff"))
            .arg(".")
            .current_dir(&sources),
    )?;
    // mypy reads mypy.ini in the directory it runs in, which names the files to check.
    crate::run(
        "mypy",
        Command::new(bin.join("mypy"))
            .arg("--cache-dir")
            .arg(caches.join("mypy"))
            .current_dir(&sources),
    )?;
    let stubs_mypy = || {
        let mut cmd = Command::new(bin.join("mypy"));
        cmd.args(["--config-file", "stub_check/mypy.ini", "--cache-dir"])
            .arg(caches.join("mypy-stubs"))
            .current_dir(&sources);
        cmd
    };
    // The files its configuration names: the stubs, uses_everything.py, the examples.
    crate::run("mypy (type stubs)", &mut stubs_mypy())?;
    let snippets = write_guide_examples(&workspace().join("docs/src"), &env.join("guide"))?;
    crate::run("mypy (the guide's Python)", stubs_mypy().args(&snippets))
}

/// Writes each `python` code block of the guide's chapters into `dest` as a file of its own, named
/// after its chapter and line (`mp_util_md_12.py`), for mypy; returns their paths.
fn write_guide_examples(src: &Path, dest: &Path) -> Result<Vec<PathBuf>, String> {
    let _ = std::fs::remove_dir_all(dest);
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(src)
        .map_err(|e| format!("{}: {e}", src.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    let mut written = Vec::new();
    for chapter in chapters {
        let text =
            std::fs::read_to_string(&chapter).map_err(|e| format!("{}: {e}", chapter.display()))?;
        let stem = chapter
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .replace('-', "_");
        for (line, code) in python_blocks(&text) {
            let path = dest.join(format!("{stem}_md_{line}.py"));
            std::fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// The `python` code blocks of a chapter: the line of each opening fence, and the code.
fn python_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    // A block inside a list item is indented as deep as its fence: that much comes off.
    let mut open: Option<(usize, String, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let body = line.trim_start();
        let indent = line.len() - body.len();
        let fence = body.strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(info)) if info.trim() == "python" => {
                open = Some((i + 1, String::new(), indent))
            }
            (Some(_), Some(_)) => blocks.extend(open.take().map(|(line, code, _)| (line, code))),
            (Some((_, code, depth)), None) => {
                let keep = line.len() - line.trim_start_matches(' ').len();
                code.push_str(&line[keep.min(*depth)..]);
                code.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::python_blocks;

    #[test]
    fn finds_the_python_blocks_of_a_chapter() {
        let text = "# T\n\n```python\nimport os\n```\n\n```apache\nListen 80\n```\n\n\
                    ```python\nx = 1\ny = 2\n```\n\n- item:\n\n  ```python\n  if x:\n      y()\n  ```\n";
        assert_eq!(
            python_blocks(text),
            [
                (3, "import os\n".to_string()),
                (11, "x = 1\ny = 2\n".to_string()),
                (18, "if x:\n    y()\n".to_string())
            ]
        );
    }
}
