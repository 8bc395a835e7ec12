//! One call of an SDK, described once and sent from async or blocking code.
//!
//! An SDK method builds an [`Operation`]: the request, the call's options (error format,
//! error map, the service's auth policy) and how to turn a successful answer into the
//! method's result. Nothing is sent until the caller picks a driver: [`Operation::send`] on
//! a [`Client`](crate::Client) or [`Operation::send_blocking`] on a
//! [`BlockingClient`](crate::BlockingClient). This is the sans-IO shape of clientcore carried
//! up into the SDK, so each service operation is written once. The
//! [guide](crate::guide) walks through an SDK built this way.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;

use crate::http::{HeaderMap, StatusCode};
use crate::{Body, CapturedResponse, Error, ErrorKind, Options, Request};

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

    /// The headers whose names start with `prefix`, without it: the metadata of Azure
    /// Storage (`x-ms-meta-*`), or any service's prefixed headers. Names are lower-case (HTTP
    /// header names are case-insensitive); a value that is not visible ASCII is left out. The
    /// reading side of [`Request::with_metadata`].
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::http::{HeaderMap, StatusCode};
    /// use clientcore::operation::Head;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-ms-meta-Owner", "ops".parse().unwrap());
    /// headers.insert("x-ms-request-id", "abc".parse().unwrap());
    /// let head = Head { status: StatusCode::OK, headers: &headers };
    /// let metadata = head.metadata("x-ms-meta-");
    /// assert_eq!(metadata.len(), 1);
    /// assert_eq!(metadata["owner"], "ops");
    /// ```
    pub fn metadata(&self, prefix: &str) -> BTreeMap<String, String> {
        let prefix = prefix.to_ascii_lowercase();
        let pairs = self.headers.iter().filter_map(|(name, value)| {
            let key = name.as_str().strip_prefix(prefix.as_str())?;
            Some((key.to_owned(), value.to_str().ok()?.to_owned()))
        });
        pairs.collect()
    }

    /// Header `name` read as an HTTP date (RFC 7231: `x-ms-time-next-visible`,
    /// `Last-Modified`).
    ///
    /// # Errors
    ///
    /// A [`Deserialization`](ErrorKind::Deserialization) error naming the header when it is
    /// missing or not an HTTP date.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use clientcore::http::{HeaderMap, StatusCode};
    /// use clientcore::operation::Head;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
    /// let head = Head { status: StatusCode::OK, headers: &headers };
    /// assert_eq!(head.date("last-modified").unwrap(), UNIX_EPOCH + Duration::from_secs(784_111_777));
    /// assert!(head.date("x-ms-time-next-visible").is_err());
    /// ```
    pub fn date(&self, name: &str) -> Result<SystemTime, Error> {
        let text = self.parse::<String>(name)?;
        crate::model::rfc7231::parse(&text).map_err(|e| {
            let message = format!("the response header `{name}` is not an HTTP date");
            e.with_message(message)
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
    /// Accepted statuses the operation treats as failures ([`Operation::error_for`]).
    failures: Vec<Failure>,
}

/// An accepted status that is a failure of this operation, with its code and message.
#[derive(Clone)]
struct Failure {
    status: StatusCode,
    code: Box<str>,
    message: Box<str>,
}

impl Failure {
    /// The error the pipeline would have built had the service refused the call this way.
    /// What both clients' `send` do with an answer: one of `failures` becomes its error (the
    /// call's options, built only then, say how), anything else goes to `decode`.
    #[cfg(any(feature = "async", feature = "blocking"))]
    fn decode<T>(
        failures: &[Failure],
        options: impl FnOnce() -> std::sync::Arc<Options>,
        decode: Decode<T>,
        head: Head<'_>,
        reason: &str,
        body: Bytes,
    ) -> Result<T, Error> {
        if !failures.is_empty() {
            if let Some(e) = Failure::error(failures, &options(), head, Some(reason), &body) {
                return Err(e);
            }
        }
        decode(head, body)
    }

    fn error(
        failures: &[Failure],
        options: &Options,
        head: Head<'_>,
        reason: Option<&str>,
        body: &Bytes,
    ) -> Option<Error> {
        let failure = failures.iter().find(|f| f.status == head.status)?;
        let mut answer = CapturedResponse::new(head.status, head.headers.clone(), body.clone());
        if let Some(reason) = reason {
            answer = answer.with_reason(reason);
        }
        let error = Error::from_response_with_code(
            answer,
            options.error_format(),
            &options.error_map(),
            &*failure.code,
        );
        Some(error.with_message(&*failure.message))
    }
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
            failures: Vec::new(),
        }
    }

    /// Makes the accepted `status` a failure of this operation: the answer becomes the error
    /// the pipeline builds for a refused call (its body parsed in the call's error format,
    /// status, reason and headers kept, [`retry history`](Error::retry_history) empty), whose
    /// [`error_code`](Error::error_code) is `code` and whose kind is the one the error map
    /// (the client's with the call's over it) gives `code`, else `status`. `message` is its
    /// text when the body holds no service error. The decoder is not called for it.
    ///
    /// Queue Storage answers a create of a queue that already exists with 204, which the
    /// Python SDK raises as `ResourceExistsError` (`QueueAlreadyExists`).
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::http::{HeaderMap, Method, StatusCode};
    /// use clientcore::operation::{Head, Operation};
    /// use clientcore::{ErrorKind, ErrorMap, Options, Request};
    ///
    /// let options = Options::new()
    ///     .with_error_map(ErrorMap::new().with_code("QueueAlreadyExists", ErrorKind::ResourceExists));
    /// let create = Operation::new(
    ///     Request::new(Method::PUT, "https://example.com/jobs".parse().unwrap()),
    ///     options,
    ///     |_, _| Ok(()),
    /// )
    /// .error_for(StatusCode::NO_CONTENT, "QueueAlreadyExists", "The specified queue already exists.");
    ///
    /// // What `send` does with a 204, shown through `split` (which keeps the rule).
    /// let (_, _, decode) = create.split();
    /// let headers = HeaderMap::new();
    /// let err = decode(Head { status: StatusCode::NO_CONTENT, headers: &headers }, "".into())
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::ResourceExists);
    /// assert_eq!(err.error_code(), Some("QueueAlreadyExists"));
    /// assert_eq!(err.status(), Some(StatusCode::NO_CONTENT));
    /// assert_eq!(err.to_string(), "The specified queue already exists.");
    /// ```
    #[must_use]
    pub fn error_for(
        mut self,
        status: StatusCode,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self
    where
        T: 'static,
    {
        let failure = Failure {
            status,
            code: code.into().into_boxed_str(),
            message: message.into().into_boxed_str(),
        };
        // The decoder of `split` keeps the rule too, with the operation's own options; `send`
        // checks first with the client's options under the call's.
        let (options, decode) = (self.options.clone(), self.decode);
        let rule = [failure.clone()];
        self.decode =
            Box::new(
                move |head, body| match Failure::error(&rule, &options, head, None, &body) {
                    Some(error) => Err(error),
                    None => decode(head, body),
                },
            );
        self.failures.retain(|f| f.status != status);
        self.failures.push(failure);
        self
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
    /// The decoder keeps the statuses given to [`error_for`](Self::error_for), typed by the
    /// operation's own options (no client's error map is known here).
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
        let head = Head {
            status: response.status(),
            headers: response.headers(),
        };
        let options = || client.call_options(&self.options);
        Failure::decode(
            &self.failures,
            options,
            self.decode,
            head,
            response.reason(),
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
        let body = response.read()?;
        let head = Head {
            status: response.status(),
            headers: response.headers(),
        };
        let options = || client.call_options(&self.options);
        Failure::decode(
            &self.failures,
            options,
            self.decode,
            head,
            response.reason(),
            body,
        )
    }
}

/// Where an SDK client's operations go and how they are sent: a URL and the options of
/// every call made there (credentials, error format and map, service headers). The sans-IO
/// half of the reference's `PipelineClient` (a base URL and a pipeline): a service client
/// holds one, derives the endpoints of its sub-resources with [`child`](Self::child) (a
/// queue of a queue service, the messages of a queue), and builds each operation from
/// [`request`](Self::request) and [`operation`](Self::operation), so that neither the URL
/// nor the options are written again in every method.
///
/// # Examples
///
/// ```no_run
/// use clientcore::http::Method;
/// use clientcore::operation::{Endpoint, Operation};
/// use clientcore::{BlockingClient, ErrorFormat, Options};
///
/// /// A queue of an Azure-Storage-like service: each method is one line of request and
/// /// one decoder.
/// struct Queue(Endpoint);
///
/// impl Queue {
///     fn peek(&self, max: u32) -> Operation<String> {
///         let request = self.0.child("messages").request(Method::GET).with_query("numofmessages", max);
///         self.0.operation(request, |_, body| Ok(String::from_utf8_lossy(&body).into_owned()))
///     }
/// }
///
/// # fn run() -> Result<(), clientcore::Error> {
/// let service = Endpoint::new(
///     "https://acct.queue.example".parse().unwrap(),
///     Options::new().with_error_format(ErrorFormat::StorageXml),
/// );
/// let jobs = Queue(service.child("jobs"));
/// let text = jobs.peek(5).send_blocking(&BlockingClient::builder().build()?)?;
/// # let _ = text; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The URL requests are made to.
    pub url: crate::url::Url,
    /// The options of every call.
    pub options: Options,
}

