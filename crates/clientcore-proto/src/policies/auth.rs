//! Credentials: a key in a header, a SAS query string, and bearer tokens with caching.
//!
//! Getting a bearer token needs I/O, so the exchange asks the driver for one
//! ([`Step::GetToken`](crate::pipeline::Step::GetToken)) and caches the answer here; the
//! credential itself lives in the driver.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use http::HeaderName;

use crate::error::{Error, ErrorKind};

/// Tokens are refreshed this long before they expire, as the reference does (less a jitter of
/// up to [`REFRESH_JITTER`]).
pub const REFRESH_WINDOW: Duration = Duration::from_secs(300);

/// The most by which a token's refresh is put off, chosen at random (whole seconds) each time
/// a token is stored, as the reference's `random.randint(0, 60)`: the clients that got their
/// tokens at the same time do not all refresh them at the same time.
pub const REFRESH_JITTER: Duration = Duration::from_secs(60);

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
            .field("token", &crate::policies::redact::REDACTED)
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// A token with the credential's hint of when to refresh it: the reference's
/// `AccessTokenInfo`. A separate type rather than a field of [`AccessToken`], so that every
/// `AccessToken { token, expires_on }` written before it still compiles.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::auth::{AccessToken, AccessTokenInfo};
/// use std::time::{Duration, SystemTime};
///
/// let now = SystemTime::now();
/// let token = AccessToken { token: "t".into(), expires_on: now + Duration::from_secs(3600) };
/// let info = AccessTokenInfo::from(token).with_refresh_on(now + Duration::from_secs(1800));
/// assert_eq!(info.refresh_on, Some(now + Duration::from_secs(1800)));
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct AccessTokenInfo {
    /// The token and when it expires.
    pub token: AccessToken,
    /// When the credential would have it refreshed (e.g. half its lifetime, as Microsoft
    /// Entra suggests); `None` to refresh it [`REFRESH_WINDOW`] before it expires.
    pub refresh_on: Option<SystemTime>,
}

impl AccessTokenInfo {
    /// `token` with no refresh hint.
    pub fn new(token: AccessToken) -> Self {
        AccessTokenInfo {
            token,
            refresh_on: None,
        }
    }

    /// Sets the refresh hint.
    #[must_use]
    pub fn with_refresh_on(mut self, refresh_on: SystemTime) -> Self {
        self.refresh_on = Some(refresh_on);
        self
    }
}

impl From<AccessToken> for AccessTokenInfo {
    fn from(token: AccessToken) -> Self {
        AccessTokenInfo::new(token)
    }
}

/// How requests are authenticated.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// A key sent in a header, e.g. `Authorization: Token …` (Azion) or `api-key: …`; rotate
    /// it on a live client with [`KeyCredential::update`].
    Key {
        /// The header.
        header: HeaderName,
        /// The whole header value.
        value: KeyCredential,
    },
    /// A shared access signature appended to the query string; rotate it on a live client
    /// with [`SasCredential::update`].
    Sas(SasCredential),
    /// A bearer token for `scopes`, fetched by the driver and cached.
    Bearer {
        /// The scopes to ask for.
        scopes: Vec<String>,
        /// The cache shared by every call of the client.
        cache: TokenCache,
    },
}

impl Credential {
    /// A key credential. To rotate the key later, build a [`KeyCredential`], keep a clone,
    /// and pass `Credential::Key { header, value: key }`.
    pub fn key(header: HeaderName, value: impl Into<String>) -> Self {
        Credential::Key {
            header,
            value: KeyCredential::new(value),
        }
    }

