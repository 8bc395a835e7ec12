//! Long-running operations: what to poll, how long to wait, when it is over, and what the
//! result is.
//!
//! [`Operation`] is the sans-IO decider the drivers' pollers loop over. It is built from the
//! initial request and response, picks a strategy from the response, and is then stepped:
//!
//! ```text
//! Operation::new(initial request, initial response)      or  Operation::from_continuation_token
//! loop:
//!     step(wall clock) ─▶ Sleep(d)    wait, then step again
//!                     ─▶ Get(parts)   send; report with on_response(status, headers, body)
//!                     ─▶ Done(result) the final response, or the error
//! ```
//!
//! # Strategies
//!
//! The first that applies wins, as in the reference's `ARMPolling` and `LROBasePolling`:
//!
//! | Strategy | When | Status from | Final response |
//! |---|---|---|---|
//! | Azure-AsyncOperation | header `Azure-AsyncOperation` | monitor body `status` | see below |
//! | Operation-Location | header `Operation-Location` | monitor body `status` | see below |
//! | Location | header `Location` | 202 in progress, else done | the last poll |
//! | Body | PUT or PATCH | `properties.provisioningState` of the resource | the last poll |
//! | Status check | otherwise | done at once | the initial response |
//!
//! For the two monitor strategies the final GET goes to: the initial `Location` with
//! `final-state-via: location`; nowhere for a POST with `final-state-via:
//! azure-async-operation` or `operation-location`; else the monitor's `resourceLocation`; else,
//! for PUT and PATCH, the original URL; else, for POST, the initial `Location`; else nowhere
//! (the last monitor response is the result).
//!
//! Terminal states are matched ignoring case: `Succeeded`, `Failed`, `Canceled`, and also
//! `Cancelled` (which the reference misses and would poll forever). A failed or canceled
//! operation is an [`HttpResponse`](ErrorKind::HttpResponse) error with the last response and
//! its parsed ARM/OData error.
//!
//! # Waiting
//!
//! Before each poll the decider waits the last response's `Retry-After` (or
//! `retry-after-ms`, `x-ms-retry-after-ms`) when it is positive, else the polling interval
//! ([`LroOptions::with_polling_interval`], default 30 s). Unlike the reference, it also
//! waits before the first poll: the service has just accepted the operation, and its
//! `Retry-After` says when to look.
//!
//! # Continuation tokens
//!
//! [`Operation::continuation_token`] is what Python azure-core 1.41 writes, so either side
//! resumes the other's operations: base64 of the compact JSON `{"version": 1, "data":
//! {"request": {"method", "url", "headers": {"x-ms-client-request-id"}}, "response":
//! {"status_code", "headers" (Operation-Location, Azure-AsyncOperation, Location,
//! Content-Type, Retry-After only), "content": <base64>}, "context": {"deserialized_data":
//! <the initial body as JSON, or null>}}}`. It holds no credentials and resumes the
//! operation in another process: [`Operation::from_continuation_token`] rebuilds the decider
//! from the initial response and polls on, re-sending the kept client request id. It also
//! reads the unversioned tokens (the same `data` without the envelope) that clientcore wrote
//! before, and refuses the pickled tokens of older Python SDKs with the reference's message.
//! Every error the decider returns carries the token.

use std::time::{Duration, SystemTime};

use ::base64::engine::general_purpose::STANDARD as B64;
use ::base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use url::Url;

use crate::error::{CapturedResponse, Error, ErrorKind, ErrorMap};
use crate::format::ErrorFormat;
use crate::options::Options;
use crate::pipeline::follow::Chosen;
use crate::pipeline::retry::retry_after;
use crate::pipeline::{Request, RequestBody, RequestParts};

const AZURE_ASYNC_OPERATION: &str = "azure-asyncoperation";
const OPERATION_LOCATION: &str = "operation-location";
const LOCATION: &str = "location";
/// The response headers a continuation token keeps, as the reference's (lowercase: the
/// names of a `HeaderMap`).
const TOKEN_HEADERS: [&str; 5] = [
    OPERATION_LOCATION,
    AZURE_ASYNC_OPERATION,
    LOCATION,
    "content-type",
    "retry-after",
];

/// Where the final result of an operation is, when the service documents it
/// (`x-ms-long-running-operation-options: final-state-via`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FinalStateVia {
    /// The monitor of `Azure-AsyncOperation` is the result (no final GET for POST).
    AzureAsyncOperation,
    /// The URL of the initial `Location` header.
    Location,
    /// The monitor of `Operation-Location` is the result (no final GET for POST).
    OperationLocation,
    /// The original request URL.
    OriginalUri,
}

