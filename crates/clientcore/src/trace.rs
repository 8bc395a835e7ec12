//! Spans: one per call and one per attempt, named and attributed after the OpenTelemetry
//! semantic conventions for HTTP clients, plus W3C Trace Context propagation.
//!
//! # What is recorded
//!
//! | Field | Call span | Attempt span |
//! |---|---|---|
//! | `http.request.method` | ✓ | ✓ |
//! | `url.full` (query values redacted by the call's `Redactor`, user info removed) | ✓ | ✓ |
//! | `server.address`, `server.port` | ✓ | ✓ |
//! | `http.request.resend_count` | | ✓ |
//! | `http.response.status_code` | final response | this response |
//! | `error.type` (the status code for 4xx/5xx, else the error class name) | final outcome | this attempt |
//! | `az.client_request_id` (the header named by `Options::request_id_header`) | ✓ | ✓ |
//! | `az.service_request_id` (`x-ms-request-id`) | ✓ | ✓ |
//! | `Options::span_attributes` | ✓ | ✓ |
//!
//! The call span is named by `Options::span_name` (default: the method), the attempt span by the
//! method, as the conventions ask for HTTP client spans. Both are of kind client.
//!
//! `tracing` fixes a span's field set when the span is created, so the extra attributes of
//! `Options::span_attributes`, whose keys are only known at run time, cannot each be a field. The
//! `tracing` spans carry them as one field, `clientcore.attributes`, formatted `k1=v1 k2=v2`;
//! with the `opentelemetry` feature each one is a real attribute of the OpenTelemetry spans.
//! Header values other than the two request ids and the `traceparent` are never recorded, so no
//! credential reaches a span.
//!
//! # Propagation
//!
//! Every attempt carries a W3C `traceparent` header (Trace Context, section 3.2): version `00`,
//! the call's trace id, the attempt's span id and the trace flags. A `traceparent` the caller set
//! is kept as is. With the `opentelemetry` feature the ids are those of the OpenTelemetry attempt
//! span, and its `tracestate` is sent along. Without it (or when no OpenTelemetry tracer records
//! the call) the trace id is drawn at random once per call and the span id once per attempt, and
//! the sampled flag is set, so the service's own traces of the request can still be joined to
//! this client's logs: the attempt span records the value sent as
//! `http.request.header.traceparent`.
//!
//! # The `opentelemetry` feature
//!
//! The feature creates OpenTelemetry spans with the `opentelemetry` API directly, alongside the
//! `tracing` spans, through the global tracer provider (instrumentation scope `clientcore`). The
//! call span's parent is `opentelemetry::Context::current()` when the call starts; each attempt
//! span is a child of the call span.
//!
//! The OpenTelemetry spans also carry `url.scheme` and, once there is a response,
//! `network.protocol.version`.
//!
//! # Metrics
//!
//! With the `opentelemetry` feature, each call also records four histograms through the
//! global meter provider (instrumentation scope `clientcore`), named after the semantic
//! conventions for HTTP client metrics:
//!
//! | Instrument | Unit | One measurement per |
//! |---|---|---|
//! | `http.client.request.duration` | `s` | attempt: from handing the request to the transport to its response head or error |
//! | `http.client.request.body.size` | `By` | attempt whose request body length is known (0 without a body; a stream of unknown length is not measured) |
//! | `http.client.response.body.size` | `By` | attempt answered with a `Content-Length` (0 for a HEAD, a 204 or a 304) |
//! | `clientcore.call.duration` | `s` | call: every attempt and every wait between them, up to the response head or the error the caller gets |
//!
//! The conventions have no instrument for a logical operation made of several attempts, hence
//! clientcore's own `clientcore.call.duration`. Durations are read from the client's clock
//! (the one its retries and deadlines use; `ClientBuilder::clock`), never from another, and
//! bucketed at the conventions' advised boundaries (0.005 s to 10 s; the call's up to 300 s).
//!
//! Attributes, the spans' low-cardinality ones: `http.request.method` (`_OTHER` for a method
//! the conventions do not know), `server.address`, `server.port`, `url.scheme`, and from the
//! outcome `http.response.status_code`, `network.protocol.version` and `error.type` (the status
//! for a 4xx or 5xx, else the error's class name, as on the spans). The call's are those of
//! the request the caller built and of the call's outcome. `url.full`, the request ids and
//! `Options::span_attributes` are not attributes of the metrics: each of their values would
//! start new series.
//!
//! A call whose future is dropped before it ends records no call duration (nor an attempt
//! duration for the attempt in flight): it has no outcome to attribute.
//!
//! The instruments are made once per meter provider, not per call: a call costs one read of
//! the global provider and a comparison when it has not changed. An application that installs
//! its provider after the first call gets the new instruments from the next call on.
//!
//! For Future Whoever proposing `tracing-opentelemetry` instead: that crate is a subscriber layer
//! the *application* installs. A library must never install a subscriber, so with it the feature
//! would only export spans when the application happened to set the layer up, and only spans
//! its level filters let through: a filtered-out attempt span would have no OpenTelemetry ids
//! to put in `traceparent`. It would also pull `tracing-subscriber` into every SDK's normal
//! dependencies, and attribute types (integer status codes) and run-time attribute keys would go
//! through field-name conventions. The direct API works with any tracer provider, exactly like
//! the reference implementation's OpenTelemetry plugin. An application that also bridges
//! `tracing` to OpenTelemetry with that layer should filter out the `clientcore` target there,
//! or it will see each call twice.

