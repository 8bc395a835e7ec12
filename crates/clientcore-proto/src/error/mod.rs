//! The one error type of clientcore.
//!
//! [`Error`] is opaque and pointer-sized; [`ErrorKind`] is the matchable part.
//!
//! # From the seed's exception classes to Rust
//!
//! Every class of Azure Core's hierarchy has exactly one [`ErrorKind`]; the is-a relations
//! hold through [`ErrorKind::is_a`] and the predicates on [`Error`].
//!
//! | Seed class | `ErrorKind` | Predicates that hold |
//! |---|---|---|
//! | `AzureError` | [`Other`](ErrorKind::Other) | every error is one |
//! | `ServiceRequestError` | [`ServiceRequest`](ErrorKind::ServiceRequest) | `is_service_request` |
//! | `ServiceRequestTimeoutError` | [`ServiceRequestTimeout`](ErrorKind::ServiceRequestTimeout) | `is_service_request`, `is_timeout` |
//! | `ServiceResponseError` | [`ServiceResponse`](ErrorKind::ServiceResponse) | `is_service_response` |
//! | `ServiceResponseTimeoutError` | [`ServiceResponseTimeout`](ErrorKind::ServiceResponseTimeout) | `is_service_response`, `is_timeout` |
//! | `HttpResponseError` | [`HttpResponse`](ErrorKind::HttpResponse) | `is_http_response` |
//! | `DecodeError` | [`Decode`](ErrorKind::Decode) | `is_http_response`, `is_decode` |
//! | `IncompleteReadError` | [`IncompleteRead`](ErrorKind::IncompleteRead) | `is_http_response`, `is_decode` |
//! | `ResourceExistsError` | [`ResourceExists`](ErrorKind::ResourceExists) | `is_http_response` |
//! | `ResourceNotFoundError` | [`ResourceNotFound`](ErrorKind::ResourceNotFound) | `is_http_response` |
//! | `ClientAuthenticationError` | [`ClientAuthentication`](ErrorKind::ClientAuthentication) | `is_http_response` |
//! | `ResourceModifiedError` | [`ResourceModified`](ErrorKind::ResourceModified) | `is_http_response` |
//! | `ResourceNotModifiedError` | [`ResourceNotModified`](ErrorKind::ResourceNotModified) | `is_http_response` |
//! | `TooManyRedirectsError` | [`TooManyRedirects`](ErrorKind::TooManyRedirects) | `is_http_response`; [`Error::redirect_history`] |
//! | `StreamConsumedError` | [`StreamConsumed`](ErrorKind::StreamConsumed) | |
//! | `StreamClosedError` | [`StreamClosed`](ErrorKind::StreamClosed) | |
//! | `ResponseNotReadError` | [`ResponseNotRead`](ErrorKind::ResponseNotRead) | |
//! | `SerializationError` | [`Serialization`](ErrorKind::Serialization) | |
//! | `DeserializationError` | [`Deserialization`](ErrorKind::Deserialization) | |
//! | `ODataV4Format`, `ARMErrorFormat`, `TypedErrorInfo` | [`ODataError`](crate::format::ODataError), [`TypedErrorInfo`](crate::format::TypedErrorInfo) via [`Error::service_error`] | |
//! | Azion `AzionError` and its status classes | [`AzionStatus`] via [`Error::azion_status`]; `errors` via [`Error::errors`] | |
//!
//! Attributes: `message` → [`Error::message`]; `inner_exception` → `source()`; `exc_type` →
//! [`Error::source_type_name`]; `exc_msg` → [`Error::exc_msg`]; `continuation_token` →
//! [`Error::continuation_token`]; `status_code`, `reason`, `response` → [`Error::status`],
//! [`Error::reason`], [`Error::response`]; `error` → [`Error::service_error`]; `model` →
//! [`Error::model`] and [`Error::deserialize_body`]; `history` → [`Error::redirect_history`].
//!
//!
//! Message text and the concrete types behind [`std::error::Error::source`] are not part of
//! the semver contract, except the reference-compatible `Display` texts documented on
//! [`Error`].

use std::any::Any;
use std::borrow::Cow;

use http::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::format::{self, ErrorEntry, ErrorFormat, ServiceError};
use crate::pipeline::retry::AttemptRecord;
use crate::policies::redact::Redactor;

mod azion;
mod display;
use display::{stream_message, write_service_error};
mod kind;
mod map;
mod response;

