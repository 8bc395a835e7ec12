//! Detours: requests a policy needs sent before the call goes on.
//!
//! Policies stay sans-IO. When a response fails, each policy may answer
//! [`Policy::detour`](super::policy::Policy::detour) with a [`SideTask`]: a small state machine
//! that asks the exchange to send requests of its own ([`SideStep::Send`]), to wait
//! ([`SideStep::Sleep`]), and finally to send the original request again
//! ([`SideStep::Resend`]), to let the failed response stand ([`SideStep::GiveUp`]) or to end
//! the call ([`SideStep::Fail`]). The driver sees ordinary `Send`, `ReadBody` and `Sleep`
//! steps: a detour needs nothing of it.
//!
//! Side requests get the call's `User-Agent` and request id, run through the per-try policies
//! (a signer signs them), go under the call's deadline, and carry the call's credential only to
//! the origin the call's credentials were given for ([`follow`]'s rule). A call
//! takes at most [`MAX_DETOURS`] detours, so no policy can keep a call going for ever.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::error::{Error, ErrorKind, MAX_ERROR_BODY};
use crate::options::Position;
use crate::policies::auth::Credential;
use crate::policies::log::{self, Level};

use super::follow::{self, Chosen, Credentials};
use super::shaping::add_pipeline_headers;
use super::{
    Attempt, Exchange, HookRequest, PipelineHeaders, Request, RequestBody, RequestParts,
    ResponseHead, State, Step,
};

/// The most detours one call takes.
pub const MAX_DETOURS: u32 = 3;

/// A side request's answer: the response with its body read, or why it failed.
pub type SideAnswer = Result<SideResponse, Error>;

/// A side request's response, its body read (up to the error-body bound).
#[derive(Clone, Debug)]
pub struct SideResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// What a detour does next.
#[derive(Debug)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per side request, moved once: boxing would cost more than it saves"
)]
pub enum SideStep {
    /// Send this request; its answer comes to the next [`SideTask::next`].
    Send(RequestParts, Bytes),
    /// Wait, then be asked again (with no answer).
    Sleep(Duration),
    /// Done: send the original request again (not a retry: no retry budget, no wait).
    Resend,
    /// Done: the failed response stands, and the call goes on as if there had been no detour
    /// (its retry rules apply).
    GiveUp,
    /// Done: end the call with this error.
    Fail(Error),
    /// Done: ask the call's token credential for a token as this request says (the scope and
    /// tenant a 401's challenge named), then send the original request again with it, as
    /// Key Vault's challenge policy does. Once per call, like a claims challenge: a call that
    /// answered a challenge already, has no bearer credential, was redirected to another
    /// origin, or cannot send its body again lets the failed response stand
    /// ([`GiveUp`](Self::GiveUp)). The token goes only to the call's own origin.
    ResendWithToken(super::TokenRequest),
}

/// A detour a policy asked for; see the [module docs](self).
pub trait SideTask: Send {
    /// The next step. `answer` is the answer to the last [`SideStep::Send`]; `None` at the start
    /// and after a [`SideStep::Sleep`].
    fn next(&mut self, answer: Option<SideAnswer>) -> SideStep;
}

/// A detour under way.
pub(super) struct Detour {
    task: Box<dyn SideTask>,
    /// The failed response and its error, for [`SideStep::GiveUp`].
    original: (ResponseHead, Result<Error, Error>),
    phase: Phase,
    /// The URL of the side request last sent: its response's cookies are kept for it.
    sent_to: Option<url::Url>,
}

impl Detour {
    /// The URL of the side request last sent.
    pub(super) fn sent_to(&self) -> Option<&url::Url> {
        self.sent_to.as_ref()
    }
}

enum Phase {
    /// Ask the task, with this answer.
    Ask(Option<SideAnswer>),
    /// A side request is out.
    Sent,
    /// Its response came; its body is to be read.
    Response(ResponseHead),
}

impl<B: RequestBody> Exchange<B> {
    /// Asks the policies whether the failed response `head` (its body read into `result`)
    /// needs a detour; starts the first one offered.
    pub(super) fn ask_detour(
        &mut self,
        head: ResponseHead,
        result: Result<Error, Error>,
    ) -> Option<(ResponseHead, Result<Error, Error>)> {
        if self.detours >= MAX_DETOURS || self.opts.hooks.policies.is_empty() {
            return Some((head, result));
        }
        let Ok(error) = &result else {
            return Some((head, result));
        };
        let mut offered = None;
        self.with_last_sent(|req| {
            offered = self
                .opts
                .policies(Position::PerCall)
                .chain(self.opts.policies(Position::PerTry))
                .find_map(|p| p.detour(req, &head, error));
        });
        let Some(task) = offered else {
            return Some((head, result));
        };
        self.detours += 1;
        self.state = State::Side(Box::new(Detour {
            task,
            original: (head, result),
            phase: Phase::Ask(None),
            sent_to: None,
        }));
        None
    }