impl FinalStateVia {
    /// The spec's spelling (`azure-async-operation`, `location`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FinalStateVia::AzureAsyncOperation => "azure-async-operation",
            FinalStateVia::Location => "location",
            FinalStateVia::OperationLocation => "operation-location",
            FinalStateVia::OriginalUri => "original-uri",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            FinalStateVia::AzureAsyncOperation,
            FinalStateVia::Location,
            FinalStateVia::OperationLocation,
            FinalStateVia::OriginalUri,
        ]
        .into_iter()
        .find(|f| f.as_str().eq_ignore_ascii_case(s))
    }
}

/// How an operation is polled.
///
/// # Examples
///
/// ```
/// use clientcore_proto::lro::{FinalStateVia, LroOptions};
/// use std::time::Duration;
///
/// let o = LroOptions::new()
///     .with_polling_interval(Duration::from_secs(5))
///     .with_final_state_via(FinalStateVia::Location);
/// assert_eq!(o.polling_interval(), Duration::from_secs(5));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LroOptions {
    polling_interval: Duration,
    final_state_via: Option<FinalStateVia>,
    base_url: Option<Url>,
    retry_after_max: Duration,
    max_polls: u32,
}

impl Default for LroOptions {
    fn default() -> Self {
        LroOptions {
            polling_interval: Duration::from_secs(30),
            final_state_via: None,
            base_url: None,
            retry_after_max: Duration::from_secs(300),
            max_polls: 100_000,
        }
    }
}

impl LroOptions {
    /// Every default.
    pub fn new() -> Self {
        LroOptions::default()
    }

    /// The wait between polls when the service sends no `Retry-After` (`polling_interval`).
    /// Default is 30 s.
    #[must_use]
    pub fn with_polling_interval(mut self, interval: Duration) -> Self {
        self.polling_interval = interval;
        self
    }

    /// Where the result is. Default is none: the rules in the [module docs](self).
    #[must_use]
    pub fn with_final_state_via(mut self, via: FinalStateVia) -> Self {
        self.final_state_via = Some(via);
        self
    }

    /// Resolves relative polling and result URLs against `base` instead of the request URL:
    /// the reference's `path_format_arguments`, with the base built by [`format_url`].
    /// Default is the request URL.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::lro::{format_url, LroOptions};
    ///
    /// let base = format_url("http://{accountName}{host}", &[("host", "host:3000"), ("accountName", "local")])?;
    /// assert_eq!(base.as_str(), "http://localhost:3000/");
    /// let o = LroOptions::new().with_base_url(base);
    /// # Ok::<(), clientcore_proto::Error>(())
    /// ```
    #[must_use]
    pub fn with_base_url(mut self, base: Url) -> Self {
        self.base_url = Some(base);
        self
    }

    /// The longest wait between polls a `Retry-After` can ask for; a longer one (up to a
    /// value too large to represent) waits this long. Default is 300 s, as
    /// [`RetryOptions::retry_after_max`](crate::pipeline::retry::RetryOptions::retry_after_max).
    #[must_use]
    pub fn with_retry_after_max(mut self, max: Duration) -> Self {
        self.retry_after_max = max;
        self
    }

    /// How many polls an operation may take before the poller gives up with a
    /// [`ServiceResponse`](ErrorKind::ServiceResponse) error, so that a service that never
    /// reaches a terminal status cannot keep a caller polling for ever. Default is 100,000
    /// (more than a day at one poll a second; the reference has no bound).
    #[must_use]
    pub fn with_max_polls(mut self, max: u32) -> Self {
        self.max_polls = max;
        self
    }

    /// The cap on a `Retry-After` wait between polls.
    pub fn retry_after_max(&self) -> Duration {
        self.retry_after_max
    }

    /// The most polls an operation may take.
    pub fn max_polls(&self) -> u32 {
        self.max_polls
    }

    /// The base URL of relative polling URLs, if set.
    pub fn base_url(&self) -> Option<&Url> {
        self.base_url.as_ref()
    }

    /// The polling interval.
    pub fn polling_interval(&self) -> Duration {
        self.polling_interval
    }

    /// The final-state-via option, if set.
    pub fn final_state_via(&self) -> Option<FinalStateVia> {
        self.final_state_via
    }
}

