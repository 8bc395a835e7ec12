//! Transports: what sends one request and returns one response. The pipeline decides
//! everything else; a transport performs exactly one exchange (no redirects, no retries).
//!
//! The default is [`HyperTransport`], on hyper with rustls. Plug in your own by
//! implementing [`Transport`] (async) or [`BlockingTransport`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use clientcore_proto::options::TransportConfig;
use clientcore_proto::pipeline::{Request, ResponseHead};
use clientcore_proto::Error;

use crate::Body;

#[cfg(feature = "_transport")]
mod hyper;
#[cfg(feature = "async")]
pub(crate) use self::hyper::response_timeout;
#[cfg(feature = "blocking")]
pub(crate) use self::hyper::transport_block_on;
#[cfg(feature = "_transport")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "async", feature = "blocking"))))]
pub use self::hyper::HyperTransport;

/// A boxed future, as the transport traits return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one request, asynchronously.
///
/// Both transport traits take the same arguments: the request as the pipeline shaped it, the
/// call's [`TransportConfig`], and the attempt's `timeout`. The request comes with every
/// header decided (`Accept`, `Accept-Encoding`, `Content-Length`, the cookie jar's `Cookie`,
/// URL user information as `Authorization`, as the pipeline's `wire` module lists): a
/// transport adds only what its connection needs (`Host`, framing, a proxy's credentials),
/// and keeps no cookies of its own. The transport keeps the timeout
/// itself (the clients set no timer of their own around `send`): once it has passed without a
/// response head, `send` ends with
/// [`ErrorKind::ServiceResponseTimeout`](clientcore_proto::ErrorKind::ServiceResponseTimeout)
/// (or `ServiceRequestTimeout` when no connection could be opened).
///
/// Errors must be classified: [`ErrorKind::ServiceRequest`] (or its timeout) when the request
/// was not sent, [`ErrorKind::ServiceResponse`] (or its timeout) when it was. The retry
/// policy relies on it to decide whether a POST may be sent again.
///
/// The head's [`received`](ResponseHead::received) time need not be set (leave it at
/// [`ResponseHead::new`]'s): the client stamps the head with its own clock's wall time when
/// `send` hands it over, so that `Retry-After` dates are read against the clock the client
/// was built with.
///
/// [`ErrorKind::ServiceRequest`]: clientcore_proto::ErrorKind::ServiceRequest
/// [`ErrorKind::ServiceResponse`]: clientcore_proto::ErrorKind::ServiceResponse
///
/// # Examples
///
/// A transport that answers every request itself, as a test double does:
///
/// ```
/// use std::time::Duration;
/// use clientcore::options::TransportConfig;
/// use clientcore::pipeline::{Request, ResponseHead};
/// use clientcore::transport::{BoxFuture, Transport, TransportResponse};
/// use clientcore::{Body, Error};
///
/// #[derive(Debug)]
/// struct Canned;
///
/// impl Transport for Canned {
///     fn send<'a>(
///         &'a self,
///         _request: Request<Body>,
///         _config: &'a TransportConfig,
///         _timeout: Duration,
///     ) -> BoxFuture<'a, Result<TransportResponse, Error>> {
///         // Answers at once: there is nothing to wait for, so no timeout to keep.
///         Box::pin(async {
///             Ok(TransportResponse {
///                 head: ResponseHead::new(http::StatusCode::OK),
///                 body: Box::new(bytes::Bytes::from("hello")),
///             })
///         })
///     }
/// }
///
/// let client = clientcore::Client::builder()
///     .transport(std::sync::Arc::new(Canned))
///     .build()?;
/// # let _ = client;
/// # Ok::<(), clientcore::Error>(())
/// ```
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` with the timeouts, TLS settings and proxies of `config`, giving up
    /// after `timeout` (the attempt's share of the call's time) with `ServiceResponseTimeout`.
    fn send<'a>(
        &'a self,
        request: Request<Body>,
        config: &'a TransportConfig,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<TransportResponse, Error>>;
}

/// Sends one request, blocking the thread.
///
/// The same arguments and the same contract as [`Transport`]: the transport keeps the
/// attempt's `timeout`, classifies its errors as sent or not, and need not date the head.
pub trait BlockingTransport: Send + Sync + fmt::Debug {
    /// Sends `request` with the settings of `config`, giving up after `timeout` (the time
    /// left in the call's budget) with `ServiceResponseTimeout`.
    ///
    /// # Errors
    ///
    /// Classified as for [`Transport::send`].
    fn send(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
        timeout: Duration,
    ) -> Result<BlockingTransportResponse, Error>;
}

/// Reads a response body chunk by chunk, asynchronously.
pub trait AsyncBodyRead: Send {
    /// The next chunk, or `None` at the end.
    fn chunk(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, Error>>;
}

/// A response body as the async client holds it: the default transport's body read directly (no boxed future per chunk), or any transport's reader.
#[cfg(feature = "async")]
pub(crate) enum AsyncBody {
    Default(self::hyper::HyperRead),
    Dyn(Box<dyn AsyncBodyRead>),
}

#[cfg(feature = "async")]
impl AsyncBody {
    /// Whether the body is known to have no more data, without reading: only the default
    /// transport can tell.
    pub(crate) fn is_end(&self) -> bool {
        match self {
            AsyncBody::Default(r) => r.is_end(),
            AsyncBody::Dyn(_) => false,
        }
    }

    /// The next chunk, or `None` at the end.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        match self {
            AsyncBody::Default(r) => r.chunk().await,
            AsyncBody::Dyn(b) => b.chunk().await,
        }
    }
}

/// Reads a response body chunk by chunk, blocking.
pub trait BlockingBodyRead: Send {
    /// The next chunk, or `None` at the end.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::IncompleteRead`](clientcore_proto::ErrorKind::IncompleteRead) when the
    /// connection closed early, a timeout kind when a read timed out.
    fn chunk(&mut self) -> Result<Option<Bytes>, Error>;

    /// The next chunk, as [`chunk`](Self::chunk), but waiting for it no later than
    /// `deadline`: the clients read error bodies and buffered bodies with it, inside the
    /// call's deadline. The default ignores the deadline and calls `chunk`; a transport whose
    /// reads can wait should bound them.
    ///
    /// # Errors
    ///
    /// As [`chunk`](Self::chunk), and
    /// [`ErrorKind::ServiceResponseTimeout`](clientcore_proto::ErrorKind::ServiceResponseTimeout)
    /// when `deadline` passes first.
    fn chunk_before(&mut self, deadline: std::time::Instant) -> Result<Option<Bytes>, Error> {
        let _ = deadline;
        self.chunk()
    }
}

/// What an async transport returns: the head, and the body still on the wire.
pub struct TransportResponse {
    /// Status line and headers.
    pub head: ResponseHead,
    /// The body.
    pub body: Box<dyn AsyncBodyRead>,
}

/// What a blocking transport returns.
pub struct BlockingTransportResponse {
    /// Status line and headers.
    pub head: ResponseHead,
    /// The body.
    pub body: Box<dyn BlockingBodyRead>,
}

impl fmt::Debug for TransportResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportResponse")
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for BlockingTransportResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingTransportResponse")
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

// A body already in memory is `Bytes` itself: a transport that has the whole body (a mock, a
// recording, a cache) answers with `Box::new(bytes)`, and no wrapper type is needed.
impl AsyncBodyRead for Bytes {
    fn chunk(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, Error>> {
        let next = take_whole(self);
        Box::pin(async move { Ok(next) })
    }
}

impl BlockingBodyRead for Bytes {
    fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        Ok(take_whole(self))
    }
}

/// The whole of `bytes` as one chunk, then the end (an empty body has no chunk).
fn take_whole(bytes: &mut Bytes) -> Option<Bytes> {
    Some(std::mem::take(bytes)).filter(|b| !b.is_empty())
}
