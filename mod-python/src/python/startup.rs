//! Starting CPython in a child: the configuration it starts with (CPython's `PyConfig`), built
//! from the Python home in effect (`PythonHome`, or the one the build was given), then
//! `Py_InitializeFromConfig`.
//!
//! Without a home the start is the one `Py_InitializeEx(0)` gives (what pyo3's
//! `Python::initialize` calls), with `sys.executable` the interpreter the module was built
//! for: no signal handlers of Python's (httpd owns the signals), the C locale left as the
//! environment set it (no PEP 538 coercion, no UTF-8 mode from the locale), C stdio untouched,
//! the `PYTHON*` environment variables read. A virtual environment is started as its own
//! `bin/python` would be (CPython reads its `pyvenv.cfg`, as mod_wsgi has it do); an
//! installation prefix becomes CPython's `home`.

use crate::config::PythonHome;
use apache::core::logging::{Level, log};
use pyo3::ffi;
use std::ffi::{CStr, CString};
use std::mem::MaybeUninit;
use std::path::Path;

/// Starts Python in this process (the GIL released afterwards, as pyo3 leaves it); `Err` says
/// why it could not start. `without_gil`: a free-threaded CPython is left without its GIL
/// (`PythonFreeThreading On`); otherwise it keeps it (ignored by a build with a GIL).
pub fn start(home: Option<&PythonHome>, without_gil: bool) -> Result<(), String> {
    // SAFETY: may be called at any time.
    if unsafe { ffi::Py_IsInitialized() } != 0 {
        // Another module of this httpd started Python first (mod_wsgi can, in its own
        // child_init): its configuration stays.
        if let Some(home) = home {
            log(
                Level::Warning,
                &format!(
                    "mod_python: another module started Python first: the Python home {} is \
                     not used",
                    home.root().display()
                ),
            );
        }
        return Ok(());
    }
    if let Some(home) = home {
        home.check_readable()?;
    }
    preinitialize()?;
    let mut config = Config::new();
    // Py_InitializeEx(0)'s choices, where PyConfig_InitPythonConfig's differ.
    config.0.install_signal_handlers = 0;
    config.0.parse_argv = 0;
    config.0.configure_c_stdio = 0;
    // CPython's own values (-1: its default, off until an extension needs it; 1: on); the
    // `PYTHON_GIL` environment variable, read afterwards, still overrides them.
    #[cfg(Py_GIL_DISABLED)]
    {
        config.0.enable_gil = if without_gil { -1 } else { 1 };
    }
    #[cfg(not(Py_GIL_DISABLED))]
    let _ = without_gil;
    let built = Path::new(env!("MOD_PYTHON_PYTHON_BIN"));
    // A bare `python3` the build found on PATH would be searched for again by CPython.
    let executable = home
        .and_then(PythonHome::executable)
        .or(built.is_absolute().then_some(built));
    if let Some(executable) = executable {
        config.set(Field::Executable, executable)?;
    }
    if let Some(PythonHome::Prefix { root, .. }) = home {
        config.set(Field::Home, root)?;
    }
    // SAFETY: the configuration was initialized by PyConfig_InitPythonConfig and only set
    // through CPython's setters; Python is not running (checked above) and this is the only
    // thread of the child that touches it (child_init runs before the MPM starts threads).
    let status = unsafe { ffi::Py_InitializeFromConfig(&config.0) };
    checked(status, "Py_InitializeFromConfig")?;
    // SAFETY: Python was initialized on this thread, which holds the GIL: released, so that
    // every thread (this one included) takes it through its own thread state.
    unsafe { ffi::PyEval_SaveThread() };
    Ok(())
}

/// The pre-configuration (locale, allocator, UTF-8 mode) of `Py_InitializeEx`, set before
/// anything reads it: CPython's setters of PyConfig strings would otherwise pre-initialize from
/// the Python configuration, which coerces a C locale to UTF-8 in httpd's own process.
fn preinitialize() -> Result<(), String> {
    let mut pre = MaybeUninit::<ffi::PyPreConfig>::uninit();
    // SAFETY: initializes every field of the struct it is given.
    unsafe { ffi::PyPreConfig_InitPythonConfig(pre.as_mut_ptr()) };
    // SAFETY: initialized just above.
    let mut pre = unsafe { pre.assume_init() };
    pre.parse_argv = 0;
    pre.coerce_c_locale = 0;
    pre.coerce_c_locale_warn = 0;
    pre.utf8_mode = 0;
    // SAFETY: a complete pre-configuration; Python is not initialized yet.
    checked(unsafe { ffi::Py_PreInitialize(&pre) }, "Py_PreInitialize")
}

/// A `PyConfig`, cleared (its strings freed) when dropped.
struct Config(ffi::PyConfig);

/// The strings of `PyConfig` set here.
enum Field {
    Executable,
    Home,
}

impl Config {
    fn new() -> Config {
        let mut config = MaybeUninit::<ffi::PyConfig>::uninit();
        // SAFETY: PyConfig_InitPythonConfig sets every field of the struct (it starts from a
        // zeroed one), so it is initialized afterwards.
        unsafe {
            ffi::PyConfig_InitPythonConfig(config.as_mut_ptr());
            Config(config.assume_init())
        }
    }

    fn set(&mut self, field: Field, path: &Path) -> Result<(), String> {
        use std::os::unix::ffi::OsStrExt;
        let value = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| format!("{}: a NUL byte in the path", path.display()))?;
        let config: *mut ffi::PyConfig = &mut self.0;
        // SAFETY: `config` points to this initialized configuration; the field belongs to it,
        // and PyConfig_SetBytesString frees its old value and stores a copy of `value`
        // (decoded as Python decodes paths), which PyConfig_Clear frees.
        let status = unsafe {
            let slot = match field {
                Field::Executable => &raw mut (*config).executable,
                Field::Home => &raw mut (*config).home,
            };
            ffi::PyConfig_SetBytesString(config, slot, value.as_ptr())
        };
        checked(status, "PyConfig_SetBytesString")
    }
}

impl Drop for Config {
    fn drop(&mut self) {
        // SAFETY: frees what CPython allocated in this configuration, once.
        unsafe { ffi::PyConfig_Clear(&mut self.0) };
    }
}

/// `Err` with CPython's message when `status` is an error (or an exit request, which a
/// server does not follow).
fn checked(status: ffi::PyStatus, call: &str) -> Result<(), String> {
    // SAFETY: reads a status CPython returned.
    if unsafe { ffi::PyStatus_Exception(status) } == 0 {
        return Ok(());
    }
    let text = |p: *const std::ffi::c_char| {
        // SAFETY: a status's strings are NULL or static NUL-terminated strings of CPython.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    let message = text(status.err_msg).unwrap_or_else(|| format!("exit({})", status.exitcode));
    Err(match text(status.func) {
        Some(func) => format!("{call}: {func}: {message}"),
        None => format!("{call}: {message}"),
    })
}
