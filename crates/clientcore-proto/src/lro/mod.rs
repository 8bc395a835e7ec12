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
//! Before them, a [`PollingStrategy`] of the SDK's own set with
//! [`LroOptions::with_strategy`] is asked whether it takes the operation; and with
//! [`LroOptions::without_polling`] nothing is polled: the initial response is the result.
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

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, ErrorKind};
use crate::options::Options;
use crate::pipeline::RequestParts;

mod operation;
mod options;
mod strategy;
mod token;

pub use operation::Operation;
pub use options::{FinalStateVia, LroOptions};
pub use strategy::{PollState, PollingStrategy};

const AZURE_ASYNC_OPERATION: &str = "azure-asyncoperation";
const OPERATION_LOCATION: &str = "operation-location";
const LOCATION: &str = "location";

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
/// # use clientcore_proto as clientcore;
/// use clientcore::lro::call_request_id;
/// use clientcore::options::Options;
/// use clientcore::pipeline::RequestParts;
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
