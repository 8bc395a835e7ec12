//! Cookies: the client's jar, filled from every response's `Set-Cookie` (redirects included)
//! and read on every attempt, in the core, so that a signing policy sees the `Cookie` header
//! that goes on the wire and a custom transport sends what the default one would.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use http::{HeaderMap, HeaderValue};
use url::Url;

/// A client's cookie jar: `cookie_store`'s RFC 6265 store (domain and path matching, expiry,
/// the public-suffix rule), within RFC 6265 §6.1's minimum bounds, so that a server cannot
/// grow a long-lived client's jar without limit.
///
/// Each client gets one when it is built (its clones share it) unless its options name one
/// ([`Options::with_cookie_jar`](crate::options::Options::with_cookie_jar)): clients given
/// the same jar share their cookies. `Clone` is cheap and shares the cookies. An exchange
/// whose options have no jar keeps no cookies.
///
/// Expiry is judged by `cookie_store` against the system's clock, not the call's
/// [`Clock`](crate::time::Clock).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::CookieJar;
/// use http::{header, HeaderMap, HeaderValue};
///
/// let jar = CookieJar::new();
/// let url = "https://example.com/login".parse().unwrap();
/// let mut response = HeaderMap::new();
/// response.insert(header::SET_COOKIE, HeaderValue::from_static("session=xyz; Path=/"));
/// jar.store(&response, &url);
///
/// let next = "https://example.com/items".parse().unwrap();
/// assert_eq!(jar.header_for(&next).unwrap(), "session=xyz");
/// let elsewhere = "https://example.net/items".parse().unwrap();
/// assert!(jar.header_for(&elsewhere).is_none());
/// ```
#[derive(Clone, Default)]
pub struct CookieJar(Arc<Inner>);

#[derive(Default)]
struct Inner {
    store: RwLock<cookie_store::CookieStore>,
    /// Set once a response stored a cookie: until then no request takes the jar's lock.
    used: AtomicBool,
}

/// A cookie longer than this is dropped (RFC 6265 §6.1).
const MAX_COOKIE_BYTES: usize = 4096;
/// Cookies kept in all; a new one beyond this is dropped (those already kept stay).
const MAX_COOKIES: usize = 3000;
/// Cookies kept per domain; a new one beyond this is dropped.
const MAX_COOKIES_PER_DOMAIN: usize = 50;

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// Keeps the cookies of a response's `Set-Cookie` headers, for the request to `url` that
    /// the response answered. A cookie that does not parse, that the store refuses for `url`
    /// (another domain, a public suffix), or that does not fit the jar's bounds is dropped, as
    /// browsers do; one that replaces (or removes) a kept cookie always fits.
    pub fn store(&self, headers: &HeaderMap, url: &Url) {
        if !headers.contains_key(http::header::SET_COOKIE) {
            return;
        }
        let mut store = self.0.store.write().unwrap_or_else(PoisonError::into_inner);
        for value in headers.get_all(http::header::SET_COOKIE) {
            if value.len() > MAX_COOKIE_BYTES {
                continue;
            }
            let Some(raw) = std::str::from_utf8(value.as_bytes())
                .ok()
                .and_then(|v| cookie_store::RawCookie::parse(v).ok())
            else {
                continue;
            };
            let Ok(cookie) = cookie_store::Cookie::try_from_raw_cookie(&raw, url) else {
                continue;
            };
            let domain = cookie.domain.as_cow().unwrap_or_default();
            if !store.contains_any(&domain, &cookie.path, cookie.name()) {
                let (mut all, mut same_domain) = (0, 0);
                for kept in store.iter_unexpired() {
                    all += 1;
                    same_domain += usize::from(kept.domain == cookie.domain);
                }
                if all >= MAX_COOKIES || same_domain >= MAX_COOKIES_PER_DOMAIN {
                    continue;
                }
            }
            let _ = store.insert(cookie.into_owned(), url);
        }
        drop(store);
        self.0.used.store(true, Ordering::Relaxed);
    }

    /// The `Cookie` header the kept cookies make for a request to `url` (`a=1; b=2`), if any
    /// match it.
    pub fn header_for(&self, url: &Url) -> Option<HeaderValue> {
        if !self.0.used.load(Ordering::Relaxed) {
            return None;
        }
        let store = self.0.store.read().unwrap_or_else(PoisonError::into_inner);
        let mut value = String::new();
        for (name, v) in store.get_request_values(url) {
            if !value.is_empty() {
                value.push_str("; ");
            }
            value.push_str(name);
            value.push('=');
            value.push_str(v);
        }
        drop(store);
        if value.is_empty() {
            return None;
        }
        HeaderValue::from_str(&value).ok()
    }

    /// Adds the cookies kept for `url` to a request's headers. When the request already has a
    /// `Cookie` header (the call's own cookies), the two are joined into one and the call's
    /// cookie wins on a name clash. Returns the request's own `Cookie` value as it was before,
    /// when there was one and it changed (the log shows the request without the jar's
    /// additions), and whether anything was added.
    pub(crate) fn add_to(&self, url: &Url, headers: &mut HeaderMap) -> Added {
        let Some(stored) = self.header_for(url) else {
            return Added::Nothing;
        };
        if !headers.contains_key(http::header::COOKIE) {
            headers.insert(http::header::COOKIE, stored);
            return Added::New;
        }
        let own: Vec<String> = headers
            .get_all(http::header::COOKIE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let mut merged = own.join("; ");
        let name = |pair: &str| {
            pair.split_once('=')
                .map_or(pair, |(n, _)| n)
                .trim()
                .to_owned()
        };
        let taken: std::collections::HashSet<String> = merged.split(';').map(name).collect();
        for pair in String::from_utf8_lossy(stored.as_bytes()).split(';') {
            if !pair.trim().is_empty() && !taken.contains(&name(pair)) {
                merged.push_str("; ");
                merged.push_str(pair.trim());
            }
        }
        let Ok(value) = HeaderValue::from_str(&merged) else {
            return Added::Nothing;
        };
        let before: Vec<HeaderValue> = headers
            .get_all(http::header::COOKIE)
            .iter()
            .cloned()
            .collect();
        if before.len() == 1 && before[0] == value {
            return Added::Nothing;
        }
        // One header, even when the jar added nothing to it: a request sends one `Cookie`.
        headers.insert(http::header::COOKIE, value);
        Added::Merged(before)
    }
}

