//! The one list of [`Options`](super::Options)' knobs turned into code: from a knob's line
//! the macro below makes its field, its part in the merge (`overwrite`), in the emptiness
//! test (`is_empty`) and in `Debug`, so that a knob cannot be merged but forgotten in `Debug`,
//! or the reverse.
//!
//! Each knob names how it merges and shows:
//!
//! | Kind | Type | Merge (`over` on `base`) | Unset when | `Debug` |
//! |---|---|---|---|---|
//! | `set` | `Option<T>` | `over`'s value wins when set | `None` | the value |
//! | `opaque` | `Option<T>` | `over`'s value wins when set | `None` | `<set>` (closures, sinks) |
//! | `merged(f)` | `Option<T>` | `f(base, over)` | `None` | the value |
//! | `list` | `Vec<T>` | `over`'s items appended | empty | how many |
//! | `headers` | `HeaderMap` | `over`'s names replace `base`'s | empty | values redacted unless allow-listed |
//!
//! A value whose `Debug` could hold a secret must hide it itself (a credential, a proxy URL
//! with a password) or be a `list` or `opaque` knob.

/// Declares the option groups and their knobs, and generates `Options`, one struct per group,
/// `Options::overwrite`, `Options::is_empty` and `Debug for Options`. Groups after the `;`
/// are types of their own that bring `overwrite`, `is_empty` and `Debug` (as `RetryOptions`).
macro_rules! knobs {
    (
        $(#[$odoc:meta])*
        pub struct $Options:ident;
        $(
            $(#[$gdoc:meta])*
            $group:ident: $Group:ident {
                $( $(#[$fdoc:meta])* $field:ident: $ty:ty = $kind:ident $(($with:path))?, )*
            }
        )*
        ;
        $( $(#[$sdoc:meta])* $own:ident: $Own:ty, )*
    ) => {
        $(
            $(#[$gdoc])*
            #[derive(Clone, Default)]
            pub(crate) struct $Group {
                $( $(#[$fdoc])* pub(crate) $field: $ty, )*
            }
        )*

        $(#[$odoc])*
        #[derive(Clone, Default)]
        pub struct $Options {
            $( $(#[$gdoc])* pub(crate) $group: $Group, )*
            $( $(#[$sdoc])* pub(crate) $own: $Own, )*
        }

        impl $Options {
            /// Merges `over` on top of `self`: every knob `over` sets wins, except that
            /// headers, cookies, span attributes and policies are appended (a header set in
            /// both takes `over`'s value), a call's `User-Agent` text goes in front of the
            /// client's, and error maps and retry settings are merged entry by entry.
            #[must_use]
            pub fn overwrite(&self, over: &$Options) -> $Options {
                let mut out = self.clone();
                $( $(
                    knob_merge!(
                        $kind $(($with))?,
                        out.$group.$field,
                        self.$group.$field,
                        over.$group.$field
                    );
                )* )*
                $( out.$own = self.$own.overwrite(&over.$own); )*
                out
            }

            /// Whether no option is set: a call with these options uses its client's as
            /// they are.
            pub fn is_empty(&self) -> bool {
                true $( $( && knob_unset!($kind, self.$group.$field) )* )*
                    $( && self.$own.is_empty() )*
            }
        }

        /// Only what is set, and never a header value that is not allow-listed.
        impl std::fmt::Debug for $Options {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let redactor = self.redactor();
                let mut d = f.debug_struct(stringify!($Options));
                $( $(
                    if !knob_unset!($kind, self.$group.$field) {
                        d.field(
                            concat!(stringify!($group), ".", stringify!($field)),
                            &knob_debug!($kind, &self.$group.$field, &redactor),
                        );
                    }
                )* )*
                $(
                    if !self.$own.is_empty() {
                        d.field(stringify!($own), &self.$own);
                    }
                )*
                d.finish_non_exhaustive()
            }
        }
    };
}

/// One knob's part in the merge: `$out` starts as `$base`, and `$over` is laid on it.
macro_rules! knob_merge {
    (set, $out:expr, $base:expr, $over:expr) => {
        if $over.is_some() {
            $out.clone_from(&$over);
        }
    };
    (opaque, $out:expr, $base:expr, $over:expr) => {
        knob_merge!(set, $out, $base, $over)
    };
    (merged($with:path), $out:expr, $base:expr, $over:expr) => {
        $out = $with(&$base, &$over)
    };
    (list, $out:expr, $base:expr, $over:expr) => {
        $out.extend($over.iter().cloned())
    };
    (headers, $out:expr, $base:expr, $over:expr) => {
        $crate::options::knobs::merge_headers(&mut $out, &$over)
    };
}

/// Whether one knob is unset.
macro_rules! knob_unset {
    (set, $v:expr) => {
        $v.is_none()
    };
    (opaque, $v:expr) => {
        $v.is_none()
    };
    (merged, $v:expr) => {
        $v.is_none()
    };
    (list, $v:expr) => {
        $v.is_empty()
    };
    (headers, $v:expr) => {
        $v.is_empty()
    };
}

/// What `Debug` shows of one knob that is set.
macro_rules! knob_debug {
    (set, $v:expr, $redactor:expr) => {
        $crate::options::knobs::Shown($v)
    };
    (merged, $v:expr, $redactor:expr) => {
        $crate::options::knobs::Shown($v)
    };
    (opaque, $v:expr, $redactor:expr) => {
        format_args!("<set>")
    };
    (list, $v:expr, $redactor:expr) => {
        $v.len()
    };
    (headers, $v:expr, $redactor:expr) => {
        $crate::error::DebugHeaders($v, $redactor)
    };
}

/// A set knob's value, without the `Some(…)` around it (only set knobs are shown).
pub(super) struct Shown<'a, T>(pub(super) &'a Option<T>);

impl<T: std::fmt::Debug> std::fmt::Debug for Shown<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(v) => v.fmt(f),
            None => f.write_str("None"),
        }
    }
}

/// `over`'s headers laid on `out`: a name `over` sets loses all of `out`'s values for it, and
/// takes all of `over`'s.
pub(super) fn merge_headers(out: &mut http::HeaderMap, over: &http::HeaderMap) {
    for name in over.keys() {
        out.remove(name);
    }
    for (name, value) in over {
        out.append(name.clone(), value.clone());
    }
}
