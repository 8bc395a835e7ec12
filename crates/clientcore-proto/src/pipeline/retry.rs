//! Retry decisions: which failures are retried, how long to wait, and when to stop.
//!
//! A retry is a bet that the next attempt will do better than this one. The bet is safe only
//! when the request may be repeated, cheap only when few calls make it at once, and polite only
//! when the waits leave the service room to recover. Every rule below serves one of the three.
//!
//! # Counters
//!
//! The seed's counters bound one call: `retry_total` (10) bounds every retry; `retry_connect`
//! (3) the failures before the request was sent; `retry_read` (3) the failures after it was sent
//! (resets, timeouts, truncated bodies); `retry_status` (3) the retried statuses. A call stops as
//! soon as one counter goes below zero, so with the defaults a service that answers 503 forever
//! sees 4 requests. A call also stops when a wait would pass its deadline (`timeout`, 7 days by
//! default): it fails at once with a timeout error that says so, rather than sleeping past it.
//!
//! # Who decides: the priority order
//!
//! For each failed attempt, first one answer says whether the failure is worth retrying, then
//! every limit may still refuse:
//!
//! | # | Rule | Role |
//! |---|------|------|
//! | 1 | Custom classifiers ([`ClassifyRetry`]), in the order added: the first answer that is not [`RetryAction::NoOpinion`] wins. [`Forbid`](RetryAction::Forbid) stops; [`Retry`](RetryAction::Retry) retries, even a POST, with its own wait if it gives one. | Decides; overrides 2 |
//! | 2 | The built-in classifier: idempotency, the retried statuses, `Retry-After`. | Decides when every classifier has no opinion |
//! | 3 | A body that cannot be rewound is never re-sent (the error says why). | Limit |
//! | 4 | The counters above. | Limit: a classifier cannot retry forever |
//! | 5 | The client's [`RetryBudget`]. | Limit |
//! | 6 | The deadline: a wait that would pass it fails the call at once. | Limit |
//!
//! Classifiers come before the built-in rules because they know the service (an error code that
//! means "try again", a 409 that never will); the limits come after every classifier because
//! they protect the client and the service from a classifier's mistake. The counters are
//! charged before the budget, so a call that would stop anyway takes no tokens.
//!
//! # The built-in classifier
//!
//! - **Statuses.** 408, 429, 500, 502, 503, 504 and 506 to 998, plus any the caller adds; and
//!   any status ≥ 400 carrying `Retry-After`.
//! - **Idempotency.** GET, HEAD, PUT, DELETE, OPTIONS and TRACE are retried after read errors
//!   and statuses. POST and PATCH are retried after connect errors (the server never saw them;
//!   the reference never retries them there), and otherwise only when the caller marks the
//!   request idempotent ([`RetryOptions::with_idempotent`]) or asks for an idempotency key
//!   ([`RetryOptions::with_idempotency_key`]): the same generated key on every attempt lets the
//!   server recognise a repeat.
//!
//! # Waits
//!
//! `Retry-After` (seconds or HTTP-date, RFC 9110 §10.2.3), `retry-after-ms` and
//! `x-ms-retry-after-ms` are honoured on every retry, capped by `retry_after_max` (300 s), so a
//! hostile or buggy header cannot park a call for days. A malformed value falls back to the
//! backoff (the reference raises `ValueError` out of the pipeline). Otherwise the backoff is
//! `factor × 2^(n−1)` seconds after the n-th failure (n ≥ 2; the first retry is immediate), or
//! `factor` in fixed mode, capped at `retry_backoff_max`.
//!
//! # Jitter
//!
//! Clients that fail together retry together: without jitter, a thousand clients cut off by
//! the same outage come back in the same millisecond. [`Jitter::Full`] waits a uniform random
//! time in `[0, backoff]` (the best spread, as the AWS architecture blog's "Exponential Backoff
//! And Jitter" measured); [`Jitter::Equal`] waits in `[backoff/2, backoff]`, keeping half the
//! wait. Jitter applies to the backoff only: a server's `Retry-After` is obeyed as sent.
//!
//! **The default is [`Jitter::None`]**, because the seed specifies the exact formula and its
//! waits (0, 1.6, 3.2 s…), and SDKs built on it document those waits. The retry budget below
//! is what bounds a storm; turn jitter on (`Equal` is a good choice) for fleets of clients.
//! Randomness comes from a per-call generator seeded from the OS; tests inject a
//! [`SharedRandom`] (seeded or fixed) so that jittered waits are exact.
//!
//! # The retry budget
//!
//! The counters bound one call, not a client: when a service fails every request, a client
//! running 64 calls at once sends up to 4 × 64 requests, and the extra load arrives exactly when
//! the service can least take it. A [`RetryBudget`] is a token bucket shared by every call of a
//! client, like the AWS SDKs' retry quota: each retry takes [`RetryBudget::DEFAULT_RETRY_COST`]
//! tokens (5; [`RetryBudget::DEFAULT_TIMEOUT_COST`], 10, after a timeout, since a timed-out
//! request may still hold server resources); each success puts back the cost of the retry that
//! led to it, or [`RetryBudget::DEFAULT_SUCCESS_REFILL`] (1) token when it needed none. The
//! bucket holds [`RetryBudget::DEFAULT_CAPACITY`] (500) tokens, so a healthy client never
//! notices it, while a client whose every call fails stops retrying after 100 retries and
//! sends roughly one request per call until successes refill it. First attempts are never
//! refused.
//!
//! Clients create one budget when they are built and share it across clones; a call may bring
//! its own ([`RetryOptions::with_budget`]), or [`RetryBudget::unlimited`] to opt out. An
//! [`Exchange`](crate::pipeline::Exchange) made without one has no budget.
//!
//! # History
//!
//! Every failed attempt is recorded as an [`AttemptRecord`]: its status or error kind, and the
//! wait before the next attempt. The history is on the final response
//! ([`Completion::retries`](crate::pipeline::Completion::retries): the attempts before it) and
//! on the error ([`Error::retry_history`]: every attempt, the last one included).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, Method, StatusCode};

