//! Conversions between C strings owned by httpd and Rust strings.

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

/// An owned copy of a C string; `None` for NULL or for bytes that are not UTF-8.
///
/// # Safety
/// As for [`to_str`], for the length of the call.
pub(crate) unsafe fn to_owned(p: *const c_char) -> Option<String> {
    // SAFETY: see # Safety.
    unsafe { to_str(p) }.map(str::to_string)
}

/// The strings of an APR array of C strings (`apr_array_header_t` of `char *`); those that
/// are not UTF-8 are skipped. An empty list for NULL.
///
/// # Safety
/// `a` is NULL or an APR array of NUL-terminated strings that all live for `'a` unchanged.
pub(crate) unsafe fn str_array<'a>(a: *const apache_sys::apr_array_header_t) -> Vec<&'a str> {
    if a.is_null() {
        return Vec::new();
    }
    // SAFETY: see # Safety: `nelts` elements of type `char *` at `elts`.
    unsafe {
        let elts = (*a).elts as *const *const c_char;
        (0..(*a).nelts.max(0) as usize)
            .filter_map(|i| to_str(*elts.add(i)))
            .collect()
    }
}