    /// A SAS credential; a leading `?` is ignored. To rotate the signature later, build a
    /// [`SasCredential`], keep a clone, and pass `Credential::Sas(sas)`.
    pub fn sas(query: impl Into<String>) -> Self {
        Credential::Sas(SasCredential::new(query))
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
    /// [`NamedKeyCredential::sign`](crate::policies::sign::NamedKeyCredential::sign)). Keep a clone to rotate the key on a live client with
    /// [`NamedKeyCredential::update`](crate::policies::sign::NamedKeyCredential::update).
    ///
    /// # Errors
    ///
    /// A [`ClientAuthentication`](crate::ErrorKind::ClientAuthentication) error when the key
    /// is not base64 or either is empty; the error does not print the key.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::policies::auth::Credential;
    ///
    /// let key = Credential::named_key("devstoreaccount1", "a2V5")?;
    /// assert_eq!(key.name(), "devstoreaccount1");
    /// assert!(Credential::named_key("devstoreaccount1", "not base64!").is_err());
    /// # Ok::<(), clientcore::Error>(())
    /// ```
    pub fn named_key(
        name: impl Into<String>,
        key: &str,
    ) -> Result<crate::policies::sign::NamedKeyCredential, crate::Error> {
        crate::policies::sign::NamedKeyCredential::new(name, key)
    }
}

/// A key sent in a header, the same for this value and every clone of it: the reference's
/// `AzureKeyCredential`. A client built with it sends the key given to the last
/// [`update`](Self::update) from its next call on, with no rebuild. Its `Debug` never shows
/// the key.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::http::HeaderName;
/// use clientcore::options::Options;
/// use clientcore::policies::auth::{Credential, KeyCredential};
///
/// let key = KeyCredential::new("old-key");
/// let header = HeaderName::from_static("api-key");
/// let options = Options::new().with_credential(Credential::Key { header, value: key.clone() });
/// key.update("new-key")?;
/// assert_eq!(key.key(), "new-key");
/// assert!(key.update("").is_err(), "an empty key is refused");
/// assert_eq!(format!("{key:?}"), "KeyCredential(REDACTED)");
/// # let _ = options;
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone)]
pub struct KeyCredential(Arc<RwLock<String>>);

impl KeyCredential {
    /// The key: the whole header value.
    pub fn new(key: impl Into<String>) -> Self {
        KeyCredential(Arc::new(RwLock::new(key.into())))
    }

    /// Replaces the key for this credential and every clone of it: calls that start from now
    /// on send the new one; a call under way keeps the one it started with.
    ///
    /// # Errors
    ///
    /// A [`ClientAuthentication`](ErrorKind::ClientAuthentication) error for an empty key,
    /// as the reference refuses one; the old key stays in place.
    pub fn update(&self, key: impl Into<String>) -> Result<(), Error> {
        let key = key.into();
        if key.is_empty() {
            return Err(Error::new(
                ErrorKind::ClientAuthentication,
                "the key used for an update cannot be empty",
            ));
        }
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = key;
        Ok(())
    }

    /// The key, as the header value sent.
    pub fn key(&self) -> String {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl fmt::Debug for KeyCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyCredential(REDACTED)")
    }
}

/// A shared access signature, the same for this value and every clone of it: the
/// reference's `AzureSasCredential`. A client built with `Credential::Sas(sas.clone())` sends
/// the signature given to the last [`update`](Self::update) from its next call on, with no
/// rebuild. Its `Debug` never shows the signature.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::options::Options;
/// use clientcore::policies::auth::{Credential, SasCredential};
///
/// let sas = SasCredential::new("?sv=2024-01-01&sig=old");
/// let options = Options::new().with_credential(Credential::Sas(sas.clone()));
/// sas.update("sv=2024-01-01&sig=new")?;
/// assert_eq!(sas.signature(), "sv=2024-01-01&sig=new");
/// assert!(sas.update("").is_err(), "an empty signature is refused");
/// assert_eq!(format!("{sas:?}"), "SasCredential(REDACTED)");
/// # let _ = options;
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone)]
pub struct SasCredential(Arc<RwLock<String>>);

impl SasCredential {
    /// The signature `query` (a leading `?` is ignored).
    pub fn new(query: impl Into<String>) -> Self {
        SasCredential(Arc::new(RwLock::new(strip_question_mark(query.into()))))
    }

    /// Replaces the signature (a leading `?` is ignored) for this credential and every clone
    /// of it: calls that start from now on send the new one; a call under way keeps the one
    /// it started with on every attempt.
    ///
    /// # Errors
    ///
    /// A [`ClientAuthentication`](ErrorKind::ClientAuthentication) error for an empty
    /// signature, as the reference refuses one; the old signature stays in place.
    pub fn update(&self, query: impl Into<String>) -> Result<(), Error> {
        let query = strip_question_mark(query.into());
        if query.is_empty() {
            return Err(Error::new(
                ErrorKind::ClientAuthentication,
                "the shared access signature used for an update cannot be empty",
            ));
        }
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = query;
        Ok(())
    }

    /// The signature as it is appended to the query, without a leading `?`.
    pub fn signature(&self) -> String {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn strip_question_mark(query: String) -> String {
    match query.strip_prefix('?') {
        Some(rest) => rest.trim_start_matches('?').to_owned(),
        None => query,
    }
}

impl fmt::Debug for SasCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SasCredential(REDACTED)")
    }
}

