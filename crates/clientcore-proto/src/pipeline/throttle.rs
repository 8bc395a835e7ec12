//! The throttle gate: a client's memory of the hosts that asked it to hold off, so that every
//! call to such a host waits for the window to reopen instead of each finding out with a 429
//! of its own.
//!
//! A response closes its host's gate (scheme, host and port) when it says the host's window is
//! spent ([`signal`]); until the gate reopens, each call of the client to that host waits before
//! sending an attempt, never past its deadline: a call whose deadline comes first fails at once
//! with the timeout kind it would have had at that deadline, without sending. The state is one
//! [`ThrottleGate`] per client, shared by its clones (the clients make it when they are built);
//! the decisions are made here, and the waits are the driver's ordinary [`Step::Sleep`].
//!
//! A call with [`Options::with_throttle_gate(false)`](crate::options::Options::with_throttle_gate)
//! does not wait at the gate; what its responses say still closes the gate for the others
//! (the host's window is the host's, whoever learnt of it).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderMap, HeaderValue, StatusCode};
use url::Url;

use super::{Exchange, RequestBody, ResponseHead, State, Step};
use crate::error::Error;
use crate::policies::log::Level;

/// The wait a spent window without a reset time asks for (`x-ms-ratelimit-remaining-*`,
/// `RateLimit-Remaining` or `x-ratelimit-remaining` at 0, with neither a reset header nor a
/// `Retry-After`): one second, the refill period of ARM's token buckets.
pub const DEFAULT_SPENT_WAIT: Duration = Duration::from_secs(1);

/// The most hosts one gate keeps closed at once. Reopened hosts are forgotten first; past this,
/// a new host is not gated (a client that talks to thousands of throttled hosts at once keeps
/// a bounded memory).
pub const MAX_GATED_HOSTS: usize = 1024;

/// The hosts whose throttle windows are closed, for one client and its clones (`Clone` shares
/// them). Times are the monotonic [`Clock::now`](crate::time::Clock::now) of the client's
/// clock.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::throttle::ThrottleGate;
/// use std::time::{Duration, Instant};
///
/// let gate = ThrottleGate::new();
/// let url = "https://example.com/a".parse().unwrap();
/// let t0 = Instant::now();
/// assert_eq!(gate.wait(&url, t0), None);
/// assert!(gate.close(&url, t0, Duration::from_secs(2)));
/// // Every path on the same scheme, host and port waits; other hosts do not.
/// let other_path = "https://example.com/b".parse().unwrap();
/// assert_eq!(gate.wait(&other_path, t0 + Duration::from_millis(500)), Some(Duration::from_millis(1500)));
/// assert_eq!(gate.wait(&"https://example.org/".parse().unwrap(), t0), None);
/// assert_eq!(gate.wait(&url, t0 + Duration::from_secs(2)), None);
/// ```
#[derive(Clone, Default)]
pub struct ThrottleGate {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// How many hosts the map holds: read without the lock, so that a call to a client with no
    /// closed gate takes no lock and builds no key.
    closed: AtomicUsize,
    hosts: Mutex<HashMap<String, Instant>>,
}

impl ThrottleGate {
    /// A gate with every host open.
    pub fn new() -> Self {
        ThrottleGate::default()
    }

    /// How long a call to `url` must still wait at `now`, or `None` when its host's gate is
    /// open.
    pub fn wait(&self, url: &Url, now: Instant) -> Option<Duration> {
        if self.inner.closed.load(Ordering::Acquire) == 0 {
            return None;
        }
        let key = origin(url);
        let mut hosts = self.lock();
        let reopens = *hosts.get(&key)?;
        if reopens > now {
            return Some(reopens - now);
        }
        hosts.remove(&key);
        self.inner.closed.store(hosts.len(), Ordering::Release);
        None
    }