use std::fmt::Write as _;

use clientcore_proto::options::Options;
use clientcore_proto::pipeline::{Attempt, RequestParts, ResponseHead};
use clientcore_proto::Error;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use tracing::field::Empty;
use tracing::Span;
use url::Url;

/// The `tracing` target of every span.
const TARGET: &str = "clientcore";
/// The service's request id header.
const SERVICE_REQUEST_ID: &str = "x-ms-request-id";
/// W3C Trace Context, section 3.2.
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// W3C Trace Context, section 3.3.
#[cfg(feature = "opentelemetry")]
const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// What `url.full` shows: no user info, query values redacted unless allow-listed.
fn url_full(url: &Url, opts: &Options) -> String {
    let mut url = url.clone();
    if !url.username().is_empty() || url.password().is_some() {
        // Cannot fail for URLs with a host, the only ones that carry user info.
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    opts.redactor().sanitize_url(url.as_str()).into_owned()
}

/// [`url_full`], computed only when a subscriber records the span.
struct UrlFull<'a>(&'a Url, &'a Options);

impl std::fmt::Display for UrlFull<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&url_full(self.0, self.1))
    }
}

/// The `server.port` of `url`: the explicit port or the scheme's default.
pub(crate) fn port(url: &Url) -> u16 {
    url.port_or_known_default().unwrap_or(0)
}