impl From<SasCredential> for Credential {
    fn from(sas: SasCredential) -> Self {
        Credential::Sas(sas)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Key { header, .. } => f
                .debug_struct("Key")
                .field("header", header)
                .field("value", &crate::policies::redact::REDACTED)
                .finish(),
            Credential::Sas(_) => f.write_str("Sas(REDACTED)"),
            Credential::Bearer { scopes, .. } => {
                f.debug_struct("Bearer").field("scopes", scopes).finish()
            }
        }
    }
}

/// A token cache shared by the calls of one client, with its single-flight refresh: when
/// the token is stale, one call asks the credential ([`TokenCache::refresh`] answers
/// [`Refresh::Lead`]) and the others wait for its outcome ([`Refresh::Wait`]) instead of each
/// asking too.
#[derive(Clone, Default)]
pub struct TokenCache(Arc<CacheInner>);

#[derive(Default)]
struct CacheInner {
    entry: Mutex<Option<Entry>>,
    flight: Mutex<Flight>,
    /// Wakes the blocking waiters when a flight lands.
    landed: Condvar,
}

/// The cached token and when it is due for refresh.
struct Entry {
    token: AccessToken,
    refresh_on: Option<SystemTime>,
    /// Chosen when the token was stored, so that every check of one token agrees.
    jitter: Duration,
}

impl Entry {
    /// The reference's rule: due when expired; else, with a hint, when
    /// `min(refresh_on + jitter, expires_on) <= now`; else when fewer than
    /// `REFRESH_WINDOW - jitter` remain.
    fn fresh_at(&self, now: SystemTime) -> bool {
        let expires = self.token.expires_on;
        if expires <= now {
            return false;
        }
        if let Some(on) = self.refresh_on {
            on.checked_add(self.jitter)
                .map_or(expires, |j| j.min(expires))
                > now
        } else {
            let window = REFRESH_WINDOW.saturating_sub(self.jitter);
            now.checked_add(window).is_some_and(|w| expires > w)
        }
    }
}

/// The refresh in flight, and the outcome of the last one.
#[derive(Default)]
struct Flight {
    leading: bool,
    /// Counts the flights that ended; a waiter is done when it moves on.
    generation: u64,
    /// What the last flight got: the token, or its error's kind and text (an `Error` is not
    /// `Clone`). `None` when its leader gave up (its call was dropped).
    outcome: Option<Result<AccessToken, (ErrorKind, String)>>,
    wakers: Vec<(u64, Waker)>,
    next_waiter: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TokenCache {
    /// The cached token if it is not due for refresh at `now`: not expired, and more than
    /// [`REFRESH_WINDOW`] less its jitter from expiry, or before the credential's
    /// `refresh_on` (plus the jitter).
    pub fn fresh(&self, now: SystemTime) -> Option<String> {
        lock(&self.0.entry)
            .as_ref()
            .filter(|e| e.fresh_at(now))
            .map(|e| e.token.token.clone())
    }

    /// The cached token if it has not expired at `now`, even inside the refresh window: used
    /// when a refresh fails.
    pub fn usable(&self, now: SystemTime) -> Option<String> {
        lock(&self.0.entry)
            .as_ref()
            .filter(|e| e.token.expires_on > now)
            .map(|e| e.token.token.clone())
    }

    /// Stores a new token. Storing the token already cached keeps its refresh hint and
    /// jitter (the pipeline stores what the driver's refresh stored already).
    pub fn store(&self, token: AccessToken) {
        let mut entry = lock(&self.0.entry);
        if entry.as_ref().is_some_and(|e| e.token == token) {
            return;
        }
        *entry = Some(Entry {
            token,
            refresh_on: None,
            jitter: jitter(),
        });
    }

    /// Stores a new token with its refresh hint.
    pub fn store_info(&self, info: AccessTokenInfo) {
        *lock(&self.0.entry) = Some(Entry {
            token: info.token,
            refresh_on: info.refresh_on,
            jitter: jitter(),
        });
    }

    /// Starts a refresh at `now`, once for all the calls that find the token stale: a
    /// token another call has just stored, the lead (ask the credential, then
    /// [`RefreshLead::finish`]), or a wait for the call that leads.
    pub fn refresh(&self, now: SystemTime) -> Refresh {
        let mut flight = lock(&self.0.flight);
        if let Some(e) = lock(&self.0.entry).as_ref().filter(|e| e.fresh_at(now)) {
            return Refresh::Fresh(e.token.clone());
        }
        if flight.leading {
            flight.next_waiter += 1;
            return Refresh::Wait(RefreshWait {
                cache: self.clone(),
                generation: flight.generation,
                id: flight.next_waiter,
            });
        }
        flight.leading = true;
        Refresh::Lead(RefreshLead {
            cache: Some(self.clone()),
        })
    }

    /// Ends the flight with `outcome` and wakes its waiters.
    fn land(&self, outcome: Option<Result<AccessToken, (ErrorKind, String)>>) {
        let wakers = {
            let mut flight = lock(&self.0.flight);
            flight.leading = false;
            flight.generation = flight.generation.wrapping_add(1);
            flight.outcome = outcome;
            std::mem::take(&mut flight.wakers)
        };
        self.0.landed.notify_all();
        for (_, w) in wakers {
            w.wake();
        }
    }
}

/// A jitter of 0 to 60 whole seconds, as the reference's `random.randint(0, 60)`.
fn jitter() -> Duration {
    Duration::from_secs(fastrand::u64(0..=REFRESH_JITTER.as_secs()))
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCache")
    }
}

