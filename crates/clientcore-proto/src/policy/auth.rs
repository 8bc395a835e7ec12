//! Credentials: a key in a header, a SAS query string, and bearer tokens with caching.
//!
//! Getting a bearer token needs I/O, so the exchange asks the driver for one
//! ([`Step::GetToken`](crate::pipeline::Step::GetToken)) and caches the answer here; the
//! credential itself lives in the driver.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::HeaderName;

/// Tokens are refreshed this long before they expire, as the reference does.
pub const REFRESH_WINDOW: Duration = Duration::from_secs(300);

/// An access token and when it expires.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The token.
    pub token: String,
    /// When it stops being valid.
    pub expires_on: SystemTime,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &crate::policy::redact::REDACTED)
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// How requests are authenticated.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// A key sent in a header, e.g. `Authorization: Token …` (Azion) or `api-key: …`.
    Key {
        /// The header.
        header: HeaderName,
        /// The whole header value.
        value: String,
    },
    /// A shared access signature appended to the query string.
    Sas(String),
    /// A bearer token for `scopes`, fetched by the driver and cached.
    Bearer {
        /// The scopes to ask for.
        scopes: Vec<String>,
        /// The cache shared by every call of the client.
        cache: TokenCache,
    },
}

impl Credential {
    /// A key credential.
    pub fn key(header: HeaderName, value: impl Into<String>) -> Self {
        Credential::Key {
            header,
            value: value.into(),
        }
    }

    /// A SAS credential; a leading `?` is ignored.
    pub fn sas(query: impl Into<String>) -> Self {
        let q: String = query.into();
        Credential::Sas(q.trim_start_matches('?').to_owned())
    }

    /// A bearer credential for `scopes` with a new cache.
    pub fn bearer<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Credential::Bearer {
            scopes: scopes.into_iter().map(Into::into).collect(),
            cache: TokenCache::default(),
        }
    }

    /// An account name and its base64 key, for schemes that sign each request with the key
    /// (Azure Storage's SharedKey, SAS tokens): the reference's `AzureNamedKeyCredential`.
    ///
    /// Signing is the service's, so this is not a credential the pipeline attaches: hand it
    /// to the service's signing [`Policy`](crate::pipeline::policy::Policy) (which calls
    /// [`NamedKeyCredential::sign`](crate::policy::sign::NamedKeyCredential::sign)). Keep a clone to rotate the key on a live client with
    /// [`NamedKeyCredential::update`](crate::policy::sign::NamedKeyCredential::update).
    ///
    /// # Errors
    ///
    /// A [`ClientAuthentication`](crate::ErrorKind::ClientAuthentication) error when the key
    /// is not base64 or either is empty; the error does not print the key.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::policy::auth::Credential;
    ///
    /// let key = Credential::named_key("devstoreaccount1", "a2V5")?;
    /// assert_eq!(key.name(), "devstoreaccount1");
    /// assert!(Credential::named_key("devstoreaccount1", "not base64!").is_err());
    /// # Ok::<(), clientcore_proto::Error>(())
    /// ```
    pub fn named_key(
        name: impl Into<String>,
        key: &str,
    ) -> Result<crate::policy::sign::NamedKeyCredential, crate::Error> {
        crate::policy::sign::NamedKeyCredential::new(name, key)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Key { header, .. } => f
                .debug_struct("Key")
                .field("header", header)
                .field("value", &crate::policy::redact::REDACTED)
                .finish(),
            Credential::Sas(_) => f.write_str("Sas(REDACTED)"),
            Credential::Bearer { scopes, .. } => {
                f.debug_struct("Bearer").field("scopes", scopes).finish()
            }
        }
    }
}

/// A token cache shared by the calls of one client.
#[derive(Clone, Default)]
pub struct TokenCache(Arc<Mutex<Option<AccessToken>>>);

impl TokenCache {
    /// The cached token if it is valid for longer than [`REFRESH_WINDOW`] at `now`.
    pub fn fresh(&self, now: SystemTime) -> Option<String> {
        let guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|t| t.expires_on > now + REFRESH_WINDOW)
            .map(|t| t.token.clone())
    }

    /// The cached token if it has not expired at `now`, even inside the refresh window: used
    /// when a refresh fails.
    pub fn usable(&self, now: SystemTime) -> Option<String> {
        let guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|t| t.expires_on > now)
            .map(|t| t.token.clone())
    }

    /// Stores a new token.
    pub fn store(&self, token: AccessToken) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token);
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCache")
    }
}

/// The claims of a continuous access evaluation (CAE) challenge: a `WWW-Authenticate: Bearer`
/// challenge with `error="insufficient_claims"` and `claims="<base64url JSON>"`, sent with a
/// 401 when the token no longer satisfies the resource (revoked, a changed policy, a new
/// location). Returns the decoded claims (padding optional, as the reference accepts), to be
/// passed to the credential for a new token; `None` for any other response, or claims that do
/// not decode to UTF-8.
///
/// # Examples
///
/// ```
/// use clientcore_proto::policy::auth::claims_challenge;
/// use http::{header::WWW_AUTHENTICATE, HeaderMap, HeaderValue};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(
///     WWW_AUTHENTICATE,
///     HeaderValue::from_static(
///         r#"Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ""#,
///     ),
/// );
/// assert_eq!(claims_challenge(&headers).as_deref(), Some(r#"{"access_token":{}}"#));
/// ```
pub fn claims_challenge(headers: &http::HeaderMap) -> Option<String> {
    use base64::Engine as _;
    headers
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(challenges)
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .find_map(|c| {
            let error = c.param("error")?;
            if !error.eq_ignore_ascii_case("insufficient_claims") {
                return None;
            }
            let claims = c.param("claims")?;
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(claims.trim_end_matches('='))
                .ok()?;
            String::from_utf8(bytes).ok()
        })
}

