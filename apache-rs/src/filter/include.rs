//! Server-side include elements: new `<!--#name attribute="value" -->` elements of
//! mod_include's `INCLUDES` filter, handled by Rust functions.
//!
//! mod_include parses the pages its filter sees and hands each element to the handler
//! registered under the element's name. It lets other modules add elements through three
//! optional functions (mod_include.h): `ap_register_include_handler` to add one,
//! `ap_ssi_get_tag_and_value` to read an element's attributes, `ap_ssi_parse_string` to expand
//! `$VARIABLES` in a text. This module wraps them: a function `Fn(&mut Element) -> ElementResult`
//! registered with [`Registrar::include_element`] is called for every element of its name, and
//! reads its attributes, writes where the element stood, or reports an error as mod_include's
//! own elements do, through the [`Element`] it is given.
//!
//! ```no_run
//! use apache::filter::include::{Element, ElementResult};
//! use apache::core::logging::{log, Level};
//!
//! apache::module!(greet_module);
//! apache::hook!(register, |reg| reg.include_element(c"greet", greet));
//!
//! /// `<!--#greet name="World" -->` becomes `Hello, World!`.
//! fn greet(e: &mut Element) -> ElementResult {
//!     let mut name = None;
//!     for (attribute, value) in e.attributes() {
//!         if attribute == "name" {
//!             name = Some(value);
//!         }
//!     }
//!     match name {
//!         Some(name) => e.write(format!("Hello, {name}!").as_bytes()),
//!         None => {
//!             log(Level::Error, "greet: no name");
//!             e.error();
//!         }
//!     }
//!     Ok(())
//! }
//! # fn main() {}
//! ```
//!
//! # When handlers run
//! mod_include makes its table of elements anew each time httpd reads its configuration (in its
//! `post_config` hook, which runs first), so apache-rs hands the element to mod_include in a
//! `post_config` hook of its own, after mod_include's. Without mod_include loaded nothing is
//! registered, and there is no `INCLUDES` filter to find the elements anyway.
//!
//! A handler runs only where the page is printing: an element inside an `<!--#if -->` whose
//! condition is false is skipped without calling it, as mod_include's own elements are.
//! `Options IncludesNOEXEC` forbids elements that run programs; a handler that runs code checks
//! [`Element::exec_allowed`] and reports an error when it is not.
//!
//! # Errors and panics
//! An element the handler cannot serve (a missing attribute, code that failed) is logged by the
//! handler and shown with [`Element::error`], which writes mod_include's error text (`[an error
//! occurred while processing this directive]`, or what `<!--#config errmsg="..." -->` set) in
//! the element's place; the handler then returns `Ok` and the rest of the page is served. An
//! `Err` ends mod_include's filter with that status, cutting the response short: keep it for
//! failures of the output itself. A panic is logged with its location against the request and
//! shown as an error, and the page goes on.
//!
//! The `INCLUDES` filter instance belongs to mod_include (its state is mod_include's), so an
//! element handler is given the request and the element, never the [`Filter`](crate::filter::Filter).

use crate::apr::{AprError, Brigade, Pool};
use crate::core::fn_value::fn_value;
use crate::core::{HookResult, NotLent, Status, logging, panic, strings};
use crate::http::Request;
use crate::module::{Order, Registrar};
use crate::server::Server;
use apache_sys as ffi;
use std::any::TypeId;
use std::cell::Cell;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::os::raw::{c_char, c_int};
use std::sync::Mutex;

/// What element handlers return: `Err` ends mod_include's filter with that status (see
/// [Errors and panics](self#errors-and-panics)).
pub type ElementResult = Result<(), AprError>;

/// One element of a page being parsed by mod_include, handed to the handler registered for its
/// name. It is the handler's for the call, on the thread serving the request:
///
/// ```compile_fail,E0277
/// fn send<T: Send>() {}
/// send::<&mut apache::filter::include::Element>();
/// ```
pub struct Element {
    ctx: *mut ffi::include_ctx_t,
    bb: *mut ffi::apr_bucket_brigade,
    _thread: PhantomData<*mut ()>,
}

