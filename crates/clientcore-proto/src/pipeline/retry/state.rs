//! The retry state of one call and its decision after each failure, with the history of the
//! attempts.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use crate::error::{Error, ErrorKind};
use crate::pipeline::RequestParts;

use super::backoff::{splitmix64, unit};
use super::{retry_after, Jitter, Random as _, RetryAction, RetryContext, RetryOptions};

/// What happened on one attempt, as kept in the retry history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The server answered with this status.
    Status(u16),
    /// The attempt failed with an error of this kind.
    Error(ErrorKind),
}

/// One attempt of a call: what happened, what the pipeline decided and why, and how long the
/// call waited before the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The outcome.
    pub outcome: AttemptOutcome,
    /// The wait before the next attempt; `None` for the last attempt.
    pub wait: Option<Duration>,
    /// Whether the attempt was retried, and why (or why not).
    pub decision: RetryDecision,
    /// The name of the classifier whose answer the decision started from: the first in the
    /// list with an opinion (a built-in's [`name`](super::BuiltinClassifier::name) or a
    /// caller's). A limit may still have stopped the call after it (the counters, the
    /// budget, the deadline). `None` when no classifier had an opinion.
    pub classifier: Option<&'static str>,
}

/// Why a failed attempt was retried, or why the call stopped after it: the answer to "why was
/// this request retried, or not?", kept on each [`AttemptRecord`] and logged once, at DEBUG
/// (target `clientcore::retry`), when it is made.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::retry::RetryDecision;
///
/// assert!(RetryDecision::Backoff.is_retry());
/// assert_eq!(
///     RetryDecision::BodyNotRewindable.as_str(),
///     "not retried: the request body cannot be rewound"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryDecision {
    /// Retried after the wait the response asked for (`Retry-After`, `retry-after-ms`,
    /// `x-ms-retry-after-ms`), capped by `retry_after_max`.
    ServerWait,
    /// Retried after the backoff (jittered, when jitter is on).
    Backoff,
    /// Retried because a retry classifier said so.
    Classifier,
    /// Not retried: the built-in rules never retry this status or error.
    NotRetryable,
    /// Not retried: retrying would repeat a request that is not idempotent (a POST or PATCH
    /// that reached the server, without an idempotency key).
    NotIdempotent,
    /// Not retried: a retry classifier forbade it.
    Forbidden,
    /// Not retried: the request body cannot be rewound.
    BodyNotRewindable,
    /// Not retried: the retry counters (total, connect, read or status) are spent.
    Exhausted,
    /// Not retried: the client's retry budget is spent.
    BudgetExhausted,
    /// Not retried: the wait would pass the call's deadline.
    Deadline,
}

impl RetryDecision {
    /// Whether the attempt was retried.
    pub fn is_retry(self) -> bool {
        matches!(
            self,
            RetryDecision::ServerWait | RetryDecision::Backoff | RetryDecision::Classifier
        )
    }

    /// Whether the call gave up on a failure that would have been retried: the retry
    /// counters or the budget are spent, the wait would pass the deadline, or the body cannot
    /// be sent again. Logged at WARN.
    pub(crate) fn is_giving_up(self) -> bool {
        matches!(
            self,
            RetryDecision::Exhausted
                | RetryDecision::BudgetExhausted
                | RetryDecision::Deadline
                | RetryDecision::BodyNotRewindable
        )
    }

    /// The decision in words, as the log line and the error's note say it.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryDecision::ServerWait => "retried after the wait the service asked for",
            RetryDecision::Backoff => "retried after the backoff",
            RetryDecision::Classifier => "retried as a retry classifier said",
            RetryDecision::NotRetryable => "not retried: the failure is not retryable",
            RetryDecision::NotIdempotent => {
                "not retried: the request is not idempotent and reached the server"
            }
            RetryDecision::Forbidden => "not retried: a retry classifier forbade it",
            RetryDecision::BodyNotRewindable => "not retried: the request body cannot be rewound",
            RetryDecision::Exhausted => "not retried: retries exhausted",
            RetryDecision::BudgetExhausted => "not retried: the client's retry budget is exhausted",
            RetryDecision::Deadline => "not retried: the wait would pass the operation's deadline",
        }
    }

    /// Whether the caller gets this reason as the error's note: a failure that would have been
    /// retried but for something the caller can change. A failure that is simply not retryable,
    /// or retried until the counters ran out, needs no note (the history shows it).
    pub(crate) fn is_noted(self) -> bool {
        matches!(
            self,
            RetryDecision::Forbidden
                | RetryDecision::BodyNotRewindable
                | RetryDecision::BudgetExhausted
        )
    }
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