/// What the driver does next.
///
/// Exhaustive on purpose, like the pipeline's `Step`: a new step must break every driver.
#[derive(Debug)]
pub enum LroStep {
    /// Wait this long, then call [`Operation::step`] again.
    Sleep(Duration),
    /// Send this GET and report the response with [`Operation::on_response`] (or, when the
    /// call fails, return [`Operation::fail`] of its error).
    Get(RequestParts),
    /// The operation is over.
    Done(Result<LroResponse, Error>),
}

/// The final response of a finished operation.
#[derive(Clone, Debug)]
pub struct LroResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl LroResponse {
    /// The body as JSON; `None` when it is empty (the reference's `None` result).
    ///
    /// # Errors
    ///
    /// A [`Deserialization`](ErrorKind::Deserialization) error when the body is not a `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<Option<T>, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|e| Error::with_source(ErrorKind::Deserialization, e))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Strategy {
    /// A status monitor, from `Azure-AsyncOperation` or `Operation-Location`.
    Monitor,
    Location,
    Body,
    StatusCheck,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Deciding: wait, poll, fetch the result, or finish.
    Ready {
        waited: bool,
    },
    AwaitPoll,
    AwaitFinal,
    /// The final response is in; the next step returns it.
    Finished,
    Done,
}

#[derive(Clone, Debug)]
struct Snapshot {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// The decider of one long-running operation.
///
/// # Examples
///
/// ```
/// use clientcore_proto::lro::{LroOptions, LroStep, Operation};
/// use clientcore_proto::pipeline::RequestParts;
/// use http::{HeaderMap, Method, StatusCode};
/// use std::time::{Duration, SystemTime};
///
/// let request = RequestParts {
///     method: Method::PUT,
///     url: "https://example.com/things/1".parse().unwrap(),
///     headers: HeaderMap::new(),
/// };
/// let mut headers = HeaderMap::new();
/// headers.insert("operation-location", "https://example.com/ops/7".parse().unwrap());
/// headers.insert("retry-after", "2".parse().unwrap());
/// let mut op = Operation::new(&request, StatusCode::ACCEPTED, headers, "".into(), LroOptions::new())
///     .unwrap();
/// assert_eq!(op.status(), "InProgress");
///
/// let now = SystemTime::now();
/// assert!(matches!(op.step(now), LroStep::Sleep(d) if d == Duration::from_secs(2)));
/// let LroStep::Get(poll) = op.step(now) else { panic!() };
/// assert_eq!(poll.url.as_str(), "https://example.com/ops/7");
/// op.on_response(StatusCode::OK, HeaderMap::new(), r#"{"status": "succeeded"}"#.into());
///
/// // A PUT's result is fetched from the original URL.
/// let LroStep::Get(last) = op.step(now) else { panic!() };
/// assert_eq!(last.url.as_str(), "https://example.com/things/1");
/// op.on_response(StatusCode::OK, HeaderMap::new(), r#"{"name": "thing"}"#.into());
/// let LroStep::Done(Ok(result)) = op.step(now) else { panic!() };
/// assert_eq!(result.body, r#"{"name": "thing"}"#);
/// ```
#[derive(Debug)]
pub struct Operation {
    method: Method,
    url: Url,
    request_id: Option<(HeaderName, String)>,
    initial: Snapshot,
    options: LroOptions,
    strategy: Strategy,
    poll_url: Option<Url>,
    location_url: Option<Url>,
    status: String,
    last: Snapshot,
    phase: Phase,
    pending_error: Option<Error>,
    /// Polls sent so far, bounded by [`LroOptions::max_polls`].
    polls: u32,
}

// ===== impl Operation =====

impl Operation {
    /// The decider for the operation `request` started, which answered `status`, `headers`
    /// and `body`.
    ///
    /// # Errors
    ///
    /// An [`HttpResponse`](ErrorKind::HttpResponse) error when the initial status is not 200,
    /// 201, 202 or 204 (`Invalid return status 203 for 'PUT' operation`), or the initial
    /// body gives an invalid status; a [`Decode`](ErrorKind::Decode) error for a body that
    /// should be JSON and is not.
    pub fn new(
        request: &RequestParts,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        options: LroOptions,
    ) -> Result<Self, Error> {
        let initial = Snapshot {
            status,
            headers,
            body,
        };
        let mut op = Operation {
            method: request.method.clone(),
            url: request.url.clone(),
            request_id: None,
            last: initial.clone(),
            initial,
            options,
            strategy: Strategy::StatusCheck,
            poll_url: None,
            location_url: None,
            status: String::new(),
            phase: Phase::Ready { waited: false },
            pending_error: None,
            polls: 0,
        };
        op.start().map_err(|e| op.fail(e))?;
        Ok(op)
    }

