//! The default transport, on reqwest with rustls.

use std::collections::HashMap;
use std::error::Error as _;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use clientcore_proto::options::{ClientCert, Proxies, TransportConfig, Verify};
use clientcore_proto::pipeline::{Request, ResponseHead};
use clientcore_proto::{Error, ErrorKind};

use super::{AsyncBodyRead, BoxFuture, Transport, TransportResponse};
#[cfg(feature = "blocking")]
use super::{BlockingBodyRead, BlockingTransport, BlockingTransportResponse};
use crate::Body;

/// The default transport: reqwest with rustls, one exchange per call.
///
/// reqwest fixes the connect timeout, TLS and proxies per `reqwest::Client`, so this keeps one
/// client (one connection pool) per distinct set of those in [`TransportConfig`] (the read
/// timeout it keeps itself, per call), created on first use and up to 16 of them; calls with
/// the same settings share connections. All of them share one cookie jar. reqwest's own redirects and
/// retries are off: the pipeline decides.
///
/// `Clone` is cheap and shares the pools.
#[derive(Clone, Debug, Default)]
pub struct ReqwestTransport {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    clients: Mutex<HashMap<PoolKey, reqwest::Client>>,
    /// The first configuration used and its client: most calls use the client's settings,
    /// and comparing is cheaper than hashing the configuration and taking the lock.
    first: std::sync::OnceLock<(TransportConfig, reqwest::Client)>,
    jar: Jar,
    /// Set once a response stored a cookie: until then no request looks at the jar.
    has_cookies: std::sync::atomic::AtomicBool,
}

impl ReqwestTransport {
    /// A transport with empty pools and an empty cookie jar.
    pub fn new() -> Self {
        ReqwestTransport::default()
    }

    /// The reqwest client for `config`, built on first use.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ServiceRequest`] when a CA bundle, client certificate or proxy is invalid.
    pub fn client(&self, config: &TransportConfig) -> Result<reqwest::Client, Error> {
        if let Some((first, client)) = self.inner.first.get() {
            if same_pool(first, config) {
                return Ok(client.clone());
            }
        }
        self.client_slow(config)
    }

    /// A configuration other than the first, or the first one's first use. Kept out of line:
    /// the path every call takes stays a few cache lines long.
    #[cold]
    #[inline(never)]
    fn client_slow(&self, config: &TransportConfig) -> Result<reqwest::Client, Error> {
        let mut clients = self
            .inner
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let key = PoolKey(config.clone());
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let client = build(config)?;
        // Bounded: a caller varying its per-call settings (a connect timeout computed per
        // call, say) would otherwise keep a client and its pool per value for the life of the
        // transport. One is let go (its connections close when its last call ends); the first
        // configuration's client stays in `first` regardless.
        if clients.len() >= MAX_POOLS {
            if let Some(evicted) = clients.keys().next().cloned() {
                clients.remove(&evicted);
            }
        }
        clients.insert(key, client.clone());
        let _ = self.inner.first.set((config.clone(), client.clone()));
        Ok(client)
    }

    /// Sends one request; the shared implementation of both transport traits.
    pub(crate) async fn exchange(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
    ) -> Result<TransportResponse, Error> {
        let (head, resp) = self.exchange_raw(request, config, None).await?;
        Ok(TransportResponse {
            head,
            body: Box::new(ReqwestBody(resp)),
        })
    }

