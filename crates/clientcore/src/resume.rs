//! The drivers' part of resuming a cut download ([`clientcore_proto::pipeline::resume`]
//! decides): keeping what a resume request needs, sending it through the client's pipeline,
//! and swapping its body in under the caller's reads.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clientcore_proto::options::Options;
use clientcore_proto::pipeline::resume::{Resume, ResumeRecord};
use clientcore_proto::pipeline::retry::RetryOptions;
use clientcore_proto::pipeline::{ChosenUrl, Request, RequestParts};
use clientcore_proto::time::Clock;
use clientcore_proto::{Error, ErrorKind};
use http::{HeaderMap, Method, StatusCode};

use crate::Body;

/// What a resume request is made from: the caller's request as it was sent to `send` (before
/// the pipeline shaped it: the pipeline shapes the resume again, credentials included), and
/// the call's merged options and deadline. Kept only for a `GET` with no body that may be
/// resumed.
pub(crate) struct Seed {
    parts: RequestParts,
    chosen: Option<Box<ChosenUrl>>,
    opts: Arc<Options>,
    deadline: Option<std::time::Instant>,
}

impl Seed {
    /// The seed of a call that may turn out resumable.
    pub(crate) fn capture(request: &Request<Body>, opts: &Arc<Options>) -> Option<Box<Seed>> {
        let eligible = request.parts.method == Method::GET
            && opts.resume()
            && opts.buffered_body().is_none()
            && request.body.as_bytes().is_some_and(<[u8]>::is_empty);
        eligible.then(|| {
            Box::new(Seed {
                parts: request.parts.clone(),
                chosen: request.chosen.clone(),
                opts: opts.clone(),
                deadline: None,
            })
        })
    }

    /// The resume state of a response, when it can be resumed.
    pub(crate) fn arm(
        mut self: Box<Self>,
        deadline: Option<std::time::Instant>,
        status: StatusCode,
        headers: &HeaderMap,
        retried: usize,
    ) -> Option<Resumer> {
        let state = Resume::start(&self.parts.method, status, headers, self.opts.decompress())?;
        self.deadline = deadline;
        Some(Resumer {
            seed: self,
            state,
            retried: u32::try_from(retried).unwrap_or(u32::MAX),
            gave_up: false,
        })
    }
}

/// A resumable download's state, shared by both drivers.
pub(crate) struct Resumer {
    seed: Box<Seed>,
    state: Resume,
    /// The call's retries so far, the resume requests' own included.
    retried: u32,
    /// A cut that could not be resumed: later reads fail too, rather than end cleanly.
    gave_up: bool,
}

/// What a read of the body gave, once the resume state has seen it.
pub(crate) enum Read {
    /// Bytes for the caller, or the end.
    Got(Option<Bytes>),
    /// Nothing for the caller in this chunk (a restarted body's start): read again.
    Again,
    /// The body was cut: resume it.
    Cut(Error),
}

impl Resumer {
    /// The resumes made so far.
    pub(crate) fn records(&self) -> &[ResumeRecord] {
        self.state.records()
    }

    /// Passes a read of the body through the resume state. `body_gone` says the body was
    /// already dropped (ended, or given up).
    pub(crate) fn on_read(
        &mut self,
        read: Result<Option<Bytes>, Error>,
        body_gone: bool,
    ) -> Result<Read, Error> {
        if body_gone && self.gave_up {
            return Err(Error::new(
                ErrorKind::IncompleteRead,
                "the response body was cut and could not be resumed",
            ));
        }
        Ok(match read {
            Ok(Some(chunk)) => match self.state.on_chunk(chunk) {
                Some(chunk) => Read::Got(Some(chunk)),
                None if self.state.is_complete() => Read::Got(None),
                None => Read::Again,
            },
            Ok(None) => match self.state.on_end() {
                Ok(()) => Read::Got(None),
                Err(cut) => Read::Cut(cut),
            },
            Err(cut) => Read::Cut(cut),
        })
    }

    /// Whether to resume after `cut`, and how: the wait, the request and its options; the
    /// cut itself when it cannot be resumed.
    pub(crate) fn prepare(
        &mut self,
        cut: Error,
        clock: &dyn Clock,
    ) -> Result<(Duration, Request<Body>, Arc<Options>), Error> {
        let retry = self.seed.opts.retry();
        let now = clock.now();
        let Some(wait) = self
            .state
            .plan(&cut, retry, self.retried, now, self.seed.deadline)
        else {
            self.gave_up = true;
            return Err(cut);
        };
        let retries_left = self.state.retries_left(retry, self.retried);
        let url = self
            .seed
            .opts
            .redactor()
            .sanitize_url(self.seed.parts.url.as_str())
            .into_owned();
        tracing::info!(
            target: "clientcore::resume",
            offset = self.state.offset(),
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "resuming the download of {url} at byte {} after {:?}: {}",
            self.state.offset(),
            cut.kind(),
            cut.message()
        );
        let headers = self.state.begin(cut.kind(), wait);
        let mut parts = self.seed.parts.clone();
        for (name, value) in &headers {
            parts.headers.insert(name.clone(), value.clone());
        }
        let request = Request {
            parts,
            body: Body::empty(),
            chosen: self.seed.chosen.clone(),
        };
        // The call's options, with what is left of its retries and its deadline; a 206 is a
        // success whatever the operation accepts, and the resume is not resumed itself (a cut
        // of its body is resumed here).
        let mut over = Options::new()
            .with_resume(false)
            .with_retry(RetryOptions::new().with_total(retries_left))
            .with_success_statuses(&[200, 206]);
        // The options' headers are laid over the request's when the pipeline shapes it: a
        // `Range` the caller set there would otherwise replace the resume's.
        for (name, value) in headers {
            over = over.with_header(name, value);
        }
        if let Some(deadline) = self.seed.deadline {
            over = over.with_timeout(deadline.saturating_duration_since(now + wait));
        }
        Ok((wait, request, Arc::new(self.seed.opts.overwrite(&over))))
    }

