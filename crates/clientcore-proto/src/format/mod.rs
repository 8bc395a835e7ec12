//! Service error bodies: what a service sends back when a call fails, parsed into
//! [`ServiceError`].
//!
//! Every parser is a pure function that cannot panic: a body that is not in its format gives
//! `None`, and the caller keeps the raw text. Bodies are decoded as the reference
//! implementation does ([`text::decode`]); JSON nesting is bounded by `serde_json`'s recursion
//! limit (128), so a 10,000-deep body is rejected rather than overflowing the stack.
//!
//! | Format | Shape | Type |
//! |---|---|---|
//! | [`ErrorFormat::ODataV4`] | `{"error": {"code", "message", "target", "details", "innererror"}}` | [`ODataError`] |
//! | [`ErrorFormat::Arm`] | OData v4 plus `additionalInfo` | [`ODataError`], [`TypedErrorInfo`] |
//! | [`ErrorFormat::ErrorList`] | JSON:API / Azion `errors`, `detail`, per-field maps | [`ErrorList`] |
//! | [`ErrorFormat::Problem`] | RFC 9457 `application/problem+json` | [`ProblemDetails`] |
//! | [`ErrorFormat::StorageXml`] | `<Error><Code>…</Code><Message>…</Message>…</Error>` (feature `xml`) | [`StorageError`] |
//! | [`ErrorFormat::ODataV3`] | Azure Tables' `{"odata.error": {…}}`, or its XML `<error>` | [`ODataV3Error`] |
//! | [`ErrorFormat::OAuth`] | `{"error": "invalid_grant", "error_description": "…"}` | [`OAuthError`] |
//!
//! [`ErrorFormat::Auto`] (the default) picks one from the `Content-Type` and the shape of the
//! body; see [`parse`].

use std::fmt;

use http::HeaderMap;
use serde_json::Value;

mod errors;
mod json;
mod odata;
mod problem;
mod simple;
mod stream;
pub mod text;
#[cfg(feature = "xml")]
mod xml;

pub use errors::{ErrorEntry, ErrorList};
pub use odata::{ODataError, TypedErrorInfo};
pub use problem::ProblemDetails;
pub use simple::{OAuthError, ODataV3Error};
#[cfg(feature = "xml")]
#[cfg_attr(docsrs, doc(cfg(feature = "xml")))]
pub use xml::StorageError;

/// Which error body format an operation expects.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::{parse, ErrorFormat};
///
/// let headers = http::HeaderMap::new();
/// let body = br#"{"error": {"code": "C", "message": "M"}}"#;
/// let e = parse(ErrorFormat::Auto, &headers, body).unwrap();
/// assert_eq!(e.code(), Some("C"));
/// assert!(parse(ErrorFormat::Problem, &headers, body).is_none());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorFormat {
    /// Pick a format from `Content-Type` and the body's shape. Default.
    #[default]
    Auto,
    /// OData v4, exactly as the reference's `ODataV4Format` (no `additionalInfo`).
    ODataV4,
    /// ARM: OData v4 plus `additionalInfo`.
    Arm,
    /// JSON:API / Azion error lists.
    ErrorList,
    /// RFC 9457 problem details.
    Problem,
    /// Azure Storage XML.
    StorageXml,
    /// Azure Tables' OData v3 JSON.
    ODataV3,
    /// OAuth 2.0 error responses.
    OAuth,
    /// Never parse the body; errors carry the raw text only.
    None,
}

/// A parsed service error, whatever format it came in.
///
/// [`code`](Self::code) and [`message`](Self::message) work for every format; match on the
/// variant for the rest.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ServiceError {
    /// OData v4 or ARM.
    OData(ODataError),
    /// RFC 9457 problem details.
    Problem(ProblemDetails),
    /// JSON:API / Azion error list.
    List(ErrorList),
    /// Azure Storage XML.
    #[cfg(feature = "xml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "xml")))]
    Storage(StorageError),
    /// Azure Tables OData v3.
    ODataV3(ODataV3Error),
    /// OAuth 2.0.
    OAuth(OAuthError),
}

impl ServiceError {
    /// The service's error code, whatever the format.
    pub fn code(&self) -> Option<&str> {
        match self {
            ServiceError::OData(e) => e.code(),
            ServiceError::Problem(e) => e.code(),
            ServiceError::List(e) => e.code(),
            #[cfg(feature = "xml")]
            ServiceError::Storage(e) => e.code(),
            ServiceError::ODataV3(e) => e.code(),
            ServiceError::OAuth(e) => Some(e.error()),
        }
    }

    /// The service's message, whatever the format.
    pub fn message(&self) -> Option<&str> {
        match self {
            ServiceError::OData(e) => e.message(),
            ServiceError::Problem(e) => e.detail().or(e.title()),
            ServiceError::List(e) => e.message(),
            #[cfg(feature = "xml")]
            ServiceError::Storage(e) => e.message(),
            ServiceError::ODataV3(e) => e.message(),
            ServiceError::OAuth(e) => e.description(),
        }
    }

