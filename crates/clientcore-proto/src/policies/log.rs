//! HTTP logging: the reference's request and response records, redacted.
//!
//! # Levels
//!
//! Request and response records are [`Level::Debug`], as in `azure_core` and the AWS SDK for
//! Rust, and as Rust libraries do: an application that logs at INFO does not get two records
//! of headers per request. The reference implementation writes them at INFO (its
//! `HttpLoggingPolicy`'s `http_logging_level`); its full network traces (`logging_enable`,
//! the bodies) are DEBUG in both. Turn them on with a `tracing` filter such as
//! `clientcore::http=debug`. A [`LogSink`] gets every record whatever its level, with the
//! level, to filter as it likes.
//!
//! Retry decisions are written by the retry policy to `tracing` under the target
//! `clientcore::retry`: a retry at INFO, giving up on a failure that would have been retried
//! (retries or the retry budget spent, the deadline reached, a body that cannot be rewound) at
//! WARN, and a failure that is not for retrying at DEBUG. Problems that do not fail the call
//! are WARN.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::pipeline::{HookRequest, ResponseHead};
use crate::policies::redact::Redactor;

/// The level of a log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Level {
    /// Request and response records, and full network traces (`logging_enable`).
    Debug,
    /// What a call does that its caller may want to know of, such as a policy's completed
    /// registration.
    Info,
    /// Problems that do not fail the call.
    Warn,
}

/// Where a call's log records go (the seed's `logger`).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::log::{log_fn, Level};
/// use std::sync::{Arc, Mutex};
///
/// let lines = Arc::new(Mutex::new(Vec::new()));
/// let sink = {
///     let lines = lines.clone();
///     log_fn(move |_level: Level, record: &str| lines.lock().unwrap().push(record.to_owned()))
/// };
/// sink.log(Level::Info, "hello");
/// assert_eq!(lines.lock().unwrap()[0], "hello");
/// ```
pub trait LogSink: Send + Sync {
    /// Receives one record.
    fn log(&self, level: Level, record: &str);
}

/// A shared [`LogSink`].
pub type SharedLogSink = Arc<dyn LogSink>;

/// A sink made of a closure.
pub fn log_fn(f: impl Fn(Level, &str) + Send + Sync + 'static) -> SharedLogSink {
    struct LogFn<F>(F);
    impl<F: Fn(Level, &str) + Send + Sync> LogSink for LogFn<F> {
        fn log(&self, level: Level, record: &str) {
            (self.0)(level, record);
        }
    }
    Arc::new(LogFn(f))
}

/// The request record, as the reference writes it:
/// `Request URL: '…'\nRequest method: '…'\nRequest headers:\n    'name': 'value'…` and a line
/// about the body. With `full` (the seed's `logging_enable`), the body's size and the body
/// itself (cut at [`MAX_LOGGED_BODY`] characters) follow.
pub fn request_record(req: &HookRequest<'_>, redactor: &Redactor, full: bool) -> String {
    let mut s = String::with_capacity(256);
    let _ = write!(
        s,
        "Request URL: '{}'\nRequest method: '{}'\nRequest headers:",
        redactor.sanitize_url(req.parts.url.as_str()),
        req.parts.method
    );
    write_headers(&mut s, &req.parts.headers, redactor);
    match req.body {
        Some(b) if !b.is_empty() && full => {
            let _ = write!(
                s,
                "\nA body is sent with the request ({} bytes)\nBody: ",
                b.len()
            );
            write_body(&mut s, b);
        }
        Some(b) if !b.is_empty() => s.push_str("\nA body is sent with the request"),
        None if req.streaming => s.push_str("\nFile upload"),
        _ => s.push_str("\nNo body was attached to the request"),
    }
    s
}

/// How many characters of a body a full trace (`logging_enable`) shows.
pub const MAX_LOGGED_BODY: usize = 4096;

