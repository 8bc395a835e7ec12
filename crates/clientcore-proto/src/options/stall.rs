//! Stalled-stream protection: the least a response body must deliver while the caller waits
//! for it.

use std::time::Duration;

/// The least throughput a streamed response body must keep while the caller reads it: at
/// least `min_bytes_per_sec` over each `grace` of waiting (at least one byte), else the read
/// fails with [`ServiceResponseTimeout`](crate::ErrorKind::ServiceResponseTimeout). Without
/// it, a server that sends a byte every 299 s keeps a download alive for ever, each read
/// within the 300 s `read_timeout`.
///
/// Only the time the caller spends waiting for data counts: a caller that pauses between
/// reads is not taken for a stalled server. The default ([`StallProtection::default`], on
/// unless turned off with [`Options::with_stall_protection(None)`]) is the AWS SDK's: 1 byte
/// per second over a 20 s grace window. A zero `grace` turns the protection off.
///
/// [`Options::with_stall_protection(None)`]: super::Options::with_stall_protection
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::options::{Options, StallProtection};
/// use std::time::Duration;
///
/// // A download that must keep 1 KiB/s, judged over 30 s windows.
/// let opts = Options::new().with_stall_protection(Some(StallProtection {
///     min_bytes_per_sec: 1024,
///     grace: Duration::from_secs(30),
/// }));
/// assert_eq!(opts.stall_protection().unwrap().min_bytes_per_sec, 1024);
/// assert_eq!(Options::new().stall_protection(), Some(StallProtection::default()));
/// assert_eq!(Options::new().with_stall_protection(None).stall_protection(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StallProtection {
    /// The least average throughput, in bytes per second.
    pub min_bytes_per_sec: u64,
    /// The window over which it is measured, in time spent waiting for data.
    pub grace: Duration,
}

impl Default for StallProtection {
    /// 1 byte per second over 20 s, as the AWS SDKs.
    fn default() -> Self {
        StallProtection {
            min_bytes_per_sec: 1,
            grace: Duration::from_secs(20),
        }
    }
}

impl StallProtection {
    /// The bytes a window must bring: `min_bytes_per_sec × grace`, rounded up, at least one.
    pub fn bytes_per_window(&self) -> u64 {
        let need = u128::from(self.min_bytes_per_sec) * self.grace.as_nanos();
        let need = need.div_ceil(1_000_000_000);
        u64::try_from(need).unwrap_or(u64::MAX).max(1)
    }
}
