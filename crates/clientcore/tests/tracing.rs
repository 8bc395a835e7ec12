//! The `tracing` spans of a call, end to end under both drivers: one `http.call` span and one
//! `http.attempt` child per attempt, with the OpenTelemetry HTTP client semantic-convention
//! fields, the W3C `traceparent` each attempt carried, and no secret in any field.
#![cfg(all(feature = "async", feature = "blocking"))]

mod support;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use clientcore::http::header::AUTHORIZATION;
use clientcore::http::{HeaderName, HeaderValue, Method};
use clientcore::{ErrorKind, Options, Request, RetryOptions};
use support::{Driver, Reply, Server, TestClient};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

// ===== a capturing layer =====

/// A closed span: its name, its fields as text, and its parent.
#[derive(Clone, Debug)]
struct Captured {
    seq: u64,
    parent: Option<u64>,
    name: &'static str,
    target: String,
    fields: BTreeMap<String, String>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// The fields of an open span, kept in its registry extensions.
#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// A span's identity in the capture, independent of registry id reuse.
struct Seq(u64);

/// Records every span as it closes.
#[derive(Clone, Default)]
struct Capture {
    next: Arc<AtomicU64>,
    closed: Arc<Mutex<Vec<Captured>>>,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("new span is registered");
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let mut ext = span.extensions_mut();
        ext.insert(fields);
        ext.insert(Seq(self.next.fetch_add(1, Ordering::Relaxed)));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("recorded span is registered");
        let mut ext = span.extensions_mut();
        if let Some(fields) = ext.get_mut::<Fields>() {
            values.record(fields);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).expect("closed span is registered");
        let ext = span.extensions();
        let parent = span
            .parent()
            .and_then(|p| p.extensions().get::<Seq>().map(|s| s.0));
        self.closed.lock().unwrap().push(Captured {
            seq: ext.get::<Seq>().map_or(u64::MAX, |s| s.0),
            parent,
            name: span.name(),
            target: span.metadata().target().to_owned(),
            fields: ext.get::<Fields>().map(|f| f.0.clone()).unwrap_or_default(),
        });
    }
}

/// The spans of `clientcore` that closed while `body` ran on this thread, in creation order:
/// the call span first, then its attempts.
fn capture(body: impl FnOnce()) -> (Captured, Vec<Captured>) {
    let layer = Capture::default();
    let subscriber = tracing_subscriber::registry().with(layer.clone());
    tracing::subscriber::with_default(subscriber, body);
    let mut spans: Vec<Captured> = layer
        .closed
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.target == "clientcore")
        .cloned()
        .collect();
    spans.sort_by_key(|s| s.seq);
    let calls: Vec<&Captured> = spans.iter().filter(|s| s.name == "http.call").collect();
    assert_eq!(calls.len(), 1, "one call span: {spans:#?}");
    let call = calls[0].clone();
    let attempts: Vec<Captured> = spans
        .iter()
        .filter(|s| s.name == "http.attempt")
        .cloned()
        .collect();
    assert_eq!(
        spans.len(),
        attempts.len() + 1,
        "only call and attempt spans: {spans:#?}"
    );
    for a in &attempts {
        assert_eq!(a.parent, Some(call.seq), "attempt is a child of the call");
    }
    (call, attempts)
}

/// `00-{32 hex}-{16 hex}-{2 hex}`, ids not all zero (W3C Trace Context 3.2).
fn parse_traceparent(value: &str) -> (String, String, String) {
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "{value}");
    assert_eq!(parts[0], "00", "{value}");
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && s.bytes().any(|b| b != b'0')
    };
    assert!(hex(parts[1], 32), "trace id of {value}");
    assert!(hex(parts[2], 16), "span id of {value}");
    assert_eq!(parts[3].len(), 2, "{value}");
    (
        parts[1].to_owned(),
        parts[2].to_owned(),
        parts[3].to_owned(),
    )
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ===== tests =====