/// `APR_DECLARE_OPTIONAL_FN(void, ap_register_include_handler, (char *, include_handler_fn_t *))`.
type RegisterFn = unsafe extern "C" fn(*mut c_char, ffi::include_handler_fn_t);
/// `APR_DECLARE_OPTIONAL_FN(void, ap_ssi_get_tag_and_value, (include_ctx_t *, char **, char **, int))`.
type TagAndValueFn =
    unsafe extern "C" fn(*mut ffi::include_ctx_t, *mut *mut c_char, *mut *mut c_char, c_int);
/// `APR_DECLARE_OPTIONAL_FN(char *, ap_ssi_parse_string, (include_ctx_t *, const char *, char *,
/// apr_size_t, int))`.
type ParseStringFn = unsafe extern "C" fn(
    *mut ffi::include_ctx_t,
    *const c_char,
    *mut c_char,
    ffi::apr_size_t,
    c_int,
) -> *mut c_char;

/// mod_include's optional functions, looked up at each use (a hash lookup): after a graceful
/// restart mod_include may be loaded at another address, or not at all.
fn optional_fn(name: &CStr) -> Option<unsafe extern "C" fn()> {
    // SAFETY: a lookup by NUL-terminated name in APR's table of optional functions.
    unsafe { ffi::apr_dynamic_fn_retrieve(name.as_ptr()) }
}

fn register_fn() -> Option<RegisterFn> {
    let f = optional_fn(c"ap_register_include_handler")?;
    // SAFETY: mod_include registers this name with the signature of `RegisterFn`.
    Some(unsafe { std::mem::transmute::<unsafe extern "C" fn(), RegisterFn>(f) })
}

fn tag_and_value_fn() -> Option<TagAndValueFn> {
    let f = optional_fn(c"ap_ssi_get_tag_and_value")?;
    // SAFETY: mod_include registers this name with the signature of `TagAndValueFn`.
    Some(unsafe { std::mem::transmute::<unsafe extern "C" fn(), TagAndValueFn>(f) })
}

fn parse_string_fn() -> Option<ParseStringFn> {
    let f = optional_fn(c"ap_ssi_parse_string")?;
    // SAFETY: mod_include registers this name with the signature of `ParseStringFn`.
    Some(unsafe { std::mem::transmute::<unsafe extern "C" fn(), ParseStringFn>(f) })
}

impl Element {
    fn ctx(&self) -> &ffi::include_ctx_t {
        // SAFETY: mod_include's context for this element lives for the handler's call, on
        // this thread; only mod_include's functions, called from here, change it meanwhile.
        unsafe { &*self.ctx }
    }

    /// The request whose page holds the element.
    pub fn request(&mut self) -> &mut Request {
        // SAFETY: the trampoline checked that the context has a request, which outlives its
        // filters' calls and is served by this thread.
        unsafe { Request::from_raw_mut(self.ctx().r) }
    }

    /// Whether elements may run programs here: `false` under `Options IncludesNOEXEC`.
    pub fn exec_allowed(&self) -> bool {
        self.ctx().flags & ffi::SSI_FLAG_NO_EXEC as c_int == 0
    }

