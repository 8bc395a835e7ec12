//! The exchange: the state machine that runs one logical call, and the types it speaks.
//!
//! A driver creates an [`Exchange`] from a [`Request`] and the merged [`Options`], then loops:
//!
//! ```text
//!             ┌──────────── step(now) ────────────┐
//!             ▼                                   │
//!   GetToken(request) ─ on_token ────────────────▶│
//!   Send(attempt) ───── on_response / on_transport_error ─▶│
//!   ReadBody{limit} ─── on_body ─────────────────▶│
//!   Sleep(d) ────────── (wait d) ────────────────▶│
//!   Done(result)  ◀── the end
//! ```
//!
//! Every decision (request shaping, credentials, retries, redirects, the error of a failed
//! call) is made here; a driver only sends, reads, waits and reads the clock.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use url::Url;

use crate::error::{CapturedResponse, Error, ErrorKind, RedirectHop, MAX_ERROR_BODY};
use crate::options::{Options, Position, TransportConfig};
use crate::policy::auth::{AccessToken, Credential};
use crate::policy::log::{self, Level};
use crate::time::Clock;

pub mod follow;
pub mod policy;
pub mod redirect;
pub mod retry;

use follow::{Chosen, Credentials};
use retry::{AttemptRecord, Decision, Failure, RetryState, EXHAUSTED, NOT_REWINDABLE};

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
        let redactor = crate::policy::redact::Redactor::default();
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
    /// An empty body (for a 303 redirect's GET).
    fn empty() -> Self;
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
    /// [`follow::check`]: refused from https to http, and sent without credentials to another
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
    /// were given for `home`: see [`follow`] for what that changes.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use clientcore_proto::options::Options;
    /// use clientcore_proto::pipeline::follow::Chosen;
    /// use clientcore_proto::pipeline::{Exchange, Request, Step};
    /// use clientcore_proto::policy::auth::Credential;
    /// use clientcore_proto::time::SystemClock;
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
        let redactor = crate::policy::redact::Redactor::default();
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
    /// The body, when the call buffered it ([`Options::with_buffered_body`]); `None` when it is
    /// still on the wire.
    pub body: Option<Bytes>,
}

/// What [`Step::GetToken`] asks the credential for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRequest {
    /// The scopes of the call's bearer credential.
    pub scopes: Vec<String>,
    /// Claims the new token must satisfy: the decoded claims of a continuous access
    /// evaluation challenge ([`claims_challenge`](crate::policy::auth::claims_challenge)) the
    /// service answered the last attempt with. `None` for an ordinary request (no token
    /// cached, or one about to expire).
    pub claims: Option<String>,
}

/// What the driver must do next. Exhaustive on purpose: a new step must break every driver.
#[derive(Debug)]
pub enum Step<B> {
    /// Get a token from the credential, then call [`Exchange::on_token`].
    GetToken(TokenRequest),
    /// Send this attempt once, then call [`Exchange::on_response`] or
    /// [`Exchange::on_transport_error`].
    Send(Attempt<B>),
    /// Read at most `limit` bytes of the current response body, then call
    /// [`Exchange::on_body`].
    ReadBody {
        /// The most bytes to read.
        limit: usize,
    },
    /// Drop the current response, wait, then call [`Exchange::step`] again.
    Sleep(Duration),
    /// The call is over. With `Ok`, return the current response (its body unread).
    Done(Result<Completion, Error>),
}

enum State {
    Start,
    Ready,
    AwaitToken,
    Sent,
    Response(ResponseHead),
    Failed(Error),
    NeedBody(ResponseHead),
    /// A successful response whose body the call buffers, up to the limit.
    NeedSuccessBody(ResponseHead, usize),
    /// The body of a failed response is read: decide whether to retry.
    Judge(ResponseHead, Result<Error, Error>),
    Sleep(Duration),
    /// A successful response whose body the call buffered.
    Buffered(ResponseHead, Bytes),
    /// The call failed. Successes are not kept here: a `Completion` is twice the size of any
    /// other state, and every step moves the state, so the completion is built as it is
    /// returned.
    Finished(Error),
    Done,
}

/// Values derived from [`Options`] that do not change from call to call: computed once per
/// client and shared, instead of once per call.
#[derive(Clone, Debug)]
pub struct Prepared {
    user_agent: Result<HeaderValue, String>,
    transport: Arc<TransportConfig>,
}

impl Prepared {
    /// Derives the values of `options`.
    pub fn new(options: &Options) -> Self {
        let ua = crate::policy::user_agent(
            options.user_agent_prefix(),
            options.sdk(),
            options.user_agent_suffix(),
        );
        Prepared {
            user_agent: HeaderValue::from_str(&ua).map_err(|_| ua),
            transport: Arc::new(options.transport_config()),
        }
    }