use crate::error::{is_retryable_status, Error, ErrorKind};
use crate::format::ServiceError;
use crate::pipeline::RequestParts;

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

/// How the backoff is randomised. See the [module docs](self#jitter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jitter {
    /// The backoff exactly, as the seed specifies. Default.
    #[default]
    None,
    /// A uniform random wait in `[0, backoff]`.
    Full,
    /// A uniform random wait in `[backoff / 2, backoff]`.
    Equal,
}

/// The seed's `retry_*` options, plus clientcore's jitter, budget, classifiers and
/// idempotency key. Unset fields inherit, then take the defaults.
///
/// # Examples
///
/// ```
/// use clientcore_proto::pipeline::retry::{Jitter, RetryOptions};
/// use std::time::Duration;
///
/// let r = RetryOptions::new().with_total(2).with_backoff_factor(0.5);
/// assert_eq!(r.total(), 2);
/// assert_eq!(r.status(), 3);
/// assert_eq!(r.backoff_max(), Duration::from_secs(120));
/// assert_eq!(r.jitter(), Jitter::None);
/// ```
#[derive(Clone, Default)]
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
    jitter: Option<Jitter>,
    random: Option<SharedRandom>,
    budget: Option<RetryBudget>,
    classifiers: Vec<SharedRetryClassifier>,
    idempotency_key: Option<IdempotencyKey>,
}

