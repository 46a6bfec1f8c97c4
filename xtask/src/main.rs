//! The project's commands: `cargo xtask demo | test | install | bindings | soak | bench |
//! docs | package | new`.

mod bench;
mod cores;
mod demo_index;
mod docs;
mod install;
mod new;
mod package;
mod prereqs;
mod properties;
mod python_lint;
mod soak;
mod test_python;
mod venv;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <command>

  demo [--port N]        build everything and serve the examples on 127.0.0.1 until Ctrl-C
  test [--quick] [--python PATH] [-- ARGS]
                         fmt check, clippy -D warnings, ruff and mypy, build, every test, the
                         hypothesis properties (--quick: no fmt/clippy/ruff/mypy; --python:
                         build and test for that CPython >= 3.11, in a target directory of its
                         own; PYO3_PYTHON too)
  install [--examples | NAME...] [--uninstall] [--dry-run] [--destdir DIR] [--debug]
                         release build; copy mod_python (and the examples asked for) into
                         httpd's module directory; --uninstall undoes the last install
  bindings               regenerate apache-sys's checked-in bindings from the installed headers
  soak [--full] [--requests N] [--restarts N] [--seconds N] [--connections N]
       [--mpm event,worker,prefork] [--no-anchors] [--module PATH]
                         a mixed load on mod_python (hello, form, sessions, publisher, PSP,
                         WSGI, a Rust module) under each MPM, with C mod_python 3.5 and
                         mod_wsgi 4.9 as anchors, then with MaxConnectionsPerChild: errors,
                         memory and open files per child, crashes (default 1,000,000
                         requests); --restarts N: N graceful restarts under load against
                         C mod_python, and a new child's cost; --full: both, as the
                         documented figures (report in target/soak.txt)
  soak --fuzz [--scale N]  the property tests of every parser with many more cases
                         (20,000 per directive-parser property, 5,000 HTTP requests per
                         package-parser property and MPM, 5,000 hypothesis examples),
                         then 120 s each of atheris on mod_python.Cookie and cargo-fuzz on
                         the directive parsers (nightly only); all times N
  bench [--seconds N] [--rounds N] [--connections N] [--transfers N] [--only NAME,...]
        [--no-pin] [--instructions]
                         cost per request and per 100 MB transfer against C modules
                         (--instructions: instructions per request under callgrind)
  bench --parallel [--python PATH] [--seconds N] [--rounds N]
                         a CPU-bound handler on one child's threads: one GIL against a GIL
                         per interpreter (PATH: a CPython 3.12+) and, with a free-threaded
                         PATH (3.13t), no GIL; C mod_python, mod_wsgi
  docs                   rustdoc -D warnings; the guide (mdBook) into target/book, links checked
  package                cargo package the published crates (apache-sys, apache-httpd,
                         apache-test-harness), verified, in dependency order
  new PATH [--name NAME] a new module crate at PATH, with a test loading it into httpd";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("help", &[][..]),
    };
    let result = match cmd {
        "demo" => demo(rest),
        "test" => test(rest),
        "install" => install::run_install(rest),
        "bindings" => bindings(),
        "soak" => prereqs::ensure(prereqs::Set::Build).and_then(|_| soak::run_soak(rest)),
        "bench" => prereqs::ensure(prereqs::Set::Bench).and_then(|_| bench::run(rest)),
        "docs" => docs::run_docs(rest),
        "package" => package::run_package(rest),
        "new" => new::run_new(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root.
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// Runs a command in the workspace (unless it was given a directory of its own), streaming its
/// output; fails naming the step.
pub(crate) fn run(step: &str, cmd: &mut Command) -> Result<(), String> {
    if cmd.get_current_dir().is_none() {
        cmd.current_dir(workspace());
    }
    eprintln!("xtask: {step}: {cmd:?}");
    let status = cmd.status().map_err(|e| format!("{step}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn test(args: &[String]) -> Result<(), String> {
    prereqs::ensure(prereqs::Set::Build)?;
    let (ours, extra) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let mut quick = false;
    let mut named = None;
    let mut it = ours.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--python" => named = Some(it.next().ok_or("--python PATH")?.as_str()),
            other => return Err(format!("test: unknown argument {other}")),
        }
    }
    let python = test_python::choose(named)?;
    eprintln!(
        "xtask: testing mod_python built for Python {} ({})",
        python.version,
        python.interpreter.display()
    );
    if !quick {
        if python.is_default() {
            run("fmt", cargo().args(["fmt", "--all", "--", "--check"]))?;
        }
        run(
            "clippy",
            python.apply(&mut cargo()).args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
        if python.is_default() {
            python_lint::check()?;
        } else {
            eprintln!(
                "xtask: fmt, ruff and mypy do not depend on the Python: run with the default"
            );
        }
    }
    // Integration tests load the modules' .so files, so every cdylib is built first.
    run(
        "build",
        python.apply(&mut cargo()).args(["build", "--workspace"]),
    )?;
    // A child of a test server that crashes leaves its core here, shown after the run.
    let cores = cores::prepare();
    let tested = run(
        "test",
        python
            .apply(&mut cargo())
            .args(["test", "--workspace"])
            .args(extra)
            .env("HARNESS_CORES", &cores),
    );
    cores::report(&cores);
    tested?;
    // Whether the whole suite ran (`.ci/run` adds only `--no-fail-fast`): then some of it runs
    // again under other settings, with the same flags.
    let whole_suite = extra.iter().all(|a| a == "--no-fail-fast");
    // Parts of the suite again: every interpreter but the main one with a GIL of its own
    // (3.12+), and, on a free-threaded CPython, no GIL.
    let reruns = [
        (python.has_own_gil(), test_python::OWN_GIL),
        (python.free_threaded, test_python::FREE_THREADING),
    ];
    for (_, rerun) in reruns.iter().filter(|(wanted, _)| *wanted && whole_suite) {
        let mut cmd = cargo();
        python
            .apply(&mut cmd)
            .args(["test", "-p", "mod-python"])
            .env("HARNESS_MODULE_CONFIG", rerun.config);
        for name in test_python::LIBRARY_TESTS.iter().chain(rerun.more_tests) {
            cmd.args(["--test", name]);
        }
        cmd.args(extra).env("HARNESS_CORES", &cores);
        let tested = run(&format!("test with {}", rerun.name), &mut cmd);
        cores::report(&cores);
        tested?;
    }
    // The Python parsers' hypothesis properties, in an environment of their own: the default
    // Python's (its packages and the module the default build makes).
    if python.is_default() {
        properties::check(200)
    } else {
        eprintln!("xtask: the hypothesis properties run with the default Python");
        Ok(())
    }
}

/// A module the workspace builds: its library file and the symbol LoadModule looks up.
pub(crate) struct BuiltModule {
    /// Short name (`hello`, `python`).
    pub name: String,
    /// `hello_module`.
    pub symbol: String,
    /// `libmod_hello.so` in the target directory.
    pub lib: PathBuf,
    /// Text for httpd.conf from the crate's demo.conf, if any.
    pub demo_conf: Option<String>,
}

/// The modules in examples/* and mod-python, found in `target/<profile>`.
pub(crate) fn modules(profile: &str) -> Vec<BuiltModule> {
    let ws = workspace();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ws.join("target"));
    let mut crates: Vec<PathBuf> = std::fs::read_dir(ws.join("examples"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("Cargo.toml").exists())
                .collect()
        })
        .unwrap_or_default();
    crates.sort();
    crates.push(ws.join("mod-python"));
    let mut out = Vec::new();
    for dir in crates {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        let lib_name = manifest
            .lines()
            .skip_while(|l| l.trim() != "[lib]")
            .find_map(|l| {
                l.trim()
                    .strip_prefix("name = ")
                    .map(|v| v.trim_matches('"').to_string())
            });
        let Some(lib_name) = lib_name else { continue };
        let lib = target.join(profile).join(format!("lib{lib_name}.so"));
        let demo_conf = std::fs::read_to_string(dir.join("demo.conf")).ok();
        let name = lib_name
            .strip_prefix("mod_")
            .unwrap_or(&lib_name)
            .to_string();
        let symbol = demo_conf
            .as_deref()
            .and_then(|c| c.lines().next())
            .and_then(|l| l.strip_prefix("# LoadModule "))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| format!("{name}_module"));
        out.push(BuiltModule {
            name,
            symbol,
            lib,
            demo_conf,
        });
    }
    out
}