/// What [`TokenCache::refresh`] tells a call to do.
#[derive(Debug)]
pub enum Refresh {
    /// Another call has just stored a token that is fresh: use it.
    Fresh(AccessToken),
    /// This call asks the credential, then calls [`RefreshLead::finish`].
    Lead(RefreshLead),
    /// Another call is asking: wait for its outcome.
    Wait(RefreshWait),
}

/// The call that refreshes the token. Dropped without [`finish`](Self::finish) (its call was
/// cancelled), it lets the waiters go, and the next of them leads a new refresh.
#[must_use = "the waiters wait until this is finished or dropped"]
pub struct RefreshLead {
    cache: Option<TokenCache>,
}

impl RefreshLead {
    /// Stores the token the credential gave (with its hint) and hands it, or the error's
    /// kind and text, to every waiter.
    pub fn finish(mut self, outcome: &Result<AccessTokenInfo, Error>) {
        if let Some(cache) = self.cache.take() {
            let shared = match outcome {
                Ok(info) => {
                    cache.store_info(info.clone());
                    Ok(info.token.clone())
                }
                Err(e) => Err((e.kind(), e.to_string())),
            };
            cache.land(Some(shared));
        }
    }
}

impl Drop for RefreshLead {
    fn drop(&mut self) {
        if let Some(cache) = self.cache.take() {
            cache.land(None);
        }
    }
}

impl fmt::Debug for RefreshLead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshLead")
    }
}

/// A wait for the refresh another call leads: [`wait`](Self::wait) in blocking code, `.await`
/// in async code. Either gives the leader's outcome: its token, its error (same kind and
/// text), or `None` when the leader gave up; then call [`TokenCache::refresh`] again.
pub struct RefreshWait {
    cache: TokenCache,
    generation: u64,
    id: u64,
}

/// What a waiter gets: the token, the leader's error, or `None` when the leader gave up.
pub type RefreshOutcome = Option<Result<AccessToken, Error>>;

impl RefreshWait {
    fn outcome(flight: &Flight) -> RefreshOutcome {
        flight.outcome.as_ref().map(|o| match o {
            Ok(t) => Ok(t.clone()),
            Err((kind, text)) => Err(Error::new(*kind, text.clone())),
        })
    }

    /// Blocks until the leader's refresh ends.
    pub fn wait(self) -> RefreshOutcome {
        let inner = &self.cache.0;
        let mut flight = lock(&inner.flight);
        while flight.generation == self.generation {
            flight = inner
                .landed
                .wait(flight)
                .unwrap_or_else(PoisonError::into_inner);
        }
        Self::outcome(&flight)
    }
}

impl Future for RefreshWait {
    type Output = RefreshOutcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RefreshOutcome> {
        let this = self.get_mut();
        let mut flight = lock(&this.cache.0.flight);
        if flight.generation != this.generation {
            return Poll::Ready(Self::outcome(&flight));
        }
        // One waker per waiter however often it is polled: the list stays as long as the
        // number of waiters.
        let id = this.id;
        match flight.wakers.iter_mut().find(|(i, _)| *i == id) {
            Some((_, w)) => w.clone_from(cx.waker()),
            None => flight.wakers.push((id, cx.waker().clone())),
        }
        Poll::Pending
    }
}

impl Drop for RefreshWait {
    fn drop(&mut self) {
        let id = self.id;
        lock(&self.cache.0.flight).wakers.retain(|(i, _)| *i != id);
    }
}