/// The record of a response body read inside the pipeline (an error body, or a buffered one),
/// for full traces: `Response body ({n} bytes): {text}`, the text cut at [`MAX_LOGGED_BODY`]
/// characters.
pub fn response_body_record(body: &[u8]) -> String {
    let mut s = format!("Response body ({} bytes): ", body.len());
    write_body(&mut s, body);
    s
}

/// Appends `body` as text (invalid UTF-8 replaced), cut at [`MAX_LOGGED_BODY`] characters.
fn write_body(s: &mut String, body: &[u8]) {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(MAX_LOGGED_BODY) {
        Some((cut, _)) => {
            s.push_str(&text[..cut]);
            s.push_str("… (cut)");
        }
        None => s.push_str(&text),
    }
}

/// The response record: `Response status: {status}\nResponse headers:…`. The body is never
/// logged.
pub fn response_record(head: &ResponseHead, redactor: &Redactor) -> String {
    let mut s = String::with_capacity(256);
    let _ = write!(
        s,
        "Response status: {}\nResponse headers:",
        head.status.as_u16()
    );
    write_headers(&mut s, &head.headers, redactor);
    s
}

fn write_headers(s: &mut String, headers: &http::HeaderMap, redactor: &Redactor) {
    for (name, value) in headers {
        let _ = write!(s, "\n    '{}': '{}'", name, redactor.header(name, value));
    }
}

/// Whether a record at `level` goes anywhere: to `sink` when there is one, else to a `tracing`
/// subscriber that wants it. Drivers build records only when it does, so a call that nobody
/// logs formats nothing.
pub fn enabled(sink: Option<&SharedLogSink>, level: Level) -> bool {
    sink.is_some()
        || match level {
            Level::Debug => tracing::enabled!(target: "clientcore::http", tracing::Level::DEBUG),
            Level::Info => tracing::enabled!(target: "clientcore::http", tracing::Level::INFO),
            Level::Warn => tracing::enabled!(target: "clientcore::http", tracing::Level::WARN),
        }
}

/// Emits `record` to `sink`, or to `tracing` when there is none.
pub fn emit(sink: Option<&SharedLogSink>, level: Level, record: &str) {
    match sink {
        Some(sink) => sink.log(level, record),
        None => match level {
            Level::Debug => tracing::debug!(target: "clientcore::http", "{record}"),
            Level::Info => tracing::info!(target: "clientcore::http", "{record}"),
            Level::Warn => tracing::warn!(target: "clientcore::http", "{record}"),
        },
    }
}

/// Emits a request or response record: whole, or with `multirecord` (the reference's
/// `AZURE_SDK_LOGGING_MULTIRECORD`) one record per line. A full trace's body (from the line
/// `Body: …` on) stays one record: its text may hold line breaks of its own.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::log::{emit_http, log_fn, Level};
/// use std::sync::{Arc, Mutex};
///
/// let lines = Arc::new(Mutex::new(Vec::new()));
/// let sink = {
///     let lines = lines.clone();
///     log_fn(move |_: Level, record: &str| lines.lock().unwrap().push(record.to_owned()))
/// };
/// let record = "Response status: 200\nResponse headers:\n    'etag': '\"1\"'";
/// emit_http(Some(&sink), Level::Debug, record, true);
/// assert_eq!(
///     *lines.lock().unwrap(),
///     ["Response status: 200", "Response headers:", "    'etag': '\"1\"'"]
/// );
/// ```
pub fn emit_http(sink: Option<&SharedLogSink>, level: Level, record: &str, multirecord: bool) {
    if !multirecord {
        return emit(sink, level, record);
    }
    let (lines, body) = match record.find("\nBody: ") {
        Some(at) => (&record[..at], Some(&record[at + 1..])),
        None => (record, None),
    };
    for line in lines.split('\n') {
        emit(sink, level, line);
    }
    if let Some(body) = body {
        emit(sink, level, body);
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
        })
    }
}
