//! Responses: the head at once, the body streamed in blocks or read whole.
//!
//! The stream-state rules are the seed's: reading a stream that was already consumed gives
//! `StreamConsumed`; reading after [`close`](Response::close) gives `StreamClosed`; asking for
//! the [`content`](Response::content) before reading gives `ResponseNotRead`.

use std::borrow::Cow;
use std::fmt;

use bytes::{Bytes, BytesMut};
use clientcore_proto::options::StallProtection;
use clientcore_proto::pipeline::retry::AttemptRecord;
use clientcore_proto::pipeline::{Completion, ResponseHead};
use clientcore_proto::{Error, ErrorKind, RedirectHop};
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing read yet.
    Fresh,
    /// Some blocks were streamed.
    Streaming,
    /// The stream reached its end without being kept.
    Consumed,
    /// Read whole into `content`.
    Read,
    /// Closed by the caller.
    Closed,
}

/// The result of [`Received::push`].
pub(crate) enum Pushed {
    Block(Bytes),
    End,
    More,
}

/// What both response types share: the head, the state, and the rechunking of the body into
/// blocks of `connection_data_block_size`.
pub(crate) struct Received {
    head: ResponseHead,
    method: Method,
    url: Url,
    retries: Vec<AttemptRecord>,
    redirects: Vec<RedirectHop>,
    block_size: usize,
    encoding: Option<String>,
    state: State,
    pending: BytesMut,
    /// The part of a wire chunk not handed out yet, served in blocks by slicing, not copying.
    /// Only the tail of a chunk shorter than a block is copied into `pending`.
    rest: Bytes,
    content: Option<Bytes>,
    offset: usize,
    eof: bool,
    /// The stalled-stream protection of the caller's reads, `None` when off.
    pub(crate) stall: Option<Stall>,
}

impl Received {
    pub(crate) fn new(
        done: Completion,
        method: Method,
        block_size: usize,
        encoding: Option<String>,
    ) -> Self {
        // A buffered call already read the body: the response starts out read.
        let state = if done.body.is_some() {
            State::Read
        } else {
            State::Fresh
        };
        Received {
            head: done.head,
            method,
            url: done.url,
            retries: done.retries,
            redirects: done.redirects,
            block_size: block_size.max(1),
            encoding,
            state,
            pending: BytesMut::new(),
            rest: Bytes::new(),
            content: done.body,
            offset: 0,
            eof: false,
            stall: None,
        }
    }

    /// Turns on stalled-stream protection for the caller's reads of the body.
    pub(crate) fn with_stall(mut self, protection: Option<StallProtection>) -> Self {
        self.stall = protection.map(Stall::new);
        self
    }

    fn stream_error(&self, kind: ErrorKind) -> Error {
        Error::stream(kind, self.method.clone(), self.url.as_str())
    }

    /// Checks that the stream can still be read whole.
    pub(crate) fn check_read(&self) -> Result<Option<Bytes>, Error> {
        match self.state {
            State::Read => Ok(self.content.clone()),
            State::Fresh => Ok(None),
            State::Closed => Err(self.stream_error(ErrorKind::StreamClosed)),
            State::Streaming | State::Consumed => Err(self.stream_error(ErrorKind::StreamConsumed)),
        }
    }

    pub(crate) fn set_content(&mut self, content: Bytes) -> Bytes {
        self.state = State::Read;
        self.content = Some(content.clone());
        content
    }

    /// The next block served from memory, or `Err(())` when the wire must be read.
    pub(crate) fn block_from_memory(&mut self) -> Result<Option<Bytes>, Result<(), Error>> {
        match self.state {
            State::Read => {
                let content = self.content.as_ref().map_or(&[][..], |c| &c[..]);
                if self.offset >= content.len() {
                    return Ok(None);
                }
                let end = (self.offset + self.block_size).min(content.len());
                let block = self
                    .content
                    .as_ref()
                    .map(|c| c.slice(self.offset..end))
                    .unwrap_or_default();
                self.offset = end;
                Ok(Some(block))
            }
            State::Closed => Err(Err(self.stream_error(ErrorKind::StreamClosed))),
            State::Consumed => Err(Err(self.stream_error(ErrorKind::StreamConsumed))),
            State::Fresh | State::Streaming => {
                self.state = State::Streaming;
                if self.pending.len() >= self.block_size {
                    return Ok(Some(self.pending.split_to(self.block_size).freeze()));
                }
                if self.pending.is_empty() && self.rest.len() >= self.block_size {
                    return Ok(Some(self.rest.split_to(self.block_size)));
                }
                if !self.rest.is_empty() {
                    self.pending.extend_from_slice(&self.rest);
                    self.rest = Bytes::new();
                }
                if self.eof {
                    // The end was reached while the last block was handed out: report it
                    // once; reading again then gives StreamConsumed.
                    self.state = State::Consumed;
                    return Ok(None);
                }
                Err(Ok(()))
            }
        }
    }

