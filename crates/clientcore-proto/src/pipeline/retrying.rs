//! The retry glue: asks the retry policy ([`retry`](super::retry)) about a failed response or
//! a transport error, and schedules the wait or ends the call, never past its deadline.

use std::time::{Duration, Instant};

use crate::error::Error;

use super::retry::{Decision, Failure, RetryDecision};
use super::{Exchange, LastAttempt, RequestBody, ResponseHead, State, Step};

impl<B: RequestBody> Exchange<B> {
    /// The call's time ran out before another attempt could start: the call ends.
    #[cold]
    #[inline(never)]
    pub(super) fn out_of_time(&mut self) -> Step<B> {
        let kind = self.last_attempt.timeout_kind();
        let msg = match self.last_attempt {
            LastAttempt::NeverSent => "Request timeout",
            LastAttempt::Sent => "Response timeout",
        };
        self.finished(Error::new(kind, msg))
    }

    /// A failed response, its body read (`Ok`: the HTTP error it becomes) or not (`Err`: the
    /// read error).
    pub(super) fn decide_status(
        &mut self,
        head: &ResponseHead,
        result: Result<Error, Error>,
        now: Instant,
    ) {
        let replayable = self.template.body.is_replayable();
        let decision = self.retry.decide(
            self.opts.retry(),
            &self.template.parts,
            replayable,
            &Failure::Status {
                status: head.status,
                headers: &head.headers,
                received: head.received,
                error: result.as_ref().ok(),
            },
        );
        self.last_attempt = LastAttempt::Sent;
        let error = result.unwrap_or_else(|read_error| read_error);
        match decision {
            Decision::RetryAfter(wait) => self.schedule(wait, now, Some(error)),
            Decision::Stop(why) => {
                self.per_call_response(head);
                self.state = State::Finished(noted(error, why));
            }
        }
    }

    pub(super) fn decide_failure(&mut self, err: Error, now: Instant) {
        let replayable = self.template.body.is_replayable();
        let decision = self.retry.decide(
            self.opts.retry(),
            &self.template.parts,
            replayable,
            &Failure::Transport(&err),
        );
        self.last_attempt = if err.is_service_request() {
            LastAttempt::NeverSent
        } else {
            LastAttempt::Sent
        };
        match decision {
            Decision::RetryAfter(wait) => self.schedule(wait, now, Some(err)),
            Decision::Stop(why) => self.state = State::Finished(noted(err, why)),
        }
    }

    pub(super) fn schedule(&mut self, wait: Duration, now: Instant, err: Option<Error>) {
        if let Some(deadline) = self.deadline {
            if now.checked_add(wait).is_none_or(|t| t > deadline) {
                let msg = format!(
                    "the retry wait of {:.3}s would pass the operation's deadline",
                    wait.as_secs_f64()
                );
                // As the reference's total timeout: a request timeout when the last attempt was
                // never sent, a response timeout otherwise.
                let kind = self.last_attempt.timeout_kind();
                let e = match err {
                    Some(source) => Error::with_source(kind, source),
                    None => Error::from(kind),
                };
                self.retry.give_up_at_deadline();
                self.state = State::Finished(e.with_message(msg));
                return;
            }
        }
        self.resend_count += 1;
        self.state = State::Sleep(wait);
    }
}

/// `error`, with the reason it was not retried as its note when the caller could change it
/// (the same for an HTTP error and a transport error).
fn noted(error: Error, why: RetryDecision) -> Error {
    if why.is_noted() && error.note().is_none() {
        error.with_note(why.as_str())
    } else {
        error
    }
}
