#![doc = include_str!("../../../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
// The clients and their responses exist with at least one driver.
#[cfg(any(feature = "async", feature = "blocking"))]
#[macro_use]
mod builder;
#[cfg(any(feature = "async", feature = "blocking"))]
mod call;
#[cfg(any(feature = "async", feature = "blocking"))]
mod client;
pub mod credential;
pub mod guide;
pub mod lro;
// The OpenTelemetry instruments: only the drivers measure.
#[cfg(all(
    feature = "opentelemetry",
    any(feature = "async", feature = "blocking")
))]
mod metrics;
pub mod operation;
pub mod paging;
#[cfg(any(feature = "async", feature = "blocking"))]
mod response;
#[cfg(any(feature = "async", feature = "blocking"))]
mod resume;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
pub mod time;
// Only the drivers open spans.
#[cfg(any(feature = "async", feature = "blocking"))]
mod trace;
pub mod transport;

pub use body::Body;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub use client::{BlockingClient, BlockingClientBuilder};
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use client::{Client, ClientBuilder};
pub use operation::Operation;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub use response::BlockingResponse;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use response::Response;

/// The rustls the default transport is built on, for
/// [`ClientBuilder::tls_config`](crate::ClientBuilder::tls_config) and
/// [`HyperTransport::with_tls_config`](crate::transport::HyperTransport::with_tls_config):
/// a configuration built with it is the version the transport takes.
#[cfg(feature = "_transport")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "async", feature = "blocking"))))]
pub use rustls;

pub use clientcore_proto::options::{
    self, ClientCert, HttpVersion, Options, Position, Proxies, Verify,
};
pub use clientcore_proto::pipeline::policy::{policy_fn, Policy, SharedPolicy};
pub use clientcore_proto::pipeline::retry::{RetryMode, RetryOptions};
pub use clientcore_proto::pipeline::{self, Request};
pub use clientcore_proto::{conditions, model, string_enum, url};
pub use clientcore_proto::{
    error, format, http, is_retryable_status, policies, AzionStatus, BoxError, CapturedResponse,
    Error, ErrorFormat, ErrorKind, ErrorMap, RedirectHop, Result, ServiceError, MAX_ERROR_BODY,
    MAX_KEPT_ERROR_BODY,
};

/// The most bytes the pagers and pollers read of one response (a page, a status): a service
/// cannot make them hold more. Options that set their own limit with
/// [`Options::with_buffered_body`] keep it. A longer body fails the call with
/// [`ErrorKind::Decode`].
pub const MAX_BUFFERED_BODY: usize = 32 << 20;

/// `options` with [`MAX_BUFFERED_BODY`] as the limit of buffered bodies, unless they have one:
/// for the library's own calls that read whole bodies.
#[cfg(any(feature = "async", feature = "blocking"))]
fn bounded(options: &Options) -> Options {
    if options.buffered_body().is_some() {
        options.clone()
    } else {
        options.clone().with_buffered_body(Some(MAX_BUFFERED_BODY))
    }
}

/// Options of one client; calls override them with [`RequestOptions`].
pub type ClientOptions = Options;
/// Options of one call, over the client's [`ClientOptions`].
pub type RequestOptions = Options;
