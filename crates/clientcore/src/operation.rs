//! One call of an SDK, described once and sent from async or blocking code.
//!
//! An SDK method builds an [`Operation`]: the request, the call's options (error format,
//! error map, the service's auth policy) and how to turn a successful answer into the
//! method's result. Nothing is sent until the caller picks a driver: [`Operation::send`] on
//! a [`Client`](crate::Client) or [`Operation::send_blocking`] on a
//! [`BlockingClient`](crate::BlockingClient). This is the sans-IO shape of clientcore carried
//! up into the SDK, so each service operation is written once. The
//! [guide](crate::guide) walks through an SDK built this way.

use std::fmt;

use bytes::Bytes;

use crate::http::{HeaderMap, StatusCode};
use crate::{Body, Error, ErrorKind, Options, Request};

/// What a decoder sees of a successful response besides its body.
#[derive(Clone, Copy, Debug)]
pub struct Head<'a> {
    /// The status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: &'a HeaderMap,
}

impl Head<'_> {
    /// The value of header `name`, when present and visible ASCII.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::http::{HeaderMap, StatusCode};
    /// use clientcore::operation::Head;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-ms-request-id", "abc".parse().unwrap());
    /// let head = Head { status: StatusCode::OK, headers: &headers };
    /// assert_eq!(head.header("x-ms-request-id"), Some("abc"));
    /// assert_eq!(head.header("etag"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Header `name` parsed with [`FromStr`](std::str::FromStr).
    ///
    /// # Errors
    ///
    /// A [`Deserialization`](ErrorKind::Deserialization) error naming the header when it is
    /// missing or does not parse.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::http::{HeaderMap, StatusCode};
    /// use clientcore::operation::Head;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-ms-approximate-messages-count", "7".parse().unwrap());
    /// let head = Head { status: StatusCode::OK, headers: &headers };
    /// assert_eq!(head.parse::<u64>("x-ms-approximate-messages-count").unwrap(), 7);
    /// assert!(head.parse::<u64>("x-ms-other").is_err());
    /// ```
    pub fn parse<T: std::str::FromStr>(&self, name: &str) -> Result<T, Error> {
        self.header(name)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Deserialization,
                    format!("the response has no valid `{name}` header"),
                )
            })
    }
}

/// Turns a successful response (its head and whole body) into an operation's result: a
/// function or a closure capturing what it needs.
pub type Decode<T> = Box<dyn FnOnce(Head<'_>, Bytes) -> Result<T, Error> + Send>;

/// A request, its options and its decoder, ready to be sent by either client.
///
/// # Examples
///
/// ```no_run
/// use clientcore::http::Method;
/// use clientcore::operation::Operation;
/// use clientcore::{Client, Options, Request};
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
    pub fn new<F>(request: Request<Body>, options: Options, decode: F) -> Self
    where
        F: FnOnce(Head<'_>, Bytes) -> Result<T, Error> + Send + 'static,
    {
        Operation {
            request,
            options,
            decode: Box::new(decode),
        }
    }

    /// Changes this call's options (a timeout, a retry policy, a hook) before sending.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::http::Method;
    /// use clientcore::operation::Operation;
    /// use clientcore::{Options, Request};
    ///
    /// let op = Operation::new(
    ///     Request::new(Method::GET, "https://example.com/".parse().unwrap()),
    ///     Options::new(),
    ///     |_, _| Ok(()),
    /// )
    /// .options(|o| o.with_request_id("call-1"));
    /// let (_, options) = op.into_parts();
    /// assert_eq!(options.request_id(), Some("call-1"));
    /// ```
    #[must_use]
    pub fn options(mut self, change: impl FnOnce(Options) -> Options) -> Self {
        self.options = change(self.options);
        self
    }

    /// Makes the call conditional: `If-Match` / `If-None-Match` from `condition`, and its
    /// statuses mapped (412 to [`ResourceModified`](ErrorKind::ResourceModified) for
    /// `IfNotModified`, and so on).
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::conditions::{Conditional, ETag, MatchConditions};
    /// use clientcore::http::Method;
    /// use clientcore::operation::Operation;
    /// use clientcore::{ErrorKind, Options, Request};
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
    pub fn when(self, condition: &crate::conditions::Conditional) -> Self {
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

    /// The request, options and decoder: to send with a transport of one's own, or, in an
    /// SDK's tests, to check the request and feed the decoder a recorded answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::http::{HeaderMap, Method, StatusCode};
    /// use clientcore::operation::{Head, Operation};
    /// use clientcore::{Options, Request};
    ///
    /// let op = Operation::new(
    ///     Request::new(Method::GET, "https://example.com/count".parse().unwrap()),
    ///     Options::new(),
    ///     |head, body| Ok((head.status.as_u16(), body.len())),
    /// );
    /// let (request, _options, decode) = op.split();
    /// assert_eq!(request.parts.url.path(), "/count");
    /// let headers = HeaderMap::new();
    /// let head = Head { status: StatusCode::OK, headers: &headers };
    /// assert_eq!(decode(head, "12".into()).unwrap(), (200, 2));
    /// ```
    pub fn split(self) -> (Request<Body>, Options, Decode<T>) {
        (self.request, self.options, self.decode)
    }

    /// Sends through the async client and decodes the answer.
    ///
    /// The answer is read whole, inside the pipeline, up to
    /// [`MAX_BUFFERED_BODY`](crate::MAX_BUFFERED_BODY) bytes unless the options set their own
    /// limit: a service cannot make a call hold more. Read large content in blocks from the
    /// request of [`into_parts`](Self::into_parts) instead.
    ///
    /// # Errors
    ///
    /// The client's errors, typed by the operation's error format and map, and the
    /// decoder's.
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn send(self, client: &crate::Client) -> Result<T, Error> {
        let mut response = client
            .send(self.request, &crate::bounded(&self.options))
            .await?;
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
    #[cfg(feature = "blocking")]
    #[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
    pub fn send_blocking(self, client: &crate::BlockingClient) -> Result<T, Error> {
        let mut response = client.send(self.request, &crate::bounded(&self.options))?;
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

impl<T> fmt::Debug for Operation<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("method", &self.request.parts.method)
            .field("url", &self.request.parts.url.as_str())
            .finish_non_exhaustive()
    }
}
