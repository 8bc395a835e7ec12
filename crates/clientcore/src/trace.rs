//! Spans: one per call and one per attempt, with the OpenTelemetry HTTP client semantic
//! conventions as field names. Query strings are redacted; credentials never appear.

use clientcore_proto::options::Options;
use clientcore_proto::pipeline::{Attempt, RequestParts, ResponseHead};
use clientcore_proto::policy::redact::Redactor;
use clientcore_proto::Error;
use tracing::field::Empty;
use tracing::Span;

/// The span of one logical call.
pub(crate) fn call_span(parts: &RequestParts, opts: &Options) -> Span {
    let name = opts
        .span_name()
        .map_or_else(|| parts.method.as_str().to_owned(), str::to_owned);
    let redactor = opts.redactor();
    let attributes = opts
        .span_attributes()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    tracing::info_span!(
        target: "clientcore",
        "http.call",
        otel.name = %name,
        otel.kind = "client",
        http.request.method = %parts.method,
        url.full = %redactor.sanitize_url(parts.url.as_str()),
        server.address = parts.url.host_str().unwrap_or(""),
        server.port = parts.url.port_or_known_default().unwrap_or(0),
        az.client_request_id = Empty,
        az.service_request_id = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        clientcore.attributes = %attributes,
    )
}

/// The span of one attempt.
pub(crate) fn attempt_span<B>(attempt: &Attempt<B>) -> Span {
    let parts = &attempt.request.parts;
    let span = tracing::debug_span!(
        target: "clientcore",
        "http.attempt",
        otel.name = %parts.method,
        otel.kind = "client",
        http.request.method = %parts.method,
        url.full = %Redactor::default().sanitize_url(parts.url.as_str()),
        server.address = parts.url.host_str().unwrap_or(""),
        server.port = parts.url.port_or_known_default().unwrap_or(0),
        http.request.resend_count = attempt.resend_count,
        az.client_request_id = Empty,
        az.service_request_id = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
    );
    if let Some(id) = parts
        .headers
        .get("x-ms-client-request-id")
        .and_then(|v| v.to_str().ok())
    {
        span.record("az.client_request_id", id);
        Span::current().record("az.client_request_id", id);
    }
    span
}

/// Records the status and service request id of a response.
pub(crate) fn record_response(span: &Span, head: &ResponseHead) {
    span.record("http.response.status_code", head.status.as_u16());
    if let Some(id) = head
        .headers
        .get("x-ms-request-id")
        .and_then(|v| v.to_str().ok())
    {
        span.record("az.service_request_id", id);
    }
    if head.status.as_u16() >= 400 {
        span.record("error.type", head.status.as_str());
    }
}

/// Records the final response on the call span.
pub(crate) fn record_done(span: &Span, head: &ResponseHead) {
    record_response(span, head);
}

/// Records a failure: the status for HTTP errors, else the error kind.
pub(crate) fn record_error(span: &Span, error: &Error) {
    match error.status() {
        Some(status) => {
            span.record("http.response.status_code", status.as_u16());
            span.record("error.type", status.as_str());
        }
        None => {
            span.record("error.type", error.kind().class_name());
        }
    }
}
