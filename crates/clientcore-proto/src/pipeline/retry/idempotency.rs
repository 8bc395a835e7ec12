//! Idempotency: which methods may be repeated, and the keys that make a POST safe to repeat.

use std::time::SystemTime;

use http::{HeaderName, Method};

/// Whether `method` may be repeated without changing the outcome (RFC 9110 §9.2.2, minus
/// nothing: the reference's list).
pub fn is_idempotent_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Which idempotency key header a call generates. See
/// [`RetryOptions::with_idempotency_key`](super::RetryOptions::with_idempotency_key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdempotencyKey {
    /// `Idempotency-Key: <UUID v4>` (the IETF httpapi draft, Stripe and most REST APIs).
    IdempotencyKey,
    /// Azure's `Repeatability-Request-ID: <UUID v4>` with `Repeatability-First-Sent:
    /// <IMF-fixdate of the first attempt>` (OASIS Repeatable Requests 1.0).
    Repeatability,
}

impl IdempotencyKey {
    /// The headers to add for a call first sent at `first_sent`, with a fresh UUID v4.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::pipeline::retry::IdempotencyKey;
    /// use std::time::{Duration, SystemTime};
    ///
    /// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    /// let h = IdempotencyKey::Repeatability.headers(at);
    /// assert_eq!(h[0].0, "repeatability-request-id");
    /// assert_eq!(h[0].1.len(), 36);
    /// assert_eq!(h[1], ("repeatability-first-sent".parse().unwrap(),
    ///     "Sun, 06 Nov 1994 08:49:37 GMT".to_owned()));
    /// ```
    pub fn headers(self, first_sent: SystemTime) -> Vec<(HeaderName, String)> {
        let id = uuid::Uuid::new_v4().to_string();
        match self {
            IdempotencyKey::IdempotencyKey => {
                vec![(HeaderName::from_static("idempotency-key"), id)]
            }
            IdempotencyKey::Repeatability => vec![
                (HeaderName::from_static("repeatability-request-id"), id),
                (
                    HeaderName::from_static("repeatability-first-sent"),
                    httpdate::fmt_http_date(first_sent),
                ),
            ],
        }
    }
}
