//! Rust versions of the C macros that bindgen cannot translate and that modules need.
//!
//! Each keeps the name of its C macro (lower-cased where it is a function-like macro) so the
//! httpd documentation can be read alongside. All pointer-taking functions are `unsafe` for the
//! same reason the C macros are unchecked: they trust the pointers they are given.
#![allow(non_snake_case)]

use crate::*;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

/// `MODULE_MAGIC_COOKIE` as the `unsigned long` the `module` struct stores.
pub const MODULE_MAGIC_COOKIE_UL: std::os::raw::c_ulong = MODULE_MAGIC_COOKIE as _;

/// A `module` struct filled as `STANDARD20_MODULE_STUFF` fills its header, with every
/// callback and the command table empty. `name` plays the part of `__FILE__`: httpd derives the
/// module's short name (used by `LogLevel name:level`) from it, so pass `"mod_NAME.c"`.
pub const fn standard20_module_stuff(name: *const c_char) -> module {
    module {
        version: MODULE_MAGIC_NUMBER_MAJOR as c_int,
        minor_version: MODULE_MAGIC_NUMBER_MINOR as c_int,
        module_index: -1,
        name,
        dynamic_load_handle: ptr::null_mut(),
        next: ptr::null_mut(),
        magic: MODULE_MAGIC_COOKIE_UL,
        rewrite_args: None,
        create_dir_config: None,
        merge_dir_config: None,
        create_server_config: None,
        merge_server_config: None,
        cmds: ptr::null(),
        register_hooks: None,
        flags: 0,
    }
}

/// The all-null `command_rec` that ends a module's directive table.
pub const fn command_rec_end() -> command_rec {
    command_rec {
        name: ptr::null(),
        func: cmd_func { no_args: None },
        cmd_data: ptr::null_mut(),
        req_override: 0,
        args_how: 0,
        errmsg: ptr::null(),
    }
}

/// Signature of a `NO_ARGS` directive function.
pub type CmdNoArgs = unsafe extern "C" fn(*mut cmd_parms, *mut c_void) -> *const c_char;
/// Signature of a `RAW_ARGS`, `TAKE1` or `ITERATE` directive function.
pub type CmdTake1 =
    unsafe extern "C" fn(*mut cmd_parms, *mut c_void, *const c_char) -> *const c_char;
/// Signature of a `TAKE2`, `TAKE12` or `ITERATE2` directive function.
pub type CmdTake2 = unsafe extern "C" fn(
    *mut cmd_parms,
    *mut c_void,
    *const c_char,
    *const c_char,
) -> *const c_char;
/// Signature of a `TAKE3`, `TAKE23`, `TAKE123` or `TAKE13` directive function.
pub type CmdTake3 = unsafe extern "C" fn(
    *mut cmd_parms,
    *mut c_void,
    *const c_char,
    *const c_char,
    *const c_char,
) -> *const c_char;
/// Signature of a `FLAG` directive function.
pub type CmdFlag = unsafe extern "C" fn(*mut cmd_parms, *mut c_void, c_int) -> *const c_char;
/// Signature of a `TAKE_ARGV` directive function.
pub type CmdTakeArgv =
    unsafe extern "C" fn(*mut cmd_parms, *mut c_void, c_int, *const *mut c_char) -> *const c_char;

/// The pieces every `AP_INIT_*` macro shares.
const fn init(
    name: *const c_char,
    func: cmd_func,
    data: *mut c_void,
    where_: c_int,
    how: cmd_how,
    help: *const c_char,
) -> command_rec {
    command_rec {
        name,
        func,
        cmd_data: data,
        req_override: where_,
        args_how: how,
        errmsg: help,
    }
}

macro_rules! ap_init {
    ($(#[$doc:meta] $fn_name:ident, $field:ident, $ty:ty, $how:expr;)*) => {$(
        #[$doc]
        pub const fn $fn_name(
            name: *const c_char,
            func: $ty,
            data: *mut c_void,
            where_: c_int,
            help: *const c_char,
        ) -> command_rec {
            init(name, cmd_func { $field: Some(func) }, data, where_, $how, help)
        }
    )*};
}

