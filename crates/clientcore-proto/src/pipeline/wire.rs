//! The headers of the wire: what an attempt carries besides what the caller, the options and
//! the credentials said, decided here on every attempt before the per-try policies run, so
//! that a signing policy sees the request exactly as it goes out and a custom transport gets
//! the same headers as the default one. The transport adds nothing a policy could sign.
//!
//! | Header | When |
//! |---|---|
//! | `Authorization: Basic` | the URL has user information (`https://user:password@host/`): taken out of the URL, percent-decoded, unless the request has an `Authorization` of its own |
//! | `Cookie` | the client's [`CookieJar`](super::CookieJar) has cookies for the URL; joined to the request's own, which win a name clash |
//! | `Content-Length` | the body's length is known and not zero: bytes in memory, or a stream of declared length (a stream of unknown length goes chunked, framed by the transport) |
//! | `Accept: */*` | the request has none: some services refuse a request without it |
//! | `Accept-Encoding: gzip, deflate` | the request has none and asks for no `Range` (a range of a compressed body cannot be decoded on its own); sent whether or not the call decodes, as the reference does |
//!
//! What stays with the transport is what belongs to one connection: `Host`, the framing of a
//! stream of unknown length (`Transfer-Encoding: chunked`), and `Proxy-Authorization`, a
//! credential for the proxy hop alone that the connector adds to a request it sends to an
//! HTTP proxy in absolute form (a `CONNECT` tunnel carries it on the `CONNECT`), where the
//! proxy rules that choose the proxy also choose its credentials. It never reaches a signer or
//! the origin server.
//!
//! The HTTP log shows an attempt without these additions, as the reference's log shows a
//! request before `requests` adds its own at send time.

use std::time::SystemTime;

use http::header::Entry;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::options::Options;

use super::cookies::Added;
use super::{Request, RequestBody, RequestParts};

/// What [`add`] put on an attempt, so that the log can leave it out and a cross-origin attempt
/// can keep the credentials that belong to its own URL.
#[derive(Debug, Default)]
pub(super) struct WireHeaders {
    /// Which headers were added where the request had none: the `ADDED_*` bits.
    added: u8,
    /// The request's own `Cookie` values, when the jar's cookies were joined to them.
    cookie_before: Option<Vec<HeaderValue>>,
}

const ADDED_AUTHORIZATION: u8 = 1;
const ADDED_COOKIE: u8 = 1 << 1;
const ADDED_CONTENT_LENGTH: u8 = 1 << 2;
const ADDED_ACCEPT: u8 = 1 << 3;
const ADDED_ACCEPT_ENCODING: u8 = 1 << 4;

const ADDED: [(u8, HeaderName); 5] = [
    (ADDED_AUTHORIZATION, http::header::AUTHORIZATION),
    (ADDED_COOKIE, http::header::COOKIE),
    (ADDED_CONTENT_LENGTH, http::header::CONTENT_LENGTH),
    (ADDED_ACCEPT, http::header::ACCEPT),
    (ADDED_ACCEPT_ENCODING, http::header::ACCEPT_ENCODING),
];

/// Adds the wire's headers to an attempt (see the module docs) and takes user information out
/// of its URL.
pub(super) fn add<B: RequestBody>(
    request: &mut Request<B>,
    opts: &Options,
    now: SystemTime,
) -> WireHeaders {
    let mut wire = WireHeaders::default();
    let parts = &mut request.parts;
    if (!parts.url.username().is_empty() || parts.url.password().is_some())
        && userinfo_to_basic(parts)
    {
        wire.added |= ADDED_AUTHORIZATION;
    }
    if let Some(jar) = opts.cookie_jar() {
        match jar.add_to(&parts.url, &mut parts.headers, now) {
            Added::Nothing => {}
            Added::New => wire.added |= ADDED_COOKIE,
            Added::Merged(before) => wire.cookie_before = Some(before),
        }
    }
    let headers = &mut parts.headers;
    // A length the caller framed themselves (either header) is theirs.
    if !headers.contains_key(http::header::CONTENT_LENGTH)
        && !headers.contains_key(http::header::TRANSFER_ENCODING)
    {
        // An empty body in memory goes with no framing header at all, as it always has.
        let len = match request.body.as_bytes() {
            Some([]) => None,
            _ => request.body.known_len(),
        };
        if let Some(len) = len {
            headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
            wire.added |= ADDED_CONTENT_LENGTH;
        }
    }
    // Through `entry`: one lookup where `contains_key` and `insert` would hash the name twice.
    if let Entry::Vacant(accept) = headers.entry(http::header::ACCEPT) {
        accept.insert(HeaderValue::from_static("*/*"));
        wire.added |= ADDED_ACCEPT;
    }
    if !headers.contains_key(http::header::RANGE) {
        if let Entry::Vacant(coding) = headers.entry(http::header::ACCEPT_ENCODING) {
            coding.insert(HeaderValue::from_static("gzip, deflate"));
            wire.added |= ADDED_ACCEPT_ENCODING;
        }
    }
    wire
}

