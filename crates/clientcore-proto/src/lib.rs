//! The sans-IO core of [clientcore](https://docs.rs/clientcore): the error model, the service
//! error formats and (with the pipeline) every decision a request makes. No sockets, no
//! runtime, no clock reads: drivers in `clientcore` do the I/O.
//!
//! Most users depend on `clientcore`, which re-exports this crate.
//!
//! # From the seed's exception classes to Rust
//!
//! Every class of Azure Core's hierarchy has exactly one [`ErrorKind`]: the table is in the
//! [`error`] module's docs.
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
pub mod policies;
pub mod time;

pub use error::{
    is_retryable_status, AzionStatus, BoxError, CapturedResponse, Error, ErrorKind, ErrorMap,
    RedirectHop, Result, MAX_ERROR_BODY, MAX_KEPT_ERROR_BODY, MAX_SERVICE_ERROR_CHARS,
};
pub use format::{ErrorFormat, ServiceError};
pub use http;
pub use url;
