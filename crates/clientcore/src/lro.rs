//! Pollers for long-running operations, async ([`Poller`]) and blocking
//! ([`BlockingPoller`]).
//!
//! Both are thin loops over the sans-IO [`Operation`] decider (see its module for the
//! strategies, terminal states, waits, final GETs and the continuation token format). They
//! wait with the client's own clock and sleep, so a client built on a fake clock polls
//! without sleeping, and every poll re-sends the initial call's client request id.
//!
//! Every error from polling carries the poller's continuation token
//! ([`Error::continuation_token`]); [`Poller::from_continuation_token`] resumes the operation
//! from it, in this process or another.
//!
//! # Examples
//!
//! ```no_run
//! # #[cfg(feature = "async")]
//! # async fn run() -> Result<(), clientcore::Error> {
//! use clientcore::lro::{LroOptions, Poller};
//! use clientcore::{Client, Request, RequestOptions};
//!
//! let client = Client::builder().build()?;
//! let put = Request::new(http::Method::PUT, "https://example.com/things/1".parse().unwrap());
//! let poller = Poller::begin(&client, put, &RequestOptions::new(), LroOptions::new()).await?;
//! let token = poller.continuation_token(); // keep it to resume elsewhere
//! let thing: Option<serde_json::Value> = poller.result().await?;
//! # let _ = (token, thing); Ok(()) }
//! ```

#[cfg(any(feature = "async", feature = "blocking"))]
use std::fmt;
#[cfg(any(feature = "async", feature = "blocking"))]
use std::sync::Arc;

#[cfg(any(feature = "async", feature = "blocking"))]
use bytes::Bytes;

pub use clientcore_proto::lro::{
    call_request_id, format_url, is_failed, is_terminal, FinalStateVia, LroOptions, LroResponse,
    LroStep, Operation, PollState, PollingStrategy,
};
#[cfg(any(feature = "async", feature = "blocking"))]
use clientcore_proto::options::Options;
#[cfg(any(feature = "async", feature = "blocking"))]
use clientcore_proto::pipeline::{Request, RequestParts};
#[cfg(any(feature = "async", feature = "blocking"))]
use clientcore_proto::time::Clock;
#[cfg(any(feature = "async", feature = "blocking"))]
use clientcore_proto::Error;
#[cfg(any(feature = "async", feature = "blocking"))]
use http::{HeaderMap, StatusCode};

#[cfg(any(feature = "async", feature = "blocking"))]
use crate::Body;

/// What both pollers share: resuming from a token, and the state accessors.
#[cfg(any(feature = "async", feature = "blocking"))]
macro_rules! poller_common {
    ($client:ident, $poller:ident) => {
        /// Resumes the operation of a [`continuation_token`](Self::continuation_token), with
        /// a client of this process (a fresh one will do).
        ///
        /// # Errors
        ///
        /// An `Other` error for a token that is not one; the decider's errors otherwise.
        pub fn from_continuation_token(
            client: &$client,
            token: &str,
            options: &Options,
            lro: LroOptions,
        ) -> Result<$poller, Error> {
            let (op, opts) = resumed(token, options, lro)?;
            Ok($poller::with(client, opts, op))
        }

        fn with(client: &$client, options: Options, op: Operation) -> $poller {
            let (clock, sleep) = client.timing();
            $poller {
                client: client.clone(),
                options,
                polling: Polling::new(op),
                clock,
                sleep,
            }
        }

        /// The status as the service last spelled it.
        pub fn status(&self) -> &str {
            self.polling.op.status()
        }

        /// Whether the operation reached a terminal state.
        pub fn is_finished(&self) -> bool {
            self.polling.op.is_finished()
        }

        /// The token that resumes this operation.
        pub fn continuation_token(&self) -> String {
            self.polling.op.continuation_token()
        }
    };
}

