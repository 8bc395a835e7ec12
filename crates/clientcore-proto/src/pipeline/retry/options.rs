//! The retry options: counters, backoff settings, mode and jitter, the budget, the
//! classifiers and the idempotency key of a call (the reference's `RetryPolicy` settings).

use std::fmt;
use std::time::Duration;

use crate::error::is_retryable_status;

use super::{
    IdempotencyKey, RetryBudget, SharedRandom, SharedRetryClassifier, DEFAULT_CLASSIFIERS,
    STORAGE_CLASSIFIERS,
};

/// Exponential or fixed delays (`retry_mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryMode {
    /// `factor × 2^(n−1)`. Default.
    #[default]
    Exponential,
    /// `factor` every time.
    Fixed,
}

/// How the backoff is randomised. See the [module docs](super#jitter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jitter {
    /// The backoff exactly, as the seed specifies. Default.
    #[default]
    None,
    /// A uniform random wait in `[0, backoff]`.
    Full,
    /// A uniform random wait in `[backoff / 2, backoff]`.
    Equal,
}

/// The seed's `retry_*` options, plus clientcore's jitter, budget, classifiers and
/// idempotency key. Unset fields inherit, then take the defaults.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::retry::{Jitter, RetryOptions};
/// use std::time::Duration;
///
/// let r = RetryOptions::new().with_total(2).with_backoff_factor(0.5);
/// assert_eq!(r.total(), 2);
/// assert_eq!(r.status(), 3);
/// assert_eq!(r.backoff_max(), Duration::from_secs(120));
/// assert_eq!(r.jitter(), Jitter::None);
/// ```
#[derive(Clone, Default)]
pub struct RetryOptions {
    total: Option<u32>,
    connect: Option<u32>,
    read: Option<u32>,
    status: Option<u32>,
    backoff_factor: Option<f64>,
    backoff_max: Option<Duration>,
    retry_after_max: Option<Duration>,
    mode: Option<RetryMode>,
    extra_statuses: Vec<u16>,
    idempotent: Option<bool>,
    jitter: Option<Jitter>,
    random: Option<SharedRandom>,
    budget: Option<RetryBudget>,
    /// Added with `with_classifier`: asked first, in the order added.
    classifiers: Vec<SharedRetryClassifier>,
    /// The list asked after them; `None` inherits, and is the built-in
    /// [`DEFAULT_CLASSIFIERS`] when nothing sets it.
    rules: Option<Vec<SharedRetryClassifier>>,
    idempotency_key: Option<IdempotencyKey>,
}

// ===== impl RetryOptions =====

impl RetryOptions {
    /// Nothing set.
    pub fn new() -> Self {
        RetryOptions::default()
    }

    /// No retries at all.
    pub fn none() -> Self {
        RetryOptions::new().with_total(0)
    }

    /// Azure Storage's retry rules, as the Storage SDKs' `StorageRetryPolicy` applies them:
    /// every method (POST and PUT included, not only idempotent ones) is retried after a
    /// transport error and after 408, 500, 502, 503, 504 and any 5xx but 501 and 505 (and a
    /// 4xx whose `x-ms-copy-source-error-code` is `OperationTimedOut`, `InternalError` or
    /// `ServerBusy`); 429 is not. The classifier list is [`STORAGE_CLASSIFIERS`]; counters,
    /// backoff and `Retry-After` waits stay clientcore's (the Storage SDKs wait 15 s ± 3,
    /// then 15 + 3ⁿ s, and ignore `Retry-After`). For a whole client
    /// (`Options::with_retry` on the client's options) or one operation (on the call's).
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::pipeline::retry::{BuiltinClassifier, RetryOptions};
    ///
    /// let names: Vec<_> = RetryOptions::storage().classifiers().map(|c| c.name()).collect();
    /// assert_eq!(names, ["connect_errors", "storage_status", "transient_transport"]);
    /// assert!(!names.contains(&BuiltinClassifier::Idempotency.name()));
    /// ```
    pub fn storage() -> Self {
        RetryOptions::new().with_classifiers(STORAGE_CLASSIFIERS.iter().cloned())
    }

    /// Total retries (`retry_total`). Default is 10.
    #[must_use]
    pub fn with_total(mut self, n: u32) -> Self {
        self.total = Some(n);
        self
    }

    /// Retries after connect errors (`retry_connect`). Default is 3.
    #[must_use]
    pub fn with_connect(mut self, n: u32) -> Self {
        self.connect = Some(n);
        self
    }

    /// Retries after read errors (`retry_read`). Default is 3.
    #[must_use]
    pub fn with_read(mut self, n: u32) -> Self {
        self.read = Some(n);
        self
    }

    /// Retries after retried statuses (`retry_status`). Default is 3.
    #[must_use]
    pub fn with_status(mut self, n: u32) -> Self {
        self.status = Some(n);
        self
    }

    /// Seconds of the backoff unit (`retry_backoff_factor`). Negative or non-finite values
    /// count as 0. Default is 0.8.
    #[must_use]
    pub fn with_backoff_factor(mut self, seconds: f64) -> Self {
        self.backoff_factor = Some(if seconds.is_finite() {
            seconds.max(0.0)
        } else {
            0.0
        });
        self
    }

