//! Retry decisions: which failures are retried, how long to wait, and when to stop.
//!
//! The rules are the seed's, with the safety fixes of ARCHITECTURE.md:
//!
//! - **Counters.** `retry_total` (10) bounds every retry; `retry_connect` (3) failures before
//!   the request was sent; `retry_read` (3) failures after it was sent; `retry_status` (3)
//!   retried statuses. A call stops as soon as one counter goes below zero.
//! - **Statuses.** 408, 429, 500, 502, 503, 504 and 506 to 998, plus any the caller adds; and
//!   any status ≥ 400 carrying `Retry-After`.
//! - **Idempotency.** GET, HEAD, PUT, DELETE, OPTIONS and TRACE are retried after read errors
//!   and statuses. POST and PATCH only after connect errors (the server never saw them), unless
//!   the caller marks the request idempotent.
//! - **Waits.** `Retry-After` (seconds or HTTP-date), `retry-after-ms` and
//!   `x-ms-retry-after-ms` are honoured, capped by `retry_after_max`; a malformed value falls
//!   back to the backoff. The backoff is `factor × 2^(n−1)` seconds after the n-th failure
//!   (n ≥ 2; the first retry is immediate), or `factor` in fixed mode, capped at
//!   `retry_backoff_max`. A wait that would pass the call's deadline fails at once instead.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method};

use crate::error::{is_retryable_status, Error, ErrorKind};

/// Exponential or fixed delays (`retry_mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryMode {
    /// `factor × 2^(n−1)`. Default.
    #[default]
    Exponential,
    /// `factor` every time.
    Fixed,
}

/// The seed's `retry_*` options. Unset fields inherit, then take the defaults.
///
/// # Examples
///
/// ```
/// use clientcore_proto::pipeline::retry::RetryOptions;
/// use std::time::Duration;
///
/// let r = RetryOptions::new().with_total(2).with_backoff_factor(0.5);
/// assert_eq!(r.total(), 2);
/// assert_eq!(r.status(), 3);
/// assert_eq!(r.backoff_max(), Duration::from_secs(120));
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct RetryOptions {
    total: Option<u32>,
    connect: Option<u32>,
    read: Option<u32>,
    status: Option<u32>,
    backoff_factor: Option<f64>,
    backoff_max: Option<Duration>,
    retry_after_max: Option<Duration>,
    mode: Option<RetryMode>,
    extra_statuses: Vec<u16>,
    idempotent: Option<bool>,
}

impl RetryOptions {
    /// Nothing set.
    pub fn new() -> Self {
        RetryOptions::default()
    }

    /// No retries at all.
    pub fn none() -> Self {
        RetryOptions::new().with_total(0)
    }

    /// Total retries (`retry_total`). Default is 10.
    #[must_use]
    pub fn with_total(mut self, n: u32) -> Self {
        self.total = Some(n);
        self
    }

    /// Retries after connect errors (`retry_connect`). Default is 3.
    #[must_use]
    pub fn with_connect(mut self, n: u32) -> Self {
        self.connect = Some(n);
        self
    }

    /// Retries after read errors (`retry_read`). Default is 3.
    #[must_use]
    pub fn with_read(mut self, n: u32) -> Self {
        self.read = Some(n);
        self
    }

    /// Retries after retried statuses (`retry_status`). Default is 3.
    #[must_use]
    pub fn with_status(mut self, n: u32) -> Self {
        self.status = Some(n);
        self
    }

    /// Seconds of the backoff unit (`retry_backoff_factor`). Default is 0.8.
    #[must_use]
    pub fn with_backoff_factor(mut self, seconds: f64) -> Self {
        self.backoff_factor = Some(if seconds.is_finite() {
            seconds.max(0.0)
        } else {
            0.0
        });
        self
    }

    /// The longest backoff (`retry_backoff_max`). Default is 120 s.
    #[must_use]
    pub fn with_backoff_max(mut self, max: Duration) -> Self {
        self.backoff_max = Some(max);
        self
    }