    /// Sends one request and returns the head and reqwest's response with its read timer,
    /// the body still on the wire. Gives up with `ServiceResponseTimeout` when the head has
    /// not arrived within the read timeout or the `limit` (the attempt's share of the call's
    /// time), both counted from when reqwest has the request.
    ///
    /// The request is handed to reqwest when this is called, not when the future is first
    /// polled (callers await it at once, and call it where the runtime is entered, which
    /// reqwest's connection timers need). Not an `async fn`: one would keep room for the request, its
    /// parts and reqwest's request in every state even once they are moved out (about 1.2 KB
    /// instead of about 200 bytes), and every move of the future, and of the futures holding
    /// it, copies all of it.
    #[inline]
    pub(crate) fn exchange_raw<'a>(
        &'a self,
        request: Request<Body>,
        config: &TransportConfig,
        limit: Option<std::time::Duration>,
    ) -> impl std::future::Future<Output = Result<(ResponseHead, ReqwestRead), Error>> + Send + 'a
    {
        let pending = self.execute(request, config);
        let read_timeout = config.read_timeout;
        // One async block, not a call to an async fn awaited in it: one future fewer.
        async move {
            let pending = pending?;
            // The head's wait has one timer, armed here (after `execute`, so the limit counts
            // from the hand-over) and kept in this future, not boxed: due at the attempt's
            // limit or the read timeout, whichever comes first; either ends the wait with a
            // timeout. reqwest's own keeps one for the head and another for the body, reset
            // on every frame.
            let first_due = limit.map_or(read_timeout, |limit| limit.min(read_timeout));
            let mut sleep = std::pin::pin!(tokio::time::sleep(first_due));
            let mut pending = std::pin::pin!(pending);
            let outcome = std::future::poll_fn(|cx| {
                // The head first: at the same tick, an answer wins over the timer.
                if let std::task::Poll::Ready(sent) = pending.as_mut().poll(cx) {
                    return std::task::Poll::Ready(Some(sent));
                }
                sleep.as_mut().poll(cx).map(|()| None)
            })
            .await;
            let Some(outcome) = outcome else {
                return Err(response_timeout());
            };
            let mut resp = outcome.map_err(|e| map_error(e, true))?;
            if resp.headers().contains_key(http::header::SET_COOKIE) {
                self.store_cookies(&resp);
            }
            let head = ResponseHead {
                status: resp.status(),
                reason: resp
                    .extensions()
                    .get::<hyper::ext::ReasonPhrase>()
                    .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned()),
                version: resp.version(),
                // Moved, not cloned: the body reader never looks at them.
                headers: std::mem::take(resp.headers_mut()),
                received: std::time::SystemTime::now(),
            };
            Ok((
                head,
                ReqwestRead {
                    resp,
                    timeout: read_timeout,
                    sleep: None,
                },
            ))
        }
    }

    /// Keeps the cookies a response sets.
    #[cold]
    #[inline(never)]
    fn store_cookies(&self, resp: &reqwest::Response) {
        self.inner.jar.store(resp.headers(), resp.url());
        self.inner
            .has_cookies
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Builds reqwest's request and hands it over.
    fn execute(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
    ) -> Result<impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send, Error>
    {
        let client = self.client(config)?;
        let mut parts = request.parts;
        if self
            .inner
            .has_cookies
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            merge_jar_cookies(&self.inner.jar, &parts.url, &mut parts.headers);
        }
        // A stream of declared length goes out with `Content-Length`, not chunked: some
        // services (Azure Storage among them) refuse chunked uploads. hyper fails the request
        // if the stream then yields a different number of bytes.
        if let Some(len) = request.body.declared_len() {
            parts
                .headers
                .entry(http::header::CONTENT_LENGTH)
                .or_insert_with(|| http::HeaderValue::from(len));
        }
        // The request directly, not through `RequestBuilder`: its `headers()` re-inserts every
        // header one by one, and `request()` clones the client. reqwest checks the URL in
        // `execute` (a builder error, as before).
        let mut req = reqwest::Request::new(parts.method, parts.url);
        *req.headers_mut() = parts.headers;
        *req.body_mut() = Some(request.body.into_reqwest());
        Ok(client.execute(req))
    }
}

impl Transport for ReqwestTransport {
    fn send<'a>(
        &'a self,
        request: Request<Body>,
        config: &'a TransportConfig,
    ) -> BoxFuture<'a, Result<TransportResponse, Error>> {
        Box::pin(self.exchange(request, config))
    }
}