    /// Sends the client request id `id` in `name` with every poll, and keeps it in the
    /// continuation token (the reference re-sends the initial `x-ms-client-request-id`).
    #[must_use]
    pub fn with_request_id(mut self, name: HeaderName, id: impl Into<String>) -> Self {
        self.request_id = Some((name, id.into()));
        self
    }

    fn start(&mut self) -> Result<(), Error> {
        let snap = self.initial.clone();
        self.check_status(&snap)?;
        self.location_url = self.header_url(&snap.headers, LOCATION);
        let monitor = self
            .header_url(&snap.headers, AZURE_ASYNC_OPERATION)
            .or_else(|| self.header_url(&snap.headers, OPERATION_LOCATION));
        if let Some(url) = monitor {
            self.strategy = Strategy::Monitor;
            self.poll_url = Some(url);
            // The reference: in progress, unless the initial body already has a status.
            self.status = match json_body(&snap) {
                Some(Value::Object(body)) => match body.get("status") {
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    _ => "InProgress".to_owned(),
                },
                _ => "InProgress".to_owned(),
            };
        } else if let Some(url) = self.location_url.clone() {
            self.strategy = Strategy::Location;
            self.poll_url = Some(url);
            "InProgress".clone_into(&mut self.status);
        } else if self.method == Method::PUT || self.method == Method::PATCH {
            self.strategy = Strategy::Body;
            self.poll_url = Some(self.url.clone());
            self.status = match snap.status.as_u16() {
                202 => "InProgress".to_owned(),
                201 => provisioning_state(&snap)?.unwrap_or_else(|| "InProgress".to_owned()),
                204 => "Succeeded".to_owned(),
                _ => provisioning_state(&snap)?.unwrap_or_else(|| "Succeeded".to_owned()),
            };
        } else {
            self.strategy = Strategy::StatusCheck;
            "Succeeded".clone_into(&mut self.status);
        }
        Ok(())
    }

    /// The status as the service last spelled it (`InProgress`, `Succeeded`, …).
    pub fn status(&self) -> &str {
        &self.status
    }

    /// Whether the operation reached a terminal state.
    pub fn is_finished(&self) -> bool {
        is_terminal(&self.status)
    }

    /// Whether [`step`](Self::step) has returned (or will next return) `Done`.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done | Phase::Finished)
    }

