//! How an operation is polled: [`LroOptions`] and [`FinalStateVia`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::PollingStrategy;

/// Where the final result of an operation is, when the service documents it
/// (`x-ms-long-running-operation-options: final-state-via`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FinalStateVia {
    /// The monitor of `Azure-AsyncOperation` is the result (no final GET for POST).
    AzureAsyncOperation,
    /// The URL of the initial `Location` header.
    Location,
    /// The monitor of `Operation-Location` is the result (no final GET for POST).
    OperationLocation,
    /// The original request URL.
    OriginalUri,
}

impl FinalStateVia {
    /// The spec's spelling (`azure-async-operation`, `location`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FinalStateVia::AzureAsyncOperation => "azure-async-operation",
            FinalStateVia::Location => "location",
            FinalStateVia::OperationLocation => "operation-location",
            FinalStateVia::OriginalUri => "original-uri",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Self> {
        [
            FinalStateVia::AzureAsyncOperation,
            FinalStateVia::Location,
            FinalStateVia::OperationLocation,
            FinalStateVia::OriginalUri,
        ]
        .into_iter()
        .find(|f| f.as_str().eq_ignore_ascii_case(s))
    }
}

/// How an operation is polled.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::lro::{FinalStateVia, LroOptions};
/// use std::time::Duration;
///
/// let o = LroOptions::new()
///     .with_polling_interval(Duration::from_secs(5))
///     .with_final_state_via(FinalStateVia::Location);
/// assert_eq!(o.polling_interval(), Duration::from_secs(5));
/// ```
#[derive(Clone)]
pub struct LroOptions {
    pub(super) polling_interval: Duration,
    pub(super) final_state_via: Option<FinalStateVia>,
    pub(super) base_url: Option<Url>,
    pub(super) retry_after_max: Duration,
    pub(super) max_polls: u32,
    pub(super) polling: bool,
    pub(super) strategy: Option<Arc<dyn PollingStrategy>>,
}

impl fmt::Debug for LroOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LroOptions")
            .field("polling_interval", &self.polling_interval)
            .field("final_state_via", &self.final_state_via)
            .field("base_url", &self.base_url)
            .field("retry_after_max", &self.retry_after_max)
            .field("max_polls", &self.max_polls)
            .field("polling", &self.polling)
            .field("strategy", &self.strategy)
            .finish()
    }
}

/// Equal settings; strategies are equal when they are the same shared value.
impl PartialEq for LroOptions {
    fn eq(&self, other: &Self) -> bool {
        self.polling_interval == other.polling_interval
            && self.final_state_via == other.final_state_via
            && self.base_url == other.base_url
            && self.retry_after_max == other.retry_after_max
            && self.max_polls == other.max_polls
            && self.polling == other.polling
            && match (&self.strategy, &other.strategy) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for LroOptions {}

impl Default for LroOptions {
    fn default() -> Self {
        LroOptions {
            polling_interval: Duration::from_secs(30),
            final_state_via: None,
            base_url: None,
            retry_after_max: Duration::from_secs(300),
            max_polls: 100_000,
            polling: true,
            strategy: None,
        }
    }
}

impl LroOptions {
    /// Every default.
    pub fn new() -> Self {
        LroOptions::default()
    }

    /// The wait between polls when the service sends no `Retry-After` (`polling_interval`).
    /// Default is 30 s.
    #[must_use]
    pub fn with_polling_interval(mut self, interval: Duration) -> Self {
        self.polling_interval = interval;
        self
    }

    /// Where the result is. Default is none: the rules in the [module docs](super).
    #[must_use]
    pub fn with_final_state_via(mut self, via: FinalStateVia) -> Self {
        self.final_state_via = Some(via);
        self
    }

    /// Resolves relative polling and result URLs against `base` instead of the request URL:
    /// the reference's `path_format_arguments`, with the base built by [`format_url`](super::format_url).
    /// Default is the request URL.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::lro::{format_url, LroOptions};
    ///
    /// let base = format_url("http://{accountName}{host}", &[("host", "host:3000"), ("accountName", "local")])?;
    /// assert_eq!(base.as_str(), "http://localhost:3000/");
    /// let o = LroOptions::new().with_base_url(base);
    /// # Ok::<(), clientcore::Error>(())
    /// ```
    #[must_use]
    pub fn with_base_url(mut self, base: Url) -> Self {
        self.base_url = Some(base);
        self
    }

    /// The longest wait between polls a `Retry-After` can ask for; a longer one (up to a
    /// value too large to represent) waits this long. Default is 300 s, as
    /// [`RetryOptions::retry_after_max`](crate::pipeline::retry::RetryOptions::retry_after_max).
    #[must_use]
    pub fn with_retry_after_max(mut self, max: Duration) -> Self {
        self.retry_after_max = max;
        self
    }

    /// How many polls an operation may take before the poller gives up with a
    /// [`ServiceResponse`](crate::ErrorKind::ServiceResponse) error, so that a service that never
    /// reaches a terminal status cannot keep a caller polling for ever. Default is 100,000
    /// (more than a day at one poll a second; the reference has no bound).
    #[must_use]
    pub fn with_max_polls(mut self, max: u32) -> Self {
        self.max_polls = max;
        self
    }

    /// No polling: the initial response is the operation's result, whatever it says (the
    /// reference's `polling=False`, its `NoPolling`). The poller sends the initial request
    /// and nothing else; its status is `Succeeded`.
    #[must_use]
    pub fn without_polling(mut self) -> Self {
        self.polling = false;
        self
    }

    /// Decides the status and the poll URL with `strategy` when it takes the operation
    /// (see [`PollingStrategy`]), before the built-in strategies.
    #[must_use]
    pub fn with_strategy(mut self, strategy: Arc<dyn PollingStrategy>) -> Self {
        self.strategy = Some(strategy);
        self
    }

    /// Whether the operation is polled (not [`without_polling`](Self::without_polling)).
    pub fn polling(&self) -> bool {
        self.polling
    }

    /// The cap on a `Retry-After` wait between polls.
    pub fn retry_after_max(&self) -> Duration {
        self.retry_after_max
    }

    /// The most polls an operation may take.
    pub fn max_polls(&self) -> u32 {
        self.max_polls
    }

    /// The base URL of relative polling URLs, if set.
    pub fn base_url(&self) -> Option<&Url> {
        self.base_url.as_ref()
    }

    /// The polling interval.
    pub fn polling_interval(&self) -> Duration {
        self.polling_interval
    }

    /// The final-state-via option, if set.
    pub fn final_state_via(&self) -> Option<FinalStateVia> {
        self.final_state_via
    }
}