/// The options of every call of one operation: the same client request id, and every status
/// below 400 handed to the decider (which checks 200, 201, 202 and 204 itself, as the
/// reference does), whatever success statuses the initial call listed; bodies read up to
/// [`MAX_BUFFERED_BODY`](crate::MAX_BUFFERED_BODY) unless the options set a limit.
#[cfg(any(feature = "async", feature = "blocking"))]
fn poll_options(options: &Options, id: &str) -> Options {
    let below_400: Vec<u16> = (100..400).collect();
    crate::bounded(options)
        .with_request_id(id)
        .with_success_statuses(&below_400)
}

#[cfg(any(feature = "async", feature = "blocking"))]
fn resumed(token: &str, options: &Options, lro: LroOptions) -> Result<(Operation, Options), Error> {
    let op = Operation::from_continuation_token(token, lro)?;
    let id = op
        .request_id()
        .map_or_else(|| clientcore_proto::lro::request_id(options), str::to_owned);
    let opts = poll_options(options, &id);
    let op = op.with_request_id(opts.request_id_header(), id);
    Ok((op, opts))
}

#[cfg(any(feature = "async", feature = "blocking"))]
fn started(
    parts: &RequestParts,
    head: (StatusCode, HeaderMap, Bytes),
    opts: &Options,
    id: String,
    lro: LroOptions,
) -> Result<Operation, Error> {
    let (status, headers, body) = head;
    Ok(Operation::new(parts, status, headers, body, lro)?
        .with_request_id(opts.request_id_header(), id))
}

/// What one move of a poller came to.
#[cfg(any(feature = "async", feature = "blocking"))]
enum Advance {
    /// A status poll was answered: there is a new status.
    Polled,
    /// The wait's time ran out before the next poll.
    TimedOut,
    /// The operation is over; the poller holds the outcome.
    Done,
}

/// A wait of `wait` cut at `deadline`: what to sleep now, and what is left for later (when
/// the deadline comes first).
#[cfg(any(feature = "async", feature = "blocking"))]
fn split_wait(
    wait: std::time::Duration,
    deadline: Option<std::time::Instant>,
    now: std::time::Instant,
) -> (std::time::Duration, Option<std::time::Duration>) {
    let Some(deadline) = deadline else {
        return (wait, None);
    };
    let left = deadline.saturating_duration_since(now);
    if wait <= left {
        (wait, None)
    } else {
        (left, Some(wait.saturating_sub(left)))
    }
}

/// What a poller's driver does next.
#[cfg(any(feature = "async", feature = "blocking"))]
// A `Move` lives for one `match`: boxing the request would only add an allocation per poll.
#[allow(clippy::large_enum_variant)]
enum Move {
    /// Sleep this long (nothing when zero), then ask again.
    Sleep(std::time::Duration),
    /// Send this poll and hand what came of it to [`Polling::answered`].
    Get(Request<Body>),
    /// This move of the poller is over.
    Return(Advance),
}

/// Everything both pollers decide between their I/O: the decider, a wait that a deadline cut
/// short, and the outcome nobody took yet. A driver loops over [`next`](Self::next), sleeping
/// or sending what it says, so the two drivers differ only in how they sleep and send.
#[cfg(any(feature = "async", feature = "blocking"))]
struct Polling {
    op: Operation,
    /// What is left of a wait that a deadline cut short.
    owed: Option<std::time::Duration>,
    /// Set with `owed`: the next move reports the time as up, after the driver slept the part
    /// that fit.
    timed_out: bool,
    /// Whether the poll in flight asks for a status (progress) rather than the final result.
    status_poll: bool,
    /// The result, once the decider gave it and no caller took it yet.
    outcome: Option<Result<LroResponse, Error>>,
}

#[cfg(any(feature = "async", feature = "blocking"))]
impl Polling {
    fn new(op: Operation) -> Self {
        Polling {
            op,
            owed: None,
            timed_out: false,
            status_poll: false,
            outcome: None,
        }
    }

