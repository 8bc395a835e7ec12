//! Time, injected: the core never reads a clock itself.

use std::fmt;
use std::time::{Instant, SystemTime};

/// A source of time. Drivers use [`SystemClock`]; tests use a fake one that moves only when
/// told to, so retry and timeout tests never sleep.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic time, for deadlines.
    fn now(&self) -> Instant;
    /// Wall-clock time, for `Retry-After` dates and token expiry.
    fn wall(&self) -> SystemTime;
}

/// The real clocks.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}
