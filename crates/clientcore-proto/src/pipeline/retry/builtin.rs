//! The built-in retry classifiers: the rules clientcore retries by, each a named
//! [`ClassifyRetry`] in the same list as the caller's, so that a caller can remove or reorder
//! them ([`RetryOptions::with_classifiers`](super::RetryOptions::with_classifiers)).
//!
//! The default list ([`DEFAULT_CLASSIFIERS`]) is, in order: [`ConnectErrors`](BuiltinClassifier::ConnectErrors),
//! [`Idempotency`](BuiltinClassifier::Idempotency),
//! [`TransientStatus`](BuiltinClassifier::TransientStatus),
//! [`RetryAfter`](BuiltinClassifier::RetryAfter) and
//! [`TransientTransport`](BuiltinClassifier::TransientTransport). Azure Storage's list
//! ([`STORAGE_CLASSIFIERS`], [`RetryOptions::storage`](super::RetryOptions::storage)) retries
//! every method, as the Storage SDKs' `StorageRetryPolicy` does.

use std::fmt;

use http::Method;

use crate::error::ErrorKind;

use super::{
    is_idempotent_method, ClassifyRetry, RetryAction, RetryContext, SharedRetryClassifier,
};

/// A built-in retry rule. Each answers [`RetryAction::NoOpinion`] for the failures it is not
/// about, so that the next classifier in the list is asked.
///
/// # Examples
///
/// A list without the idempotency rule: a POST is retried on a 503 like a GET.
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::retry::{BuiltinClassifier, RetryOptions, DEFAULT_CLASSIFIERS};
///
/// let r = RetryOptions::new().with_classifiers(
///     DEFAULT_CLASSIFIERS.iter().filter(|c| c.name() != BuiltinClassifier::Idempotency.name()).cloned(),
/// );
/// assert!(r.classifiers().all(|c| c.name() != "idempotency"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuiltinClassifier {
    /// `connect_errors`: a transport error before the request was sent
    /// ([`ErrorKind::ServiceRequest`]) is retried, whatever the method: the server never saw
    /// it (ARCHITECTURE.md, deviation 10; the reference retries only idempotent methods).
    ConnectErrors,
    /// `idempotency`: a request that is not idempotent (POST, PATCH), that reached the
    /// server, is not retried ([`RetryAction::NotIdempotent`]) after a failure the other
    /// built-ins would retry, unless the caller declares it idempotent
    /// ([`with_idempotent`](super::RetryOptions::with_idempotent)) or gives it an idempotency
    /// key ([`with_idempotency_key`](super::RetryOptions::with_idempotency_key)). A failure
    /// no built-in retries gets no opinion, so that it is recorded as not retryable.
    Idempotency,
    /// `transient_status`: 408, 429, 500, 502, 503, 504 and 506 to 998 (the reference's
    /// set), plus the statuses the caller adds
    /// ([`with_status_code`](super::RetryOptions::with_status_code)).
    TransientStatus,
    /// `retry_after`: any status of 400 or more that carries `Retry-After` (the reference's
    /// rule; `retry-after-ms` alone does not count).
    RetryAfter,
    /// `transient_transport`: a transport error after the request was sent
    /// ([`ErrorKind::ServiceResponse`] and its timeout, [`ErrorKind::IncompleteRead`]).
    TransientTransport,
    /// `storage_status`: Azure Storage's rule (`is_retry` of the Storage SDKs'
    /// `StorageRetryPolicy`): 408; a 4xx whose `x-ms-copy-source-error-code` is
    /// `OperationTimedOut`, `InternalError` or `ServerBusy`; and every 5xx but 501 and 505.
    /// Any method. 429 is not retried (Storage throttles with 503 `ServerBusy`), and
    /// `Retry-After` does not make a status retryable (it still sets the wait).
    StorageStatus,
}

/// The default list, in the order asked.
pub const DEFAULT_CLASSIFIERS: &[SharedRetryClassifier] = &[
    SharedRetryClassifier::builtin(BuiltinClassifier::ConnectErrors),
    SharedRetryClassifier::builtin(BuiltinClassifier::Idempotency),
    SharedRetryClassifier::builtin(BuiltinClassifier::TransientStatus),
    SharedRetryClassifier::builtin(BuiltinClassifier::RetryAfter),
    SharedRetryClassifier::builtin(BuiltinClassifier::TransientTransport),
];

/// Azure Storage's list: every method is retried after transport errors and Storage's
/// retryable statuses ([`BuiltinClassifier::StorageStatus`]).
pub const STORAGE_CLASSIFIERS: &[SharedRetryClassifier] = &[
    SharedRetryClassifier::builtin(BuiltinClassifier::ConnectErrors),
    SharedRetryClassifier::builtin(BuiltinClassifier::StorageStatus),
    SharedRetryClassifier::builtin(BuiltinClassifier::TransientTransport),
];