    /// The next move, waits cut at `deadline`.
    fn next(&mut self, clock: &dyn Clock, deadline: Option<std::time::Instant>) -> Move {
        if std::mem::take(&mut self.timed_out) {
            return Move::Return(Advance::TimedOut);
        }
        if self.outcome.is_some() {
            return Move::Return(Advance::Done);
        }
        let step = match self.owed.take() {
            Some(d) => LroStep::Sleep(d),
            None => self.op.step(clock.wall()),
        };
        match step {
            LroStep::Sleep(d) => {
                let (now, rest) = split_wait(d, deadline, clock.now());
                self.timed_out = rest.is_some();
                self.owed = rest;
                Move::Sleep(now)
            }
            LroStep::Get(parts) => {
                // A GET once the status is terminal fetches the result: not progress.
                self.status_poll = !self.op.is_finished();
                Move::Get(self.op.request::<Body>(parts))
            }
            LroStep::Done(result) => {
                self.outcome = Some(result);
                Move::Return(Advance::Done)
            }
        }
    }

    /// Takes what came of a [`Move::Get`]: the move is over after a status poll or a failure.
    fn answered(&mut self, got: Result<(StatusCode, HeaderMap, Bytes), Error>) -> Option<Advance> {
        match got {
            Ok((status, headers, body)) => self.op.on_response(status, headers, body),
            Err(e) => {
                self.outcome = Some(Err(self.op.fail(e)));
                return Some(Advance::Done);
            }
        }
        self.status_poll.then_some(Advance::Polled)
    }

    /// The outcome a move kept, or the decider's "already finished".
    fn take_outcome(&mut self, clock: &dyn Clock) -> Result<LroResponse, Error> {
        match self.outcome.take() {
            Some(outcome) => outcome,
            None => match self.op.step(clock.wall()) {
                LroStep::Done(result) => result,
                _ => Err(self.op.fail(Error::new(
                    clientcore_proto::ErrorKind::Other,
                    "the long-running operation has already finished",
                ))),
            },
        }
    }
}

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_poller::Poller;

#[cfg(feature = "async")]
mod async_poller {
    use super::{
        fmt, poll_options, resumed, started, Advance, Arc, Body, Clock, Error, LroOptions,
        LroResponse, Move, Operation, Options, Polling, Request,
    };
    use crate::time::AsyncSleep;
    use crate::Client;
    use futures_util::Stream;
    use serde::de::DeserializeOwned;
    use std::time::{Duration, Instant};

    /// An async poller of one long-running operation.
    ///
    /// Watch it with [`progress`](Self::progress) (a `Stream` of statuses) or
    /// [`status`](Self::status); wait for it with [`wait`](Self::wait), or for a while with
    /// [`wait_for`](Self::wait_for), which leaves it usable.
    pub struct Poller {
        client: Client,
        options: Options,
        polling: Polling,
        clock: Arc<dyn Clock>,
        sleep: Arc<dyn AsyncSleep>,
    }

    impl Poller {
        /// Starts the operation: sends `request` with `options` and reads the initial
        /// response.
        ///
        /// # Errors
        ///
        /// The client's errors for the initial call, and the decider's for an initial
        /// response that is not 200, 201, 202 or 204.
        pub async fn begin(
            client: &Client,
            request: Request<Body>,
            options: &Options,
            lro: LroOptions,
        ) -> Result<Poller, Error> {
            let id = clientcore_proto::lro::call_request_id(&request.parts, options);
            let opts = poll_options(options, &id);
            let parts = request.parts.clone();
            let mut response = client.send(request, &opts).await?;
            let body = response.read().await?;
            let head = (response.status(), response.headers().clone(), body);
            let op = started(&parts, head, &opts, id, lro)?;
            Ok(Poller::with(client, opts, op))
        }

        poller_common!(Client, Poller);

        /// Polls until the operation is over and returns the final response.
        ///
        /// # Errors
        ///
        /// The client's errors while polling, a failed or canceled operation (an
        /// `HttpResponse` error with the parsed service error), and bad monitor responses;
        /// each carries the continuation token.
        pub async fn wait(mut self) -> Result<LroResponse, Error> {
            while let Advance::Polled = self.advance(None).await {}
            self.polling.take_outcome(&*self.clock)
        }

