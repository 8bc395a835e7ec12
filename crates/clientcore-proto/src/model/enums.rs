//! `string_enum!`: case-insensitive, extensible string enums.

/// Declares a string-valued enum that is case-insensitive and keeps unknown values.
///
/// Each variant names its wire value. The macro adds a catch-all `UnknownValue(String)`
/// variant and generates:
///
/// - [`FromStr`](std::str::FromStr) (infallible), `From<&str>` and `From<String>`: a string
///   matches a variant when it equals the variant's **value or name**, ignoring ASCII case;
///   anything else becomes `UnknownValue` with the string kept as sent.
/// - [`Display`](std::fmt::Display), [`AsRef<str>`] and `as_str()`: the wire value (for
///   `UnknownValue`, the string it holds).
/// - `Serialize` and `Deserialize` as a JSON string.
/// - `PartialEq<str>` and `PartialEq<&str>`, comparing the value ignoring ASCII case.
/// - `KNOWN`: the declared variants, in order.
///
/// The reference's `CaseInsensitiveEnumMeta` looks names up case-insensitively only when they
/// are upper case and values not at all, and fails on unknown values; clientcore matches both
/// ways and never fails (ARCHITECTURE.md, deviation 8). `UnknownValue` is named so that it
/// cannot clash with a service value `Unknown`.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// clientcore::string_enum! {
///     /// The kind of a storage account.
///     pub enum AccountKind {
///         /// General purpose v2.
///         StorageV2 = "StorageV2",
///         /// Blob storage.
///         BlobStorage = "BlobStorage",
///     }
/// }
///
/// let k: AccountKind = "storagev2".parse().unwrap();
/// assert_eq!(k, AccountKind::StorageV2);
/// assert_eq!(k.to_string(), "StorageV2");
/// assert_eq!(AccountKind::from("BLOBSTORAGE"), AccountKind::BlobStorage);
///
/// let new = AccountKind::from("FileStorage");
/// assert_eq!(new, AccountKind::UnknownValue("FileStorage".into()));
/// assert_eq!(new.as_str(), "FileStorage");
///
/// let json = serde_json::to_string(&AccountKind::StorageV2).unwrap();
/// assert_eq!(json, r#""StorageV2""#);
/// let back: AccountKind = serde_json::from_str(r#""blobstorage""#).unwrap();
/// assert_eq!(back, AccountKind::BlobStorage);
/// ```
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $value:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
            /// A value this version does not know, kept as the service sent it.
            UnknownValue(::std::string::String),
        }

        #[allow(dead_code, reason = "generated for every enum; not all are used")]
        impl $name {
            /// The declared variants, in order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $value,)+
                    $name::UnknownValue(s) => s.as_str(),
                }
            }

            /// The variant whose value or name equals `s`, ignoring ASCII case.
            pub fn known(s: &str) -> ::std::option::Option<Self> {
                $(
                    if s.eq_ignore_ascii_case($value)
                        || s.eq_ignore_ascii_case(::std::stringify!($variant))
                    {
                        return ::std::option::Option::Some($name::$variant);
                    }
                )+
                ::std::option::Option::None
            }

            /// Whether this is a declared variant rather than `UnknownValue`.
            pub fn is_known(&self) -> bool {
                !::std::matches!(self, $name::UnknownValue(_))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(
                    Self::known(s).unwrap_or_else(|| $name::UnknownValue(s.to_owned())),
                )
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::known(s).unwrap_or_else(|| $name::UnknownValue(s.to_owned()))
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(s: ::std::string::String) -> Self {
                Self::known(&s).unwrap_or($name::UnknownValue(s))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::cmp::PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str().eq_ignore_ascii_case(other)
            }
        }

        impl ::std::cmp::PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str().eq_ignore_ascii_case(other)
            }
        }

        impl $crate::model::__serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: $crate::model::__serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::model::__serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: $crate::model::__serde::Deserializer<'de>,
            {
                let s = <::std::string::String as $crate::model::__serde::Deserialize>
                    ::deserialize(deserializer)?;
                ::std::result::Result::Ok($name::from(s))
            }
        }
    };
}