ap_init! {
    /// `AP_INIT_NO_ARGS`
    AP_INIT_NO_ARGS, no_args, CmdNoArgs, NO_ARGS;
    /// `AP_INIT_RAW_ARGS`
    AP_INIT_RAW_ARGS, raw_args, CmdTake1, RAW_ARGS;
    /// `AP_INIT_TAKE_ARGV`
    AP_INIT_TAKE_ARGV, take_argv, CmdTakeArgv, TAKE_ARGV;
    /// `AP_INIT_TAKE1`
    AP_INIT_TAKE1, take1, CmdTake1, TAKE1;
    /// `AP_INIT_ITERATE`
    AP_INIT_ITERATE, take1, CmdTake1, ITERATE;
    /// `AP_INIT_TAKE2`
    AP_INIT_TAKE2, take2, CmdTake2, TAKE2;
    /// `AP_INIT_TAKE12`
    AP_INIT_TAKE12, take2, CmdTake2, TAKE12;
    /// `AP_INIT_ITERATE2`
    AP_INIT_ITERATE2, take2, CmdTake2, ITERATE2;
    /// `AP_INIT_TAKE13`
    AP_INIT_TAKE13, take3, CmdTake3, TAKE13;
    /// `AP_INIT_TAKE23`
    AP_INIT_TAKE23, take3, CmdTake3, TAKE23;
    /// `AP_INIT_TAKE123`
    AP_INIT_TAKE123, take3, CmdTake3, TAKE123;
    /// `AP_INIT_TAKE3`
    AP_INIT_TAKE3, take3, CmdTake3, TAKE3;
    /// `AP_INIT_FLAG`
    AP_INIT_FLAG, flag, CmdFlag, FLAG;
}

/// `ap_get_module_config(v, m)`: the module's slot in a configuration vector.
///
/// # Safety
/// `cv` is a configuration vector httpd made (it has a slot for every loaded module) and `m`
/// a loaded module, whose `module_index` httpd has set.
#[inline]
pub unsafe fn get_module_config(cv: *const ap_conf_vector_t, m: *const module) -> *mut c_void {
    // SAFETY: the caller's vector has a slot at the module's index (see # Safety).
    unsafe { *(cv as *const *mut c_void).offset((*m).module_index as isize) }
}

/// `ap_set_module_config(v, m, val)`.
///
/// # Safety
/// As for [`get_module_config`]; the vector is not being read by another thread.
#[inline]
pub unsafe fn set_module_config(cv: *mut ap_conf_vector_t, m: *const module, val: *mut c_void) {
    // SAFETY: as in get_module_config; the caller has the vector to itself.
    unsafe { *(cv as *mut *mut c_void).offset((*m).module_index as isize) = val };
}

/// `APR_BRIGADE_SENTINEL(b)`: the ring's sentinel, which is not a bucket.
///
/// # Safety
/// `b` points to a valid brigade.
#[inline]
pub unsafe fn APR_BRIGADE_SENTINEL(b: *mut apr_bucket_brigade) -> *mut apr_bucket {
    // SAFETY: `b` is valid (see # Safety). The ring head sits where a bucket's `link` would;
    // offsetting back by `link`'s position gives the address APR's macros compare against,
    // which is never dereferenced as a bucket.
    unsafe {
        let head = ptr::addr_of_mut!((*b).list.next) as *mut u8;
        head.sub(std::mem::offset_of!(apr_bucket, link)) as *mut apr_bucket
    }
}

/// `APR_BRIGADE_FIRST(b)`.
///
/// # Safety
/// `b` points to a valid brigade.
#[inline]
pub unsafe fn APR_BRIGADE_FIRST(b: *mut apr_bucket_brigade) -> *mut apr_bucket {
    // SAFETY: `b` is valid (see # Safety).
    unsafe { (*b).list.next }
}