    /// The `User-Agent` value.
    ///
    /// # Errors
    ///
    /// `ServiceRequest` when the prefix or suffix holds characters a header cannot carry.
    pub fn user_agent(&self) -> Result<HeaderValue, Error> {
        self.user_agent.clone().or_else(|ua| header_value(&ua))
    }

    /// The transport settings.
    pub fn transport(&self) -> &Arc<TransportConfig> {
        &self.transport
    }
}

/// One logical call, from the first attempt to the final response or error.
///
/// # Examples
///
/// A call that gets a 503, waits, and then succeeds, driven by hand:
///
/// ```
/// use bytes::Bytes;
/// use clientcore_proto::options::Options;
/// use clientcore_proto::pipeline::{Exchange, Request, ResponseHead, Step};
/// use http::{Method, StatusCode};
/// use clientcore_proto::time::SystemClock;
///
/// let url = "https://example.com/x".parse().unwrap();
/// let mut ex = Exchange::new(Request::<Bytes>::new(Method::GET, url), Options::new());
/// let now = SystemClock;
/// let Step::Send(a) = ex.step(&now) else { panic!() };
/// assert!(a.request.parts.headers.contains_key("x-ms-client-request-id"));
/// ex.on_response(ResponseHead::new(StatusCode::SERVICE_UNAVAILABLE));
/// // The error body is read first, so that classifiers see the service's error code.
/// assert!(matches!(ex.step(&now), Step::ReadBody { .. }));
/// ex.on_body(Ok(Bytes::from_static(b"busy")));
/// assert!(matches!(ex.step(&now), Step::Sleep(d) if d.is_zero()));
/// let Step::Send(_) = ex.step(&now) else { panic!() };
/// ex.on_response(ResponseHead::new(StatusCode::OK));
/// let Step::Done(Ok(done)) = ex.step(&now) else { panic!() };
/// assert_eq!(done.retries.len(), 1);
/// ```
pub struct Exchange<B> {
    opts: Arc<Options>,
    prepared: Arc<Prepared>,
    template: Request<B>,
    state: State,
    retry: RetryState,
    redirects: Vec<RedirectHop>,
    resend_count: u32,
    deadline: Option<Instant>,
    /// Whether credentials go with the next attempt: withheld, for the rest of the call, once
    /// it goes to another origin than `home` ([`follow`]).
    credentials: Credentials,
    /// The URL the call's credentials were given for, once it differs from the request's:
    /// set by a service-chosen request or the first redirect (not before, so that a call that
    /// is not redirected keeps no copy of its URL).
    home: Option<Box<Url>>,
    token: Option<String>,
    /// Where the call is with continuous access evaluation (a claims challenge).
    cae: Cae,
    /// Boxed: only calls with custom policies keep it, and the exchange (moved into every
    /// driver's future) stays smaller without its inline room.
    last_sent: Option<Box<(RequestParts, Option<Bytes>, bool)>>,
    last_was_connect_error: bool,
    wall: SystemTime,
    /// The call's request id, fixed when the call is shaped and sent on every attempt; `None`
    /// when the caller's request carries its own.
    request_id: Option<HeaderValue>,
    /// Whether the template already holds the request id and `User-Agent` (it does when
    /// per-call policies ran on it); otherwise each attempt adds them to its copy, so the
    /// template stays the caller's request and an attempt's copy of it is usually empty.
    pipeline_headers_in_template: bool,
}

impl<B: RequestBody> Exchange<B> {
    /// Starts a call. Nothing happens until [`step`](Self::step).
    pub fn new(request: Request<B>, options: impl Into<Arc<Options>>) -> Self {
        let options = options.into();
        let prepared = Arc::new(Prepared::new(&options));
        Self::prepared(request, options, prepared)
    }

    /// Starts a call with values derived from `options` beforehand: a client computes its
    /// [`Prepared`] once and shares it with every call that does not override its options.
    pub fn prepared(request: Request<B>, options: Arc<Options>, prepared: Arc<Prepared>) -> Self {
        let retry = RetryState::new(options.retry());
        Exchange {
            opts: options,
            prepared,
            template: request,
            state: State::Start,
            retry,
            redirects: Vec::new(),
            resend_count: 0,
            deadline: None,
            credentials: Credentials::Attach,
            home: None,
            token: None,
            cae: Cae::Unchallenged,
            last_sent: None,
            last_was_connect_error: false,
            wall: SystemTime::UNIX_EPOCH,
            request_id: None,
            pipeline_headers_in_template: false,
        }
    }

    /// The merged options of the call.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The request as shaped once per call: the caller's, with the options' headers and
    /// cookies, the SAS query and the URL and method of any redirect. The request id and
    /// `User-Agent` are added to each attempt's copy (or here, when per-call policies run).
    pub fn request(&self) -> &RequestParts {
        &self.template.parts
    }

