//! Test support for clientcore: a local, fault-injecting HTTP/1.1 server.
//!
//! [`Server`] binds `127.0.0.1:0`, runs on its own runtime on a named background thread (so
//! async and blocking clients can share it) and answers with scripted [`Reply`]s, which are
//! data: statuses, headers and bodies, but also delays, hangs, resets, truncated bodies and raw
//! bytes. It records every request as a [`Recorded`] for the test to assert on, and fails the
//! test on drop if a handler panicked, a request found no reply, or a scripted reply went unused.
//!
//! [`TestPki`] makes a throwaway CA with server and client certificates for HTTPS and mutual
//! TLS, and [`ServerBuilder::proxy`] turns the server into a forward proxy that records what a
//! client sends through it.
//!
//! [`H2Server`] speaks HTTP/2 (hyper's server): over TLS with ALPN, or with prior knowledge
//! over cleartext, counting connections and requests in flight.
//!
//! This crate is not published; it exists for clientcore's own tests.
#![forbid(unsafe_code)]

mod clock;
mod conn;
mod h2;
mod pki;
mod recorded;
mod reply;
mod server;

pub use clock::FakeClock;
pub use h2::{H2Mode, H2Seen, H2Server};
pub use pki::{PkiFiles, TestPki, CLIENT_COMMON_NAME};
pub use recorded::{ClientCert, Recorded};
pub use reply::Reply;
pub use server::{Server, ServerBuilder, NO_REPLY_LEFT};

// Re-exported so tests can name the types in `Recorded` and `Reply::chunked` without their own
// dependency on these crates.
pub use bytes::Bytes;
pub use http;
