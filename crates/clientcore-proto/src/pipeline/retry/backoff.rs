//! Backoff and jitter: the reference's formula, capped, and the random numbers jitter takes.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{Jitter, RetryMode, RetryOptions};

impl RetryOptions {
    /// The backoff after `failures` failures (1-based): 0 for the first, then the formula,
    /// without jitter.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::pipeline::retry::RetryOptions;
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
    /// # use clientcore_proto as clientcore;
    /// use clientcore::pipeline::retry::{Jitter, RetryOptions};
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
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::retry::{Random, SharedRandom};
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

pub(super) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(super) fn unit(x: u64) -> f64 {
    f64::from(u32::try_from(x >> 32).unwrap_or(u32::MAX)) / 4_294_967_296.0
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
