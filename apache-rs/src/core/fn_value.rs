//! Calling a Rust function from a C trampoline that carries no data.
//!
//! httpd calls a function pointer, so each hook, filter, directive or provider function gets
//! its own `extern "C"` trampoline: one generic function, monomorphized per function type.
//! Function items and capture-less closures are zero-sized, so the trampoline makes the value
//! out of nothing and calls it; user code needs no `extern "C"` and no `unsafe`.

/// The value of a zero-sized function type, made out of nothing.
///
/// Only function items and capture-less closures get here (the bounds ask for `Fn + Copy`, and
/// users cannot implement `Fn` themselves); both are zero-sized and have no invariant, so any
/// value of them is the value.
pub(crate) fn fn_value<F: Copy>() -> F {
    const {
        assert!(
            std::mem::size_of::<F>() == 0,
            "hooks must be functions or closures that capture nothing"
        )
    };
    // SAFETY: F is a zero-sized function item or closure type (checked above): it has exactly one
    // value, and reading a zero-sized value through a dangling, aligned pointer is allowed.
    unsafe { std::ptr::NonNull::<F>::dangling().as_ptr().read() }
}
