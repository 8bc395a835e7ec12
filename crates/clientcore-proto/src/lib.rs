//! The sans-IO core of [clientcore](https://docs.rs/clientcore): the error model, the service
//! error formats and (with the pipeline) every decision a request makes. No sockets, no
//! runtime, no clock reads: drivers in `clientcore` do the I/O.
//!
//! Most users depend on `clientcore`, which re-exports this crate.
//!
//! # From the seed's exception classes to Rust
//!
//! Every class of Azure Core's hierarchy has exactly one [`ErrorKind`]; the is-a relations
//! hold through [`ErrorKind::is_a`] and the predicates on [`Error`].
//!
//! | Seed class | `ErrorKind` | Predicates that hold |
//! |---|---|---|
//! | `AzureError` | [`Other`](ErrorKind::Other) | every error is one |
//! | `ServiceRequestError` | [`ServiceRequest`](ErrorKind::ServiceRequest) | `is_service_request` |
//! | `ServiceRequestTimeoutError` | [`ServiceRequestTimeout`](ErrorKind::ServiceRequestTimeout) | `is_service_request`, `is_timeout` |
//! | `ServiceResponseError` | [`ServiceResponse`](ErrorKind::ServiceResponse) | `is_service_response` |
//! | `ServiceResponseTimeoutError` | [`ServiceResponseTimeout`](ErrorKind::ServiceResponseTimeout) | `is_service_response`, `is_timeout` |
//! | `HttpResponseError` | [`HttpResponse`](ErrorKind::HttpResponse) | `is_http_response` |
//! | `DecodeError` | [`Decode`](ErrorKind::Decode) | `is_http_response`, `is_decode` |
//! | `IncompleteReadError` | [`IncompleteRead`](ErrorKind::IncompleteRead) | `is_http_response`, `is_decode` |
//! | `ResourceExistsError` | [`ResourceExists`](ErrorKind::ResourceExists) | `is_http_response` |
//! | `ResourceNotFoundError` | [`ResourceNotFound`](ErrorKind::ResourceNotFound) | `is_http_response` |
//! | `ClientAuthenticationError` | [`ClientAuthentication`](ErrorKind::ClientAuthentication) | `is_http_response` |
//! | `ResourceModifiedError` | [`ResourceModified`](ErrorKind::ResourceModified) | `is_http_response` |
//! | `ResourceNotModifiedError` | [`ResourceNotModified`](ErrorKind::ResourceNotModified) | `is_http_response` |
//! | `TooManyRedirectsError` | [`TooManyRedirects`](ErrorKind::TooManyRedirects) | `is_http_response`; [`Error::redirect_history`] |
//! | `StreamConsumedError` | [`StreamConsumed`](ErrorKind::StreamConsumed) | |
//! | `StreamClosedError` | [`StreamClosed`](ErrorKind::StreamClosed) | |
//! | `ResponseNotReadError` | [`ResponseNotRead`](ErrorKind::ResponseNotRead) | |
//! | `SerializationError` | [`Serialization`](ErrorKind::Serialization) | |
//! | `DeserializationError` | [`Deserialization`](ErrorKind::Deserialization) | |
//! | `ODataV4Format`, `ARMErrorFormat`, `TypedErrorInfo` | [`format::ODataError`], [`format::TypedErrorInfo`] via [`Error::service_error`] | |
//! | Azion `AzionError` and its status classes | [`AzionStatus`] via [`Error::azion_status`]; `errors` via [`Error::errors`] | |
//!
//! Attributes: `message` → [`Error::message`]; `inner_exception` → `source()`; `exc_type` →
//! [`Error::source_type_name`]; `exc_msg` → [`Error::exc_msg`]; `continuation_token` →
//! [`Error::continuation_token`]; `status_code`, `reason`, `response` → [`Error::status`],
//! [`Error::reason`], [`Error::response`]; `error` → [`Error::service_error`]; `model` →
//! [`Error::model`] and [`Error::deserialize_body`]; `history` → [`Error::redirect_history`].
//!
//! # Optional features
//!
//! - `xml`: parse Azure Storage XML error bodies ([`format::StorageError`]). Off by default
//!   here; `clientcore` turns it on.
//!
//! # Stability
//!
//! Message texts other than the documented reference-compatible ones, and the concrete
//! types behind `source()`, may change in minor releases.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod conditions;
pub mod error;
pub mod format;
pub mod lro;
pub mod model;
pub mod options;
pub mod paging;
pub mod pipeline;
pub mod policy;
pub mod time;

pub use error::{
    is_retryable_status, AzionStatus, BoxError, CapturedResponse, Error, ErrorKind, ErrorMap,
    RedirectHop, Result, MAX_ERROR_BODY, MAX_KEPT_ERROR_BODY, MAX_SERVICE_ERROR_CHARS,
};
pub use format::{ErrorFormat, ServiceError};
pub use http;
pub use url;