    /// The step of a detour under way.
    pub(super) fn step_detour(&mut self, mut detour: Box<Detour>, now: Instant) -> Option<Step<B>> {
        match std::mem::replace(&mut detour.phase, Phase::Sent) {
            Phase::Sent => {
                self.state = State::Finished(super::misuse(
                    "step() called before the side request's on_response()",
                ));
                None
            }
            Phase::Response(head) => {
                detour.phase = Phase::Response(head);
                self.state = State::Side(detour);
                Some(Step::ReadBody {
                    limit: MAX_ERROR_BODY,
                })
            }
            Phase::Ask(answer) => match detour.task.next(answer) {
                SideStep::Send(parts, body) => match self.side_attempt(parts, body, now) {
                    Ok(step) => {
                        if let Step::Send(attempt) = &step {
                            detour.sent_to = Some(attempt.request.parts.url.clone());
                        }
                        detour.phase = Phase::Sent;
                        self.state = State::Side(detour);
                        Some(step)
                    }
                    Err(e) => {
                        self.state = State::Finished(e);
                        None
                    }
                },
                SideStep::Sleep(d) => {
                    detour.phase = Phase::Ask(None);
                    self.state = State::Side(detour);
                    Some(Step::Sleep(d))
                }
                SideStep::Resend => {
                    self.resend_count += 1;
                    self.state = State::Ready;
                    None
                }
                SideStep::GiveUp => {
                    let (head, result) = detour.original;
                    self.decide_status(&head, result, now);
                    None
                }
                SideStep::ResendWithToken(request) => {
                    if !self.answer_discovered_challenge(request) {
                        let (head, result) = detour.original;
                        self.decide_status(&head, result, now);
                    }
                    None
                }
                SideStep::Fail(e) => {
                    self.state = State::Finished(e);
                    None
                }
            },
        }
    }

    /// Reports a side request's response head.
    pub(super) fn on_side_response(&mut self, head: ResponseHead) {
        if let State::Side(detour) = &mut self.state {
            detour.phase = Phase::Response(head);
        }
    }

    /// Reports a side request's transport failure.
    pub(super) fn on_side_error(&mut self, error: Error) {
        if let State::Side(detour) = &mut self.state {
            detour.phase = Phase::Ask(Some(Err(error)));
        }
    }

    /// Reports a side response's body.
    pub(super) fn on_side_body(&mut self, body: Result<Bytes, Error>) {
        if let State::Side(detour) = &mut self.state {
            if let Phase::Response(head) = std::mem::replace(&mut detour.phase, Phase::Sent) {
                let answer = body.map(|body| SideResponse {
                    status: head.status,
                    headers: head.headers,
                    body,
                });
                detour.phase = Phase::Ask(Some(answer));
            }
        }
    }

    /// A side request as an attempt: the call's headers, its credential at home, the per-try
    /// policies, the call's remaining time.
    fn side_attempt(
        &mut self,
        parts: RequestParts,
        body: Bytes,
        now: Instant,
    ) -> Result<Step<B>, Error> {
        let remaining = self
            .deadline
            .map_or(Duration::MAX, |d| d.saturating_duration_since(now));
        if remaining.is_zero() {
            return Err(Error::new(
                ErrorKind::ServiceResponseTimeout,
                "the call's time ran out during a policy's side request",
            ));
        }
        let mut parts = parts;
        let home = self
            .home
            .as_deref()
            .unwrap_or(&self.template.parts.url)
            .clone();
        let credentials = match follow::check(
            &home,
            &parts.url,
            self.opts.allow_https_downgrade(),
            Chosen::SideRequest,
        )? {
            Credentials::Attach => self.credentials,
            Credentials::Withhold => Credentials::Withhold,
        };
        if self.pipeline_headers == PipelineHeaders::InTemplate {
            // Per-call policies ran: the call's id and `User-Agent` are in the template.
            let template = &self.template.parts.headers;
            for name in [self.opts.request_id_header(), http::header::USER_AGENT] {
                if let Some(v) = template.get(&name) {
                    parts.headers.insert(name, v.clone());
                }
            }
        } else {
            add_pipeline_headers(
                &mut parts.headers,
                &self.opts,
                self.request_id.clone(),
                &self.prepared,
            )?;
        }
        if credentials == Credentials::Attach {
            self.side_authorize(&mut parts)?;
        }
        let body = if body.is_empty() {
            B::empty()
        } else {
            B::from_bytes(body).ok_or_else(|| {
                Error::new(
                    ErrorKind::ServiceRequest,
                    "a policy's side request has a body this client's body type cannot carry",
                )
            })?
        };
        let mut request = Request {
            parts,
            body,
            chosen: None,
        };
        // What goes on the wire is decided before the policies, as for every attempt.
        let wire = super::wire::add(&mut request, &self.opts, self.wall.0);
        self.per_try_policies(&mut request.parts, &wire, credentials)?;
        if let Some(hook) = self.opts.request_hook() {
            hook(&HookRequest {
                parts: &request.parts,
                body: request.body.as_bytes(),
                streaming: request.body.as_bytes().is_none(),
                resend_count: self.resend_count,
            });
        }
        log::emit(
            self.opts.logger(),
            Level::Debug,
            &format!(
                "A policy sends a side request: {} {}",
                request.parts.method,
                self.opts
                    .redactor()
                    .sanitize_url(request.parts.url.as_str())
            ),
        );
        let timeout = match self.opts.attempt_timeout() {
            Some(per_attempt) => remaining.min(per_attempt),
            None => remaining,
        };
        Ok(Step::Send(Attempt {
            request,
            timeout,
            config: self.prepared.transport.clone(),
            resend_count: self.resend_count,
        }))
    }

    /// The call's credential on a side request: a key, a SAS, or the bearer token the call
    /// holds (a side request never waits for a new one).
    fn side_authorize(&self, parts: &mut RequestParts) -> Result<(), Error> {
        let Some(cred) = self.opts.credential() else {
            return Ok(());
        };
        if super::credentials::attach_key_or_sas(parts, cred)? {
            return Ok(());
        }
        if let Credential::Bearer { cache, .. } = cred {
            let token = cache.usable(self.wall.0).ok_or_else(|| {
                Error::new(
                    ErrorKind::ClientAuthentication,
                    "no usable token for a policy's side request",
                )
            })?;
            let v = super::credentials::credential_value(&format!("Bearer {token}"), "token")?;
            parts.headers.insert(http::header::AUTHORIZATION, v);
        }
        Ok(())
    }
}