// ===== impl RetryOptions =====

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

    /// Seconds of the backoff unit (`retry_backoff_factor`). Negative or non-finite values
    /// count as 0. Default is 0.8.
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

    /// The longest `Retry-After` (or classifier-given) wait honoured; longer ones are cut to
    /// this. Default is 300 s.
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

    /// Randomises the backoff. Default is [`Jitter::None`] (see the
    /// [module docs](self#jitter) for why).
    #[must_use]
    pub fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Where jitter takes its random numbers from. Default is a per-call generator seeded
    /// from the operating system; tests pass [`SharedRandom::seeded`] or
    /// [`SharedRandom::fixed`].
    #[must_use]
    pub fn with_random(mut self, random: SharedRandom) -> Self {
        self.random = Some(random);
        self
    }

    /// Draws retries from `budget`, shared by every call that holds a clone of it. Default is
    /// the client's own budget ([`RetryBudget::new`], created when the client is built).
    #[must_use]
    pub fn with_budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Adds a classifier, asked after the ones added before it and before the built-in rules.
    /// Default is none.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::pipeline::retry::{classify_fn, RetryAction, RetryOptions};
    ///
    /// // Never retry a throttled call of a batch job: it has its own scheduler.
    /// let r = RetryOptions::new().with_classifier(classify_fn(|ctx| {
    ///     if ctx.status().map(|s| s.as_u16()) == Some(429) {
    ///         RetryAction::Forbid
    ///     } else {
    ///         RetryAction::NoOpinion
    ///     }
    /// }));
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn with_classifier(mut self, classifier: SharedRetryClassifier) -> Self {
        self.classifiers.push(classifier);
        self
    }

    /// Sends a generated idempotency key, the same on every attempt of the call, which makes
    /// POST and PATCH retryable like GET. A header the request already carries is kept.
    /// Default is none.
    #[must_use]
    pub fn with_idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key = Some(key);
        self
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.total.is_none()
            && self.connect.is_none()
            && self.read.is_none()
            && self.status.is_none()
            && self.backoff_factor.is_none()
            && self.backoff_max.is_none()
            && self.retry_after_max.is_none()
            && self.mode.is_none()
            && self.extra_statuses.is_empty()
            && self.idempotent.is_none()
            && self.jitter.is_none()
            && self.random.is_none()
            && self.budget.is_none()
            && self.classifiers.is_empty()
            && self.idempotency_key.is_none()
    }

    /// Merges `over` on top of `self`: every knob `over` sets wins; extra statuses and
    /// classifiers are appended.
    #[must_use]
    pub fn overwrite(&self, over: &RetryOptions) -> RetryOptions {
        let mut extra = self.extra_statuses.clone();
        extra.extend(&over.extra_statuses);
        let mut classifiers = self.classifiers.clone();
        classifiers.extend(over.classifiers.iter().cloned());
        RetryOptions {
            total: over.total.or(self.total),
            connect: over.connect.or(self.connect),
            read: over.read.or(self.read),
            status: over.status.or(self.status),
            backoff_factor: over.backoff_factor.or(self.backoff_factor),
            backoff_max: over.backoff_max.or(self.backoff_max),
            retry_after_max: over.retry_after_max.or(self.retry_after_max),
            mode: over.mode.or(self.mode),
            extra_statuses: extra,
            idempotent: over.idempotent.or(self.idempotent),
            jitter: over.jitter.or(self.jitter),
            random: over.random.clone().or_else(|| self.random.clone()),
            budget: over.budget.clone().or_else(|| self.budget.clone()),
            classifiers,
            idempotency_key: over.idempotency_key.or(self.idempotency_key),
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
    /// The jitter.
    pub fn jitter(&self) -> Jitter {
        self.jitter.unwrap_or_default()
    }
    /// The injected random source, if any.
    pub fn random(&self) -> Option<&SharedRandom> {
        self.random.as_ref()
    }
    /// The retry budget, if any.
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }
    /// The custom classifiers, in the order they are asked.
    pub fn classifiers(&self) -> &[SharedRetryClassifier] {
        &self.classifiers
    }
    /// The idempotency key header to generate, if any.
    pub fn idempotency_key(&self) -> Option<IdempotencyKey> {
        self.idempotency_key
    }

    /// Whether `status` is retried.
    pub fn is_retry_status(&self, status: u16) -> bool {
        is_retryable_status(status) || self.extra_statuses.contains(&status)
    }

    /// The backoff after `failures` failures (1-based): 0 for the first, then the formula,
    /// without jitter.
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

    /// The backoff after `failures` failures with this options' jitter applied, for the random
    /// number `unit` in `[0, 1]` (values outside are clamped).
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::pipeline::retry::{Jitter, RetryOptions};
    /// use std::time::Duration;
    ///
    /// let full = RetryOptions::new().with_jitter(Jitter::Full);
    /// assert_eq!(full.jittered_backoff(3, 0.25), Duration::from_millis(800));
    /// let equal = RetryOptions::new().with_jitter(Jitter::Equal);
    /// assert_eq!(equal.jittered_backoff(3, 0.25), Duration::from_millis(2000));
    /// ```
    pub fn jittered_backoff(&self, failures: u32, unit: f64) -> Duration {
        let b = self.backoff(failures);
        let u = if unit.is_nan() {
            0.0
        } else {
            unit.clamp(0.0, 1.0)
        };
        match self.jitter() {
            Jitter::None => b,
            Jitter::Full => b.mul_f64(u),
            Jitter::Equal => {
                let half = b / 2;
                b.saturating_sub(half) + half.mul_f64(u)
            }
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
            .field("jitter", &self.jitter())
            .field("budget", &self.budget)
            .field("classifiers", &self.classifiers.len())
            .field("idempotency_key", &self.idempotency_key)
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
/// `None`; a number too large to represent gives [`Duration::MAX`] (longer than any cap).
/// `now` is the wall-clock time the response was received, for HTTP-dates.
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
        let date = httpdate::parse_http_date(v)
            .ok()
            .or_else(|| rfc5322_date(v));
        if let Some(date) = date {
            return date.duration_since(now).ok().filter(|d| !d.is_zero());
        }
    }
    ["retry-after-ms", "x-ms-retry-after-ms"]
        .into_iter()
        .find_map(|name| seconds(value(name)?, 1000.0))
}

/// The RFC 5322 §3.3 dates the reference's `email.utils.parsedate_tz` also accepts and
/// `httpdate` does not: a one-digit day, a numeric zone (`-0500`), `UT`/`Z`, no weekday.
fn rfc5322_date(value: &str) -> Option<SystemTime> {
    let value = value.split_once(',').map_or(value, |(_, rest)| rest);
    let mut it = value.split_whitespace();
    let day: u32 = it.next()?.parse().ok()?;
    let month = it.next()?.to_ascii_lowercase();
    let month = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| *m == month)?;
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(str::parse::<u32>);
    let (hour, minute) = (hms.next()?.ok()?, hms.next()?.ok()?);
    let sec = hms.next().transpose().ok()?.unwrap_or(0);
    let zone = it.next().unwrap_or("GMT");
    if it.next().is_some() || !(1..=31).contains(&day) || hour > 23 || minute > 59 || sec > 60 {
        return None;
    }
    let offset: i64 = match zone {
        "GMT" | "UT" | "UTC" | "Z" => 0,
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let n: i64 = z[1..].parse().ok()?;
            let secs = (n / 100) * 3600 + (n % 100) * 60;
            if z.starts_with('-') {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    // Days since the epoch of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    let (y, mo) = {
        let mo = i64::try_from(month).ok()? + 1;
        if mo <= 2 {
            (year - 1, mo + 9)
        } else {
            (year, mo - 3)
        }
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let t =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(sec) - offset;
    let t = u64::try_from(t).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(t))
}

fn seconds(v: &str, per_second: f64) -> Option<Duration> {
    let n: f64 = v.parse().ok()?;
    let secs = n / per_second;
    // A positive number too large for a `Duration` (`1e20`, twenty-three nines: valid
    // delay-seconds per RFC 9110) asks for longer than any cap, not for nothing: the longest
    // wait, which the caller's cap then shortens (or which fails fast past the deadline).
    if secs.is_finite() && secs >= Duration::MAX.as_secs_f64() {
        return Some(Duration::MAX);
    }
    // Duration::try_from_secs_f64 rejects NaN, infinities and negatives instead of panicking.
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
}

// ===== history =====

/// What happened on one attempt, as kept in the retry history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

// ===== idempotency key =====

/// Which idempotency key header a call generates. See
/// [`RetryOptions::with_idempotency_key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdempotencyKey {
    /// `Idempotency-Key: <UUID v4>` (the IETF httpapi draft, Stripe and most REST APIs).
    IdempotencyKey,
    /// Azure's `Repeatability-Request-ID: <UUID v4>` with `Repeatability-First-Sent:
    /// <IMF-fixdate of the first attempt>` (OASIS Repeatable Requests 1.0).
    Repeatability,
}

