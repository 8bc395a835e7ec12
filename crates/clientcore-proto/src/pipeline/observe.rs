//! Observation: what custom policies, the request and response hooks and the HTTP log see of
//! each attempt and of the response that ends the call.

use bytes::Bytes;

use crate::error::Error;
use crate::options::Position;
use crate::policies::log::{self, Level};

use super::follow::{self, Credentials};
use super::wire::WireHeaders;
use super::{Exchange, HookRequest, Request, RequestBody, RequestParts, ResponseHead};

impl<B: RequestBody> Exchange<B> {
    /// Shows a response to the per-try policies, the response hook and, when `logged`, the
    /// response log.
    #[cold]
    #[inline(never)]
    pub(super) fn observe_response(&self, head: &ResponseHead, logged: bool) {
        self.with_last_sent(|req| {
            for p in self.opts.policies(Position::PerTry) {
                p.on_response(req, head);
            }
        });
        if let Some(hook) = self.opts.response_hook() {
            hook(head);
        }
        if logged {
            let record = log::response_record(head, &self.opts.redactor());
            let multi = self.opts.logging_multirecord().unwrap_or(false);
            log::emit_http(self.opts.logger(), Level::Debug, &record, multi);
        }
    }

    /// Runs the per-try policies, the request hook and the request log (at `log_at`, when it
    /// is recorded) on an attempt, and keeps a copy of it for the policies' later hooks.
    /// `wire` says what the core added for the wire: the policies and the hook see it, the log
    /// does not.
    #[cold]
    #[inline(never)]
    pub(super) fn observe_attempt(
        &mut self,
        request: &mut Request<B>,
        wire: &WireHeaders,
        full: bool,
        log_at: Option<Level>,
    ) -> Result<(), Error> {
        self.per_try_policies(&mut request.parts, wire, self.credentials)?;
        // The hook and the log borrow the body; only the copy kept for custom policies owns
        // one (a body of any size used to be copied on every attempt, policies or not).
        let streaming = request.body.as_bytes().is_none();
        {
            let hook_req = HookRequest {
                parts: &request.parts,
                body: request.body.as_bytes(),
                streaming,
                resend_count: self.resend_count,
            };
            if let Some(hook) = self.opts.request_hook() {
                hook(&hook_req);
            }
            if let Some(level) = log_at {
                let shown = wire.without(&request.parts);
                let logged = match &shown {
                    Some(parts) => HookRequest { parts, ..hook_req },
                    None => hook_req,
                };
                let record = log::request_record(&logged, &self.opts.redactor(), full);
                let multi = self.opts.logging_multirecord().unwrap_or(false);
                log::emit_http(self.opts.logger(), level, &record, multi);
            }
        }
        // Only custom policies look at the request again (on_response, on_error): without
        // them, no copy of the headers per attempt.
        self.last_sent = (!self.opts.hooks.policies.is_empty()).then(|| {
            let bytes = request.body.as_bytes().map(Bytes::copy_from_slice);
            Box::new((request.parts.clone(), bytes, streaming))
        });
        Ok(())
    }

    /// Runs the per-try policies on an attempt or a side request. A signing policy signs
    /// whatever it is given: away from home (`credentials` withheld), what it added goes, and
    /// what belongs to the request's own URL (its userinfo, the jar's cookies for it) stays,
    /// as it would have without policies.
    pub(super) fn per_try_policies(
        &self,
        parts: &mut RequestParts,
        wire: &WireHeaders,
        credentials: Credentials,
    ) -> Result<(), Error> {
        let withhold = credentials == Credentials::Withhold;
        let own = if withhold {
            wire.own_credentials(&parts.headers)
        } else {
            Vec::new()
        };
        self.opts
            .policies(Position::PerTry)
            .try_for_each(|p| p.on_request(parts))?;
        if withhold {
            follow::strip(&mut parts.headers);
            for (name, value) in own {
                parts.headers.insert(name, value);
            }
        }
        Ok(())
    }

    /// Per-call policies sit before retries and redirects (reference §3.0), so they see only
    /// the response that ends the call, not the ones that were retried or redirected.
    pub(super) fn per_call_response(&self, head: &ResponseHead) {
        self.with_last_sent(|req| {
            for p in self.opts.policies(Position::PerCall) {
                p.on_response(req, head);
            }
        });
    }

    /// Calls `f` with the last request as sent, if one was.
    pub(super) fn with_last_sent(&self, f: impl FnOnce(&HookRequest<'_>)) {
        if let Some(sent) = &self.last_sent {
            let (parts, body, streaming) = &**sent;
            f(&HookRequest {
                parts,
                body: body.as_deref(),
                streaming: *streaming,
                resend_count: self.resend_count,
            });
        }
    }
}
