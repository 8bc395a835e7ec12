//! A local server that speaks HTTP/2 (and HTTP/1.1 where it may), on hyper's own server, for
//! the transport's HTTP/2 tests: ALPN over TLS, prior knowledge over cleartext, multiplexing.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Version};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::pki::TestPki;

/// How an [`H2Server`] takes connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum H2Mode {
    /// TLS; the handshake offers (ALPN) `h2` and `http/1.1`, in that order, and each
    /// connection speaks what the client chose.
    TlsNegotiate,
    /// TLS offering only `http/1.1`: an HTTPS server that does not speak HTTP/2.
    TlsHttp1,
    /// Cleartext: HTTP/2 with prior knowledge, or HTTP/1.1, told apart by the first bytes.
    Cleartext,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct H2Seen {
    /// The HTTP version it came in.
    pub version: Version,
    /// The method.
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// The headers (HTTP/2 pseudo-headers are not among them).
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

type Handler = dyn Fn(&H2Seen) -> Response<Bytes> + Send + Sync;

struct H2State {
    seen: Mutex<Vec<H2Seen>>,
    connections: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    delay: Duration,
    handler: Box<Handler>,
}

/// A server on `127.0.0.1` speaking HTTP/2 (hyper's server, through hyper-util's
/// version-detecting builder), answering every request with its handler after an optional
/// delay, and counting connections and requests in flight.
///
/// # Examples
///
/// ```no_run
/// use clientcore_testkit::{H2Mode, H2Server};
///
/// let server = H2Server::start(H2Mode::Cleartext, |_seen| http::Response::new("hi".into()));
/// // ... send requests to server.url("/") ...
/// assert_eq!(server.connections(), 0);
/// ```
pub struct H2Server {
    addr: SocketAddr,
    tls: bool,
    pki: Option<TestPki>,
    shared: Arc<H2State>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl H2Server {
    /// Starts a server answering at once.
    pub fn start(
        mode: H2Mode,
        handler: impl Fn(&H2Seen) -> Response<Bytes> + Send + Sync + 'static,
    ) -> H2Server {
        H2Server::start_with_delay(mode, Duration::ZERO, handler)
    }

    /// Starts a server that holds every answer for `delay` (on the real clock), so that
    /// concurrent requests are in flight together.
    ///
    /// # Panics
    ///
    /// If the runtime or the listener cannot be set up.
    pub fn start_with_delay(
        mode: H2Mode,
        delay: Duration,
        handler: impl Fn(&H2Seen) -> Response<Bytes> + Send + Sync + 'static,
    ) -> H2Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("clientcore-testkit-h2")
            .enable_all()
            .build()
            .expect("the HTTP/2 server's runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let pki = (mode != H2Mode::Cleartext).then(TestPki::new);
        let tls = pki.as_ref().map(|pki| {
            let mut config = (*pki.server_config(false)).clone();
            config.alpn_protocols = match mode {
                H2Mode::TlsHttp1 => vec![b"http/1.1".to_vec()],
                _ => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            };
            tokio_rustls::TlsAcceptor::from(Arc::new(config))
        });
        let shared = Arc::new(H2State {
            seen: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            delay,
            handler: Box::new(handler),
        });
        let http1_only = mode == H2Mode::TlsHttp1;
        runtime.spawn(accept(listener, tls, shared.clone(), http1_only));
        H2Server {
            addr,
            tls: pki.is_some(),
            pki,
            shared,
            runtime: Some(runtime),
        }
    }

    /// `https://127.0.0.1:{port}{path}` (TLS modes) or `http://…`.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// The certificates the TLS modes serve (write its files to trust its CA).
    pub fn pki(&self) -> Option<&TestPki> {
        self.pki.as_ref()
    }

    /// Every request so far, in the order they arrived.
    ///
    /// # Panics
    ///
    /// If a handler panicked while holding the record.
    pub fn seen(&self) -> Vec<H2Seen> {
        self.shared.seen.lock().expect("record").clone()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// The most requests that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for H2Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for H2Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H2Server")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

async fn accept(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<H2State>,
    http1_only: bool,
) {
    while let Ok((tcp, _)) = listener.accept().await {
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let tls = tls.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            match tls {
                Some(tls) => {
                    if let Ok(stream) = tls.accept(tcp).await {
                        serve(TokioIo::new(stream), shared, http1_only).await;
                    }
                }
                None => serve(TokioIo::new(tcp), shared, http1_only).await,
            }
        });
    }
}

async fn serve<I>(io: I, shared: Arc<H2State>, http1_only: bool)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    if http1_only {
        builder = builder.http1_only();
    }
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let shared = shared.clone();
        async move { Ok::<_, std::convert::Infallible>(answer(request, &shared).await) }
    });
    // A client that goes away mid-connection is not the server's failure.
    let _ = builder.serve_connection(io, service).await;
}

async fn answer(
    request: Request<hyper::body::Incoming>,
    shared: &H2State,
) -> Response<Full<Bytes>> {
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let seen = H2Seen {
        version: parts.version,
        method: parts.method,
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), ToString::to_string),
        headers: parts.headers,
        body,
    };
    shared.seen.lock().expect("record").push(seen.clone());
    if !shared.delay.is_zero() {
        tokio::time::sleep(shared.delay).await;
    }
    let response = (shared.handler)(&seen).map(Full::new);
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}
