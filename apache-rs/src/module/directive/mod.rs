//! Configuration directives: declaring them ([`crate::directive!`]), where they may appear
//! ([`Context`]), and what a directive function is given ([`Directive`]).

pub(crate) mod args;
pub(crate) mod registry;

use crate::apr::Pool;
use crate::core::bits::bit_set;
use crate::core::strings;
use crate::server::Server;
use apache_sys as ffi;
use std::os::raw::c_int;

bit_set! {
    /// Where a directive may appear (httpd's `req_override`): a set of places, combined with
    /// `|`.
    ///
    /// ```
    /// use apache::module::Context;
    /// let anywhere_but_htaccess = Context::RSRC_CONF | Context::ACCESS_CONF;
    /// assert!(anywhere_but_htaccess.contains(Context::ACCESS_CONF));
    /// assert!(!anywhere_but_htaccess.contains(Context::OR_FILEINFO));
    /// ```
    Context(c_int) {
        /// Outside any `<Directory>`/`<Location>`: server and virtual host level.
        RSRC_CONF = ffi::RSRC_CONF;
        /// Inside `<Directory>`, `<Location>`, `<Files>` sections.
        ACCESS_CONF = ffi::ACCESS_CONF;
        /// In `.htaccess` under `AllowOverride Limit`.
        OR_LIMIT = ffi::OR_LIMIT;
        /// In `.htaccess` under `AllowOverride Options`.
        OR_OPTIONS = ffi::OR_OPTIONS;
        /// In `.htaccess` under `AllowOverride FileInfo`.
        OR_FILEINFO = ffi::OR_FILEINFO;
        /// In `.htaccess` under `AllowOverride AuthConfig`.
        OR_AUTHCFG = ffi::OR_AUTHCFG;
        /// In `.htaccess` under `AllowOverride Indexes`.
        OR_INDEXES = ffi::OR_INDEXES;
        /// Anywhere, `.htaccess` included under any `AllowOverride`.
        OR_ALL = ffi::OR_ALL;
        /// Nowhere in `.htaccess`.
        OR_NONE = ffi::OR_NONE;
        /// Run while the configuration is first read (for directives that change how it is
        /// read).
        EXEC_ON_READ = ffi::EXEC_ON_READ;
    }
}

/// Why a directive was refused: httpd shows it as a syntax error with the file and line
/// ("Syntax error on line 12 of /etc/apache2/site.conf: Greeting: ..."), and does not start.
///
/// `?` turns a `String` or `&str` into one:
///
/// ```
/// use apache::module::DirectiveError;
///
/// fn port(text: &str) -> Result<u16, DirectiveError> {
///     Ok(text.parse().map_err(|_| format!("{text:?} is not a port"))?)
/// }
/// assert_eq!(port("x").unwrap_err().to_string(), "\"x\" is not a port");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectiveError(String);

impl DirectiveError {
    /// A refusal saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        DirectiveError(message.into())
    }

    /// What is wrong, as httpd shows it after the directive's name.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DirectiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DirectiveError {}

impl From<String> for DirectiveError {
    fn from(message: String) -> Self {
        DirectiveError(message)
    }
}

impl From<&str> for DirectiveError {
    fn from(message: &str) -> Self {
        DirectiveError(message.to_string())
    }
}

/// The directive being processed (`cmd_parms`).
#[repr(transparent)]
pub struct Directive(
    std::cell::UnsafeCell<ffi::cmd_parms>,
    std::marker::PhantomData<*mut ()>,
);

/// The sections that only decide whether what they hold is read.
const CONDITIONS: [&str; 6] = [
    "IfModule",
    "IfDefine",
    "IfVersion",
    "IfFile",
    "IfDirective",
    "IfSection",
];

impl Directive {
    fn raw(&self) -> &ffi::cmd_parms {
        // SAFETY: httpd owns the struct for the directive call, on this thread.
        unsafe { &*self.0.get() }
    }

