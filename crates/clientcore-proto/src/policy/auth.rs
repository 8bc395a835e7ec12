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
