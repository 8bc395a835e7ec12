use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::format::text;
use crate::policies::redact::Redactor;

/// How many bytes of an error response's body are read and parsed: 16 MiB.
///
/// A valid error body up to this size keeps its code and message (some services return
/// OData errors of a megabyte and more, with long `details`); a longer body is cut before
/// parsing, and [`CapturedResponse::is_body_truncated`] says so. What an error *keeps* is
/// bounded lower, by [`MAX_KEPT_ERROR_BODY`].
pub const MAX_ERROR_BODY: usize = 16 << 20;

/// How many bytes of the body an [`Error`](crate::Error) keeps once the body is parsed: 1 MiB.
///
/// The bound keeps a hostile or broken server from making an error hold a large body; the
/// parsed service error has its own bound
/// ([`MAX_SERVICE_ERROR_CHARS`](crate::MAX_SERVICE_ERROR_CHARS)).
pub const MAX_KEPT_ERROR_BODY: usize = 1 << 20;

/// The response an error carries: status, reason, headers and the body up to
/// [`MAX_ERROR_BODY`] (up to [`MAX_KEPT_ERROR_BODY`] once on an [`Error`](crate::Error)).
///
/// Its `Debug` shows only allow-listed header values (see
/// [`Redactor`]) and the body's length, never its bytes.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::CapturedResponse;
/// use http::StatusCode;
///
/// let r = CapturedResponse::new(StatusCode::NOT_FOUND, Default::default(), "gone".into())
///     .with_reason("The specified blob does not exist.");
/// assert_eq!(r.reason(), "The specified blob does not exist.");
/// assert_eq!(r.text().as_deref(), Some("gone"));
/// ```
#[derive(Clone)]
pub struct CapturedResponse {
    status: StatusCode,
    reason: Option<Box<str>>,
    headers: HeaderMap,
    body: Bytes,
    truncated: bool,
}

impl CapturedResponse {
    /// Captures a response; a body longer than [`MAX_ERROR_BODY`] is cut (a UTF-8 body
    /// before the character that crosses the bound).
    pub fn new(status: StatusCode, headers: HeaderMap, mut body: Bytes) -> Self {
        let truncated = body.len() > MAX_ERROR_BODY;
        if truncated {
            body.truncate(cut_point(&headers, &body, MAX_ERROR_BODY));
        }
        CapturedResponse {
            status,
            reason: None,
            headers,
            body,
            truncated,
        }
    }

    /// Sets the reason phrase the server sent. Default is the canonical phrase of the status.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<Box<str>>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase: the one the server sent, else the canonical one, else `""`.
    pub fn reason(&self) -> &str {
        self.reason
            .as_deref()
            .or_else(|| self.status.canonical_reason())
            .unwrap_or("")
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body bytes, at most [`MAX_ERROR_BODY`] ([`MAX_KEPT_ERROR_BODY`] on an error).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Cuts the body to `limit` bytes (at a character boundary when it is UTF-8), once it
    /// has been parsed.
    pub(crate) fn shrink(&mut self, limit: usize) {
        if self.body.len() > limit {
            let cut = cut_point(&self.headers, &self.body, limit);
            self.body.truncate(cut);
            self.truncated = true;
        }
    }

    /// Whether the body was cut: longer than [`MAX_ERROR_BODY`], or, on an error, longer than
    /// [`MAX_KEPT_ERROR_BODY`].
    pub fn is_body_truncated(&self) -> bool {
        self.truncated
    }

    /// The body as text, decoded like the reference (see [`text::decode`]); `None` when a
    /// declared charset does not match the bytes.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        text::decode(&self.headers, &self.body)
    }
}

/// Where a body longer than `limit` is cut: at the bound, moved back to the start of a
/// character when the body is UTF-8 (declared, or assumed without a charset), so that our
/// cut never makes the strict decode of a declared charset fail.
fn cut_point(headers: &HeaderMap, body: &[u8], limit: usize) -> usize {
    let utf8 = text::declared(headers).is_none_or(|(_, c)| c == text::Charset::Utf8);
    let mut cut = limit;
    // At most 3 continuation bytes follow a character's first byte.
    while utf8 && cut > limit.saturating_sub(3) && body[cut] & 0xC0 == 0x80 {
        cut -= 1;
    }
    cut
}

impl fmt::Debug for CapturedResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redactor = Redactor::default();
        let headers = DebugHeaders(&self.headers, &redactor);
        f.debug_struct("CapturedResponse")
            .field("status", &self.status.as_u16())
            .field("reason", &self.reason())
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .field("truncated", &self.truncated)
            .finish()
    }
}

/// Headers for `Debug`, with values that are not allow-listed shown as `REDACTED`.
pub(crate) struct DebugHeaders<'a>(pub(crate) &'a HeaderMap, pub(crate) &'a Redactor);

impl fmt::Debug for DebugHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(name, value)| (name.as_str(), self.1.header(name, value))),
            )
            .finish()
    }
}