    /// The client request id sent with each poll, if set.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_ref().map(|(_, id)| id.as_str())
    }

    /// The next thing to do. `wall` is the current wall-clock time, for `Retry-After` dates.
    pub fn step(&mut self, wall: SystemTime) -> LroStep {
        match self.phase {
            Phase::Done => LroStep::Done(Err(self.pending_error.take().unwrap_or_else(|| {
                self.fail(Error::new(
                    ErrorKind::Other,
                    "the long-running operation has already finished",
                ))
            }))),
            Phase::Finished => {
                self.phase = Phase::Done;
                LroStep::Done(Ok(self.result()))
            }
            Phase::AwaitPoll | Phase::AwaitFinal => LroStep::Done(Err(self.fail(Error::new(
                ErrorKind::Other,
                "step() called before on_response() reported the pending request",
            )))),
            Phase::Ready { waited } => {
                if is_failed(&self.status) {
                    self.phase = Phase::Done;
                    return LroStep::Done(Err(self.failed_operation()));
                }
                if is_terminal(&self.status) {
                    if let Some(url) = self.final_url() {
                        self.phase = Phase::AwaitFinal;
                        return LroStep::Get(get(url));
                    }
                    self.phase = Phase::Done;
                    return LroStep::Done(Ok(self.result()));
                }
                if !waited {
                    self.phase = Phase::Ready { waited: true };
                    let delay = retry_after(&self.last.headers, wall)
                        .filter(|d| !d.is_zero())
                        .map_or(self.options.polling_interval, |d| {
                            d.min(self.options.retry_after_max)
                        });
                    return LroStep::Sleep(delay);
                }
                let Some(url) = self.poll_url.clone() else {
                    self.phase = Phase::Done;
                    return LroStep::Done(Ok(self.result()));
                };
                if self.polls >= self.options.max_polls {
                    self.phase = Phase::Done;
                    return LroStep::Done(Err(self.fail(Error::new(
                        ErrorKind::ServiceResponse,
                        format!(
                            "the operation is still '{}' after {} polls: polling stopped (see \
                             LroOptions::with_max_polls)",
                            self.status, self.polls
                        ),
                    ))));
                }
                self.polls += 1;
                self.phase = Phase::AwaitPoll;
                LroStep::Get(get(url))
            }
        }
    }

    /// The request a driver sends for a [`LroStep::Get`]'s `parts`: poll and final-resource
    /// URLs are chosen by the service, so the request is marked as
    /// [chosen by the service](Request::chosen_by_service), and the pipeline applies
    /// [`follow`](crate::pipeline::follow)'s rule to it against the URL of the request that
    /// started the operation.
    pub fn request<B: RequestBody>(&self, parts: RequestParts) -> Request<B> {
        let mut request = Request::new(parts.method.clone(), parts.url.clone());
        request.parts = parts;
        request.chosen_by_service(Chosen::PollUrl, self.url.clone())
    }

    /// Takes in the response to the last [`LroStep::Get`].
    pub fn on_response(&mut self, status: StatusCode, headers: HeaderMap, body: Bytes) {
        let snap = Snapshot {
            status,
            headers,
            body,
        };
        let phase = self.phase;
        self.last = snap;
        let outcome = if phase == Phase::AwaitFinal {
            self.check_status(&self.last)
        } else {
            self.update_status()
        };
        self.phase = match outcome {
            Ok(()) if phase == Phase::AwaitFinal => Phase::Finished,
            Ok(()) => Phase::Ready { waited: false },
            Err(e) => {
                self.pending_error = Some(self.fail(e));
                Phase::Done
            }
        };
    }

    fn update_status(&mut self) -> Result<(), Error> {
        let snap = self.last.clone();
        self.check_status(&snap)?;
        match self.strategy {
            Strategy::Monitor => {
                if snap.body.iter().all(u8::is_ascii_whitespace) {
                    return Err(bad_response(
                        &snap,
                        "The response from long running operation does not contain a body.",
                    ));
                }
                let body = json_body_strict(&snap)?;
                match body.get("status") {
                    Some(Value::String(s)) if !s.is_empty() => self.status.clone_from(s),
                    _ => return Err(bad_response(&snap, "No status found in body")),
                }
            }
            Strategy::Location => {
                if let Some(url) = self.header_url(&snap.headers, LOCATION) {
                    self.poll_url = Some(url);
                }
                self.status = if snap.status == StatusCode::ACCEPTED {
                    "InProgress".to_owned()
                } else {
                    "Succeeded".to_owned()
                };
            }
            Strategy::Body => {
                self.status = if snap.status == StatusCode::ACCEPTED {
                    "InProgress".to_owned()
                } else {
                    provisioning_state(&snap)?.unwrap_or_else(|| "Succeeded".to_owned())
                };
            }
            Strategy::StatusCheck => "Succeeded".clone_into(&mut self.status),
        }
        Ok(())
    }

    fn final_url(&self) -> Option<Url> {
        if self.strategy != Strategy::Monitor {
            return None;
        }
        let via = self.options.final_state_via;
        if via == Some(FinalStateVia::Location) && self.location_url.is_some() {
            return self.location_url.clone();
        }
        if via == Some(FinalStateVia::OriginalUri) {
            return Some(self.url.clone());
        }
        if matches!(
            via,
            Some(FinalStateVia::AzureAsyncOperation | FinalStateVia::OperationLocation)
        ) && self.method == Method::POST
        {
            return None;
        }
        if let Some(Value::Object(body)) = json_body(&self.last) {
            if let Some(Value::String(loc)) = body.get("resourceLocation") {
                if let Ok(url) = self.base().join(loc) {
                    return Some(url);
                }
            }
        }
        if self.method == Method::PUT || self.method == Method::PATCH {
            return Some(self.url.clone());
        }
        if self.method == Method::POST {
            return self.location_url.clone();
        }
        None
    }

    fn result(&self) -> LroResponse {
        LroResponse {
            status: self.last.status,
            headers: self.last.headers.clone(),
            body: self.last.body.clone(),
        }
    }

    /// An absolute URL from a header, resolved against the request URL (RFC 3986 §5).
    fn header_url(&self, headers: &HeaderMap, name: &str) -> Option<Url> {
        let value = headers.get(name)?.to_str().ok()?.trim();
        if value.is_empty() {
            return None;
        }
        self.base().join(value).ok()
    }

    /// What relative URLs are resolved against: the configured base, else the request URL.
    fn base(&self) -> &Url {
        self.options.base_url().unwrap_or(&self.url)
    }

    fn check_status(&self, snap: &Snapshot) -> Result<(), Error> {
        if matches!(snap.status.as_u16(), 200 | 201 | 202 | 204) {
            return Ok(());
        }
        Err(error_from(snap, ErrorFormat::Auto).with_message(format!(
            "Invalid return status {} for '{}' operation",
            snap.status.as_u16(),
            self.method
        )))
    }

    fn failed_operation(&self) -> Error {
        let e =
            error_from(&self.last, ErrorFormat::Arm).with_message("Operation failed or canceled");
        self.fail(e)
    }

    /// `error` with this operation's continuation token, unless it has one: every error
    /// while polling carries it, as in the reference.
    pub fn fail(&self, error: Error) -> Error {
        if error.continuation_token().is_some() {
            return error;
        }
        error.with_continuation_token(self.continuation_token())
    }

    /// The continuation token: resumes this operation anywhere with
    /// [`from_continuation_token`](Self::from_continuation_token), or in Python with
    /// azure-core's `LROPoller.from_continuation_token`.
    ///
    /// It is what azure-core 1.41 writes, byte for byte for the same initial exchange: base64
    /// of the compact, ASCII-only JSON `{"version": 1, "data": {"request": …, "response": …,
    /// "context": {"deserialized_data": …}}}` (see the [module docs](self)). The client
    /// request id is kept under `x-ms-client-request-id`, where the reference looks for it,
    /// whatever header carries it on the wire. A `final-state-via` set in the options is kept
    /// in `context` too, which the reference ignores.
    pub fn continuation_token(&self) -> String {
        let mut req_headers = Map::new();
        if let Some((_, id)) = &self.request_id {
            req_headers.insert(TOKEN_REQUEST_ID.to_owned(), Value::String(id.clone()));
        }
        // The allowed response headers in the order they came, repeated ones joined as the
        // reference's transport joins them.
        let mut resp_headers = Map::new();
        for name in self.initial.headers.keys() {
            if !TOKEN_HEADERS.contains(&name.as_str()) {
                continue;
            }
            let values: Option<Vec<&str>> = self
                .initial
                .headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().ok())
                .collect();
            if let Some(values) = values {
                resp_headers.insert(name.as_str().to_owned(), values.join(", ").into());
            }
        }
        let mut context = Map::new();
        context.insert(
            "deserialized_data".to_owned(),
            json_body(&self.initial).unwrap_or(Value::Null),
        );
        if let Some(via) = self.options.final_state_via {
            context.insert("final-state-via".to_owned(), via.as_str().into());
        }
        let token = json!({
            "version": TOKEN_VERSION,
            "data": {
                "request": {
                    "method": self.method.as_str(),
                    "url": self.url.as_str(),
                    "headers": req_headers,
                },
                "response": {
                    "status_code": self.initial.status.as_u16(),
                    "headers": resp_headers,
                    "content": B64.encode(&self.initial.body),
                },
                "context": context,
            },
        });
        B64.encode(ascii_json(&token))
    }

    /// Rebuilds an operation from a continuation token: one of
    /// [`continuation_token`](Self::continuation_token), one that Python azure-core 1.38 or
    /// later wrote, or one of the unversioned tokens earlier clientcore releases wrote. A
    /// `final-state-via` kept in the token wins over `options`'.
    ///
    /// # Errors
    ///
    /// An [`Other`](ErrorKind::Other) error (the reference's `ValueError`, with its message)
    /// when `token` is not base64, not a JSON token, a pickled token of an older Python SDK,
    /// or of a version other than 1; also when it lacks the initial request or response. The
    /// errors of [`new`](Self::new) otherwise.
    pub fn from_continuation_token(token: &str, options: LroOptions) -> Result<Self, Error> {
        let data = decode_token(token)?;
        let bad = |what: &str| {
            Error::new(
                ErrorKind::Other,
                format!("Invalid continuation token format: {what}."),
            )
        };
        let Some(Value::Object(req)) = data.get("request") else {
            return Err(bad(
                "it has no initial request, whose method and URL polling needs",
            ));
        };
        let Some(Value::Object(resp)) = data.get("response") else {
            return Err(bad("it has no initial response"));
        };
        let method = req
            .get("method")
            .and_then(Value::as_str)
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            .ok_or_else(|| bad("the request method is missing or not valid"))?;
        let url: Url = req
            .get("url")
            .and_then(Value::as_str)
            .and_then(|u| u.parse().ok())
            .ok_or_else(|| bad("the request URL is missing or not an absolute URL"))?;
        let status = resp
            .get("status_code")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| bad("the response status code is missing or not valid"))?;
        let mut headers = HeaderMap::new();
        if let Some(Value::Object(h)) = resp.get("headers") {
            for (k, v) in h {
                // Python keeps the names as the server spelled them; HTTP names ignore case.
                if let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                    v.as_str().map(HeaderValue::from_str),
                ) {
                    headers.insert(name, value);
                }
            }
        }
        let body = match resp.get("content") {
            Some(Value::String(c)) => B64
                .decode(c.trim())
                .map_err(|_| bad("the response content is not base64"))?,
            Some(Value::Null) | None => Vec::new(),
            Some(_) => return Err(bad("the response content is not base64")),
        };
        let mut options = options;
        if let Some(via) = data
            .get("context")
            .and_then(|c| c.get("final-state-via"))
            .and_then(Value::as_str)
            .and_then(FinalStateVia::parse)
        {
            options.final_state_via = Some(via);
        }
        let request = RequestParts {
            method,
            url,
            headers: HeaderMap::new(),
        };
        let mut op = Operation::new(&request, status, headers, body.into(), options)?;
        op.request_id = token_request_id(req);
        Ok(op)
    }
}

