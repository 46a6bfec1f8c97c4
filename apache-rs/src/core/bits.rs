//! Sets of C flag bits as Rust types: httpd's directive contexts, APR's file-information
//! fields, httpd's method masks. Each is a newtype over the integer C uses, with named
//! constants, `|` and the few operations callers need, written once here.

/// Defines a flag-set newtype: `bit_set!(/// doc, Name(u32) { /// doc, CONST = value, ... })`.
macro_rules! bit_set {
    (
        $(#[$doc:meta])*
        $name:ident($bits:ty) {
            $( $(#[$cdoc:meta])* $flag:ident = $value:expr; )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name($bits);

        impl $name {
            $( $(#[$cdoc])* pub const $flag: $name = $name($value as $bits); )*

            /// The empty set.
            pub const NONE: $name = $name(0);

            /// The set of these bits, as C writes it.
            pub const fn from_bits(bits: $bits) -> $name {
                $name(bits)
            }

            /// The bits, as C reads them.
            pub const fn bits(self) -> $bits {
                self.0
            }

            /// This set and `other`'s members: `|` for a `const`.
            pub const fn union(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }

            /// Whether every member of `other` is in this set.
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }
        }

        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, other: $name) -> $name {
                self.union(other)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, other: $name) {
                *self = self.union(other);
            }
        }

        /// The bits as a number, as C code and logs show them.
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

pub(crate) use bit_set;
