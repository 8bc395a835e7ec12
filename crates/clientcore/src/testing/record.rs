//! Record and replay: real exchanges written to a JSON file, secrets hidden, and answered from
//! it later with no server.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use clientcore_proto::options::TransportConfig;
use clientcore_proto::pipeline::{Request, ResponseHead};
use clientcore_proto::policies::redact::Redactor;
use clientcore_proto::{Error, ErrorKind};
use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::mock::{Expectation, MockResponse, MockTransport};
use crate::transport::{
    BlockingTransport, BlockingTransportResponse, BoxFuture, Transport, TransportResponse,
};
use crate::{Body, MAX_BUFFERED_BODY};

/// The file: every exchange in the order it happened.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Recording {
    exchanges: Vec<Exchange>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Exchange {
    request: RecordedRequest,
    response: RecordedResponse,
}

#[derive(Debug, Serialize, Deserialize)]
struct RecordedRequest {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    /// `None` for a streamed body, which the recorder does not read.
    body: Option<RecordedBody>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RecordedResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: RecordedBody,
}

/// A body as text when it is UTF-8 (so a recording can be read and reviewed), else base64.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RecordedBody {
    Text(String),
    Base64(String),
}

impl RecordedBody {
    fn of(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => RecordedBody::Text(text.to_owned()),
            Err(_) => RecordedBody::Base64(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }

    fn bytes(&self) -> Result<Bytes, Error> {
        match self {
            RecordedBody::Text(t) => Ok(Bytes::from(t.clone())),
            RecordedBody::Base64(b) => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map(Bytes::from)
                .map_err(|e| {
                    Error::with_source(ErrorKind::Deserialization, e)
                        .with_message("recording: a body is not valid base64")
                }),
        }
    }
}

/// Response headers a replay needs and that carry no secret of their own: where a
/// redirect or a long-running operation goes on. Their URLs are still sanitized.
const RECORDED_HEADERS: &[&str] = &["location", "operation-location", "azure-asyncoperation"];

/// A transport that sends through another one and writes every exchange to a JSON file,
/// for [`MockTransport::replay`] to answer later without the server.
///
/// The file is rewritten after each exchange, so it is complete whenever the test stops.
/// Secrets are hidden as they are recorded, by the project's [`Redactor`]: a header value is
/// kept only if its name is on the redactor's allow-list (so `Authorization`, `Cookie`,
/// `Set-Cookie`, `x-ms-*` keys and SAS headers become `REDACTED`), and every query value but
/// `api-version` (a SAS `sig=` among them) is `REDACTED` in URLs, the request's and those of
/// `Location`, `Operation-Location` and `Azure-AsyncOperation`, which are kept for replay.
/// Widen the lists with [`with_redactor`](Self::with_redactor) when a replay needs more
/// (a continuation header, say). Bodies are recorded as sent and received: a test that sends
/// secrets in bodies must not record them.
///
/// A failure of the inner transport (a refused connection, a timeout) is returned to the
/// caller and not recorded.
///
/// # Examples
///
/// ```no_run
/// use std::sync::Arc;
/// use clientcore::testing::{MockTransport, Recorder};
/// use clientcore::BlockingClient;
///
/// // Once, against the service: record.
/// let recorder = Recorder::new("tests/recordings/create_queue.json")?;
/// let client = BlockingClient::builder().transport(Arc::new(recorder)).build()?;
/// // ... the test's calls ...
///
/// // Offline, in CI: replay.
/// let replay = MockTransport::replay("tests/recordings/create_queue.json")?;
/// let client = BlockingClient::builder().transport(Arc::new(replay)).build()?;
/// // ... the same calls, the same results ...
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone)]
pub struct Recorder {
    path: PathBuf,
    redactor: Redactor,
    inner_async: Option<Arc<dyn Transport>>,
    inner_blocking: Option<Arc<dyn BlockingTransport>>,
    recording: Arc<Mutex<Recording>>,
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder on the default transport (for both clients), writing to `path`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Other`] when the blocking client's runtime cannot be started.
    #[cfg(feature = "_transport")]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "async", feature = "blocking"))))]
    pub fn new(path: impl AsRef<Path>) -> Result<Self, Error> {
        let transport = crate::transport::HyperTransport::new();
        #[cfg(feature = "blocking")]
        let blocking: Option<Arc<dyn BlockingTransport>> = Some(Arc::new(
            crate::transport::transport_block_on(transport.clone())?,
        ));
        #[cfg(not(feature = "blocking"))]
        let blocking = None;
        Ok(Recorder {
            inner_async: Some(Arc::new(transport)),
            inner_blocking: blocking,
            ..Recorder::empty(path.as_ref())
        })
    }

    /// A recorder over an async transport of your own, writing to `path`.
    pub fn over(transport: Arc<dyn Transport>, path: impl AsRef<Path>) -> Self {
        let mut recorder = Recorder::empty(path.as_ref());
        recorder.inner_async = Some(transport);
        recorder
    }

    /// A recorder over a blocking transport of your own, writing to `path`.
    pub fn over_blocking(transport: Arc<dyn BlockingTransport>, path: impl AsRef<Path>) -> Self {
        let mut recorder = Recorder::empty(path.as_ref());
        recorder.inner_blocking = Some(transport);
        recorder
    }

    /// Hides what `redactor` hides instead of the default [`Redactor`]'s choice (header
    /// values and query values not on its allow-lists).
    #[must_use]
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// The file the exchanges are written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn empty(path: &Path) -> Self {
        Recorder {
            path: path.to_owned(),
            redactor: Redactor::default(),
            inner_async: None,
            inner_blocking: None,
            recording: Arc::default(),
        }
    }

    fn missing(which: &str) -> Error {
        Error::new(
            ErrorKind::ServiceRequest,
            format!("recorder: no {which} transport to record (see Recorder::new)"),
        )
    }

    fn headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let name = name.as_str();
                let value = String::from_utf8_lossy(value.as_bytes());
                let is_url_header = RECORDED_HEADERS.contains(&name);
                // A location may be relative (`/c/blob?sig=...`): its query is hidden all the same.
                let shown = if is_url_header
                    || (self.redactor.is_header_allowed(name)
                        && (value.starts_with("http://") || value.starts_with("https://")))
                {
                    self.redactor.sanitize_url(&value).into_owned()
                } else if self.redactor.is_header_allowed(name) {
                    value.into_owned()
                } else {
                    clientcore_proto::policies::redact::REDACTED.to_owned()
                };
                (name.to_owned(), shown)
            })
            .collect()
    }

    /// The request as it will be recorded; taken before it is sent.
    fn request(&self, request: &Request<Body>) -> RecordedRequest {
        RecordedRequest {
            method: request.parts.method.as_str().to_owned(),
            url: self
                .redactor
                .sanitize_url(request.parts.url.as_str())
                .into_owned(),
            headers: self.headers(&request.parts.headers),
            body: request.body.as_bytes().map(RecordedBody::of),
        }
    }

    /// Adds one exchange and rewrites the file.
    fn save(
        &self,
        request: RecordedRequest,
        head: &ResponseHead,
        body: &[u8],
    ) -> Result<(), Error> {
        let response = RecordedResponse {
            status: head.status.as_u16(),
            headers: self.headers(&head.headers),
            body: RecordedBody::of(body),
        };
        let mut recording = self
            .recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        recording.exchanges.push(Exchange { request, response });
        let json = serde_json::to_vec_pretty(&*recording)
            .map_err(|e| Error::with_source(ErrorKind::Serialization, e))?;
        std::fs::write(&self.path, json).map_err(|e| {
            Error::with_source(ErrorKind::Other, e)
                .with_message(format!("recorder: could not write {}", self.path.display()))
        })
    }
}

/// The error for a recorded body over [`MAX_BUFFERED_BODY`].
fn too_big() -> Error {
    Error::new(
        ErrorKind::Decode,
        format!("recorder: a response body is over {MAX_BUFFERED_BODY} bytes"),
    )
}

impl Transport for Recorder {
    fn send<'a>(
        &'a self,
        request: Request<Body>,
        config: &'a TransportConfig,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<TransportResponse, Error>> {
        Box::pin(async move {
            let inner = self
                .inner_async
                .as_ref()
                .ok_or_else(|| Recorder::missing("async"))?;
            let recorded = self.request(&request);
            let mut response = inner.send(request, config, timeout).await?;
            let mut body = Vec::new();
            while let Some(chunk) = response.body.chunk().await? {
                if body.len() + chunk.len() > MAX_BUFFERED_BODY {
                    return Err(too_big());
                }
                body.extend_from_slice(&chunk);
            }
            self.save(recorded, &response.head, &body)?;
            Ok(TransportResponse {
                head: response.head,
                body: Box::new(Bytes::from(body)),
            })
        })
    }
}

impl BlockingTransport for Recorder {
    fn send(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
        timeout: Duration,
    ) -> Result<BlockingTransportResponse, Error> {
        let inner = self
            .inner_blocking
            .as_ref()
            .ok_or_else(|| Recorder::missing("blocking"))?;
        let recorded = self.request(&request);
        let mut response = inner.send(request, config, timeout)?;
        let mut body = Vec::new();
        while let Some(chunk) = response.body.chunk()? {
            if body.len() + chunk.len() > MAX_BUFFERED_BODY {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        self.save(recorded, &response.head, &body)?;
        Ok(BlockingTransportResponse {
            head: response.head,
            body: Box::new(Bytes::from(body)),
        })
    }
}

impl MockTransport {
    /// A mock that answers from a file written by a [`Recorder`]: each request gets the next
    /// recorded response, and must have the recorded method and URL (a query value recorded
    /// as `REDACTED` matches any value); a different request fails with
    /// [`ErrorKind::ServiceRequest`] saying what was expected. The requests it gets are
    /// captured as by any mock.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Other`] when the file cannot be read, [`ErrorKind::Deserialization`] when
    /// it is not a recording.
    pub fn replay(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read(path).map_err(|e| {
            Error::with_source(ErrorKind::Other, e)
                .with_message(format!("replay: could not read {}", path.display()))
        })?;
        let recording: Recording = serde_json::from_slice(&text).map_err(|e| {
            Error::with_source(ErrorKind::Deserialization, e)
                .with_message(format!("replay: {} is not a recording", path.display()))
        })?;
        let mock = MockTransport::default();
        for exchange in recording.exchanges {
            let mut response = MockResponse::new(exchange.response.status);
            for (name, value) in &exchange.response.headers {
                response = response.header(name, value);
            }
            let response = response
                .body(exchange.response.body.bytes()?)
                .expecting(Expectation {
                    method: exchange.request.method,
                    url: exchange.request.url,
                });
            mock.push(response);
        }
        Ok(mock)
    }
}
