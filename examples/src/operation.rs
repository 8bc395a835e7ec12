//! One call of an example SDK, described once and sent from async or blocking code.
//!
//! An SDK method builds an [`Operation`]: the request, the call's options (error format,
//! error map, the service's auth policy) and how to decode a successful answer. Nothing
//! is sent until the caller picks a driver: [`Operation::send`] on a [`Client`] or
//! [`Operation::send_blocking`] on a [`BlockingClient`]. This is the sans-IO shape of
//! clientcore carried up into the SDK, so each service operation is written once.

use std::fmt;

use bytes::Bytes;
use clientcore::http::{HeaderMap, StatusCode};
use clientcore::{BlockingClient, Body, Client, Error, Options, Request};

/// What a decoder sees of a successful response.
#[derive(Clone, Copy, Debug)]
pub struct Head<'a> {
    /// The status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: &'a HeaderMap,
}

/// Turns a successful response into the operation's result.
pub type Decode<T> = fn(Head<'_>, Bytes) -> Result<T, Error>;

/// A request, its options and its decoder, ready to be sent by either client.
///
/// # Examples
///
/// ```no_run
/// use clientcore::http::Method;
/// use clientcore::{Client, Options, Request};
/// use clientcore_examples::operation::Operation;
///
/// # async fn run() -> Result<(), clientcore::Error> {
/// let op = Operation::new(
///     Request::new(Method::GET, "https://example.com/".parse().unwrap()),
///     Options::new(),
///     |head, _body| Ok(head.status.as_u16()),
/// );
/// let status = op.send(&Client::builder().build()?).await?;
/// # let _ = status; Ok(()) }
/// ```
pub struct Operation<T> {
    request: Request<Body>,
    options: Options,
    decode: Decode<T>,
}

impl<T> Operation<T> {
    /// An operation from its parts.
    pub fn new(request: Request<Body>, options: Options, decode: Decode<T>) -> Self {
        Operation {
            request,
            options,
            decode,
        }
    }

    /// Changes this call's options (a timeout, a retry policy, a hook) before sending.
    #[must_use]
    pub fn options(mut self, change: impl FnOnce(Options) -> Options) -> Self {
        self.options = change(self.options);
        self
    }

    /// Makes the call conditional: `If-Match` / `If-None-Match` from `condition`, and its
    /// statuses mapped (412 to [`ResourceModified`](clientcore::ErrorKind::ResourceModified)
    /// for `IfNotModified`, and so on).
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::conditions::{Conditional, ETag, MatchConditions};
    /// use clientcore::http::Method;
    /// use clientcore::{ErrorKind, Options, Request};
    /// use clientcore_examples::operation::Operation;
    ///
    /// let etag = ETag::new("\"0x1\"");
    /// let op = Operation::new(
    ///     Request::new(Method::PUT, "https://example.com/b".parse().unwrap()),
    ///     Options::new(),
    ///     |_, _| Ok(()),
    /// )
    /// .when(&Conditional::new(MatchConditions::IfNotModified, Some(&etag)).unwrap());
    /// let (_, options) = op.into_parts();
    /// assert_eq!(options.headers()["if-match"], "\"0x1\"");
    /// assert_eq!(options.error_map().kind_for(412), ErrorKind::ResourceModified);
    /// ```
    #[must_use]
    pub fn when(self, condition: &clientcore::conditions::Conditional) -> Self {
        self.options(|o| condition.apply(o))
    }

    /// The request as it will be sent (before the pipeline adds its headers).
    pub fn request(&self) -> &Request<Body> {
        &self.request
    }

    /// The request and options, to send by hand (for a streamed response, say).
    pub fn into_parts(self) -> (Request<Body>, Options) {
        (self.request, self.options)
    }

    /// Sends through the async client and decodes the answer.
    ///
    /// The answer is read whole, inside the pipeline, up to
    /// [`MAX_BUFFERED_BODY`](clientcore::MAX_BUFFERED_BODY) bytes unless the options set
    /// their own limit: a service cannot make a call hold more. Read large content in blocks
    /// from the request of [`into_parts`](Self::into_parts) instead.
    ///
    /// # Errors
    ///
    /// The client's errors, typed by the operation's error format and map, and the
    /// decoder's.
    pub async fn send(self, client: &Client) -> Result<T, Error> {
        let options = bounded(self.options);
        let mut response = client.send(self.request, &options).await?;
        let body = response.read().await?;
        (self.decode)(
            Head {
                status: response.status(),
                headers: response.headers(),
            },
            body,
        )
    }

    /// Sends through the blocking client and decodes the answer.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_blocking(self, client: &BlockingClient) -> Result<T, Error> {
        let options = bounded(self.options);
        let mut response = client.send(self.request, &options)?;
        let body = response.read_all()?;
        (self.decode)(
            Head {
                status: response.status(),
                headers: response.headers(),
            },
            body,
        )
    }
}

/// Whole answers are read inside the pipeline, bounded (and retried when cut short).
fn bounded(options: Options) -> Options {
    if options.buffered_body().is_some() {
        options
    } else {
        options.with_buffered_body(Some(clientcore::MAX_BUFFERED_BODY))
    }
}

impl<T> fmt::Debug for Operation<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("method", &self.request.parts.method)
            .field("url", &self.request.parts.url.as_str())
            .finish_non_exhaustive()
    }
}
