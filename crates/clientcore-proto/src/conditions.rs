//! Conditional requests: [`MatchConditions`] and [`ETag`].
//!
//! azure-core has the seed's `MatchConditions` enum but no code that turns it into headers;
//! generated SDK code does that (`prep_if_match`, `prep_if_none_match`) and extends the
//! operation's error map so a failed precondition says what failed. [`Conditional::new`] is
//! that code, in one place:
//!
//! | Condition | Header | 412 means |
//! |---|---|---|
//! | `Unconditionally` | none | (no entry) |
//! | `IfNotModified` | `If-Match: <etag>` | [`ResourceModified`](ErrorKind::ResourceModified) |
//! | `IfModified` | `If-None-Match: <etag>` | (a 304 is [`ResourceNotModified`](ErrorKind::ResourceNotModified)) |
//! | `IfPresent` | `If-Match: *` | [`ResourceNotFound`](ErrorKind::ResourceNotFound) |
//! | `IfMissing` | `If-None-Match: *` | [`ResourceExists`](ErrorKind::ResourceExists) |
//!
//! A condition that needs an ETag and has none is an error before anything is sent. The ETag
//! is sent byte-for-byte as the service gave it (Azure Tables' weak ETags hold URL-encoded
//! characters, and re-encoding them breaks the match); only an unquoted tag is quoted, as the
//! generated `quote_etag` does.
//!
//! A 304 answers a conditional GET: by default (every status below 400 succeeds) it is a
//! normal response, to be checked with `status()`; an operation that lists its success
//! statuses (`Options::with_success_statuses(&[200])`) gets a `ResourceNotModified` error
//! instead, as generated code does.

use std::fmt;
use std::str::FromStr;

use http::header::{IF_MATCH, IF_NONE_MATCH};
use http::{HeaderMap, HeaderValue};

use crate::error::{Error, ErrorKind, ErrorMap};
use crate::options::Options;

/// The seed's match conditions for a conditional request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MatchConditions {
    /// No condition. Default.
    #[default]
    Unconditionally,
    /// Only if the resource still has this ETag (`If-Match: <etag>`): optimistic concurrency.
    IfNotModified,
    /// Only if the resource changed since this ETag (`If-None-Match: <etag>`): caching.
    IfModified,
    /// Only if the resource exists (`If-Match: *`).
    IfPresent,
    /// Only if the resource does not exist (`If-None-Match: *`): create, never overwrite.
    IfMissing,
}

impl MatchConditions {
    /// The name, as the seed spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchConditions::Unconditionally => "Unconditionally",
            MatchConditions::IfNotModified => "IfNotModified",
            MatchConditions::IfModified => "IfModified",
            MatchConditions::IfPresent => "IfPresent",
            MatchConditions::IfMissing => "IfMissing",
        }
    }
}

impl fmt::Display for MatchConditions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entity tag (RFC 9110 §8.8.3), kept exactly as the service sent it.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::conditions::ETag;
///
/// let strong = ETag::new("\"0x8D9\"");
/// let weak: ETag = "W/\"datetime'2024-01-01T00%3A00%3A00Z'\"".parse().unwrap();
/// assert!(weak.is_weak());
/// assert_eq!(weak.tag(), "datetime'2024-01-01T00%3A00%3A00Z'");
/// // Sent back byte-for-byte, never re-encoded.
/// assert_eq!(weak.as_str(), "W/\"datetime'2024-01-01T00%3A00%3A00Z'\"");
///
/// assert!(strong.weak_eq(&ETag::new("W/\"0x8D9\"")));
/// assert!(!strong.strong_eq(&ETag::new("W/\"0x8D9\"")));
/// // An unquoted tag is quoted when sent, as generated code's `quote_etag` does.
/// assert_eq!(ETag::new("0x8D9").to_header_value().unwrap(), "\"0x8D9\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ETag(String);

// ===== impl ETag =====

impl ETag {
    /// An ETag as received (`"abc"`, `W/"abc"`, or a bare `abc` some services send).
    pub fn new(raw: impl Into<String>) -> Self {
        ETag(raw.into())
    }

    /// A strong ETag with opaque tag `tag` (quoted here).
    pub fn strong(tag: &str) -> Self {
        ETag(format!("\"{tag}\""))
    }

    /// A weak ETag with opaque tag `tag` (`W/"tag"`).
    pub fn weak(tag: &str) -> Self {
        ETag(format!("W/\"{tag}\""))
    }

    /// `*`: any current representation.
    pub fn any() -> Self {
        ETag("*".to_owned())
    }

