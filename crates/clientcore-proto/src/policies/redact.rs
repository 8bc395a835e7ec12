//! Redaction: which header values and query parameters may appear in logs and `Debug` output.
//!
//! Everything is hidden unless it is on an allow-list. The defaults are the reference
//! implementation's (27 header names and the `api-version` query parameter), so log tooling
//! built for it keeps working; callers widen the lists through [`Redactor::allow_header`] and
//! [`Redactor::allow_query_param`].

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use http::HeaderName;

/// The text that stands in for a hidden value.
pub const REDACTED: &str = "REDACTED";

/// Header names whose values are safe to log, compared case-insensitively.
///
/// These are the reference implementation's `DEFAULT_HEADERS_ALLOWLIST`.
pub const DEFAULT_ALLOWED_HEADERS: &[&str] = &[
    "x-ms-request-id",
    "x-ms-client-request-id",
    "x-ms-return-client-request-id",
    "x-ms-error-code",
    "traceparent",
    "accept",
    "cache-control",
    "connection",
    "content-length",
    "content-type",
    "date",
    "etag",
    "expires",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "last-modified",
    "pragma",
    "request-id",
    "retry-after",
    "server",
    "transfer-encoding",
    "user-agent",
    "www-authenticate",
    "x-vss-e2eid",
    "x-msedge-ref",
];

/// Query parameters whose values are safe to log, compared case-insensitively.
pub const DEFAULT_ALLOWED_QUERY_PARAMS: &[&str] = &["api-version"];

/// Decides what of a request or response may be shown.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::redact::Redactor;
///
/// let r = Redactor::default();
/// assert_eq!(
///     r.sanitize_url("https://h.example/p?api-version=1&sig=secret&flag"),
///     "https://h.example/p?api-version=1&sig=REDACTED&flag",
/// );
/// assert_eq!(r.header_value("authorization", "Bearer x"), "REDACTED");
/// assert_eq!(r.header_value("Content-Type", "text/plain"), "text/plain");
/// ```
#[derive(Clone, Debug)]
pub struct Redactor {
    // Shared, so that `Redactor::default()` and `clone()` (several times per call) are
    // reference-count increments, not 28 allocations; widening copies on write.
    headers: Arc<HashSet<String>>,
    query: Arc<HashSet<String>>,
}

impl Default for Redactor {
    fn default() -> Self {
        static DEFAULT: OnceLock<Redactor> = OnceLock::new();
        DEFAULT
            .get_or_init(|| Redactor {
                headers: Arc::new(
                    DEFAULT_ALLOWED_HEADERS
                        .iter()
                        .map(|h| (*h).to_owned())
                        .collect(),
                ),
                query: Arc::new(
                    DEFAULT_ALLOWED_QUERY_PARAMS
                        .iter()
                        .map(|q| (*q).to_owned())
                        .collect(),
                ),
            })
            .clone()
    }
}

impl Redactor {
    /// Also show the values of header `name`. Default is the reference's 27 names.
    #[must_use]
    pub fn allow_header(mut self, name: &str) -> Self {
        Arc::make_mut(&mut self.headers).insert(name.to_ascii_lowercase());
        self
    }

    /// Also show the values of query parameter `name`. Default is `api-version` only.
    #[must_use]
    pub fn allow_query_param(mut self, name: &str) -> Self {
        Arc::make_mut(&mut self.query).insert(name.to_ascii_lowercase());
        self
    }

    /// Whether the value of header `name` may be shown.
    pub fn is_header_allowed(&self, name: &str) -> bool {
        // HeaderName is already lower case; other callers may not be.
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.headers.contains(&name.to_ascii_lowercase())
        } else {
            self.headers.contains(name)
        }
    }

    /// The value to show for header `name`: the value itself or [`REDACTED`].
    pub fn header_value<'a>(&self, name: &str, value: &'a str) -> &'a str {
        if self.is_header_allowed(name) {
            value
        } else {
            REDACTED
        }
    }

    /// The value to show for a typed header.
    pub fn header<'a>(&self, name: &HeaderName, value: &'a http::HeaderValue) -> Cow<'a, str> {
        if self.is_header_allowed(name.as_str()) {
            String::from_utf8_lossy(value.as_bytes())
        } else {
            Cow::Borrowed(REDACTED)
        }
    }

    /// Replaces the value of every query parameter that is not allowed with [`REDACTED`].
    ///
    /// Works on the raw query string like the reference: parts split on `&`, a part without
    /// `=` is kept, percent-encoding, the path and the fragment are preserved.
    pub fn sanitize_url<'a>(&self, url: &'a str) -> Cow<'a, str> {
        // A password in the authority (`https://user:secret@host/`) is a credential too.
        if let Some(hidden) = without_userinfo(url) {
            return Cow::Owned(self.sanitize_url(&hidden).into_owned());
        }
        let Some(q) = url.find('?') else {
            return Cow::Borrowed(url);
        };
        let (head, rest) = url.split_at(q + 1);
        let (query, fragment) = match rest.find('#') {
            Some(f) => rest.split_at(f),
            None => (rest, ""),
        };
        let mut out = String::with_capacity(url.len());
        out.push_str(head);
        for (i, part) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match part.split_once('=') {
                Some((key, _)) if !self.query.contains(&key.to_ascii_lowercase()) => {
                    out.push_str(key);
                    out.push('=');
                    out.push_str(REDACTED);
                }
                _ => out.push_str(part),
            }
        }
        out.push_str(fragment);
        Cow::Owned(out)
    }
}

/// `url` with the user information of its authority replaced by [`REDACTED`], or `None` when
/// it has none (or is already redacted).
fn without_userinfo(url: &str) -> Option<String> {
    let scheme_end = url.find("://")?;
    if !url[..scheme_end]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let start = scheme_end + 3;
    let authority_len = url[start..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - start);
    let authority = &url[start..start + authority_len];
    let at = authority.rfind('@')?;
    if &authority[..at] == REDACTED {
        return None;
    }
    Some(format!("{}{REDACTED}{}", &url[..start], &url[start + at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_allowed_and_bare_parts() {
        let r = Redactor::default();
        assert_eq!(
            r.sanitize_url("https://h/p?API-VERSION=1&sig=a%3Db=c&flag#frag"),
            "https://h/p?API-VERSION=1&sig=REDACTED&flag#frag"
        );
        assert_eq!(r.sanitize_url("https://h/p"), "https://h/p");
        assert_eq!(r.sanitize_url("https://h/p?"), "https://h/p?");
    }

    #[test]
    fn userinfo_is_hidden() {
        let r = Redactor::default();
        assert_eq!(
            r.sanitize_url("https://user:secret@h.example/p?sig=x"),
            "https://REDACTED@h.example/p?sig=REDACTED"
        );
        assert_eq!(r.sanitize_url("http://u@h/p"), "http://REDACTED@h/p");
        assert_eq!(
            r.sanitize_url("http://h/p?to=a@b"),
            "http://h/p?to=REDACTED"
        );
        let once = r.sanitize_url("https://a:b@h/").into_owned();
        assert_eq!(r.sanitize_url(&once), once);
    }

    #[test]
    fn widened_allow_lists() {
        let r = Redactor::default()
            .allow_header("X-Custom")
            .allow_query_param("comp");
        assert_eq!(r.header_value("x-custom", "v"), "v");
        assert_eq!(
            r.sanitize_url("/p?comp=list&sig=x"),
            "/p?comp=list&sig=REDACTED"
        );
        assert_eq!(r.header_value("cookie", "a=b"), REDACTED);
    }
}