        /// Waits for the operation for at most `timeout` (on the client's clock): the final
        /// response when it is over in time, `None` when the time is up. The poller stays
        /// usable: call it again (or [`wait`](Self::wait)) to go on where it stopped, the
        /// rest of an interrupted wait first. A poll already sent when the time runs out is
        /// not abandoned: its answer is read (within the call's own timeout) first.
        ///
        /// # Errors
        ///
        /// As [`wait`](Self::wait); once the result or the error has been returned, a further
        /// call fails with an `Other` error saying the operation has already finished.
        pub async fn wait_for(&mut self, timeout: Duration) -> Result<Option<LroResponse>, Error> {
            let deadline = self.clock.now() + timeout;
            loop {
                match self.advance(Some(deadline)).await {
                    Advance::Polled => {}
                    Advance::TimedOut => return Ok(None),
                    Advance::Done => return self.polling.take_outcome(&*self.clock).map(Some),
                }
            }
        }

        /// The operation's progress: its status after each poll, as a `Stream`, waiting
        /// between polls as [`wait`](Self::wait) does. The stream ends when the operation is
        /// over or polling failed; [`wait`](Self::wait) then returns the result or the error
        /// at once (a last GET of the result, if any, is sent by the stream's end).
        ///
        /// # Examples
        ///
        /// ```no_run
        /// # async fn run(mut poller: clientcore::lro::Poller) -> Result<(), clientcore::Error> {
        /// use futures_util::StreamExt as _;
        ///
        /// {
        ///     let mut progress = std::pin::pin!(poller.progress());
        ///     while let Some(status) = progress.next().await {
        ///         println!("status: {status}");
        ///     }
        /// }
        /// let result = poller.wait().await?;
        /// # let _ = result; Ok(()) }
        /// ```
        pub fn progress(&mut self) -> impl Stream<Item = String> + Send + '_ {
            futures_util::stream::unfold(self, |poller| async move {
                match poller.advance(None).await {
                    Advance::Polled => {
                        let status = poller.polling.op.status().to_owned();
                        Some((status, poller))
                    }
                    Advance::Done | Advance::TimedOut => None,
                }
            })
        }

        /// One move of the decider: waits (up to `deadline`), then polls once, or finishes.
        async fn advance(&mut self, deadline: Option<Instant>) -> Advance {
            loop {
                match self.polling.next(&*self.clock, deadline) {
                    Move::Sleep(d) if d.is_zero() => {}
                    Move::Sleep(d) => self.sleep.sleep(d).await,
                    Move::Get(request) => {
                        let got = async {
                            let mut response = self.client.send(request, &self.options).await?;
                            let body = response.read().await?;
                            Ok::<_, Error>((response.status(), response.headers().clone(), body))
                        }
                        .await;
                        if let Some(advance) = self.polling.answered(got) {
                            return advance;
                        }
                    }
                    Move::Return(advance) => return advance,
                }
            }
        }

        /// [`wait`](Self::wait), then the final body as JSON (`None` when empty).
        ///
        /// # Errors
        ///
        /// Those of `wait`, and a `Deserialization` error when the body is not a `T`.
        pub async fn result<T: DeserializeOwned>(self) -> Result<Option<T>, Error> {
            self.wait().await?.json()
        }
    }

    impl fmt::Debug for Poller {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Poller")
                .field("status", &self.polling.op.status())
                .finish_non_exhaustive()
        }
    }
}

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub use blocking_poller::BlockingPoller;

#[cfg(feature = "blocking")]
mod blocking_poller {
    use super::{
        fmt, poll_options, resumed, started, Advance, Arc, Body, Clock, Error, LroOptions,
        LroResponse, Move, Operation, Options, Polling, Request,
    };
    use crate::time::BlockingSleep;
    use crate::BlockingClient;
    use serde::de::DeserializeOwned;
    use std::time::{Duration, Instant};

    /// A blocking poller of one long-running operation.
    ///
    /// Watch it with [`progress`](Self::progress) (an `Iterator` of statuses) or
    /// [`status`](Self::status); wait for it with [`wait`](Self::wait), or for a while with
    /// [`wait_for`](Self::wait_for), which leaves it usable.
    pub struct BlockingPoller {
        client: BlockingClient,
        options: Options,
        polling: Polling,
        clock: Arc<dyn Clock>,
        sleep: Arc<dyn BlockingSleep>,
    }