/// `APR_BRIGADE_LAST(b)`.
///
/// # Safety
/// `b` points to a valid brigade.
#[inline]
pub unsafe fn APR_BRIGADE_LAST(b: *mut apr_bucket_brigade) -> *mut apr_bucket {
    // SAFETY: `b` is valid (see # Safety).
    unsafe { (*b).list.prev }
}

/// `APR_BRIGADE_EMPTY(b)`.
///
/// # Safety
/// `b` points to a valid brigade.
#[inline]
pub unsafe fn APR_BRIGADE_EMPTY(b: *mut apr_bucket_brigade) -> bool {
    // SAFETY: `b` is valid (see # Safety).
    unsafe { APR_BRIGADE_FIRST(b) == APR_BRIGADE_SENTINEL(b) }
}

/// `APR_BUCKET_NEXT(e)`.
///
/// # Safety
/// `e` points to a valid bucket (or a brigade's sentinel).
#[inline]
pub unsafe fn APR_BUCKET_NEXT(e: *mut apr_bucket) -> *mut apr_bucket {
    // SAFETY: `e`'s link is readable (see # Safety).
    unsafe { (*e).link.next }
}

/// `APR_BUCKET_PREV(e)`.
///
/// # Safety
/// `e` points to a valid bucket (or a brigade's sentinel).
#[inline]
pub unsafe fn APR_BUCKET_PREV(e: *mut apr_bucket) -> *mut apr_bucket {
    // SAFETY: `e`'s link is readable (see # Safety).
    unsafe { (*e).link.prev }
}

/// `APR_BUCKET_INSERT_BEFORE(a, b)`: puts `b` before `a`.
///
/// # Safety
/// `a` is a bucket (or sentinel) in a well-formed ring, `b` a valid bucket in no ring, and
/// nothing else uses the ring meanwhile.
#[inline]
pub unsafe fn APR_BUCKET_INSERT_BEFORE(a: *mut apr_bucket, b: *mut apr_bucket) {
    // SAFETY: every pointer followed is a link of the well-formed ring (see # Safety).
    unsafe {
        (*b).link.next = a;
        (*b).link.prev = (*a).link.prev;
        (*(*a).link.prev).link.next = b;
        (*a).link.prev = b;
    }
}

/// `APR_BUCKET_INSERT_AFTER(a, b)`: puts `b` after `a`.
///
/// # Safety
/// As for [`APR_BUCKET_INSERT_BEFORE`].
#[inline]
pub unsafe fn APR_BUCKET_INSERT_AFTER(a: *mut apr_bucket, b: *mut apr_bucket) {
    // SAFETY: every pointer followed is a link of the well-formed ring (see # Safety).
    unsafe {
        (*b).link.prev = a;
        (*b).link.next = (*a).link.next;
        (*(*a).link.next).link.prev = b;
        (*a).link.next = b;
    }
}

/// `APR_BRIGADE_INSERT_TAIL(b, e)`.
///
/// # Safety
/// `b` is a valid brigade and `e` a valid bucket of the same allocator in no brigade; nothing
/// else uses the brigade meanwhile.
#[inline]
pub unsafe fn APR_BRIGADE_INSERT_TAIL(b: *mut apr_bucket_brigade, e: *mut apr_bucket) {
    // SAFETY: a brigade's sentinel is part of its well-formed ring (see # Safety).
    unsafe { APR_BUCKET_INSERT_BEFORE(APR_BRIGADE_SENTINEL(b), e) };
}

/// `APR_BRIGADE_INSERT_HEAD(b, e)`.
///
/// # Safety
/// As for [`APR_BRIGADE_INSERT_TAIL`].
#[inline]
pub unsafe fn APR_BRIGADE_INSERT_HEAD(b: *mut apr_bucket_brigade, e: *mut apr_bucket) {
    // SAFETY: as in APR_BRIGADE_INSERT_TAIL.
    unsafe { APR_BUCKET_INSERT_AFTER(APR_BRIGADE_SENTINEL(b), e) };
}