    /// The directive's name as declared.
    pub fn name(&self) -> &str {
        // SAFETY: cmd points to our static command_rec.
        unsafe { strings::to_str((*self.raw().cmd).name) }.unwrap_or("")
    }

    /// The server (or virtual host) being configured.
    pub fn server(&self) -> &Server {
        // SAFETY: valid during configuration.
        unsafe { Server::from_raw(self.raw().server) }
    }

    /// The configuration pool (lives until restart).
    pub fn pool(&self) -> &Pool {
        // SAFETY: valid during configuration.
        unsafe { Pool::from_raw(self.raw().pool) }
    }

    /// A pool cleared once the configuration has been read.
    pub fn temp_pool(&self) -> &Pool {
        // SAFETY: valid during configuration.
        unsafe { Pool::from_raw(self.raw().temp_pool) }
    }

    /// The directory or location of the enclosing section; `None` at server level.
    pub fn path(&self) -> Option<&str> {
        // SAFETY: configuration string or NULL.
        unsafe { strings::to_str(self.raw().path) }
    }

    /// The section the directive is in, as written without its `<`: `Location`,
    /// `LocationMatch`, `Directory`, `Files`, `VirtualHost`, `IfModule`, ...; `None` at the top
    /// level of the file (or in `.htaccess`).
    pub fn section(&self) -> Option<&str> {
        // Conditional containers only decide whether their content is read: look past them.
        self.sections()
            .find(|(name, _)| !CONDITIONS.iter().any(|c| c.eq_ignore_ascii_case(name)))
            .map(|(name, _)| name)
    }

    /// The sections holding the directive, innermost first: each one's name without its `<`,
    /// and its arguments as written (`"/srv/www">` for a `<Directory "/srv/www">`).
    fn sections(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        let d = self.raw().directive;
        let mut parent = if d.is_null() {
            std::ptr::null_mut()
        } else {
            // SAFETY: the directive tree lives for the configuration read; parents end in
            // NULL.
            unsafe { (*d).parent }
        };
        std::iter::from_fn(move || {
            if parent.is_null() {
                return None;
            }
            // SAFETY: as above.
            let (name, args) = unsafe {
                (
                    strings::to_str((*parent).directive)?,
                    strings::to_str((*parent).args),
                )
            };
            // SAFETY: as above.
            parent = unsafe { (*parent).parent };
            Some((name.trim_start_matches('<'), args))
        })
    }

    /// The directory the directive applies in, ending in `/`: that of the `<Directory>`
    /// section holding it, looking past `<Files>`, `<FilesMatch>` and conditional sections
    /// (where [`Directive::path`] is the file pattern), or that of the `.htaccess` file it is
    /// in. `None` at server level, in a `<Location>` and in the regular-expression sections.
    pub fn directory(&self) -> Option<String> {
        let with_slash = |d: &str| {
            if d.ends_with('/') {
                d.to_string()
            } else {
                format!("{d}/")
            }
        };
        let mut in_files = false;
        for (name, args) in self.sections() {
            if name.eq_ignore_ascii_case("Directory") {
                if !in_files {
                    // Directly in it: httpd's own (canonical) form of the path.
                    return self.path().map(with_slash);
                }
                let dir = args?.trim_end_matches('>').trim().trim_matches('"');
                return (!dir.starts_with('~')).then(|| with_slash(dir));
            }
            let files =
                name.eq_ignore_ascii_case("Files") || name.eq_ignore_ascii_case("FilesMatch");
            if !files && !CONDITIONS.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                return None;
            }
            in_files |= files;
        }
        // At the top of a tree: the server configuration, or a .htaccess file.
        let (file, _) = self.config_file()?;
        let dir = file.strip_suffix(".htaccess")?;
        self.path().map(|_| with_slash(dir))
    }

    /// The file and line the directive is on.
    pub fn config_file(&self) -> Option<(&str, u32)> {
        let d = self.raw().directive;
        if d.is_null() {
            return None;
        }
        // SAFETY: the directive node lives for the configuration read.
        unsafe { Some((strings::to_str((*d).filename)?, (*d).line_num as u32)) }
    }

    /// Refuses the directive in the given places (`ap_check_cmd_context` with
    /// `NOT_IN_VIRTUALHOST`, `NOT_IN_DIRECTORY`, `GLOBAL_ONLY`, ... from `apache::ffi`).
    pub fn check_context(&self, forbidden: u32) -> Result<(), DirectiveError> {
        // SAFETY: valid cmd_parms; the returned message is a static or pool string.
        let err = unsafe { ffi::ap_check_cmd_context(self.0.get(), forbidden) };
        // SAFETY: as above.
        match unsafe { strings::to_str(err) } {
            None => Ok(()),
            Some(msg) => Err(msg.into()),
        }
    }
}