    /// The next thing to do, at the time `clock` tells.
    pub fn step(&mut self, clock: &dyn Clock) -> Step<B> {
        // The wall clock only dates bearer tokens (`fresh`, `usable`) and idempotency keys:
        // without either, nothing reads `self.wall`, so the clock is not asked.
        if self.opts.credential().is_some() || self.opts.retry().idempotency_key().is_some() {
            self.wall = clock.wall();
        }
        // A response the call accepts is the last step of most calls and needs no time:
        // decided before the clock is read. Any other outcome (a redirect to follow, an
        // error body to read) sets the state, and the loop below goes on from it with the
        // time read now, as it would have been.
        if matches!(self.state, State::Response(_)) {
            if let State::Response(head) = std::mem::replace(&mut self.state, State::Done) {
                if let Some(done) = self.decide_response(head) {
                    return Step::Done(Ok(done));
                }
            }
        }
        self.step_at(clock.now())
    }

    fn step_at(&mut self, now: Instant) -> Step<B> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Start => {
                    self.deadline = now.checked_add(self.opts.timeout());
                    let shaped = match self.template.chosen.take() {
                        None => self.shape_per_call(),
                        Some(chosen) => self.shape_chosen(*chosen),
                    };
                    match shaped {
                        // Straight to the first attempt: `next_attempt` sets the state on
                        // every path, as it does from `Ready`.
                        Ok(()) => return self.next_attempt(now),
                        Err(e) => self.state = State::Finished(e),
                    }
                }
                State::Ready => return self.next_attempt(now),
                State::Response(head) => {
                    if let Some(done) = self.decide_response(head) {
                        return Step::Done(Ok(done));
                    }
                }
                other => {
                    if let Some(step) = self.step_other(other, now) {
                        return step;
                    }
                }
            }
        }
    }

    /// Every state but the three of a call that succeeds at once: out of line, so that the
    /// code every call runs stays compact in the instruction cache.
    #[cold]
    #[inline(never)]
    fn step_other(&mut self, state: State, now: Instant) -> Option<Step<B>> {
        match state {
            // Handled by `step_at`, never passed here: put back, and `step_at` takes them.
            state @ (State::Start | State::Ready | State::Response(_)) => {
                self.state = state;
                None
            }
            State::AwaitToken => {
                self.state = State::AwaitToken;
                Some(Step::Done(Err(misuse("step() called before on_token()"))))
            }
            State::Sent => Some(Step::Done(Err(misuse(
                "step() called before on_response() or on_transport_error()",
            )))),
            State::Failed(err) => {
                self.decide_failure(err, now);
                None
            }
            State::Judge(head, result) => {
                self.decide_status(&head, result, now);
                None
            }
            State::NeedBody(head) => {
                self.state = State::NeedBody(head);
                Some(Step::ReadBody {
                    limit: MAX_ERROR_BODY + 1,
                })
            }
            State::NeedSuccessBody(head, limit) => {
                self.state = State::NeedSuccessBody(head, limit);
                Some(Step::ReadBody {
                    limit: limit.saturating_add(1),
                })
            }
            State::Sleep(d) => {
                self.state = State::Ready;
                Some(Step::Sleep(d))
            }
            State::Buffered(head, body) => {
                let mut done = self.completion(head);
                done.body = Some(body);
                Some(Step::Done(Ok(done)))
            }
            State::Finished(e) => {
                // Every error that ends a call carries the attempts that led to it.
                let e = if e.retry_history().is_empty() && !self.retry.history.is_empty() {
                    e.with_retry_history(std::mem::take(&mut self.retry.history))
                } else {
                    e
                };
                Some(Step::Done(Err(e)))
            }
            State::Done => Some(Step::Done(Err(misuse("the call is already over")))),
        }
    }

    /// Reports the token the credential gave.
    pub fn on_token(&mut self, token: Result<AccessToken, Error>) {
        let Some(Credential::Bearer { cache, .. }) = self.opts.credential() else {
            return;
        };
        let for_claims = matches!(self.cae, Cae::Pending(_));
        if for_claims {
            self.cae = Cae::Answered;
        }
        match token {
            // The cached token is the one the service refused: no falling back to it.
            Err(e) if for_claims => self.state = State::Finished(e),
            Ok(t) => {
                self.token = Some(t.token.clone());
                cache.store(t);
                self.state = State::Ready;
            }
            // A failed refresh still uses a token that has not expired yet.
            Err(e) => match cache.usable(self.wall) {
                Some(t) => {
                    self.token = Some(t);
                    self.state = State::Ready;
                }
                None => self.state = State::Finished(e),
            },
        }
    }

    /// Reports the response to the last [`Step::Send`].
    pub fn on_response(&mut self, head: ResponseHead) {
        let logged = log::enabled(self.opts.logger(), Level::Info);
        if logged || self.last_sent.is_some() || self.opts.response_hook().is_some() {
            self.observe_response(&head, logged);
        }
        self.state = State::Response(head);
    }

    /// Shows a response to the per-try policies, the response hook and, when `logged`, the
    /// response log.
    #[cold]
    #[inline(never)]
    fn observe_response(&self, head: &ResponseHead, logged: bool) {
        self.with_last_sent(|req| {
            for p in self.opts.policies(Position::PerTry) {
                p.on_response(req, head);
            }
        });
        if let Some(hook) = self.opts.response_hook() {
            hook(head);
        }
        if logged {
            let record = log::response_record(head, &self.opts.redactor());
            let multi = self.opts.logging_multirecord().unwrap_or(false);
            log::emit_http(self.opts.logger(), Level::Info, &record, multi);
        }
    }

    /// Reports that the last [`Step::Send`] failed. The error's kind says whether the request
    /// was sent ([`ErrorKind::ServiceResponse`]…) or not ([`ErrorKind::ServiceRequest`]…).
    pub fn on_transport_error(&mut self, error: Error) {
        self.with_last_sent(|req| {
            for p in self.opts.policies(Position::PerTry) {
                p.on_error(req, &error);
            }
        });
        log::emit(
            self.opts.logger(),
            Level::Warn,
            &format!("Request failed: {} ({})", error, error.kind()),
        );
        self.state = State::Failed(error);
    }

    /// Reports the body asked for by [`Step::ReadBody`].
    pub fn on_body(&mut self, body: Result<Bytes, Error>) {
        if let Ok(bytes) = &body {
            if self.opts.logging_enable() && log::enabled(self.opts.logger(), Level::Debug) {
                let record = log::response_body_record(bytes);
                log::emit(self.opts.logger(), Level::Debug, &record);
            }
        }
        let head = match std::mem::replace(&mut self.state, State::Done) {
            State::NeedBody(head) => head,
            State::NeedSuccessBody(head, limit) => return self.on_success_body(head, limit, body),
            _ => {
                self.state = State::Finished(misuse("on_body() without ReadBody"));
                return;
            }
        };
        let result = body.map(|bytes| {
            let mut r = CapturedResponse::new(head.status, head.headers.clone(), bytes);
            if let Some(reason) = &head.reason {
                r = r.with_reason(reason.clone());
            }
            Error::from_response(r, self.opts.error_format(), &self.opts.error_map())
        });
        self.state = State::Judge(head, result);
    }

    fn on_success_body(&mut self, head: ResponseHead, limit: usize, body: Result<Bytes, Error>) {
        match body {
            Ok(bytes) if bytes.len() > limit => {
                self.per_call_response(&head);
                self.state = State::Finished(Error::new(
                    ErrorKind::Decode,
                    format!("the response body is larger than the buffer limit of {limit} bytes"),
                ));
            }
            Ok(bytes) => {
                self.per_call_response(&head);
                self.retry.on_success(self.opts.retry());
                self.state = State::Buffered(head, bytes);
            }
            // A body cut short is a read error like any other: retried for idempotent
            // requests, as the reference's non-streaming transport does.
            Err(e) => self.state = State::Failed(e),
        }
    }

    // ===== decisions =====

    /// Shapes a request to a URL the service chose: [`follow::check`] decides whether it may
    /// be sent and whether the credentials go with it; the headers that carry credentials are
    /// removed after the options and per-call policies have added theirs.
    #[cold]
    #[inline(never)]
    fn shape_chosen(&mut self, chosen: ChosenUrl) -> Result<(), Error> {
        self.credentials = follow::check(
            &chosen.home,
            &self.template.parts.url,
            self.opts.allow_https_downgrade(),
            chosen.by,
        )?;
        self.home = Some(Box::new(chosen.home));
        self.shape_per_call()?;
        if self.credentials == Credentials::Withhold {
            follow::strip(&mut self.template.parts.headers);
        }
        Ok(())
    }

    fn shape_per_call(&mut self) -> Result<(), Error> {
        let parts = &mut self.template.parts;
        for (name, value) in self.opts.headers() {
            parts.headers.insert(name.clone(), value.clone());
        }
        // The request id is fixed here, once per call, unless the caller's request has one.
        if parts.headers.is_empty() || !parts.headers.contains_key(self.opts.request_id_header()) {
            // Formatted on the stack and copied once, into the header value.
            let mut buffer = uuid::Uuid::encode_buffer();
            let id = match self.opts.request_id() {
                Some(id) => id,
                // A UUID v4 from the per-thread generator: no system call per call.
                None => {
                    uuid::Builder::from_random_bytes(crate::policy::random_u128().to_be_bytes())
                        .into_uuid()
                        .hyphenated()
                        .encode_lower(&mut buffer)
                }
            };
            self.request_id = Some(header_value(id)?);
        }
        if !self.opts.cookies().is_empty()
            || self.opts.credential().is_some()
            || self.opts.retry().idempotency_key().is_some()
            || !self.opts.policies.is_empty()
        {
            self.shape_more()?;
        }
        Ok(())
    }

    /// The shaping only some calls need: cookies, a SAS query, idempotency keys, per-call
    /// policies. Out of line, as `step_other`.
    #[cold]
    #[inline(never)]
    fn shape_more(&mut self) -> Result<(), Error> {
        let parts = &mut self.template.parts;
        if !self.opts.cookies().is_empty() {
            let mut cookie = String::new();
            for (k, v) in self.opts.cookies() {
                if !cookie.is_empty() {
                    cookie.push_str("; ");
                }
                cookie.push_str(k);
                cookie.push('=');
                cookie.push_str(v);
            }
            parts
                .headers
                .append(http::header::COOKIE, header_value(&cookie)?);
        }
        let sas = match self.opts.credential() {
            Some(Credential::Sas(sas)) if self.credentials == Credentials::Attach => Some(sas),
            _ => None,
        };
        if let Some(sas) = sas {
            let url = &mut parts.url;
            let query = match url.query() {
                Some(q) if !q.is_empty() => format!("{q}&{sas}"),
                _ => sas.clone(),
            };
            url.set_query(Some(&query));
        }
        if let Some(key) = self.opts.retry().idempotency_key() {
            // The same key on every attempt (and redirect) of the call, generated once.
            for (name, value) in key.headers(self.wall) {
                if !parts.headers.contains_key(&name) {
                    parts.headers.insert(name, header_value(&value)?);
                }
            }
        }
        // Per-call policies see the request as the reference's do, request id and
        // `User-Agent` included: they go into the template, once.
        if self.opts.policies(Position::PerCall).next().is_some() {
            add_pipeline_headers(
                &mut parts.headers,
                &self.opts,
                self.request_id.take(),
                &self.prepared,
            )?;
            self.pipeline_headers_in_template = true;
            for p in self.opts.policies(Position::PerCall) {
                p.on_request(parts)?;
            }
        }
        Ok(())
    }

    fn next_attempt(&mut self, now: Instant) -> Step<B> {
        let remaining = self
            .deadline
            .map_or(Duration::MAX, |d| d.saturating_duration_since(now));
        if remaining.is_zero() {
            return self.out_of_time(now);
        }
        let headers = match self.attempt_headers() {
            Ok(headers) => headers,
            Err(e) => return self.finish(e, now),
        };
        let template = &self.template.parts;
        let mut parts = RequestParts {
            method: template.method.clone(),
            url: template.url.clone(),
            headers,
        };
        if self.opts.credential().is_some() {
            if let Some(step) = self.authorize_attempt(&mut parts, now) {
                return step;
            }
        }
        let Some(body) = self.template.body.replay() else {
            return self.finish(
                Error::new(
                    ErrorKind::ServiceRequest,
                    "the request body was already sent and cannot be rewound",
                ),
                now,
            );
        };
        let mut request = Request {
            parts,
            body,
            chosen: None,
        };
        let full = self.opts.logging_enable();
        let level = if full { Level::Debug } else { Level::Info };
        let logged = log::enabled(self.opts.logger(), level);
        if logged || !self.opts.policies.is_empty() || self.opts.request_hook().is_some() {
            let log_at = logged.then_some(level);
            if let Err(e) = self.observe_attempt(&mut request, full, log_at) {
                return self.finish(e, now);
            }
        }
        self.state = State::Sent;
        let timeout = match self.opts.attempt_timeout() {
            Some(per_attempt) => remaining.min(per_attempt),
            None => remaining,
        };
        Step::Send(Attempt {
            request,
            timeout,
            config: self.prepared.transport.clone(),
            resend_count: self.resend_count,
        })
    }

    /// Ends the call with `error` and takes the step that follows.
    #[cold]
    #[inline(never)]
    fn finish(&mut self, error: Error, now: Instant) -> Step<B> {
        self.state = State::Finished(error);
        self.step_at(now)
    }

    /// The call's time ran out before another attempt could start.
    #[cold]
    #[inline(never)]
    fn out_of_time(&mut self, now: Instant) -> Step<B> {
        let (kind, msg) = if self.last_was_connect_error {
            (ErrorKind::ServiceRequestTimeout, "Request timeout")
        } else {
            (ErrorKind::ServiceResponseTimeout, "Response timeout")
        };
        self.finish(Error::new(kind, msg), now)
    }

    /// Adds the credential to an attempt; `Some` when the call must first get a token (or
    /// cannot go on).
    #[cold]
    #[inline(never)]
    fn authorize_attempt(&mut self, parts: &mut RequestParts, now: Instant) -> Option<Step<B>> {
        let cred = self.opts.credential().cloned()?;
        match self.authorize(&cred, parts) {
            Ok(()) => None,
            Err(NeedToken(Some(request))) => {
                self.state = State::AwaitToken;
                Some(Step::GetToken(request))
            }
            Err(NeedToken(None)) => Some(self.step_at(now)),
        }
    }

    /// Runs the per-try policies, the request hook and the request log (at `log_at`, when it
    /// is recorded) on an attempt, and keeps a copy of it for the policies' later hooks.
    #[cold]
    #[inline(never)]
    fn observe_attempt(
        &mut self,
        request: &mut Request<B>,
        full: bool,
        log_at: Option<Level>,
    ) -> Result<(), Error> {
        self.opts
            .policies(Position::PerTry)
            .try_for_each(|p| p.on_request(&mut request.parts))?;
        // A signing policy signs whatever it is given: away from home, what it added goes.
        if self.credentials == Credentials::Withhold {
            follow::strip(&mut request.parts.headers);
        }
        // The hook and the log borrow the body; only the copy kept for custom policies owns
        // one (a body of any size used to be copied on every attempt, policies or not).
        let streaming = request.body.as_bytes().is_none();
        {
            let hook_req = HookRequest {
                parts: &request.parts,
                body: request.body.as_bytes(),
                streaming,
                resend_count: self.resend_count,
            };
            if let Some(hook) = self.opts.request_hook() {
                hook(&hook_req);
            }
            if let Some(level) = log_at {
                let record = log::request_record(&hook_req, &self.opts.redactor(), full);
                let multi = self.opts.logging_multirecord().unwrap_or(false);
                log::emit_http(self.opts.logger(), level, &record, multi);
            }
        }
        // Only custom policies look at the request again (on_response, on_error): without
        // them, no copy of the headers per attempt.
        self.last_sent = (!self.opts.policies.is_empty()).then(|| {
            let bytes = request.body.as_bytes().map(Bytes::copy_from_slice);
            Box::new((request.parts.clone(), bytes, streaming))
        });
        Ok(())
    }

    /// The headers of the next attempt: the template's, and the request id and `User-Agent`
    /// unless the template holds them already.
    fn attempt_headers(&mut self) -> Result<HeaderMap, Error> {
        let template = &mut self.template.parts.headers;
        let mut headers = if template.is_empty() {
            // Room for the pipeline's two and the few the driver and the transport add
            // (`traceparent`, `accept`…), so none of them reallocates; no more, so that the
            // allocation stays small (six entries come from malloc's per-thread cache).
            HeaderMap::with_capacity(6)
        } else {
            // The attempt's headers grow, the template's never do (redirects only remove). A
            // clone keeps the stored hashes but has no spare room, while the template's map
            // has the room it grew by as it was built. So the attempt takes the template's
            // map and the template keeps the clone.
            let copy = template.clone();
            std::mem::replace(template, copy)
        };
        if !self.pipeline_headers_in_template {
            add_pipeline_headers(
                &mut headers,
                &self.opts,
                self.request_id.clone(),
                &self.prepared,
            )?;
        }
        Ok(headers)
    }

    fn authorize(&mut self, cred: &Credential, parts: &mut RequestParts) -> Result<(), NeedToken> {
        match cred {
            Credential::Key { header, value } if self.credentials == Credentials::Attach => {
                match credential_value(value, "key") {
                    Ok(v) => {
                        parts.headers.insert(header.clone(), v);
                        Ok(())
                    }
                    Err(e) => {
                        self.state = State::Finished(e);
                        Err(NeedToken(None))
                    }
                }
            }
            Credential::Bearer { scopes, cache } if self.credentials == Credentials::Attach => {
                if parts.url.scheme() != "https" {
                    self.state = State::Finished(Error::new(
                        ErrorKind::ClientAuthentication,
                        "Bearer token authentication is not permitted for non-TLS protected \
                         (non-https) URLs.",
                    ));
                    return Err(NeedToken(None));
                }
                if let Cae::Pending(claims) = &self.cae {
                    return Err(NeedToken(Some(TokenRequest {
                        scopes: scopes.clone(),
                        claims: Some(claims.clone()),
                    })));
                }
                let token = match self.token.take() {
                    Some(t) => t,
                    None => match cache.fresh(self.wall) {
                        Some(t) => t,
                        None => {
                            return Err(NeedToken(Some(TokenRequest {
                                scopes: scopes.clone(),
                                claims: None,
                            })))
                        }
                    },
                };
                match credential_value(&format!("Bearer {token}"), "token") {
                    Ok(v) => {
                        parts.headers.insert(http::header::AUTHORIZATION, v);
                        Ok(())
                    }
                    Err(e) => {
                        self.state = State::Finished(e);
                        Err(NeedToken(None))
                    }
                }
            }
            _ => Ok(()),
        }
    }

    /// Decides on a response: `Some` when it ends the call successfully (built here and
    /// returned at once, not parked in the state), else the next state is set.
    fn decide_response(&mut self, head: ResponseHead) -> Option<Completion> {
        let status = head.status.as_u16();
        if self.opts.permit_redirects() {
            let home = self.home.as_deref().unwrap_or(&self.template.parts.url);
            match redirect::next(
                &self.template.parts,
                home,
                &head,
                self.opts.allow_https_downgrade(),
            ) {
                Ok(Some(plan)) => {
                    self.follow(plan, &head);
                    return None;
                }
                Ok(None) => {}
                Err(e) => {
                    self.per_call_response(&head);
                    self.state = State::Finished(e);
                    return None;
                }
            }
        }
        if self.opts.is_success(status) {
            if let Some(limit) = self.opts.buffered_body() {
                self.state = State::NeedSuccessBody(head, limit);
                return None;
            }
            self.per_call_response(&head);
            self.retry.on_success(self.opts.retry());
            return Some(self.completion(head));
        }
        if status == 401 && self.answer_claims_challenge(&head) {
            return None;
        }
        // Read the (bounded) error body before deciding: classifiers see the service's error
        // code, and the connection is drained for reuse.
        self.state = State::NeedBody(head);
        None
    }

    /// Continuous access evaluation, as the reference's bearer policy: a 401 whose
    /// `WWW-Authenticate` is a claims challenge gets one new token, asked for with those
    /// claims, and the request is sent once more. Not a retry (no retry budget, no wait); the
    /// resend counts in `resend_count`. `true` when the call goes on that way.
    #[cold]
    #[inline(never)]
    fn answer_claims_challenge(&mut self, head: &ResponseHead) -> bool {
        let bearer = matches!(self.opts.credential(), Some(Credential::Bearer { .. }));
        let unchallenged = matches!(self.cae, Cae::Unchallenged);
        if !bearer
            || self.credentials == Credentials::Withhold
            || !unchallenged
            || !self.template.body.is_replayable()
        {
            return false;
        }
        let Some(claims) = crate::policy::auth::claims_challenge(&head.headers) else {
            return false;
        };
        self.cae = Cae::Pending(claims);
        self.token = None;
        self.resend_count += 1;
        self.state = State::Ready;
        true
    }

    /// A failed response, its body read (`Ok`: the HTTP error it becomes) or not (`Err`: the
    /// read error).
    fn decide_status(&mut self, head: &ResponseHead, result: Result<Error, Error>, now: Instant) {
        let replayable = self.template.body.is_replayable();
        let decision = self.retry.decide(
            self.opts.retry(),
            &self.template.parts,
            replayable,
            &Failure::Status {
                status: head.status,
                headers: &head.headers,
                received: head.received,
                error: result.as_ref().ok(),
            },
        );
        self.last_was_connect_error = false;
        let error = result.unwrap_or_else(|read_error| read_error);
        match decision {
            Decision::RetryAfter(wait) => self.schedule(wait, now, Some(error)),
            Decision::Stop(why) => {
                self.per_call_response(head);
                let error = match why {
                    Some(NOT_REWINDABLE) => {
                        error.with_note("not retried: the request body cannot be rewound")
                    }
                    _ => error,
                };
                self.state = State::Finished(error);
            }
        }
    }

    /// Per-call policies sit before retries and redirects (reference §3.0), so they see only
    /// the response that ends the call, not the ones that were retried or redirected.
    fn per_call_response(&self, head: &ResponseHead) {
        self.with_last_sent(|req| {
            for p in self.opts.policies(Position::PerCall) {
                p.on_response(req, head);
            }
        });
    }

    /// Calls `f` with the last request as sent, if one was.
    fn with_last_sent(&self, f: impl FnOnce(&HookRequest<'_>)) {
        if let Some(sent) = &self.last_sent {
            let (parts, body, streaming) = &**sent;
            f(&HookRequest {
                parts,
                body: body.as_deref(),
                streaming: *streaming,
                resend_count: self.resend_count,
            });
        }
    }

    fn decide_failure(&mut self, err: Error, now: Instant) {
        let replayable = self.template.body.is_replayable();
        let decision = self.retry.decide(
            self.opts.retry(),
            &self.template.parts,
            replayable,
            &Failure::Transport(&err),
        );
        self.last_was_connect_error = err.is_service_request();
        match decision {
            Decision::RetryAfter(wait) => self.schedule(wait, now, Some(err)),
            Decision::Stop(Some(why)) if why != EXHAUSTED => {
                let msg = format!("{} (not retried: {why})", err.message());
                self.state = State::Finished(err.with_message(msg));
            }
            Decision::Stop(_) => self.state = State::Finished(err),
        }
    }

    fn schedule(&mut self, wait: Duration, now: Instant, err: Option<Error>) {
        if let Some(deadline) = self.deadline {
            if now.checked_add(wait).is_none_or(|t| t > deadline) {
                let msg = format!(
                    "the retry wait of {:.3}s would pass the operation's deadline",
                    wait.as_secs_f64()
                );
                // As the reference's total timeout: a request timeout when the last attempt was
                // never sent, a response timeout otherwise.
                let kind = if self.last_was_connect_error {
                    ErrorKind::ServiceRequestTimeout
                } else {
                    ErrorKind::ServiceResponseTimeout
                };
                let e = match err {
                    Some(source) => Error::with_source(kind, source),
                    None => Error::from(kind),
                };
                self.state = State::Finished(e.with_message(msg));
                return;
            }
        }
        self.resend_count += 1;
        self.state = State::Sleep(wait);
    }

    #[cold]
    #[inline(never)]
    fn follow(&mut self, plan: redirect::Plan, head: &ResponseHead) {
        let hop = RedirectHop::new(
            self.template.parts.method.clone(),
            self.template.parts.url.as_str(),
            head.status,
        );
        self.redirects.push(hop);
        if self.redirects.len() > self.opts.redirect_max() as usize {
            let history = std::mem::take(&mut self.redirects);
            self.state = State::Finished(Error::too_many_redirects(history));
            return;
        }
        if plan.credentials == Credentials::Withhold {
            self.credentials = Credentials::Withhold;
        }
        let parts = &mut self.template.parts;
        let from = std::mem::replace(&mut parts.url, plan.url);
        if self.home.is_none() {
            self.home = Some(Box::new(from));
        }
        if plan.method != parts.method {
            parts.method = plan.method;
        }
        if plan.drop_body {
            self.template.body = B::empty();
            parts.headers.remove(http::header::CONTENT_TYPE);
            parts.headers.remove(http::header::CONTENT_LENGTH);
        } else if !self.template.body.is_replayable() {
            self.state = State::Finished(Error::new(
                ErrorKind::ServiceRequest,
                "cannot follow the redirect: the request body cannot be rewound",
            ));
            return;
        }
        if self.credentials == Credentials::Withhold {
            follow::strip(&mut parts.headers);
        }
        self.resend_count += 1;
        self.state = State::Ready;
    }

    fn completion(&mut self, head: ResponseHead) -> Completion {
        Completion {
            head,
            retries: std::mem::take(&mut self.retry.history),
            redirects: std::mem::take(&mut self.redirects),
            url: self.template.parts.url.clone(),
            body: None,
        }
    }

    /// The attempts so far, with the waits between them.
    pub fn retry_history(&self) -> &[AttemptRecord] {
        &self.retry.history
    }
}