/// The error of an attempt whose head did not arrive within its time budget.
pub(crate) fn response_timeout() -> Error {
    Error::new(ErrorKind::ServiceResponseTimeout, "Response timeout")
}

/// How many reqwest clients (connection pools) a transport keeps for distinct settings.
const MAX_POOLS: usize = 16;

/// What a reqwest client, one connection pool, is built from: the transport settings but the
/// read timeout, which the transport keeps itself, per wait. Calls that differ only in their
/// read timeout share connections.
#[derive(Clone, Debug)]
struct PoolKey(TransportConfig);

impl PartialEq for PoolKey {
    fn eq(&self, other: &Self) -> bool {
        same_pool(&self.0, &other.0)
    }
}

impl Eq for PoolKey {}

impl std::hash::Hash for PoolKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        pool_fields(&self.0).hash(state);
    }
}

/// Whether two configurations build the same reqwest client.
fn same_pool(a: &TransportConfig, b: &TransportConfig) -> bool {
    pool_fields(a) == pool_fields(b)
}

/// What a reqwest client is built from: every field of the configuration but the read timeout
/// (a new field must be added here, or named as left out).
fn pool_fields(
    config: &TransportConfig,
) -> (&std::time::Duration, &Verify, &Option<ClientCert>, &Proxies) {
    let TransportConfig {
        connection_timeout,
        read_timeout: _,
        verify,
        cert,
        proxies,
    } = config;
    (connection_timeout, verify, cert, proxies)
}

/// A client's cookie jar: `cookie_store`'s RFC 6265 store (domain and path matching, expiry,
/// the public-suffix rule), used directly rather than through reqwest's `cookies` feature,
/// whose layer re-parses every request's URL even for clients without a store.
#[derive(Debug, Default)]
struct Jar(std::sync::RwLock<cookie_store::CookieStore>);

/// The jar's bounds, RFC 6265 §6.1's minimums for what a user agent keeps: a server cannot
/// grow a long-lived client's jar without limit. A cookie longer than this is dropped.
const MAX_COOKIE_BYTES: usize = 4096;
/// Cookies kept in all; a new one beyond this is dropped (those already kept stay).
const MAX_COOKIES: usize = 3000;
/// Cookies kept per domain; a new one beyond this is dropped.
const MAX_COOKIES_PER_DOMAIN: usize = 50;

impl Jar {
    /// Keeps the cookies of a response's `Set-Cookie` headers; one that does not parse, that
    /// the store refuses for `url`, or that does not fit the jar's bounds is dropped, as
    /// browsers do. A cookie that replaces (or removes) a kept one always fits.
    fn store(&self, headers: &http::HeaderMap, url: &url::Url) {
        let mut store = self.0.write().unwrap_or_else(PoisonError::into_inner);
        for value in headers.get_all(http::header::SET_COOKIE) {
            if value.len() > MAX_COOKIE_BYTES {
                continue;
            }
            let Some(raw) = std::str::from_utf8(value.as_bytes())
                .ok()
                .and_then(|v| cookie::Cookie::parse(v).ok())
            else {
                continue;
            };
            let Ok(cookie) = cookie_store::Cookie::try_from_raw_cookie(&raw, url) else {
                continue;
            };
            let domain = cookie.domain.as_cow().unwrap_or_default();
            if !store.contains_any(&domain, &cookie.path, cookie.name()) {
                let (mut all, mut same_domain) = (0, 0);
                for kept in store.iter_unexpired() {
                    all += 1;
                    same_domain += usize::from(kept.domain == cookie.domain);
                }
                if all >= MAX_COOKIES || same_domain >= MAX_COOKIES_PER_DOMAIN {
                    continue;
                }
            }
            let _ = store.insert(cookie.into_owned(), url);
        }
    }

