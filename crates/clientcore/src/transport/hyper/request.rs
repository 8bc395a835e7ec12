//! The request as hyper takes it: its URL (userinfo moved into `Authorization`) and its body.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use clientcore_proto::{Error, ErrorKind};

use super::BoxError;
use crate::body::Outgoing;

/// Takes the user information out of the request's URL (`https://user:password@host/`) and
/// sends it as Basic authorization instead, as Python's requests does, unless the request
/// carries an `Authorization` of its own, which wins. RFC 9110 §4.2.4 forbids userinfo in a
/// request target, and nothing below this point (hyper, hyper-util's pool and its logs, a
/// proxy) is to see the password.
#[cold]
#[inline(never)]
pub(super) fn userinfo_to_basic(parts: &mut clientcore_proto::pipeline::RequestParts) {
    use base64::Engine as _;
    let user = percent_decode(parts.url.username());
    let password = parts.url.password().map(percent_decode).unwrap_or_default();
    // Infallible for a URL with a host (userinfo needs one), which is all that has any.
    let _ = parts.url.set_username("");
    let _ = parts.url.set_password(None);
    if parts.headers.contains_key(http::header::AUTHORIZATION) {
        return;
    }
    let mut credentials = user;
    credentials.push(b':');
    credentials.extend_from_slice(&password);
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    if let Ok(mut value) = http::HeaderValue::from_str(&format!("Basic {encoded}")) {
        value.set_sensitive(true);
        parts.headers.insert(http::header::AUTHORIZATION, value);
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

/// hyper's form of a request URL: `http` or `https`, with a host.
pub(super) fn uri_of(url: &url::Url) -> Result<http::Uri, Error> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::new(
            ErrorKind::ServiceRequest,
            format!(
                "unsupported URL scheme `{}`: only http and https",
                url.scheme()
            ),
        ));
    }
    if url.host().is_none() {
        return Err(Error::new(ErrorKind::ServiceRequest, "the URL has no host"));
    }
    url.as_str().parse::<http::Uri>().map_err(|e| {
        Error::with_source(ErrorKind::ServiceRequest, e).with_message("invalid URL for HTTP")
    })
}

/// A request body as hyper sends it.
pub(super) enum SendBody {
    /// `None` once sent (or when empty: a GET goes without `Content-Length`).
    Bytes(Option<Bytes>),
    Stream(crate::body::ByteStream, Option<u64>),
}

impl SendBody {
    pub(super) fn new(outgoing: Outgoing, declared: Option<u64>) -> Self {
        match outgoing {
            Outgoing::Bytes(b) => SendBody::Bytes(Some(b).filter(|b| !b.is_empty())),
            Outgoing::Stream(s) => SendBody::Stream(s, declared),
        }
    }
}

impl http_body::Body for SendBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            SendBody::Bytes(b) => Poll::Ready(b.take().map(|b| Ok(http_body::Frame::data(b)))),
            SendBody::Stream(s, _) => {
                let next = ready!(s.as_mut().poll_next(cx));
                Poll::Ready(next.map(|r| r.map(http_body::Frame::data).map_err(Into::into)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, SendBody::Bytes(None))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            SendBody::Bytes(b) => {
                http_body::SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64))
            }
            SendBody::Stream(_, Some(n)) => http_body::SizeHint::with_exact(*n),
            SendBody::Stream(_, None) => http_body::SizeHint::default(),
        }
    }
}