/// `APR_BUCKET_REMOVE(e)`: unlinks `e` from its brigade without destroying it.
///
/// # Safety
/// `e` is a valid bucket in a well-formed ring that nothing else uses meanwhile.
#[inline]
pub unsafe fn APR_BUCKET_REMOVE(e: *mut apr_bucket) {
    // SAFETY: `e`'s neighbours are valid links of its ring (see # Safety).
    unsafe {
        (*(*e).link.prev).link.next = (*e).link.next;
        (*(*e).link.next).link.prev = (*e).link.prev;
    }
}

/// `APR_BUCKET_INIT(e)`: makes `e` a ring of one.
///
/// # Safety
/// `e` points to a bucket this thread may write.
#[inline]
pub unsafe fn APR_BUCKET_INIT(e: *mut apr_bucket) {
    // SAFETY: `e` is writable (see # Safety).
    unsafe {
        (*e).link.next = e;
        (*e).link.prev = e;
    }
}

/// `APR_BUCKET_IS_METADATA(e)`.
///
/// # Safety
/// `e` points to a valid bucket.
#[inline]
pub unsafe fn APR_BUCKET_IS_METADATA(e: *const apr_bucket) -> bool {
    // SAFETY: a valid bucket has a valid type (see # Safety).
    unsafe { (*(*e).type_).is_metadata == APR_BUCKET_METADATA }
}

