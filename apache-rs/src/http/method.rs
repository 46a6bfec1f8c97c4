//! HTTP methods as httpd numbers them (`M_GET` 0, `M_PUT` 1, `M_POST` 2, ...), and sets of
//! them ([`MethodMask`]).

use crate::core::bits::bit_set;
use crate::http::Request;
use apache_sys as ffi;

bit_set! {
    /// A set of the methods httpd knows by number: `r->allowed` and the mask of
    /// `r->allowed_methods`, where method `M_X` is the bit `1 << M_X`.
    ///
    /// ```
    /// use apache::http::MethodMask;
    /// let read = MethodMask::GET | MethodMask::OPTIONS;
    /// assert!(read.contains(MethodMask::of(apache::ffi::M_GET as i32)));
    /// assert_eq!(read.to_string(), "33"); // as C prints the mask
    /// ```
    MethodMask(u64) {
        /// `GET` (and `HEAD`).
        GET = 1u64 << ffi::M_GET;
        /// `PUT`.
        PUT = 1u64 << ffi::M_PUT;
        /// `POST`.
        POST = 1u64 << ffi::M_POST;
        /// `DELETE`.
        DELETE = 1u64 << ffi::M_DELETE;
        /// `CONNECT`.
        CONNECT = 1u64 << ffi::M_CONNECT;
        /// `OPTIONS`.
        OPTIONS = 1u64 << ffi::M_OPTIONS;
        /// `TRACE`.
        TRACE = 1u64 << ffi::M_TRACE;
        /// `PATCH`.
        PATCH = 1u64 << ffi::M_PATCH;
    }
}

impl MethodMask {
    /// The set of the one method numbered `method_number` (`Request::method_number`); empty
    /// for a number httpd gives no bit (an extension method).
    pub const fn of(method_number: i32) -> MethodMask {
        if 0 <= method_number && method_number < 64 {
            MethodMask::from_bits(1 << method_number)
        } else {
            MethodMask::NONE
        }
    }
}

impl Request {
    /// The method number (`M_GET` is 0, `M_POST` 2, ...; see `apache::ffi::M_*`).
    pub fn method_number(&self) -> i32 {
        self.raw().method_number
    }
}