    /// The element's attributes in order, as `(name, value)`, with the value's HTML entities
    /// decoded (`&amp;` is `&`), as mod_include's own elements read them. Bytes that are not
    /// UTF-8 are replaced (U+FFFD). An attribute without a value has an empty one. Each
    /// attribute is handed out once: a second call goes on where the first stopped.
    pub fn attributes(&mut self) -> Attributes<'_> {
        Attributes { element: self }
    }

    /// Writes `data` in the page where the element stands (a copy, added to the output
    /// mod_include passes on).
    pub fn write(&mut self, data: &[u8]) {
        self.output().append_bytes(data);
    }

    /// Has what was written so far sent on to the client now: a flush follows it, and
    /// mod_include passes its output on after this element instead of waiting for more.
    pub fn flush(&mut self) {
        self.output().append_flush();
        // SAFETY: the context is mod_include's for this call, on this thread; `flush_now` is
        // the field it reads after the element to pass its output on.
        unsafe { (*self.ctx).flush_now = 1 };
    }

    /// Writes mod_include's error text in the element's place, as its own elements do for a
    /// mistake (`SSI_CREATE_ERROR_BUCKET`): `[an error occurred while processing this
    /// directive]`, or the text `SSIErrorMsg` or `<!--#config errmsg="..." -->` set.
    pub fn error(&mut self) {
        // SAFETY: NULL or a NUL-terminated string mod_include keeps for the whole page.
        let text = unsafe { strings::to_bytes(self.ctx().error_str) }.unwrap_or_default();
        let text = text.to_vec();
        self.write(&text);
    }

    /// `text` with its variables (`$NAME`, `${NAME}`) replaced by their values, as
    /// mod_include expands attributes (`ap_ssi_parse_string`); undefined ones become empty.
    /// Without mod_include's function (not loaded), `text` as it is.
    pub fn expand_variables(&mut self, text: &str) -> String {
        let Some(parse) = parse_string_fn() else {
            return text.to_string();
        };
        let Ok(input) = std::ffi::CString::new(text) else {
            return text.to_string();
        };
        // SAFETY: with no output buffer mod_include allocates the result in the element's
        // temporary pool (cleared after the element), which outlives this copy; the input is
        // NUL-terminated and only read.
        let out = unsafe {
            parse(
                self.ctx,
                input.as_ptr(),
                std::ptr::null_mut(),
                0,
                ffi::SSI_EXPAND_DROP_NAME as c_int,
            )
        };
        // SAFETY: NULL or a NUL-terminated string in the element's pool.
        let out = unsafe { strings::to_bytes(out) }.unwrap_or_default();
        String::from_utf8_lossy(out).into_owned()
    }

    fn output(&mut self) -> &mut Brigade {
        // SAFETY: the brigade mod_include gave the handler for its output, used by this thread
        // only for the call.
        unsafe { Brigade::from_raw(self.bb) }
    }
}

/// The attributes of an [`Element`], read one by one from mod_include.
pub struct Attributes<'a> {
    element: &'a mut Element,
}

impl Iterator for Attributes<'_> {
    type Item = (String, String);

    fn next(&mut self) -> Option<(String, String)> {
        let get = tag_and_value_fn()?;
        let mut tag: *mut c_char = std::ptr::null_mut();
        let mut value: *mut c_char = std::ptr::null_mut();
        // SAFETY: the element's context, valid for the call; mod_include sets both pointers
        // (NULL after the last attribute) to strings in its own buffers, valid until the
        // element is done, and decodes the value in place.
        unsafe {
            get(
                self.element.ctx,
                &mut tag,
                &mut value,
                ffi::SSI_VALUE_DECODED as c_int,
            )
        };
        // SAFETY: NULL or NUL-terminated strings, as above.
        let (tag, value) = unsafe { (strings::to_bytes(tag)?, strings::to_bytes(value)) };
        Some((
            String::from_utf8_lossy(tag).into_owned(),
            String::from_utf8_lossy(value.unwrap_or_default()).into_owned(),
        ))
    }
}

/// The C function mod_include calls for an element handled by `F`.
unsafe extern "C" fn element_tramp<F>(
    ctx: *mut ffi::include_ctx_t,
    f: *mut ffi::ap_filter_t,
    bb: *mut ffi::apr_bucket_brigade,
) -> ffi::apr_status_t
where
    F: Fn(&mut Element) -> ElementResult + Copy + 'static,
{
    const SUCCESS: ffi::apr_status_t = ffi::APR_SUCCESS as ffi::apr_status_t;
    // SAFETY: mod_include passes its context, its filter and the brigade for the element's
    // output, valid for this call on this thread.
    let (r, flags) = unsafe {
        if ctx.is_null() || f.is_null() || bb.is_null() {
            return SUCCESS;
        }
        ((*ctx).r, (*ctx).flags)
    };
    if r.is_null() || flags & ffi::SSI_FLAG_PRINTING as c_int == 0 {
        return SUCCESS;
    }
    let _scope = logging::Scope::request(r);
    let mut element = Element {
        ctx,
        bb,
        _thread: PhantomData,
    };
    let outcome = panic::guard(
        || Some(fn_value::<F>()(&mut element)),
        |msg| {
            logging::log(logging::Level::Error, &msg);
            None
        },
    );
    match outcome {
        Some(Ok(())) => SUCCESS,
        Some(Err(e)) => e.status(),
        None => {
            element.error();
            SUCCESS
        }
    }
}