    /// The `Cookie` header the stored cookies make for a request to `url`, if any match.
    fn header(&self, url: &url::Url) -> Option<http::HeaderValue> {
        let store = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let mut value = String::new();
        for (name, v) in store.get_request_values(url) {
            if !value.is_empty() {
                value.push_str("; ");
            }
            value.push_str(name);
            value.push('=');
            value.push_str(v);
        }
        drop(store);
        if value.is_empty() {
            return None;
        }
        http::HeaderValue::from_str(&value).ok()
    }
}

/// Adds the jar's cookies for `url` to a request; when it already has a `Cookie` header (the
/// call's own cookies), those win on a name clash.
#[cold]
#[inline(never)]
fn merge_jar_cookies(jar: &Jar, url: &url::Url, headers: &mut http::HeaderMap) {
    let Some(stored) = jar.header(url) else {
        return;
    };
    if !headers.contains_key(http::header::COOKIE) {
        headers.insert(http::header::COOKIE, stored);
        return;
    }
    let own: Vec<String> = headers
        .get_all(http::header::COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let mut merged = own.join("; ");
    let name = |pair: &str| {
        pair.split_once('=')
            .map_or(pair, |(n, _)| n)
            .trim()
            .to_owned()
    };
    let taken: std::collections::HashSet<String> = merged.split(';').map(name).collect();
    for pair in String::from_utf8_lossy(stored.as_bytes()).split(';') {
        if !pair.trim().is_empty() && !taken.contains(&name(pair)) {
            merged.push_str("; ");
            merged.push_str(pair.trim());
        }
    }
    if let Ok(value) = http::HeaderValue::from_str(&merged) {
        headers.insert(http::header::COOKIE, value);
    }
}

/// The reqwest transport driven by a runtime of its own, for the blocking client.
#[cfg(feature = "blocking")]
pub(crate) fn reqwest_block_on(transport: ReqwestTransport) -> Result<BlockOn, Error> {
    BlockOn::new(transport)
}

#[cfg(feature = "blocking")]
/// A reqwest transport driven by a runtime of its own, for the blocking client.
#[derive(Debug)]
pub(crate) struct BlockOn {
    transport: ReqwestTransport,
    runtime: Arc<tokio::runtime::Runtime>,
}

#[cfg(feature = "blocking")]
impl BlockOn {
    pub(crate) fn new(transport: ReqwestTransport) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("clientcore-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::with_source(ErrorKind::Other, e))?;
        Ok(BlockOn {
            transport,
            runtime: Arc::new(runtime),
        })
    }
}

/// Small bodies (a declared length up to this) are read in the same trip to the runtime as the
/// head: one hand-off per call instead of three for a typical JSON response.
#[cfg(feature = "blocking")]
const PREFETCH_LIMIT: u64 = 64 * 1024;

#[cfg(feature = "blocking")]
impl BlockingTransport for BlockOn {
    fn send(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
        timeout: std::time::Duration,
    ) -> Result<BlockingTransportResponse, Error> {
        let limit = timeout.min(std::time::Duration::from_secs(u64::from(u32::MAX)));
        let transport = self.transport.clone();
        let config = config.clone();
        // The whole exchange runs as one task on the runtime's worker, the thread that also
        // runs hyper's connection task and the I/O driver: the caller hands over once and is
        // woken once, as with `reqwest::blocking`. Driven from this thread with `block_on`
        // instead, every step of the exchange would cross between the two threads.
        let send = async move {
            let started = tokio::time::Instant::now();
            let (head, mut resp) = transport
                .exchange_raw(request, &config, Some(limit))
                .await?;
            let mut prefetched = std::collections::VecDeque::new();
            let mut ended = false;
            let small = head
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .is_some_and(|n| n <= PREFETCH_LIMIT);
            if small {
                // Errors are kept in place and surface when the caller reads, as they would
                // without the prefetch; running out of time leaves the rest on the wire.
                let read = async {
                    loop {
                        match resp.chunk().await {
                            Ok(Some(c)) => prefetched.push_back(Ok(c)),
                            Ok(None) => break,
                            Err(e) => {
                                prefetched.push_back(Err(e));
                                break;
                            }
                        }
                    }
                    ended = true;
                };
                let mut read = std::pin::pin!(read);
                // Polled once before any timer exists: a small body has usually arrived with
                // the head, and a timer only matters if the read has to wait. A timeout
                // polls its future first too, so this is what it would do.
                let done = std::future::poll_fn(|cx| {
                    std::task::Poll::Ready(std::future::Future::poll(read.as_mut(), cx).is_ready())
                })
                .await;
                if !done {
                    match started.checked_add(limit) {
                        Some(deadline) => {
                            let _ = tokio::time::timeout_at(deadline, read).await;
                        }
                        None => read.await,
                    }
                }
            }
            Ok::<_, Error>((head, resp, prefetched, ended))
        };
        // Spans entered on the caller's thread (the call's and the attempt's) stay the
        // context of whatever the exchange records.
        let task = self
            .runtime
            .spawn(tracing::Instrument::in_current_span(send));
        let (head, body, prefetched, ended) = match self.runtime.block_on(task) {
            Ok(exchanged) => exchanged?,
            // A panic in the exchange reaches the caller, as it did when driven here.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(Error::with_source(ErrorKind::Other, e)),
        };
        Ok(BlockingTransportResponse {
            head,
            body: Box::new(BlockOnBody {
                prefetched,
                ended,
                body,
                runtime: self.runtime.clone(),
            }),
        })
    }
}

#[cfg(feature = "blocking")]
struct BlockOnBody {
    prefetched: std::collections::VecDeque<Result<Bytes, Error>>,
    ended: bool,
    /// reqwest's response and its read timer, read directly: no boxed reader, no boxed
    /// future per chunk.
    body: ReqwestRead,
    runtime: Arc<tokio::runtime::Runtime>,
}

#[cfg(feature = "blocking")]
impl BlockingBodyRead for BlockOnBody {
    fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if let Some(item) = self.prefetched.pop_front() {
            return item.map(Some);
        }
        if self.ended {
            return Ok(None);
        }
        self.runtime.block_on(self.body.chunk())
    }
}

