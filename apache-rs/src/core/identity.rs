//! Which module this cdylib is: the `module` struct httpd loaded, known once its constructor
//! has run. Logging (per-module log levels) and the per-module slots of httpd's configuration
//! vectors need it; it is set by what [`crate::module!`] expands to.

use apache_sys as ffi;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

static THIS_MODULE: AtomicPtr<ffi::module> = AtomicPtr::new(ptr::null_mut());

/// Remembers this cdylib's `module` struct; called by its constructor, inside dlopen.
pub(crate) fn set_this_module(m: *mut ffi::module) {
    THIS_MODULE.store(m, Ordering::Release);
}

/// This cdylib's `module` struct, once its constructor has run.
pub fn this_module() -> *mut ffi::module {
    THIS_MODULE.load(Ordering::Acquire)
}

/// The index httpd gave this module (for per-module log levels and config vectors); -1 before
/// `LoadModule` has added it.
pub fn module_index() -> i32 {
    let m = this_module();
    if m.is_null() {
        -1
    } else {
        // SAFETY: the module struct is a static of this cdylib; module_index is an int httpd
        // writes once while loading.
        unsafe { (*m).module_index }
    }
}
