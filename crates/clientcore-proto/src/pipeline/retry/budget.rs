//! The client-wide retry budget: a token bucket that bounds the extra load retries add.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// A token bucket of retries shared by every call of a client. See the
/// [module docs](super#the-retry-budget).
///
/// `Clone` shares the bucket. The `with_*` setters return a new, full bucket: configure a
/// budget before handing it out.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::retry::RetryBudget;
///
/// let budget = RetryBudget::new().with_capacity(10).with_retry_cost(5);
/// assert_eq!(budget.available(), 10);
/// let shared = budget.clone();
/// assert!(shared.is_shared_with(&budget));
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Arc<Bucket>,
}

struct Bucket {
    config: BudgetConfig,
    tokens: Mutex<u32>,
}

#[derive(Clone, Copy, Debug)]
struct BudgetConfig {
    capacity: u32,
    retry_cost: u32,
    timeout_cost: u32,
    success_refill: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::new()
    }
}

impl RetryBudget {
    /// The tokens a success gives back when the call spent none.
    pub(super) fn success_refill(&self) -> u32 {
        self.inner.config.success_refill
    }

    /// Tokens in a full bucket.
    pub const DEFAULT_CAPACITY: u32 = 500;
    /// Tokens a retry takes.
    pub const DEFAULT_RETRY_COST: u32 = 5;
    /// Tokens a retry after a timeout takes.
    pub const DEFAULT_TIMEOUT_COST: u32 = 10;
    /// Tokens a success that needed no retry puts back.
    pub const DEFAULT_SUCCESS_REFILL: u32 = 1;

    /// A full bucket with the default capacity and costs.
    pub fn new() -> Self {
        RetryBudget::from_config(BudgetConfig {
            capacity: Self::DEFAULT_CAPACITY,
            retry_cost: Self::DEFAULT_RETRY_COST,
            timeout_cost: Self::DEFAULT_TIMEOUT_COST,
            success_refill: Self::DEFAULT_SUCCESS_REFILL,
        })
    }

    /// A budget that never runs out (retries cost nothing): only the per-call counters bound
    /// retries, as in the reference.
    pub fn unlimited() -> Self {
        RetryBudget::from_config(BudgetConfig {
            capacity: 0,
            retry_cost: 0,
            timeout_cost: 0,
            success_refill: 0,
        })
    }

    fn from_config(config: BudgetConfig) -> Self {
        RetryBudget {
            inner: Arc::new(Bucket {
                tokens: Mutex::new(config.capacity),
                config,
            }),
        }
    }

    /// The capacity. Default is [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) (500).
    #[must_use]
    pub fn with_capacity(self, tokens: u32) -> Self {
        let mut c = self.inner.config;
        c.capacity = tokens;
        RetryBudget::from_config(c)
    }

    /// The cost of a retry. Default is [`DEFAULT_RETRY_COST`](Self::DEFAULT_RETRY_COST) (5).
    #[must_use]
    pub fn with_retry_cost(self, tokens: u32) -> Self {
        let mut c = self.inner.config;
        c.retry_cost = tokens;
        RetryBudget::from_config(c)
    }

    /// The cost of a retry after a timeout. Default is
    /// [`DEFAULT_TIMEOUT_COST`](Self::DEFAULT_TIMEOUT_COST) (10).
    #[must_use]
    pub fn with_timeout_cost(self, tokens: u32) -> Self {
        let mut c = self.inner.config;
        c.timeout_cost = tokens;
        RetryBudget::from_config(c)
    }

    /// Tokens a first-attempt success puts back. Default is
    /// [`DEFAULT_SUCCESS_REFILL`](Self::DEFAULT_SUCCESS_REFILL) (1).
    #[must_use]
    pub fn with_success_refill(self, tokens: u32) -> Self {
        let mut c = self.inner.config;
        c.success_refill = tokens;
        RetryBudget::from_config(c)
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        *self.tokens()
    }

    /// Tokens in a full bucket.
    pub fn capacity(&self) -> u32 {
        self.inner.config.capacity
    }

    /// Whether `self` and `other` are the same bucket.
    pub fn is_shared_with(&self, other: &RetryBudget) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, u32> {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the cost of one retry; `None` when the bucket cannot pay it.
    pub(super) fn try_acquire(&self, after_timeout: bool) -> Option<u32> {
        let c = &self.inner.config;
        let cost = if after_timeout {
            c.timeout_cost
        } else {
            c.retry_cost
        };
        let mut t = self.tokens();
        *t = t.checked_sub(cost)?;
        Some(cost)
    }

    pub(super) fn release(&self, tokens: u32) {
        let cap = self.inner.config.capacity;
        let mut t = self.tokens();
        *t = t.saturating_add(tokens).min(cap);
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.inner.config;
        f.debug_struct("RetryBudget")
            .field("available", &self.available())
            .field("capacity", &c.capacity)
            .field("retry_cost", &c.retry_cost)
            .field("timeout_cost", &c.timeout_cost)
            .field("success_refill", &c.success_refill)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_refuses_then_refills() {
        let b = RetryBudget::new().with_capacity(10).with_retry_cost(5);
        assert_eq!(b.try_acquire(false), Some(5));
        assert_eq!(b.try_acquire(false), Some(5));
        assert_eq!(b.try_acquire(false), None);
        b.release(100);
        assert_eq!(b.available(), 10);
        let free = RetryBudget::unlimited();
        assert!((0..1000).all(|_| free.try_acquire(true).is_some()));
    }
}
