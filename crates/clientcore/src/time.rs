//! Time, injected: the clock every decision reads ([`Clock`]) and the sleep every wait takes
//! ([`AsyncSleep`], [`BlockingSleep`]). Clients use [`SystemClock`] and [`RealSleep`]; tests
//! swap in a fake clock and a sleep that only advances it, so no retry or timeout test sleeps.

use std::time::Duration;

pub use clientcore_proto::time::*;

/// Real sleeping: `tokio::time::sleep` and `std::thread::sleep`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealSleep;

#[cfg(feature = "_transport")]
impl AsyncSleep for RealSleep {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(duration))
    }
}

impl BlockingSleep for RealSleep {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}
