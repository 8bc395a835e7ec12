//! The local fault-injecting HTTP/1.1 server.

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::conn;
use crate::pki::{subject_of, TestPki};
use crate::recorded::{ClientCert, Recorded};
use crate::reply::Reply;

/// Body of the 500 sent when a request arrives after the script ran out.
pub const NO_REPLY_LEFT: &str = "clientcore-testkit: no scripted reply left";

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync + 'static>;
type PanicPayload = Box<dyn Any + Send + 'static>;

/// State shared by the [`Server`] handle and its connection tasks.
pub(crate) struct ServerState {
    script: Mutex<VecDeque<Reply>>,
    handler: Option<Handler>,
    requests: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
    failures: Mutex<Vec<String>>,
    panic: Mutex<Option<PanicPayload>>,
    pub(crate) proxy: bool,
    /// In proxy mode: open the tunnels `CONNECT` asks for (to 127.0.0.1 only).
    pub(crate) tunnel: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ServerState {
    /// Store a request, numbering it, and return the stored copy.
    pub(crate) fn record(&self, mut recorded: Recorded) -> Recorded {
        let mut requests = lock(&self.requests);
        recorded.index = requests.len();
        requests.push(recorded.clone());
        recorded
    }

    /// Note something that should fail the test when the server drops.
    pub(crate) fn fail(&self, message: String) {
        lock(&self.failures).push(message);
    }

    /// The reply for this request: the next scripted one, else the handler's, else a 500 and a
    /// failure. `None` if the handler panicked (the panic is kept for `Drop`).
    pub(crate) fn next_reply(&self, recorded: &Recorded) -> Option<Reply> {
        if let Some(reply) = lock(&self.script).pop_front() {
            return Some(reply);
        }
        if let Some(handler) = &self.handler {
            return match panic::catch_unwind(AssertUnwindSafe(|| handler(recorded))) {
                Ok(reply) => Some(reply),
                Err(payload) => {
                    lock(&self.panic).get_or_insert(payload);
                    None
                }
            };
        }
        self.fail(format!(
            "request #{} `{} {}` arrived with no scripted reply left",
            recorded.index, recorded.method, recorded.target
        ));
        Some(Reply::status(500).body(NO_REPLY_LEFT))
    }
}

/// A local HTTP/1.1 server for tests that answers with scripted [`Reply`]s and records every
/// request it sees.
///
/// It binds `127.0.0.1:0` and runs on its own two-worker tokio runtime on a named background
/// thread, so async and blocking clients can both use it in the same test.
///
/// When it drops it stops, then panics (unless the test is already panicking) if a
/// [handler](ServerBuilder::handler) panicked (re-raising that panic), if something went wrong
/// that the test did not [take](Server::take_failures) (a request after the script ran out, a
/// malformed request), or if scripted replies were left unused (unless
/// [`allow_unused`](Server::allow_unused) was called).
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::TcpStream;
/// use clientcore_testkit::{Reply, Server};
///
/// let server = Server::start([Reply::status(503).header("retry-after", "1").body("busy")]);
///
/// let mut stream = TcpStream::connect(server.addr()).unwrap();
/// stream
///     .write_all(b"GET /items?top=1 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
///     .unwrap();
/// let mut response = String::new();
/// stream.read_to_string(&mut response).unwrap();
/// assert!(response.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
/// assert!(response.ends_with("\r\n\r\nbusy"));
///
/// let requests = server.requests();
/// assert_eq!(requests[0].path, "/items");
/// assert_eq!(requests[0].query.as_deref(), Some("top=1"));
/// assert_eq!(server.url("/items"), format!("http://{}/items", server.addr()));
/// ```
pub struct Server {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<ServerState>,
    allow_unused: AtomicBool,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Start a plain HTTP server that serves these replies in order, one per request, across
    /// connections.
    ///
    /// # Panics
    ///
    /// If the socket cannot be bound or the thread cannot be started.
    pub fn start(replies: impl IntoIterator<Item = Reply>) -> Server {
        Server::builder().replies(replies).build()
    }

    /// Configure a server: TLS, proxy mode, a handler for dynamic replies.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            replies: Vec::new(),
            handler: None,
            tls: None,
            require_client_cert: false,
            proxy: false,
            tunnel: false,
        }
    }

    /// The address the server listens on (always `127.0.0.1`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`, without a trailing slash; in proxy
    /// mode, the proxy URL to give the client.
    pub fn origin(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The URL of `path` on this server: `http://127.0.0.1:PORT/path` (or `https`). A missing
    /// leading `/` is added.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.origin())
        } else {
            format!("{}/{path}", self.origin())
        }
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// The [`line`](Recorded::line) of every request received so far, in order.
    pub fn request_lines(&self) -> Vec<String> {
        lock(&self.shared.requests)
            .iter()
            .map(Recorded::line)
            .collect()
    }

    /// How many connections have been accepted so far (TCP accepts, whether or not a TLS
    /// handshake followed).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// How many scripted replies have not been used yet.
    pub fn unused_replies(&self) -> usize {
        lock(&self.shared.script).len()
    }

    /// Do not panic on drop because scripted replies were left unused.
    pub fn allow_unused(&self) {
        self.allow_unused.store(true, Ordering::SeqCst);
    }

    /// Take the failures recorded so far (requests after the script ran out, malformed
    /// requests), so that they no longer fail the test on drop.
    pub fn take_failures(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.shared.failures))
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .field("proxy", &self.shared.proxy)
            .field("connections", &self.connections())
            .field("requests", &lock(&self.shared.requests).len())
            .field("unused_replies", &self.unused_replies())
            .finish_non_exhaustive()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let joined = self.thread.take().map(thread::JoinHandle::join);
        if thread::panicking() {
            return;
        }
        if let Some(payload) = lock(&self.shared.panic).take() {
            panic::resume_unwind(payload);
        }
        if let Some(Err(payload)) = joined {
            panic::resume_unwind(payload);
        }
        let failures = self.take_failures();
        assert!(
            failures.is_empty(),
            "clientcore-testkit: the server saw {} failure(s):\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
        if !self.allow_unused.load(Ordering::SeqCst) {
            let left = lock(&self.shared.script);
            assert!(
                left.is_empty(),
                "clientcore-testkit: {} scripted repl{} never requested (call \
                 `server.allow_unused()` if that is expected): {:?}",
                left.len(),
                if left.len() == 1 { "y was" } else { "ies were" },
                left
            );
        }
    }
}