pub use azion::AzionStatus;
pub use kind::ErrorKind;
pub use map::ErrorMap;
pub(crate) use response::DebugHeaders;
pub use response::{CapturedResponse, MAX_ERROR_BODY, MAX_KEPT_ERROR_BODY};

/// A boxed error, as held in [`Error::source`](std::error::Error::source).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result<T, Error>`, with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many characters of `Display` output an error with a raw `Content:` body gives at most,
/// as the reference does.
pub const MAX_DISPLAY_CHARS: usize = 2048;

/// How many characters the text of a parsed service error gives at most: 256 Ki. A longer
/// text is cut there and followed by a line saying that it was cut.
///
/// The reference never cuts parsed errors, and real ones are a few KiB, but a hostile body can
/// make pretty-printed JSON hundreds of times larger than itself (deep `innererror` nesting is
/// indented once per level); this bounds the memory and time `Display` can take.
pub const MAX_SERVICE_ERROR_CHARS: usize = 256 * 1024;

/// Every error clientcore returns.
///
/// It carries what the seed's `AzureError` and `HttpResponseError` carry: a message, the inner
/// error (as [`source`](std::error::Error::source), with its type name), a continuation
/// token, the status and reason, the response (body bounded by [`MAX_KEPT_ERROR_BODY`]), the
/// parsed [`ServiceError`], a typed model and, for too many redirects, the redirect history.
///
/// # `Display`
///
/// For HTTP errors the text is the reference's: the parsed service error if there is one;
/// otherwise the message (default `Operation returned an invalid status '{reason}'`) followed
/// by `\nContent: {body}` when the body is non-empty text, the whole cut at
/// [`MAX_DISPLAY_CHARS`] characters. Nothing is formatted until `Display` runs.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::{CapturedResponse, Error, ErrorFormat, ErrorKind, ErrorMap};
/// use http::StatusCode;
///
/// let body = r#"{"error": {"code": "ResourceGroupNotFound", "message": "Not there."}}"#;
/// let response = CapturedResponse::new(StatusCode::NOT_FOUND, Default::default(), body.into());
/// let err = Error::from_response(response, ErrorFormat::Arm, &ErrorMap::generated());
///
/// assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
/// assert!(err.is_http_response());
/// assert_eq!(err.error_code(), Some("ResourceGroupNotFound"));
/// assert_eq!(
///     err.to_string(),
///     "(ResourceGroupNotFound) Not there.\nCode: ResourceGroupNotFound\nMessage: Not there.",
/// );
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: Option<Box<str>>,
    source: Option<Source>,
    continuation_token: Option<String>,
    response: Option<CapturedResponse>,
    service_error: Option<ServiceError>,
    /// The code an SDK gave an answer it treats as a failure
    /// ([`Error::from_response_with_code`]).
    code: Option<Box<str>>,
    redirects: Vec<RedirectHop>,
    retries: Vec<AttemptRecord>,
    request: Option<RequestLine>,
    note: Option<&'static str>,
    model: Option<Box<dyn Any + Send + Sync>>,
}

struct Source {
    error: BoxError,
    type_name: &'static str,
}

/// The request a stream error is about, with its query redacted.
struct RequestLine {
    method: Method,
    url: String,
}

/// One hop of a redirect chain, as kept by a [`TooManyRedirects`](ErrorKind::TooManyRedirects)
/// error. The URL's query is redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectHop {
    method: Method,
    url: String,
    status: StatusCode,
}

impl RedirectHop {
    /// A hop: the request's method and URL, and the redirect status it got.
    pub fn new(method: Method, url: &str, status: StatusCode) -> Self {
        RedirectHop {
            method,
            url: Redactor::default().sanitize_url(url).into_owned(),
            status,
        }
    }