struct ReqwestBody(ReqwestRead);

impl AsyncBodyRead for ReqwestBody {
    fn chunk(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, Error>> {
        Box::pin(self.0.chunk())
    }
}

/// A deadline no timeout reaches (about 30 years), for durations `Instant` cannot add.
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(86_400 * 365 * 30)
}

/// reqwest's response with the read timeout of its body.
///
/// As the reference's socket reads: each read of the body may wait up to the timeout for
/// data, counted from when it starts to wait. A read whose data is already there (the usual
/// case for a small body, which arrives with the head) reads no clock and arms no timer; one
/// that waits arms a timer, allocated the first time and reset after that.
pub(crate) struct ReqwestRead {
    resp: reqwest::Response,
    timeout: std::time::Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl ReqwestRead {
    /// Whether the whole body has been read: a body of known length (hyper counts down what
    /// is left) with nothing left. The end then needs no read of its own; a compressed or
    /// chunked body has no known length and is read to its end.
    #[cfg(feature = "async")]
    pub(crate) fn is_end(&self) -> bool {
        self.resp.content_length() == Some(0)
    }

    /// The next chunk, or `None` at the end; a `ServiceResponseTimeout` when it does not come
    /// within the read timeout.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let ReqwestRead {
            resp,
            timeout,
            sleep,
        } = self;
        let mut next = std::pin::pin!(resp.chunk());
        let mut waiting = false;
        std::future::poll_fn(|cx| {
            // The body first: data that is there wins over the timer.
            if let std::task::Poll::Ready(chunk) = next.as_mut().poll(cx) {
                return std::task::Poll::Ready(chunk.map_err(|e| map_error(e, false)));
            }
            // This read waits: from now on, for at most the timeout.
            let timer = match sleep {
                Some(timer) if waiting => timer,
                _ => {
                    let due = tokio::time::Instant::now()
                        .checked_add(*timeout)
                        .unwrap_or_else(far_future);
                    waiting = true;
                    match sleep {
                        Some(timer) => {
                            timer.as_mut().reset(due);
                            timer
                        }
                        None => sleep.insert(Box::pin(tokio::time::sleep_until(due))),
                    }
                }
            };
            timer.as_mut().poll(cx).map(|()| Err(read_timed_out()))
        })
        .await
    }
}

