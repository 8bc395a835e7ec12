//! The response body as the transport hands it over: read chunk by chunk, each read bounded by
//! the read timeout.

use std::future::Future as _;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use clientcore_proto::{Error, ErrorKind};

use super::decode::RespBody;
use crate::transport::{AsyncBodyRead, BoxFuture};

pub(super) struct HyperBody(pub(super) HyperRead);

impl AsyncBodyRead for HyperBody {
    fn chunk(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, Error>> {
        Box::pin(self.0.chunk())
    }
}

/// A deadline no timeout reaches (about 30 years), for durations `Instant` cannot add.
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// A response body with its read timeout.
///
/// As the reference's socket reads: each read of the body may wait up to the timeout for
/// data, counted from when it starts to wait. A read whose data is already there (the usual
/// case for a small body, which arrives with the head) reads no clock and arms no timer; one
/// that waits arms a timer, allocated the first time and reset after that.
pub(crate) struct HyperRead {
    body: RespBody,
    timeout: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl HyperRead {
    /// `body`, each of whose reads may wait up to `timeout`.
    pub(super) fn new(body: RespBody, timeout: Duration) -> Self {
        HyperRead {
            body,
            timeout,
            sleep: None,
        }
    }

    /// Whether the whole body has been read: a body of known length with nothing left. The
    /// end then needs no read of its own; a compressed or chunked body is read to its end.
    #[cfg(feature = "async")]
    pub(crate) fn is_end(&self) -> bool {
        self.body.is_end()
    }

    /// The next chunk if it is there, with no read timer: for a read-ahead that takes only
    /// what has already arrived.
    #[cfg(feature = "blocking")]
    pub(super) fn poll_chunk(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Result<Option<Bytes>, Error>> {
        self.body.poll_chunk(cx)
    }

    /// The next chunk, or `None` at the end; a `ServiceResponseTimeout` when it does not come
    /// within the read timeout.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let HyperRead {
            body,
            timeout,
            sleep,
        } = self;
        let mut waiting = false;
        std::future::poll_fn(|cx| {
            // The body first: data that is there wins over the timer.
            if let Poll::Ready(chunk) = body.poll_chunk(cx) {
                return Poll::Ready(chunk);
            }
            // This read waits: from now on, for at most the timeout.
            let timer = match sleep {
                Some(timer) if waiting => timer,
                _ => {
                    let due = tokio::time::Instant::now()
                        .checked_add(*timeout)
                        .unwrap_or_else(far_future);
                    waiting = true;
                    match sleep {
                        Some(timer) => {
                            timer.as_mut().reset(due);
                            timer
                        }
                        None => sleep.insert(Box::pin(tokio::time::sleep_until(due))),
                    }
                }
            };
            timer.as_mut().poll(cx).map(|()| Err(read_timed_out()))
        })
        .await
    }
}

/// A read that waited longer than the read timeout.
fn read_timed_out() -> Error {
    Error::new(ErrorKind::ServiceResponseTimeout, "Read timed out")
}
