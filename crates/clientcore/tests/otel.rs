//! The `opentelemetry` feature, end to end under both drivers: the spans reach the global
//! tracer provider (here the SDK's in-memory exporter) with the HTTP client semantic-convention
//! attributes, and the `traceparent` the server saw names the attempt span; the metrics reach
//! the global meter provider (the SDK's in-memory metric exporter) with the same attributes and
//! durations read from the client's clock.
#![cfg(all(feature = "opentelemetry", feature = "async", feature = "blocking"))]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use clientcore::http::{HeaderName, Method};
use clientcore::{Body, Options, Request, RetryOptions};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{global, Context, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
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
    assert_eq!(attr(call, "url.scheme"), Some(&string("http")));
    assert_eq!(attr(call, "network.protocol.version"), Some(&string("1.1")));
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

/// The meter provider behind the global one and its exporter, installed once for the whole
/// binary. Tests run in parallel, so each one picks its measurements by its server's port.
fn meters() -> &'static (SdkMeterProvider, InMemoryMetricExporter) {
    static METERS: OnceLock<(SdkMeterProvider, InMemoryMetricExporter)> = OnceLock::new();
    METERS.get_or_init(|| {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        global::set_meter_provider(provider.clone());
        (provider, exporter)
    })
}

/// One histogram series: its attributes (sorted by key), count and sum.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    attributes: Vec<(String, Value)>,
    count: u64,
    sum: f64,
}

/// The series of histogram `name` whose `server.port` is `port`, exported after a flush. The
/// temporality is cumulative and other tests flush too, so each series is taken from the
/// export that counted the most of it.
fn series(name: &str, port: u16) -> Vec<Series> {
    let (provider, exporter) = meters();
    provider.force_flush().unwrap();
    let mut found: Vec<Series> = Vec::new();
    let mut unit = None;
    for resource in exporter.get_finished_metrics().unwrap() {
        for scope in resource.scope_metrics() {
            for metric in scope.metrics().filter(|m| m.name() == name) {
                assert_eq!(scope.scope().name(), "clientcore");
                unit = Some(metric.unit().to_owned());
                let points: Vec<Series> = match metric.data() {
                    AggregatedMetrics::F64(MetricData::Histogram(h)) => h
                        .data_points()
                        .map(|p| point(p.attributes(), p.count(), p.sum()))
                        .collect(),
                    AggregatedMetrics::U64(MetricData::Histogram(h)) => h
                        .data_points()
                        .map(|p| {
                            #[allow(clippy::cast_precision_loss, reason = "small test sizes")]
                            let sum = p.sum() as f64;
                            point(p.attributes(), p.count(), sum)
                        })
                        .collect(),
                    other => panic!("{name} is not a histogram: {other:?}"),
                };
                for p in points {
                    if !p
                        .attributes
                        .contains(&("server.port".to_owned(), Value::I64(i64::from(port))))
                    {
                        continue;
                    }
                    match found.iter_mut().find(|f| f.attributes == p.attributes) {
                        Some(f) if f.count < p.count => *f = p,
                        Some(_) => {}
                        None => found.push(p),
                    }
                }
            }
        }
    }
    let expected = if name.ends_with("duration") {
        "s"
    } else {
        "By"
    };
    if let Some(unit) = unit {
        assert_eq!(unit, expected, "{name}");
    }
    found.sort_by(|a, b| format!("{:?}", a.attributes).cmp(&format!("{:?}", b.attributes)));
    found
}

fn point<'a>(
    attributes: impl Iterator<Item = &'a opentelemetry::KeyValue>,
    count: u64,
    sum: f64,
) -> Series {
    let mut attributes: Vec<(String, Value)> = attributes
        .map(|kv| (kv.key.as_str().to_owned(), kv.value.clone()))
        .collect();
    attributes.sort_by(|a, b| a.0.cmp(&b.0));
    Series {
        attributes,
        count,
        sum,
    }
}

/// The attributes a series of a request to `port` has: the request's, then `extra`.
fn request_attributes(method: &str, port: u16, extra: &[(&str, Value)]) -> Vec<(String, Value)> {
    let mut attributes = vec![
        ("http.request.method".to_owned(), string(method)),
        ("server.address".to_owned(), string("127.0.0.1")),
        ("server.port".to_owned(), Value::I64(i64::from(port))),
        ("url.scheme".to_owned(), string("http")),
    ];
    attributes.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    attributes.sort_by(|a, b| a.0.cmp(&b.0));
    attributes
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() < 1e-9, "{what}: {got} != {want}");
}

