//! OpenTelemetry metrics (the `opentelemetry` feature): the HTTP client instruments of the
//! semantic conventions and the call duration, recorded through the global meter provider.
//! What is recorded and with which attributes is in the `trace` module docs, "Metrics".
//!
//! Every duration is read from the client's [`Clock`], the one the pipeline decides with:
//! a test's fake clock gives exact durations, and no other clock is read.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use clientcore_proto::pipeline::{RequestParts, ResponseHead};
use clientcore_proto::time::Clock;
use clientcore_proto::Error;
use http::{Method, StatusCode, Version};
use opentelemetry::metrics::{Histogram, MeterProvider};
use opentelemetry::{global, InstrumentationScope, KeyValue};

/// The attempt duration (semantic conventions, HTTP client metrics).
pub(crate) const REQUEST_DURATION: &str = "http.client.request.duration";
/// The request body size (semantic conventions, HTTP client metrics).
pub(crate) const REQUEST_BODY_SIZE: &str = "http.client.request.body.size";
/// The response body size (semantic conventions, HTTP client metrics).
pub(crate) const RESPONSE_BODY_SIZE: &str = "http.client.response.body.size";
/// The duration of a whole call: the conventions have no instrument for a call made of
/// several attempts, so it is clientcore's own.
pub(crate) const CALL_DURATION: &str = "clientcore.call.duration";

/// The bucket boundaries the conventions advise for `http.client.request.duration`, in
/// seconds.
const DURATION_BOUNDARIES: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// A call's retries and their waits can last minutes: the attempts' buckets and a few more.
const CALL_BOUNDARIES: [f64; 18] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 30.0, 60.0,
    120.0, 300.0,
];

/// The four instruments, made once per meter provider.
#[derive(Debug)]
pub(crate) struct Instruments {
    request_duration: Histogram<f64>,
    request_body_size: Histogram<u64>,
    response_body_size: Histogram<u64>,
    call_duration: Histogram<f64>,
}

/// The global meter provider that [`CACHE`]'s instruments came from, and those instruments.
type Cached = (Arc<dyn MeterProvider + Send + Sync>, Arc<Instruments>);

/// Instruments are made once, not per call; but an application may install its meter provider
/// after a first call (a library cannot know), so the cache is keyed by the provider.
static CACHE: RwLock<Option<Cached>> = RwLock::new(None);

impl Instruments {
    /// The instruments of the global meter provider: the cached ones unless the provider has
    /// changed since they were made. One read lock and two reference counts per call.
    fn global() -> Arc<Instruments> {
        let provider = global::meter_provider();
        if let Some((cached, instruments)) = &*CACHE.read().unwrap_or_else(PoisonError::into_inner)
        {
            if std::ptr::addr_eq(Arc::as_ptr(cached), Arc::as_ptr(&provider)) {
                return instruments.clone();
            }
        }
        let instruments = Arc::new(Instruments::new(&*provider));
        *CACHE.write().unwrap_or_else(PoisonError::into_inner) =
            Some((provider, instruments.clone()));
        instruments
    }

    fn new(provider: &(dyn MeterProvider + Send + Sync)) -> Instruments {
        let meter = provider.meter_with_scope(
            InstrumentationScope::builder("clientcore")
                .with_version(env!("CARGO_PKG_VERSION"))
                .build(),
        );
        Instruments {
            request_duration: meter
                .f64_histogram(REQUEST_DURATION)
                .with_unit("s")
                .with_description("Duration of HTTP client requests.")
                .with_boundaries(DURATION_BOUNDARIES.to_vec())
                .build(),
            request_body_size: meter
                .u64_histogram(REQUEST_BODY_SIZE)
                .with_unit("By")
                .with_description("Size of HTTP client request bodies.")
                .build(),
            response_body_size: meter
                .u64_histogram(RESPONSE_BODY_SIZE)
                .with_unit("By")
                .with_description("Size of HTTP client response bodies.")
                .build(),
            call_duration: meter
                .f64_histogram(CALL_DURATION)
                .with_unit("s")
                .with_description(
                    "Duration of clientcore calls: every attempt and every wait between them, \
                     up to the response head or the error the caller gets.",
                )
                .with_boundaries(CALL_BOUNDARIES.to_vec())
                .build(),
        }
    }
}

/// The attributes every measurement of a request starts with (the conventions' required and
/// recommended ones that the request alone decides). Capacity for the outcome's three.
fn request_attributes(parts: &RequestParts) -> Vec<KeyValue> {
    let url = &parts.url;
    let mut attributes = Vec::with_capacity(7);
    attributes.push(KeyValue::new("http.request.method", method(&parts.method)));
    attributes.push(KeyValue::new(
        "server.address",
        url.host_str().unwrap_or("").to_owned(),
    ));
    attributes.push(KeyValue::new(
        "server.port",
        i64::from(super::trace::port(url)),
    ));
    // The two schemes the default transport serves without an allocation.
    let scheme: opentelemetry::Value = match url.scheme() {
        "https" => "https".into(),
        "http" => "http".into(),
        other => other.to_owned().into(),
    };
    attributes.push(KeyValue::new("url.scheme", scheme));
    attributes
}

/// `http.request.method`: a method the conventions know, else `_OTHER`, as they ask, so that
/// a caller's made-up methods cannot each start a new series.
fn method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => "_OTHER",
    }
}

/// `network.protocol.version` as the conventions spell it.
pub(crate) fn protocol_version(version: Version) -> Option<&'static str> {
    match version {
        Version::HTTP_09 => Some("0.9"),
        Version::HTTP_10 => Some("1.0"),
        Version::HTTP_11 => Some("1.1"),
        Version::HTTP_2 => Some("2"),
        Version::HTTP_3 => Some("3"),
        _ => None,
    }
}

