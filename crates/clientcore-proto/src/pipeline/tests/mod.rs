//! Unit tests of the exchange, one file per concern, each driven by the [`scenario`] builder:
//! what the exchange asked the driver to do and send, and what it returned.

mod scenario;

mod credentials;
mod follow;
mod observe;
mod redirect;
mod retrying;
mod shaping;
