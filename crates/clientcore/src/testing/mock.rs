//! The mock transport: scripted responses, captured requests.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use clientcore_proto::options::TransportConfig;
use clientcore_proto::pipeline::{Request, ResponseHead};
use clientcore_proto::{Error, ErrorKind};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use url::Url;

use crate::transport::{
    BlockingTransport, BlockingTransportResponse, BoxFuture, Transport, TransportResponse,
};
use crate::Body;

/// One scripted answer of a [`MockTransport`]: a response, or a transport failure.
///
/// Invalid input (a status outside 100..=999, a header name or value HTTP does not allow) is
/// not a panic: the call that takes this answer fails with
/// [`ErrorKind::ServiceResponse`] and a message naming the bad part.
///
/// # Examples
///
/// ```
/// use clientcore::testing::MockResponse;
///
/// let created = MockResponse::new(201)
///     .header("etag", "\"0x1\"")
///     .json(&serde_json::json!({"name": "q1"}));
/// # let _ = created;
/// ```
#[derive(Clone, Debug)]
pub struct MockResponse {
    answer: Result<Answer, (ErrorKind, String)>,
    expect: Option<Expectation>,
}

#[derive(Clone, Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// What the request that takes a scripted answer must be (replayed recordings set it).
#[derive(Clone, Debug)]
pub(crate) struct Expectation {
    pub(crate) method: String,
    pub(crate) url: String,
}

impl MockResponse {
    /// A response with `status`, no headers and an empty body.
    pub fn new(status: u16) -> Self {
        let answer = StatusCode::from_u16(status)
            .map(|status| Answer {
                status,
                headers: HeaderMap::new(),
                body: Bytes::new(),
            })
            .map_err(|_| {
                (
                    ErrorKind::ServiceResponse,
                    format!("mock response: invalid status {status}"),
                )
            });
        MockResponse {
            answer,
            expect: None,
        }
    }

    /// A failure of the transport itself, of `kind` (for instance
    /// [`ErrorKind::ServiceRequest`] for a connection refused, or
    /// [`ErrorKind::ServiceResponseTimeout`]), which the pipeline retries as it would a real
    /// one.
    pub fn fail(kind: ErrorKind, message: impl Into<String>) -> Self {
        MockResponse {
            answer: Err((kind, message.into())),
            expect: None,
        }
    }

    /// Adds a header (names are case-insensitive; a repeated name adds a value).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Ok(answer) = &mut self.answer {
            match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                (Ok(n), Ok(v)) => {
                    answer.headers.append(n, v);
                }
                _ => {
                    self.answer = Err((
                        ErrorKind::ServiceResponse,
                        format!("mock response: invalid header {name:?}"),
                    ));
                }
            }
        }
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        if let Ok(answer) = &mut self.answer {
            answer.body = body.into();
        }
        self
    }

    /// Sets the body to `value` as JSON, with `Content-Type: application/json`.
    #[must_use]
    pub fn json(self, value: &impl serde::Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => self.header("content-type", "application/json").body(body),
            Err(e) => MockResponse {
                answer: Err((
                    ErrorKind::Serialization,
                    format!("mock response: the JSON body could not be written: {e}"),
                )),
                expect: self.expect,
            },
        }
    }

    /// The response, to be given only to a request with `method` whose URL matches `url`
    /// (a query value recorded as `REDACTED` matches any value).
    pub(crate) fn expecting(mut self, expect: Expectation) -> Self {
        self.expect = Some(expect);
        self
    }

    /// The head and body, or the scripted failure.
    fn into_parts(self) -> Result<(ResponseHead, Bytes), Error> {
        let answer = self
            .answer
            .map_err(|(kind, message)| Error::new(kind, message))?;
        let mut head = ResponseHead::new(answer.status);
        head.headers = answer.headers;
        Ok((head, answer.body))
    }
}

/// A request as a [`MockTransport`] received it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CapturedRequest {
    /// The method.
    pub method: Method,
    /// The URL, as sent.
    pub url: Url,
    /// The headers, as the pipeline shaped them (credentials included: a test may check
    /// them; nothing here is printed unless the test prints it).
    pub headers: HeaderMap,
    /// The body; `None` for a streamed body, which the mock does not read.
    pub body: Option<Bytes>,
    /// The attempt's time, as the client gave it to the transport.
    pub timeout: Duration,
}

impl CapturedRequest {
    /// The value of header `name` as text, when present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (lossy), empty for a streamed body.
    pub fn text(&self) -> String {
        self.body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }
}

type Responder = Arc<dyn Fn(&CapturedRequest) -> MockResponse + Send + Sync>;

#[derive(Default)]
struct State {
    script: VecDeque<MockResponse>,
    responder: Option<Responder>,
    requests: Vec<CapturedRequest>,
}