/// The version of the continuation token envelope, the reference's
/// `_CONTINUATION_TOKEN_VERSION`.
const TOKEN_VERSION: u64 = 1;
/// Where a continuation token keeps the client request id, as the reference does.
const TOKEN_REQUEST_ID: &str = "x-ms-client-request-id";
/// The reference's message for a token of another version, or a pickled one.
const INCOMPATIBLE_TOKEN: &str =
    "This continuation token is not compatible with this version of azure-core. \
     It may have been generated by a previous version. \
     See https://aka.ms/azsdk/python/core/troubleshoot for more information.";

/// The `data` of a continuation token, checked as the reference's
/// `_decode_continuation_token` checks it; an unversioned token of earlier clientcore
/// releases (the same data without the envelope) is its own data.
fn decode_token(token: &str) -> Result<Map<String, Value>, Error> {
    let err = |message: &str| Error::new(ErrorKind::Other, message.to_owned());
    let raw = B64
        .decode(token.trim())
        .map_err(|_| err("This doesn't look like a continuation token the sdk created."))?;
    let Ok(Value::Object(mut v)) = serde_json::from_slice::<Value>(&raw) else {
        // A pickle starts with PROTO (0x80) and a protocol version of 1 to 5.
        if raw.len() >= 2 && raw[0] == 0x80 && (1..=5).contains(&raw[1]) {
            return Err(err(INCOMPATIBLE_TOKEN));
        }
        return Err(err("Invalid continuation token format."));
    };
    match v.remove("version") {
        Some(version) if version.as_u64() == Some(TOKEN_VERSION) => match v.remove("data") {
            Some(Value::Object(data)) => Ok(data),
            _ => Err(err("Invalid continuation token format.")),
        },
        Some(_) => Err(err(INCOMPATIBLE_TOKEN)),
        None if v.contains_key("request") && v.contains_key("response") => Ok(v),
        None => Err(err("Invalid continuation token format.")),
    }
}

