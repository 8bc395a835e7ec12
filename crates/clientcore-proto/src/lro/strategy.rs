//! Custom polling strategies: an SDK's own rules for an operation's status and poll URL.

use std::fmt;

use url::Url;

use super::LroResponse;
use crate::error::Error;
use crate::pipeline::RequestParts;

/// What a [`PollingStrategy`] reads from a response: the status, and where to poll next.
///
/// The status is spelled as the service spells it; the operation is over when it is
/// `Succeeded`, `Failed`, `Canceled` or `Cancelled` (in any case), as for the built-in
/// strategies: map the service's own words onto those.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollState {
    /// The operation's status.
    pub status: String,
    /// The URL of the next poll; `None` keeps the current one.
    pub poll_url: Option<Url>,
}

impl PollState {
    /// A state with `status`, polling the same URL.
    pub fn new(status: impl Into<String>) -> Self {
        PollState {
            status: status.into(),
            poll_url: None,
        }
    }

    /// Polls `url` next.
    #[must_use]
    pub fn with_poll_url(mut self, url: Url) -> Self {
        self.poll_url = Some(url);
        self
    }
}

/// An SDK's own way of polling an operation, for services the built-in strategies
/// (Azure-AsyncOperation, Operation-Location, Location, provisioning state) do not fit.
///
/// Set with [`LroOptions::with_strategy`](super::LroOptions::with_strategy). The decider asks
/// it first: when [`start`](Self::start) takes the operation, the strategy's states decide
/// the status and the poll URL; waits (`Retry-After`, the polling interval), the bound on
/// polls, failed operations as errors and continuation tokens work as for the built-in ones
/// (resume with the same strategy in the options). A resumed operation's initial response is
/// the one the token keeps: its body, and of its headers only `Operation-Location`,
/// `Azure-AsyncOperation`, `Location`, `Content-Type` and `Retry-After` (the reference's
/// token format), so a strategy that must resume should find its poll URL there.
///
/// # Examples
///
/// A job service that answers `202` with `x-job: <url>` and whose job resource says
/// `{"state": "running" | "done" | "error"}`:
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::lro::{LroOptions, LroResponse, LroStep, Operation, PollState, PollingStrategy};
/// use clientcore::pipeline::RequestParts;
/// use clientcore::{Error, ErrorKind};
/// use http::{HeaderMap, Method, StatusCode};
/// use std::sync::Arc;
/// use std::time::SystemTime;
///
/// #[derive(Debug)]
/// struct Jobs;
///
/// impl PollingStrategy for Jobs {
///     fn start(&self, request: &RequestParts, initial: &LroResponse) -> Result<Option<PollState>, Error> {
///         let Some(job) = initial.headers.get("x-job").and_then(|v| v.to_str().ok()) else {
///             return Ok(None); // not ours: the built-in strategies decide
///         };
///         let url = request.url.join(job).map_err(|e| Error::with_source(ErrorKind::Decode, e))?;
///         Ok(Some(PollState::new("InProgress").with_poll_url(url)))
///     }
///
///     fn on_poll(&self, response: &LroResponse) -> Result<PollState, Error> {
///         let job: serde_json::Value = response.json()?.unwrap_or_default();
///         Ok(PollState::new(match job["state"].as_str() {
///             Some("done") => "Succeeded",
///             Some("error") => "Failed",
///             _ => "InProgress",
///         }))
///     }
/// }
///
/// let request = RequestParts {
///     method: Method::POST,
///     url: "https://example.com/reports".parse().unwrap(),
///     headers: HeaderMap::new(),
/// };
/// let mut headers = HeaderMap::new();
/// headers.insert("x-job", "/jobs/7".parse().unwrap());
/// let options = LroOptions::new().with_strategy(Arc::new(Jobs));
/// let mut op = Operation::new(&request, StatusCode::ACCEPTED, headers, "".into(), options)?;
/// let now = SystemTime::now();
/// assert!(matches!(op.step(now), LroStep::Sleep(_)));
/// let LroStep::Get(poll) = op.step(now) else { panic!() };
/// assert_eq!(poll.url.as_str(), "https://example.com/jobs/7");
/// op.on_response(StatusCode::OK, HeaderMap::new(), r#"{"state": "done"}"#.into());
/// assert_eq!(op.status(), "Succeeded");
/// let LroStep::Done(Ok(result)) = op.step(now) else { panic!() };
/// assert_eq!(result.body, r#"{"state": "done"}"#);
/// # Ok::<(), Error>(())
/// ```
pub trait PollingStrategy: Send + Sync + fmt::Debug {
    /// Whether this strategy polls the operation `request` started, which answered
    /// `initial`: its first state when it does, `None` to leave the operation to the built-in
    /// strategies.
    ///
    /// # Errors
    ///
    /// An initial response the strategy cannot read; the operation fails with it.
    fn start(
        &self,
        request: &RequestParts,
        initial: &LroResponse,
    ) -> Result<Option<PollState>, Error>;

    /// The state a poll's `response` (status 200, 201, 202 or 204) gives.
    ///
    /// # Errors
    ///
    /// A response the strategy cannot read; the operation fails with it.
    fn on_poll(&self, response: &LroResponse) -> Result<PollState, Error>;

    /// Where the result of a succeeded operation is, for a last GET; `None` (the default):
    /// the last poll's response is the result.
    fn final_url(&self, request: &RequestParts, last: &LroResponse) -> Option<Url> {
        let _ = (request, last);
        None
    }
}