    /// The list of errors: every entry of an error list, or one entry built from the code and
    /// message of the other formats (with OData details as further entries).
    pub fn entries(&self) -> Vec<ErrorEntry> {
        match self {
            ServiceError::List(list) => list.entries().to_vec(),
            ServiceError::OData(e) => {
                let mut out = vec![entry(e.code(), e.message(), e.target())];
                out.extend(
                    e.details()
                        .iter()
                        .map(|d| entry(d.code(), d.message(), d.target())),
                );
                out
            }
            other => vec![entry(other.code(), other.message(), None)],
        }
    }
}

fn entry(code: Option<&str>, message: Option<&str>, field: Option<&str>) -> ErrorEntry {
    let mut e = ErrorEntry::new(message.unwrap_or_default());
    e.set(code, field);
    e
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::OData(e) => e.fmt(f),
            ServiceError::Problem(e) => e.fmt(f),
            ServiceError::List(e) => e.fmt(f),
            #[cfg(feature = "xml")]
            ServiceError::Storage(e) => e.fmt(f),
            ServiceError::ODataV3(e) => e.fmt(f),
            ServiceError::OAuth(e) => e.fmt(f),
        }
    }
}

/// The lower-cased media type of a `Content-Type` header, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

fn looks_like_xml(media: &str, text: &str) -> bool {
    if media.ends_with("/xml") || media.ends_with("+xml") {
        return true;
    }
    let t = text.trim_start();
    media.is_empty() && (t.starts_with("<?xml") || t.starts_with("<Error"))
}

/// Parses an error body in `format`. `None` when the body is empty, not in the format, or
/// cannot be decoded.
///
/// With [`ErrorFormat::Auto`]: XML media types (or an untyped body starting `<?xml` /
/// `<Error`) are read as Azure Storage XML, else as Azure Tables' OData v3 XML; `text/html`
/// is never parsed, even when the body is JSON; JSON is tried as, in order, Azure Tables OData
/// v3, RFC 9457 when the media type says `problem+json`, OAuth (`error` is a string, with an
/// `error_description` or `error_uri` or a registered OAuth code; another string `error` is
/// no error format), OData v4 with ARM's `additionalInfo`, RFC 9457 by shape (`title` plus
/// `type`, `status` or `detail`), and finally an error list.
///
/// [`ErrorFormat::ODataV3`] also reads the XML body Azure Tables sends for some statuses
/// (`<error xmlns="…/dataservices/metadata"><code>…</code><message>…</message></error>`).
///
/// Every free-form JSON value the result keeps is bounded by [`MAX_KEPT_JSON`] in all.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::{parse, ErrorFormat, ServiceError};
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("content-type", "application/problem+json".parse().unwrap());
/// let body = br#"{"title": "Out of credit", "status": 403}"#;
/// let e = parse(ErrorFormat::Auto, &headers, body).unwrap();
/// assert!(matches!(e, ServiceError::Problem(_)));
/// ```
pub fn parse(format: ErrorFormat, headers: &HeaderMap, body: &[u8]) -> Option<ServiceError> {
    let mut parsed = parse_unbounded(format, headers, body)?;
    let mut budget = MAX_KEPT_JSON;
    match &mut parsed {
        // Compact JSON is at most 8 times as long as the text it was parsed from (the worst
        // is a number such as `1e15`, 4.5 times), so JSON text of up to an eighth of the
        // budget cannot be cut: no need to build its `Value` to measure it.
        ServiceError::OData(e) if e.raw_json_len().is_some_and(|n| n <= MAX_KEPT_JSON / 8) => {}
        ServiceError::OData(e) => e.bound_values(&mut budget),
        ServiceError::Problem(p) => p.bound_values(&mut budget),
        _ => {}
    }
    Some(parsed)
}

/// How many bytes of free-form JSON (`innererror`, `additionalInfo` `info`, problem
/// extensions) one parsed error keeps in all, as compact JSON: 1 MiB. Real errors hold a few
/// KiB; a value past the bound is replaced by a note that it was cut.
pub const MAX_KEPT_JSON: usize = 1 << 20;

fn parse_unbounded(format: ErrorFormat, headers: &HeaderMap, body: &[u8]) -> Option<ServiceError> {
    if body.is_empty() || format == ErrorFormat::None {
        return None;
    }
    let text = text::decode(headers, body)?;
    // Only `Auto` looks at the media type.
    let media = if format == ErrorFormat::Auto {
        media_type(headers)
    } else {
        String::new()
    };
    match format {
        ErrorFormat::StorageXml => parse_xml(&text),
        // Azure Tables answers some requests (415, 403) in XML even when JSON was asked for.
        ErrorFormat::ODataV3 if text.trim_start().starts_with('<') => parse_odata_v3_xml(&text),
        ErrorFormat::Auto if looks_like_xml(&media, &text) => {
            parse_xml(&text).or_else(|| parse_odata_v3_xml(&text))
        }
        ErrorFormat::Auto if media == "text/html" => None,
        // One pass over the text, no `Value` of the body (see `stream`).
        ErrorFormat::ODataV4 | ErrorFormat::Arm => {
            stream::parse(&text, format == ErrorFormat::Arm)?
                .error
                .map(ServiceError::OData)
        }
        // Most bodies are OData v4 or ARM errors: read the text as one first. When it is one,
        // no format `auto_json` tries before OData can apply (no `odata.error` member, no
        // problem+json media type, and its `error` is an object, so not OAuth), so it is the
        // answer `auto_json` would give.
        ErrorFormat::Auto if !media.ends_with("problem+json") => {
            let top = stream::parse(&text, true)?;
            match top.error {
                Some(e) if !top.odata_v3 => Some(ServiceError::OData(e)),
                _ if !top.object => None,
                _ => parse_value(format, &media, &text),
            }
        }
        _ => parse_value(format, &media, &text),
    }
}