    /// The longest backoff (`retry_backoff_max`). Default is 120 s.
    #[must_use]
    pub fn with_backoff_max(mut self, max: Duration) -> Self {
        self.backoff_max = Some(max);
        self
    }

    /// The longest `Retry-After` (or classifier-given) wait honoured; longer ones are cut to
    /// this. Default is 300 s.
    #[must_use]
    pub fn with_retry_after_max(mut self, max: Duration) -> Self {
        self.retry_after_max = Some(max);
        self
    }

    /// Exponential or fixed (`retry_mode`). Default is exponential.
    #[must_use]
    pub fn with_mode(mut self, mode: RetryMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Also retries `status`. Default adds none.
    #[must_use]
    pub fn with_status_code(mut self, status: u16) -> Self {
        self.extra_statuses.push(status);
        self
    }

    /// Declares the request idempotent, so POST and PATCH are retried like GET. Default is
    /// `false`.
    #[must_use]
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Randomises the backoff. Default is [`Jitter::None`] (see the
    /// [module docs](super#jitter) for why).
    #[must_use]
    pub fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Where jitter takes its random numbers from. Default is a per-call generator seeded
    /// from the operating system; tests pass [`SharedRandom::seeded`] or
    /// [`SharedRandom::fixed`].
    #[must_use]
    pub fn with_random(mut self, random: SharedRandom) -> Self {
        self.random = Some(random);
        self
    }

    /// Draws retries from `budget`, shared by every call that holds a clone of it. Default is
    /// the client's own budget ([`RetryBudget::new`], created when the client is built).
    #[must_use]
    pub fn with_budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Adds a classifier, asked after the ones added before it and before the list of
    /// [`with_classifiers`](Self::with_classifiers) (the built-in rules by default). Default
    /// is none.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::pipeline::retry::{classify_fn, RetryAction, RetryOptions};
    ///
    /// // Never retry a throttled call of a batch job: it has its own scheduler.
    /// let r = RetryOptions::new().with_classifier(classify_fn(|ctx| {
    ///     if ctx.status().map(|s| s.as_u16()) == Some(429) {
    ///         RetryAction::Forbid
    ///     } else {
    ///         RetryAction::NoOpinion
    ///     }
    /// }));
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn with_classifier(mut self, classifier: SharedRetryClassifier) -> Self {
        self.classifiers.push(classifier);
        self
    }

    /// Replaces the list of classifiers asked after those added with
    /// [`with_classifier`](Self::with_classifier). Default is [`DEFAULT_CLASSIFIERS`], the
    /// built-in rules; pass a reordered or shortened copy of it, or the caller's own rules
    /// with built-ins among them. A failure no classifier has an opinion on is not retried.
    ///
    /// # Examples
    ///
    /// Honour `Retry-After` on any status before anything else, and never retry a 429:
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::pipeline::retry::{
    ///     classify_fn, BuiltinClassifier as B, RetryAction, RetryOptions, SharedRetryClassifier,
    /// };
    ///
    /// let no_429 = classify_fn(|ctx| match ctx.status() {
    ///     Some(s) if s.as_u16() == 429 => RetryAction::Forbid,
    ///     _ => RetryAction::NoOpinion,
    /// })
    /// .named("no_429");
    /// let r = RetryOptions::new().with_classifiers([
    ///     B::RetryAfter.into(),
    ///     no_429,
    ///     B::ConnectErrors.into(),
    ///     B::Idempotency.into(),
    ///     B::TransientStatus.into(),
    ///     B::TransientTransport.into(),
    /// ] as [SharedRetryClassifier; 6]);
    /// assert_eq!(r.classifiers().nth(1).unwrap().name(), "no_429");
    /// ```
    #[must_use]
    pub fn with_classifiers(
        mut self,
        list: impl IntoIterator<Item = SharedRetryClassifier>,
    ) -> Self {
        self.rules = Some(list.into_iter().collect());
        self
    }

    /// Removes every classifier named `name` (a built-in's [`name`](super::BuiltinClassifier::name)
    /// or a caller's), from those added and from the list after them. On a call's options,
    /// the list then replaces the client's.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::pipeline::retry::{BuiltinClassifier, RetryOptions};
    ///
    /// // 429 is left to the caller's own scheduler.
    /// let r = RetryOptions::new().without_classifier(BuiltinClassifier::RetryAfter.name());
    /// assert_eq!(r.classifiers().count(), 4);
    /// ```
    #[must_use]
    pub fn without_classifier(mut self, name: &str) -> Self {
        self.classifiers.retain(|c| c.name() != name);
        let rules = self
            .rules
            .take()
            .unwrap_or_else(|| DEFAULT_CLASSIFIERS.to_vec());
        self.rules = Some(rules.into_iter().filter(|c| c.name() != name).collect());
        self
    }

    /// Sends a generated idempotency key, the same on every attempt of the call, which makes
    /// POST and PATCH retryable like GET. A header the request already carries is kept.
    /// Default is none.
    #[must_use]
    pub fn with_idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key = Some(key);
        self
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.total.is_none()
            && self.connect.is_none()
            && self.read.is_none()
            && self.status.is_none()
            && self.backoff_factor.is_none()
            && self.backoff_max.is_none()
            && self.retry_after_max.is_none()
            && self.mode.is_none()
            && self.extra_statuses.is_empty()
            && self.idempotent.is_none()
            && self.jitter.is_none()
            && self.random.is_none()
            && self.budget.is_none()
            && self.classifiers.is_empty()
            && self.rules.is_none()
            && self.idempotency_key.is_none()
    }

    /// Merges `over` on top of `self`: every knob `over` sets wins; extra statuses and the
    /// classifiers added with [`with_classifier`](Self::with_classifier) are appended; the
    /// list of [`with_classifiers`](Self::with_classifiers) is replaced.
    #[must_use]
    pub fn overwrite(&self, over: &RetryOptions) -> RetryOptions {
        let mut extra = self.extra_statuses.clone();
        extra.extend(&over.extra_statuses);
        let mut classifiers = self.classifiers.clone();
        classifiers.extend(over.classifiers.iter().cloned());
        RetryOptions {
            total: over.total.or(self.total),
            connect: over.connect.or(self.connect),
            read: over.read.or(self.read),
            status: over.status.or(self.status),
            backoff_factor: over.backoff_factor.or(self.backoff_factor),
            backoff_max: over.backoff_max.or(self.backoff_max),
            retry_after_max: over.retry_after_max.or(self.retry_after_max),
            mode: over.mode.or(self.mode),
            extra_statuses: extra,
            idempotent: over.idempotent.or(self.idempotent),
            jitter: over.jitter.or(self.jitter),
            random: over.random.clone().or_else(|| self.random.clone()),
            budget: over.budget.clone().or_else(|| self.budget.clone()),
            classifiers,
            rules: over.rules.clone().or_else(|| self.rules.clone()),
            idempotency_key: over.idempotency_key.or(self.idempotency_key),
        }
    }

    /// Total retries.
    pub fn total(&self) -> u32 {
        self.total.unwrap_or(10)
    }
    /// Connect retries.
    pub fn connect(&self) -> u32 {
        self.connect.unwrap_or(3)
    }
    /// Read retries.
    pub fn read(&self) -> u32 {
        self.read.unwrap_or(3)
    }
    /// Status retries.
    pub fn status(&self) -> u32 {
        self.status.unwrap_or(3)
    }
    /// Backoff factor in seconds.
    pub fn backoff_factor(&self) -> f64 {
        self.backoff_factor.unwrap_or(0.8)
    }
    /// Backoff cap.
    pub fn backoff_max(&self) -> Duration {
        self.backoff_max.unwrap_or(Duration::from_secs(120))
    }
    /// `Retry-After` cap.
    pub fn retry_after_max(&self) -> Duration {
        self.retry_after_max.unwrap_or(Duration::from_secs(300))
    }
    /// Mode.
    pub fn mode(&self) -> RetryMode {
        self.mode.unwrap_or_default()
    }
    /// Whether the request is declared idempotent.
    pub fn idempotent(&self) -> bool {
        self.idempotent.unwrap_or(false)
    }
    /// The jitter.
    pub fn jitter(&self) -> Jitter {
        self.jitter.unwrap_or_default()
    }
    /// The injected random source, if any.
    pub fn random(&self) -> Option<&SharedRandom> {
        self.random.as_ref()
    }
    /// The retry budget, if any.
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }
    /// Every classifier, in the order asked: those added with
    /// [`with_classifier`](Self::with_classifier), then the list (the built-in rules by
    /// default).
    pub fn classifiers(&self) -> impl Iterator<Item = &SharedRetryClassifier> + '_ {
        let rules = self.rules.as_deref().unwrap_or(DEFAULT_CLASSIFIERS);
        self.classifiers.iter().chain(rules)
    }
    /// The idempotency key header to generate, if any.
    pub fn idempotency_key(&self) -> Option<IdempotencyKey> {
        self.idempotency_key
    }

    /// Whether `status` is retried.
    pub fn is_retry_status(&self, status: u16) -> bool {
        is_retryable_status(status) || self.extra_statuses.contains(&status)
    }
}

impl fmt::Debug for RetryOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryOptions")
            .field("total", &self.total())
            .field("connect", &self.connect())
            .field("read", &self.read())
            .field("status", &self.status())
            .field("backoff_factor", &self.backoff_factor())
            .field("backoff_max", &self.backoff_max())
            .field("mode", &self.mode())
            .field("jitter", &self.jitter())
            .field("budget", &self.budget)
            .field(
                "classifiers",
                &self
                    .classifiers()
                    .map(SharedRetryClassifier::name)
                    .collect::<Vec<_>>(),
            )
            .field("idempotency_key", &self.idempotency_key)
            .finish_non_exhaustive()
    }
}