/// The client request id a token's request kept: `x-ms-client-request-id`, or the one header
/// an earlier clientcore release kept under a custom name.
fn token_request_id(request: &Map<String, Value>) -> Option<(HeaderName, String)> {
    let Some(Value::Object(headers)) = request.get("headers") else {
        return None;
    };
    let (name, id) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(TOKEN_REQUEST_ID))
        .or_else(|| headers.iter().next())?;
    let name = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).ok()?;
    Some((name, id.as_str()?.to_owned()))
}

/// `value` as Python's `json.dumps(value, separators=(",", ":"))` writes it: compact, and
/// every character outside printable ASCII escaped (`ensure_ascii`), so the token is
/// byte-identical to the reference's for the same data.
fn ascii_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AsciiFormatter);
    // Writing a `Value` into a `Vec` cannot fail: its keys are strings and it has no NaN.
    if serde::Serialize::serialize(value, &mut ser).is_err() {
        return value.to_string().into_bytes();
    }
    out
}

/// `serde_json`'s compact formatter, escaping what Python's `ensure_ascii` escapes beyond it:
/// DEL and everything above ASCII, as `\uXXXX` UTF-16 units in lowercase hex.
struct AsciiFormatter;

impl serde_json::ser::Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut units = [0u16; 2];
        for c in fragment.chars() {
            if (' '..='~').contains(&c) {
                writer.write_all(c.encode_utf8(&mut [0; 4]).as_bytes())?;
            } else {
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// The client request id an operation's calls share: the one `options` sets, else a new
/// UUID v4.
pub fn request_id(options: &Options) -> String {
    options
        .request_id()
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// The client request id the initial call of an operation goes out with, which every poll
/// re-sends: the request id header of `options`' headers or of the request itself (which the
/// pipeline keeps as it is), else the id `options` sets, else a new UUID v4.
///
/// # Examples
///
/// ```
/// use clientcore_proto::lro::call_request_id;
/// use clientcore_proto::options::Options;
/// use clientcore_proto::pipeline::RequestParts;
/// use http::{HeaderMap, Method};
///
/// let mut request = RequestParts {
///     method: Method::PUT,
///     url: "https://example.com/things/1".parse().unwrap(),
///     headers: HeaderMap::new(),
/// };
/// request.headers.insert("x-ms-client-request-id", "mine".parse().unwrap());
/// assert_eq!(call_request_id(&request, &Options::new().with_request_id("other")), "mine");
/// ```
pub fn call_request_id(request: &RequestParts, options: &Options) -> String {
    let name = options.request_id_header();
    options
        .headers()
        .get(&name)
        .or_else(|| request.headers.get(&name))
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| request_id(options), str::to_owned)
}

/// Whether `status` is terminal: `succeeded`, `failed`, `canceled` or `cancelled`, in any
/// case.
pub fn is_terminal(status: &str) -> bool {
    status.eq_ignore_ascii_case("succeeded") || is_failed(status)
}

/// Whether `status` is a terminal failure: `failed`, `canceled` or `cancelled`, in any case.
pub fn is_failed(status: &str) -> bool {
    ["failed", "canceled", "cancelled"]
        .iter()
        .any(|s| status.eq_ignore_ascii_case(s))
}

fn get(url: Url) -> RequestParts {
    RequestParts {
        method: Method::GET,
        url,
        headers: HeaderMap::new(),
    }
}

fn error_from(snap: &Snapshot, format: ErrorFormat) -> Error {
    Error::from_response(
        CapturedResponse::new(snap.status, snap.headers.clone(), snap.body.clone()),
        format,
        &ErrorMap::new(),
    )
}

fn bad_response(snap: &Snapshot, message: &str) -> Error {
    error_from(snap, ErrorFormat::None).with_message(message)
}

/// The body as JSON, or `None` when empty or not JSON.
fn json_body(snap: &Snapshot) -> Option<Value> {
    serde_json::from_slice(&snap.body).ok()
}

/// The body as a JSON object; invalid JSON is a `Decode` error, as the reference's
/// `DecodeError`.
fn json_body_strict(snap: &Snapshot) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice::<Value>(&snap.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_response(
            snap,
            "The response from long running operation is not a JSON object.",
        )),
        Err(e) => Err(error_from(snap, ErrorFormat::None)
            .with_kind(ErrorKind::Decode)
            .with_message(format!(
                "Error occurred in deserializing the response body: {e}"
            ))),
    }
}

/// `properties.provisioningState` of a resource body; `None` when the body is empty or has
/// none.
fn provisioning_state(snap: &Snapshot) -> Result<Option<String>, Error> {
    if snap.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let body = json_body_strict(snap)?;
    Ok(body
        .get("properties")
        .and_then(|p| p.get("provisioningState"))
        .and_then(Value::as_str)
        .map(str::to_owned))
}

/// Builds a URL from a template with `{name}` placeholders, like the reference's
/// `format_url(url, **path_format_arguments)`.
///
/// # Errors
///
/// [`ErrorKind::Other`] when a placeholder has no value or the result is not a URL.
pub fn format_url(template: &str, args: &[(&str, &str)]) -> Result<Url, Error> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                format!("unclosed '{{' in the URL template '{template}'"),
            )
        })?;
        let name = &after[..close];
        let value = args
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Other,
                    format!("no value for '{{{name}}}' in the URL template"),
                )
            })?;
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Url::parse(&out).map_err(|e| {
        Error::with_source(ErrorKind::Other, e).with_message(format!("'{out}' is not a URL"))
    })
}