/// Adds what a response says: its status, its protocol version and, for a 4xx or 5xx, the
/// status as `error.type`.
fn push_response(attributes: &mut Vec<KeyValue>, head: &ResponseHead) {
    push_status(attributes, head.status);
    if let Some(version) = protocol_version(head.version) {
        attributes.push(KeyValue::new("network.protocol.version", version));
    }
    if head.status.is_client_error() || head.status.is_server_error() {
        attributes.push(KeyValue::new("error.type", head.status.as_str().to_owned()));
    }
}

fn push_status(attributes: &mut Vec<KeyValue>, status: StatusCode) {
    attributes.push(KeyValue::new(
        "http.response.status_code",
        i64::from(status.as_u16()),
    ));
}

/// Adds what an error says: its status when it is an HTTP error, and `error.type`, as the spans
/// record them.
fn push_error(attributes: &mut Vec<KeyValue>, error: &Error) {
    if let Some(status) = error.status() {
        push_status(attributes, status);
    }
    attributes.push(KeyValue::new("error.type", super::trace::error_type(error)));
}

/// Seconds between two readings of the clock (zero if it went backwards, as a fake one may
/// not, but a custom one might).
fn seconds(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64()
}

// ===== impl CallMetrics =====

/// What a call keeps to measure itself and its attempts.
pub(crate) struct CallMetrics {
    instruments: Arc<Instruments>,
    clock: Arc<dyn Clock>,
    started: Instant,
    /// The request's attributes, as the caller built it.
    attributes: Vec<KeyValue>,
}

impl std::fmt::Debug for CallMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallMetrics")
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl CallMetrics {
    /// Starts measuring a call of `parts` on `clock`, now.
    pub(crate) fn start(parts: &RequestParts, clock: &Arc<dyn Clock>) -> CallMetrics {
        CallMetrics {
            instruments: Instruments::global(),
            started: clock.now(),
            clock: clock.clone(),
            attributes: request_attributes(parts),
        }
    }

    /// Starts measuring an attempt of `parts`, with a body of `body_len` bytes when known.
    pub(crate) fn attempt(&self, parts: &RequestParts, body_len: Option<u64>) -> AttemptMetrics {
        AttemptMetrics {
            instruments: self.instruments.clone(),
            started: self.clock.now(),
            attributes: request_attributes(parts),
            body_len,
            head_only: parts.method == Method::HEAD,
        }
    }

    /// Records the call's duration, ended with `head`.
    pub(crate) fn done(&mut self, head: &ResponseHead) {
        let mut attributes = std::mem::take(&mut self.attributes);
        push_response(&mut attributes, head);
        self.record(&attributes);
    }

    /// Records the call's duration, ended with `error`.
    pub(crate) fn failed(&mut self, error: &Error) {
        let mut attributes = std::mem::take(&mut self.attributes);
        push_error(&mut attributes, error);
        self.record(&attributes);
    }

    fn record(&self, attributes: &[KeyValue]) {
        let elapsed = seconds(self.started, self.clock.now());
        self.instruments.call_duration.record(elapsed, attributes);
    }
}

// ===== impl AttemptMetrics =====

/// What an attempt keeps to measure itself.
#[derive(Debug)]
pub(crate) struct AttemptMetrics {
    instruments: Arc<Instruments>,
    started: Instant,
    attributes: Vec<KeyValue>,
    body_len: Option<u64>,
    /// A HEAD: the response's `Content-Length` is the size of the body a GET would get.
    head_only: bool,
}

impl AttemptMetrics {
    /// Records the attempt, answered with `head`: its duration, the request body's size when
    /// known, and the response body's when the response declares it.
    pub(crate) fn response(&self, clock: &dyn Clock, head: &ResponseHead) {
        let elapsed = seconds(self.started, clock.now());
        let mut attributes = self.attributes.clone();
        push_response(&mut attributes, head);
        self.instruments
            .request_duration
            .record(elapsed, &attributes);
        if let Some(len) = self.body_len {
            self.instruments.request_body_size.record(len, &attributes);
        }
        if let Some(len) = self.response_len(head) {
            self.instruments.response_body_size.record(len, &attributes);
        }
    }

    /// Records the attempt, ended by the transport with `error`: its duration and the request
    /// body's size when known (how much of it was sent is not known; the conventions measure
    /// the body, not the bytes on the wire).
    pub(crate) fn failed(&self, clock: &dyn Clock, error: &Error) {
        let elapsed = seconds(self.started, clock.now());
        let mut attributes = self.attributes.clone();
        push_error(&mut attributes, error);
        self.instruments
            .request_duration
            .record(elapsed, &attributes);
        if let Some(len) = self.body_len {
            self.instruments.request_body_size.record(len, &attributes);
        }
    }

    /// The size of the response body as transferred: none for a HEAD, a 204 or a 304 (RFC 9110,
    /// 6.4.1), else the `Content-Length` when the response has one. A body of unknown length
    /// (chunked, or decoded by the transport) is not measured: counting it would mean
    /// counting the caller's reads, which may end long after the call.
    fn response_len(&self, head: &ResponseHead) -> Option<u64> {
        if self.head_only
            || head.status == StatusCode::NO_CONTENT
            || head.status == StatusCode::NOT_MODIFIED
            || head.status.is_informational()
        {
            return Some(0);
        }
        head.headers
            .get(http::header::CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .parse()
            .ok()
    }
}
