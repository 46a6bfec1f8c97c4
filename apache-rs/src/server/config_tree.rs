//! The configuration as httpd read it (`ap_conftree`): every directive with its arguments,
//! sections holding theirs.

use crate::core::strings;
use crate::server::Server;
use apache_sys as ffi;
use std::marker::PhantomData;

/// One directive of the configuration httpd read (`ap_directive_t`): a section such as
/// `<Directory /srv>` has the directives inside it as children.
#[derive(Clone, Copy)]
pub struct ConfigNode<'a> {
    raw: *const ffi::ap_directive_t,
    _config: PhantomData<&'a Server>,
}

impl<'a> ConfigNode<'a> {
    pub(super) fn at(p: *const ffi::ap_directive_t) -> Option<ConfigNode<'a>> {
        (!p.is_null()).then_some(ConfigNode {
            raw: p,
            _config: PhantomData,
        })
    }

    fn raw(&self) -> &'a ffi::ap_directive_t {
        // SAFETY: the tree lives in the configuration pool for the whole generation ('a, the
        // borrow of a server of it) and is not changed after it is read.
        unsafe { &*self.raw }
    }

    /// The directive's name as written; a section's begins with `<` (`<Directory`).
    pub fn directive(&self) -> &'a str {
        // SAFETY: configuration string (see raw).
        unsafe { strings::to_str(self.raw().directive) }.unwrap_or("")
    }

    /// The directive's arguments as written; a section's end with `>`.
    pub fn args(&self) -> &'a str {
        // SAFETY: as above.
        unsafe { strings::to_str(self.raw().args) }.unwrap_or("")
    }

    /// The file the directive was read from.
    pub fn filename(&self) -> Option<&'a str> {
        // SAFETY: as above.
        unsafe { strings::to_str(self.raw().filename) }
    }

    /// Its line in [`ConfigNode::filename`].
    pub fn line_num(&self) -> i32 {
        self.raw().line_num
    }

    /// The first directive inside this section.
    pub fn first_child(&self) -> Option<ConfigNode<'a>> {
        ConfigNode::at(self.raw().first_child)
    }

    /// The directive after this one at the same level.
    pub fn next(&self) -> Option<ConfigNode<'a>> {
        ConfigNode::at(self.raw().next)
    }

    /// The directives inside this section, in order.
    pub fn children(&self) -> impl Iterator<Item = ConfigNode<'a>> {
        std::iter::successors(self.first_child(), ConfigNode::next)
    }
}