fn parse_value(format: ErrorFormat, media: &str, text: &str) -> Option<ServiceError> {
    let value: Value = serde_json::from_str(text).ok()?;
    parse_json(format, media, &value)
}

#[cfg(feature = "xml")]
fn parse_xml(text: &str) -> Option<ServiceError> {
    xml::StorageError::from_xml(text).map(ServiceError::Storage)
}

#[cfg(not(feature = "xml"))]
fn parse_xml(_: &str) -> Option<ServiceError> {
    None
}

#[cfg(feature = "xml")]
fn parse_odata_v3_xml(text: &str) -> Option<ServiceError> {
    ODataV3Error::from_xml(text).map(ServiceError::ODataV3)
}

#[cfg(not(feature = "xml"))]
fn parse_odata_v3_xml(_: &str) -> Option<ServiceError> {
    None
}

/// Parses an already-decoded JSON value in `format`; see [`parse`].
pub fn parse_json(format: ErrorFormat, media: &str, value: &Value) -> Option<ServiceError> {
    match format {
        ErrorFormat::ODataV4 => ODataError::parse(value, false).map(ServiceError::OData),
        ErrorFormat::Arm => ODataError::parse(value, true).map(ServiceError::OData),
        ErrorFormat::ErrorList => ErrorList::from_json(value).map(ServiceError::List),
        ErrorFormat::Problem => ProblemDetails::from_json(value).map(ServiceError::Problem),
        ErrorFormat::ODataV3 => ODataV3Error::from_json(value).map(ServiceError::ODataV3),
        ErrorFormat::OAuth => OAuthError::from_json(value).map(ServiceError::OAuth),
        ErrorFormat::StorageXml | ErrorFormat::None => None,
        ErrorFormat::Auto => auto_json(media, value),
    }
}

fn auto_json(media: &str, value: &Value) -> Option<ServiceError> {
    let obj = value.as_object()?;
    if obj.contains_key("odata.error") {
        return ODataV3Error::from_json(value).map(ServiceError::ODataV3);
    }
    if media.ends_with("problem+json") {
        if let Some(p) = ProblemDetails::from_json(value) {
            return Some(ServiceError::Problem(p));
        }
    }
    // `{"error": "internal server error"}` is not OAuth: only a body with OAuth's other
    // members, or one of its registered codes, is read as one. The rest goes on to the other
    // shapes, and without one gets the reference's generic text and `Content:`.
    if obj.get("error").is_some_and(Value::is_string) && looks_like_oauth(obj) {
        return OAuthError::from_json(value).map(ServiceError::OAuth);
    }
    if let Some(e) = ODataError::parse(value, true) {
        return Some(ServiceError::OData(e));
    }
    let has = |k: &str| obj.get(k).is_some_and(|v| !v.is_null());
    if obj.get("title").is_some_and(Value::is_string)
        && (has("type") || has("status") || has("detail"))
    {
        if let Some(p) = ProblemDetails::from_json(value) {
            return Some(ServiceError::Problem(p));
        }
    }
    // A bare object of strings (`{"title": "T"}`, `{"requestId": "x"}`) is too common to be
    // taken for per-field errors; Auto wants at least one of Django REST's lists of messages.
    if obj.get("errors").is_none()
        && obj.get("detail").is_none()
        && !obj
            .values()
            .any(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    {
        return None;
    }
    ErrorList::from_json(value).map(ServiceError::List)
}

/// Whether an object with a string `error` is an OAuth 2.0 error: it has `error_description`
/// or `error_uri`, or its `error` is a code registered for OAuth (RFC 6749, RFC 6750, RFC 8628,
/// `OpenID` Connect).
fn looks_like_oauth(obj: &serde_json::Map<String, Value>) -> bool {
    const CODES: &[&str] = &[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "access_denied",
        "unsupported_response_type",
        "server_error",
        "temporarily_unavailable",
        "invalid_token",
        "insufficient_scope",
        "authorization_pending",
        "slow_down",
        "expired_token",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "invalid_request_uri",
        "invalid_request_object",
    ];
    obj.get("error_description").is_some_and(Value::is_string)
        || obj.get("error_uri").is_some_and(Value::is_string)
        || obj
            .get("error")
            .and_then(Value::as_str)
            .is_some_and(|code| CODES.contains(&code))
}
