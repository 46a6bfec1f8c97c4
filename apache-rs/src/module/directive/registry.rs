//! The table of this module's directives, as httpd reads it from the `module` struct.
//!
//! The directive table httpd reads must be complete when `LoadModule` returns, before
//! `register_hooks` runs. Each directive is added by a constructor at dlopen ([`register`]), and
//! every addition republishes the whole table into the module struct ([`publish`]): constructors
//! run in no set order, and whichever runs last leaves the table complete.

use apache_sys as ffi;
use std::sync::Mutex;

/// A directive's `command_rec`, sendable so it can sit in the registry.
#[doc(hidden)]
pub struct CommandRec(pub ffi::command_rec);

// SAFETY: a command_rec holds pointers to 'static strings and functions only.
unsafe impl Send for CommandRec {}

struct Table {
    entries: Vec<CommandRec>,
    published: Option<Published>,
}

/// The table last written into the module struct.
struct Published(&'static mut [ffi::command_rec]);

// SAFETY: only touched under the registry lock, inside dlopen.
unsafe impl Send for Published {}

static REGISTRY: Mutex<Table> = Mutex::new(Table {
    entries: Vec::new(),
    published: None,
});

/// Adds a directive to this module's table; called from constructors emitted by the directive
/// macros, so it runs inside dlopen.
#[doc(hidden)]
pub fn register(rec: CommandRec) {
    let mut t = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let name = rec.0.name;
    // A DSO that stayed mapped across a restart does not rerun constructors; a duplicate here
    // would only come from registering the same static twice, which is harmless to skip.
    if !t.entries.iter().any(|e| e.0.name == name) {
        t.entries.push(rec);
    }
    drop(t);
    publish();
}

/// Writes the current directive table (with its NULL terminator) into the module struct, once
/// the module's own constructor has run.
#[doc(hidden)]
pub fn publish() {
    let module = crate::core::identity::this_module();
    if module.is_null() {
        return;
    }
    let mut t = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let mut table: Vec<ffi::command_rec> = t.entries.iter().map(|e| e.0).collect();
    table.push(ffi::command_rec_end());
    let table: &'static mut [ffi::command_rec] = Box::leak(table.into_boxed_slice());
    // SAFETY: constructors run single-threaded inside dlopen, before httpd reads `cmds`.
    unsafe { (*module).cmds = table.as_ptr() };
    if let Some(Published(old)) = t.published.replace(Published(table)) {
        // SAFETY: the old table was made by Box::leak above and httpd has not read it yet:
        // publishing only happens inside dlopen.
        drop(unsafe { Box::from_raw(old as *mut [ffi::command_rec]) });
    }
}
