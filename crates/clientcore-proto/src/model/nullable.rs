//! `Nullable<T>`: absent, explicit null, or a value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A field of a JSON merge-patch body (RFC 7396): absent (leave unchanged), explicitly `null`
/// (delete), or a value (set). The seed's `NULL` sentinel is [`Nullable::Null`].
///
/// Put `#[serde(default, skip_serializing_if = "Nullable::is_absent")]` on the field: an
/// absent field is then left out, `Null` is written as `null`, and on the way back a missing
/// field reads as `Absent` and `null` as `Null`.
///
/// Like the reference's `NULL`, `Null` is "falsy": [`is_value`](Self::is_value) is `false`.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::Nullable;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Patch {
///     #[serde(default, skip_serializing_if = "Nullable::is_absent")]
///     description: Nullable<String>,
///     #[serde(default, skip_serializing_if = "Nullable::is_absent")]
///     size: Nullable<u32>,
/// }
///
/// let patch = Patch { description: Nullable::Null, size: 3.into() };
/// assert_eq!(serde_json::to_string(&patch).unwrap(), r#"{"description":null,"size":3}"#);
///
/// let unchanged = Patch::default();
/// assert_eq!(serde_json::to_string(&unchanged).unwrap(), "{}");
///
/// let back: Patch = serde_json::from_str(r#"{"description":null}"#).unwrap();
/// assert!(back.description.is_null());
/// assert!(back.size.is_absent());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nullable<T> {
    /// Not present: the field is left out. Default.
    #[default]
    Absent,
    /// Explicitly `null`.
    Null,
    /// A value.
    Value(T),
}

// ===== impl Nullable =====

impl<T> Nullable<T> {
    /// Whether the field is absent (for `skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// Whether the field is an explicit `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }

    /// Whether the field holds a value.
    pub fn is_value(&self) -> bool {
        matches!(self, Nullable::Value(_))
    }

    /// The value, if any.
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if any; `Absent` and `Null` both give `None`.
    pub fn into_value(self) -> Option<T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// `None` when absent, `Some(None)` when null, `Some(Some(v))` for a value.
    pub fn into_option(self) -> Option<Option<T>> {
        match self {
            Nullable::Absent => None,
            Nullable::Null => Some(None),
            Nullable::Value(v) => Some(Some(v)),
        }
    }

    /// Borrows the value.
    pub fn as_ref(&self) -> Nullable<&T> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(v) => Nullable::Value(v),
        }
    }

    /// Maps the value, keeping `Absent` and `Null`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nullable<U> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(v) => Nullable::Value(f(v)),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Nullable::Value(value)
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    /// `None` is an explicit `null`: an `Option` that was set means "set or delete".
    fn from(value: Option<T>) -> Self {
        value.map_or(Nullable::Null, Nullable::Value)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // Absent is normally skipped; if it is written anyway, null is the only choice.
            Nullable::Absent | Nullable::Null => serializer.serialize_none(),
            Nullable::Value(v) => serializer.serialize_some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A missing field never gets here: `#[serde(default)]` makes it `Absent`.
        Option::<T>::deserialize(deserializer).map(Nullable::from)
    }
}
