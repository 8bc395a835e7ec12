//! Properties of the backoff and the retry loop: monotone in the attempt number, capped,
//! jitter inside its band, never past the deadline, never more attempts than the counters
//! allow, and no header value that makes the policy panic.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use clientcore_proto::options::Options;
use clientcore_proto::pipeline::retry::{
    retry_after, Jitter, RetryMode, RetryOptions, SharedRandom,
};
use clientcore_proto::pipeline::{Exchange, Request, ResponseHead, Step};
use clientcore_proto::time::Clock;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use proptest::prelude::*;

#[derive(Debug)]
struct ManualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + *self.elapsed.lock().unwrap()
    }
}

fn mode() -> impl Strategy<Value = RetryMode> {
    prop_oneof![Just(RetryMode::Exponential), Just(RetryMode::Fixed)]
}

fn jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![Just(Jitter::None), Just(Jitter::Full), Just(Jitter::Equal)]
}

fn options() -> impl Strategy<Value = RetryOptions> {
    (0.0f64..100.0, 0u64..1_000_000, mode(), jitter()).prop_map(|(factor, max_ms, mode, jitter)| {
        RetryOptions::new()
            .with_backoff_factor(factor)
            .with_backoff_max(Duration::from_millis(max_ms))
            .with_mode(mode)
            .with_jitter(jitter)
    })
}

proptest! {
    #[test]
    fn backoff_is_monotone_and_capped(opts in options(), n in 0u32..2000) {
        let (a, b) = (opts.backoff(n), opts.backoff(n.saturating_add(1)));
        prop_assert!(a <= b, "backoff({n}) = {a:?} > backoff({}) = {b:?}", n + 1);
        prop_assert!(b <= opts.backoff_max());
        prop_assert_eq!(opts.backoff(1), Duration::ZERO);
        prop_assert_eq!(opts.backoff(u32::MAX), opts.backoff(u32::MAX - 1));
    }

    #[test]
    fn jitter_stays_in_its_band(opts in options(), n in 0u32..64, u in proptest::num::f64::ANY) {
        let full = opts.backoff(n);
        let w = opts.jittered_backoff(n, u);
        prop_assert!(w <= full);
        match opts.jitter() {
            Jitter::None => prop_assert_eq!(w, full),
            Jitter::Equal => prop_assert!(w >= full / 2),
            _ => {}
        }
    }

    #[test]
    fn jittered_backoff_is_monotone_in_the_random_number(opts in options(), n in 0u32..64,
                                                          u in 0.0f64..1.0, v in 0.0f64..1.0) {
        let (lo, hi) = if u <= v { (u, v) } else { (v, u) };
        prop_assert!(opts.jittered_backoff(n, lo) <= opts.jittered_backoff(n, hi));
    }

    /// A call that always gets 503 never sleeps past its deadline, and never sends more than
    /// the counters allow.
    #[test]
    fn never_past_the_deadline(
        opts in options(),
        total in 0u32..20,
        status_retries in 0u32..20,
        timeout_ms in 0u64..600_000,
        retry_after_ms in proptest::option::of(0u64..400_000),
        seed in any::<u64>(),
    ) {
        let opts = opts
            .with_total(total)
            .with_status(status_retries)
            .with_random(SharedRandom::seeded(seed));
        let timeout = Duration::from_millis(timeout_ms);
        let clock = ManualClock { start: Instant::now(), elapsed: Mutex::new(Duration::ZERO) };
        let request = Request::<Bytes>::new(Method::GET, "https://example.com/".parse().unwrap());
        let mut ex = Exchange::new(request, Options::new().with_timeout(timeout).with_retry(opts));
        let (mut sends, mut slept) = (0u32, Duration::ZERO);
        let done = loop {
            match ex.step(&clock) {
                Step::Send(attempt) => {
                    prop_assert!(attempt.timeout <= timeout.saturating_sub(slept));
                    sends += 1;
                    let mut head = ResponseHead::new(StatusCode::SERVICE_UNAVAILABLE);
                    head.received = clock.wall();
                    if let Some(ms) = retry_after_ms {
                        head.headers.insert("retry-after-ms", HeaderValue::from(ms));
                    }
                    ex.on_response(head);
                }
                Step::ReadBody { .. } => ex.on_body(Ok(Bytes::new())),
                Step::Sleep(d) => {
                    slept += d;
                    prop_assert!(slept <= timeout, "slept {slept:?} past {timeout:?}");
                    *clock.elapsed.lock().unwrap() += d;
                }
                Step::Done(r) => break r,
                Step::GetToken(_) => unreachable!(),
            }
        };
        prop_assert!(done.is_err());
        prop_assert!(sends <= total.min(status_retries) + 1);
        if timeout > Duration::ZERO {
            prop_assert!(sends >= 1);
            prop_assert_eq!(done.unwrap_err().retry_history().len(), sends as usize);
        }
    }

    #[test]
    fn retry_after_never_panics(value in proptest::collection::vec(any::<u8>(), 0..40),
                                name in prop_oneof![Just("retry-after"), Just("retry-after-ms"),
                                                    Just("x-ms-retry-after-ms")]) {
        if let Ok(v) = HeaderValue::from_bytes(&value) {
            let mut h = HeaderMap::new();
            h.insert(name, v);
            if let Some(d) = retry_after(&h, SystemTime::UNIX_EPOCH) {
                prop_assert!(d > Duration::ZERO);
            }
        }
    }

    #[test]
    fn http_dates_round_trip(secs in 1u64..4_000_000_000, now in 0u64..4_000_000_000) {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
        let mut h = HeaderMap::new();
        h.insert("retry-after", httpdate::fmt_http_date(at).parse().unwrap());
        let want = at.duration_since(now).ok().filter(|d| !d.is_zero());
        prop_assert_eq!(retry_after(&h, now), want);
    }
}
