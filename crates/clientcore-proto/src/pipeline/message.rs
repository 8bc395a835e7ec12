//! The messages of the exchange: the request a caller gives, the attempt a driver sends, the
//! response head it reports, and what a finished call returns.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use url::Url;

use crate::error::RedirectHop;
use crate::options::TransportConfig;
use crate::pipeline::follow::Chosen;
use crate::pipeline::retry::AttemptRecord;

/// The method, URL and headers of a request.
#[derive(Clone)]
pub struct RequestParts {
    /// The method.
    pub method: Method,
    /// The URL.
    pub url: Url,
    /// The headers.
    pub headers: HeaderMap,
}

impl fmt::Debug for RequestParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redactor = crate::policies::redact::Redactor::default();
        f.debug_struct("RequestParts")
            .field("method", &self.method)
            .field("url", &redactor.sanitize_url(self.url.as_str()))
            .field(
                "headers",
                &crate::error::DebugHeaders(&self.headers, &redactor),
            )
            .finish()
    }
}

/// A request body the exchange can replay for retries and redirects.
///
/// Drivers implement it for their body type: bytes clone; a stream with a rewind rewinds; a
/// stream without one can be sent once.
pub trait RequestBody: Sized {
    /// A body for the next attempt, leaving `self` ready for the one after; `None` when the
    /// body cannot be sent again.
    fn replay(&mut self) -> Option<Self>;
    /// Whether [`replay`](Self::replay) would succeed.
    fn is_replayable(&self) -> bool;
    /// The bytes, when the body is in memory (for hooks and logs).
    fn as_bytes(&self) -> Option<&[u8]>;
    /// The body's length when it is known before it is sent: the pipeline sends it as
    /// `Content-Length` (see [`wire`](super::wire)). `None` for a stream of unknown length,
    /// which goes chunked. The default is the length of [`as_bytes`](Self::as_bytes); a
    /// stream type returns its declared length.
    fn known_len(&self) -> Option<u64> {
        self.as_bytes().map(|b| b.len() as u64)
    }
    /// An empty body (for a 303 redirect's GET).
    fn empty() -> Self;
    /// A body of these bytes, for a policy's side request ([`side`](super::side)); `None`
    /// when the type cannot hold bytes (such a side request fails with a clear error).
    fn from_bytes(bytes: Bytes) -> Option<Self> {
        let _ = bytes;
        None
    }
}

impl RequestBody for Bytes {
    fn replay(&mut self) -> Option<Self> {
        Some(self.clone())
    }
    fn is_replayable(&self) -> bool {
        true
    }
    fn as_bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
    fn empty() -> Self {
        Bytes::new()
    }
    fn from_bytes(bytes: Bytes) -> Option<Self> {
        Some(bytes)
    }
}

/// A request: parts and a body.
#[derive(Debug)]
pub struct Request<B> {
    /// Method, URL and headers.
    pub parts: RequestParts,
    /// The body.
    pub body: B,
    /// Set when the service chose the URL (a next link, a poll URL): which kind of URL it is
    /// and the URL the call's credentials were given for. The call then follows
    /// [`follow::check`](super::follow::check): refused from https to http, and sent without credentials to another
    /// origin. `None` (the default): the caller chose the URL. Boxed, so that the requests
    /// callers build stay small.
    pub chosen: Option<Box<ChosenUrl>>,
}

/// Where a service-chosen URL came from; see [`Request::chosen_by_service`].
#[derive(Clone, Debug)]
pub struct ChosenUrl {
    /// What kind of URL the service chose.
    pub by: Chosen,
    /// The URL the call's credentials were given for: the caller's own request (the first
    /// page of a listing, the request that started an operation).
    pub home: Url,
}

impl<B: RequestBody> Request<B> {
    /// A request with no headers and an empty body.
    pub fn new(method: Method, url: Url) -> Self {
        Request {
            parts: RequestParts {
                method,
                url,
                headers: HeaderMap::new(),
            },
            body: B::empty(),
            chosen: None,
        }
    }