    /// The answer to a resume request: `Ok` when its body continues the download.
    pub(crate) fn accepted(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        retried: usize,
    ) -> Result<(), Error> {
        self.count(retried);
        let checked = self.state.accept(status, headers);
        self.gave_up = checked.is_err();
        checked
    }

    /// The resume request failed: its error, a 412 told as the change it means.
    pub(crate) fn failed(&mut self, e: Error) -> Error {
        self.count(e.retry_history().len());
        self.gave_up = true;
        if e.status() == Some(StatusCode::PRECONDITION_FAILED) {
            self.state.precondition_failed()
        } else {
            e
        }
    }

    fn count(&mut self, retried: usize) {
        self.retried = self
            .retried
            .saturating_add(u32::try_from(retried).unwrap_or(u32::MAX));
    }
}

#[cfg(feature = "async")]
pub(crate) use async_resume::AsyncResume;

#[cfg(feature = "async")]
mod async_resume {
    use super::{Read, Resumer};
    use crate::response::{guarded_chunk, Stall};
    use crate::transport::AsyncBody;
    use crate::Client;
    use bytes::Bytes;
    use clientcore_proto::Error;

    /// A resumable download of the async client.
    pub(crate) struct AsyncResume {
        pub(crate) client: Client,
        pub(crate) resumer: Resumer,
    }

    impl AsyncResume {
        /// The next chunk for the caller: read from `body`, which is swapped for the body of
        /// a resume request when it is cut.
        pub(crate) async fn next_chunk(
            &mut self,
            body: &mut Option<AsyncBody>,
            mut stall: Option<&mut Stall>,
        ) -> Result<Option<Bytes>, Error> {
            loop {
                let read = match body.as_mut() {
                    Some(b) => guarded_chunk(b, stall.as_deref_mut()).await,
                    None => Ok(None),
                };
                let cut = match self.resumer.on_read(read, body.is_none())? {
                    Read::Got(chunk) => {
                        if chunk.is_none() {
                            *body = None;
                        }
                        return Ok(chunk);
                    }
                    Read::Again => continue,
                    Read::Cut(cut) => cut,
                };
                // The cut connection goes before the resume takes another.
                *body = None;
                let (clock, sleep) = self.client.timing();
                let (wait, request, opts) = self.resumer.prepare(cut, &*clock)?;
                if !wait.is_zero() {
                    sleep.sleep(wait).await;
                }
                *body = match self.client.send_merged(request, opts).await {
                    Ok(mut r) => {
                        let resumed = r.body.take();
                        let retried = r.retry_history().len();
                        self.resumer.accepted(r.status(), r.headers(), retried)?;
                        resumed
                    }
                    Err(e) => return Err(self.resumer.failed(e)),
                };
            }
        }
    }
}

#[cfg(feature = "blocking")]
pub(crate) use blocking_resume::BlockingResume;

#[cfg(feature = "blocking")]
mod blocking_resume {
    use super::{Read, Resumer};
    use crate::response::{blocking_guarded_chunk, Stall};
    use crate::transport::BlockingBodyRead;
    use crate::BlockingClient;
    use bytes::Bytes;
    use clientcore_proto::Error;

    /// A resumable download of the blocking client.
    pub(crate) struct BlockingResume {
        pub(crate) client: BlockingClient,
        pub(crate) resumer: Resumer,
    }

    impl BlockingResume {
        /// As the async [`AsyncResume::next_chunk`](super::AsyncResume::next_chunk).
        pub(crate) fn next_chunk(
            &mut self,
            body: &mut Option<Box<dyn BlockingBodyRead>>,
            mut stall: Option<&mut Stall>,
        ) -> Result<Option<Bytes>, Error> {
            loop {
                let read = match body.as_mut() {
                    Some(b) => blocking_guarded_chunk(&mut **b, stall.as_deref_mut()),
                    None => Ok(None),
                };
                let cut = match self.resumer.on_read(read, body.is_none())? {
                    Read::Got(chunk) => {
                        if chunk.is_none() {
                            *body = None;
                        }
                        return Ok(chunk);
                    }
                    Read::Again => continue,
                    Read::Cut(cut) => cut,
                };
                *body = None;
                let (clock, sleep) = self.client.timing();
                let (wait, request, opts) = self.resumer.prepare(cut, &*clock)?;
                if !wait.is_zero() {
                    sleep.sleep(wait);
                }
                *body = match self.client.send_merged(request, opts) {
                    Ok(mut r) => {
                        let resumed = r.body.take();
                        let retried = r.retry_history().len();
                        self.resumer.accepted(r.status(), r.headers(), retried)?;
                        resumed
                    }
                    Err(e) => return Err(self.resumer.failed(e)),
                };
            }
        }
    }
}
