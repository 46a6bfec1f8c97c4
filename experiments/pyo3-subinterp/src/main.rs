//! pyo3 0.27 in CPython sub-interpreters with a GIL of their own (PEP 684): what pyo3 allows,
//! what it refuses, and what breaks, checked on the CPython named by PYO3_PYTHON. See
//! ../README.md for how to run it and what was seen.
//!
//! Subcommands: parallel [N] | attach own|shared | drop-uncounted py|pyerr|add | drop-counted |
//! nested | entry-cost [N] | statics | multiphase | pymodule DIR | finalize [asyncio]

mod attach;
#[cfg(Py_3_12)]
mod finalize;
mod interp;
#[cfg(Py_3_12)]
mod multiphase;
#[cfg(Py_3_12)]
mod parallel;
mod pymodule;
#[cfg(Py_3_12)]
mod statics;

use pyo3::ffi;
use pyo3::Python;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let main_ts = interp::start();
    Python::attach(|py| println!("CPython {}", py.version().lines().next().unwrap_or("")));
    if cfg!(pyo3_disable_reference_pool) {
        println!("(built with --cfg pyo3_disable_reference_pool)");
    }
    match arg(0) {
        #[cfg(Py_3_12)]
        "parallel" => parallel::run(main_ts, arg(1).parse().unwrap_or(2_000_000)),
        "attach" => attach::run(main_ts, arg(1) == "own"),
        "drop-uncounted" => attach::drop_uncounted(main_ts, arg(1)),
        "drop-counted" => attach::drop_counted(main_ts),
        #[cfg(Py_3_12)]
        "nested" => attach::nested(main_ts),
        #[cfg(Py_3_12)]
        "entry-cost" => attach::entry_cost(main_ts, arg(1).parse().unwrap_or(200_000)),
        #[cfg(Py_3_12)]
        "statics" => statics::run(main_ts),
        #[cfg(Py_3_12)]
        "multiphase" => multiphase::run(main_ts),
        "pymodule" => pymodule::run(main_ts, arg(1)),
        #[cfg(Py_3_12)]
        "finalize" => finalize::run(
            main_ts,
            if arg(1) == "asyncio" {
                "import asyncio"
            } else {
                "import json; json.dumps([1])"
            },
        ),
        other => {
            eprintln!("unknown or unavailable subcommand {other:?} (see src/main.rs)");
            std::process::exit(2);
        }
    }
    // SAFETY: main_ts is this thread's main-interpreter state, not current; every
    // sub-interpreter was ended.
    let rc = unsafe {
        ffi::PyEval_RestoreThread(main_ts);
        ffi::Py_FinalizeEx()
    };
    println!("Py_FinalizeEx returned {rc}");
}