impl<B: super::RequestBody> super::Exchange<B> {
    /// Keeps the cookies a response sets, whatever the response (a redirect's, a retried
    /// one's, a side request's), for the URL of the request it answers.
    pub(super) fn keep_cookies(&self, head: &super::ResponseHead) {
        let Some(jar) = self.opts.cookie_jar() else {
            return;
        };
        if !head.headers.contains_key(http::header::SET_COOKIE) {
            return;
        }
        let url = match &self.state {
            super::State::Side(detour) => detour.sent_to(),
            _ => None,
        };
        jar.store(&head.headers, url.unwrap_or(&self.template.parts.url));
    }
}

/// What [`CookieJar::add_to`] did to a request's `Cookie` header.
#[derive(Debug)]
pub(crate) enum Added {
    /// Nothing: no kept cookie matched, or the request's one header had them all.
    Nothing,
    /// A `Cookie` header where there was none.
    New,
    /// The jar's cookies joined to the request's own (into one header), whose values were
    /// these.
    Merged(Vec<HeaderValue>),
}

/// Never the cookies: they are credentials.
impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieJar")
            .field("used", &self.0.used.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::{Added, CookieJar};
    use http::{header, HeaderMap, HeaderValue};

    fn set(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::SET_COOKIE, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_call_s_own_cookie_wins_and_the_jar_fills_in() {
        let jar = CookieJar::new();
        let url = "http://a.example/x".parse().unwrap();
        jar.store(&set(&["session=jar; Path=/", "theme=dark; Path=/"]), &url);
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("session=mine"));
        let Added::Merged(before) = jar.add_to(&url, &mut headers) else {
            panic!("merged")
        };
        assert_eq!(before, ["session=mine"]);
        assert_eq!(headers[header::COOKIE], "session=mine; theme=dark");
    }

    #[test]
    fn an_unused_jar_adds_nothing_and_debug_shows_no_cookie() {
        let jar = CookieJar::new();
        let url = "http://a.example/x".parse().unwrap();
        let mut headers = HeaderMap::new();
        assert!(matches!(jar.add_to(&url, &mut headers), Added::Nothing));
        assert!(headers.is_empty());
        jar.store(&set(&["session=s3cr3t"]), &url);
        let shown = format!("{jar:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}