/// The answer for one failure.
#[derive(Debug, PartialEq)]
pub(crate) enum Decision {
    RetryAfter(Duration),
    /// Stop, for this reason (also on the attempt's record).
    Stop(RetryDecision),
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
            decision: RetryDecision::NotRetryable,
            classifier: None,
        });
        let attempt = u32::try_from(self.history.len()).unwrap_or(u32::MAX);
        let decision = self.decide_attempt(opts, request, body_replayable, failure, attempt);
        let why = match decision {
            Decision::RetryAfter(_) => self.history.last().map(|r| r.decision),
            Decision::Stop(why) => {
                self.record(why);
                Some(why)
            }
        };
        if let (Some(why), Some(last)) = (why, self.history.last()) {
            log_decision(attempt, outcome, why, last.wait, last.classifier);
        }
        decision
    }

    /// Sets the decision on the last attempt's record (a stop decided after the retry policy,
    /// such as the deadline, replaces its "retried").
    /// The retry decided on would pass the call's deadline: the call gives up, recorded and
    /// logged (the retry's own line, at INFO, came first).
    pub(crate) fn give_up_at_deadline(&mut self) {
        self.record(RetryDecision::Deadline);
        if let Some(last) = self.history.last() {
            let attempt = u32::try_from(self.history.len()).unwrap_or(u32::MAX);
            log_decision(
                attempt,
                last.outcome,
                RetryDecision::Deadline,
                None,
                last.classifier,
            );
        }
    }

    pub(crate) fn record(&mut self, why: RetryDecision) {
        if let Some(last) = self.history.last_mut() {
            last.decision = why;
            if !why.is_retry() {
                last.wait = None;
            }
        }
    }

    fn decide_attempt(
        &mut self,
        opts: &RetryOptions,
        request: &RequestParts,
        body_replayable: bool,
        failure: &Failure<'_>,
        attempt: u32,
    ) -> Decision {
        // 1 and 2. The classifiers, the caller's then the built-in ones: first answer wins.
        let ctx = match failure {
            Failure::Transport(e) => RetryContext {
                options: opts,
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
                options: opts,
                request,
                attempt,
                response: Some((*status, headers)),
                error: *error,
            },
        };
        let answer = opts.classifiers().find_map(|c| match c.classify(&ctx) {
            RetryAction::NoOpinion => None,
            action => Some((c, action)),
        });
        let Some((classifier, action)) = answer else {
            return Decision::Stop(RetryDecision::NotRetryable);
        };
        if let Some(last) = self.history.last_mut() {
            last.classifier = Some(classifier.name());
        }
        let server_wait = match failure {
            Failure::Status {
                headers, received, ..
            } => retry_after(headers, *received),
            Failure::Transport(_) => None,
        };
        let (explicit_wait, by_classifier) = match action {
            RetryAction::Retry { after } => {
                (after.or(server_wait), classifier.as_builtin().is_none())
            }
            RetryAction::NotIdempotent => return Decision::Stop(RetryDecision::NotIdempotent),
            RetryAction::Forbid | RetryAction::NoOpinion => {
                return Decision::Stop(RetryDecision::Forbidden)
            }
        };

        // 3. A body that cannot be rewound.
        if !body_replayable {
            return Decision::Stop(RetryDecision::BodyNotRewindable);
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
            return Decision::Stop(RetryDecision::Exhausted);
        }

        // 5. Budget.
        if let Some(budget) = opts.budget() {
            let timeout = matches!(failure, Failure::Transport(e) if e.is_timeout());
            match budget.try_acquire(timeout) {
                Some(cost) => self.last_cost = cost,
                None => return Decision::Stop(RetryDecision::BudgetExhausted),
            }
        }

        let why = match (by_classifier, explicit_wait.is_some()) {
            (true, _) => RetryDecision::Classifier,
            (false, true) => RetryDecision::ServerWait,
            (false, false) => RetryDecision::Backoff,
        };
        let wait = if let Some(d) = explicit_wait {
            d.min(opts.retry_after_max())
        } else {
            let u = match opts.random() {
                Some(r) => r.next_unit(),
                None if opts.jitter() == Jitter::None => 0.0,
                None => unit(splitmix64(self.rng.get_or_insert_with(|| {
                    // The per-thread generator, seeded once from the OS: no system call.
                    u64::try_from(crate::policies::random_u128() & u128::from(u64::MAX))
                        .unwrap_or(0)
                }))),
            };
            opts.jittered_backoff(attempt, u)
        };
        if let Some(last) = self.history.last_mut() {
            last.wait = Some(wait);
            last.decision = why;
        }
        Decision::RetryAfter(wait)
    }
}

