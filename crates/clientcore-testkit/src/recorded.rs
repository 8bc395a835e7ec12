//! What the server saw: one [`Recorded`] per request.

use bytes::Bytes;
use http::{HeaderMap, Method, Version};

/// One request as the [`Server`](crate::Server) received it.
///
/// Returned by [`Server::requests`](crate::Server::requests) and passed to handlers.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Recorded {
    /// Position of this request among all requests the server received, from 0.
    pub index: usize,
    /// The request method.
    pub method: Method,
    /// The request-target exactly as sent: origin-form (`/a?b`), absolute-form
    /// (`http://host/a?b`, from a client talking to a proxy) or authority-form (`host:443`, for
    /// `CONNECT`).
    pub target: String,
    /// The path of the target (`/a` for both `/a?b` and `http://host/a?b`); empty for `CONNECT`.
    pub path: String,
    /// The query of the target without the `?`, if it had one.
    pub query: Option<String>,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: Version,
    /// The request headers, in the order sent as far as [`HeaderMap`] keeps it (values of one
    /// name keep their relative order).
    pub headers: HeaderMap,
    /// The request body, de-chunked if it was sent chunked.
    pub body: Bytes,
    /// Index of the connection the request came on, from 0 in accept order; two requests with
    /// the same index shared a kept-alive connection.
    pub connection: usize,
    /// For a `CONNECT` request, the authority it asked for (`host:port`).
    pub connect_authority: Option<String>,
    /// The client certificate presented on this TLS connection, if the server required one.
    pub client_cert: Option<ClientCert>,
}

impl Recorded {
    /// The first value of a header as a string, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `METHOD target`, as on the request line: what a test compares to say which requests
    /// were made, in order.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }

    /// The body as UTF-8 text (lossily converted).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A client certificate seen during a TLS handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientCert {
    /// The certificate's subject, rendered like `CN=clientcore-testkit client, O=clientcore`.
    pub subject: String,
    /// The end-entity certificate in DER.
    pub der: Bytes,
}