/// Declares a configuration directive, from anywhere in the module's crate.
///
/// `directive!(Name, kind, function, context, "help")` where `kind` is one of `no_args`,
/// `raw_args`, `take1`, `take2`, `take12`, `take3`, `take13`, `take23`, `take123`, `flag`,
/// `iterate`, `iterate2`, `take_argv` (the words as `&[&str]`), and `function` is
/// `fn(&mut Directive, &mut DirConfig, args...) -> Result<(), DirectiveError>` changing the
/// section's per-directory configuration, of the `dir_config` type [`crate::module!`] gave
/// (through the `ThisModule` it defines at the crate root). Prefix the name with `server`
/// for a directive that changes the per-server configuration instead. An `Err` is shown by
/// httpd as a syntax error with the file and line.
///
/// ```no_run
/// use apache::module::{Context, Directive, DirectiveError, ModuleConfig};
///
/// #[derive(Default)]
/// struct Conf { greeting: Option<String> }
/// impl ModuleConfig for Conf {
///     fn create(_: Option<&str>) -> Self { Conf::default() }
///     fn merge(base: &Self, add: &Self) -> Self {
///         Conf { greeting: add.greeting.clone().or_else(|| base.greeting.clone()) }
///     }
/// }
///
/// apache::module!(greet_module, dir_config: Conf);
/// apache::directive!(Greeting, take1, set_greeting, Context::RSRC_CONF | Context::ACCESS_CONF, "the greeting");
///
/// fn set_greeting(_: &mut Directive, conf: &mut Conf, text: &str) -> Result<(), DirectiveError> {
///     conf.greeting = Some(text.to_string());
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[macro_export]
// `crate::ThisModule` is meant: the module's own crate, where module! defined it.
#[allow(clippy::crate_in_macro_def)]
macro_rules! directive {
    (server $name:ident, $kind:ident, $f:expr, $ctx:expr, $help:literal) => {
        $crate::directive!(@emit $name, [$crate::__private::server::$kind], $f, $ctx, $help);
    };
    ($name:ident, $kind:ident, $f:expr, $ctx:expr, $help:literal) => {
        $crate::directive!(@emit $name, [$crate::__private::$kind], $f, $ctx, $help);
    };
    (@emit $name:ident, [$($ctor:tt)*], $f:expr, $ctx:expr, $help:literal) => {
        const _: () = {
            #[used]
            #[unsafe(link_section = ".init_array")]
            static __APACHE_RS_DIRECTIVE: extern "C" fn() = {
                extern "C" fn ctor() {
                    let name = match ::std::ffi::CStr::from_bytes_with_nul(concat!(stringify!($name), "\0").as_bytes()) {
                        Ok(s) => s,
                        Err(_) => return,
                    };
                    let help = match ::std::ffi::CStr::from_bytes_with_nul(concat!($help, "\0").as_bytes()) {
                        Ok(s) => s,
                        Err(_) => return,
                    };
                    $crate::__private::register($($ctor)*::<crate::ThisModule, _>(name, $f, $ctx, help));
                }
                ctor
            };
        };
    };
}