impl fmt::Debug for RefreshWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshWait")
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
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::auth::claims_challenge;
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
pub(crate) struct Challenge {
    pub(crate) scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The challenges of one header value: `Scheme a=b, c="d, e", Other f=g`. A comma separates
/// parameters and challenges alike; an item that starts with a token followed by a space
/// starts a new challenge. Anything malformed ends the parse with what was read so far.
pub(crate) fn challenges(value: &str) -> Vec<Challenge> {
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
mod cache_tests {
    use super::{AccessToken, AccessTokenInfo, Refresh, TokenCache};
    use crate::error::{Error, ErrorKind};
    use std::time::{Duration, SystemTime};

    fn token(t: &str, expires_on: SystemTime) -> AccessToken {
        AccessToken {
            token: t.to_owned(),
            expires_on,
        }
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn the_refresh_window_is_300_s_less_a_jitter_of_up_to_60_s_chosen_per_token() {
        let now = SystemTime::now();
        let (mut early, mut late) = (false, false);
        for _ in 0..500 {
            let cache = TokenCache::default();
            cache.store(token("t", now + S(3600)));
            // Always fresh with more than 300 s left, never with fewer than 240 s.
            assert!(cache.fresh(now + S(3600 - 301)).is_some());
            assert!(cache.fresh(now + S(3600 - 239)).is_none());
            assert!(cache.usable(now + S(3600 - 239)).is_some());
            // In between, it depends on the token's jitter, the same at every check.
            let mid = cache.fresh(now + S(3600 - 270)).is_some();
            assert_eq!(cache.fresh(now + S(3600 - 270)).is_some(), mid);
            early |= !mid;
            late |= mid;
        }
        assert!(early && late, "the jitter spreads the refreshes");
    }

    #[test]
    fn a_refresh_on_hint_is_honoured_and_storing_the_same_token_keeps_it() {
        let now = SystemTime::now();
        let cache = TokenCache::default();
        let t = token("t", now + S(3600));
        cache.store_info(AccessTokenInfo::from(t.clone()).with_refresh_on(now + S(1800)));
        // The pipeline stores the token it was handed again: the hint stays.
        cache.store(t);
        assert!(cache.fresh(now + S(1799)).is_some());
        assert!(
            cache.fresh(now + S(1800 + 61)).is_none(),
            "due at refresh_on + jitter"
        );
        assert!(cache.usable(now + S(1800 + 61)).is_some());
        // A hint past expiry: expiry wins.
        let cache = TokenCache::default();
        cache.store_info(
            AccessTokenInfo::from(token("u", now + S(10))).with_refresh_on(now + S(99)),
        );
        assert!(cache.fresh(now + S(10)).is_none());
        // A new token drops the old hint.
        cache.store(token("v", now + S(3600)));
        assert!(cache.fresh(now + S(3000)).is_some());
    }

    #[test]
    fn one_call_leads_a_refresh_and_the_others_get_its_outcome() {
        let now = SystemTime::now();
        let cache = TokenCache::default();
        let Refresh::Lead(lead) = cache.refresh(now) else {
            panic!("the first call leads")
        };
        let waiters: Vec<_> = (0..4)
            .map(|_| match cache.refresh(now) {
                Refresh::Wait(w) => std::thread::spawn(move || w.wait()),
                other => panic!("{other:?}"),
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        lead.finish(&Ok(AccessTokenInfo::from(token("new", now + S(3600)))));
        for w in waiters {
            assert_eq!(w.join().unwrap().unwrap().unwrap().token, "new");
        }
        // Later calls find it fresh.
        assert!(matches!(cache.refresh(now), Refresh::Fresh(t) if t.token == "new"));
    }

    #[test]
    fn a_failed_or_abandoned_refresh_lets_the_waiters_go() {
        let now = SystemTime::now();
        let cache = TokenCache::default();
        let Refresh::Lead(lead) = cache.refresh(now) else {
            panic!()
        };
        let Refresh::Wait(w) = cache.refresh(now) else {
            panic!()
        };
        lead.finish(&Err(Error::new(ErrorKind::ClientAuthentication, "no")));
        let err = w.wait().unwrap().unwrap_err();
        assert_eq!(
            (err.kind(), err.to_string().as_str()),
            (ErrorKind::ClientAuthentication, "no")
        );
        // A leader dropped unfinished (its call cancelled): the waiter gets `None` and the
        // next refresh leads.
        let Refresh::Lead(lead) = cache.refresh(now) else {
            panic!()
        };
        let Refresh::Wait(w) = cache.refresh(now) else {
            panic!()
        };
        drop(lead);
        assert!(w.wait().is_none());
        assert!(matches!(cache.refresh(now), Refresh::Lead(_)));
    }
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