    /// Closes the gate of `url`'s host until `now + window` (a gate already closed for longer
    /// stays so). `true` when the gate was open until now, so that its closing is told once.
    pub fn close(&self, url: &Url, now: Instant, window: Duration) -> bool {
        let Some(until) = now.checked_add(window) else {
            return false;
        };
        let key = origin(url);
        let mut hosts = self.lock();
        let was_open = hosts.get(&key).is_none_or(|t| *t <= now);
        if hosts.len() >= MAX_GATED_HOSTS && !hosts.contains_key(&key) {
            hosts.retain(|_, t| *t > now);
            if hosts.len() >= MAX_GATED_HOSTS {
                return false;
            }
        }
        let entry = hosts.entry(key).or_insert(until);
        if *entry < until {
            *entry = until;
        }
        self.inner.closed.store(hosts.len(), Ordering::Release);
        was_open
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        // The map holds plain times: one a panicking thread left behind is still valid.
        self.inner
            .hosts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ThrottleGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThrottleGate")
            .field("closed_hosts", &self.inner.closed.load(Ordering::Relaxed))
            .finish()
    }
}

/// The gate's key: scheme, host and port (the default port when the URL has none), without
/// user information, path or query.
fn origin(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// What a response says about its host's window: how long until it reopens, and which header
/// said so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signal {
    /// How long the host asks every call to hold off, capped.
    pub window: Duration,
    /// The header that said so (`Retry-After`, `RateLimit`, `x-ratelimit-remaining`...).
    pub source: &'static str,
}

/// Whether `status` and `headers` (received at wall-clock `received`) close the host's gate,
/// and for how long, at most `max`:
///
/// - a 429 or 503 with `Retry-After` (seconds or an HTTP-date; or `retry-after-ms`,
///   `x-ms-retry-after-ms`), as the retry policy reads it;
/// - any response with `x-ms-ratelimit-remaining-*` at 0 (ARM: a number, or Compute's
///   `name;count` list with a count at 0), for the `Retry-After` if there is one, else
///   [`DEFAULT_SPENT_WAIT`];
/// - the IETF draft's `RateLimit` field (draft-ietf-httpapi-ratelimit-headers-08 and later:
///   a list of `"policy";r=<remaining>;t=<seconds to reset>`) with a policy at `r=0`, for its
///   `t`; the older drafts' `RateLimit-Remaining: 0`, for `RateLimit-Reset` (seconds);
/// - `x-ratelimit-remaining: 0` (GitHub and others), for `x-ratelimit-reset`, read as a Unix
///   time when it is at least 10⁹ and as seconds otherwise.
///
/// A spent window without a reset waits the `Retry-After`, else [`DEFAULT_SPENT_WAIT`]. When
/// several say so, the longest wins. Malformed, negative or past values are ignored; a value
/// too large is cut to `max`.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::throttle::signal;
/// use http::{HeaderMap, StatusCode};
/// use std::time::{Duration, SystemTime};
///
/// let max = Duration::from_secs(60);
/// let mut h = HeaderMap::new();
/// h.insert("retry-after", "2".parse().unwrap());
/// let s = signal(StatusCode::TOO_MANY_REQUESTS, &h, SystemTime::now(), max).unwrap();
/// assert_eq!((s.window, s.source), (Duration::from_secs(2), "Retry-After"));
/// // A Retry-After on a success does not close the gate; a spent window does.
/// assert_eq!(signal(StatusCode::OK, &h, SystemTime::now(), max), None);
/// h.insert("ratelimit", r#""default";r=0;t=7"#.parse().unwrap());
/// assert_eq!(signal(StatusCode::OK, &h, SystemTime::now(), max).unwrap().window, Duration::from_secs(7));
/// ```
pub fn signal(
    status: StatusCode,
    headers: &HeaderMap,
    received: SystemTime,
    max: Duration,
) -> Option<Signal> {
    let retry_after = || super::retry::retry_after(headers, received);
    let mut best: Option<Signal> = None;
    let mut consider = |window: Duration, source: &'static str| {
        if best.is_none_or(|b| window > b.window) {
            best = Some(Signal { window, source });
        }
    };
    if matches!(status.as_u16(), 429 | 503) {
        if let Some(d) = retry_after() {
            consider(d, "Retry-After");
        }
    }
    // A spent window: its own reset, else the Retry-After, else the default.
    let mut spent = |reset: Option<Duration>, source: &'static str| {
        let window = reset.or_else(retry_after).unwrap_or(DEFAULT_SPENT_WAIT);
        consider(window, source);
    };
    for (name, value) in headers {
        let name = name.as_str();
        if name.starts_with("x-ms-ratelimit-remaining-") {
            if ms_spent(value) {
                spent(None, "x-ms-ratelimit-remaining");
            }
        } else if name == "ratelimit" {
            if let Some(reset) = ietf_spent(value) {
                spent(reset, "RateLimit");
            }
        } else if name == "ratelimit-remaining" {
            if is_zero(value) {
                spent(
                    reset(headers, "ratelimit-reset", None),
                    "RateLimit-Remaining",
                );
            }
        } else if name == "x-ratelimit-remaining" && is_zero(value) {
            let reset = reset(headers, "x-ratelimit-reset", Some(received));
            spent(reset, "x-ratelimit-remaining");
        }
    }
    let mut s = best?;
    s.window = s.window.min(max);
    (!s.window.is_zero()).then_some(s)
}