    /// The longest `Retry-After` wait honoured; longer ones are cut to this. Default is 300 s.
    #[must_use]
    pub fn with_retry_after_max(mut self, max: Duration) -> Self {
        self.retry_after_max = Some(max);
        self
    }

    /// Exponential or fixed (`retry_mode`). Default is exponential.
    #[must_use]
    pub fn with_mode(mut self, mode: RetryMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Also retries `status`. Default adds none.
    #[must_use]
    pub fn with_status_code(mut self, status: u16) -> Self {
        self.extra_statuses.push(status);
        self
    }

    /// Declares the request idempotent, so POST and PATCH are retried like GET. Default is
    /// `false`.
    #[must_use]
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Merges `over` on top of `self`.
    #[must_use]
    pub fn overwrite(&self, over: &RetryOptions) -> RetryOptions {
        let pick = |a: Option<u32>, b: Option<u32>| b.or(a);
        let mut extra = self.extra_statuses.clone();
        extra.extend(&over.extra_statuses);
        RetryOptions {
            total: pick(self.total, over.total),
            connect: pick(self.connect, over.connect),
            read: pick(self.read, over.read),
            status: pick(self.status, over.status),
            backoff_factor: over.backoff_factor.or(self.backoff_factor),
            backoff_max: over.backoff_max.or(self.backoff_max),
            retry_after_max: over.retry_after_max.or(self.retry_after_max),
            mode: over.mode.or(self.mode),
            extra_statuses: extra,
            idempotent: over.idempotent.or(self.idempotent),
        }
    }

    /// Total retries.
    pub fn total(&self) -> u32 {
        self.total.unwrap_or(10)
    }
    /// Connect retries.
    pub fn connect(&self) -> u32 {
        self.connect.unwrap_or(3)
    }
    /// Read retries.
    pub fn read(&self) -> u32 {
        self.read.unwrap_or(3)
    }
    /// Status retries.
    pub fn status(&self) -> u32 {
        self.status.unwrap_or(3)
    }
    /// Backoff factor in seconds.
    pub fn backoff_factor(&self) -> f64 {
        self.backoff_factor.unwrap_or(0.8)
    }
    /// Backoff cap.
    pub fn backoff_max(&self) -> Duration {
        self.backoff_max.unwrap_or(Duration::from_secs(120))
    }
    /// `Retry-After` cap.
    pub fn retry_after_max(&self) -> Duration {
        self.retry_after_max.unwrap_or(Duration::from_secs(300))
    }
    /// Mode.
    pub fn mode(&self) -> RetryMode {
        self.mode.unwrap_or_default()
    }
    /// Whether the request is declared idempotent.
    pub fn idempotent(&self) -> bool {
        self.idempotent.unwrap_or(false)
    }

    /// Whether `status` is retried.
    pub fn is_retry_status(&self, status: u16) -> bool {
        is_retryable_status(status) || self.extra_statuses.contains(&status)
    }

    /// The backoff after `failures` failures (1-based): 0 for the first, then the formula.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::pipeline::retry::RetryOptions;
    /// use std::time::Duration;
    ///
    /// let r = RetryOptions::new();
    /// let waits: Vec<_> = (1..=4).map(|n| r.backoff(n)).collect();
    /// assert_eq!(waits, [0.0, 1.6, 3.2, 6.4].map(Duration::from_secs_f64));
    /// ```
    pub fn backoff(&self, failures: u32) -> Duration {
        if failures <= 1 {
            return Duration::ZERO;
        }
        let factor = self.backoff_factor();
        let secs = match self.mode() {
            RetryMode::Fixed => factor,
            // 2^(n-1) overflows f64 range only past n = 1024; clamp first.
            RetryMode::Exponential => factor * 2f64.powi((failures - 1).min(1023).cast_signed()),
        };
        let max = self.backoff_max();
        if !secs.is_finite() || secs >= max.as_secs_f64() {
            max
        } else {
            Duration::from_secs_f64(secs)
        }
    }
}

impl fmt::Debug for RetryOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryOptions")
            .field("total", &self.total())
            .field("connect", &self.connect())
            .field("read", &self.read())
            .field("status", &self.status())
            .field("backoff_factor", &self.backoff_factor())
            .field("backoff_max", &self.backoff_max())
            .field("mode", &self.mode())
            .finish_non_exhaustive()
    }
}

