//! The request as hyper takes it: its URL and its body.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use clientcore_proto::{Error, ErrorKind};

use super::BoxError;
use crate::body::Outgoing;

/// hyper's form of a request URL: `http` or `https`, with a host, and no user information
/// (the pipeline sends it as `Authorization`; RFC 9110 §4.2.4 forbids it in a request target,
/// and a proxy must not see it). A URL that still has some reached the transport without the
/// pipeline: it is refused rather than sent or silently dropped.
pub(super) fn uri_of(url: &url::Url) -> Result<http::Uri, Error> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::new(
            ErrorKind::ServiceRequest,
            "the URL has user information: send it through a client, whose pipeline sends it \
             as Basic authorization",
        ));
    }
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