/// A header value that may appear in a span: never a credential, even when a caller names a
/// credential header as the request id header.
fn id_header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    if *name == http::header::AUTHORIZATION
        || *name == http::header::PROXY_AUTHORIZATION
        || *name == http::header::COOKIE
    {
        return None;
    }
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Options::span_attributes` as one `tracing` field value.
fn attributes_field(opts: &Options) -> Option<String> {
    let attributes = opts.span_attributes();
    if attributes.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (k, v) in attributes {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{k}={v}");
    }
    Some(out)
}

/// The `error.type` of an error: the status code of an HTTP error, else the error's class.
pub(crate) fn error_type(error: &Error) -> String {
    match error.status() {
        Some(status) => status.as_str().to_owned(),
        None => error.kind().class_name().to_owned(),
    }
}

// ===== impl CallTrace =====

/// The spans of one logical call.
#[derive(Debug)]
pub(crate) struct CallTrace {
    span: Span,
    /// The trace id used when no OpenTelemetry span supplies one: drawn when an attempt span
    /// is first recorded (0 until then), since only a recorded attempt sends it.
    trace_id: std::cell::Cell<u128>,
    #[cfg(feature = "opentelemetry")]
    otel: otel::OtelSpan,
}

impl CallTrace {
    /// Opens the call span for `parts`, as the caller built them, with the merged `opts`.
    pub(crate) fn start(parts: &RequestParts, opts: &Options) -> Self {
        let name = opts.span_name().unwrap_or(parts.method.as_str());
        let span = tracing::info_span!(
            target: TARGET,
            "http.call",
            otel.name = %name,
            otel.kind = "client",
            http.request.method = %parts.method,
            url.full = %UrlFull(&parts.url, opts),
            server.address = parts.url.host_str().unwrap_or(""),
            server.port = port(&parts.url),
            az.client_request_id = Empty,
            az.service_request_id = Empty,
            http.response.status_code = Empty,
            error.type = Empty,
            clientcore.attributes = attributes_field(opts),
        );
        if !span.is_disabled() {
            if let Some(id) = id_header(&parts.headers, &opts.request_id_header()) {
                span.record("az.client_request_id", id);
            }
        }
        CallTrace {
            #[cfg(feature = "opentelemetry")]
            otel: otel::OtelSpan::call(name.to_owned(), parts, &url_full(&parts.url, opts), opts),
            span,
            trace_id: std::cell::Cell::new(0),
        }
    }

    /// The `tracing` span of the call.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// Opens the span of one attempt, a child of the call span, with the call's `opts`.
    pub(crate) fn attempt<B>(&self, attempt: &Attempt<B>, opts: &Options) -> AttemptTrace {
        let parts = &attempt.request.parts;
        let span = tracing::debug_span!(
            target: TARGET,
            parent: &self.span,
            "http.attempt",
            otel.name = %parts.method,
            otel.kind = "client",
            http.request.method = %parts.method,
            url.full = %UrlFull(&parts.url, opts),
            server.address = parts.url.host_str().unwrap_or(""),
            server.port = port(&parts.url),
            http.request.resend_count = attempt.resend_count,
            http.request.header.traceparent = Empty,
            az.client_request_id = Empty,
            az.service_request_id = Empty,
            http.response.status_code = Empty,
            error.type = Empty,
            clientcore.attributes = attributes_field(opts),
        );
        // The per-call policy sets the id before the first attempt, so the call span learns it
        // here when the caller did not set it.
        if !span.is_disabled() || !self.span.is_disabled() {
            if let Some(id) = id_header(&parts.headers, &opts.request_id_header()) {
                span.record("az.client_request_id", id);
                self.span.record("az.client_request_id", id);
            }
        }
        AttemptTrace {
            #[cfg(feature = "opentelemetry")]
            otel: self.otel.attempt(
                parts,
                &url_full(&parts.url, opts),
                attempt.resend_count,
                opts,
            ),
            #[cfg(feature = "opentelemetry")]
            metrics: None,
            // Ids only for an attempt span a subscriber records: `traceparent` (their one
            // reader) is not sent otherwise.
            trace_id: if span.is_disabled() {
                0
            } else {
                self.trace_id()
            },
            span_id: if span.is_disabled() {
                0
            } else {
                random_nonzero_u64()
            },
            span,
        }
    }

    /// The call's trace id, drawn on first use.
    fn trace_id(&self) -> u128 {
        if self.trace_id.get() == 0 {
            self.trace_id.set(random_nonzero_u128());
        }
        self.trace_id.get()
    }

    /// Records the response the call ended with.
    pub(crate) fn record_done(&self, head: &ResponseHead) {
        record_head(&self.span, head);
        #[cfg(feature = "opentelemetry")]
        self.otel.record_head(head);
    }

    /// Records the error the call ended with.
    pub(crate) fn record_error(&self, error: &Error) {
        record_error(&self.span, error);
        #[cfg(feature = "opentelemetry")]
        self.otel.record_error(error);
    }

    /// Records what the throttle gate did for the call, as an event of its OpenTelemetry span
    /// (the `tracing` span has its event from the pipeline already).
    #[cfg(feature = "opentelemetry")]
    pub(crate) fn record_gate(&self, note: &clientcore_proto::pipeline::throttle::GateNote) {
        self.otel.record_gate(note);
    }
}

// ===== impl AttemptTrace =====

/// The span of one attempt. Its OpenTelemetry span ends when it is dropped.
#[derive(Debug)]
pub(crate) struct AttemptTrace {
    span: Span,
    trace_id: u128,
    span_id: u64,
    #[cfg(feature = "opentelemetry")]
    otel: otel::OtelSpan,
    /// The attempt's measurements, recorded with what the transport answers.
    #[cfg(feature = "opentelemetry")]
    pub(crate) metrics: Option<crate::metrics::AttemptMetrics>,
}

impl AttemptTrace {
    /// The `tracing` span of the attempt.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// Records the response this attempt got.
    pub(crate) fn record_response(&self, head: &ResponseHead) {
        record_head(&self.span, head);
        #[cfg(feature = "opentelemetry")]
        self.otel.record_head(head);
    }

    /// Records the transport error this attempt ended with.
    pub(crate) fn record_error(&self, error: &Error) {
        record_error(&self.span, error);
        #[cfg(feature = "opentelemetry")]
        self.otel.record_error(error);
    }

    /// Whether an OpenTelemetry span supplies this attempt's ids.
    #[cfg(feature = "opentelemetry")]
    fn has_otel_ids(&self) -> bool {
        self.otel.has_ids()
    }

    /// Whether an OpenTelemetry span supplies this attempt's ids: never without the feature.
    #[cfg(not(feature = "opentelemetry"))]
    #[allow(clippy::unused_self)] // the same call as with the feature
    fn has_otel_ids(&self) -> bool {
        false
    }

    /// The `traceparent` of this attempt: the OpenTelemetry span's ids when there is a valid
    /// one, else the random ids of the call and the attempt, sampled, when a `tracing`
    /// subscriber records the attempt span. With neither, `None`: as in the reference, whose
    /// tracing policy does nothing until a tracer is configured, there is no trace for the
    /// server to join, and the header would only cost bytes on every request.
    fn traceparent(&self) -> Option<String> {
        #[cfg(feature = "opentelemetry")]
        if let Some(value) = self.otel.traceparent() {
            return Some(value);
        }
        if self.span.is_disabled() {
            return None;
        }
        let mut value = *b"00-00000000000000000000000000000000-0000000000000000-01";
        write_hex(&mut value[3..35], &self.trace_id.to_be_bytes());
        write_hex(&mut value[36..52], &self.span_id.to_be_bytes());
        // ASCII by construction.
        Some(String::from_utf8_lossy(&value).into_owned())
    }
}

/// Sets the W3C `traceparent` header (and, with the `opentelemetry` feature, `tracestate`) of
/// `attempt`'s request to `trace`'s ids, unless the caller set a `traceparent` of their own.
pub(crate) fn inject_traceparent(trace: &AttemptTrace, headers: &mut HeaderMap) {
    // With no subscriber recording the attempt span and no OpenTelemetry span to take ids
    // from, nothing below is recorded and nothing is sent: skip the header lookup.
    if trace.span.is_disabled() && !trace.has_otel_ids() {
        return;
    }
    if let Some(theirs) = headers.get(&TRACEPARENT).and_then(|v| v.to_str().ok()) {
        trace.span.record("http.request.header.traceparent", theirs);
        return;
    }
    let Some(value) = trace.traceparent() else {
        return;
    };
    trace
        .span
        .record("http.request.header.traceparent", value.as_str());
    // Lower-case hex and dashes: always a valid header value. Moved, not copied.
    if let Ok(v) = HeaderValue::from_maybe_shared(bytes::Bytes::from(value)) {
        headers.insert(TRACEPARENT, v);
    }
    #[cfg(feature = "opentelemetry")]
    if let Some(state) = trace.otel.tracestate() {
        if let Ok(v) = HeaderValue::from_str(&state) {
            headers.insert(TRACESTATE, v);
        }
    }
}

/// Records a response's status, service request id and, for 4xx/5xx, its `error.type`.
fn record_head(span: &Span, head: &ResponseHead) {
    if span.is_disabled() {
        return;
    }
    span.record("http.response.status_code", head.status.as_u16());
    if let Some(id) = head
        .headers
        .get(SERVICE_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
    {
        span.record("az.service_request_id", id);
    }
    if head.status.is_client_error() || head.status.is_server_error() {
        span.record("error.type", head.status.as_str());
    }
}

/// Records a failure: the status for HTTP errors, else the error's class.
fn record_error(span: &Span, error: &Error) {
    if let Some(status) = error.status() {
        span.record("http.response.status_code", status.as_u16());
    }
    if let Some(id) = error
        .response()
        .and_then(|r| r.headers().get(SERVICE_REQUEST_ID))
        .and_then(|v| v.to_str().ok())
    {
        span.record("az.service_request_id", id);
    }
    span.record("error.type", error_type(error).as_str());
}

/// 128 random bits, never zero (an all-zero trace id is invalid, Trace Context 3.2.2.3).
fn random_nonzero_u128() -> u128 {
    // The per-thread generator seeded from the operating system: no system call per call.
    loop {
        let id = clientcore_proto::policies::random_u128();
        if id != 0 {
            return id;
        }
    }
}

/// 64 random bits, never zero (an all-zero parent id is invalid, Trace Context 3.2.2.4).
fn random_nonzero_u64() -> u64 {
    loop {
        let bits = clientcore_proto::policies::random_u128();
        #[allow(
            clippy::cast_possible_truncation,
            reason = "taking the two halves of the 128 bits on purpose"
        )]
        let id = (bits >> 64) as u64 ^ bits as u64;
        if id != 0 {
            return id;
        }
    }
}

/// Writes `bytes` in lower-case hex into `out`, two digits per byte (`format!` costs more
/// per call than the rest of the header).
fn write_hex(out: &mut [u8], bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0xf)];
    }
}

#[cfg(feature = "opentelemetry")]
mod otel {
    //! The OpenTelemetry spans, created with the `opentelemetry` API alongside the `tracing`
    //! spans (see the module docs for why not `tracing-opentelemetry`).

    use super::{error_type, port, RequestParts, SERVICE_REQUEST_ID};
    use clientcore_proto::options::Options;
    use clientcore_proto::pipeline::ResponseHead;
    use clientcore_proto::Error;
    use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
    use opentelemetry::{global, Context, InstrumentationScope, KeyValue};

    /// The instrumentation scope of every span.
    fn tracer() -> global::BoxedTracer {
        global::tracer_with_scope(
            InstrumentationScope::builder("clientcore")
                .with_version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
    }

    /// One OpenTelemetry span, held in the context that makes it the parent of its children.
    /// It ends when dropped.
    #[derive(Debug)]
    pub(super) struct OtelSpan {
        cx: Context,
    }

    impl OtelSpan {
        /// The call span, a child of the current OpenTelemetry context.
        pub(super) fn call(
            name: String,
            parts: &RequestParts,
            url: &str,
            opts: &Options,
        ) -> OtelSpan {
            let mut attributes = common(parts, url, opts);
            if let Some(id) = super::id_header(&parts.headers, &opts.request_id_header()) {
                attributes.push(KeyValue::new("az.client_request_id", id.to_owned()));
            }
            let parent = Context::current();
            let tracer = tracer();
            let span = tracer
                .span_builder(name)
                .with_kind(SpanKind::Client)
                .with_attributes(attributes)
                .start_with_context(&tracer, &parent);
            OtelSpan {
                cx: parent.with_span(span),
            }
        }

        /// An attempt span, a child of this call span.
        pub(super) fn attempt(
            &self,
            parts: &RequestParts,
            url: &str,
            resend_count: u32,
            opts: &Options,
        ) -> OtelSpan {
            let mut attributes = common(parts, url, opts);
            attributes.push(KeyValue::new(
                "http.request.resend_count",
                i64::from(resend_count),
            ));
            if let Some(id) = super::id_header(&parts.headers, &opts.request_id_header()) {
                attributes.push(KeyValue::new("az.client_request_id", id.to_owned()));
                // The call span learns the generated id with its first attempt.
                self.cx
                    .span()
                    .set_attribute(KeyValue::new("az.client_request_id", id.to_owned()));
            }
            let tracer = tracer();
            let span = tracer
                .span_builder(parts.method.as_str().to_owned())
                .with_kind(SpanKind::Client)
                .with_attributes(attributes)
                .start_with_context(&tracer, &self.cx);
            OtelSpan {
                cx: self.cx.with_span(span),
            }
        }

        /// Adds the throttle gate's `clientcore.throttle` event, with the `tracing` event's
        /// fields.
        pub(super) fn record_gate(&self, note: &clientcore_proto::pipeline::throttle::GateNote) {
            self.cx.span().add_event(
                "clientcore.throttle",
                vec![
                    KeyValue::new("clientcore.throttle.event", note.event),
                    KeyValue::new("clientcore.throttle.origin", note.origin.clone()),
                    KeyValue::new(
                        "clientcore.throttle.wait_ms",
                        i64::try_from(note.wait.as_millis()).unwrap_or(i64::MAX),
                    ),
                ],
            );
        }

        /// Records a response.
        pub(super) fn record_head(&self, head: &ResponseHead) {
            let span = self.cx.span();
            span.set_attribute(KeyValue::new(
                "http.response.status_code",
                i64::from(head.status.as_u16()),
            ));
            if let Some(version) = crate::metrics::protocol_version(head.version) {
                span.set_attribute(KeyValue::new("network.protocol.version", version));
            }
            if let Some(id) = head
                .headers
                .get(SERVICE_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
            {
                span.set_attribute(KeyValue::new("az.service_request_id", id.to_owned()));
            }
            if head.status.is_client_error() || head.status.is_server_error() {
                let status = head.status.as_str().to_owned();
                span.set_attribute(KeyValue::new("error.type", status.clone()));
                span.set_status(Status::error(status));
            }
        }

        /// Records a failure.
        pub(super) fn record_error(&self, error: &Error) {
            let span = self.cx.span();
            if let Some(status) = error.status() {
                span.set_attribute(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status.as_u16()),
                ));
            }
            if let Some(id) = error
                .response()
                .and_then(|r| r.headers().get(SERVICE_REQUEST_ID))
                .and_then(|v| v.to_str().ok())
            {
                span.set_attribute(KeyValue::new("az.service_request_id", id.to_owned()));
            }
            let kind = error_type(error);
            span.set_attribute(KeyValue::new("error.type", kind.clone()));
            span.set_status(Status::error(kind));
        }

        /// The `traceparent` of this span, when it has valid ids.
        /// Whether the span has valid ids, the ones [`traceparent`](Self::traceparent) sends.
        pub(super) fn has_ids(&self) -> bool {
            self.cx.span().span_context().is_valid()
        }

        pub(super) fn traceparent(&self) -> Option<String> {
            let span = self.cx.span();
            let sc = span.span_context();
            sc.is_valid().then(|| {
                format!(
                    "00-{}-{}-{:02x}",
                    sc.trace_id(),
                    sc.span_id(),
                    sc.trace_flags()
                )
            })
        }

        /// The `tracestate` of this span, when it has valid ids and a non-empty state.
        pub(super) fn tracestate(&self) -> Option<String> {
            let span = self.cx.span();
            let sc = span.span_context();
            let state = sc.trace_state().header();
            (sc.is_valid() && !state.is_empty()).then_some(state)
        }
    }

    impl Drop for OtelSpan {
        fn drop(&mut self) {
            self.cx.span().end();
        }
    }

    /// The attributes both spans start with.
    fn common(parts: &RequestParts, url: &str, opts: &Options) -> Vec<KeyValue> {
        let mut attributes = vec![
            KeyValue::new("http.request.method", parts.method.as_str().to_owned()),
            KeyValue::new("url.full", url.to_owned()),
            KeyValue::new(
                "server.address",
                parts.url.host_str().unwrap_or("").to_owned(),
            ),
            KeyValue::new("server.port", i64::from(port(&parts.url))),
            KeyValue::new("url.scheme", parts.url.scheme().to_owned()),
        ];
        attributes.extend(
            opts.span_attributes()
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        );
        attributes
    }
}