    /// The ETag of a response, from its `ETag` header.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        headers
            .get(http::header::ETAG)?
            .to_str()
            .ok()
            .filter(|s| !s.is_empty())
            .map(ETag::new)
    }

    /// The ETag as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is `W/` weak.
    pub fn is_weak(&self) -> bool {
        self.0.starts_with("W/")
    }

    /// Whether it is `*`.
    pub fn is_any(&self) -> bool {
        self.0 == "*"
    }

    /// The opaque tag: without `W/` and without the quotes.
    pub fn tag(&self) -> &str {
        let s = self.0.strip_prefix("W/").unwrap_or(&self.0);
        s.strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(s)
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong, same tag.
    pub fn strong_eq(&self, other: &ETag) -> bool {
        !self.is_weak() && !other.is_weak() && self.tag() == other.tag()
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): same tag, weakness ignored.
    pub fn weak_eq(&self, other: &ETag) -> bool {
        self.tag() == other.tag()
    }

    /// The value to send, as generated code's `quote_etag`: `*`, `W/…` and values already in
    /// double or single quotes are sent as they are; anything else is put in double quotes.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error when the ETag holds bytes a header
    /// cannot carry (control characters).
    pub fn to_header_value(&self) -> Result<HeaderValue, Error> {
        let s = &self.0;
        let quoted = s == "*"
            || s.starts_with("W/")
            || (s.len() >= 2 && s.starts_with('"') && s.ends_with('"'))
            || (s.len() >= 2 && s.starts_with('\'') && s.ends_with('\''));
        let value = if quoted || s.is_empty() {
            HeaderValue::from_str(s)
        } else {
            HeaderValue::from_str(&format!("\"{s}\""))
        };
        value.map_err(|e| {
            Error::with_source(ErrorKind::Serialization, e)
                .with_message("the ETag cannot be sent in a header")
        })
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ETag {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ETag::new(s))
    }
}

impl From<&str> for ETag {
    fn from(s: &str) -> Self {
        ETag::new(s)
    }
}

impl From<String> for ETag {
    fn from(s: String) -> Self {
        ETag(s)
    }
}

impl AsRef<str> for ETag {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for ETag {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ETag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ETag)
    }
}

/// The headers and error-map entries of one conditional call, from
/// [`Conditional::new`].
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::conditions::{Conditional, ETag, MatchConditions};
/// use clientcore::options::Options;
/// use clientcore::ErrorKind;
///
/// let etag = ETag::new("\"v1\"");
/// let cond = Conditional::new(MatchConditions::IfNotModified, Some(&etag)).unwrap();
/// assert_eq!(cond.headers()["if-match"], "\"v1\"");
/// assert_eq!(cond.error_map().kind_for(412), ErrorKind::ResourceModified);
///
/// let options = cond.apply(Options::new());
/// assert_eq!(options.headers()["if-match"], "\"v1\"");
/// assert_eq!(options.error_map().kind_for(412), ErrorKind::ResourceModified);
/// assert_eq!(options.error_map().kind_for(404), ErrorKind::ResourceNotFound);
///
/// let err = Conditional::new(MatchConditions::IfNotModified, None).unwrap_err();
/// assert_eq!(err.to_string(), "The 'IfNotModified' match condition must be paired with an etag.");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conditional {
    headers: HeaderMap,
    error_map: ErrorMap,
}

// ===== impl Conditional =====

impl Conditional {
    /// The headers and error-map entries of `condition` with `etag`.
    ///
    /// An ETag given with `Unconditionally`, `IfPresent` or `IfMissing` is ignored, as
    /// generated code ignores it.
    ///
    /// # Errors
    ///
    /// An [`Other`](ErrorKind::Other) error (the reference's `ValueError`) when
    /// `IfNotModified` or `IfModified` comes without an ETag, or an empty one: sending the
    /// request unconditionally instead would silently drop the caller's intent. A
    /// [`Serialization`](ErrorKind::Serialization) error when the ETag cannot be a header.
    pub fn new(condition: MatchConditions, etag: Option<&ETag>) -> Result<Self, Error> {
        let mut headers = HeaderMap::new();
        let mut error_map = ErrorMap::new();
        let required = || {
            etag.filter(|e| !e.as_str().is_empty()).ok_or_else(|| {
                Error::new(
                    ErrorKind::Other,
                    format!("The '{condition}' match condition must be paired with an etag."),
                )
            })
        };
        match condition {
            MatchConditions::Unconditionally => {}
            MatchConditions::IfNotModified => {
                headers.insert(IF_MATCH, required()?.to_header_value()?);
                error_map = error_map.with(412, ErrorKind::ResourceModified);
            }
            MatchConditions::IfModified => {
                headers.insert(IF_NONE_MATCH, required()?.to_header_value()?);
                // `ErrorMap::generated` has no 304: only a conditional call makes it an error.
                error_map = error_map.with(304, ErrorKind::ResourceNotModified);
            }
            MatchConditions::IfPresent => {
                headers.insert(IF_MATCH, HeaderValue::from_static("*"));
                error_map = error_map.with(412, ErrorKind::ResourceNotFound);
            }
            MatchConditions::IfMissing => {
                headers.insert(IF_NONE_MATCH, HeaderValue::from_static("*"));
                error_map = error_map.with(412, ErrorKind::ResourceExists);
            }
        }
        Ok(Conditional { headers, error_map })
    }

    /// `If-Match` / `If-None-Match`, whichever the condition needs (none for
    /// `Unconditionally`).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The error-map entries the condition adds: 412 for `IfNotModified`, `IfPresent` and
    /// `IfMissing`, 304 for `IfModified` (404 and 409 are in [`ErrorMap::generated`]
    /// already).
    pub fn error_map(&self) -> &ErrorMap {
        &self.error_map
    }

    /// `options` with the headers set and the error map extended: over the call's own map if
    /// it has one, else over [`ErrorMap::generated`], as generated code builds its map.
    #[must_use]
    pub fn apply(&self, mut options: Options) -> Options {
        for (name, value) in &self.headers {
            options.request.headers.insert(name.clone(), value.clone());
        }
        if self.error_map != ErrorMap::new() {
            let map = match &options.response.error_map {
                Some(own) => own.merged(&self.error_map),
                None => ErrorMap::generated().merged(&self.error_map),
            };
            options.response.error_map = Some(map);
        }
        options
    }
}
