//! The default transport for the blocking client: the same exchange, driven on the caller's
//! thread by a current-thread runtime of its own, with small bodies read in the same trip as
//! the head.

use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use clientcore_proto::options::TransportConfig;
use clientcore_proto::pipeline::Request;
use clientcore_proto::{Error, ErrorKind};

use super::{response_timeout, HyperRead, HyperTransport};
use crate::transport::{BlockingBodyRead, BlockingTransport, BlockingTransportResponse};
use crate::Body;

/// The default transport driven by a runtime of its own, for the blocking client.
pub(crate) fn transport_block_on(
    transport: HyperTransport,
) -> Result<BlockingHyperTransport, Error> {
    BlockingHyperTransport::new(transport)
}

/// The default transport driven by a runtime of its own, for the blocking client.
#[derive(Debug)]
pub(crate) struct BlockingHyperTransport {
    transport: HyperTransport,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl BlockingHyperTransport {
    pub(crate) fn new(transport: HyperTransport) -> Result<Self, Error> {
        // A current-thread runtime: the calling thread drives the exchange, hyper's
        // connection task and the I/O driver itself, inside `block_on`, so a call never
        // hands over to another thread and back (a worker thread cost two thread wake-ups per
        // call, about a third of a small call's time). Between calls nothing runs: an idle
        // connection's end is seen when the next call drives the runtime, and hyper-util
        // sends a request the closing connection never took on a new one. Threads sharing
        // the client take turns driving it; each one's own exchange is polled on its own
        // thread.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .thread_name("clientcore-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::with_source(ErrorKind::Other, e))?;
        Ok(BlockingHyperTransport {
            transport,
            runtime: Arc::new(runtime),
        })
    }
}

/// Whether this thread is inside a tokio runtime's asynchronous context (a task, or the
/// future of a runtime's `block_on`), where blocking on a runtime panics inside tokio. A thread
/// of `spawn_blocking` also has a runtime handle, but may block: only a probe that blocks on
/// nothing tells the two apart, and it runs only when a handle is there.
fn in_async_context(runtime: &tokio::runtime::Runtime) -> bool {
    tokio::runtime::Handle::try_current().is_ok()
        && std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(async {})))
            .is_err()
}

/// The error of a blocking call made where it would block an asynchronous runtime. `Other`,
/// which no retry policy retries: the next attempt would fail the same way.
fn on_async_thread() -> Error {
    Error::new(
        ErrorKind::Other,
        "the blocking client was called on a thread that runs asynchronous tokio tasks, where \
         blocking would stall the runtime; the request was not sent. Use the async Client \
         there, or call the blocking client inside tokio::task::spawn_blocking",
    )
}

/// Small bodies (a declared length up to this) are read in the same trip to the runtime as the
/// head: one hand-off per call instead of three for a typical JSON response.
const PREFETCH_LIMIT: u64 = 64 * 1024;

/// How many turns of the runtime the read-ahead gives the connection task to hand over bytes
/// it already has, before leaving the rest to the caller's reads.
const PREFETCH_TURNS: u32 = 3;

impl BlockingTransport for BlockingHyperTransport {
    fn send(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
        timeout: std::time::Duration,
    ) -> Result<BlockingTransportResponse, Error> {
        // Checked before anything is spawned: `block_on` would panic after the exchange was
        // already handed to the runtime, which would then send the request anyway.
        if in_async_context(&self.runtime) {
            return Err(on_async_thread());
        }
        let transport = self.transport.clone();
        let config = config.clone();
        // The whole exchange is one future, driven from this thread until the head (and a
        // small body) is in: one `block_on` per call.
        let send = async move {
            let (head, mut resp) = transport.exchange_raw(request, &config, timeout).await?;
            let mut prefetched = std::collections::VecDeque::new();
            let mut ended = false;
            let small = head
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .is_some_and(|n| n <= PREFETCH_LIMIT);
            if small {
                // Only what is already there: the head is never held back for a body that is
                // still on its way (a server may trickle it). The connection task hands over
                // the bytes it has in a turn of its own, so a read that finds nothing yet
                // yields a few times before giving up; what is left stays on the wire for the
                // caller's reads. Errors are kept in place and surface when the caller reads,
                // as they would without the read-ahead.
                let mut idle_turns = 0;
                while idle_turns < PREFETCH_TURNS {
                    let polled = std::future::poll_fn(|cx| Poll::Ready(resp.poll_chunk(cx)));
                    match polled.await {
                        Poll::Ready(Ok(Some(c))) => {
                            idle_turns = 0;
                            prefetched.push_back(Ok(c));
                        }
                        Poll::Ready(Ok(None)) => {
                            ended = true;
                            break;
                        }
                        Poll::Ready(Err(e)) => {
                            prefetched.push_back(Err(e));
                            ended = true;
                            break;
                        }
                        Poll::Pending => {
                            idle_turns += 1;
                            tokio::task::yield_now().await;
                        }
                    }
                }
            }
            Ok::<_, Error>((head, resp, prefetched, ended))
        };
        // Polled on this thread: the spans the caller entered (the call's and the
        // attempt's) stay the context of whatever the exchange records, and a panic in it
        // reaches the caller as it is.
        let (head, body, prefetched, ended) = self.runtime.block_on(send)?;
        Ok(BlockingTransportResponse {
            head,
            body: Box::new(BlockOnBody {
                prefetched,
                ended,
                body,
                runtime: self.runtime.clone(),
            }),
        })
    }
}

struct BlockOnBody {
    prefetched: std::collections::VecDeque<Result<Bytes, Error>>,
    ended: bool,
    /// the body and its read timer, read directly: no boxed reader, no boxed
    /// future per chunk.
    body: HyperRead,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl BlockingBodyRead for BlockOnBody {
    fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if let Some(item) = self.prefetched.pop_front() {
            return item.map(Some);
        }
        if self.ended {
            return Ok(None);
        }
        if in_async_context(&self.runtime) {
            return Err(on_async_thread());
        }
        self.runtime.block_on(self.body.chunk())
    }

    fn chunk_before(&mut self, deadline: std::time::Instant) -> Result<Option<Bytes>, Error> {
        if let Some(item) = self.prefetched.pop_front() {
            return item.map(Some);
        }
        if self.ended {
            return Ok(None);
        }
        if in_async_context(&self.runtime) {
            return Err(on_async_thread());
        }
        // The timer is made inside the runtime: it needs the runtime's clock.
        let body = &mut self.body;
        let read = async move { tokio::time::timeout_at(deadline.into(), body.chunk()).await };
        self.runtime
            .block_on(read)
            .unwrap_or_else(|_| Err(response_timeout()))
    }
}