/// A read that waited longer than the read timeout.
fn read_timed_out() -> Error {
    Error::new(ErrorKind::ServiceResponseTimeout, "Read timed out")
}

#[cold]
fn build(config: &TransportConfig) -> Result<reqwest::Client, Error> {
    let invalid = |what: &str, e: Box<dyn std::error::Error + Send + Sync>| {
        Error::with_source(ErrorKind::ServiceRequest, e).with_message(format!("invalid {what}"))
    };
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // No retries at all, and none even prepared for: with a zero per-request maximum
        // reqwest's retry layer does not copy every request (headers and body) in case it
        // has to resend it, as `never()` alone still does.
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .connect_timeout(config.connection_timeout)
        // The read timeout is the transport's own (`ReqwestRead`): a timer only for a read that
        // waits.
        .tls_backend_rustls();
    match &config.verify {
        Verify::On => {}
        Verify::Off => b = b.tls_danger_accept_invalid_certs(true),
        Verify::CaBundle(path) => {
            let pem = std::fs::read(path).map_err(|e| invalid("CA bundle", e.into()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| invalid("CA bundle", e.into()))?;
            b = b.tls_certs_only(certs);
        }
        other => {
            return Err(Error::new(
                ErrorKind::ServiceRequest,
                format!("unsupported TLS verification setting {other:?}"),
            ))
        }
    }
    if let Some(cert) = &config.cert {
        let pem = match cert {
            ClientCert::Pem(path) => {
                std::fs::read(path).map_err(|e| invalid("client certificate", e.into()))?
            }
            ClientCert::Pair { cert, key } => {
                let mut pem =
                    std::fs::read(cert).map_err(|e| invalid("client certificate", e.into()))?;
                pem.push(b'\n');
                pem.extend(std::fs::read(key).map_err(|e| invalid("client key", e.into()))?);
                pem
            }
            other => {
                return Err(Error::new(
                    ErrorKind::ServiceRequest,
                    format!("unsupported client certificate setting {other:?}"),
                ))
            }
        };
        let identity = reqwest::Identity::from_pem(&pem)
            .map_err(|e| invalid("client certificate", e.into()))?;
        b = b.identity(identity);
    }
    // reqwest's own environment lookup is always off: its system matcher claims that the
    // environment may hold proxy credentials and custom headers, so every plain-http request
    // was matched against it (about 1,400 instructions a request) even with no proxy set. The
    // variables are read here instead, once per client, with the same rules.
    b = b.no_proxy();
    let proxies = &config.proxies;
    for (key, url) in proxies.entries() {
        let p = proxy_for(key, url).map_err(|e| invalid("proxy", e.into()))?;
        b = b.proxy(p);
    }
    // As curl and hyper-util: under CGI (`REQUEST_METHOD` set) a request's `Proxy:` header
    // arrives as `HTTP_PROXY`, so the environment names no proxy at all.
    if proxies.uses_env() && std::env::var_os("REQUEST_METHOD").is_none() {
        // After any explicit entries (the first match wins), the specific variables before
        // `ALL_PROXY`.
        for (var, scheme) in [
            ("HTTPS_PROXY", "https"),
            ("HTTP_PROXY", "http"),
            ("ALL_PROXY", "all"),
        ] {
            let value = std::env::var(var)
                .or_else(|_| std::env::var(var.to_ascii_lowercase()))
                .ok()
                .filter(|v| !v.is_empty());
            if let Some(url) = value {
                // Named in the error: a proxy nobody configured in code is hard to find.
                let p = proxy_for(scheme, &url)
                    .map_err(|e| invalid(&format!("proxy in {var}"), e.into()))?
                    .no_proxy(reqwest::NoProxy::from_env());
                b = b.proxy(p);
            }
        }
    }
    b.build()
        .map_err(|e| invalid("transport configuration", e.into()))
}

/// A reqwest proxy for one `proxies` entry: `http`, `https`, `all`, or `scheme://host`.
fn proxy_for(key: &str, url: &str) -> reqwest::Result<reqwest::Proxy> {
    match key {
        "http" => reqwest::Proxy::http(url),
        "https" => reqwest::Proxy::https(url),
        "all" => reqwest::Proxy::all(url),
        other => {
            let target = url::Url::parse(other).ok();
            let proxy_url = url::Url::parse(url).ok();
            let (Some(target), Some(proxy_url)) = (target, proxy_url) else {
                return reqwest::Proxy::all(url);
            };
            Ok(reqwest::Proxy::custom(move |u| {
                (u.scheme() == target.scheme() && u.host_str() == target.host_str())
                    .then(|| proxy_url.clone())
            }))
        }
    }
}

/// Classifies a reqwest error. `sending` is true while the request is being sent (before any
/// response byte), false while reading a body. The URL is removed: it may carry a SAS token.
pub(crate) fn map_error(e: reqwest::Error, sending: bool) -> Error {
    let kind = if e.is_connect() {
        if e.is_timeout() {
            ErrorKind::ServiceRequestTimeout
        } else {
            ErrorKind::ServiceRequest
        }
    } else if e.is_timeout() {
        ErrorKind::ServiceResponseTimeout
    } else if e.is_builder() {
        ErrorKind::ServiceRequest
    } else if !sending && (e.is_body() || e.is_decode()) && is_incomplete(&e) {
        // Checked before `is_decode`: with a decompressor in reqwest's body stack, a body cut
        // short surfaces as a decode error whose cause is hyper's `IncompleteBody`.
        ErrorKind::IncompleteRead
    } else if !sending && e.is_decode() {
        ErrorKind::Decode
    } else {
        ErrorKind::ServiceResponse
    };
    Error::with_source(kind, e.without_url())
}

fn is_incomplete(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return true;
            }
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::UnexpectedEof {
                return true;
            }
        }
        source = s.source();
    }
    // hyper reports a short Content-Length body as a plain body error whose text says so.
    e.to_string().contains("incomplete") || format!("{e:?}").contains("IncompleteBody")
}

