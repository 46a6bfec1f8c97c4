//! Conversions between C strings owned by httpd and Rust string slices.

use std::ffi::CStr;
use std::os::raw::c_char;

/// Borrows a NUL-terminated C string as `&str`; `None` for NULL or for bytes that are not UTF-8.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that lives for `'a` unchanged.
pub(crate) unsafe fn to_str<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        None
    } else {
        // SAFETY: a NUL-terminated string living for 'a (see # Safety).
        unsafe { CStr::from_ptr(p) }.to_str().ok()
    }
}

/// Borrows a NUL-terminated C string as bytes; `None` for NULL.
///
/// # Safety
/// As for [`to_str`].
pub(crate) unsafe fn to_bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        None
    } else {
        // SAFETY: a NUL-terminated string living for 'a (see # Safety).
        Some(unsafe { CStr::from_ptr(p) }.to_bytes())
    }
}
