//! The Py_3_12 / Py_3_13 cfgs of the CPython PYO3_PYTHON names, for the version-specific
//! parts, and an rpath to its libpython so the program runs without LD_LIBRARY_PATH.
fn main() {
    pyo3_build_config::print_expected_cfgs();
    pyo3_build_config::use_pyo3_cfgs();
    println!("cargo::rustc-check-cfg=cfg(pyo3_disable_reference_pool)");
    if let Some(dir) = &pyo3_build_config::get().lib_dir {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