    /// Adds a chunk from the wire (or `None` at the end). Returns `Pushed::Block` when a block
    /// is ready, `Pushed::End` at the end, `Pushed::More` when more chunks are needed.
    pub(crate) fn push(&mut self, chunk: Option<Bytes>) -> Pushed {
        if let Some(mut c) = chunk {
            // `rest` is empty here: `block_from_memory` ran first.
            if self.pending.is_empty() && c.len() >= self.block_size {
                let block = c.split_to(self.block_size);
                self.rest = c;
                return Pushed::Block(block);
            }
            let need = self.block_size.saturating_sub(self.pending.len());
            if c.len() >= need {
                self.pending.extend_from_slice(&c[..need]);
                self.rest = c.slice(need..);
                Pushed::Block(self.pending.split().freeze())
            } else {
                self.pending.extend_from_slice(&c);
                Pushed::More
            }
        } else if self.pending.is_empty() {
            self.state = State::Consumed;
            Pushed::End
        } else {
            self.eof = true;
            Pushed::Block(self.pending.split().freeze())
        }
    }

    pub(crate) fn close(&mut self) {
        self.state = State::Closed;
        self.pending = BytesMut::new();
        self.rest = Bytes::new();
    }

    pub(crate) fn content(&self) -> Result<&Bytes, Error> {
        match (&self.state, &self.content) {
            (State::Read, Some(c)) => Ok(c),
            _ => Err(self.stream_error(ErrorKind::ResponseNotRead)),
        }
    }

    /// The encoding text is decoded with: the forced `response_encoding`, else a known
    /// `charset` of `Content-Type`, as its label; `None` when the body is read as UTF-8 by
    /// default. The reference's `response.encoding`.
    pub(crate) fn encoding(&self) -> Option<&str> {
        self.encoding.as_deref().or_else(|| {
            clientcore_proto::format::text::declared(&self.head.headers).map(|(label, _)| label)
        })
    }

    /// The body as text: the forced encoding (an unknown one is a `Decode` error, not
    /// silently ignored), else the declared charset, else UTF-8; invalid bytes become U+FFFD.
    pub(crate) fn text<'a>(&self, content: &'a [u8]) -> Result<Cow<'a, str>, Error> {
        use clientcore_proto::format::text;
        if let Some(label) = self.encoding.as_deref() {
            return text::decode_forced(label, content).ok_or_else(|| {
                Error::new(
                    ErrorKind::Decode,
                    format!("unknown encoding: {label} (the response_encoding option)"),
                )
            });
        }
        Ok(match text::declared(&self.head.headers) {
            Some((_, charset)) => charset.decode_lossy(content),
            None => text::lossy(content),
        })
    }
}

/// Stalled-stream protection as the caller reads: a tumbling window of time spent waiting
/// for data (not the caller's own pauses between reads), which must bring
/// [`StallProtection::bytes_per_window`] bytes before `grace` of waiting has passed; once it
/// has, a new window starts. Each wait is bounded by what is left of the window.
pub(crate) struct Stall {
    config: StallProtection,
    need: u64,
    waited: std::time::Duration,
    got: u64,
}

impl Stall {
    fn new(config: StallProtection) -> Self {
        Stall {
            need: config.bytes_per_window(),
            config,
            waited: std::time::Duration::ZERO,
            got: 0,
        }
    }

    /// How long the next read may wait.
    pub(crate) fn remaining(&self) -> std::time::Duration {
        self.config.grace.saturating_sub(self.waited)
    }