/// A transport that answers from a script and keeps every request it gets, for both drivers.
///
/// Build a [`Client`](crate::Client) or [`BlockingClient`](crate::BlockingClient) on it with
/// the builders' `transport` setter; the whole pipeline (retries, credentials, hooks, error
/// parsing) runs as it would on the network. Clones share the script and the captured requests,
/// so a test keeps one clone to look at what was sent.
///
/// Answers are given in order; once the script is used up, the responder set with
/// [`respond_with`](Self::respond_with) answers, and without one the call fails with
/// [`ErrorKind::ServiceRequest`] and a message naming the request (not a panic, not a hang).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use clientcore::testing::{MockResponse, MockTransport};
/// use clientcore::{BlockingClient, ErrorKind, Options, Request};
/// use clientcore::http::Method;
///
/// let mock = MockTransport::new([
///     MockResponse::new(503),
///     MockResponse::new(200).body("hello"),
/// ]);
/// let client = BlockingClient::builder().transport(Arc::new(mock.clone())).build()?;
/// let request = Request::new(Method::GET, "https://example.com/items/1".parse().unwrap());
/// let options = Options::new().with_retry(clientcore::RetryOptions::new().with_backoff_factor(0.0));
/// let mut response = client.send(request, &options)?;
/// assert_eq!(response.read()?, "hello");
/// // Retried once after the 503: the mock saw the same request twice.
/// let sent = mock.requests();
/// assert_eq!(sent.len(), 2);
/// assert_eq!(sent[1].url.path(), "/items/1");
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct MockTransport {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("MockTransport")
            .field("scripted", &state.script.len())
            .field("received", &state.requests.len())
            .finish_non_exhaustive()
    }
}

impl MockTransport {
    /// A mock that gives `responses` in order.
    pub fn new(responses: impl IntoIterator<Item = MockResponse>) -> Self {
        let mock = MockTransport::default();
        mock.lock().script.extend(responses);
        mock
    }

    /// Adds `response` at the end of the script.
    pub fn push(&self, response: MockResponse) {
        self.lock().script.push_back(response);
    }

    /// Answers every request once the script is used up: `respond` sees the request and
    /// returns the answer.
    pub fn respond_with(
        &self,
        respond: impl Fn(&CapturedRequest) -> MockResponse + Send + Sync + 'static,
    ) {
        self.lock().responder = Some(Arc::new(respond));
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.lock().requests.clone()
    }

    /// How many scripted answers are left.
    pub fn remaining(&self) -> usize {
        self.lock().script.len()
    }

    // A test that panicked while holding the lock has already failed; its state is still
    // the best account of what was sent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Captures the request and picks its answer.
    fn answer(
        &self,
        request: &Request<Body>,
        timeout: Duration,
    ) -> Result<(ResponseHead, Bytes), Error> {
        let captured = CapturedRequest {
            method: request.parts.method.clone(),
            url: request.parts.url.clone(),
            headers: request.parts.headers.clone(),
            body: request.body.as_bytes().map(Bytes::copy_from_slice),
            timeout,
        };
        let mut state = self.lock();
        state.requests.push(captured.clone());
        let next = match state.script.pop_front() {
            Some(next) => next,
            None => match state.responder.clone() {
                Some(respond) => {
                    // Not under the lock: the responder may look at the mock.
                    drop(state);
                    respond(&captured)
                }
                None => {
                    return Err(Error::new(
                        ErrorKind::ServiceRequest,
                        format!(
                            "mock transport: no scripted response left for {} {}",
                            captured.method,
                            redacted_url(&captured.url)
                        ),
                    ))
                }
            },
        };
        if let Some(expect) = &next.expect {
            if !expect.method.eq_ignore_ascii_case(captured.method.as_str())
                || !url_matches(&expect.url, &captured.url)
            {
                return Err(Error::new(
                    ErrorKind::ServiceRequest,
                    format!(
                        "mock transport: expected {} {}, got {} {}",
                        expect.method,
                        expect.url,
                        captured.method,
                        redacted_url(&captured.url)
                    ),
                ));
            }
        }
        next.into_parts()
    }
}

/// `url` as logs show it: query values hidden but `api-version`.
fn redacted_url(url: &Url) -> String {
    clientcore_proto::policies::redact::Redactor::default()
        .sanitize_url(url.as_str())
        .into_owned()
}

/// Whether `actual` is the URL recorded as `recorded`: the same up to the query, and the same
/// query parameters in the same order, a recorded value of `REDACTED` matching any value.
pub(crate) fn url_matches(recorded: &str, actual: &Url) -> bool {
    let actual = actual.as_str();
    let split = |u: &str| -> (String, String) {
        let u = u.split('#').next().unwrap_or_default();
        match u.split_once('?') {
            Some((base, query)) => (base.to_owned(), query.to_owned()),
            None => (u.to_owned(), String::new()),
        }
    };
    let (rec_base, rec_query) = split(recorded);
    let (act_base, act_query) = split(actual);
    if rec_base != act_base {
        return false;
    }
    let rec: Vec<&str> = rec_query.split('&').collect();
    let act: Vec<&str> = act_query.split('&').collect();
    rec.len() == act.len()
        && rec.iter().zip(&act).all(|(r, a)| {
            r == a
                || matches!(
                    (r.split_once('='), a.split_once('=')),
                    (Some((rk, rv)), Some((ak, _))) if rk == ak && rv == clientcore_proto::policies::redact::REDACTED
                )
        })
}

impl Transport for MockTransport {
    fn send<'a>(
        &'a self,
        request: Request<Body>,
        _config: &'a TransportConfig,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<TransportResponse, Error>> {
        let answer = self.answer(&request, timeout);
        Box::pin(async move {
            let (head, body) = answer?;
            Ok(TransportResponse {
                head,
                body: Box::new(body),
            })
        })
    }
}

impl BlockingTransport for MockTransport {
    fn send(
        &self,
        request: Request<Body>,
        _config: &TransportConfig,
        timeout: Duration,
    ) -> Result<BlockingTransportResponse, Error> {
        let (head, body) = self.answer(&request, timeout)?;
        Ok(BlockingTransportResponse {
            head,
            body: Box::new(body),
        })
    }
}
