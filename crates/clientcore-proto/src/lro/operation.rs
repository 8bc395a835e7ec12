//! The decider: picks a strategy from the initial response, then says when to wait, what
//! to poll and when the operation is over.

use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Method, StatusCode};
use serde_json::{Map, Value};
use url::Url;

use super::{
    is_failed, is_terminal, FinalStateVia, LroOptions, LroResponse, LroStep, AZURE_ASYNC_OPERATION,
    LOCATION, OPERATION_LOCATION,
};
use crate::error::{CapturedResponse, Error, ErrorKind, ErrorMap};
use crate::format::ErrorFormat;
use crate::pipeline::follow::Chosen;
use crate::pipeline::retry::retry_after;
use crate::pipeline::{Request, RequestBody, RequestParts};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Strategy {
    /// The SDK's own, [`LroOptions::with_strategy`]'s.
    Custom,
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
pub(super) struct Snapshot {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

/// The decider of one long-running operation.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::lro::{LroOptions, LroStep, Operation};
/// use clientcore::pipeline::RequestParts;
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
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) request_id: Option<(HeaderName, String)>,
    pub(super) initial: Snapshot,
    pub(super) options: LroOptions,
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
        if !self.options.polling {
            // The reference's NoPolling: the initial response is the result, as it is.
            self.strategy = Strategy::StatusCheck;
            "Succeeded".clone_into(&mut self.status);
            return Ok(());
        }
        self.check_status(&snap)?;
        self.location_url = self.header_url(&snap.headers, LOCATION);
        if let Some(custom) = self.options.strategy.clone() {
            if let Some(state) = custom.start(&self.request_parts(), &response_of(&snap))? {
                self.strategy = Strategy::Custom;
                self.status = state.status;
                self.poll_url = state.poll_url;
                return Ok(());
            }
        }
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
            Strategy::Custom => {
                if let Some(custom) = self.options.strategy.clone() {
                    let state = custom.on_poll(&response_of(&snap))?;
                    self.status = state.status;
                    if state.poll_url.is_some() {
                        self.poll_url = state.poll_url;
                    }
                }
            }
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
        if self.strategy == Strategy::Custom {
            let custom = self.options.strategy.as_ref()?;
            return custom.final_url(&self.request_parts(), &response_of(&self.last));
        }
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
                if let Ok(url) = crate::pipeline::follow::join(self.base(), loc) {
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
        response_of(&self.last)
    }

    /// The initial request as a strategy sees it (its headers are not kept).
    fn request_parts(&self) -> RequestParts {
        RequestParts {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: HeaderMap::new(),
        }
    }

    /// An absolute URL from a header, resolved against the request URL (RFC 3986 §5).
    fn header_url(&self, headers: &HeaderMap, name: &str) -> Option<Url> {
        let value = headers.get(name)?.to_str().ok()?.trim();
        if value.is_empty() {
            return None;
        }
        crate::pipeline::follow::join(self.base(), value).ok()
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
}

fn response_of(snap: &Snapshot) -> LroResponse {
    LroResponse {
        status: snap.status,
        headers: snap.headers.clone(),
        body: snap.body.clone(),
    }
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
pub(super) fn json_body(snap: &Snapshot) -> Option<Value> {
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