fn is_zero(value: &HeaderValue) -> bool {
    value
        .to_str()
        .is_ok_and(|v| v.trim().parse::<u64>() == Ok(0))
}

/// ARM's `x-ms-ratelimit-remaining-*`: a count, or Compute's `name;count` list.
fn ms_spent(value: &HeaderValue) -> bool {
    let Ok(v) = value.to_str() else {
        return false;
    };
    v.split(',').any(|item| {
        let count = item.rsplit(';').next().unwrap_or(item);
        count.trim().parse::<u64>() == Ok(0)
    })
}

/// The draft's `RateLimit` list: `Some(reset)` when a policy's `r` is 0, with the longest `t`
/// of those (`None` when none gives one).
#[allow(
    clippy::option_option,
    reason = "not spent, spent without a reset, and spent with one are three answers"
)]
fn ietf_spent(value: &HeaderValue) -> Option<Option<Duration>> {
    let v = value.to_str().ok()?;
    let mut spent: Option<Option<Duration>> = None;
    for member in split_outside_quotes(v, ',') {
        let mut remaining = None;
        let mut reset = None;
        // The first piece is the policy's name (a string); the rest are its parameters.
        for param in split_outside_quotes(member, ';').skip(1) {
            let Some((key, val)) = param.split_once('=') else {
                continue;
            };
            match key.trim() {
                "r" => remaining = val.trim().parse::<u64>().ok(),
                "t" => reset = val.trim().parse::<u64>().ok().map(Duration::from_secs),
                _ => {}
            }
        }
        if remaining == Some(0) {
            let longest = match (spent.flatten(), reset) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            spent = Some(longest);
        }
    }
    spent
}