    /// A read that waited `waited` and brought `bytes`.
    pub(crate) fn record(&mut self, waited: std::time::Duration, bytes: usize) {
        self.waited = self.waited.saturating_add(waited);
        self.got = self
            .got
            .saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX));
        if self.got >= self.need {
            self.waited = std::time::Duration::ZERO;
            self.got = 0;
        }
    }

    /// The error of a window that ran out.
    pub(crate) fn error(&self) -> Error {
        Error::new(
            ErrorKind::ServiceResponseTimeout,
            format!(
                "the response body stalled: {} of the {} bytes due within {:?} of waiting \
                 arrived (stall protection: at least {} bytes/s over {:?})",
                self.got,
                self.need,
                self.config.grace,
                self.config.min_bytes_per_sec,
                self.config.grace
            ),
        )
    }
}

/// Collects a body's chunks; a body that came in one chunk is kept as is, not copied.
#[derive(Default)]
pub(crate) struct BodyCollector {
    only: Option<Bytes>,
    all: BytesMut,
}

impl BodyCollector {
    pub(crate) fn push(&mut self, chunk: Bytes) {
        if let Some(first) = self.only.take() {
            self.all.extend_from_slice(&first);
            self.all.extend_from_slice(&chunk);
        } else if self.all.is_empty() {
            self.only = Some(chunk);
        } else {
            self.all.extend_from_slice(&chunk);
        }
    }

    pub(crate) fn finish(self) -> Bytes {
        self.only.unwrap_or_else(|| self.all.freeze())
    }
}

/// Deserializes a JSON body decoded as [`Received::text`] decodes it, so a body in a declared
/// charset (UTF-16 above all) parses as it reads.
pub(crate) fn json<T: DeserializeOwned>(core: &Received, content: &[u8]) -> Result<T, Error> {
    let text = core.text(content)?;
    serde_json::from_str(&text).map_err(|e| Error::with_source(ErrorKind::Deserialization, e))
}

/// Deserializes an XML body decoded as [`Received::text`] decodes it, text kept exactly
/// ([`clientcore_proto::model::xml`]).
#[cfg(feature = "xml")]
pub(crate) fn xml<T: DeserializeOwned>(core: &Received, content: &[u8]) -> Result<T, Error> {
    let text = core.text(content)?;
    clientcore_proto::model::xml::from_str(&text)
}

macro_rules! head_accessors {
    () => {
        /// The status.
        pub fn status(&self) -> http::StatusCode {
            self.core.head_status()
        }

        /// The reason phrase the server sent, else the canonical one.
        pub fn reason(&self) -> &str {
            self.core.head_reason()
        }

        /// The headers.
        pub fn headers(&self) -> &http::HeaderMap {
            self.core.head_headers()
        }

        /// The final URL, after redirects.
        pub fn url(&self) -> &url::Url {
            &self.core.url_ref()
        }

        /// The attempts before this response, with the waits between them.
        pub fn retry_history(&self) -> &[clientcore_proto::pipeline::retry::AttemptRecord] {
            self.core.retries_ref()
        }

        /// The redirects followed to get here.
        pub fn redirects(&self) -> &[clientcore_proto::RedirectHop] {
            self.core.redirects_ref()
        }

        /// The resumes of the body so far: each time a cut download was asked for again
        /// from where it stopped ([`Options::with_resume`](crate::Options::with_resume)).
        /// Each counts as a retry of the call.
        pub fn resumes(&self) -> &[clientcore_proto::pipeline::resume::ResumeRecord] {
            self.resume.as_ref().map_or(&[], |r| r.resumer.records())
        }

        /// The body, once read with `read`.
        ///
        /// # Errors
        ///
        /// `ResponseNotRead` before the body was read.
        pub fn content(&self) -> Result<&bytes::Bytes, clientcore_proto::Error> {
            self.core.content()
        }

        /// The encoding the body text is decoded with, as the reference's
        /// `response.encoding`: the forced `response_encoding` label, else the `charset` of
        /// `Content-Type` when it names a known encoding, else `None` (UTF-8 is assumed).
        pub fn encoding(&self) -> Option<&str> {
            self.core.encoding()
        }

        /// Closes the stream; later reads fail with `StreamClosed`.
        pub fn close(&mut self) {
            self.core.close();
            self.drop_body();
        }
    };
}

