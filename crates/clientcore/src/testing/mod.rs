//! Test doubles for SDK authors (feature `testing`): run an SDK's tests offline, under both
//! drivers, through the whole pipeline.
//!
//! - [`MockTransport`]: scripted responses ([`MockResponse`]) and every request captured
//!   ([`CapturedRequest`]), for the async and the blocking client alike.
//! - [`Recorder`]: real exchanges written to a JSON file with secrets hidden, replayed later by
//!   [`MockTransport::replay`] with no server.
//!
//! Both plug in with the builders' `transport` setter:
//! `Client::builder().transport(Arc::new(mock))`.

mod mock;
mod record;

pub use mock::{CapturedRequest, MockResponse, MockTransport};
pub use record::Recorder;
