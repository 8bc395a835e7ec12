//! What both drivers do around each step of a call: start it, trace its attempts, report
//! what the transport answered, and end it with a response or an error.

use std::sync::Arc;

use clientcore_proto::options::Options;
use clientcore_proto::Error;

/// The token cache of a call's bearer credential, for the drivers' single-flight refresh.
pub(crate) fn bearer_cache(opts: &Options) -> Option<clientcore_proto::policies::auth::TokenCache> {
    match opts.credential() {
        Some(clientcore_proto::policies::auth::Credential::Bearer { cache, .. }) => {
            Some(cache.clone())
        }
        _ => None,
    }
}

/// What a driver keeps for one call besides its exchange: the call's trace, and what the
/// response is built with. Both drivers start, trace and end a call with it.
pub(crate) struct Call {
    pub(crate) trace: crate::trace::CallTrace,
    block_size: usize,
    encoding: Option<String>,
    /// The call's OpenTelemetry measurements; nothing at all without the feature.
    #[cfg(feature = "opentelemetry")]
    metrics: crate::metrics::CallMetrics,
    /// What a resume of the body would be made from; `None` when it cannot be resumed.
    seed: Option<Box<crate::resume::Seed>>,
}

impl Call {
    /// Starts a call: its trace (the call's span), and its exchange with the merged options.
    /// `clock` is the client's, the one the exchange decides with: the call's measurements
    /// read it too.
    pub(crate) fn begin(
        request: clientcore_proto::pipeline::Request<crate::Body>,
        (opts, prepared): (Arc<Options>, Arc<clientcore_proto::pipeline::Prepared>),
        clock: &Arc<dyn clientcore_proto::time::Clock>,
    ) -> (clientcore_proto::pipeline::Exchange<crate::Body>, Call) {
        #[cfg(not(feature = "opentelemetry"))]
        let _ = clock;
        let call = Call {
            trace: crate::trace::CallTrace::start(&request.parts, &opts),
            block_size: opts.block_size(),
            encoding: opts.response_encoding().map(str::to_owned),
            #[cfg(feature = "opentelemetry")]
            metrics: crate::metrics::CallMetrics::start(&request.parts, clock),
            seed: crate::resume::Seed::capture(&request, &opts),
        };
        (
            clientcore_proto::pipeline::Exchange::prepared(request, opts, prepared),
            call,
        )
    }

    /// Opens an attempt's span and puts its `traceparent` on the attempt's request.
    pub(crate) fn attempt(
        &self,
        attempt: &mut clientcore_proto::pipeline::Attempt<crate::Body>,
        opts: &Options,
    ) -> crate::trace::AttemptTrace {
        #[cfg_attr(not(feature = "opentelemetry"), allow(unused_mut))]
        let mut span = self.trace.attempt(attempt, opts);
        crate::trace::inject_traceparent(&span, &mut attempt.request.parts.headers);
        #[cfg(feature = "opentelemetry")]
        {
            use clientcore_proto::pipeline::RequestBody as _;
            let request = &attempt.request;
            span.metrics = Some(
                self.metrics
                    .attempt(&request.parts, request.body.known_len()),
            );
        }
        span
    }

    /// Ends the call with its response: traced, and the response's core built.
    pub(crate) fn done(
        &mut self,
        ex: &clientcore_proto::pipeline::Exchange<crate::Body>,
        done: clientcore_proto::pipeline::Completion,
    ) -> crate::response::Received {
        let method = ex.request().method.clone();
        self.trace.record_done(&done.head);
        #[cfg(feature = "opentelemetry")]
        self.metrics.done(&done.head);
        let stall = ex.options().stall_protection();
        crate::response::Received::new(done, method, self.block_size, self.encoding.take())
            .with_stall(stall)
    }

    /// The resume state of the call's response, when a cut of its body can be resumed.
    pub(crate) fn resumer(
        &mut self,
        ex: &clientcore_proto::pipeline::Exchange<crate::Body>,
        core: &crate::response::Received,
    ) -> Option<crate::resume::Resumer> {
        self.seed.take()?.arm(
            ex.deadline(),
            core.head_status(),
            core.head_headers(),
            core.retries_ref().len(),
        )
    }

    /// The exchange's next step; with the `opentelemetry` feature, what the throttle gate did
    /// in it goes on the call's span as events.
    #[inline]
    #[cfg_attr(
        not(feature = "opentelemetry"),
        allow(
            clippy::unused_self,
            reason = "the span is only written with the feature"
        )
    )]
    pub(crate) fn step(
        &self,
        ex: &mut clientcore_proto::pipeline::Exchange<crate::Body>,
        clock: &dyn clientcore_proto::time::Clock,
    ) -> clientcore_proto::pipeline::Step<crate::Body> {
        let step = ex.step(clock);
        #[cfg(feature = "opentelemetry")]
        for note in ex.take_gate_notes() {
            self.trace.record_gate(&note);
        }
        step
    }

    /// Ends the call with its error, traced.
    #[cfg_attr(
        not(feature = "opentelemetry"),
        allow(
            clippy::needless_pass_by_ref_mut,
            reason = "mutable for the measurements"
        )
    )]
    pub(crate) fn failed(&mut self, e: Error) -> Error {
        self.trace.record_error(&e);
        #[cfg(feature = "opentelemetry")]
        self.metrics.failed(&e);
        e
    }
}

/// Reports what the transport answered to the exchange and the attempt's span; the body
/// reader of a response is the driver's to keep.
pub(crate) fn report_sent<R>(
    ex: &mut clientcore_proto::pipeline::Exchange<crate::Body>,
    span: &crate::trace::AttemptTrace,
    sent: Result<(clientcore_proto::pipeline::ResponseHead, R), Error>,
    clock: &dyn clientcore_proto::time::Clock,
) -> Option<R> {
    match sent {
        Ok((mut head, reader)) => {
            // Dated by the client's clock, not the transport: `Retry-After` dates are read
            // against it, fake in tests.
            head.received = clock.wall();
            span.record_response(&head);
            #[cfg(feature = "opentelemetry")]
            if let Some(metrics) = &span.metrics {
                metrics.response(clock, &head);
            }
            ex.on_response(head);
            Some(reader)
        }
        Err(e) => {
            span.record_error(&e);
            #[cfg(feature = "opentelemetry")]
            if let Some(metrics) = &span.metrics {
                metrics.failed(clock, &e);
            }
            ex.on_transport_error(e);
            None
        }
    }
}
