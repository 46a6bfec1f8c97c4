//! APR tables: the ordered, case-insensitive, multi-valued string maps httpd uses for headers,
//! notes and the environment.

use crate::core::strings;
use apache_sys as ffi;
use std::cell::UnsafeCell;
use std::ffi::CString;
use std::marker::PhantomData;

/// A borrowed `apr_table_t`. Keys compare case-insensitively; a key may repeat.
///
/// Setting copies key and value into the table's pool, so any `&str` may be passed; keys and
/// values are taken as text or bytes (`impl AsRef<[u8]>`), which need not be UTF-8.
///
/// APR tables are not thread-safe; a `Table` stays on the thread that borrowed it:
///
/// ```compile_fail,E0277
/// fn send<T: Send>() {}
/// send::<&mut apache::Table>();
/// ```
#[repr(transparent)]
pub struct Table(UnsafeCell<ffi::apr_table_t>, PhantomData<*mut ()>);

/// Makes a C string of `s`, cutting at an interior NUL as C would have read it.
fn c(s: impl AsRef<[u8]>) -> CString {
    let s = s.as_ref();
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    CString::new(&s[..end]).expect("no NUL before end")
}

impl Table {
    /// Borrows a table httpd handed over, to read it.
    ///
    /// # Safety
    /// `t` is a valid table that outlives `'a`, used only by this thread meanwhile and not
    /// changed while the borrow lasts.
    pub unsafe fn from_raw<'a>(t: *mut ffi::apr_table_t) -> &'a Table {
        // SAFETY: Table is a transparent wrapper of apr_table_t; validity, thread and lifetime
        // are the caller's promise (see # Safety).
        unsafe { &*(t as *const Table) }
    }

    /// Borrows a table httpd handed over, to change it.
    ///
    /// # Safety
    /// `t` is a valid table that outlives `'a`, used only by this thread and through this
    /// borrow meanwhile.
    pub unsafe fn from_raw_mut<'a>(t: *mut ffi::apr_table_t) -> &'a mut Table {
        // SAFETY: Table is a transparent wrapper of apr_table_t; validity, thread and lifetime
        // are the caller's promise (see # Safety).
        unsafe { &mut *(t as *mut Table) }
    }

    /// The `apr_table_t` pointer.
    pub fn as_ptr(&self) -> *mut ffi::apr_table_t {
        self.0.get()
    }

    /// The first value for `key`; `None` when absent or not UTF-8 (see [`Table::get_bytes`]).
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&str> {
        let k = c(key);
        // SAFETY: apr_table_get returns a pointer into the table's pool or NULL.
        unsafe { strings::to_str(ffi::apr_table_get(self.as_ptr(), k.as_ptr())) }
    }

    /// The first value for `key` as bytes.
    pub fn get_bytes(&self, key: impl AsRef<[u8]>) -> Option<&[u8]> {
        let k = c(key);
        // SAFETY: as in get.
        unsafe { strings::to_bytes(ffi::apr_table_get(self.as_ptr(), k.as_ptr())) }
    }

    /// Every value for `key`, in order.
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
            .collect()
    }

    /// Replaces every value of `key` with `value`.
    pub fn set(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let (k, v) = (c(key), c(value));
        // SAFETY: apr_table_set copies both strings into the table's pool.
        unsafe { ffi::apr_table_set(self.as_ptr(), k.as_ptr(), v.as_ptr()) }
    }

    /// Adds a value for `key`, keeping the others.
    pub fn add(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let (k, v) = (c(key), c(value));
        // SAFETY: apr_table_add copies both strings.
        unsafe { ffi::apr_table_add(self.as_ptr(), k.as_ptr(), v.as_ptr()) }
    }

    /// [`Table::add`] with a value given as bytes, for values that are not UTF-8 (a Latin-1
    /// header value, as PEP 3333 has WSGI applications give them).
    pub fn add_bytes(&mut self, key: &str, value: &[u8]) {
        self.add(key, value);
    }

    /// Appends `value` to the existing value of `key` with ", " between (or sets it).
    pub fn merge(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let (k, v) = (c(key), c(value));
        // SAFETY: apr_table_merge copies both strings.
        unsafe { ffi::apr_table_merge(self.as_ptr(), k.as_ptr(), v.as_ptr()) }
    }

    /// Removes every value of `key`.
    pub fn unset(&mut self, key: impl AsRef<[u8]>) {
        let k = c(key);
        // SAFETY: apr_table_unset only reads the key.
        unsafe { ffi::apr_table_unset(self.as_ptr(), k.as_ptr()) }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        // SAFETY: valid table.
        unsafe { ffi::apr_table_clear(self.as_ptr()) }
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: impl AsRef<[u8]>) -> bool {
        self.get_bytes(key).is_some()
    }

    /// The number of entries, repeated keys counted each time.
    pub fn len(&self) -> usize {
        self.raw_entries().len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn raw_entries(&self) -> &[ffi::apr_table_entry_t] {
        // SAFETY: a table is an apr_array_header_t of apr_table_entry_t (apr_table_elts).
        unsafe {
            let arr = ffi::apr_table_elts(self.as_ptr());
            if arr.is_null() || (*arr).nelts <= 0 {
                return &[];
            }
            std::slice::from_raw_parts(
                (*arr).elts as *const ffi::apr_table_entry_t,
                (*arr).nelts as usize,
            )
        }
    }

    /// The entries in order, as (key, value); entries that are not UTF-8 are skipped (see
    /// [`Table::iter_bytes`]).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.iter_bytes()
            .filter_map(|(k, v)| Some((std::str::from_utf8(k).ok()?, std::str::from_utf8(v).ok()?)))
    }

    /// The entries in order, as bytes.
    pub fn iter_bytes(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.raw_entries().iter().filter_map(|e| {
            // SAFETY: entry strings live in the table's pool; NULL keys mark deleted slots.
            unsafe {
                Some((
                    strings::to_bytes(e.key)?,
                    strings::to_bytes(e.val).unwrap_or(b""),
                ))
            }
        })
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
