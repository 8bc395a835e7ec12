//! Cookies: the client's jar, filled from every response's `Set-Cookie` (redirects included)
//! and read on every attempt, in the core, so that a signing policy sees the `Cookie` header
//! that goes on the wire and a custom transport sends what the default one would.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

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
/// Expiry is judged against the time the caller gives (the pipeline gives its
/// [`Clock`](crate::time::Clock)'s wall time, fake in tests): `Max-Age` counts from the
/// response's receipt, `Expires` is a date, and a cookie whose time has come is neither sent
/// nor counted against the bounds. The system clock is never read.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::CookieJar;
/// use http::{header, HeaderMap, HeaderValue};
///
/// use std::time::{Duration, SystemTime};
///
/// let jar = CookieJar::new();
/// let now = SystemTime::now();
/// let url = "https://example.com/login".parse().unwrap();
/// let mut response = HeaderMap::new();
/// response.insert(header::SET_COOKIE, HeaderValue::from_static("session=xyz; Path=/; Max-Age=60"));
/// jar.store(&response, &url, now);
///
/// let next = "https://example.com/items".parse().unwrap();
/// assert_eq!(jar.header_for(&next, now).unwrap(), "session=xyz");
/// let elsewhere = "https://example.net/items".parse().unwrap();
/// assert!(jar.header_for(&elsewhere, now).is_none());
/// // A minute later the cookie has expired.
/// assert!(jar.header_for(&next, now + Duration::from_secs(60)).is_none());
/// ```
#[derive(Clone, Default)]
pub struct CookieJar(Arc<Inner>);

#[derive(Default)]
struct Inner {
    store: RwLock<Kept>,
    /// Set once a response stored a cookie: until then no request takes the jar's lock.
    used: AtomicBool,
}

/// The cookies, and when each expires.
///
/// `cookie_store` judges expiry against the system clock only (`Max-Age` from its own reading
/// of it, too), so it is given every cookie as a session cookie and the expiry is kept here,
/// by domain, path and name, judged against the time the caller passes.
#[derive(Default)]
struct Kept {
    cookies: cookie_store::CookieStore,
    expires: HashMap<(String, String, String), SystemTime>,
}

impl Kept {
    fn is_expired(&self, cookie: &cookie_store::Cookie<'_>, now: SystemTime) -> bool {
        // Session cookies only (the common case): no key to build per cookie and request.
        if self.expires.is_empty() {
            return false;
        }
        let key = (
            cookie.domain.as_cow().unwrap_or_default().into_owned(),
            String::from(&cookie.path[..]),
            cookie.name().to_owned(),
        );
        self.expires.get(&key).is_some_and(|&at| at <= now)
    }

    /// Forgets the cookies whose time has come.
    fn purge(&mut self, now: SystemTime) {
        let gone: Vec<(String, String, String)> = self
            .expires
            .iter()
            .filter(|&(_, &at)| at <= now)
            .map(|(key, _)| key.clone())
            .collect();
        for key in gone {
            self.cookies.remove(&key.0, &key.1, &key.2);
            self.expires.remove(&key);
        }
    }
}

