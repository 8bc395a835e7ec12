//! Retry decisions: which failures are retried, how long to wait, and when to stop.
//!
//! A retry is a bet that the next attempt will do better than this one. The bet is safe only
//! when the request may be repeated, cheap only when few calls make it at once, and polite only
//! when the waits leave the service room to recover. Every rule below serves one of the three.
//!
//! # Counters
//!
//! The seed's counters bound one call: `retry_total` (10) bounds every retry; `retry_connect`
//! (3) the failures before the request was sent; `retry_read` (3) the failures after it was sent
//! (resets, timeouts, truncated bodies); `retry_status` (3) the retried statuses. A call stops as
//! soon as one counter goes below zero, so with the defaults a service that answers 503 forever
//! sees 4 requests. A call also stops when a wait would pass its deadline (`timeout`, 7 days by
//! default): it fails at once with a timeout error that says so, rather than sleeping past it.
//!
//! # Who decides: the priority order
//!
//! For each failed attempt, first one answer says whether the failure is worth retrying, then
//! every limit may still refuse:
//!
//! | # | Rule | Role |
//! |---|------|------|
//! | 1 | The classifiers ([`ClassifyRetry`]), in one list: the caller's added with [`RetryOptions::with_classifier`], in the order added, then the built-in ones ([`BuiltinClassifier`], the list [`DEFAULT_CLASSIFIERS`] unless [`RetryOptions::with_classifiers`] replaces it). The first answer that is not [`RetryAction::NoOpinion`] wins: [`Forbid`](RetryAction::Forbid) and [`NotIdempotent`](RetryAction::NotIdempotent) stop; [`Retry`](RetryAction::Retry) retries, even a POST, with its own wait if it gives one. No answer at all: not retried. | Decides |
//! | 2 | A body that cannot be rewound is never re-sent (the error says why). | Limit |
//! | 3 | The counters above. | Limit: a classifier cannot retry forever |
//! | 4 | The client's [`RetryBudget`]. | Limit |
//! | 5 | The deadline: a wait that would pass it fails the call at once. | Limit |
//!
//! The caller's classifiers come before the built-in ones because they know the service (an
//! error code that means "try again", a 409 that never will); the limits come after every
//! classifier because they protect the client and the service from a classifier's mistake.
//! The counters are charged before the budget, so a call that would stop anyway takes no
//! tokens. Each [`AttemptRecord`] names the classifier that decided
//! ([`AttemptRecord::classifier`]).
//!
//! # The built-in classifiers
//!
//! In the order of [`DEFAULT_CLASSIFIERS`]:
//!
//! - **`connect_errors`.** A request never sent (a connect error) is retried, whatever the
//!   method.
//! - **`idempotency`.** GET, HEAD, PUT, DELETE, OPTIONS and TRACE may be repeated. POST and
//!   PATCH that reached the server are not retried after a failure the rules below would
//!   retry, unless the caller marks the request idempotent ([`RetryOptions::with_idempotent`])
//!   or asks for an idempotency key ([`RetryOptions::with_idempotency_key`]): the same
//!   generated key on every attempt lets the server recognise a repeat. (The reference never
//!   retries them after connect errors, and retries them on 500, 503 and 504.)
//! - **`transient_status`.** 408, 429, 500, 502, 503, 504 and 506 to 998, plus any the caller
//!   adds.
//! - **`retry_after`.** Any status ≥ 400 carrying `Retry-After`.
//! - **`transient_transport`.** Read errors: resets, timeouts and truncated bodies after the
//!   request was sent.
//!
//! [`RetryOptions::storage`] swaps them for Azure Storage's rules ([`STORAGE_CLASSIFIERS`]):
//! every method, on Storage's retryable statuses and on transport errors.
//!
//! # Waits
//!
//! `Retry-After` (seconds or HTTP-date, RFC 9110 §10.2.3), `retry-after-ms` and
//! `x-ms-retry-after-ms` are honoured on every retry, capped by `retry_after_max` (300 s), so a
//! hostile or buggy header cannot park a call for days. A malformed value falls back to the
//! backoff (the reference raises `ValueError` out of the pipeline). Otherwise the backoff is
//! `factor × 2^(n−1)` seconds after the n-th failure (n ≥ 2; the first retry is immediate), or
//! `factor` in fixed mode, capped at `retry_backoff_max`.
//!
//! # Jitter
//!
//! Clients that fail together retry together: without jitter, a thousand clients cut off by
//! the same outage come back in the same millisecond. [`Jitter::Full`] waits a uniform random
//! time in `[0, backoff]` (the best spread, as the AWS architecture blog's "Exponential Backoff
//! And Jitter" measured); [`Jitter::Equal`] waits in `[backoff/2, backoff]`, keeping half the
//! wait. Jitter applies to the backoff only: a server's `Retry-After` is obeyed as sent.
//!
//! **The default is [`Jitter::None`]**, because the seed specifies the exact formula and its
//! waits (0, 1.6, 3.2 s…), and SDKs built on it document those waits. The retry budget below
//! is what bounds a storm; turn jitter on (`Equal` is a good choice) for fleets of clients.
//! Randomness comes from a per-call generator seeded from the OS; tests inject a
//! [`SharedRandom`] (seeded or fixed) so that jittered waits are exact.
//!
//! # The retry budget
//!
//! The counters bound one call, not a client: when a service fails every request, a client
//! running 64 calls at once sends up to 4 × 64 requests, and the extra load arrives exactly when
//! the service can least take it. A [`RetryBudget`] is a token bucket shared by every call of a
//! client, like the AWS SDKs' retry quota: each retry takes [`RetryBudget::DEFAULT_RETRY_COST`]
//! tokens (5; [`RetryBudget::DEFAULT_TIMEOUT_COST`], 10, after a timeout, since a timed-out
//! request may still hold server resources); each success puts back the cost of the retry that
//! led to it, or [`RetryBudget::DEFAULT_SUCCESS_REFILL`] (1) token when it needed none. The
//! bucket holds [`RetryBudget::DEFAULT_CAPACITY`] (500) tokens, so a healthy client never
//! notices it, while a client whose every call fails stops retrying after 100 retries and
//! sends roughly one request per call until successes refill it. First attempts are never
//! refused.
//!
//! Clients create one budget when they are built and share it across clones; a call may bring
//! its own ([`RetryOptions::with_budget`]), or [`RetryBudget::unlimited`] to opt out. An
//! [`Exchange`](crate::pipeline::Exchange) made without one has no budget.
//!
//! # History
//!
//! Every failed attempt is recorded as an [`AttemptRecord`]: its status or error kind, and the
//! wait before the next attempt. The history is on the final response
//! ([`Completion::retries`](crate::pipeline::Completion::retries): the attempts before it) and
//! on the error ([`Error::retry_history`](crate::Error::retry_history): every attempt, the last one included).

mod after;
mod backoff;
mod budget;
mod builtin;
mod classify;
mod idempotency;
mod options;
mod state;

pub use after::retry_after;
pub use backoff::{Random, SharedRandom};
pub use budget::RetryBudget;
pub use builtin::{BuiltinClassifier, DEFAULT_CLASSIFIERS, STORAGE_CLASSIFIERS};
pub use classify::{classify_fn, ClassifyRetry, RetryAction, RetryContext, SharedRetryClassifier};
pub use idempotency::{is_idempotent_method, IdempotencyKey};
pub use options::{Jitter, RetryMode, RetryOptions};
pub use state::{AttemptOutcome, AttemptRecord, RetryDecision};

pub(crate) use state::{Decision, Failure, RetryState};