/// The element names each handler type was registered under, for the `post_config` hook that
/// hands them to mod_include.
static NAMES: Mutex<Vec<(TypeId, &'static CStr)>> = Mutex::new(Vec::new());

/// The `post_config` hook that registers `F`'s elements with mod_include: its table of
/// elements is made in its own `post_config`, anew at every configuration read.
fn hand_over<F>(_pconf: &Pool, _plog: &Pool, _s: &Server) -> HookResult
where
    F: Fn(&mut Element) -> ElementResult + Copy + 'static,
{
    let Some(register) = register_fn() else {
        return Ok(Status::Ok);
    };
    let names: Vec<&'static CStr> = NAMES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(t, _)| *t == TypeId::of::<F>())
        .map(|(_, n)| *n)
        .collect();
    for name in names {
        // SAFETY: post_config runs in the parent alone, after mod_include's own post_config
        // made its table (the hook is ordered after mod_include.c); the name lives for the
        // program (mod_include keeps the pointer as the table's key and never writes to it)
        // and the trampoline is 'static.
        unsafe { register(name.as_ptr().cast_mut(), Some(element_tramp::<F>)) };
    }
    Ok(Status::Ok)
}

impl Registrar {
    /// Registers `f` as the handler of the server-side include element `name`
    /// (`<!--#name attribute="value" ... -->`); see [the module](self). Names are
    /// lower-case, as mod_include matches them.
    pub fn include_element<F>(&mut self, name: &'static CStr, _f: F)
    where
        F: Fn(&mut Element) -> ElementResult + Copy + 'static,
    {
        {
            let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
            let entry = (TypeId::of::<F>(), name);
            if !names.contains(&entry) {
                names.push(entry);
            }
        }
        self.post_config(hand_over::<F>, Order::MIDDLE.after(&[c"mod_include.c"]));
    }
}

thread_local! {
    static LENT_ELEMENT: Cell<*mut Element> = const { Cell::new(std::ptr::null_mut()) };
}

/// Puts back the previously lent element when a lend ends, even by unwinding.
struct RestoreElement(*mut Element);

impl Drop for RestoreElement {
    fn drop(&mut self) {
        LENT_ELEMENT.with(|l| l.set(self.0));
    }
}

impl Element {
    /// Runs `f` with this element lent to the thread, as [`Request::lend`] does for a request;
    /// `f` reaches it through [`Element::with_lent`]. The element's request is lent too (for
    /// code that reaches it with [`Request::with_lent`]).
    pub fn lend<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let me = self as *mut Element;
        let _restore = RestoreElement(LENT_ELEMENT.with(|l| l.replace(me)));
        self.request().lend(f)
    }

    /// Borrows the element lent to this thread by [`Element::lend`]; while `f` runs it is
    /// taken, so a nested call gets [`NotLent`].
    pub fn with_lent<R>(f: impl FnOnce(&mut Element) -> R) -> Result<R, NotLent> {
        let e = LENT_ELEMENT.with(|l| l.replace(std::ptr::null_mut()));
        if e.is_null() {
            return Err(NotLent);
        }
        let _restore = RestoreElement(e);
        // SAFETY: lent by `lend`, whose caller's &mut borrow is suspended for the whole lend;
        // taken out of the slot, this is the only live reference until it is put back.
        Ok(f(unsafe { &mut *e }))
    }

    /// An identity for this element, comparable with [`Element::lent_id`].
    pub fn id(&self) -> usize {
        self as *const Element as usize
    }

    /// The identity of the element lent to this thread, if any.
    pub fn lent_id() -> Option<usize> {
        let e = LENT_ELEMENT.with(Cell::get);
        (!e.is_null()).then_some(e as usize)
    }
}