impl Received {
    pub(crate) fn head_status(&self) -> StatusCode {
        self.head.status
    }
    pub(crate) fn head_reason(&self) -> &str {
        self.head
            .reason
            .as_deref()
            .or_else(|| self.head.status.canonical_reason())
            .unwrap_or("")
    }
    pub(crate) fn head_headers(&self) -> &HeaderMap {
        &self.head.headers
    }
    pub(crate) fn url_ref(&self) -> &Url {
        &self.url
    }
    pub(crate) fn retries_ref(&self) -> &[AttemptRecord] {
        &self.retries
    }
    pub(crate) fn redirects_ref(&self) -> &[RedirectHop] {
        &self.redirects
    }
}

impl fmt::Debug for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.head.status.as_u16())
            .field(
                "url",
                &clientcore_proto::policies::redact::Redactor::default()
                    .sanitize_url(self.url.as_str()),
            )
            .field("head", &self.head)
            .field("state", &self.state)
            .field("block_size", &self.block_size)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "async")]
pub(crate) use async_response::guarded_chunk;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_response::Response;

#[cfg(feature = "async")]
mod async_response {
    use super::{json, BodyCollector, Pushed, Received, Stall};
    use crate::resume::AsyncResume;
    use crate::transport::AsyncBody;
    use bytes::Bytes;
    use clientcore_proto::Error;
    use serde::de::DeserializeOwned;
    use std::fmt;
    use std::future::Future as _;
    use std::task::Poll;

    /// A response of the async client. The body is still on the wire: stream it with
    /// [`next_block`](Self::next_block) or read it whole with [`read`](Self::read).
    pub struct Response {
        pub(crate) core: Received,
        pub(crate) body: Option<AsyncBody>,
        /// Set when a cut of the body can be resumed.
        pub(crate) resume: Option<Box<AsyncResume>>,
    }

    impl Response {
        head_accessors!();

        fn drop_body(&mut self) {
            self.body = None;
        }

        /// Reads the whole body and keeps it; [`content`](Self::content) then returns it.
        ///
        /// The whole body, however long the server makes it. To bound what a service can make
        /// the client hold, send the call with
        /// [`Options::with_buffered_body`](crate::Options::with_buffered_body) (the pipeline
        /// then reads the body before `send` returns, and a longer one fails the call), or
        /// stream it with [`next_block`](Self::next_block).
        ///
        /// # Errors
        ///
        /// `StreamConsumed` after streaming, `StreamClosed` after [`close`](Self::close),
        /// `IncompleteRead` when the connection closes early, a timeout kind on timeouts.
        pub async fn read(&mut self) -> Result<Bytes, Error> {
            if let Some(content) = self.core.check_read()? {
                return Ok(content);
            }
            let mut all = BodyCollector::default();
            while let Some(chunk) = self.chunk().await? {
                all.push(chunk);
                // A body of known length read whole: no read for its end.
                if self.body.as_ref().is_some_and(AsyncBody::is_end) {
                    break;
                }
            }
            self.body = None;
            Ok(self.core.set_content(all.finish()))
        }

        /// The next block of at most `connection_data_block_size` bytes; `None` at the end.
        ///
        /// # Errors
        ///
        /// As [`read`](Self::read); `StreamConsumed` once the stream has ended.
        pub async fn next_block(&mut self) -> Result<Option<Bytes>, Error> {
            match self.core.block_from_memory() {
                Ok(block) => return Ok(block),
                Err(Err(e)) => return Err(e),
                Err(Ok(())) => {}
            }
            loop {
                let chunk = self.chunk().await?;
                if chunk.is_none() {
                    self.body = None;
                }
                match self.core.push(chunk) {
                    Pushed::Block(block) => return Ok(Some(block)),
                    Pushed::End => return Ok(None),
                    Pushed::More => {}
                }
            }
        }

        /// The body as text: the forced `response_encoding`, else the charset of
        /// `Content-Type`, else UTF-8 (invalid bytes replaced). A byte-order mark is dropped
        /// as the encoding's codec drops it; [`encoding`](Self::encoding) says which was used.
        ///
        /// # Errors
        ///
        /// As [`read`](Self::read), and `Decode` when the forced `response_encoding` names no
        /// known encoding.
        pub async fn text(&mut self) -> Result<String, Error> {
            let content = self.read().await?;
            Ok(self.core.text(&content)?.into_owned())
        }

        /// The body deserialized from JSON.
        ///
        /// # Errors
        ///
        /// As [`text`](Self::text), and `Deserialization` when the JSON does not fit `T`.
        pub async fn json<T: DeserializeOwned>(&mut self) -> Result<T, Error> {
            let content = self.read().await?;
            json(&self.core, &content)
        }