impl IdempotencyKey {
    /// The headers to add for a call first sent at `first_sent`, with a fresh UUID v4.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::pipeline::retry::IdempotencyKey;
    /// use std::time::{Duration, SystemTime};
    ///
    /// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    /// let h = IdempotencyKey::Repeatability.headers(at);
    /// assert_eq!(h[0].0, "repeatability-request-id");
    /// assert_eq!(h[0].1.len(), 36);
    /// assert_eq!(h[1], ("repeatability-first-sent".parse().unwrap(),
    ///     "Sun, 06 Nov 1994 08:49:37 GMT".to_owned()));
    /// ```
    pub fn headers(self, first_sent: SystemTime) -> Vec<(HeaderName, String)> {
        let id = uuid::Uuid::new_v4().to_string();
        match self {
            IdempotencyKey::IdempotencyKey => {
                vec![(HeaderName::from_static("idempotency-key"), id)]
            }
            IdempotencyKey::Repeatability => vec![
                (HeaderName::from_static("repeatability-request-id"), id),
                (
                    HeaderName::from_static("repeatability-first-sent"),
                    httpdate::fmt_http_date(first_sent),
                ),
            ],
        }
    }
}

// ===== random =====

/// A source of random numbers for jitter.
pub trait Random: Send + Sync {
    /// A number in `[0, 1)`.
    fn next_unit(&self) -> f64;
}

/// A shared [`Random`], cheap to clone.
///
/// # Examples
///
/// ```
/// use clientcore_proto::pipeline::retry::{Random, SharedRandom};
///
/// let a = SharedRandom::seeded(7);
/// let b = SharedRandom::seeded(7);
/// assert_eq!(a.next_unit(), b.next_unit());
/// assert_eq!(SharedRandom::fixed(0.5).next_unit(), 0.5);
/// ```
#[derive(Clone)]
pub struct SharedRandom(Arc<dyn Random>);

impl SharedRandom {
    /// Shares `random`.
    pub fn new(random: impl Random + 'static) -> Self {
        SharedRandom(Arc::new(random))
    }

    /// A deterministic generator (`SplitMix64`) starting from `seed`, shared by its clones.
    pub fn seeded(seed: u64) -> Self {
        struct Seeded(Mutex<u64>);
        impl Random for Seeded {
            fn next_unit(&self) -> f64 {
                let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
                unit(splitmix64(&mut s))
            }
        }
        SharedRandom::new(Seeded(Mutex::new(seed)))
    }

    /// Always `value` (clamped to `[0, 1]`): jittered waits become exact.
    pub fn fixed(value: f64) -> Self {
        struct Fixed(f64);
        impl Random for Fixed {
            fn next_unit(&self) -> f64 {
                self.0
            }
        }
        SharedRandom::new(Fixed(if value.is_nan() {
            0.0
        } else {
            value.clamp(0.0, 1.0)
        }))
    }
}

impl Random for SharedRandom {
    fn next_unit(&self) -> f64 {
        self.0.next_unit()
    }
}

impl fmt::Debug for SharedRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedRandom")
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(x: u64) -> f64 {
    f64::from(u32::try_from(x >> 32).unwrap_or(u32::MAX)) / 4_294_967_296.0
}

// ===== budget =====

