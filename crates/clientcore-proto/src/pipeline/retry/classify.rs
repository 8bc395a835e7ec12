//! Retry classifiers: the rules asked, in order, whether a failed attempt is retried; the
//! caller's and the built-in ones ([`BuiltinClassifier`]) in one list.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

use crate::error::Error;
use crate::format::ServiceError;
use crate::pipeline::RequestParts;

use super::{BuiltinClassifier, Random, RetryOptions};

/// A classifier's answer about one failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAction {
    /// Let the next classifier, then the built-in rules, decide.
    NoOpinion,
    /// Retry (within the counters, budget and deadline), even if the built-in rules would
    /// not: the classifier vouches that repeating the request is safe.
    Retry {
        /// The wait, capped by `retry_after_max`; `None` uses `Retry-After`, else the backoff.
        after: Option<Duration>,
    },
    /// Do not retry.
    Forbid,
    /// Do not retry: repeating the request is not safe (it is not idempotent and reached the
    /// server). What [`BuiltinClassifier::Idempotency`] answers; recorded as
    /// [`RetryDecision::NotIdempotent`](super::RetryDecision::NotIdempotent) rather than
    /// [`Forbidden`](super::RetryDecision::Forbidden).
    NotIdempotent,
}

impl RetryAction {
    /// [`Retry`](Self::Retry) with the usual wait.
    pub fn retry() -> Self {
        RetryAction::Retry { after: None }
    }

    /// [`Retry`](Self::Retry) after `wait`.
    pub fn retry_after(wait: Duration) -> Self {
        RetryAction::Retry { after: Some(wait) }
    }
}

/// What a classifier sees of a failed attempt: the request as sent, and the response or the
/// transport error.
#[derive(Debug)]
pub struct RetryContext<'a> {
    pub(super) options: &'a RetryOptions,
    pub(super) request: &'a RequestParts,
    pub(super) attempt: u32,
    pub(super) response: Option<(StatusCode, &'a HeaderMap)>,
    pub(super) error: Option<&'a Error>,
}

impl<'a> RetryContext<'a> {
    /// The call's retry options (its extra statuses, whether it is declared idempotent...).
    pub fn options(&self) -> &'a RetryOptions {
        self.options
    }

    /// The request (method, URL and headers of the call).
    pub fn request(&self) -> &'a RequestParts {
        self.request
    }

    /// Which attempt failed, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The response status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.response.map(|(s, _)| s)
    }

    /// The response headers, when the server answered.
    pub fn headers(&self) -> Option<&'a HeaderMap> {
        self.response.map(|(_, h)| h)
    }

    /// The service error code (`x-ms-error-code`, else the parsed body's), when the server
    /// answered with one.
    pub fn error_code(&self) -> Option<&'a str> {
        self.response?;
        self.error?.error_code()
    }

    /// The parsed service error, when the server answered with one.
    pub fn service_error(&self) -> Option<&'a ServiceError> {
        self.error?.service_error()
    }

    /// The error: the transport's, or the HTTP error the response would become.
    pub fn error(&self) -> Option<&'a Error> {
        self.error
    }

    /// Whether the server answered (as opposed to a transport failure).
    pub fn is_response(&self) -> bool {
        self.response.is_some()
    }
}

/// Decides whether a failed attempt is retried. See the [module docs](super) for where
/// classifiers sit in the priority order.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::retry::{ClassifyRetry, RetryAction, RetryContext};
/// use std::time::Duration;
///
/// /// The service says `OperationPending` on a 409: come back in a second.
/// struct Pending;
/// impl ClassifyRetry for Pending {
///     fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
///         match ctx.error_code() {
///             Some("OperationPending") => RetryAction::retry_after(Duration::from_secs(1)),
///             _ => RetryAction::NoOpinion,
///         }
///     }
/// }
/// ```
pub trait ClassifyRetry: Send + Sync {
    /// The answer for one failed attempt.
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction;