static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
}

fn demo(args: &[String]) -> Result<(), String> {
    prereqs::ensure(prereqs::Set::Build)?;
    let mut port: u16 = 8080;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => port = it.next().and_then(|p| p.parse().ok()).ok_or("--port N")?,
            other => return Err(format!("demo: unknown argument {other}")),
        }
    }
    run("build", cargo().args(["build", "--workspace"]))?;
    let ws = workspace().display().to_string();
    let modules_dir = harness::system_modules_dir().display().to_string();
    let mut builder = harness::Httpd::builder().port(port).log_level("info");
    let mut urls = Vec::new();
    for m in modules("debug") {
        let (Some(conf), true) = (&m.demo_conf, m.lib.exists()) else {
            continue;
        };
        builder = builder.module(&m.symbol, &m.lib).config(
            &conf
                .replace("@WORKSPACE@", &ws)
                .replace("@MODULES@", &modules_dir),
        );
        urls.extend(
            conf.lines()
                .filter_map(|l| l.strip_prefix("# URL "))
                .map(|u| (m.name.clone(), u.trim().to_string())),
        );
    }
    let httpd = demo_index::add(builder, &urls).try_start()?;
    println!(
        "httpd is serving the demo at {} (ServerRoot {})",
        httpd.base_url(),
        httpd.root().display()
    );
    for (module, url) in &urls {
        println!("  {:<12} {}{}", module, httpd.base_url(), url);
    }
    println!(
        "error_log: {}/logs/error_log — Ctrl-C stops",
        httpd.root().display()
    );
    // SAFETY: the handler is async-signal-safe: it only stores to an atomic.
    unsafe { libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t) };
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGTERM, on_sigint as *const () as libc::sighandler_t) };
    while !STOP.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    println!("stopping httpd");
    httpd.stop();
    Ok(())
}

fn bindings() -> Result<(), String> {
    prereqs::ensure(prereqs::Set::Bindings)?;
    run(
        "build apache-sys",
        cargo().args(["build", "-p", "apache-sys"]),
    )?;
    let build = workspace().join("target/debug/build");
    let newest = std::fs::read_dir(&build)
        .map_err(|e| e.to_string())?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("apache-sys-"))
        .map(|e| e.path().join("out/bindings.rs"))
        .filter(|p| p.exists())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .ok_or("no generated bindings found (is libclang installed?)")?;
    let dest = workspace().join("apache-sys/src/pregenerated/bindings_linux_x86_64.rs");
    std::fs::copy(&newest, &dest).map_err(|e| e.to_string())?;
    println!("updated {} from {}", dest.display(), newest.display());
    Ok(())
}
