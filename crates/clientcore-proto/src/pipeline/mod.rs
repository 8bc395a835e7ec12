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
//!
//! This module is the state machine; each concern it steps through has a file of its own:
//!
//! | File | Concern |
//! |---|---|
//! | `message.rs` | the request, attempt, response head and completion types |
//! | `shaping.rs` | request id, `User-Agent`, options' headers and cookies, SAS, idempotency key, per-call policies |
//! | [`wire`] | what goes on the wire besides: `Accept`, `Accept-Encoding`, `Content-Length`, URL userinfo as Basic, the jar's cookies |
//! | `cookies.rs` | the client's cookie jar |
//! | `credentials.rs` | key and bearer credentials, tokens as a step, claims challenges |
//! | `observe.rs` | custom policies, request and response hooks, the HTTP log |
//! | `retrying.rs` | the glue to the retry policy ([`retry`]): waits, deadlines, giving up |
//! | [`redirect`] | which redirect to follow, and following it |
//! | [`follow`] | the one rule for where credentials go when the service chooses the URL |
//! | [`throttle`] | the client's throttle gate: waits before an attempt to a host whose window is spent |

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::HeaderValue;
use url::Url;

use crate::error::{CapturedResponse, Error, ErrorKind, RedirectHop, MAX_ERROR_BODY};
use crate::options::{Options, Position};
use crate::policies::log::{self, Level};
use crate::time::Clock;

pub mod batch;
mod builder;
mod cookies;
mod credentials;
pub mod follow;
mod message;
mod observe;
pub mod policy;
pub mod redirect;
pub mod resume;
pub mod retry;
mod retrying;
mod shaping;
pub mod side;
#[cfg(test)]
mod tests;
pub mod throttle;
pub mod wire;

pub use builder::Multipart;
pub use cookies::CookieJar;
pub use message::{
    Attempt, ChosenUrl, Completion, HookRequest, Request, RequestBody, RequestParts, ResponseHead,
    TokenRequest,
};
pub use shaping::Prepared;

use credentials::Cae;
use follow::Credentials;
use retry::{AttemptRecord, RetryState};

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
    /// A policy's detour is under way ([`side`]).
    Side(Box<side::Detour>),
    /// The call failed. Successes are not kept here: a `Completion` is twice the size of any
    /// other state, and every step moves the state, so the completion is built as it is
    /// returned.
    Finished(Error),
    Done,
}