        /// The body deserialized from XML into a serde model: element and attribute names
        /// as the model names them, text exactly as sent (nothing trimmed, entities
        /// decoded); see [`model::xml`](crate::model::xml).
        ///
        /// # Errors
        ///
        /// As [`text`](Self::text); `Decode` when the body is not well-formed XML,
        /// `Deserialization` when the XML does not fit `T`.
        #[cfg(feature = "xml")]
        #[cfg_attr(docsrs, doc(cfg(feature = "xml")))]
        pub async fn xml<T: DeserializeOwned>(&mut self) -> Result<T, Error> {
            let content = self.read().await?;
            super::xml(&self.core, &content)
        }
    }

    impl Response {
        /// The next chunk of the body, resumed when it is cut and can be.
        async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
            match (&mut self.resume, &mut self.body) {
                (Some(resume), body) => resume.next_chunk(body, self.core.stall.as_mut()).await,
                (None, Some(body)) => guarded_chunk(body, self.core.stall.as_mut()).await,
                (None, None) => Ok(None),
            }
        }
    }

    /// The next chunk, within what is left of the stall window when protection is on.
    pub(crate) async fn guarded_chunk(
        body: &mut AsyncBody,
        stall: Option<&mut Stall>,
    ) -> Result<Option<Bytes>, Error> {
        // The timer needs a tokio runtime: a custom transport's body read elsewhere is read
        // unguarded rather than panicking.
        let Some(stall) = stall else {
            return body.chunk().await;
        };
        let mut read = std::pin::pin!(body.chunk());
        // A chunk that is already there waited for nothing: it is counted with no wait, and
        // needs no clock read and no timer (most reads of a small body). The timer below
        // would have let it through too: it polls the read before itself.
        if let Poll::Ready(chunk) =
            std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await
        {
            let chunk = chunk?;
            stall.record(
                std::time::Duration::ZERO,
                chunk.as_ref().map_or(0, Bytes::len),
            );
            return Ok(chunk);
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return read.await;
        }
        let started = tokio::time::Instant::now();
        match tokio::time::timeout(stall.remaining(), read).await {
            Ok(chunk) => {
                let chunk = chunk?;
                stall.record(started.elapsed(), chunk.as_ref().map_or(0, Bytes::len));
                Ok(chunk)
            }
            Err(_) => Err(stall.error()),
        }
    }

    impl fmt::Debug for Response {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.core.fmt(f)
        }
    }
}

#[cfg(feature = "blocking")]
pub(crate) use blocking_response::guarded_chunk as blocking_guarded_chunk;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub use blocking_response::BlockingResponse;

#[cfg(feature = "blocking")]
mod blocking_response {
    use super::{json, BodyCollector, Pushed, Received, Stall};
    use crate::resume::BlockingResume;
    use crate::transport::BlockingBodyRead;
    use bytes::{Buf, Bytes};
    use clientcore_proto::Error;
    use serde::de::DeserializeOwned;
    use std::fmt;

    /// A response of the blocking client. Also an [`std::io::Read`] over the body.
    pub struct BlockingResponse {
        pub(crate) core: Received,
        pub(crate) body: Option<Box<dyn BlockingBodyRead>>,
        pub(crate) leftover: Bytes,
        /// Set when a cut of the body can be resumed.
        pub(crate) resume: Option<Box<BlockingResume>>,
    }

    impl BlockingResponse {
        head_accessors!();

        fn drop_body(&mut self) {
            self.body = None;
        }

        /// Reads the whole body and keeps it: the async [`Response::read`](crate::Response::read)
        /// of the blocking client, with the same name.
        ///
        /// The whole body, however long the server makes it: bound it as for the async
        /// [`Response::read`](crate::Response::read).
        ///
        /// # Errors
        ///
        /// As the async [`Response::read`](crate::Response::read).
        pub fn read(&mut self) -> Result<Bytes, Error> {
            if let Some(content) = self.core.check_read()? {
                return Ok(content);
            }
            let mut all = BodyCollector::default();
            while let Some(chunk) = self.chunk()? {
                all.push(chunk);
            }
            self.body = None;
            Ok(self.core.set_content(all.finish()))
        }