impl Endpoint {
    /// Calls to `url` with `options`.
    pub fn new(url: crate::url::Url, options: Options) -> Self {
        Endpoint { url, options }
    }

    /// The endpoint one path segment below, with the same options: `segment` is
    /// percent-encoded (a `/`, `?` or `#` in it stays part of the segment), and an empty
    /// last segment of the URL (a trailing `/`) is replaced. A URL that cannot have a path
    /// (`mailto:`) is kept as it is.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore::operation::Endpoint;
    /// use clientcore::Options;
    ///
    /// let service = Endpoint::new("https://a.example/acct/".parse().unwrap(), Options::new());
    /// let blob = service.child("photos").child("2024/cat 1.png");
    /// assert_eq!(blob.url.as_str(), "https://a.example/acct/photos/2024%2Fcat%201.png");
    /// ```
    #[must_use]
    pub fn child(&self, segment: &str) -> Endpoint {
        let mut url = self.url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push(segment);
        }
        Endpoint {
            url,
            options: self.options.clone(),
        }
    }

    /// A request to this endpoint's URL, with no headers and an empty body yet.
    pub fn request(&self, method: crate::http::Method) -> Request<Body> {
        Request::new(method, self.url.clone())
    }

    /// The operation of `request` with this endpoint's options and `decode` (see
    /// [`Operation::new`]).
    pub fn operation<T, F>(&self, request: Request<Body>, decode: F) -> Operation<T>
    where
        F: FnOnce(Head<'_>, Bytes) -> Result<T, Error> + Send + 'static,
    {
        Operation::new(request, self.options.clone(), decode)
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