#[cfg(test)]
mod tests {
    use super::{ReqwestTransport, MAX_POOLS};
    use clientcore_proto::options::TransportConfig;
    use std::time::Duration;

    #[test]
    fn calls_that_differ_in_their_read_timeout_share_a_client() {
        let t = ReqwestTransport::new();
        let a = TransportConfig::default();
        let b = TransportConfig {
            read_timeout: Duration::from_secs(7),
            ..TransportConfig::default()
        };
        let c = TransportConfig {
            connection_timeout: Duration::from_secs(7),
            ..TransportConfig::default()
        };
        t.client(&a).unwrap();
        t.client(&b).unwrap();
        assert_eq!(t.inner.clients.lock().unwrap().len(), 1);
        t.client(&c).unwrap();
        assert_eq!(
            t.inner.clients.lock().unwrap().len(),
            2,
            "a connect timeout is reqwest's"
        );
    }

    #[test]
    fn the_clients_kept_are_bounded() {
        let t = ReqwestTransport::new();
        for s in 1..=40 {
            let config = TransportConfig {
                connection_timeout: Duration::from_secs(s),
                ..TransportConfig::default()
            };
            t.client(&config).unwrap();
        }
        assert_eq!(t.inner.clients.lock().unwrap().len(), MAX_POOLS);
        // The first configuration's client is still found without a build.
        let first = TransportConfig {
            connection_timeout: Duration::from_secs(1),
            ..TransportConfig::default()
        };
        assert!(super::same_pool(&t.inner.first.get().unwrap().0, &first));
    }
}
