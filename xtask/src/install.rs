//! `cargo xtask install`: copies mod_python (and, when asked, example modules) into httpd's
//! module directory with a Debian `.load` file each, and records every file and directory it
//! made or replaced, so that `--uninstall` puts the system back as it was.

use crate::{BuiltModule, cargo, modules, prereqs, run};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the record of the last install is, under the install root.
const RECORD: &str = "var/lib/apache-rs/installed";

struct Request {
    dry_run: bool,
    uninstall: bool,
    examples: bool,
    names: Vec<String>,
    /// Put everything under this directory instead of `/` (packaging, tests).
    destdir: PathBuf,
    profile: &'static str,
}

fn parse(args: &[String]) -> Result<Request, String> {
    let mut r = Request {
        dry_run: false,
        uninstall: false,
        examples: false,
        names: Vec::new(),
        destdir: PathBuf::from("/"),
        profile: "release",
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dry-run" => r.dry_run = true,
            "--uninstall" => r.uninstall = true,
            "--examples" => r.examples = true,
            "--debug" => r.profile = "debug",
            "--destdir" => {
                r.destdir = PathBuf::from(it.next().ok_or("install: --destdir DIR")?);
            }
            other if other.starts_with('-') => {
                return Err(format!("install: unknown option {other}"));
            }
            name => r.names.push(name.trim_start_matches("mod_").to_string()),
        }
    }
    Ok(r)
}

fn apxs(var: &str) -> Result<PathBuf, String> {
    let out = Command::new("apxs")
        .args(["-q", var])
        .output()
        .map_err(|e| format!("apxs: {e} (install apache2-dev)"))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if text.is_empty() {
        return Err(format!("apxs -q {var} printed nothing"));
    }
    Ok(PathBuf::from(text))
}

/// `/usr/lib/apache2/modules` under the destination root.
fn under(destdir: &Path, path: &Path) -> PathBuf {
    destdir.join(path.strip_prefix("/").unwrap_or(path))
}

/// The Debian package that owns `path`, if any: such a file is not ours to overwrite.
fn dpkg_owner(path: &Path) -> Option<String> {
    let out = Command::new("dpkg").arg("-S").arg(path).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success().then(|| {
        text.split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    })
}

/// One change to the system, as the record keeps it (one per line), undone in reverse order.
#[derive(Debug, PartialEq)]
enum Step {
    /// A directory that did not exist.
    MadeDir(PathBuf),
    /// A file that did not exist.
    Created(PathBuf),
    /// A file that existed, moved aside to the second path.
    Replaced(PathBuf, PathBuf),
}

impl Step {
    fn line(&self) -> String {
        match self {
            Step::MadeDir(p) => format!("mkdir\t{}", p.display()),
            Step::Created(p) => format!("create\t{}", p.display()),
            Step::Replaced(p, b) => format!("replace\t{}\t{}", p.display(), b.display()),
        }
    }

    fn parse(line: &str) -> Option<Step> {
        let mut f = line.split('\t');
        match (f.next()?, f.next(), f.next()) {
            ("mkdir", Some(p), None) => Some(Step::MadeDir(p.into())),
            ("create", Some(p), None) => Some(Step::Created(p.into())),
            ("replace", Some(p), Some(b)) => Some(Step::Replaced(p.into(), b.into())),
            _ => None,
        }
    }

    fn undo(&self) -> Result<(), String> {
        let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
        match self {
            Step::MadeDir(p) => {
                // Left in place if something else was put there since.
                let _ = std::fs::remove_dir(p);
            }
            Step::Created(p) => match std::fs::remove_file(p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(err(p, e)),
                _ => println!("removed {}", p.display()),
            },
            Step::Replaced(p, backup) => {
                std::fs::rename(backup, p).map_err(|e| err(backup, e))?;
                println!("restored {}", p.display());
            }
        }
        Ok(())
    }
}