    /// The method of the request.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL of the request, query values redacted.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The redirect status the request got.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

// ===== impl Error =====

impl Error {
    fn from_inner(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: None,
                source: None,
                continuation_token: None,
                response: None,
                service_error: None,
                code: None,
                redirects: Vec::new(),
                retries: Vec::new(),
                request: None,
                note: None,
                model: None,
            }),
        }
    }

    /// An error of `kind` with a message.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{Error, ErrorKind};
    ///
    /// let e = Error::new(ErrorKind::Serialization, "bad date");
    /// assert_eq!(e.to_string(), "bad date");
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error::from_inner(kind).with_message(message)
    }

    /// An error of `kind` caused by `source`. The message defaults to the kind's description;
    /// the cause is reachable through [`source`](std::error::Error::source), not the message,
    /// so error reporters print it once.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{Error, ErrorKind};
    ///
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// let e = Error::with_source(ErrorKind::ServiceRequest, io);
    /// assert!(e.is_service_request());
    /// assert_eq!(e.source_type_name(), Some("std::io::error::Error"));
    /// assert_eq!(std::error::Error::source(&e).unwrap().to_string(), "refused");
    /// ```
    pub fn with_source<E>(kind: ErrorKind, source: E) -> Self
    where
        E: Into<BoxError> + 'static,
    {
        let mut e = Error::from_inner(kind);
        e.inner.source = Some(Source {
            type_name: std::any::type_name::<E>(),
            error: source.into(),
        });
        e
    }

    /// An HTTP error from a response: the body is parsed in `format`, and the kind is the
    /// one `map` gives the service's error code ([`error_code`](Self::error_code)), else its
    /// status ([`ErrorMap::kind_for_error`]).
    ///
    /// The whole body (up to [`MAX_ERROR_BODY`]) is parsed first; then the body the error
    /// keeps is cut to [`MAX_KEPT_ERROR_BODY`], so a large valid error keeps its code and
    /// message while the memory the error holds stays bounded.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{CapturedResponse, Error, ErrorFormat, ErrorKind, ErrorMap};
    /// use http::StatusCode;
    ///
    /// let body = r#"{"error": {"code": "AuthenticationFailed", "message": "No."}}"#;
    /// let r = CapturedResponse::new(StatusCode::FORBIDDEN, Default::default(), body.into());
    /// let map = ErrorMap::generated().with_code("AuthenticationFailed", ErrorKind::ClientAuthentication);
    /// let e = Error::from_response(r, ErrorFormat::ODataV4, &map);
    /// assert_eq!(e.kind(), ErrorKind::ClientAuthentication);
    /// assert_eq!(e.error_code(), Some("AuthenticationFailed"));
    /// ```
    pub fn from_response(
        mut response: CapturedResponse,
        format: ErrorFormat,
        map: &ErrorMap,
    ) -> Self {
        let status = response.status().as_u16();
        let mut e = Error::from_inner(ErrorKind::HttpResponse);
        e.inner.service_error = format::parse(format, response.headers(), response.body());
        response.shrink(MAX_KEPT_ERROR_BODY);
        e.inner.response = Some(response);
        e.inner.kind = map.kind_for_error(status, e.error_code());
        e
    }

    /// An HTTP error for an answer the service sent as a success but the operation treats as
    /// a failure, with the service error code `code`: Queue Storage answers a create of a
    /// queue that exists with 204, which the Python SDK raises as `ResourceExistsError` with
    /// the code `QueueAlreadyExists`.
    ///
    /// The error is the one [`from_response`](Self::from_response) builds (body parsed in
    /// `format`, status, reason and headers kept), except that
    /// [`error_code`](Self::error_code) is `code` and the kind is the one `map` gives `code`,
    /// else the status.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{CapturedResponse, Error, ErrorFormat, ErrorKind, ErrorMap};
    /// use http::StatusCode;
    ///
    /// let answer = CapturedResponse::new(StatusCode::NO_CONTENT, Default::default(), "".into());
    /// let map = ErrorMap::generated().with_code("QueueAlreadyExists", ErrorKind::ResourceExists);
    /// let e = Error::from_response_with_code(answer, ErrorFormat::StorageXml, &map, "QueueAlreadyExists")
    ///     .with_message("The specified queue already exists.");
    /// assert_eq!(e.kind(), ErrorKind::ResourceExists);
    /// assert_eq!(e.error_code(), Some("QueueAlreadyExists"));
    /// assert_eq!(e.status(), Some(StatusCode::NO_CONTENT));
    /// assert_eq!(e.to_string(), "The specified queue already exists.");
    /// ```
    pub fn from_response_with_code(
        response: CapturedResponse,
        format: ErrorFormat,
        map: &ErrorMap,
        code: impl Into<String>,
    ) -> Self {
        let status = response.status().as_u16();
        let mut e = Error::from_response(response, format, map);
        e.inner.code = Some(code.into().into_boxed_str());
        e.inner.kind = map.kind_for_error(status, e.error_code());
        e
    }

    /// A `TooManyRedirects` error with the chain of redirects that led to it.
    pub fn too_many_redirects(history: Vec<RedirectHop>) -> Self {
        let mut e = Error::from_inner(ErrorKind::TooManyRedirects);
        e.inner.redirects = history;
        e
    }

    /// A stream-state error (`StreamConsumed`, `StreamClosed` or `ResponseNotRead`) about the
    /// request `method url`, with the reference's message. The URL's query is redacted.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{Error, ErrorKind};
    ///
    /// let e = Error::stream(ErrorKind::StreamClosed, http::Method::GET, "https://example.com/x");
    /// assert_eq!(
    ///     e.to_string(),
    ///     "The content for response from request <HttpRequest [GET], url: 'https://example.com/x'> \
    ///      can no longer be read or streamed, since the response has already been closed.",
    /// );
    /// ```
    pub fn stream(kind: ErrorKind, method: Method, url: &str) -> Self {
        let mut e = Error::from_inner(kind);
        e.inner.request = Some(RequestLine {
            method,
            url: Redactor::default().sanitize_url(url).into_owned(),
        });
        e
    }

    /// Sets the message. For HTTP errors a parsed service error still wins, as in the
    /// reference.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.inner.message = Some(message.into().into_boxed_str());
        self
    }

    /// Sets the continuation token, to resume an incomplete operation.
    #[must_use]
    pub fn with_continuation_token(mut self, token: impl Into<String>) -> Self {
        self.inner.continuation_token = Some(token.into());
        self
    }

    /// Attaches a typed model of the error (the seed's `model`), e.g. the body deserialized by
    /// generated code. Read it back with [`model`](Self::model).
    #[must_use]
    pub fn with_model<T: Any + Send + Sync>(mut self, model: T) -> Self {
        self.inner.model = Some(Box::new(model));
        self
    }

    /// Replaces the kind, e.g. when an operation maps a status itself.
    #[must_use]
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    /// The kind, to `match` on.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Whether the kind is `kind` or one of its descendants.
    pub fn is(&self, kind: ErrorKind) -> bool {
        self.inner.kind.is_a(kind)
    }

    /// `HttpResponseError` and its subclasses: the service answered with an error status.
    pub fn is_http_response(&self) -> bool {
        self.is(ErrorKind::HttpResponse)
    }

    /// `ServiceRequestError` (or its timeout): the request was never sent.
    pub fn is_service_request(&self) -> bool {
        self.is(ErrorKind::ServiceRequest)
    }

    /// `ServiceResponseError` (or its timeout): sent, but no usable response.
    pub fn is_service_response(&self) -> bool {
        self.is(ErrorKind::ServiceResponse)
    }

    /// Either timeout kind.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::ServiceRequestTimeout | ErrorKind::ServiceResponseTimeout
        )
    }

    /// `DecodeError` or `IncompleteReadError`.
    pub fn is_decode(&self) -> bool {
        self.is(ErrorKind::Decode)
    }

    /// Whether a retry could help: transport failures, incomplete reads, and the reference's
    /// retried statuses (408, 429, 500, 502, 503, 504 and 506 to 998). Whether a retry is
    /// *safe* depends on the request; the retry policy decides that.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::ServiceRequest
            | ErrorKind::ServiceRequestTimeout
            | ErrorKind::ServiceResponse
            | ErrorKind::ServiceResponseTimeout
            | ErrorKind::IncompleteRead => true,
            _ => self
                .status()
                .is_some_and(|s| is_retryable_status(s.as_u16())),
        }
    }

    /// The message, without the `Content:` part (the seed's `message`).
    pub fn message(&self) -> Cow<'_, str> {
        let i = &*self.inner;
        if let Some(se) = &i.service_error {
            let mut text = String::new();
            let _ = write_service_error(&mut text, se);
            return Cow::Owned(text);
        }
        if let Some(m) = &i.message {
            return Cow::Borrowed(m);
        }
        if let Some(req) = &i.request {
            if let Some(text) = stream_message(i.kind, req) {
                return Cow::Owned(text);
            }
        }
        // The status text is about a response; an HTTP-kind error built from a transport
        // failure (`with_source`, e.g. `IncompleteRead`) has none and keeps its description.
        if self.is_http_response()
            && i.kind != ErrorKind::TooManyRedirects
            && (i.response.is_some() || i.source.is_none())
        {
            let reason = i.response.as_ref().map_or("None", CapturedResponse::reason);
            return Cow::Owned(format!("Operation returned an invalid status '{reason}'"));
        }
        Cow::Borrowed(i.kind.description())
    }

    /// The status code, for HTTP errors.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.response.as_ref().map(CapturedResponse::status)
    }

    /// The reason phrase, for HTTP errors.
    pub fn reason(&self) -> Option<&str> {
        self.inner.response.as_ref().map(CapturedResponse::reason)
    }

    /// The response, for HTTP errors.
    pub fn response(&self) -> Option<&CapturedResponse> {
        self.inner.response.as_ref()
    }

    /// The parsed service error, when the body was in a known format.
    pub fn service_error(&self) -> Option<&ServiceError> {
        self.inner.service_error.as_ref()
    }

    /// The service's error code: the code an SDK gave the answer
    /// ([`from_response_with_code`](Self::from_response_with_code)), else the `x-ms-error-code`
    /// header, which wins over the body (it is the only code on bodiless 404, 304 and 412
    /// responses), else the parsed body's code.
    pub fn error_code(&self) -> Option<&str> {
        self.inner
            .code
            .as_deref()
            .or_else(|| self.header("x-ms-error-code"))
            .or_else(|| self.inner.service_error.as_ref()?.code())
    }

    /// The service's request id (`x-ms-request-id`, else `x-request-id`, else `request-id`).
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-ms-request-id")
            .or_else(|| self.header("x-request-id"))
            .or_else(|| self.header("request-id"))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.inner
            .response
            .as_ref()?
            .headers()
            .get(name)?
            .to_str()
            .ok()
            .filter(|v| !v.is_empty())
    }

    /// The list of errors the body holds (Azion's `errors`): every entry of an error list, or
    /// one entry per OData error and detail, or one entry from another format's code and
    /// message. Empty when nothing parsed; the raw text is in [`response`](Self::response).
    pub fn errors(&self) -> Vec<ErrorEntry> {
        self.inner
            .service_error
            .as_ref()
            .map(ServiceError::entries)
            .unwrap_or_default()
    }

    /// The Azion class of the status, for HTTP errors whose status has one.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{AzionStatus, CapturedResponse, Error, ErrorFormat, ErrorMap};
    ///
    /// let r = CapturedResponse::new(http::StatusCode::BAD_REQUEST, Default::default(),
    ///     r#"{"detail": ["Invalid foo"]}"#.into());
    /// let e = Error::from_response(r, ErrorFormat::ErrorList, &ErrorMap::new());
    /// assert_eq!(e.azion_status(), Some(AzionStatus::BadRequest));
    /// assert_eq!(e.errors()[0].detail(), Some("Invalid foo"));
    /// ```
    pub fn azion_status(&self) -> Option<AzionStatus> {
        AzionStatus::from_status(self.status()?.as_u16())
    }

    /// The continuation token to resume an incomplete operation.
    pub fn continuation_token(&self) -> Option<&str> {
        self.inner.continuation_token.as_deref()
    }

    /// The redirects that led to a `TooManyRedirects` error; empty otherwise.
    pub fn redirect_history(&self) -> &[RedirectHop] {
        &self.inner.redirects
    }

    /// Every attempt of the call that failed with this error, in order: its status or error
    /// kind, the wait before the next attempt (`None` for the last), and why it was retried or
    /// not ([`RetryDecision`](crate::pipeline::retry::RetryDecision)). Empty for errors
    /// that did not come out of a call.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::pipeline::retry::{AttemptOutcome, AttemptRecord, RetryDecision};
    /// use clientcore::{Error, ErrorKind};
    /// use std::time::Duration;
    ///
    /// let history = vec![
    ///     AttemptRecord {
    ///         outcome: AttemptOutcome::Status(503),
    ///         wait: Some(Duration::ZERO),
    ///         decision: RetryDecision::Backoff,
    ///         classifier: Some("transient_status"),
    ///     },
    ///     AttemptRecord {
    ///         outcome: AttemptOutcome::Error(ErrorKind::ServiceRequest),
    ///         wait: None,
    ///         decision: RetryDecision::Exhausted,
    ///         classifier: Some("connect_errors"),
    ///     },
    /// ];
    /// let e = Error::new(ErrorKind::ServiceRequest, "refused").with_retry_history(history);
    /// assert_eq!(e.retry_history().len(), 2);
    /// ```
    pub fn retry_history(&self) -> &[AttemptRecord] {
        &self.inner.retries
    }

    /// Attaches the retry history of the call; drivers of an
    /// [`Exchange`](crate::pipeline::Exchange) get errors with it already attached.
    #[must_use]
    pub fn with_retry_history(mut self, history: Vec<AttemptRecord>) -> Self {
        self.inner.retries = history;
        self
    }

    /// Adds a note on how the call ended that is not part of the service's answer, such as
    /// why a retryable failure was not retried. `Display` prints it on a line of its own
    /// after the reference text, in parentheses.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{Error, ErrorKind};
    ///
    /// let e = Error::new(ErrorKind::HttpResponse, "busy")
    ///     .with_note("not retried: the request body cannot be rewound");
    /// assert_eq!(e.note(), Some("not retried: the request body cannot be rewound"));
    /// assert_eq!(e.to_string(), "busy\n(not retried: the request body cannot be rewound)");
    /// ```
    #[must_use]
    pub fn with_note(mut self, note: &'static str) -> Self {
        self.inner.note = Some(note);
        self
    }

    /// The note added with [`with_note`](Self::with_note).
    pub fn note(&self) -> Option<&'static str> {
        self.inner.note
    }

    /// The typed model attached with [`with_model`](Self::with_model), if it is a `T`.
    pub fn model<T: Any>(&self) -> Option<&T> {
        self.inner.model.as_deref()?.downcast_ref()
    }

    /// Deserializes the captured error body as JSON into a caller's type. `None` without a
    /// response.
    ///
    /// # Errors
    ///
    /// The inner result fails when the body is not valid JSON for `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{CapturedResponse, Error, ErrorFormat, ErrorMap};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Body { error: Inner }
    /// #[derive(serde::Deserialize)]
    /// struct Inner { code: String }
    ///
    /// let r = CapturedResponse::new(http::StatusCode::CONFLICT, Default::default(),
    ///     r#"{"error": {"code": "Busy", "message": "m"}}"#.into());
    /// let e = Error::from_response(r, ErrorFormat::Auto, &ErrorMap::new());
    /// let body: Body = e.deserialize_body().unwrap().unwrap();
    /// assert_eq!(body.error.code, "Busy");
    /// ```
    pub fn deserialize_body<T: DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        let r = self.inner.response.as_ref()?;
        // Decoded as for parsing and `Display` (the declared charset first), so a model sees
        // the same text the message does.
        let text = format::text::decode(r.headers(), r.body())
            .unwrap_or_else(|| format::text::lossy(r.body()));
        Some(serde_json::from_str(&text))
    }

    /// The type name of the inner error (the seed's `exc_type`), as
    /// [`std::any::type_name`] gives it.
    pub fn source_type_name(&self) -> Option<&'static str> {
        self.inner.source.as_ref().map(|s| s.type_name)
    }

    /// `"{message}, {type}: {inner}"`, the seed's `exc_msg`; `None: None` without an inner
    /// error.
    pub fn exc_msg(&self) -> String {
        match &self.inner.source {
            Some(s) => format!("{}, {}: {}", self.message(), s.type_name, s.error),
            None => format!("{}, None: None", self.message()),
        }
    }

    /// Removes and returns the inner error.
    pub fn into_source(self) -> Option<BoxError> {
        self.inner.source.map(|s| s.error)
    }
}

/// The reference's retried statuses: {408, 429, 500, 502, 503, 504} and 506 to 998.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504 | 506..=998)
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::from_inner(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _assert_impls() {
        fn assert<T: Send + Sync + 'static>() {}
        assert::<Error>();
    }

    #[test]
    fn error_is_pointer_sized() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<Result<()>>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn display_cuts_chars_not_bytes() {
        let body = "é".repeat(3000);
        let r = CapturedResponse::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            http::HeaderMap::new(),
            body.into(),
        );
        let e = Error::from_response(r, ErrorFormat::Auto, &ErrorMap::new());
        let s = e.to_string();
        assert_eq!(s.chars().count(), MAX_DISPLAY_CHARS);
        assert!(s.starts_with(
            "Operation returned an invalid status 'Internal Server Error'\nContent: éé"
        ));
    }
}