/// A token bucket of retries shared by every call of a client. See the
/// [module docs](self#the-retry-budget).
///
/// `Clone` shares the bucket. The `with_*` setters return a new, full bucket: configure a
/// budget before handing it out.
///
/// # Examples
///
/// ```
/// use clientcore_proto::pipeline::retry::RetryBudget;
///
/// let budget = RetryBudget::new().with_capacity(10).with_retry_cost(5);
/// assert_eq!(budget.available(), 10);
/// let shared = budget.clone();
/// assert!(shared.is_shared_with(&budget));
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Arc<Bucket>,
}

struct Bucket {
    config: BudgetConfig,
    tokens: Mutex<u32>,
}

#[derive(Clone, Copy, Debug)]
struct BudgetConfig {
    capacity: u32,
    retry_cost: u32,
    timeout_cost: u32,
    success_refill: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::new()
    }
}

impl RetryBudget {
    /// Tokens in a full bucket.
    pub const DEFAULT_CAPACITY: u32 = 500;
    /// Tokens a retry takes.
    pub const DEFAULT_RETRY_COST: u32 = 5;
    /// Tokens a retry after a timeout takes.
    pub const DEFAULT_TIMEOUT_COST: u32 = 10;
    /// Tokens a success that needed no retry puts back.
    pub const DEFAULT_SUCCESS_REFILL: u32 = 1;

    /// A full bucket with the default capacity and costs.
    pub fn new() -> Self {
        RetryBudget::from_config(BudgetConfig {
            capacity: Self::DEFAULT_CAPACITY,
            retry_cost: Self::DEFAULT_RETRY_COST,
            timeout_cost: Self::DEFAULT_TIMEOUT_COST,
            success_refill: Self::DEFAULT_SUCCESS_REFILL,
        })
    }

    /// A budget that never runs out (retries cost nothing): only the per-call counters bound
    /// retries, as in the reference.
    pub fn unlimited() -> Self {
        RetryBudget::from_config(BudgetConfig {
            capacity: 0,
            retry_cost: 0,
            timeout_cost: 0,
            success_refill: 0,
        })
    }

    fn from_config(config: BudgetConfig) -> Self {
        RetryBudget {
            inner: Arc::new(Bucket {
                tokens: Mutex::new(config.capacity),
                config,
            }),
        }
    }

    /// The capacity. Default is [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) (500).
    #[must_use]
    pub fn with_capacity(self, tokens: u32) -> Self {
        let mut c = self.inner.config;
        c.capacity = tokens;
        RetryBudget::from_config(c)
    }

    /// The cost of a retry. Default is [`DEFAULT_RETRY_COST`](Self::DEFAULT_RETRY_COST) (5).
    #[must_use]
    pub fn with_retry_cost(self, tokens: u32) -> Self {
        let mut c = self.inner.config;
        c.retry_cost = tokens;
        RetryBudget::from_config(c)
    }

    /// The cost of a retry after a timeout. Default is
    /// [`DEFAULT_TIMEOUT_COST`](Self::DEFAULT_TIMEOUT_COST) (10).
    #[must_use]
    pub fn with_timeout_cost(self, tokens: u32) -> Self {
        let mut c = self.inner.config;
        c.timeout_cost = tokens;
        RetryBudget::from_config(c)
    }

    /// Tokens a first-attempt success puts back. Default is
    /// [`DEFAULT_SUCCESS_REFILL`](Self::DEFAULT_SUCCESS_REFILL) (1).
    #[must_use]
    pub fn with_success_refill(self, tokens: u32) -> Self {
        let mut c = self.inner.config;
        c.success_refill = tokens;
        RetryBudget::from_config(c)
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        *self.tokens()
    }

    /// Tokens in a full bucket.
    pub fn capacity(&self) -> u32 {
        self.inner.config.capacity
    }

    /// Whether `self` and `other` are the same bucket.
    pub fn is_shared_with(&self, other: &RetryBudget) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, u32> {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the cost of one retry; `None` when the bucket cannot pay it.
    fn try_acquire(&self, after_timeout: bool) -> Option<u32> {
        let c = &self.inner.config;
        let cost = if after_timeout {
            c.timeout_cost
        } else {
            c.retry_cost
        };
        let mut t = self.tokens();
        *t = t.checked_sub(cost)?;
        Some(cost)
    }

    fn release(&self, tokens: u32) {
        let cap = self.inner.config.capacity;
        let mut t = self.tokens();
        *t = t.saturating_add(tokens).min(cap);
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.inner.config;
        f.debug_struct("RetryBudget")
            .field("available", &self.available())
            .field("capacity", &c.capacity)
            .field("retry_cost", &c.retry_cost)
            .field("timeout_cost", &c.timeout_cost)
            .field("success_refill", &c.success_refill)
            .finish()
    }
}

// ===== classifiers =====

/// A classifier's answer about one failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAction {
    /// Let the next classifier, then the built-in rules, decide.
    NoOpinion,
    /// Retry (within the counters, budget and deadline), even if the built-in rules would
    /// not: the classifier vouches that repeating the request is safe.
    Retry {
        /// The wait, capped by `retry_after_max`; `None` uses `Retry-After`, else the backoff.
        after: Option<Duration>,
    },
    /// Do not retry.
    Forbid,
}