    /// The name the retry history ([`AttemptRecord::classifier`](super::AttemptRecord::classifier))
    /// and the retry log give the classifier, and [`RetryOptions::without_classifier`] finds it
    /// by. Default is the type's name.
    fn name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }
}

/// A shared classifier, cheap to clone: a caller's, or a built-in one
/// ([`BuiltinClassifier`], converted with `into()`).
#[derive(Clone)]
pub struct SharedRetryClassifier(Inner);

#[derive(Clone)]
enum Inner {
    /// No allocation, so that the built-in lists are constants.
    Builtin(BuiltinClassifier),
    Custom(&'static str, Arc<dyn ClassifyRetry>),
}

impl SharedRetryClassifier {
    /// Shares `classifier`, under its [`name`](ClassifyRetry::name).
    pub fn new(classifier: impl ClassifyRetry + 'static) -> Self {
        let name = classifier.name();
        SharedRetryClassifier(Inner::Custom(name, Arc::new(classifier)))
    }

    /// A built-in classifier.
    pub const fn builtin(classifier: BuiltinClassifier) -> Self {
        SharedRetryClassifier(Inner::Builtin(classifier))
    }

    /// The same classifier under another name.
    #[must_use]
    pub fn named(self, name: &'static str) -> Self {
        match self.0 {
            Inner::Custom(_, c) => SharedRetryClassifier(Inner::Custom(name, c)),
            // A built-in keeps its name: the name is how it is found and removed.
            builtin @ Inner::Builtin(_) => SharedRetryClassifier(builtin),
        }
    }

    /// The classifier's name.
    pub fn name(&self) -> &'static str {
        match &self.0 {
            Inner::Builtin(b) => b.name(),
            Inner::Custom(name, _) => name,
        }
    }

    /// The built-in classifier this is, if it is one. A built-in's "retry" is recorded as
    /// [`Backoff`](super::RetryDecision::Backoff) or
    /// [`ServerWait`](super::RetryDecision::ServerWait), a caller's as
    /// [`Classifier`](super::RetryDecision::Classifier).
    pub fn as_builtin(&self) -> Option<BuiltinClassifier> {
        match &self.0 {
            Inner::Builtin(b) => Some(*b),
            Inner::Custom(..) => None,
        }
    }
}

impl From<BuiltinClassifier> for SharedRetryClassifier {
    fn from(classifier: BuiltinClassifier) -> Self {
        SharedRetryClassifier::builtin(classifier)
    }
}

impl std::ops::Deref for SharedRetryClassifier {
    type Target = dyn ClassifyRetry;
    fn deref(&self) -> &Self::Target {
        match &self.0 {
            Inner::Builtin(b) => b,
            Inner::Custom(_, c) => &**c,
        }
    }
}

impl fmt::Debug for SharedRetryClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedRetryClassifier")
            .field(&self.name())
            .finish()
    }
}

/// A classifier made of a closure, named `classify_fn` (rename it with
/// [`SharedRetryClassifier::named`]).
///
/// An adapter rather than a blanket `impl ClassifyRetry for F`, so that a future method with a
/// default does not turn every closure into a breaking change.
pub fn classify_fn<F>(f: F) -> SharedRetryClassifier
where
    F: Fn(&RetryContext<'_>) -> RetryAction + Send + Sync + 'static,
{
    struct ClassifyFn<F>(F);
    impl<F> ClassifyRetry for ClassifyFn<F>
    where
        F: Fn(&RetryContext<'_>) -> RetryAction + Send + Sync,
    {
        fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
            (self.0)(ctx)
        }

        fn name(&self) -> &'static str {
            "classify_fn"
        }
    }
    SharedRetryClassifier::new(ClassifyFn(f))
}

// Object safety is part of the contract.
const _: fn(&dyn ClassifyRetry) = |_| {};
const _: fn(&dyn Random) = |_| {};