impl BuiltinClassifier {
    /// The classifier's name, as [`AttemptRecord::classifier`](super::AttemptRecord::classifier)
    /// and the retry log say it.
    pub const fn name(self) -> &'static str {
        match self {
            BuiltinClassifier::ConnectErrors => "connect_errors",
            BuiltinClassifier::Idempotency => "idempotency",
            BuiltinClassifier::TransientStatus => "transient_status",
            BuiltinClassifier::RetryAfter => "retry_after",
            BuiltinClassifier::TransientTransport => "transient_transport",
            BuiltinClassifier::StorageStatus => "storage_status",
        }
    }
}

impl fmt::Display for BuiltinClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl ClassifyRetry for BuiltinClassifier {
    fn classify(&self, ctx: &RetryContext<'_>) -> RetryAction {
        let yes = |b: bool| {
            if b {
                RetryAction::retry()
            } else {
                RetryAction::NoOpinion
            }
        };
        match self {
            BuiltinClassifier::ConnectErrors => yes(ctx
                .error()
                .is_some_and(|e| !ctx.is_response() && e.is_service_request())),
            BuiltinClassifier::Idempotency => {
                let reached =
                    ctx.is_response() || ctx.error().is_some_and(|e| !e.is_service_request());
                if reached && !is_idempotent(ctx) && is_transient(ctx) {
                    RetryAction::NotIdempotent
                } else {
                    RetryAction::NoOpinion
                }
            }
            BuiltinClassifier::TransientStatus => yes(ctx
                .status()
                .is_some_and(|s| ctx.options().is_retry_status(s.as_u16()))),
            BuiltinClassifier::RetryAfter => yes(has_retry_after(ctx)),
            BuiltinClassifier::TransientTransport => yes(!ctx.is_response()
                && ctx.error().is_some_and(|e| {
                    e.is_service_response() || e.kind() == ErrorKind::IncompleteRead
                })),
            BuiltinClassifier::StorageStatus => yes(ctx.status().is_some_and(|s| {
                let copy_source = ctx
                    .headers()
                    .and_then(|h| h.get("x-ms-copy-source-error-code"))
                    .and_then(|v| v.to_str().ok());
                storage_retries(s.as_u16(), copy_source)
            })),
        }
    }

    fn name(&self) -> &'static str {
        BuiltinClassifier::name(*self)
    }
}

/// Whether the request may be repeated: an idempotent method, or declared so by the caller
/// (explicitly or with an idempotency key).
fn is_idempotent(ctx: &RetryContext<'_>) -> bool {
    let opts = ctx.options();
    opts.idempotent() || opts.idempotency_key().is_some() || is_idempotent_method(method(ctx))
}

fn method<'a>(ctx: &RetryContext<'a>) -> &'a Method {
    &ctx.request().method
}

fn has_retry_after(ctx: &RetryContext<'_>) -> bool {
    ctx.status().is_some_and(|s| s.as_u16() >= 400)
        && ctx.headers().is_some_and(|h| h.contains_key("retry-after"))
}

/// Whether the default built-ins after [`BuiltinClassifier::Idempotency`] would retry the
/// failure (a transient status, `Retry-After`, a transient transport error).
fn is_transient(ctx: &RetryContext<'_>) -> bool {
    match ctx.status() {
        Some(s) => ctx.options().is_retry_status(s.as_u16()) || has_retry_after(ctx),
        None => ctx
            .error()
            .is_some_and(|e| e.is_service_response() || e.kind() == ErrorKind::IncompleteRead),
    }
}

/// Azure Storage's `is_retry` (without the secondary-location 404, which clientcore does not
/// route to).
fn storage_retries(status: u16, copy_source_error: Option<&str>) -> bool {
    match status {
        408 => true,
        400..=499 => matches!(
            copy_source_error,
            Some("OperationTimedOut" | "InternalError" | "ServerBusy")
        ),
        501 | 505 => false,
        500.. => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::storage_retries;

    #[test]
    fn storage_statuses_are_the_storage_sdks() {
        for s in [408, 500, 502, 503, 504, 506, 599] {
            assert!(storage_retries(s, None), "{s}");
        }
        for s in [200, 304, 400, 404, 409, 412, 429, 501, 505] {
            assert!(!storage_retries(s, None), "{s}");
        }
        for code in ["OperationTimedOut", "InternalError", "ServerBusy"] {
            assert!(storage_retries(409, Some(code)), "{code}");
        }
        assert!(!storage_retries(409, Some("BlobNotFound")));
        assert!(!storage_retries(200, Some("ServerBusy")));
    }
}