/// The one log line of a decision, as smithy's standard retry strategy writes one, at the
/// level of what it means for the call: INFO for a retry, WARN when the call gives up on a
/// failure that would have been retried (counters or budget spent, the deadline, a body that
/// cannot be rewound), DEBUG when the failure or the request is simply not for retrying (a
/// 404 is an answer, not an incident). Requests and responses themselves are logged at DEBUG.
fn log_decision(
    attempt: u32,
    outcome: AttemptOutcome,
    why: RetryDecision,
    wait: Option<Duration>,
    classifier: Option<&'static str>,
) {
    let classifier = classifier.unwrap_or("none");
    // `tracing` fixes an event's level where the event is written: one arm per level.
    macro_rules! decision {
        ($level:expr) => {
            if let Some(wait) = wait {
                tracing::event!(
                    target: "clientcore::retry",
                    $level,
                    attempt,
                    outcome = ?outcome,
                    classifier,
                    wait_secs = wait.as_secs_f64(),
                    "attempt {attempt} ({outcome:?}): {}, in {:.3}s",
                    why.as_str(),
                    wait.as_secs_f64()
                );
            } else {
                tracing::event!(
                    target: "clientcore::retry",
                    $level,
                    attempt,
                    outcome = ?outcome,
                    classifier,
                    "attempt {attempt} ({outcome:?}): {}",
                    why.as_str()
                );
            }
        };
    }
    if why.is_retry() {
        decision!(tracing::Level::INFO);
    } else if why.is_giving_up() {
        decision!(tracing::Level::WARN);
    } else {
        decision!(tracing::Level::DEBUG);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{classify_fn, BuiltinClassifier, IdempotencyKey};
    use super::*;
    use http::Method;

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
            Decision::Stop(RetryDecision::NotIdempotent)
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
        assert_eq!(d, Decision::Stop(RetryDecision::NotIdempotent));
        assert_eq!(
            s.history.iter().map(|r| r.decision).collect::<Vec<_>>(),
            [RetryDecision::Backoff, RetryDecision::NotIdempotent]
        );
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

    #[test]
    fn each_record_names_the_classifier_that_decided() {
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        status(&mut s, &opts, Method::GET, 503);
        status(&mut s, &opts, Method::GET, 404);
        status(&mut s, &opts, Method::POST, 503);
        let got: Vec<_> = s
            .history
            .iter()
            .map(|r| (r.decision, r.classifier))
            .collect();
        assert_eq!(
            got,
            [
                (RetryDecision::Backoff, Some("transient_status")),
                (RetryDecision::NotRetryable, None),
                (RetryDecision::NotIdempotent, Some("idempotency")),
            ]
        );
        // A caller's classifier is named too, and asked before the built-ins.
        let opts = RetryOptions::new()
            .with_classifier(classify_fn(|_| RetryAction::Forbid).named("never"));
        let mut s = RetryState::new(&opts);
        status(&mut s, &opts, Method::GET, 503);
        assert_eq!(s.history[0].classifier, Some("never"));
        assert_eq!(s.history[0].decision, RetryDecision::Forbidden);
    }

    #[test]
    fn built_ins_can_be_removed_and_reordered() {
        // Without the idempotency rule, a POST is retried on a 503.
        let opts = RetryOptions::new().without_classifier(BuiltinClassifier::Idempotency.name());
        let mut s = RetryState::new(&opts);
        assert!(matches!(
            status(&mut s, &opts, Method::POST, 503),
            Decision::RetryAfter(_)
        ));
        assert_eq!(s.history[0].classifier, Some("transient_status"));
        // Without the status rule, a GET is not retried on a 503.
        let opts =
            RetryOptions::new().without_classifier(BuiltinClassifier::TransientStatus.name());
        let mut s = RetryState::new(&opts);
        assert_eq!(
            status(&mut s, &opts, Method::GET, 503),
            Decision::Stop(RetryDecision::NotRetryable)
        );
        // Reordered: the status rule before the idempotency rule retries a POST too, and
        // names itself.
        let opts = RetryOptions::new().with_classifiers([
            BuiltinClassifier::TransientStatus.into(),
            BuiltinClassifier::Idempotency.into(),
        ]);
        let mut s = RetryState::new(&opts);
        assert!(matches!(
            status(&mut s, &opts, Method::POST, 503),
            Decision::RetryAfter(_)
        ));
        assert_eq!(s.history[0].decision, RetryDecision::Backoff);
        assert_eq!(s.history[0].classifier, Some("transient_status"));
    }

    #[test]
    fn the_storage_preset_retries_every_method_on_storage_statuses_only() {
        let opts = RetryOptions::storage();
        for (method, code, retried) in [
            (Method::POST, 503, true),
            (Method::POST, 500, true),
            (Method::PUT, 408, true),
            (Method::PATCH, 502, true),
            (Method::POST, 429, false),
            (Method::GET, 501, false),
            (Method::GET, 404, false),
        ] {
            let mut s = RetryState::new(&opts);
            let d = status(&mut s, &opts, method.clone(), code);
            assert_eq!(
                matches!(d, Decision::RetryAfter(_)),
                retried,
                "{method} {code}: {d:?}"
            );
        }
        // A read error after a POST reached the server: retried under the preset.
        let mut s = RetryState::new(&opts);
        let e = Error::new(ErrorKind::ServiceResponse, "reset");
        let d = s.decide(&opts, &parts(Method::POST), true, &Failure::Transport(&e));
        assert!(matches!(d, Decision::RetryAfter(_)));
        assert_eq!(s.history[0].classifier, Some("transient_transport"));
    }
}
