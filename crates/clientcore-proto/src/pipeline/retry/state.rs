//! The retry state of one call and its decision after each failure, with the history of the
//! attempts.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};

use crate::error::{Error, ErrorKind};
use crate::pipeline::RequestParts;

use super::backoff::{splitmix64, unit};
use super::{
    is_idempotent_method, retry_after, Jitter, Random as _, RetryAction, RetryContext, RetryOptions,
};

/// What happened on one attempt, as kept in the retry history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The server answered with this status.
    Status(u16),
    /// The attempt failed with an error of this kind.
    Error(ErrorKind),
}

/// One attempt of a call: what happened and how long the call waited before the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The outcome.
    pub outcome: AttemptOutcome,
    /// The wait before the next attempt; `None` for the last attempt.
    pub wait: Option<Duration>,
}

/// The failure the retry policy is asked about.
#[derive(Debug)]
pub(crate) enum Failure<'a> {
    Transport(&'a Error),
    Status {
        status: StatusCode,
        headers: &'a HeaderMap,
        received: SystemTime,
        /// The HTTP error the response becomes, when its body could be read.
        error: Option<&'a Error>,
    },
}

/// Counters and history of one call.
#[derive(Debug)]
pub(crate) struct RetryState {
    total: i64,
    connect: i64,
    read: i64,
    status: i64,
    /// The jitter stream's state, seeded at the first jittered wait: most calls never wait,
    /// and drawing the seed was a tenth of the retry bookkeeping of a call that succeeds.
    rng: Option<u64>,
    /// Tokens taken from the budget by the last retry, returned if the call then succeeds.
    last_cost: u32,
    pub(crate) history: Vec<AttemptRecord>,
}

/// Why a call stops retrying.
pub(crate) const EXHAUSTED: &str = "retries exhausted";
/// Why a retryable failure with a body that cannot be rewound was not retried.
pub(crate) const NOT_REWINDABLE: &str = "the request body cannot be rewound";

/// The answer for one failure.
#[derive(Debug, PartialEq)]
pub(crate) enum Decision {
    RetryAfter(Duration),
    /// Stop; with the reason when the failure was retryable but something refused.
    Stop(Option<&'static str>),
}

impl RetryState {
    pub(crate) fn new(opts: &RetryOptions) -> Self {
        RetryState {
            total: opts.total().into(),
            connect: opts.connect().into(),
            read: opts.read().into(),
            status: opts.status().into(),
            rng: None,
            last_cost: 0,
            history: Vec::new(),
        }
    }

    /// Reports a successful call, refilling the budget.
    pub(crate) fn on_success(&mut self, opts: &RetryOptions) {
        if let Some(b) = opts.budget() {
            let refill = if self.last_cost > 0 {
                self.last_cost
            } else {
                b.success_refill()
            };
            b.release(refill);
        }
        self.last_cost = 0;
    }