/// One logical call, from the first attempt to the final response or error.
///
/// # Examples
///
/// A call that gets a 503, waits, and then succeeds, driven by hand:
///
/// ```
/// # use clientcore_proto as clientcore;
/// use bytes::Bytes;
/// use clientcore::options::Options;
/// use clientcore::pipeline::{Exchange, Request, ResponseHead, Step};
/// use http::{Method, StatusCode};
/// use clientcore::time::SystemClock;
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
    /// Detours taken so far ([`side::MAX_DETOURS`] at most).
    detours: u32,
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
    /// Whether the last failed attempt reached the server: the kind of timeout a call that
    /// runs out of time ends with.
    last_attempt: LastAttempt,
    /// The wall-clock time of the current step, when the call dates something with it.
    wall: Wall,
    /// What the throttle gate did for this call since the driver last asked
    /// ([`Exchange::take_gate_notes`]); empty, and never allocated, for most calls.
    gate_notes: Vec<throttle::GateNote>,
    /// The call's request id, fixed when the call is shaped and sent on every attempt; `None`
    /// when the caller's request carries its own.
    request_id: Option<HeaderValue>,
    /// Where the request id and `User-Agent` are added: to each attempt's copy, or once to
    /// the template.
    pipeline_headers: PipelineHeaders,
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
            detours: 0,
            deadline: None,
            credentials: Credentials::Attach,
            home: None,
            token: None,
            cae: Cae::Unchallenged,
            last_sent: None,
            last_attempt: LastAttempt::Sent,
            wall: Wall::UNREAD,
            gate_notes: Vec::new(),
            request_id: None,
            pipeline_headers: PipelineHeaders::PerAttempt,
        }
    }

    /// The merged options of the call.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The call's deadline, once its first step has set it: a driver that resumes a
    /// download after the call ([`resume`]) keeps to it.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The request as shaped once per call: the caller's, with the options' headers and
    /// cookies, the SAS query and the URL and method of any redirect. The request id and
    /// `User-Agent` are added to each attempt's copy (or here, when per-call policies run).
    pub fn request(&self) -> &RequestParts {
        &self.template.parts
    }

    /// The next thing to do, at the time `clock` tells.
    pub fn step(&mut self, clock: &dyn Clock) -> Step<B> {
        if Wall::needed(&self.opts) {
            self.wall = Wall(clock.wall());
        }
        // The monotonic time, read at the first state that needs it: a response the call
        // accepts (the last step of most calls) needs none, so `clock.now()` is not asked.
        let mut read = None;
        let mut now = || *read.get_or_insert_with(|| clock.now());
        // One match over every state: an arm answers the driver (`return`), or sets the next
        // state and the loop goes on from it. The arms of rare states call `#[cold]`
        // functions, so that the code every call runs stays compact in the instruction cache.
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Start => return self.start(now()),
                State::Ready => return self.next_attempt(now()),
                State::Response(head) => {
                    self.observe_throttle(&head, &mut now);
                    if let Some(done) = self.decide_response(head) {
                        return Step::Done(Ok(done));
                    }
                }
                State::NeedBody(head) => {
                    self.state = State::NeedBody(head);
                    return Step::ReadBody {
                        limit: MAX_ERROR_BODY + 1,
                    };
                }
                State::NeedSuccessBody(head, limit) => {
                    self.state = State::NeedSuccessBody(head, limit);
                    return Step::ReadBody {
                        limit: limit.saturating_add(1),
                    };
                }
                State::Judge(head, result) => self.judge(head, result, now()),
                State::Failed(err) => self.decide_failure(err, now()),
                State::Sleep(d) => {
                    self.state = State::Ready;
                    return Step::Sleep(d);
                }
                State::Buffered(head, body) => return self.buffered(head, body),
                State::Side(detour) => {
                    if let Some(step) = self.step_detour(detour, now()) {
                        return step;
                    }
                }
                State::Finished(e) => return self.finished(e),
                State::AwaitToken => {
                    self.state = State::AwaitToken;
                    return misused("step() called before on_token()");
                }
                State::Sent => {
                    return misused("step() called before on_response() or on_transport_error()")
                }
                State::Done => return misused("the call is already over"),
            }
        }
    }

    /// The first step: the deadline is set, the request shaped once for the call, and the
    /// first attempt made.
    fn start(&mut self, now: Instant) -> Step<B> {
        self.deadline = now.checked_add(self.opts.timeout());
        let shaped = match self.template.chosen.take() {
            None => self.shape_per_call(),
            Some(chosen) => self.shape_chosen(*chosen),
        };
        match shaped {
            Ok(()) => self.next_attempt(now),
            Err(e) => self.finished(e),
        }
    }

    /// The body of a failed response is read: a policy may take a detour, else the retry
    /// policy decides.
    #[cold]
    #[inline(never)]
    fn judge(&mut self, head: ResponseHead, result: Result<Error, Error>, now: Instant) {
        if let Some((head, result)) = self.ask_detour(head, result) {
            self.decide_status(&head, result, now);
        }
    }

    /// A successful response whose body the call buffered ends the call.
    #[cold]
    #[inline(never)]
    fn buffered(&mut self, head: ResponseHead, body: Bytes) -> Step<B> {
        let mut done = self.completion(head);
        done.body = Some(body);
        Step::Done(Ok(done))
    }

    /// The call failed: the error goes back with the attempts that led to it. The state is
    /// left [`State::Done`].
    #[cold]
    #[inline(never)]
    fn finished(&mut self, e: Error) -> Step<B> {
        let e = if e.retry_history().is_empty() && !self.retry.history.is_empty() {
            e.with_retry_history(std::mem::take(&mut self.retry.history))
        } else {
            e
        };
        Step::Done(Err(e))
    }

    /// Reports the response to the last [`Step::Send`].
    pub fn on_response(&mut self, head: ResponseHead) {
        self.keep_cookies(&head);
        if matches!(self.state, State::Side(_)) {
            return self.on_side_response(head);
        }
        let logged = log::enabled(self.opts.logger(), Level::Debug);
        if logged || self.last_sent.is_some() || self.opts.response_hook().is_some() {
            self.observe_response(&head, logged);
        }
        self.state = State::Response(head);
    }

    /// Reports that the last [`Step::Send`] failed. The error's kind says whether the request
    /// was sent ([`ErrorKind::ServiceResponse`]…) or not ([`ErrorKind::ServiceRequest`]…).
    pub fn on_transport_error(&mut self, error: Error) {
        if matches!(self.state, State::Side(_)) {
            return self.on_side_error(error);
        }
        self.with_last_sent(|req| {
            for p in self.opts.policies(Position::PerTry) {
                p.on_error(req, &error);
            }
        });
        // The failed attempt's record, at DEBUG as a response's: the retry decision that
        // follows says at INFO or WARN what the call does about it.
        if log::enabled(self.opts.logger(), Level::Debug) {
            log::emit(
                self.opts.logger(),
                Level::Debug,
                &format!("Request failed: {} ({})", error, error.kind()),
            );
        }
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
        if matches!(self.state, State::Side(_)) {
            return self.on_side_body(body);
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

    /// The next attempt: `Send`, `GetToken` when a token is needed first, or `Done` when the
    /// call cannot go on.
    fn next_attempt(&mut self, now: Instant) -> Step<B> {
        let remaining = self
            .deadline
            .map_or(Duration::MAX, |d| d.saturating_duration_since(now));
        if remaining.is_zero() {
            return self.out_of_time();
        }
        if let Some(step) = self.wait_at_gate(now, remaining) {
            return step;
        }
        let headers = match self.attempt_headers() {
            Ok(headers) => headers,
            Err(e) => return self.finished(e),
        };
        let template = &self.template.parts;
        let mut parts = RequestParts {
            method: template.method.clone(),
            url: template.url.clone(),
            headers,
        };
        if self.opts.credential().is_some() {
            if let Some(step) = self.authorize_attempt(&mut parts) {
                return step;
            }
        }
        let Some(body) = self.template.body.replay() else {
            return self.finished(Error::new(
                ErrorKind::ServiceRequest,
                "the request body was already sent and cannot be rewound",
            ));
        };
        let mut request = Request {
            parts,
            body,
            chosen: None,
        };
        let wire = wire::add(&mut request, &self.opts, self.wall.0);
        let full = self.opts.logging_enable();
        // Request records are DEBUG, full traces (`logging_enable`) or not (see `log`).
        let logged = log::enabled(self.opts.logger(), Level::Debug);
        if logged || !self.opts.hooks.policies.is_empty() || self.opts.request_hook().is_some() {
            let log_at = logged.then_some(Level::Debug);
            if let Err(e) = self.observe_attempt(&mut request, &wire, full, log_at) {
                return self.finished(e);
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

// ===== the flags that steer the next step =====

/// Where a call's request id and `User-Agent` headers are added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PipelineHeaders {
    /// To each attempt's copy of the template (and each side request): the template stays
    /// the caller's request, so an attempt's copy of it is usually an empty map. The default.
    PerAttempt,
    /// Once, to the template, when the call is shaped: per-call policies see the request as
    /// the reference's do, these two headers included, and may change them, so attempts and
    /// side requests take them from the template.
    InTemplate,
}

/// Whether the last failed attempt reached the server. A call that runs out of time (before
/// an attempt, or because a retry's wait would pass the deadline) ends with the reference's
/// total-timeout kind: a request timeout when the last attempt was never sent (a connect
/// error), a response timeout otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LastAttempt {
    /// The last attempt was sent (or none failed yet).
    Sent,
    /// The last attempt failed before the request was sent.
    NeverSent,
}

impl LastAttempt {
    /// The kind of error a call that runs out of time now ends with.
    fn timeout_kind(self) -> ErrorKind {
        match self {
            LastAttempt::Sent => ErrorKind::ServiceResponseTimeout,
            LastAttempt::NeverSent => ErrorKind::ServiceRequestTimeout,
        }
    }
}

/// The wall-clock time of the current step. Only bearer tokens (their freshness), idempotency
/// keys (`Repeatability-First-Sent`) and cookies (their expiry) are dated with it: a call with
/// none of them never asks the clock for it, and the value stays [`Wall::UNREAD`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Wall(SystemTime);

impl Wall {
    /// Before any read: nothing reads it then.
    const UNREAD: Wall = Wall(SystemTime::UNIX_EPOCH);

    /// Whether a call with `opts` dates anything, and so reads the wall clock at each step.
    #[inline]
    fn needed(opts: &Options) -> bool {
        opts.credential().is_some()
            || opts.retry().idempotency_key().is_some()
            || opts.cookie_jar().is_some_and(CookieJar::in_use)
    }
}

fn misuse(what: &str) -> Error {
    Error::new(ErrorKind::Other, format!("driver bug: {what}"))
}

/// The step that ends a call a driver misused.
#[cold]
#[inline(never)]
fn misused<B>(what: &str) -> Step<B> {
    Step::Done(Err(misuse(what)))
}
