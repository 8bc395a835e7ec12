//! The client's cookie jar: what responses set, sent back on the requests they match.

use std::sync::PoisonError;

/// A client's cookie jar: `cookie_store`'s RFC 6265 store (domain and path matching, expiry,
/// the public-suffix rule).
#[derive(Default)]
pub(super) struct Jar(std::sync::RwLock<cookie_store::CookieStore>);

/// The jar's bounds, RFC 6265 §6.1's minimums for what a user agent keeps: a server cannot
/// grow a long-lived client's jar without limit. A cookie longer than this is dropped.
const MAX_COOKIE_BYTES: usize = 4096;
/// Cookies kept in all; a new one beyond this is dropped (those already kept stay).
const MAX_COOKIES: usize = 3000;
/// Cookies kept per domain; a new one beyond this is dropped.
const MAX_COOKIES_PER_DOMAIN: usize = 50;

impl Jar {
    /// Keeps the cookies of a response's `Set-Cookie` headers; one that does not parse, that
    /// the store refuses for `url`, or that does not fit the jar's bounds is dropped, as
    /// browsers do. A cookie that replaces (or removes) a kept one always fits.
    pub(super) fn store(&self, headers: &http::HeaderMap, url: &url::Url) {
        let mut store = self.0.write().unwrap_or_else(PoisonError::into_inner);
        for value in headers.get_all(http::header::SET_COOKIE) {
            if value.len() > MAX_COOKIE_BYTES {
                continue;
            }
            let Some(raw) = std::str::from_utf8(value.as_bytes())
                .ok()
                .and_then(|v| cookie::Cookie::parse(v).ok())
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
    }

    /// The `Cookie` header the stored cookies make for a request to `url`, if any match.
    fn header(&self, url: &url::Url) -> Option<http::HeaderValue> {
        let store = self.0.read().unwrap_or_else(PoisonError::into_inner);
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
        http::HeaderValue::from_str(&value).ok()
    }
}

/// Adds the jar's cookies for `url` to a request; when it already has a `Cookie` header (the
/// call's own cookies), those win on a name clash.
#[cold]
#[inline(never)]
pub(super) fn merge_jar_cookies(jar: &Jar, url: &url::Url, headers: &mut http::HeaderMap) {
    let Some(stored) = jar.header(url) else {
        return;
    };
    if !headers.contains_key(http::header::COOKIE) {
        headers.insert(http::header::COOKIE, stored);
        return;
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
    if let Ok(value) = http::HeaderValue::from_str(&merged) {
        headers.insert(http::header::COOKIE, value);
    }
}
