//! Waiting between attempts. Tests swap in a fake that only advances a fake clock.

use std::time::Duration;

pub use clientcore_proto::time::{AsyncSleep, BlockingSleep, SleepFuture};

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