impl RetryAction {
    /// [`Retry`](Self::Retry) with the usual wait.
    pub fn retry() -> Self {
        RetryAction::Retry { after: None }
    }

    /// [`Retry`](Self::Retry) after `wait`.
    pub fn retry_after(wait: Duration) -> Self {
        RetryAction::Retry { after: Some(wait) }
    }
}

/// What a classifier sees of a failed attempt: the request as sent, and the response or the
/// transport error.
#[derive(Debug)]
pub struct RetryContext<'a> {
    request: &'a RequestParts,
    attempt: u32,
    response: Option<(StatusCode, &'a HeaderMap)>,
    error: Option<&'a Error>,
}

impl<'a> RetryContext<'a> {
    /// The request (method, URL and headers of the call).
    pub fn request(&self) -> &'a RequestParts {
        self.request
    }

    /// Which attempt failed, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The response status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.response.map(|(s, _)| s)
    }

    /// The response headers, when the server answered.
    pub fn headers(&self) -> Option<&'a HeaderMap> {
        self.response.map(|(_, h)| h)
    }

    /// The service error code (`x-ms-error-code`, else the parsed body's), when the server
    /// answered with one.
    pub fn error_code(&self) -> Option<&'a str> {
        self.response?;
        self.error?.error_code()
    }

    /// The parsed service error, when the server answered with one.
    pub fn service_error(&self) -> Option<&'a ServiceError> {
        self.error?.service_error()
    }

    /// The error: the transport's, or the HTTP error the response would become.
    pub fn error(&self) -> Option<&'a Error> {
        self.error
    }

    /// Whether the server answered (as opposed to a transport failure).
    pub fn is_response(&self) -> bool {
        self.response.is_some()
    }
}

/// Decides whether a failed attempt is retried. See the [module docs](self) for where
/// classifiers sit in the priority order.
///
/// # Examples
///
/// ```
/// use clientcore_proto::pipeline::retry::{ClassifyRetry, RetryAction, RetryContext};
/// use std::time::Duration;
///
/// /// The service says `OperationPending` on a 409: come back in a second.
/// struct Pending;
/// impl ClassifyRetry for Pending {
///     fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
///         match ctx.error_code() {
///             Some("OperationPending") => RetryAction::retry_after(Duration::from_secs(1)),
///             _ => RetryAction::NoOpinion,
///         }
///     }
/// }
/// ```
pub trait ClassifyRetry: Send + Sync {
    /// The answer for one failed attempt.
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction;
}

/// A shared classifier, cheap to clone.
#[derive(Clone)]
pub struct SharedRetryClassifier(Arc<dyn ClassifyRetry>);

impl SharedRetryClassifier {
    /// Shares `classifier`.
    pub fn new(classifier: impl ClassifyRetry + 'static) -> Self {
        SharedRetryClassifier(Arc::new(classifier))
    }
}

impl std::ops::Deref for SharedRetryClassifier {
    type Target = dyn ClassifyRetry;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Debug for SharedRetryClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedRetryClassifier")
    }
}