both_drivers!(success_call_and_attempt_spans, |driver| {
    let server = Server::start([Reply::status(200)
        .header("x-ms-request-id", "service-id-1")
        .body("ok")]);
    let url = server.url("/widgets?api-version=2024-01-01&sig=top-secret-sig");
    let request_id_header = HeaderName::from_static("x-custom-request-id");
    let client = TestClient::new(
        driver,
        Options::new().with_request_id_header(request_id_header.clone()),
    );
    let opts = Options::new()
        .with_span_name("Widgets.get")
        .with_span_attribute("az.namespace", "Microsoft.Test")
        .with_span_attribute("tenant", "t1");
    let mut got = None;
    let (call, attempts) = capture(|| {
        got = Some(client.get(&url, &opts).unwrap());
    });
    let got = got.unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, "ok");

    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    let client_id = seen[0].header("x-custom-request-id").unwrap().to_owned();
    assert!(seen[0].header("x-ms-client-request-id").is_none());
    let traceparent = seen[0].header("traceparent").unwrap().to_owned();
    let (trace_id, span_id, flags) = parse_traceparent(&traceparent);
    assert_eq!(flags, "01", "sampled");
    assert!(!trace_id.is_empty() && !span_id.is_empty());

    let port = server.addr().port().to_string();
    let redacted = server.url("/widgets?api-version=2024-01-01&sig=REDACTED");
    assert_eq!(call.field("otel.name"), Some("Widgets.get"));
    assert_eq!(call.field("otel.kind"), Some("client"));
    assert_eq!(call.field("http.request.method"), Some("GET"));
    assert_eq!(call.field("url.full"), Some(redacted.as_str()));
    assert_eq!(call.field("server.address"), Some("127.0.0.1"));
    assert_eq!(call.field("server.port"), Some(port.as_str()));
    assert_eq!(call.field("http.response.status_code"), Some("200"));
    assert_eq!(call.field("error.type"), None);
    assert_eq!(call.field("az.client_request_id"), Some(client_id.as_str()));
    assert_eq!(call.field("az.service_request_id"), Some("service-id-1"));
    assert_eq!(
        call.field("clientcore.attributes"),
        Some("az.namespace=Microsoft.Test tenant=t1")
    );

    assert_eq!(attempts.len(), 1);
    let a = &attempts[0];
    assert_eq!(a.field("otel.name"), Some("GET"));
    assert_eq!(a.field("otel.kind"), Some("client"));
    assert_eq!(a.field("http.request.method"), Some("GET"));
    assert_eq!(a.field("url.full"), Some(redacted.as_str()));
    assert_eq!(a.field("server.address"), Some("127.0.0.1"));
    assert_eq!(a.field("server.port"), Some(port.as_str()));
    assert_eq!(a.field("http.request.resend_count"), Some("0"));
    assert_eq!(a.field("http.response.status_code"), Some("200"));
    assert_eq!(a.field("error.type"), None);
    assert_eq!(a.field("az.client_request_id"), Some(client_id.as_str()));
    assert_eq!(a.field("az.service_request_id"), Some("service-id-1"));
    assert_eq!(
        a.field("http.request.header.traceparent"),
        Some(traceparent.as_str())
    );
    assert_eq!(
        a.field("clientcore.attributes"),
        Some("az.namespace=Microsoft.Test tenant=t1")
    );
});

both_drivers!(retry_attempts_share_trace_id_with_new_span_ids, |driver| {
    let server = Server::start([Reply::status(503), Reply::status(200)]);
    let client = TestClient::fake_time(driver, Options::new());
    let mut got = None;
    let (call, attempts) = capture(|| {
        got = Some(client.get(&server.url("/r"), &Options::new()).unwrap());
    });
    assert_eq!(got.unwrap().status, 200);
    // Default span name: the method.
    assert_eq!(call.field("otel.name"), Some("GET"));
    assert_eq!(call.field("http.response.status_code"), Some("200"));
    assert_eq!(call.field("error.type"), None);
    assert_eq!(call.field("clientcore.attributes"), None);

    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].field("http.request.resend_count"), Some("0"));
    assert_eq!(attempts[0].field("http.response.status_code"), Some("503"));
    assert_eq!(attempts[0].field("error.type"), Some("503"));
    assert_eq!(attempts[1].field("http.request.resend_count"), Some("1"));
    assert_eq!(attempts[1].field("http.response.status_code"), Some("200"));
    assert_eq!(attempts[1].field("error.type"), None);

    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    let first = seen[0].header("traceparent").unwrap();
    let second = seen[1].header("traceparent").unwrap();
    let (t0, s0, _) = parse_traceparent(first);
    let (t1, s1, _) = parse_traceparent(second);
    assert_eq!(t0, t1, "one trace per call");
    assert_ne!(s0, s1, "one span id per attempt");
    assert_eq!(
        attempts[0].field("http.request.header.traceparent"),
        Some(first)
    );
    assert_eq!(
        attempts[1].field("http.request.header.traceparent"),
        Some(second)
    );
});

