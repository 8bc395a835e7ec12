//! A fake clock: time moves only when a retry "sleeps" or the test advances it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use clientcore_proto::time::{AsyncSleep, BlockingSleep, Clock, SleepFuture};

/// A clock for tests. Sleeping through it returns at once, moves the clock forward and records
/// the wait, so retry tests assert exact waits without waiting.
///
/// `Clone` shares the same time.
///
/// # Examples
///
/// ```
/// use clientcore_proto::time::{BlockingSleep, Clock};
/// use clientcore_testkit::FakeClock;
/// use std::time::Duration;
///
/// let clock = FakeClock::new();
/// let t0 = clock.now();
/// clock.sleep(Duration::from_secs(3));
/// assert_eq!(clock.now() - t0, Duration::from_secs(3));
/// assert_eq!(clock.sleeps(), [Duration::from_secs(3)]);
/// ```
#[derive(Clone, Debug)]
pub struct FakeClock {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    start: Instant,
    wall_start: SystemTime,
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl Default for FakeClock {
    fn default() -> Self {
        FakeClock::new()
    }
}

impl FakeClock {
    /// A clock at the real current time that then stands still.
    pub fn new() -> Self {
        FakeClock {
            inner: Arc::new(Mutex::new(State {
                start: Instant::now(),
                wall_start: SystemTime::now(),
                elapsed: Duration::ZERO,
                sleeps: Vec::new(),
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward without recording a sleep.
    pub fn advance(&self, by: Duration) {
        self.state().elapsed += by;
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state().sleeps.clone()
    }

    /// How far the clock has moved.
    pub fn elapsed(&self) -> Duration {
        self.state().elapsed
    }

    fn record(&self, d: Duration) {
        let mut s = self.state();
        s.elapsed += d;
        s.sleeps.push(d);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        let s = self.state();
        s.start + s.elapsed
    }

    fn wall(&self) -> SystemTime {
        let s = self.state();
        s.wall_start + s.elapsed
    }
}

impl AsyncSleep for FakeClock {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        self.record(duration);
        Box::pin(std::future::ready(()))
    }
}

impl BlockingSleep for FakeClock {
    fn sleep(&self, duration: Duration) {
        self.record(duration);
    }
}