/// Records changes as they are made, so that an install cut short can still be undone.
struct Recorder {
    record: PathBuf,
    steps: Vec<Step>,
}

impl Recorder {
    fn mkdirs(&mut self, dir: &Path) -> Result<(), String> {
        let missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.exists())
            .map(Path::to_path_buf)
            .collect();
        // Made before they are recorded: the first ones made may hold the record itself.
        for d in missing.iter().rev() {
            std::fs::create_dir(d).map_err(|e| format!("{}: {e}", d.display()))?;
        }
        for d in missing.into_iter().rev() {
            self.push(Step::MadeDir(d))?;
        }
        Ok(())
    }

    /// Writes `dest` from `write`, moving a file already there aside first.
    fn put(
        &mut self,
        dest: &Path,
        write: impl FnOnce(&Path) -> std::io::Result<()>,
    ) -> Result<(), String> {
        if let Some(dir) = dest.parent() {
            self.mkdirs(dir)?;
        }
        let step = if dest.exists() {
            let backup = dest.with_file_name(format!(
                "{}.before-apache-rs",
                dest.file_name().unwrap_or_default().to_string_lossy()
            ));
            std::fs::rename(dest, &backup).map_err(|e| format!("{}: {e}", dest.display()))?;
            Step::Replaced(dest.to_path_buf(), backup)
        } else {
            Step::Created(dest.to_path_buf())
        };
        self.push(step)?;
        write(dest).map_err(|e| format!("{}: {e}", dest.display()))
    }

    fn push(&mut self, step: Step) -> Result<(), String> {
        self.steps.push(step);
        let text: String = self.steps.iter().map(|s| s.line() + "\n").collect();
        std::fs::write(&self.record, text).map_err(|e| format!("{}: {e}", self.record.display()))
    }
}

/// Undoes the install the record describes, last change first, then removes the record.
fn uninstall(record: &Path) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(record) else {
        println!("nothing to uninstall: no {}", record.display());
        return Ok(());
    };
    let steps: Vec<Step> = text.lines().filter_map(Step::parse).collect();
    std::fs::remove_file(record).map_err(|e| format!("{}: {e}", record.display()))?;
    for step in steps.iter().rev() {
        step.undo()?;
    }
    Ok(())
}

/// The cargo package that builds `mod_NAME`: mod-python, or the example whose `[lib]` is
/// `mod_NAME`.
fn package_of(name: &str) -> Result<String, String> {
    if name == "python" {
        return Ok("mod-python".into());
    }
    let dirs = std::fs::read_dir(crate::workspace().join("examples")).map_err(|e| e.to_string())?;
    for dir in dirs.flatten() {
        let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap_or_default();
        if manifest.contains(&format!("name = \"mod_{name}\"")) {
            let package = manifest.lines().find_map(|l| l.strip_prefix("name = "));
            return Ok(package.unwrap_or_default().trim_matches('"').to_string());
        }
    }
    Err(format!("install: no crate builds mod_{name}"))
}

/// The modules asked for: mod_python alone by default; the examples with `--examples`, or
/// some by name.
fn chosen(all: Vec<BuiltModule>, r: &Request) -> Result<Vec<BuiltModule>, String> {
    if let Some(unknown) = r.names.iter().find(|n| !all.iter().any(|m| &m.name == *n)) {
        let known: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
        return Err(format!(
            "install: no module {unknown} (there are: {})",
            known.join(", ")
        ));
    }
    Ok(all
        .into_iter()
        .filter(|m| {
            if r.names.is_empty() {
                m.name == "python" || r.examples
            } else {
                r.names.contains(&m.name) || (r.examples && m.name != "python")
            }
        })
        .collect())
}