both_drivers!(http_error_records_status_as_error_type, |driver| {
    let server = Server::start([Reply::status(404)
        .header("x-ms-request-id", "service-id-404")
        .header("content-type", "application/json")
        .body(r#"{"error":{"code":"NotHere","message":"gone"}}"#)]);
    let client = TestClient::new(driver, Options::new());
    let mut err = None;
    let (call, attempts) = capture(|| {
        err = Some(
            client
                .get(&server.url("/missing"), &Options::new())
                .unwrap_err(),
        );
    });
    assert_eq!(err.unwrap().kind(), ErrorKind::ResourceNotFound);
    assert_eq!(server.requests().len(), 1);

    assert_eq!(call.field("http.response.status_code"), Some("404"));
    assert_eq!(call.field("error.type"), Some("404"));
    assert_eq!(call.field("az.service_request_id"), Some("service-id-404"));
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].field("http.response.status_code"), Some("404"));
    assert_eq!(attempts[0].field("error.type"), Some("404"));
    assert_eq!(
        attempts[0].field("az.service_request_id"),
        Some("service-id-404")
    );
});

both_drivers!(connection_refused_records_error_class, |driver| {
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}/nobody");
    let client = TestClient::fake_time(driver, Options::new());
    let opts = Options::new().with_retry(RetryOptions::new().with_total(1));
    let mut err = None;
    let (call, attempts) = capture(|| {
        err = Some(client.get(&url, &opts).unwrap_err());
    });
    assert_eq!(err.unwrap().kind(), ErrorKind::ServiceRequest);

    assert_eq!(call.field("error.type"), Some("ServiceRequestError"));
    assert_eq!(call.field("http.response.status_code"), None);
    assert_eq!(call.field("server.port"), Some(port.to_string().as_str()));
    assert_eq!(attempts.len(), 2, "connect errors are retried");
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(a.field("error.type"), Some("ServiceRequestError"));
        assert_eq!(a.field("http.response.status_code"), None);
        assert_eq!(
            a.field("http.request.resend_count"),
            Some(i.to_string().as_str())
        );
    }
});

both_drivers!(no_secret_reaches_a_span_field, |driver| {
    let server = Server::start([Reply::status(503), Reply::status(200)]);
    let url = server.url("/p?sig=query-secret-value&se=expiry-secret&api-version=1");
    let client = TestClient::fake_time(
        driver,
        Options::new().with_header(
            AUTHORIZATION,
            HeaderValue::from_static("Bearer header-secret-token"),
        ),
    );
    let request = Request::new(Method::PUT, url.parse().unwrap())
        .with_header(
            HeaderName::from_static("proxy-authorization"),
            HeaderValue::from_static("Basic proxy-secret"),
        )
        .with_body("data".into());
    let opts = Options::new().with_retry(RetryOptions::new().with_idempotent(true));
    let mut got = None;
    let (call, attempts) = capture(|| {
        got = Some(client.send(request, &opts).unwrap());
    });
    assert_eq!(got.unwrap().status, 200);

    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer header-secret-token")
    );
    assert_eq!(attempts.len(), 2);
    let expected = server.url("/p?sig=REDACTED&se=REDACTED&api-version=1");
    for span in std::iter::once(&call).chain(&attempts) {
        assert_eq!(span.field("url.full"), Some(expected.as_str()));
        assert_eq!(span.field("http.request.method"), Some("PUT"));
        for (name, value) in &span.fields {
            for secret in [
                "query-secret-value",
                "header-secret-token",
                "proxy-secret",
                "expiry-secret",
            ] {
                assert!(
                    !value.contains(secret),
                    "{} field {name} = {value:?} leaks {secret}",
                    span.name
                );
            }
        }
    }
    let _ = Driver::Async;
});

both_drivers!(caller_traceparent_is_kept, |driver| {
    let theirs = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let server = Server::start([Reply::status(200)]);
    let client = TestClient::new(driver, Options::new());
    let opts = Options::new().with_header(
        HeaderName::from_static("traceparent"),
        HeaderValue::from_static(theirs),
    );
    let mut got = None;
    let (_call, attempts) = capture(|| {
        got = Some(client.get(&server.url("/t"), &opts).unwrap());
    });
    assert_eq!(got.unwrap().status, 200);
    let seen = server.requests();
    let all: Vec<&str> = seen[0]
        .headers
        .get_all("traceparent")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(all, [theirs]);
    assert_eq!(
        attempts[0].field("http.request.header.traceparent"),
        Some(theirs)
    );
});

both_drivers!(user_info_is_not_in_url_full, |driver| {
    let server = Server::start([Reply::status(200)]);
    let url = format!("http://user:pa55word@{}/u?k=v", server.addr());
    let client = TestClient::new(driver, Options::new());
    let mut got = None;
    let (call, attempts) = capture(|| {
        got = Some(client.get(&url, &Options::new()).unwrap());
    });
    assert_eq!(got.unwrap().status, 200);
    let expected = server.url("/u?k=REDACTED");
    assert_eq!(call.field("url.full"), Some(expected.as_str()));
    assert_eq!(attempts[0].field("url.full"), Some(expected.as_str()));
});
