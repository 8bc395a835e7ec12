//! What SDK models are made of: extensible string enums, the three-state [`Nullable`] field
//! of JSON merge-patch, and serde helpers for the wire formats services use.
//!
//! # Extensible enums
//!
//! [`string_enum!`](crate::string_enum) declares a string-valued enum that matches names and
//! values case-insensitively and keeps values it does not know in an `UnknownValue(String)`
//! variant, so an SDK keeps working when a service adds a value (the seed's
//! `CaseInsensitiveEnumMeta`, with the reference's case-sensitive value lookup fixed; see
//! ARCHITECTURE.md, deviation 8).
//!
//! # The NULL sentinel
//!
//! A JSON merge-patch body (RFC 7396) tells "leave unchanged" (field absent) from "delete"
//! (field `null`). [`Nullable`] has the three states, and
//! `#[serde(default, skip_serializing_if = "Nullable::is_absent")]` is all a field needs.
//!
//! # Wire formats
//!
//! Each module below is a serde `with` module and also offers plain `format` and `parse`
//! functions:
//!
//! | Module | Rust type | Wire |
//! |---|---|---|
//! | [`rfc3339`] | [`SystemTime`](std::time::SystemTime) | `"2020-01-02T03:04:05.123456Z"` |
//! | [`rfc7231`] | [`SystemTime`](std::time::SystemTime) | `"Sun, 06 Nov 1994 08:49:37 GMT"` |
//! | [`unix_time`] | [`SystemTime`](std::time::SystemTime) | `1577934245` |
//! | [`duration`] | [`Duration`](std::time::Duration) | `"P1DT02H03M04.5S"` (ISO 8601) |
//! | [`base64`] | bytes | `"AP/+"` (standard alphabet, padded) |
//! | [`base64url`] | bytes | `"AP_-"` (URL-safe alphabet, unpadded) |
//!
//! [`Date`] (`"2021-05-12"`) and [`TimeOfDay`] (`"11:22:33.444444"`) are types of their own,
//! serialized as those strings.
//!
//! # XML models
//!
//! With the `xml` feature, the `xml` module reads and writes serde models as XML, text kept
//! exactly as sent (quick-xml's own deserializer trims it); `Request::with_xml` and
//! clientcore's `Response::xml` use it.

mod bytes;
mod calendar;
mod enums;
mod nullable;
mod time;
#[cfg(feature = "xml")]
#[cfg_attr(docsrs, doc(cfg(feature = "xml")))]
pub mod xml;

pub use self::bytes::{base64, base64url};
pub use self::calendar::{Date, TimeOfDay};
pub use self::nullable::Nullable;
pub use self::time::{duration, rfc3339, rfc7231, unix_time};

// The macro names serde through this path, so SDK crates need no serde import of their own.
#[doc(hidden)]
pub use serde as __serde;