    /// Marks the request's URL as chosen by the service (`by`), for a call whose credentials
    /// were given for `home`: see [`follow`](super::follow) for what that changes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::options::Options;
    /// use clientcore::pipeline::follow::Chosen;
    /// use clientcore::pipeline::{Exchange, Request, Step};
    /// use clientcore::policies::auth::Credential;
    /// use clientcore::time::SystemClock;
    ///
    /// let home = "https://account.example.com/list".parse().unwrap();
    /// let next = "https://elsewhere.example.net/list?page=2".parse().unwrap();
    /// let request = Request::<Bytes>::new(http::Method::GET, next)
    ///     .chosen_by_service(Chosen::NextLink, home);
    /// let key = Credential::key(http::HeaderName::from_static("x-api-key"), "secret");
    /// let options = Options::new().with_credential(key);
    /// let mut ex = Exchange::new(request, options);
    /// let Step::Send(attempt) = ex.step(&SystemClock) else { panic!() };
    /// assert!(!attempt.request.parts.headers.contains_key("x-api-key"));
    /// ```
    #[must_use]
    pub fn chosen_by_service(mut self, by: Chosen, home: Url) -> Self {
        self.chosen = Some(Box::new(ChosenUrl { by, home }));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn with_body(mut self, body: B) -> Self {
        self.body = body;
        self
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.parts.headers.append(name, value);
        self
    }
}

/// What hooks and policies see of a request as sent.
#[derive(Debug)]
pub struct HookRequest<'a> {
    /// Method, URL and headers as sent.
    pub parts: &'a RequestParts,
    /// The body bytes, when in memory.
    pub body: Option<&'a [u8]>,
    /// Whether the body is a stream.
    pub streaming: bool,
    /// How many times this call has re-sent the request (0 on the first attempt).
    pub resend_count: u32,
}

/// The status line and headers of a response, as the driver received them.
#[derive(Clone)]
pub struct ResponseHead {
    /// The status.
    pub status: StatusCode,
    /// The reason phrase, when the server sent a non-canonical one.
    pub reason: Option<String>,
    /// The HTTP version.
    pub version: Version,
    /// The headers.
    pub headers: HeaderMap,
    /// Wall-clock time of receipt, for `Retry-After` dates.
    pub received: SystemTime,
}

impl ResponseHead {
    /// A head with `status`, no headers, HTTP/1.1, received at the Unix epoch.
    pub fn new(status: StatusCode) -> Self {
        ResponseHead {
            status,
            reason: None,
            version: Version::HTTP_11,
            headers: HeaderMap::new(),
            received: SystemTime::UNIX_EPOCH,
        }
    }
}

impl fmt::Debug for ResponseHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redactor = crate::policies::redact::Redactor::default();
        f.debug_struct("ResponseHead")
            .field("status", &self.status.as_u16())
            .field("version", &self.version)
            .field(
                "headers",
                &crate::error::DebugHeaders(&self.headers, &redactor),
            )
            .finish_non_exhaustive()
    }
}

/// One request to send.
#[derive(Debug)]
pub struct Attempt<B> {
    /// The request, shaped by every policy.
    pub request: Request<B>,
    /// The time this attempt may take: the smaller of the time left in the call's budget and
    /// the per-attempt timeout. The driver gives up after it.
    pub timeout: Duration,
    /// Timeouts, TLS and proxies for this call.
    pub config: Arc<TransportConfig>,
    /// How many times the request was re-sent before this attempt.
    pub resend_count: u32,
}

/// A call that ended with a response the operation accepts.
#[derive(Debug)]
pub struct Completion {
    /// The final response's head.
    pub head: ResponseHead,
    /// Every attempt before the final response, with the waits between them.
    pub retries: Vec<AttemptRecord>,
    /// The redirects followed.
    pub redirects: Vec<RedirectHop>,
    /// The final URL.
    pub url: Url,
    /// The body, when the call buffered it ([`Options::with_buffered_body`](crate::options::Options::with_buffered_body)); `None` when it is
    /// still on the wire.
    pub body: Option<Bytes>,
}

/// What [`Step::GetToken`](super::Step::GetToken) asks the credential for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRequest {
    /// The scopes of the call's bearer credential.
    pub scopes: Vec<String>,
    /// Claims the new token must satisfy: the decoded claims of a continuous access
    /// evaluation challenge ([`claims_challenge`](crate::policies::auth::claims_challenge)) the
    /// service answered the last attempt with. `None` for an ordinary request (no token
    /// cached, or one about to expire).
    pub claims: Option<String>,
    /// The tenant a challenge named (the first segment of a Bearer challenge's
    /// `authorization` URI, as Key Vault's challenge policy reads it), for a credential that
    /// can get tokens in other tenants; `None` for the credential's own.
    pub tenant_id: Option<String>,
    /// Whether the service refused the token the call sent (a claims challenge, or a
    /// [`SideStep::ResendWithToken`](super::side::SideStep::ResendWithToken)): the
    /// credential is asked for a new token whatever the client's cache holds.
    pub challenged: bool,
}

impl TokenRequest {
    /// A request for a token for `scopes`, from the credential's own tenant, without claims.
    pub fn new(scopes: Vec<String>) -> Self {
        TokenRequest {
            scopes,
            claims: None,
            tenant_id: None,
            challenged: false,
        }
    }

    /// Sets the claims.
    #[must_use]
    pub fn with_claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into());
        self
    }

    /// Sets the tenant.
    #[must_use]
    pub fn with_tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Marks the request as answering a challenge, see [`challenged`](Self::challenged).
    #[must_use]
    pub fn challenged(mut self) -> Self {
        self.challenged = true;
        self
    }
}
