//! What httpd's core module and other modules configured for a request: `SetHandler`,
//! `EnableSendfile`, and any module's per-directory structure by name.

use crate::core::strings;
use crate::http::Request;
use apache_sys as ffi;
use std::os::raw::c_void;

/// http_core.h's `ENABLE_SENDFILE_ON` (a macro bindgen's allowlist does not carry).
const ENABLE_SENDFILE_ON: std::os::raw::c_uint = 1;

impl Request {
    /// Another module's per-directory configuration for this request, by the module's name as
    /// `<IfModule>` knows it (`mod_mime.c`); `None` when no such module is loaded or it keeps
    /// none. What the pointer points to is that module's own (C) structure: reading it is
    /// `unsafe` and needs that module's definition. For core's settings used most, see
    /// [`Request::configured_handler`].
    pub fn module_dir_config_raw(
        &self,
        module: &std::ffi::CStr,
    ) -> Option<std::ptr::NonNull<c_void>> {
        // SAFETY: looks a module up by name in httpd's list; read-only.
        let m = unsafe { ffi::ap_find_linked_module(module.as_ptr()) };
        if m.is_null() {
            return None;
        }
        // SAFETY: the request's vector has a slot for every loaded module.
        std::ptr::NonNull::new(unsafe { ffi::get_module_config(self.raw().per_dir_config, m) })
    }

    /// Whether `EnableSendfile On` applies to the request (core's per-directory setting; httpd's
    /// default is off). [`Request::sendfile`] follows it, as core's own file serving does.
    pub fn sendfile_enabled(&self) -> bool {
        // SAFETY: core's per-directory configuration is present in every vector and lives in a
        // configuration pool, longer than the request.
        let core = unsafe {
            ffi::ap_get_core_module_config(self.raw().per_dir_config) as *const ffi::core_dir_config
        };
        // SAFETY: as above; a bit field read through bindgen's accessor.
        !core.is_null() && unsafe { (*core).enable_sendfile() } == ENABLE_SENDFILE_ON
    }

    /// The handler `SetHandler` names in the configuration that applies to the request so
    /// far (core's per-directory setting), before httpd makes it `handler()` in the type
    /// checker phase; `None` when no `SetHandler` applies. (`SetHandler` takes an expression
    /// since httpd 2.4.19; it is evaluated for this request.)
    pub fn configured_handler(&self) -> Option<&str> {
        // SAFETY: core's per-directory configuration is present in every vector and lives in a
        // configuration pool, longer than the request.
        let core = unsafe {
            ffi::ap_get_core_module_config(self.raw().per_dir_config) as *const ffi::core_dir_config
        };
        if core.is_null() {
            return None;
        }
        // SAFETY: as above.
        let (plain, expr) = unsafe { ((*core).handler, (*core).expr_handler) };
        if !plain.is_null() || expr.is_null() {
            // SAFETY: a configuration string or NULL.
            return unsafe { strings::to_str(plain) };
        }
        let mut err: *const std::os::raw::c_char = std::ptr::null();
        // SAFETY: a parsed string expression evaluated against this request; the result is
        // allocated in the request pool.
        let value = unsafe { ffi::ap_expr_str_exec(self.as_ptr(), expr, &mut err) };
        // SAFETY: NULL or a request-pool string.
        unsafe { strings::to_str(value) }
    }
}