pub fn run_install(args: &[String]) -> Result<(), String> {
    let r = parse(args)?;
    let record = under(&r.destdir, Path::new("/").join(RECORD).as_path());
    if r.uninstall {
        return uninstall(&record);
    }
    prereqs::ensure(prereqs::Set::Build)?;
    let selected = chosen(modules(r.profile), &r)?;
    if !r.dry_run && r.profile == "release" {
        let mut cmd = cargo();
        cmd.args(["build", "--release"]);
        for m in &selected {
            cmd.args(["-p", &package_of(&m.name)?]);
        }
        run("release build", &mut cmd)?;
    }
    let libexec = under(&r.destdir, &apxs("LIBEXECDIR")?);
    let available = under(&r.destdir, &apxs("SYSCONFDIR")?).join("mods-available");
    if r.dry_run {
        for m in &selected {
            println!(
                "would copy {} -> {}",
                m.lib.display(),
                libexec.join(format!("mod_{}.so", m.name)).display()
            );
        }
        return Ok(());
    }
    if record.exists() {
        println!("undoing the earlier install first");
        uninstall(&record)?;
    }
    let mut rec = Recorder {
        record: record.clone(),
        steps: Vec::new(),
    };
    rec.mkdirs(record.parent().unwrap())?;
    for m in &selected {
        let dest = libexec.join(format!("mod_{}.so", m.name));
        if !m.lib.exists() {
            return Err(format!("{} was not built ({})", m.name, m.lib.display()));
        }
        if let Some(pkg) = dpkg_owner(&dest) {
            println!(
                "skipping {}: {} belongs to Debian's package {pkg}; remove it first",
                m.name,
                dest.display()
            );
            continue;
        }
        rec.put(&dest, |d| std::fs::copy(&m.lib, d).map(drop))?;
        // The file names the module where it will be loaded from: `/` is not part of it.
        let loaded_from = Path::new("/").join(dest.strip_prefix(&r.destdir).unwrap_or(&dest));
        let line = format!("LoadModule {} {}\n", m.symbol, loaded_from.display());
        if available.is_dir() || r.destdir != Path::new("/") {
            let load = available.join(format!("{}.load", m.name));
            rec.put(&load, |d| std::fs::write(d, &line))?;
            println!(
                "installed {} and {} (enable with: a2enmod {})",
                dest.display(),
                load.display(),
                m.name
            );
        } else {
            println!(
                "installed {}; add to httpd.conf: {}",
                dest.display(),
                line.trim()
            );
        }
    }
    println!(
        "recorded in {}; `cargo xtask install --uninstall` undoes it",
        record.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_back_as_written() {
        for step in [
            Step::MadeDir("/a b".into()),
            Step::Created("/x/mod_python.so".into()),
            Step::Replaced("/y".into(), "/y.before-apache-rs".into()),
        ] {
            assert_eq!(Step::parse(&step.line()), Some(step));
        }
    }

    /// Install into a scratch root over a file that was there, then uninstall: the root is as
    /// it was, the file back with its contents.
    #[test]
    fn uninstall_undoes_exactly_what_install_did() {
        let root = std::env::temp_dir().join(format!("xtask-install-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/python.load"), "theirs\n").unwrap();
        let record = root.join(RECORD);
        let mut rec = Recorder {
            record: record.clone(),
            steps: Vec::new(),
        };
        rec.mkdirs(record.parent().unwrap()).unwrap();
        rec.put(&root.join("lib/modules/mod_python.so"), |d| {
            std::fs::write(d, "ours")
        })
        .unwrap();
        rec.put(&root.join("etc/python.load"), |d| {
            std::fs::write(d, "ours\n")
        })
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("etc/python.load")).unwrap(),
            "ours\n"
        );
        uninstall(&record).unwrap();
        let mut left: Vec<String> = walk(&root);
        left.sort();
        assert_eq!(left, ["etc", "etc/python.load"]);
        assert_eq!(
            std::fs::read_to_string(root.join("etc/python.load")).unwrap(),
            "theirs\n"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    fn walk(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut dirs = vec![root.to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                out.push(p.strip_prefix(root).unwrap().display().to_string());
                if p.is_dir() {
                    dirs.push(p);
                }
            }
        }
        out
    }
}