/// One challenge of a `WWW-Authenticate` value (RFC 9110 §11.6.1): its scheme and its
/// `name=value` parameters, values unquoted.
struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The challenges of one header value: `Scheme a=b, c="d, e", Other f=g`. A comma separates
/// parameters and challenges alike; an item that starts with a token followed by a space
/// starts a new challenge. Anything malformed ends the parse with what was read so far.
fn challenges(value: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return out;
        }
        let token_len = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
        if token_len == 0 {
            return out;
        }
        let (token, after) = rest.split_at(token_len);
        let after_ws = after.trim_start_matches([' ', '\t']);
        if let Some(value_part) = after_ws.strip_prefix('=') {
            // A parameter of the current challenge (or a token68 of `=` padding).
            let Some(current) = out.last_mut() else {
                return out;
            };
            let value_part = value_part.trim_start_matches([' ', '\t']);
            let (param, next) = if let Some(quoted) = value_part.strip_prefix('"') {
                let Some(unquoted) = unquote(quoted) else {
                    return out;
                };
                unquoted
            } else {
                let end = value_part
                    .find([',', ' ', '\t'])
                    .unwrap_or(value_part.len());
                (value_part[..end].to_owned(), &value_part[end..])
            };
            current.params.push((token.to_owned(), param));
            rest = next;
        } else {
            // A new challenge: the scheme, then its parameters (or a token68, skipped).
            out.push(Challenge {
                scheme: token.to_owned(),
                params: Vec::new(),
            });
            rest = after;
        }
    }
}

/// A quoted string's content (after the opening quote), with `\` escapes resolved, and what
/// follows the closing quote; `None` when it never closes.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => out.push(chars.next()?.1),
            c => out.push(c),
        }
    }
    None
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod challenge_tests {
    use super::claims_challenge;
    use base64::Engine as _;
    use http::{header::WWW_AUTHENTICATE, HeaderMap, HeaderValue};
    use proptest::prelude::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(WWW_AUTHENTICATE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const CLAIMS: &str = r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#;

    fn b64(s: &str, pad: bool) -> String {
        if pad {
            base64::engine::general_purpose::URL_SAFE.encode(s)
        } else {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
        }
    }

    #[test]
    fn finds_the_claims_of_an_insufficient_claims_bearer_challenge() {
        for pad in [true, false] {
            let v = format!(
                r#"Bearer authorization_uri="https://login.example/", error="insufficient_claims", claims="{}""#,
                b64(CLAIMS, pad)
            );
            assert_eq!(claims_challenge(&headers(&[&v])).as_deref(), Some(CLAIMS));
        }
    }

    #[test]
    fn other_schemes_and_errors_are_not_claims_challenges() {
        let c = b64(CLAIMS, false);
        for v in [
            format!(r#"Basic realm="x", error="insufficient_claims", claims="{c}""#),
            format!(r#"Bearer error="invalid_token", claims="{c}""#),
            r#"Bearer error="insufficient_claims""#.to_owned(),
            r#"Bearer error="insufficient_claims", claims="%%%""#.to_owned(),
            format!(r#"Bearer error="insufficient_claims", claims="{c}"#),
            String::new(),
        ] {
            assert_eq!(claims_challenge(&headers(&[&v])), None, "{v}");
        }
        assert_eq!(claims_challenge(&HeaderMap::new()), None);
    }

    #[test]
    fn a_bearer_challenge_after_another_or_in_another_header_is_found() {
        let c = b64(CLAIMS, false);
        let one = format!(r#"Basic realm="a, b", Bearer error=insufficient_claims, claims="{c}""#);
        assert_eq!(claims_challenge(&headers(&[&one])).as_deref(), Some(CLAIMS));
        let second = format!(r#"bearer ERROR="insufficient_claims", CLAIMS="{c}""#);
        assert_eq!(
            claims_challenge(&headers(&["Basic realm=x", &second])).as_deref(),
            Some(CLAIMS)
        );
    }

    #[test]
    fn quoted_pairs_in_a_parameter_are_resolved_before_matching() {
        // RFC 9110 §5.6.4: a backslash in a quoted-string escapes the next character, so
        // `insuffici\ent_claims` is `insufficient_claims` (found by the fuzz target).
        let c = b64(CLAIMS, false);
        let v = format!(r#"Bearer error="insuffici\ent_claims", claims="{c}""#);
        assert_eq!(claims_challenge(&headers(&[&v])).as_deref(), Some(CLAIMS));
    }

    proptest! {
        #[test]
        fn any_header_value_parses_without_panicking(v in "[ -~\\t]{0,200}") {
            if let Ok(value) = HeaderValue::from_str(&v) {
                let mut h = HeaderMap::new();
                h.insert(WWW_AUTHENTICATE, value);
                let _ = claims_challenge(&h);
            }
        }

        #[test]
        fn any_claims_round_trip(claims in "\\PC{0,100}", pad in any::<bool>()) {
            let v = format!(r#"Bearer error="insufficient_claims", claims="{}""#, b64(&claims, pad));
            prop_assert_eq!(claims_challenge(&headers(&[&v])), Some(claims));
        }
    }
}