/// Where a `Max-Age` too long for `SystemTime` ends: the last second of year 9999, the
/// latest date RFC 6265 allows (never, in practice).
fn far_future() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799)
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
    /// the response answered, received at `received` (a `Max-Age` counts from it). A cookie
    /// that does not parse, that the store refuses for `url` (another domain, a public
    /// suffix), or that does not fit the jar's bounds is dropped, as browsers do; one that
    /// replaces (or removes, with a past date or a `Max-Age` of 0) a kept cookie always fits.
    pub fn store(&self, headers: &HeaderMap, url: &Url, received: SystemTime) {
        if !headers.contains_key(http::header::SET_COOKIE) {
            return;
        }
        let mut kept = self.0.store.write().unwrap_or_else(PoisonError::into_inner);
        kept.purge(received);
        for value in headers.get_all(http::header::SET_COOKIE) {
            if value.len() > MAX_COOKIE_BYTES {
                continue;
            }
            let Some(mut raw) = std::str::from_utf8(value.as_bytes())
                .ok()
                .and_then(|v| cookie_store::RawCookie::parse(v).ok())
            else {
                continue;
            };
            // RFC 6265 §5.3 step 3: `Max-Age` wins over `Expires`.
            let expires = match raw.max_age() {
                Some(age) => Some(
                    u64::try_from(age.whole_seconds())
                        .ok()
                        .filter(|&secs| secs > 0)
                        .map_or(SystemTime::UNIX_EPOCH, |secs| {
                            received
                                .checked_add(Duration::from_secs(secs))
                                .unwrap_or_else(far_future)
                        }),
                ),
                None => raw.expires_datetime().map(SystemTime::from),
            };
            // The store sees a session cookie (see `Kept`). `filter` makes a `None` of the
            // cookie crate's duration type, which this crate does not name.
            raw.set_max_age(raw.max_age().filter(|_| false));
            raw.unset_expires();
            let Ok(cookie) = cookie_store::Cookie::try_from_raw_cookie(&raw, url) else {
                continue;
            };
            let key = (
                cookie.domain.as_cow().unwrap_or_default().into_owned(),
                String::from(&cookie.path[..]),
                cookie.name().to_owned(),
            );
            if expires.is_some_and(|at| at <= received) {
                // A date in the past removes the cookie (RFC 6265 §5.3 step 11).
                kept.cookies.remove(&key.0, &key.1, &key.2);
                kept.expires.remove(&key);
                continue;
            }
            if !kept.cookies.contains_any(&key.0, &key.1, &key.2) {
                let (mut all, mut same_domain) = (0, 0);
                for other in kept.cookies.iter_any() {
                    all += 1;
                    same_domain += usize::from(other.domain == cookie.domain);
                }
                if all >= MAX_COOKIES || same_domain >= MAX_COOKIES_PER_DOMAIN {
                    continue;
                }
            }
            if kept.cookies.insert(cookie.into_owned(), url).is_ok() {
                match expires {
                    Some(at) => kept.expires.insert(key, at),
                    None => kept.expires.remove(&key),
                };
            }
        }
        drop(kept);
        self.0.used.store(true, Ordering::Relaxed);
    }

    /// The `Cookie` header the kept cookies make for a request to `url` at `now`
    /// (`a=1; b=2`), if any match it and have not expired.
    pub fn header_for(&self, url: &Url, now: SystemTime) -> Option<HeaderValue> {
        if !self.in_use() {
            return None;
        }
        let kept = self.0.store.read().unwrap_or_else(PoisonError::into_inner);
        let mut value = String::new();
        for cookie in kept.cookies.matches(url) {
            if kept.is_expired(cookie, now) {
                continue;
            }
            if !value.is_empty() {
                value.push_str("; ");
            }
            let (name, v) = cookie.name_value();
            value.push_str(name);
            value.push('=');
            value.push_str(v);
        }
        drop(kept);
        if value.is_empty() {
            return None;
        }
        HeaderValue::from_str(&value).ok()
    }

    /// Whether a response ever stored a cookie here: until then the jar adds nothing, and the
    /// pipeline need not read the wall clock for it.
    pub(crate) fn in_use(&self) -> bool {
        self.0.used.load(Ordering::Relaxed)
    }

    /// Adds the cookies kept for `url` to a request's headers. When the request already has a
    /// `Cookie` header (the call's own cookies), the two are joined into one and the call's
    /// cookie wins on a name clash. Returns the request's own `Cookie` value as it was before,
    /// when there was one and it changed (the log shows the request without the jar's
    /// additions), and whether anything was added.
    pub(crate) fn add_to(&self, url: &Url, headers: &mut HeaderMap, now: SystemTime) -> Added {
        let Some(stored) = self.header_for(url, now) else {
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
    pub(super) fn keep_cookies(&mut self, head: &super::ResponseHead) {
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
        jar.store(
            &head.headers,
            url.unwrap_or(&self.template.parts.url),
            head.received,
        );
        // The step that sends the next attempt may have begun before the jar was in use, and
        // so without reading the wall clock: the receipt time stands in for it.
        if self.wall == super::Wall::UNREAD {
            self.wall = super::Wall(head.received);
        }
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
    use std::time::{Duration, SystemTime};

    /// A fixed wall-clock time, far from the system's: expiry is judged against it alone.
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)
    }

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
        jar.store(
            &set(&["session=jar; Path=/", "theme=dark; Path=/"]),
            &url,
            now(),
        );
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("session=mine"));
        let Added::Merged(before) = jar.add_to(&url, &mut headers, now()) else {
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
        assert!(matches!(
            jar.add_to(&url, &mut headers, now()),
            Added::Nothing
        ));
        assert!(headers.is_empty());
        jar.store(&set(&["session=s3cr3t"]), &url, now());
        let shown = format!("{jar:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn expiry_is_judged_against_the_time_given_not_the_system_clock() {
        let jar = CookieJar::new();
        let url = "http://a.example/x".parse().unwrap();
        // An `Expires` date years before the system's clock, yet after `now()`.
        jar.store(
            &set(&[
                "short=1; Max-Age=60",
                "dated=2; Expires=Mon, 10 Sep 2001 00:00:00 GMT",
                "session=3",
            ]),
            &url,
            now(),
        );
        // The store's order of cookies is its own: compare them sorted.
        let sent = |secs| {
            let value = jar
                .header_for(&url, now() + Duration::from_secs(secs))
                .unwrap();
            let mut pairs: Vec<String> = value
                .to_str()
                .unwrap()
                .split("; ")
                .map(str::to_owned)
                .collect();
            pairs.sort();
            pairs.join("; ")
        };
        assert_eq!(sent(59), "dated=2; session=3; short=1");
        assert_eq!(sent(60), "dated=2; session=3");
        assert_eq!(sent(86_400 * 365), "session=3");
    }

    #[test]
    fn a_past_date_or_a_zero_max_age_removes_the_cookie() {
        let jar = CookieJar::new();
        let url = "http://a.example/x".parse().unwrap();
        jar.store(&set(&["a=1", "b=2", "c=3"]), &url, now());
        jar.store(
            &set(&[
                "a=gone; Max-Age=0",
                "b=gone; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
            ]),
            &url,
            now(),
        );
        assert_eq!(jar.header_for(&url, now()).unwrap(), "c=3");
    }

    #[test]
    fn expired_cookies_leave_room_under_the_bounds() {
        let jar = CookieJar::new();
        let url = "http://a.example/x".parse().unwrap();
        let full: Vec<String> = (0..super::MAX_COOKIES_PER_DOMAIN)
            .map(|i| format!("old{i}=1; Max-Age=10"))
            .collect();
        let mut headers = HeaderMap::new();
        for v in &full {
            headers.append(header::SET_COOKIE, HeaderValue::from_str(v).unwrap());
        }
        jar.store(&headers, &url, now());
        jar.store(&set(&["new=1"]), &url, now());
        assert!(!jar
            .header_for(&url, now())
            .unwrap()
            .to_str()
            .unwrap()
            .contains("new=1"));
        let later = now() + Duration::from_secs(11);
        jar.store(&set(&["new=1"]), &url, later);
        assert_eq!(jar.header_for(&url, later).unwrap(), "new=1");
    }
}
