//! The hostile-server suite: servers that trickle, stall, lie and close mid-body, and callers
//! that pass what they should not (secrets in URLs, a new timeout per call).
//!
//! Harness:
//! - [`server`]: [`server::RawServer`], a raw-socket HTTP/1.1 server on 127.0.0.1 scripted byte
//!   by byte, recording every request (request line, headers, body) and counting connections.
//! - [`support`] (the shared `tests/support/mod.rs`): `both_drivers!(name, |driver| { … })`
//!   runs one body under the async `Client` and the `BlockingClient`, each bounded in time,
//!   and `TestClient::new(driver, options)` sends through either driver as plain code.
//!
//! Each module holds one family of tests; add a module here and a file next to this one.

#[macro_use]
#[path = "../support/mod.rs"]
mod support;

mod listing;
mod server;

mod harness;

mod credential_values;
mod follow;
mod loops;
mod pools;
mod retry_after;
mod secrets;
mod stalls;
mod timeouts;
mod userinfo;