/// Configures a [`Server`]; made by [`Server::builder`].
pub struct ServerBuilder {
    replies: Vec<Reply>,
    handler: Option<Handler>,
    tls: Option<TestPki>,
    require_client_cert: bool,
    proxy: bool,
    tunnel: bool,
}

impl ServerBuilder {
    /// Add replies to the script, served in order, one per request, across connections.
    #[must_use]
    pub fn replies(mut self, replies: impl IntoIterator<Item = Reply>) -> Self {
        self.replies.extend(replies);
        self
    }

    /// Answer each request the script does not cover with `handler`'s reply (it sees the
    /// request already recorded). With a handler the script never runs out.
    ///
    /// The handler runs on the server's runtime: use [`Reply::delay`] rather than sleeping in
    /// it. If it panics, the connection is closed and the panic is re-raised when the server
    /// drops.
    #[must_use]
    pub fn handler(mut self, handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        self.handler = Some(Arc::new(handler));
        self
    }

    /// Serve HTTPS with this PKI's server certificate (for `127.0.0.1` and `localhost`).
    #[must_use]
    pub fn tls(mut self, pki: &TestPki) -> Self {
        self.tls = Some(pki.clone());
        self
    }

    /// With [`tls`](Self::tls): demand a client certificate signed by the PKI's CA (the
    /// handshake fails without one) and record it in [`Recorded::client_cert`].
    #[must_use]
    pub fn require_client_cert(mut self, require: bool) -> Self {
        self.require_client_cert = require;
        self
    }

    /// Act as an HTTP forward proxy: requests arrive in absolute-form and are answered by the
    /// script (nothing is forwarded); `CONNECT` is recorded and answered `403 Forbidden`, with
    /// the connection closed, without using a scripted reply (see [`tunnel`](Self::tunnel)).
    #[must_use]
    pub fn proxy(mut self) -> Self {
        self.proxy = true;
        self
    }

    /// A proxy that opens tunnels: a `CONNECT` to `127.0.0.1:PORT` is recorded, answered
    /// `200 Connection Established`, and the connection then relays bytes both ways to that
    /// port (another test server, TLS or not). A `CONNECT` to any other host is refused with
    /// `403`: tests never reach beyond the loopback address.
    #[must_use]
    pub fn tunnel(mut self) -> Self {
        self.proxy = true;
        self.tunnel = true;
        self
    }

    /// Bind `127.0.0.1:0` and start serving.
    ///
    /// # Panics
    ///
    /// If `require_client_cert(true)` was set without `tls`, or the socket cannot be bound, or
    /// the thread cannot be started.
    pub fn build(self) -> Server {
        assert!(
            !self.require_client_cert || self.tls.is_some(),
            "clientcore-testkit: require_client_cert(true) needs tls(..)"
        );
        let acceptor = self.tls.as_ref().map(|pki| {
            tokio_rustls::TlsAcceptor::from(pki.server_config(self.require_client_cert))
        });
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .expect("clientcore-testkit: bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("clientcore-testkit: set_nonblocking");
        let addr = listener
            .local_addr()
            .expect("clientcore-testkit: local_addr");
        let shared = Arc::new(ServerState {
            script: Mutex::new(self.replies.into()),
            handler: self.handler,
            requests: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            failures: Mutex::new(Vec::new()),
            panic: Mutex::new(None),
            proxy: self.proxy,
            tunnel: self.tunnel,
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task_shared = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name(format!("clientcore-testkit-server-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("clientcore-testkit-worker")
                    .enable_all()
                    .build()
                    .expect("clientcore-testkit: build runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("clientcore-testkit: register listener");
                    tokio::select! {
                        () = accept_loop(listener, task_shared, acceptor) => {}
                        _ = stopped => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .expect("clientcore-testkit: spawn server thread");
        Server {
            addr,
            tls: self.tls.is_some(),
            shared,
            allow_unused: AtomicBool::new(false),
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("replies", &self.replies)
            .field("handler", &self.handler.is_some())
            .field("tls", &self.tls.is_some())
            .field("require_client_cert", &self.require_client_cert)
            .field("proxy", &self.proxy)
            .field("tunnel", &self.tunnel)
            .finish()
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<ServerState>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Out of file descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let connection = shared.connections.fetch_add(1, Ordering::SeqCst);
        let shared = Arc::clone(&shared);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match acceptor {
                None => conn::serve(tcp, connection, shared, None).await,
                Some(acceptor) => {
                    // A failed handshake (no client certificate, untrusted CA) is what TLS
                    // tests provoke on purpose: not a failure of the server.
                    let Ok(stream) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let client_cert = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(<[_]>::first)
                        .map(|der| ClientCert {
                            subject: subject_of(der).unwrap_or_default(),
                            der: bytes::Bytes::copy_from_slice(der),
                        });
                    conn::serve(stream, connection, shared, client_cert).await;
                }
            }
        });
    }
}