        /// The old name of [`read`](Self::read), kept so that code written for it still
        /// builds.
        ///
        /// # Errors
        ///
        /// As [`read`](Self::read).
        #[deprecated(note = "renamed `read`, the name of the async `Response::read`")]
        pub fn read_all(&mut self) -> Result<Bytes, Error> {
            self.read()
        }

        /// The next block of at most `connection_data_block_size` bytes; `None` at the end.
        ///
        /// # Errors
        ///
        /// As [`read`](Self::read).
        pub fn next_block(&mut self) -> Result<Option<Bytes>, Error> {
            match self.core.block_from_memory() {
                Ok(block) => return Ok(block),
                Err(Err(e)) => return Err(e),
                Err(Ok(())) => {}
            }
            loop {
                let chunk = self.chunk()?;
                if chunk.is_none() {
                    self.body = None;
                }
                match self.core.push(chunk) {
                    Pushed::Block(block) => return Ok(Some(block)),
                    Pushed::End => return Ok(None),
                    Pushed::More => {}
                }
            }
        }

        /// The body as text, decoded as the async
        /// [`Response::text`](crate::Response::text) decodes it.
        ///
        /// # Errors
        ///
        /// As [`read`](Self::read), and `Decode` when the forced `response_encoding`
        /// names no known encoding.
        pub fn text(&mut self) -> Result<String, Error> {
            let content = self.read()?;
            Ok(self.core.text(&content)?.into_owned())
        }

        /// The body deserialized from JSON.
        ///
        /// # Errors
        ///
        /// As [`text`](Self::text), and `Deserialization` when the JSON does not fit.
        pub fn json<T: DeserializeOwned>(&mut self) -> Result<T, Error> {
            let content = self.read()?;
            json(&self.core, &content)
        }

        /// The body deserialized from XML, as the async
        /// [`Response::xml`](crate::Response::xml) reads it.
        ///
        /// # Errors
        ///
        /// As [`text`](Self::text); `Decode` when the body is not well-formed XML,
        /// `Deserialization` when the XML does not fit `T`.
        #[cfg(feature = "xml")]
        #[cfg_attr(docsrs, doc(cfg(feature = "xml")))]
        pub fn xml<T: DeserializeOwned>(&mut self) -> Result<T, Error> {
            let content = self.read()?;
            super::xml(&self.core, &content)
        }
    }

    impl BlockingResponse {
        /// The next chunk of the body, resumed when it is cut and can be.
        fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
            match (&mut self.resume, &mut self.body) {
                (Some(resume), body) => resume.next_chunk(body, self.core.stall.as_mut()),
                (None, Some(body)) => guarded_chunk(&mut **body, self.core.stall.as_mut()),
                (None, None) => Ok(None),
            }
        }
    }

    /// The next chunk, waiting no later than the end of the stall window when protection is
    /// on (through [`BlockingBodyRead::chunk_before`]: a transport whose body ignores the
    /// deadline is not bounded).
    pub(crate) fn guarded_chunk(
        body: &mut dyn BlockingBodyRead,
        stall: Option<&mut Stall>,
    ) -> Result<Option<Bytes>, Error> {
        let Some(stall) = stall else {
            return body.chunk();
        };
        let started = std::time::Instant::now();
        let remaining = stall.remaining();
        let Some(due) = started.checked_add(remaining) else {
            return body.chunk();
        };
        match body.chunk_before(due) {
            Ok(chunk) => {
                stall.record(started.elapsed(), chunk.as_ref().map_or(0, Bytes::len));
                Ok(chunk)
            }
            // The window's deadline, not another timeout of the transport.
            Err(e)
                if e.kind() == clientcore_proto::ErrorKind::ServiceResponseTimeout
                    && started.elapsed() >= remaining =>
            {
                Err(stall.error())
            }
            Err(e) => Err(e),
        }
    }

    impl std::io::Read for BlockingResponse {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.leftover.is_empty() {
                match self.next_block() {
                    Ok(Some(block)) => self.leftover = block,
                    Ok(None) => return Ok(0),
                    Err(e) => return Err(std::io::Error::other(e)),
                }
            }
            let n = buf.len().min(self.leftover.len());
            buf[..n].copy_from_slice(&self.leftover[..n]);
            self.leftover.advance(n);
            Ok(n)
        }
    }

    impl fmt::Debug for BlockingResponse {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.core.fmt(f)
        }
    }
}