both_drivers!(a_retry_records_two_attempts_and_one_call, |driver| {
    meters();
    let client = TestClient::fake_time(driver, Options::new());
    // Each attempt takes fake time on the server's side: 250 ms, then 400 ms. A clock read
    // other than the client's would see neither (and would see the real time instead).
    let clock = client.clock.clone();
    let seen = AtomicUsize::new(0);
    let server = Server::builder()
        .handler(move |_| {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                clock.advance(Duration::from_millis(250));
                Reply::status(503)
                    .header("retry-after", "2")
                    .body("busy")
                    .delay(Duration::from_millis(30))
            } else {
                clock.advance(Duration::from_millis(400));
                Reply::status(200).body("abcdefgh")
            }
        })
        .build();
    let mut request = Request::new(Method::PUT, server.url("/w?sig=secret").parse().unwrap());
    request.body = Body::from("hello");
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, "abcdefgh");
    assert_eq!(client.clock.sleeps(), [Duration::from_secs(2)]);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.body == "hello"));

    let port = server.addr().port();
    let failed = request_attributes(
        "PUT",
        port,
        &[
            ("http.response.status_code", Value::I64(503)),
            ("network.protocol.version", string("1.1")),
            ("error.type", string("503")),
        ],
    );
    let ok = request_attributes(
        "PUT",
        port,
        &[
            ("http.response.status_code", Value::I64(200)),
            ("network.protocol.version", string("1.1")),
        ],
    );

    // One series per outcome, one attempt each, timed by the fake clock exactly.
    let attempts = series("http.client.request.duration", port);
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    let first = attempts.iter().find(|s| s.attributes == failed).unwrap();
    let second = attempts.iter().find(|s| s.attributes == ok).unwrap();
    assert_eq!((first.count, second.count), (1, 1));
    assert_close(first.sum, 0.25, "the first attempt");
    assert_close(second.sum, 0.4, "the second attempt");

    // One call: both attempts and the wait between them.
    let calls = series("clientcore.call.duration", port);
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].attributes, ok);
    assert_eq!(calls[0].count, 1);
    assert_close(calls[0].sum, 2.65, "the call");

    // The body sent on each attempt, and the body each response declared.
    let sent = series("http.client.request.body.size", port);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    for s in &sent {
        assert_eq!((s.count, s.sum), (1, 5.0), "{s:?}");
    }
    let received = series("http.client.response.body.size", port);
    let busy = received.iter().find(|s| s.attributes == failed).unwrap();
    let body = received.iter().find(|s| s.attributes == ok).unwrap();
    assert_eq!((busy.count, busy.sum), (1, 4.0));
    assert_eq!((body.count, body.sum), (1, 8.0));
});

both_drivers!(errors_record_their_error_type, |driver| {
    meters();
    let client = TestClient::fake_time(driver, Options::new());

    // A transport error: no status, the error's class as `error.type`.
    let server = Server::start([Reply::reset()]);
    let err = client
        .get(
            &server.url("/gone"),
            &Options::new().with_retry(RetryOptions::new().with_total(0)),
        )
        .unwrap_err();
    assert_eq!(err.kind().class_name(), "ServiceResponseError", "{err}");
    let port = server.addr().port();
    let reset = request_attributes(
        "GET",
        port,
        &[("error.type", string("ServiceResponseError"))],
    );
    let attempts = series("http.client.request.duration", port);
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    assert_eq!((&attempts[0].attributes, attempts[0].count), (&reset, 1));
    let calls = series("clientcore.call.duration", port);
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!((&calls[0].attributes, calls[0].count), (&reset, 1));
    assert!(series("http.client.response.body.size", port).is_empty());
    assert_eq!(series("http.client.request.body.size", port).len(), 1);

    // An HTTP error: its status, and the status as `error.type`; an unknown method is
    // `_OTHER`, so that made-up methods cannot each start a series.
    let server = Server::start([Reply::status(404).body("no")]);
    let request = Request::new(
        Method::from_bytes(b"PURGE").unwrap(),
        server.url("/nope").parse().unwrap(),
    );
    let err = client.send(request, &Options::new()).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(server.requests()[0].method, "PURGE");
    let port = server.addr().port();
    let not_found = request_attributes(
        "_OTHER",
        port,
        &[
            ("http.response.status_code", Value::I64(404)),
            ("error.type", string("404")),
        ],
    );
    let with_version = {
        let mut a = not_found.clone();
        a.push(("network.protocol.version".to_owned(), string("1.1")));
        a.sort_by(|x, y| x.0.cmp(&y.0));
        a
    };
    let attempts = series("http.client.request.duration", port);
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    assert_eq!(
        (&attempts[0].attributes, attempts[0].count),
        (&with_version, 1)
    );
    let calls = series("clientcore.call.duration", port);
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!((&calls[0].attributes, calls[0].count), (&not_found, 1));
    let received = series("http.client.response.body.size", port);
    assert_eq!((received.len(), received[0].sum), (1, 2.0));
});

both_drivers!(the_throttle_gate_is_an_event_of_the_call_spans, |driver| {
    exporter();
    let server = Server::start([
        Reply::status(429).header("retry-after", "2"),
        Reply::status(200),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    // The first call, not retried, closes the gate with its 429; the second waits at it.
    let no_retry = Options::new().with_retry(clientcore::RetryOptions::none());
    client.get(&server.url("/first"), &no_retry).unwrap_err();
    client.get(&server.url("/second"), &Options::new()).unwrap();
    let origin = string(&format!("http://127.0.0.1:{}", server.addr().port()));
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    for (request, event) in seen.iter().zip(["closed", "wait"]) {
        let (trace, _, _) = split(request.header("traceparent").unwrap());
        let exported = spans_of(&trace);
        let call = exported
            .iter()
            .find(|s| s.parent_span_id == opentelemetry::trace::SpanId::INVALID)
            .unwrap();
        let gate: Vec<_> = call
            .events
            .iter()
            .filter(|e| e.name == "clientcore.throttle")
            .collect();
        assert_eq!(gate.len(), 1, "{event}: {:#?}", call.events);
        let field = |key: &str| {
            gate[0]
                .attributes
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| kv.value.clone())
        };
        assert_eq!(field("clientcore.throttle.event"), Some(string(event)));
        assert_eq!(field("clientcore.throttle.origin"), Some(origin.clone()));
        assert_eq!(field("clientcore.throttle.wait_ms"), Some(Value::I64(2000)));
    }
});