    /// Decides on `failure`, records it, and returns the wait or the reason to stop.
    pub(crate) fn decide(
        &mut self,
        opts: &RetryOptions,
        request: &RequestParts,
        body_replayable: bool,
        failure: &Failure<'_>,
    ) -> Decision {
        let outcome = match failure {
            Failure::Transport(e) => AttemptOutcome::Error(e.kind()),
            Failure::Status { status, .. } => AttemptOutcome::Status(status.as_u16()),
        };
        self.history.push(AttemptRecord {
            outcome,
            wait: None,
        });
        let attempt = u32::try_from(self.history.len()).unwrap_or(u32::MAX);

        // 1. Custom classifiers, first answer wins.
        let ctx = match failure {
            Failure::Transport(e) => RetryContext {
                request,
                attempt,
                response: None,
                error: Some(e),
            },
            Failure::Status {
                status,
                headers,
                error,
                ..
            } => RetryContext {
                request,
                attempt,
                response: Some((*status, headers)),
                error: *error,
            },
        };
        let custom = opts
            .classifiers()
            .iter()
            .map(|c| c.classify(&ctx))
            .find(|a| *a != RetryAction::NoOpinion);

        // 2. The built-in classifier.
        let server_wait = match failure {
            Failure::Status {
                headers, received, ..
            } => retry_after(headers, *received),
            Failure::Transport(_) => None,
        };
        let explicit_wait = match custom {
            Some(RetryAction::Forbid) => {
                return Decision::Stop(Some("a retry classifier forbade it"))
            }
            Some(RetryAction::Retry { after }) => after.or(server_wait),
            _ => {
                if !builtin_retryable(opts, &request.method, failure) {
                    return Decision::Stop(None);
                }
                server_wait
            }
        };

        // 3. A body that cannot be rewound.
        if !body_replayable {
            return Decision::Stop(Some(NOT_REWINDABLE));
        }

        // 4. Counters.
        self.total -= 1;
        match failure {
            Failure::Transport(e) if e.is_service_request() => self.connect -= 1,
            Failure::Transport(_) => self.read -= 1,
            Failure::Status { .. } => self.status -= 1,
        }
        if [self.total, self.connect, self.read, self.status]
            .iter()
            .any(|c| *c < 0)
        {
            return Decision::Stop(Some(EXHAUSTED));
        }

        // 5. Budget.
        if let Some(budget) = opts.budget() {
            let timeout = matches!(failure, Failure::Transport(e) if e.is_timeout());
            match budget.try_acquire(timeout) {
                Some(cost) => self.last_cost = cost,
                None => return Decision::Stop(Some("the client's retry budget is exhausted")),
            }
        }

        let wait = if let Some(d) = explicit_wait {
            d.min(opts.retry_after_max())
        } else {
            let u = match opts.random() {
                Some(r) => r.next_unit(),
                None if opts.jitter() == Jitter::None => 0.0,
                None => unit(splitmix64(self.rng.get_or_insert_with(|| {
                    // The per-thread generator, seeded once from the OS: no system call.
                    u64::try_from(crate::policy::random_u128() & u128::from(u64::MAX)).unwrap_or(0)
                }))),
            };
            opts.jittered_backoff(attempt, u)
        };
        if let Some(last) = self.history.last_mut() {
            last.wait = Some(wait);
        }
        Decision::RetryAfter(wait)
    }
}

/// Rule 2 of the priority table.
fn builtin_retryable(opts: &RetryOptions, method: &Method, failure: &Failure<'_>) -> bool {
    let idempotent =
        opts.idempotent() || opts.idempotency_key().is_some() || is_idempotent_method(method);
    match failure {
        // Never sent: safe for every method (deviation 10 of ARCHITECTURE.md).
        Failure::Transport(e) if e.is_service_request() => true,
        Failure::Transport(e) => {
            (e.is_service_response() || e.kind() == ErrorKind::IncompleteRead) && idempotent
        }
        Failure::Status {
            status, headers, ..
        } => {
            let status = status.as_u16();
            let has_retry_after = status >= 400 && headers.contains_key("retry-after");
            idempotent && (opts.is_retry_status(status) || has_retry_after)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::IdempotencyKey;
    use super::*;

    fn parts(method: Method) -> RequestParts {
        RequestParts {
            method,
            url: "https://example.com/".parse().unwrap(),
            headers: HeaderMap::new(),
        }
    }

    fn status(state: &mut RetryState, opts: &RetryOptions, method: Method, code: u16) -> Decision {
        let headers = HeaderMap::new();
        state.decide(
            opts,
            &parts(method),
            true,
            &Failure::Status {
                status: StatusCode::from_u16(code).unwrap(),
                headers: &headers,
                received: SystemTime::UNIX_EPOCH,
                error: None,
            },
        )
    }

    #[test]
    fn post_not_retried_on_status_unless_idempotent() {
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        assert_eq!(
            status(&mut s, &opts, Method::POST, 503),
            Decision::Stop(None)
        );
        for opts in [
            RetryOptions::new().with_idempotent(true),
            RetryOptions::new().with_idempotency_key(IdempotencyKey::IdempotencyKey),
        ] {
            let mut s = RetryState::new(&opts);
            assert!(matches!(
                status(&mut s, &opts, Method::POST, 503),
                Decision::RetryAfter(_)
            ));
        }
    }

    #[test]
    fn connect_errors_retry_post() {
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        let p = parts(Method::POST);
        let e = Error::new(ErrorKind::ServiceRequest, "refused");
        let d = s.decide(&opts, &p, true, &Failure::Transport(&e));
        assert_eq!(d, Decision::RetryAfter(Duration::ZERO));
        let e = Error::new(ErrorKind::ServiceResponse, "reset");
        let d = s.decide(&opts, &p, true, &Failure::Transport(&e));
        assert_eq!(d, Decision::Stop(None));
    }

    #[test]
    fn reference_503_storm_sleeps() {
        // Reference, verified: 503 on every attempt sends 4 requests, sleeping [1.6, 3.2].
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        let mut waits = Vec::new();
        while let Decision::RetryAfter(d) = status(&mut s, &opts, Method::GET, 503) {
            waits.push(d);
        }
        assert_eq!(s.history.len(), 4);
        assert_eq!(waits, [0.0, 1.6, 3.2].map(Duration::from_secs_f64).to_vec());
    }
}