/// Whether `method` may be repeated without changing the outcome (RFC 9110 §9.2.2, minus
/// nothing: the reference's list).
pub fn is_idempotent_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// The wait a response asks for: `retry-after` (seconds or HTTP-date, RFC 9110 §10.2.3), then
/// `retry-after-ms`, then `x-ms-retry-after-ms`. A malformed or non-positive value gives
/// `None`. `now` is the wall-clock time the response was received, for HTTP-dates.
///
/// # Examples
///
/// ```
/// use clientcore_proto::pipeline::retry::retry_after;
/// use std::time::{Duration, SystemTime};
///
/// let mut h = http::HeaderMap::new();
/// h.insert("retry-after", "2".parse().unwrap());
/// assert_eq!(retry_after(&h, SystemTime::now()), Some(Duration::from_secs(2)));
/// h.insert("retry-after", "soon".parse().unwrap());
/// assert_eq!(retry_after(&h, SystemTime::now()), None);
/// ```
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = value("retry-after") {
        if let Some(d) = seconds(v, 1.0) {
            return Some(d);
        }
        if let Ok(date) = httpdate::parse_http_date(v) {
            return date.duration_since(now).ok().filter(|d| !d.is_zero());
        }
    }
    ["retry-after-ms", "x-ms-retry-after-ms"]
        .into_iter()
        .find_map(|name| seconds(value(name)?, 1000.0))
}

fn seconds(v: &str, per_second: f64) -> Option<Duration> {
    let n: f64 = v.parse().ok()?;
    // Duration::try_from_secs_f64 rejects NaN, negatives and overflow instead of panicking.
    Duration::try_from_secs_f64(n / per_second)
        .ok()
        .filter(|d| !d.is_zero())
}

/// What happened on one attempt, as kept in the retry history.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The server answered with this status.
    Status(u16),
    /// The attempt failed with an error of this kind.
    Error(ErrorKind),
}

/// One attempt of a call: what happened and how long the call waited before the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The outcome.
    pub outcome: AttemptOutcome,
    /// The wait before the next attempt; `None` for the last attempt.
    pub wait: Option<Duration>,
}

/// The failure the retry policy is asked about.
#[derive(Debug)]
pub(crate) enum Failure<'a> {
    Transport(&'a Error),
    Status {
        status: u16,
        headers: &'a HeaderMap,
        received: SystemTime,
    },
}

/// Counters and history of one call.
#[derive(Debug)]
pub(crate) struct RetryState {
    total: i64,
    connect: i64,
    read: i64,
    status: i64,
    pub(crate) history: Vec<AttemptRecord>,
}

/// The answer for one failure.
#[derive(Debug, PartialEq)]
pub(crate) enum Decision {
    RetryAfter(Duration),
    Stop(Option<&'static str>),
}

impl RetryState {
    pub(crate) fn new(opts: &RetryOptions) -> Self {
        RetryState {
            total: opts.total().into(),
            connect: opts.connect().into(),
            read: opts.read().into(),
            status: opts.status().into(),
            history: Vec::new(),
        }
    }