    impl BlockingPoller {
        /// Starts the operation: sends `request` with `options` and reads the initial
        /// response.
        ///
        /// # Errors
        ///
        /// The client's errors for the initial call, and the decider's for an initial
        /// response that is not 200, 201, 202 or 204.
        pub fn begin(
            client: &BlockingClient,
            request: Request<Body>,
            options: &Options,
            lro: LroOptions,
        ) -> Result<BlockingPoller, Error> {
            let id = clientcore_proto::lro::call_request_id(&request.parts, options);
            let opts = poll_options(options, &id);
            let parts = request.parts.clone();
            let mut response = client.send(request, &opts)?;
            let body = response.read()?;
            let head = (response.status(), response.headers().clone(), body);
            let op = started(&parts, head, &opts, id, lro)?;
            Ok(BlockingPoller::with(client, opts, op))
        }

        poller_common!(BlockingClient, BlockingPoller);

        /// Polls until the operation is over and returns the final response.
        ///
        /// # Errors
        ///
        /// As [`Poller::wait`](crate::lro::Poller::wait).
        pub fn wait(mut self) -> Result<LroResponse, Error> {
            while let Advance::Polled = self.advance(None) {}
            self.polling.take_outcome(&*self.clock)
        }

        /// Waits for the operation for at most `timeout` (on the client's clock): the final
        /// response when it is over in time, `None` when the time is up; the poller stays
        /// usable.
        ///
        /// # Errors
        ///
        /// As [`Poller::wait_for`](crate::lro::Poller::wait_for).
        pub fn wait_for(&mut self, timeout: Duration) -> Result<Option<LroResponse>, Error> {
            let deadline = self.clock.now() + timeout;
            loop {
                match self.advance(Some(deadline)) {
                    Advance::Polled => {}
                    Advance::TimedOut => return Ok(None),
                    Advance::Done => return self.polling.take_outcome(&*self.clock).map(Some),
                }
            }
        }

        /// The operation's progress: its status after each poll, as an `Iterator`, waiting
        /// between polls as [`wait`](Self::wait) does. It ends when the operation is over or
        /// polling failed; [`wait`](Self::wait) then returns the result or the error at once.
        ///
        /// # Examples
        ///
        /// ```no_run
        /// # fn run(mut poller: clientcore::lro::BlockingPoller) -> Result<(), clientcore::Error> {
        /// for status in poller.progress() {
        ///     println!("status: {status}");
        /// }
        /// let result = poller.wait()?;
        /// # let _ = result; Ok(()) }
        /// ```
        pub fn progress(&mut self) -> impl Iterator<Item = String> + '_ {
            std::iter::from_fn(move || match self.advance(None) {
                Advance::Polled => Some(self.polling.op.status().to_owned()),
                Advance::Done | Advance::TimedOut => None,
            })
        }

        /// One move of the decider: waits (up to `deadline`), then polls once, or finishes.
        fn advance(&mut self, deadline: Option<Instant>) -> Advance {
            loop {
                match self.polling.next(&*self.clock, deadline) {
                    Move::Sleep(d) if d.is_zero() => {}
                    Move::Sleep(d) => self.sleep.sleep(d),
                    Move::Get(request) => {
                        let got = (|| {
                            let mut response = self.client.send(request, &self.options)?;
                            let body = response.read()?;
                            Ok::<_, Error>((response.status(), response.headers().clone(), body))
                        })();
                        if let Some(advance) = self.polling.answered(got) {
                            return advance;
                        }
                    }
                    Move::Return(advance) => return advance,
                }
            }
        }

        /// [`wait`](Self::wait), then the final body as JSON (`None` when empty).
        ///
        /// # Errors
        ///
        /// Those of `wait`, and a `Deserialization` error when the body is not a `T`.
        pub fn result<T: DeserializeOwned>(self) -> Result<Option<T>, Error> {
            self.wait()?.json()
        }
    }

    impl fmt::Debug for BlockingPoller {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("BlockingPoller")
                .field("status", &self.polling.op.status())
                .finish_non_exhaustive()
        }
    }
}
