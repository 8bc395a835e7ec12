//! The `opentelemetry` feature, end to end under both drivers: the spans reach the global
//! tracer provider (here the SDK's in-memory exporter) with the HTTP client semantic-convention
//! attributes, and the `traceparent` the server saw names the attempt span.
#![cfg(all(feature = "opentelemetry", feature = "async", feature = "blocking"))]

mod support;

use std::sync::OnceLock;

use clientcore::http::HeaderName;
use clientcore::Options;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{global, Context, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use support::{Reply, Server, TestClient};

/// The exporter behind the global tracer provider, installed once for the whole binary. Tests
/// run in parallel, so each one picks its spans by trace id.
fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        global::set_tracer_provider(provider);
        exporter
    })
}

/// The finished spans of trace `trace_id` (lower-case hex).
fn spans_of(trace_id: &str) -> Vec<SpanData> {
    exporter()
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|s| s.span_context.trace_id().to_string() == trace_id)
        .collect()
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn string(value: &str) -> Value {
    Value::from(value.to_owned())
}

/// `(trace id, span id, flags)` of a W3C `traceparent`.
fn split(traceparent: &str) -> (String, String, String) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!(parts[0], "00", "{traceparent}");
    (
        parts[1].to_owned(),
        parts[2].to_owned(),
        parts[3].to_owned(),
    )
}

both_drivers!(retry_gives_one_call_and_two_attempt_spans, |driver| {
    exporter();
    let server = Server::start([
        Reply::status(503).header("x-ms-request-id", "svc-503"),
        Reply::status(200).header("x-ms-request-id", "svc-200"),
    ]);
    let client = TestClient::fake_time(
        driver,
        Options::new().with_request_id_header(HeaderName::from_static("x-custom-id")),
    );
    let opts = Options::new()
        .with_span_name("Widgets.get")
        .with_span_attribute("az.namespace", "Microsoft.Test");
    let url = server.url("/w?api-version=1&sig=secret");
    let got = client.get(&url, &opts).unwrap();
    assert_eq!(got.status, 200);

    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    let client_id = seen[0].header("x-custom-id").unwrap();
    let (trace0, span0, flags0) = split(seen[0].header("traceparent").unwrap());
    let (trace1, span1, flags1) = split(seen[1].header("traceparent").unwrap());
    assert_eq!(trace0, trace1);
    assert_eq!((flags0.as_str(), flags1.as_str()), ("01", "01"));

    let exported = spans_of(&trace0);
    assert_eq!(exported.len(), 3, "{exported:#?}");
    let call = exported.iter().find(|s| s.name == "Widgets.get").unwrap();
    let attempt = |span_id: &str| {
        exported
            .iter()
            .find(|s| s.span_context.span_id().to_string() == span_id)
            .unwrap_or_else(|| panic!("no span {span_id} in {exported:#?}"))
    };
    let (first, second) = (attempt(&span0), attempt(&span1));

    let redacted = server.url("/w?api-version=1&sig=REDACTED");
    let port = i64::from(server.addr().port());
    for span in [call, first, second] {
        assert_eq!(span.span_kind, SpanKind::Client);
        assert_eq!(span.instrumentation_scope.name(), "clientcore");
        assert_eq!(attr(span, "http.request.method"), Some(&string("GET")));
        assert_eq!(attr(span, "url.full"), Some(&string(&redacted)));
        assert_eq!(attr(span, "server.address"), Some(&string("127.0.0.1")));
        assert_eq!(attr(span, "server.port"), Some(&Value::I64(port)));
        assert_eq!(attr(span, "az.client_request_id"), Some(&string(client_id)));
        assert_eq!(
            attr(span, "az.namespace"),
            Some(&string("Microsoft.Test")),
            "extra attributes are real attributes"
        );
    }

    // The call span: a root here (no current context), the final response.
    assert_eq!(call.parent_span_id, opentelemetry::trace::SpanId::INVALID);
    assert_eq!(
        attr(call, "http.response.status_code"),
        Some(&Value::I64(200))
    );
    assert_eq!(
        attr(call, "az.service_request_id"),
        Some(&string("svc-200"))
    );
    assert_eq!(attr(call, "error.type"), None);
    assert_eq!(attr(call, "http.request.resend_count"), None);
    assert_eq!(call.status, Status::Unset);

    // The attempts: children of the call, named by the method.
    for span in [first, second] {
        assert_eq!(span.name, "GET");
        assert_eq!(span.parent_span_id, call.span_context.span_id());
    }
    assert_eq!(
        attr(first, "http.request.resend_count"),
        Some(&Value::I64(0))
    );
    assert_eq!(
        attr(first, "http.response.status_code"),
        Some(&Value::I64(503))
    );
    assert_eq!(attr(first, "error.type"), Some(&string("503")));
    assert_eq!(
        attr(first, "az.service_request_id"),
        Some(&string("svc-503"))
    );
    assert!(matches!(first.status, Status::Error { .. }));
    assert_eq!(
        attr(second, "http.request.resend_count"),
        Some(&Value::I64(1))
    );
    assert_eq!(
        attr(second, "http.response.status_code"),
        Some(&Value::I64(200))
    );
    assert_eq!(attr(second, "error.type"), None);
    assert_eq!(
        attr(second, "az.service_request_id"),
        Some(&string("svc-200"))
    );
    assert_eq!(second.status, Status::Unset);

    // The attempts end before the call does.
    assert!(first.end_time <= second.start_time);
    assert!(second.end_time <= call.end_time);
});

both_drivers!(call_span_is_a_child_of_the_current_context, |driver| {
    exporter();
    let server = Server::start([Reply::status(404)]);
    let client = TestClient::new(driver, Options::new());
    let tracer = global::tracer("otel-test");
    let parent = tracer.start("caller");
    let cx = Context::current_with_span(parent);
    let parent_span_id = cx.span().span_context().span_id();
    let parent_trace_id = cx.span().span_context().trace_id();
    let err = {
        let _guard = cx.clone().attach();
        client
            .get(&server.url("/nope"), &Options::new())
            .unwrap_err()
    };
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    cx.span().end();

    let seen = server.requests();
    let (trace_id, span_id, _) = split(seen[0].header("traceparent").unwrap());
    assert_eq!(trace_id, parent_trace_id.to_string(), "the caller's trace");
    let spans = spans_of(&trace_id);
    assert_eq!(spans.len(), 3, "caller, call, attempt: {spans:#?}");
    let call = spans
        .iter()
        .find(|s| s.name == "GET" && s.parent_span_id == parent_span_id);
    let call = call.expect("the call span is a child of the caller's span");
    let attempt = spans
        .iter()
        .find(|s| s.span_context.span_id().to_string() == span_id)
        .unwrap();
    assert_eq!(attempt.parent_span_id, call.span_context.span_id());
    for span in [call, attempt] {
        assert_eq!(
            attr(span, "http.response.status_code"),
            Some(&Value::I64(404))
        );
        assert_eq!(attr(span, "error.type"), Some(&string("404")));
        assert!(matches!(span.status, Status::Error { .. }));
    }
});