    /// Decides on `failure`, records it, and returns the wait or the reason to stop.
    pub(crate) fn decide(
        &mut self,
        opts: &RetryOptions,
        method: &Method,
        body_replayable: bool,
        failure: &Failure<'_>,
    ) -> Decision {
        let outcome = match failure {
            Failure::Transport(e) => AttemptOutcome::Error(e.kind()),
            Failure::Status { status, .. } => AttemptOutcome::Status(*status),
        };
        self.history.push(AttemptRecord {
            outcome,
            wait: None,
        });
        let idempotent = opts.idempotent() || is_idempotent_method(method);
        let mut server_wait = None;
        let retryable = match failure {
            Failure::Transport(e) if e.is_service_request() => true,
            Failure::Transport(e) => {
                (e.is_service_response() || e.kind() == ErrorKind::IncompleteRead) && idempotent
            }
            Failure::Status {
                status,
                headers,
                received,
            } => {
                server_wait = retry_after(headers, *received);
                let has_retry_after = *status >= 400 && headers.contains_key("retry-after");
                idempotent && (opts.is_retry_status(*status) || has_retry_after)
            }
        };
        if !retryable {
            return Decision::Stop(None);
        }
        if !body_replayable {
            return Decision::Stop(Some("the request body cannot be rewound"));
        }
        self.total -= 1;
        match failure {
            Failure::Transport(e) if e.is_service_request() => self.connect -= 1,
            Failure::Transport(_) => self.read -= 1,
            Failure::Status { .. } => self.status -= 1,
        }
        if [self.total, self.connect, self.read, self.status]
            .iter()
            .any(|c| *c < 0)
        {
            return Decision::Stop(Some("retries exhausted"));
        }
        let failures = u32::try_from(self.history.len()).unwrap_or(u32::MAX);
        let wait = match server_wait {
            Some(d) => d.min(opts.retry_after_max()),
            None => opts.backoff(failures),
        };
        if let Some(last) = self.history.last_mut() {
            last.wait = Some(wait);
        }
        Decision::RetryAfter(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: &mut RetryState, opts: &RetryOptions, method: &Method, code: u16) -> Decision {
        let headers = HeaderMap::new();
        state.decide(
            opts,
            method,
            true,
            &Failure::Status {
                status: code,
                headers: &headers,
                received: SystemTime::UNIX_EPOCH,
            },
        )
    }

    #[test]
    fn reference_503_storm_sleeps() {
        // Reference, verified: 503 on every attempt sends 4 requests, sleeping [1.6, 3.2].
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        let mut waits = Vec::new();
        loop {
            match status(&mut s, &opts, &Method::GET, 503) {
                Decision::RetryAfter(d) => waits.push(d),
                Decision::Stop(_) => break,
            }
        }
        assert_eq!(s.history.len(), 4);
        assert_eq!(waits, [0.0, 1.6, 3.2].map(Duration::from_secs_f64).to_vec());
    }

    #[test]
    fn post_not_retried_on_status_unless_idempotent() {
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        assert_eq!(
            status(&mut s, &opts, &Method::POST, 503),
            Decision::Stop(None)
        );
        let opts = RetryOptions::new().with_idempotent(true);
        let mut s = RetryState::new(&opts);
        assert!(matches!(
            status(&mut s, &opts, &Method::POST, 503),
            Decision::RetryAfter(_)
        ));
    }

    #[test]
    fn connect_errors_retry_post() {
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        let e = Error::new(ErrorKind::ServiceRequest, "refused");
        let d = s.decide(&opts, &Method::POST, true, &Failure::Transport(&e));
        assert_eq!(d, Decision::RetryAfter(Duration::ZERO));
        let e = Error::new(ErrorKind::ServiceResponse, "reset");
        let d = s.decide(&opts, &Method::POST, true, &Failure::Transport(&e));
        assert_eq!(d, Decision::Stop(None));
    }

    #[test]
    fn backoff_caps() {
        let opts = RetryOptions::new();
        assert_eq!(opts.backoff(9), Duration::from_secs(120));
        assert_eq!(opts.backoff(u32::MAX), Duration::from_secs(120));
        let fixed = RetryOptions::new().with_mode(RetryMode::Fixed);
        assert_eq!(fixed.backoff(5), Duration::from_secs_f64(0.8));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut h = HeaderMap::new();
        h.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
        h.insert(
            "retry-after",
            httpdate::fmt_http_date(now + Duration::from_secs(7))
                .parse()
                .unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after", "-3".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
        h.insert("retry-after", "NaN".parse().unwrap());
        h.remove("retry-after-ms");
        assert_eq!(retry_after(&h, now), None);
    }
}
