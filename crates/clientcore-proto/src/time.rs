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

/// A boxed, sendable future, as [`AsyncSleep`] returns.
pub type SleepFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>>;

/// Waits asynchronously between attempts. Drivers use the runtime's timer; tests use a fake
/// that only advances a fake clock.
pub trait AsyncSleep: Send + Sync + fmt::Debug {
    /// Resolves after `duration`.
    fn sleep(&self, duration: std::time::Duration) -> SleepFuture;
}

/// Waits, blocking the thread, between attempts.
pub trait BlockingSleep: Send + Sync + fmt::Debug {
    /// Returns after `duration`.
    fn sleep(&self, duration: std::time::Duration);
}