impl WireHeaders {
    /// The request as the caller and the pipeline made it, for the log: `None` when nothing
    /// was added, so that the attempt itself is logged without a copy.
    pub(super) fn without(&self, parts: &RequestParts) -> Option<RequestParts> {
        if self.added == 0 && self.cookie_before.is_none() {
            return None;
        }
        // Built anew in the attempt's order (removing from a `HeaderMap` moves its last entry
        // into the gap), so the log lists the headers as the request has them.
        let mut headers = HeaderMap::with_capacity(parts.headers.len());
        let mut cookie_done = false;
        for (name, value) in &parts.headers {
            if ADDED
                .iter()
                .any(|(bit, added)| self.added & bit != 0 && added == name)
            {
                continue;
            }
            match &self.cookie_before {
                Some(before) if name == http::header::COOKIE => {
                    if !cookie_done {
                        cookie_done = true;
                        for v in before {
                            headers.append(name.clone(), v.clone());
                        }
                    }
                }
                _ => {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
        let shown = RequestParts {
            method: parts.method.clone(),
            url: parts.url.clone(),
            headers,
        };
        Some(shown)
    }

    /// The credentials that belong to the attempt's own URL (its user information, the jar's
    /// cookies for it), as they are in `headers`: on an attempt to another origin than the
    /// call's, the call's credentials are stripped after the policies ran, and these are put
    /// back.
    pub(super) fn own_credentials(&self, headers: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
        let mut own = Vec::new();
        for (bit, name) in &ADDED[..2] {
            if self.added & bit != 0 {
                if let Some(v) = headers.get(name) {
                    own.push((name.clone(), v.clone()));
                }
            }
        }
        own
    }
}

/// Takes the user information out of the URL (`https://user:password@host/`) and, unless the
/// request carries an `Authorization` of its own, which wins, sends it as Basic authorization
/// instead, as Python's requests does. RFC 9110 §4.2.4 forbids userinfo in a request target,
/// and nothing after this point (policies' logs, the transport, a proxy) is to see the
/// password in a URL. Returns whether it added the header.
#[cold]
#[inline(never)]
fn userinfo_to_basic(parts: &mut RequestParts) -> bool {
    use base64::Engine as _;
    let user = percent_decode(parts.url.username());
    let password = parts.url.password().map(percent_decode).unwrap_or_default();
    // Infallible for a URL with a host (userinfo needs one), which is all that has any.
    let _ = parts.url.set_username("");
    let _ = parts.url.set_password(None);
    if parts.headers.contains_key(http::header::AUTHORIZATION) {
        return false;
    }
    let mut credentials = user;
    credentials.push(b':');
    credentials.extend_from_slice(&password);
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    match HeaderValue::from_str(&format!("Basic {encoded}")) {
        Ok(mut value) => {
            value.set_sensitive(true);
            parts.headers.insert(http::header::AUTHORIZATION, value);
            true
        }
        Err(_) => false,
    }
}

/// The bytes a percent-encoded URL component stands for (`%40` is `@`); a `%` not followed
/// by two hex digits stands for itself.
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let (h, l) = (hex(h).unwrap_or(0), hex(l).unwrap_or(0));
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::{header, HeaderValue, Method};

    use super::add;
    use crate::options::Options;
    use crate::pipeline::{CookieJar, Request};
    use std::time::SystemTime;

    fn request(url: &str, body: &'static [u8]) -> Request<Bytes> {
        Request::new(Method::PUT, url.parse().unwrap()).with_body(Bytes::from_static(body))
    }

    #[test]
    fn an_attempt_carries_what_goes_on_the_wire() {
        let jar = CookieJar::new();
        let mut set = http::HeaderMap::new();
        set.insert(header::SET_COOKIE, HeaderValue::from_static("s=1; Path=/"));
        jar.store(
            &set,
            &"https://h.example/".parse().unwrap(),
            SystemTime::UNIX_EPOCH,
        );
        let mut r = request("https://al%20ice:p%40ss@h.example/x", b"hello");
        let wire = add(
            &mut r,
            &Options::new().with_cookie_jar(jar),
            SystemTime::UNIX_EPOCH,
        );
        let h = &r.parts.headers;
        assert_eq!(r.parts.url.as_str(), "https://h.example/x");
        // `al ice:p@ss`, base64.
        assert_eq!(h[header::AUTHORIZATION], "Basic YWwgaWNlOnBAc3M=");
        assert_eq!(h[header::COOKIE], "s=1");
        assert_eq!(h[header::CONTENT_LENGTH], "5");
        assert_eq!(h[header::ACCEPT], "*/*");
        assert_eq!(h[header::ACCEPT_ENCODING], "gzip, deflate");
        // The log's view: none of them.
        let shown = wire.without(&r.parts).unwrap();
        assert!(shown.headers.is_empty(), "{:?}", shown.headers);
        assert_eq!(wire.own_credentials(h).len(), 2);
    }

    #[test]
    fn the_caller_s_headers_win_and_empty_bodies_get_no_length() {
        let mut r = request("https://h.example/x", b"")
            .with_header(header::ACCEPT, HeaderValue::from_static("application/json"))
            .with_header(header::RANGE, HeaderValue::from_static("bytes=0-9"));
        let wire = add(&mut r, &Options::new(), SystemTime::UNIX_EPOCH);
        let h = &r.parts.headers;
        assert_eq!(h[header::ACCEPT], "application/json");
        assert!(!h.contains_key(header::ACCEPT_ENCODING), "not for a range");
        assert!(!h.contains_key(header::CONTENT_LENGTH));
        assert!(wire.without(&r.parts).is_none(), "nothing added");
    }
}