macro_rules! bucket_is {
    ($($(#[$doc:meta])* $name:ident => $ty:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// # Safety
        /// `e` points to a valid bucket.
        #[inline]
        pub unsafe fn $name(e: *const apr_bucket) -> bool {
            // SAFETY: `e` is valid (see # Safety); only its type pointer is read.
            ptr::eq(unsafe { (*e).type_ }, ptr::addr_of!($ty))
        }
    )*};
}

bucket_is! {
    /// `APR_BUCKET_IS_FLUSH(e)`.
    APR_BUCKET_IS_FLUSH => apr_bucket_type_flush;
    /// `APR_BUCKET_IS_EOS(e)`.
    APR_BUCKET_IS_EOS => apr_bucket_type_eos;
    /// `APR_BUCKET_IS_FILE(e)`.
    APR_BUCKET_IS_FILE => apr_bucket_type_file;
    /// `APR_BUCKET_IS_PIPE(e)`.
    APR_BUCKET_IS_PIPE => apr_bucket_type_pipe;
    /// `APR_BUCKET_IS_SOCKET(e)`.
    APR_BUCKET_IS_SOCKET => apr_bucket_type_socket;
    /// `APR_BUCKET_IS_HEAP(e)`.
    APR_BUCKET_IS_HEAP => apr_bucket_type_heap;
    /// `APR_BUCKET_IS_TRANSIENT(e)`.
    APR_BUCKET_IS_TRANSIENT => apr_bucket_type_transient;
    /// `APR_BUCKET_IS_IMMORTAL(e)`.
    APR_BUCKET_IS_IMMORTAL => apr_bucket_type_immortal;
    /// `APR_BUCKET_IS_MMAP(e)`.
    APR_BUCKET_IS_MMAP => apr_bucket_type_mmap;
    /// `APR_BUCKET_IS_POOL(e)`.
    APR_BUCKET_IS_POOL => apr_bucket_type_pool;
}

/// `AP_BUCKET_IS_ERROR(e)`.
///
/// # Safety
/// `e` points to a valid bucket.
#[inline]
pub unsafe fn AP_BUCKET_IS_ERROR(e: *const apr_bucket) -> bool {
    // SAFETY: `e` is valid (see # Safety); only its type pointer is read.
    ptr::eq(unsafe { (*e).type_ }, ptr::addr_of!(ap_bucket_type_error))
}

/// `apr_bucket_read(e, str, len, block)`.
///
/// # Safety
/// `e` is a valid bucket used by this thread only; `str_` and `len` are writable.
#[inline]
pub unsafe fn apr_bucket_read(
    e: *mut apr_bucket,
    str_: *mut *const c_char,
    len: *mut apr_size_t,
    block: apr_read_type_e,
) -> apr_status_t {
    // SAFETY: the bucket's own type function, with the caller's valid pointers.
    unsafe { ((*(*e).type_).read.expect("bucket type without read"))(e, str_, len, block) }
}

/// `apr_bucket_split(e, point)`.
///
/// # Safety
/// `e` is a valid bucket in a brigade, used by this thread only.
#[inline]
pub unsafe fn apr_bucket_split(e: *mut apr_bucket, point: apr_size_t) -> apr_status_t {
    // SAFETY: the bucket's own type function (see # Safety).
    unsafe { ((*(*e).type_).split.expect("bucket type without split"))(e, point) }
}

/// `apr_bucket_setaside(e, p)`.
///
/// # Safety
/// `e` is a valid bucket used by this thread only and `p` a valid pool.
#[inline]
pub unsafe fn apr_bucket_setaside(e: *mut apr_bucket, p: *mut apr_pool_t) -> apr_status_t {
    // SAFETY: the bucket's own type function (see # Safety).
    unsafe {
        ((*(*e).type_)
            .setaside
            .expect("bucket type without setaside"))(e, p)
    }
}

/// `apr_bucket_copy(e, c)`.
///
/// # Safety
/// `e` is a valid bucket used by this thread only; `c` is writable.
#[inline]
pub unsafe fn apr_bucket_copy(e: *mut apr_bucket, c: *mut *mut apr_bucket) -> apr_status_t {
    // SAFETY: the bucket's own type function (see # Safety).
    unsafe { ((*(*e).type_).copy.expect("bucket type without copy"))(e, c) }
}

/// `apr_bucket_destroy(e)`: frees a bucket that is in no brigade.
///
/// # Safety
/// `e` is a valid bucket in no brigade; nothing uses it afterwards.
#[inline]
pub unsafe fn apr_bucket_destroy(e: *mut apr_bucket) {
    // SAFETY: the bucket's own type and free functions, each called once (see # Safety).
    unsafe {
        if let Some(destroy) = (*(*e).type_).destroy {
            destroy((*e).data);
        }
        if let Some(free) = (*e).free {
            free(e as *mut c_void);
        }
    }
}

/// `apr_bucket_delete(e)`: unlinks and frees a bucket.
///
/// # Safety
/// `e` is a valid bucket in a brigade used by this thread only; nothing uses the bucket
/// afterwards.
#[inline]
pub unsafe fn apr_bucket_delete(e: *mut apr_bucket) {
    // SAFETY: unlinked first, then destroyed once (see # Safety).
    unsafe {
        APR_BUCKET_REMOVE(e);
        apr_bucket_destroy(e);
    }
}

/// `ap_is_HTTP_INFO(x)`.
pub const fn ap_is_HTTP_INFO(x: c_int) -> bool {
    x >= 100 && x < 200
}
/// `ap_is_HTTP_SUCCESS(x)`.
pub const fn ap_is_HTTP_SUCCESS(x: c_int) -> bool {
    x >= 200 && x < 300
}
/// `ap_is_HTTP_REDIRECT(x)`.
pub const fn ap_is_HTTP_REDIRECT(x: c_int) -> bool {
    x >= 300 && x < 400
}
/// `ap_is_HTTP_ERROR(x)`.
pub const fn ap_is_HTTP_ERROR(x: c_int) -> bool {
    x >= 400 && x < 600
}
/// `ap_is_HTTP_VALID_RESPONSE(x)`.
pub const fn ap_is_HTTP_VALID_RESPONSE(x: c_int) -> bool {
    x >= 100 && x < 600
}

/// `APR_STATUS_IS_EOF(s)`.
pub const fn APR_STATUS_IS_EOF(s: apr_status_t) -> bool {
    s == APR_EOF as apr_status_t
}
/// `APR_STATUS_IS_EAGAIN(s)`.
pub const fn APR_STATUS_IS_EAGAIN(s: apr_status_t) -> bool {
    s == libc::EAGAIN || s == libc::EWOULDBLOCK
}
/// `APR_STATUS_IS_TIMEUP(s)`.
pub const fn APR_STATUS_IS_TIMEUP(s: apr_status_t) -> bool {
    s == APR_TIMEUP as apr_status_t || s == libc::ETIMEDOUT
}