/// A classifier made of a closure.
///
/// An adapter rather than a blanket `impl ClassifyRetry for F`, so that a future method with a
/// default does not turn every closure into a breaking change.
pub fn classify_fn<F>(f: F) -> SharedRetryClassifier
where
    F: Fn(&RetryContext<'_>) -> RetryAction + Send + Sync + 'static,
{
    struct ClassifyFn<F>(F);
    impl<F> ClassifyRetry for ClassifyFn<F>
    where
        F: Fn(&RetryContext<'_>) -> RetryAction + Send + Sync,
    {
        fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
            (self.0)(ctx)
        }
    }
    SharedRetryClassifier::new(ClassifyFn(f))
}

// Object safety is part of the contract.
const _: fn(&dyn ClassifyRetry) = |_| {};
const _: fn(&dyn Random) = |_| {};

// ===== the decision =====

/// The failure the retry policy is asked about.
#[derive(Debug)]
pub(crate) enum Failure<'a> {
    Transport(&'a Error),
    Status {
        status: StatusCode,
        headers: &'a HeaderMap,
        received: SystemTime,
        /// The HTTP error the response becomes, when its body could be read.
        error: Option<&'a Error>,
    },
}

/// Counters and history of one call.
#[derive(Debug)]
pub(crate) struct RetryState {
    total: i64,
    connect: i64,
    read: i64,
    status: i64,
    /// The jitter stream's state, seeded at the first jittered wait: most calls never wait,
    /// and drawing the seed was a tenth of the retry bookkeeping of a call that succeeds.
    rng: Option<u64>,
    /// Tokens taken from the budget by the last retry, returned if the call then succeeds.
    last_cost: u32,
    pub(crate) history: Vec<AttemptRecord>,
}

/// Why a call stops retrying.
pub(crate) const EXHAUSTED: &str = "retries exhausted";
/// Why a retryable failure with a body that cannot be rewound was not retried.
pub(crate) const NOT_REWINDABLE: &str = "the request body cannot be rewound";

/// The answer for one failure.
#[derive(Debug, PartialEq)]
pub(crate) enum Decision {
    RetryAfter(Duration),
    /// Stop; with the reason when the failure was retryable but something refused.
    Stop(Option<&'static str>),
}

impl RetryState {
    pub(crate) fn new(opts: &RetryOptions) -> Self {
        RetryState {
            total: opts.total().into(),
            connect: opts.connect().into(),
            read: opts.read().into(),
            status: opts.status().into(),
            rng: None,
            last_cost: 0,
            history: Vec::new(),
        }
    }

    /// Reports a successful call, refilling the budget.
    pub(crate) fn on_success(&mut self, opts: &RetryOptions) {
        if let Some(b) = opts.budget() {
            let refill = if self.last_cost > 0 {
                self.last_cost
            } else {
                b.inner.config.success_refill
            };
            b.release(refill);
        }
        self.last_cost = 0;
    }

    /// Decides on `failure`, records it, and returns the wait or the reason to stop.
    pub(crate) fn decide(
        &mut self,
        opts: &RetryOptions,
        request: &RequestParts,
        body_replayable: bool,
        failure: &Failure<'_>,
    ) -> Decision {
        let outcome = match failure {
            Failure::Transport(e) => AttemptOutcome::Error(e.kind()),
            Failure::Status { status, .. } => AttemptOutcome::Status(status.as_u16()),
        };
        self.history.push(AttemptRecord {
            outcome,
            wait: None,
        });
        let attempt = u32::try_from(self.history.len()).unwrap_or(u32::MAX);

        // 1. Custom classifiers, first answer wins.
        let ctx = match failure {
            Failure::Transport(e) => RetryContext {
                request,
                attempt,
                response: None,
                error: Some(e),
            },
            Failure::Status {
                status,
                headers,
                error,
                ..
            } => RetryContext {
                request,
                attempt,
                response: Some((*status, headers)),
                error: *error,
            },
        };
        let custom = opts
            .classifiers()
            .iter()
            .map(|c| c.classify(&ctx))
            .find(|a| *a != RetryAction::NoOpinion);

        // 2. The built-in classifier.
        let server_wait = match failure {
            Failure::Status {
                headers, received, ..
            } => retry_after(headers, *received),
            Failure::Transport(_) => None,
        };
        let explicit_wait = match custom {
            Some(RetryAction::Forbid) => {
                return Decision::Stop(Some("a retry classifier forbade it"))
            }
            Some(RetryAction::Retry { after }) => after.or(server_wait),
            _ => {
                if !builtin_retryable(opts, &request.method, failure) {
                    return Decision::Stop(None);
                }
                server_wait
            }
        };

        // 3. A body that cannot be rewound.
        if !body_replayable {
            return Decision::Stop(Some(NOT_REWINDABLE));
        }

        // 4. Counters.
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
            return Decision::Stop(Some(EXHAUSTED));
        }

        // 5. Budget.
        if let Some(budget) = opts.budget() {
            let timeout = matches!(failure, Failure::Transport(e) if e.is_timeout());
            match budget.try_acquire(timeout) {
                Some(cost) => self.last_cost = cost,
                None => return Decision::Stop(Some("the client's retry budget is exhausted")),
            }
        }

        let wait = if let Some(d) = explicit_wait {
            d.min(opts.retry_after_max())
        } else {
            let u = match opts.random() {
                Some(r) => r.next_unit(),
                None if opts.jitter() == Jitter::None => 0.0,
                None => unit(splitmix64(self.rng.get_or_insert_with(|| {
                    // The per-thread generator, seeded once from the OS: no system call.
                    u64::try_from(crate::policy::random_u128() & u128::from(u64::MAX)).unwrap_or(0)
                }))),
            };
            opts.jittered_backoff(attempt, u)
        };
        if let Some(last) = self.history.last_mut() {
            last.wait = Some(wait);
        }
        Decision::RetryAfter(wait)
    }
}

/// Rule 2 of the priority table.
fn builtin_retryable(opts: &RetryOptions, method: &Method, failure: &Failure<'_>) -> bool {
    let idempotent =
        opts.idempotent() || opts.idempotency_key().is_some() || is_idempotent_method(method);
    match failure {
        // Never sent: safe for every method (deviation 10 of ARCHITECTURE.md).
        Failure::Transport(e) if e.is_service_request() => true,
        Failure::Transport(e) => {
            (e.is_service_response() || e.kind() == ErrorKind::IncompleteRead) && idempotent
        }
        Failure::Status {
            status, headers, ..
        } => {
            let status = status.as_u16();
            let has_retry_after = status >= 400 && headers.contains_key("retry-after");
            idempotent && (opts.is_retry_status(status) || has_retry_after)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: Method) -> RequestParts {
        RequestParts {
            method,
            url: "https://example.com/".parse().unwrap(),
            headers: HeaderMap::new(),
        }
    }

    fn status(state: &mut RetryState, opts: &RetryOptions, method: Method, code: u16) -> Decision {
        let headers = HeaderMap::new();
        state.decide(
            opts,
            &parts(method),
            true,
            &Failure::Status {
                status: StatusCode::from_u16(code).unwrap(),
                headers: &headers,
                received: SystemTime::UNIX_EPOCH,
                error: None,
            },
        )
    }

    #[test]
    fn reference_503_storm_sleeps() {
        // Reference, verified: 503 on every attempt sends 4 requests, sleeping [1.6, 3.2].
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        let mut waits = Vec::new();
        while let Decision::RetryAfter(d) = status(&mut s, &opts, Method::GET, 503) {
            waits.push(d);
        }
        assert_eq!(s.history.len(), 4);
        assert_eq!(waits, [0.0, 1.6, 3.2].map(Duration::from_secs_f64).to_vec());
    }

    #[test]
    fn post_not_retried_on_status_unless_idempotent() {
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        assert_eq!(
            status(&mut s, &opts, Method::POST, 503),
            Decision::Stop(None)
        );
        for opts in [
            RetryOptions::new().with_idempotent(true),
            RetryOptions::new().with_idempotency_key(IdempotencyKey::IdempotencyKey),
        ] {
            let mut s = RetryState::new(&opts);
            assert!(matches!(
                status(&mut s, &opts, Method::POST, 503),
                Decision::RetryAfter(_)
            ));
        }
    }

    #[test]
    fn connect_errors_retry_post() {
        let opts = RetryOptions::new();
        let mut s = RetryState::new(&opts);
        let p = parts(Method::POST);
        let e = Error::new(ErrorKind::ServiceRequest, "refused");
        let d = s.decide(&opts, &p, true, &Failure::Transport(&e));
        assert_eq!(d, Decision::RetryAfter(Duration::ZERO));
        let e = Error::new(ErrorKind::ServiceResponse, "reset");
        let d = s.decide(&opts, &p, true, &Failure::Transport(&e));
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
    fn seeded_random_is_uniformish_and_in_range() {
        let r = SharedRandom::seeded(1);
        let xs: Vec<f64> = (0..1000).map(|_| r.next_unit()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / 1000.0;
        assert!((0.45..0.55).contains(&mean), "{mean}");
    }

    #[test]
    fn budget_refuses_then_refills() {
        let b = RetryBudget::new().with_capacity(10).with_retry_cost(5);
        assert_eq!(b.try_acquire(false), Some(5));
        assert_eq!(b.try_acquire(false), Some(5));
        assert_eq!(b.try_acquire(false), None);
        b.release(100);
        assert_eq!(b.available(), 10);
        let free = RetryBudget::unlimited();
        assert!((0..1000).all(|_| free.try_acquire(true).is_some()));
    }

    #[test]
    fn lenient_dates() {
        let at = |s| rfc5322_date(s).map(httpdate::fmt_http_date);
        assert_eq!(
            at("Fri, 1 Oct 2100 00:00:00 GMT").as_deref(),
            Some("Fri, 01 Oct 2100 00:00:00 GMT")
        );
        assert_eq!(
            at("Mon, 20 Nov 1995 19:12:08 -0500").as_deref(),
            Some("Tue, 21 Nov 1995 00:12:08 GMT")
        );
        assert_eq!(
            at("29 Feb 2024 23:59 +0130").as_deref(),
            Some("Thu, 29 Feb 2024 22:29:00 GMT")
        );
        for bad in [
            "",
            "soon",
            "1 Foo 2020 00:00:00 GMT",
            "1 Jan 2020 25:00:00 GMT",
            "1 Jan 1900 00:00:00 GMT",
        ] {
            assert_eq!(rfc5322_date(bad), None, "{bad}");
        }
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

    #[test]
    fn retry_after_too_large_to_represent_is_the_longest_wait() {
        let now = SystemTime::UNIX_EPOCH;
        for (name, value) in [
            ("retry-after", "1e20"),
            ("retry-after", "99999999999999999999999"),
            ("retry-after-ms", "1e30"),
            ("x-ms-retry-after-ms", "1e30"),
            ("retry-after", "1.7976931348623157e308"),
        ] {
            let mut h = HeaderMap::new();
            h.insert(name, value.parse().unwrap());
            assert_eq!(retry_after(&h, now), Some(Duration::MAX), "{name}: {value}");
        }
        // Not numbers, or not positive: still ignored.
        for value in ["inf", "-1e30", "1e", "0"] {
            let mut h = HeaderMap::new();
            h.insert("retry-after", value.parse().unwrap());
            assert_eq!(retry_after(&h, now), None, "{value}");
        }
    }
}
