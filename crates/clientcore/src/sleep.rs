//! Waiting between attempts. Tests swap in a fake that only advances a fake clock.

use std::fmt;
use std::time::Duration;

use crate::transport::BoxFuture;

/// Waits asynchronously.
pub trait AsyncSleep: Send + Sync + fmt::Debug {
    /// Resolves after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Waits, blocking the thread.
pub trait BlockingSleep: Send + Sync + fmt::Debug {
    /// Returns after `duration`.
    fn sleep(&self, duration: Duration);
}

/// Real sleeping: `tokio::time::sleep` and `std::thread::sleep`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealSleep;

#[cfg(feature = "_transport")]
impl AsyncSleep for RealSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

impl BlockingSleep for RealSleep {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}