/// `s` split at `sep`, except inside a quoted string (a policy name may hold either).
fn split_outside_quotes(s: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        let mut quoted = false;
        let mut escaped = false;
        for (i, c) in s.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                c if c == sep && !quoted => {
                    rest = Some(&s[i + c.len_utf8()..]);
                    return Some(&s[..i]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

/// A reset header: seconds from now, or (with `epoch_at`, and a value of at least 10⁹) a Unix
/// time read against the wall clock. `Some(ZERO)` for a reset already past: the window is
/// over, and no default wait is taken.
fn reset(headers: &HeaderMap, name: &str, epoch_at: Option<SystemTime>) -> Option<Duration> {
    let v: f64 = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    if let Some(now) = epoch_at.filter(|_| v >= 1e9) {
        let at = Duration::try_from_secs_f64(v).unwrap_or(Duration::MAX);
        let since_epoch = now.duration_since(SystemTime::UNIX_EPOCH).ok()?;
        return Some(at.saturating_sub(since_epoch));
    }
    Some(Duration::try_from_secs_f64(v).unwrap_or(Duration::MAX))
}

// ===== the exchange's part =====

impl<B: RequestBody> Exchange<B> {
    /// A response closes its host's gate when it says the window is spent. Read before the
    /// response is judged, so that the calls waiting see it as soon as it is known.
    pub(super) fn observe_throttle(&mut self, head: &ResponseHead, now: impl FnOnce() -> Instant) {
        let Some(gate) = self.opts.throttle_gate_state() else {
            return;
        };
        let max = self.opts.retry().retry_after_max();
        let Some(s) = signal(head.status, &head.headers, head.received, max) else {
            return;
        };
        if gate.close(&self.template.parts.url, now(), s.window) {
            let msg = format!(
                "Throttle gate for {} closed for {:.3}s ({} on a {} response)",
                origin(&self.template.parts.url),
                s.window.as_secs_f64(),
                s.source,
                head.status.as_u16()
            );
            self.tell_gate(&msg, s.window, "closed");
        }
    }

    /// Before an attempt: the wait at the host's gate, or the end of a call whose deadline
    /// comes first. `None` when the gate is open (or off for this call).
    pub(super) fn wait_at_gate(&mut self, now: Instant, remaining: Duration) -> Option<Step<B>> {
        if !self.opts.throttle_gate() {
            return None;
        }
        let wait = self
            .opts
            .throttle_gate_state()?
            .wait(&self.template.parts.url, now)?;
        Some(self.gate_closed(wait, remaining))
    }

    #[cold]
    #[inline(never)]
    fn gate_closed(&mut self, wait: Duration, remaining: Duration) -> Step<B> {
        let url = &self.template.parts.url;
        if wait >= remaining {
            // As a retry wait past the deadline: the call ends now, with the kind it would
            // have had at its deadline, and nothing is sent.
            let msg = format!(
                "the throttle gate for {} stays closed for {:.3}s, past the operation's deadline",
                origin(url),
                wait.as_secs_f64()
            );
            let e = Error::new(self.last_attempt.timeout_kind(), msg);
            return self.finished(e);
        }
        let msg = format!(
            "Waiting {:.3}s at the throttle gate for {}",
            wait.as_secs_f64(),
            origin(url)
        );
        self.tell_gate(&msg, wait, "wait");
        self.state = State::Ready;
        Step::Sleep(wait)
    }

    /// One INFO record to the call's logger, one `tracing` event (in the driver's call span,
    /// with the host and the wait as fields; without a logger the event is the record), and a
    /// note the driver takes for its OpenTelemetry span ([`Exchange::take_gate_notes`]).
    fn tell_gate(&mut self, msg: &str, wait: Duration, what: &'static str) {
        if let Some(sink) = self.opts.logger() {
            sink.log(Level::Info, msg);
        }
        let origin = origin(&self.template.parts.url);
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        tracing::event!(
            target: "clientcore::throttle",
            tracing::Level::INFO,
            clientcore.throttle.event = what,
            clientcore.throttle.origin = %origin,
            clientcore.throttle.wait_ms = ms,
            "{msg}"
        );
        self.gate_notes.push(GateNote {
            event: what,
            origin,
            wait,
        });
    }

    /// What the throttle gate did for this call since the last time this was asked: the gate
    /// closing after one of its responses, and each wait before an attempt. A driver adds them
    /// to the call's span (the `opentelemetry` feature does); empty for almost every call.
    pub fn take_gate_notes(&mut self) -> Vec<GateNote> {
        std::mem::take(&mut self.gate_notes)
    }
}

/// One thing the throttle gate did for a call ([`Exchange::take_gate_notes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GateNote {
    /// `"closed"` (a response of this call closed the gate) or `"wait"` (the call waited at
    /// it before an attempt).
    pub event: &'static str,
    /// The gated scheme, host and port (`https://host:443`).
    pub origin: String,
    /// How long the gate stays closed, or how long the call waits.
    pub wait: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Duration = Duration::from_secs(60);

    fn sig(status: u16, headers: &[(&str, &str)]) -> Option<(Duration, &'static str)> {
        sig_at(status, headers, SystemTime::UNIX_EPOCH)
    }

    fn sig_at(
        status: u16,
        headers: &[(&str, &str)],
        at: SystemTime,
    ) -> Option<(Duration, &'static str)> {
        let mut h = HeaderMap::new();
        for (n, v) in headers {
            h.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        signal(StatusCode::from_u16(status).unwrap(), &h, at, MAX).map(|s| (s.window, s.source))
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn retry_after_closes_only_on_429_and_503() {
        assert_eq!(
            sig(429, &[("retry-after", "2")]),
            Some((S(2), "Retry-After"))
        );
        assert_eq!(
            sig(503, &[("retry-after", "3")]),
            Some((S(3), "Retry-After"))
        );
        assert_eq!(
            sig(429, &[("retry-after-ms", "1500")]).unwrap().0,
            Duration::from_millis(1500)
        );
        assert_eq!(sig(500, &[("retry-after", "2")]), None);
        assert_eq!(sig(202, &[("retry-after", "2")]), None);
        assert_eq!(sig(429, &[]), None);
        let now = SystemTime::UNIX_EPOCH + S(1_700_000_000);
        let date = httpdate::fmt_http_date(now + S(5));
        assert_eq!(sig_at(429, &[("retry-after", &date)], now).unwrap().0, S(5));
    }

    #[test]
    fn hostile_values_are_capped_or_ignored() {
        for v in ["1e20", "99999999999999999999999", "86400"] {
            assert_eq!(sig(429, &[("retry-after", v)]).unwrap().0, MAX, "{v}");
        }
        for v in ["-5", "soon", "NaN", "0", "inf", ""] {
            assert_eq!(sig(429, &[("retry-after", v)]), None, "{v}");
        }
        // A date already past.
        let now = SystemTime::UNIX_EPOCH + S(1_700_000_000);
        let past = httpdate::fmt_http_date(now - S(5));
        assert_eq!(sig_at(429, &[("retry-after", &past)], now), None);
        assert_eq!(
            sig(
                200,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1e30")
                ]
            )
            .unwrap()
            .0,
            MAX
        );
        assert_eq!(
            sig(200, &[("ratelimit", "\"a\";r=0;t=99999999999")])
                .unwrap()
                .0,
            MAX
        );
        // Garbage in the counters: not a spent window.
        for v in ["-0x", "zero", "0.5", ""] {
            assert_eq!(sig(200, &[("x-ratelimit-remaining", v)]), None, "{v}");
        }
        // A negative reset is ignored: the default wait.
        assert_eq!(
            sig(
                200,
                &[("ratelimit-remaining", "0"), ("ratelimit-reset", "-4")]
            )
            .unwrap()
            .0,
            DEFAULT_SPENT_WAIT
        );
    }

    #[test]
    fn ms_ratelimit_remaining() {
        let h = [("x-ms-ratelimit-remaining-subscription-reads", "0")];
        assert_eq!(
            sig(200, &h),
            Some((DEFAULT_SPENT_WAIT, "x-ms-ratelimit-remaining"))
        );
        let h = [
            ("x-ms-ratelimit-remaining-subscription-writes", "0"),
            ("retry-after", "17"),
        ];
        assert_eq!(sig(429, &h).unwrap().0, S(17));
        // Compute's list, one policy spent.
        let h = [(
            "x-ms-ratelimit-remaining-resource",
            "Microsoft.Compute/HighCostGet3Min;0,Microsoft.Compute/HighCostGet30Min;799",
        )];
        assert_eq!(sig(200, &h).unwrap().0, DEFAULT_SPENT_WAIT);
        assert_eq!(
            sig(
                200,
                &[("x-ms-ratelimit-remaining-subscription-reads", "11999")]
            ),
            None
        );
    }

    #[test]
    fn ietf_ratelimit_fields() {
        assert_eq!(
            sig(200, &[("ratelimit", "\"default\";r=0;t=7")]),
            Some((S(7), "RateLimit"))
        );
        assert_eq!(sig(200, &[("ratelimit", "\"default\";r=3;t=7")]), None);
        // Two policies; the spent one's reset; a comma inside a quoted name.
        let v = "\"a,b\";r=5;t=60, \"day\";r=0;t=30";
        assert_eq!(sig(200, &[("ratelimit", v)]).unwrap().0, S(30));
        // Spent without t: the Retry-After, else the default.
        assert_eq!(
            sig(200, &[("ratelimit", "\"x\";r=0")]).unwrap().0,
            DEFAULT_SPENT_WAIT
        );
        assert_eq!(
            sig(429, &[("ratelimit", "\"x\";r=0"), ("retry-after", "4")])
                .unwrap()
                .0,
            S(4)
        );
        // Older drafts.
        let h = [("ratelimit-remaining", "0"), ("ratelimit-reset", "9")];
        assert_eq!(sig(200, &h), Some((S(9), "RateLimit-Remaining")));
        assert_eq!(
            sig(
                200,
                &[("ratelimit-remaining", "1"), ("ratelimit-reset", "9")]
            ),
            None
        );
    }

    #[test]
    fn x_ratelimit_reset_seconds_or_unix_time() {
        let h = [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "12")];
        assert_eq!(sig(200, &h), Some((S(12), "x-ratelimit-remaining")));
        let now = SystemTime::UNIX_EPOCH + S(1_700_000_000);
        let h = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000020"),
        ];
        assert_eq!(sig_at(403, &h, now).unwrap().0, S(20));
        // A reset already past: the window is over, nothing closes.
        let h = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1699999990"),
        ];
        assert_eq!(sig_at(200, &h, now), None);
    }

    #[test]
    fn the_longest_signal_wins() {
        let h = [
            ("retry-after", "3"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "8"),
            ("ratelimit", "\"a\";r=0;t=5"),
        ];
        assert_eq!(sig(429, &h), Some((S(8), "x-ratelimit-remaining")));
    }

    /// Arbitrary values in every header the gate reads, on a 429: never a panic, never a zero
    /// window, never past the cap (a small fuzz run with a fixed seed, in the unit tests).
    #[test]
    fn arbitrary_values_never_panic_and_stay_within_the_cap() {
        const NAMES: [&str; 9] = [
            "retry-after",
            "retry-after-ms",
            "x-ms-ratelimit-remaining-subscription-reads",
            "ratelimit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ms-retry-after-ms",
        ];
        const ALPHABET: &[u8] = b"0123456789;,=\"\\ -.:etrT+eEinfa";
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let now = SystemTime::UNIX_EPOCH + S(1_700_000_000);
        for _ in 0..20_000 {
            let mut h = HeaderMap::new();
            for _ in 0..=(next() % 4) {
                let name = NAMES[usize::try_from(next() % 9).unwrap()];
                let len = usize::try_from(next() % 24).unwrap();
                let value: Vec<u8> = (0..len)
                    .map(|_| ALPHABET[usize::try_from(next()).unwrap() % ALPHABET.len()])
                    .collect();
                if let Ok(v) = HeaderValue::from_bytes(&value) {
                    h.append(name, v);
                }
            }
            for status in [StatusCode::TOO_MANY_REQUESTS, StatusCode::OK] {
                if let Some(s) = signal(status, &h, now, MAX) {
                    assert!(!s.window.is_zero() && s.window <= MAX, "{h:?}: {s:?}");
                }
            }
        }
    }

    #[test]
    fn the_gate_is_per_scheme_host_and_port_and_bounded() {
        let gate = ThrottleGate::new();
        let t0 = Instant::now();
        let u = |s: &str| s.parse::<Url>().unwrap();
        assert!(gate.close(&u("https://a.example/x"), t0, S(2)));
        // Already closed: not told again, and extended only when later.
        assert!(!gate.close(&u("https://a.example:443/y"), t0, S(1)));
        assert_eq!(gate.wait(&u("https://a.example/z?q"), t0), Some(S(2)));
        assert!(!gate.close(&u("https://user:pw@a.example/"), t0, S(5)));
        assert_eq!(gate.wait(&u("https://a.example/"), t0), Some(S(5)));
        assert_eq!(gate.wait(&u("http://a.example/"), t0), None);
        assert_eq!(gate.wait(&u("https://a.example:8443/"), t0), None);
        assert_eq!(gate.wait(&u("https://b.example/"), t0), None);
        // Reopened: forgotten, and a new closing is told again.
        assert_eq!(gate.wait(&u("https://a.example/"), t0 + S(5)), None);
        assert_eq!(gate.inner.closed.load(Ordering::Relaxed), 0);
        assert!(gate.close(&u("https://a.example/"), t0 + S(5), S(1)));
        // Bounded: past the cap, new hosts are not gated until others reopen.
        for i in 0..MAX_GATED_HOSTS + 10 {
            gate.close(&u(&format!("https://h{i}.example/")), t0, S(10));
        }
        assert_eq!(gate.inner.closed.load(Ordering::Relaxed), MAX_GATED_HOSTS);
        assert!(gate.close(&u("https://late.example/"), t0 + S(20), S(1)));
        assert_eq!(gate.inner.closed.load(Ordering::Relaxed), 1);
    }
}