impl<B> fmt::Debug for Exchange<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("request", &self.template.parts)
            .field("resend_count", &self.resend_count)
            .finish_non_exhaustive()
    }
}

struct NeedToken(Option<TokenRequest>);

/// Continuous access evaluation in a call: the reference answers one claims challenge per
/// call.
enum Cae {
    Unchallenged,
    /// Challenged: the next token must satisfy these claims.
    Pending(String),
    /// Answered: a further challenge ends the call with its 401.
    Answered,
}

fn misuse(what: &str) -> Error {
    Error::new(ErrorKind::Other, format!("driver bug: {what}"))
}

/// Adds the pipeline's own headers: the call's request id (`None` when the request has its
/// own) and the `User-Agent`.
fn add_pipeline_headers(
    headers: &mut HeaderMap,
    opts: &Options,
    request_id: Option<HeaderValue>,
    prepared: &Prepared,
) -> Result<(), Error> {
    if let Some(id) = request_id {
        headers.insert(opts.request_id_header(), id);
    }
    headers.insert(http::header::USER_AGENT, prepared.user_agent()?);
    Ok(())
}

/// A credential as a header value, marked sensitive. A value a header cannot carry (CR, LF,
/// NUL, other control characters) fails the call before anything is sent: dropping the
/// header would send the request unauthenticated, and a caller whose key got a stray newline
/// would find out only from an anonymous endpoint's answer. The error never holds the value.
fn credential_value(s: &str, what: &str) -> Result<HeaderValue, Error> {
    match HeaderValue::from_str(s) {
        Ok(mut v) => {
            v.set_sensitive(true);
            Ok(v)
        }
        Err(_) => Err(Error::new(
            ErrorKind::ClientAuthentication,
            format!(
                "the credential's {what} cannot be sent in a header: it holds a control \
                 character (CR, LF, NUL...) or a byte outside visible ASCII and tab; the request \
                 was not sent"
            ),
        )),
    }
}

fn header_value(s: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(s).map_err(|e| {
        Error::with_source(ErrorKind::ServiceRequest, e)
            .with_message("a header value is not valid HTTP")
    })
}
