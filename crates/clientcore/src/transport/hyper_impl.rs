//! The default transport, on hyper with rustls.
//!
//! hyper-util's pooled HTTP/1.1 client, with a connector of ours: TCP (hyper-util's), TLS
//! (rustls through tokio-rustls), and proxies (hyper-util's matcher rules; an `http://` target
//! through a proxy goes in absolute form, an `https://` one through a `CONNECT` tunnel). gzip and
//! deflate bodies are decoded with async-compression.
//!
//! Not reqwest: for a 1 KiB GET on loopback, reqwest's layers above hyper-util's client (its
//! redirect and retry services, which it keeps even when both are off, and the URL it formats and
//! parses again twice per request) cost as much as the client and the server's own work
//! together (BENCHMARKS.md, sixth session). None of them is needed here: the pipeline redirects,
//! retries, keeps the cookies and the timeouts.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{BufMut as _, Bytes, BytesMut};
use clientcore_proto::options::{ClientCert, Proxies, TransportConfig, Verify};
use clientcore_proto::pipeline::{Request, ResponseHead};
use clientcore_proto::{Error, ErrorKind};
use http::uri::Scheme;
use http_body::Body as _;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{AsyncBodyRead, BoxFuture, Transport, TransportResponse};
#[cfg(feature = "blocking")]
use super::{BlockingBodyRead, BlockingTransport, BlockingTransportResponse};
use crate::body::Outgoing;
use crate::Body;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The default transport: hyper with rustls, one exchange per call.
///
/// The TLS settings and proxies belong to a connection, so this keeps one connection pool per
/// distinct set of those in [`TransportConfig`], created on first use and up to 16 of them;
/// calls with the same settings share connections. The connect and read timeouts it takes
/// per call: a connection opened under one connect timeout serves calls with any other, so
/// calls that vary them do not split pools or reconnect. All of them share one cookie jar. It never redirects or retries: the pipeline
/// decides.
///
/// `Clone` is cheap and shares the pools.
///
/// # Examples
///
/// ```
/// use clientcore::transport::HyperTransport;
/// use clientcore::options::TransportConfig;
///
/// let transport = HyperTransport::new();
/// // Settings that cannot work (an unreadable CA bundle, say) are found here, not at the
/// // first call.
/// transport.prepare(&TransportConfig::default())?;
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct HyperTransport {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    pools: Mutex<HashMap<PoolKey, Pool>>,
    /// The first configuration used and its pool: most calls use the client's settings, and
    /// comparing is cheaper than hashing the configuration and taking the lock.
    first: OnceLock<(TransportConfig, Pool)>,
    jar: Jar,
    /// Set once a response stored a cookie: until then no request looks at the jar.
    has_cookies: AtomicBool,
}

/// Counts only: the pools' keys hold proxy URLs (with their credentials) and the jar holds
/// cookies, neither of which belongs in a `Debug` string.
impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pools = self
            .pools
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("HyperTransport")
            .field("pools", &pools)
            .field("has_cookies", &self.has_cookies.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// One connection pool, and the connector that fills it.
#[derive(Clone)]
struct Pool {
    client: hyper_util::client::legacy::Client<Connector, SendBody>,
    connector: Connector,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("proxies", &self.connector.0.proxies.len())
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport with empty pools and an empty cookie jar.
    pub fn new() -> Self {
        HyperTransport::default()
    }

    /// Sets up the connection pool for `config` now rather than at its first call.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ServiceRequest`] when a CA bundle, client certificate or proxy is invalid.
    pub fn prepare(&self, config: &TransportConfig) -> Result<(), Error> {
        self.pool(config).map(drop)
    }

    /// The pool for `config`, set up on first use.
    fn pool(&self, config: &TransportConfig) -> Result<Pool, Error> {
        if let Some((first, pool)) = self.inner.first.get() {
            if same_pool(first, config) {
                return Ok(pool.clone());
            }
        }
        self.pool_slow(config)
    }

    /// A configuration other than the first, or the first one's first use. Kept out of line:
    /// the path every call takes stays a few cache lines long.
    #[cold]
    #[inline(never)]
    fn pool_slow(&self, config: &TransportConfig) -> Result<Pool, Error> {
        let mut pools = self
            .inner
            .pools
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let key = PoolKey(config.clone());
        if let Some(p) = pools.get(&key) {
            return Ok(p.clone());
        }
        let pool = build(config)?;
        // Bounded: a caller varying its per-call settings (a connect timeout computed per
        // call, say) would otherwise keep a pool per value for the life of the transport. One
        // is let go (its connections close when its last call ends); the first
        // configuration's pool stays in `first` regardless.
        if pools.len() >= MAX_POOLS {
            if let Some(evicted) = pools.keys().next().cloned() {
                pools.remove(&evicted);
            }
        }
        pools.insert(key, pool.clone());
        let _ = self.inner.first.set((config.clone(), pool.clone()));
        Ok(pool)
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
            body: Box::new(HyperBody(resp)),
        })
    }

    /// Sends one request and returns the head and the body with its read timer, the body
    /// still on the wire. Gives up with `ServiceResponseTimeout` when the head has not arrived
    /// within the read timeout or the `limit` (the attempt's share of the call's time), both
    /// counted from when the request is handed over.
    ///
    /// The request is handed over when this is called, not when the future is first polled
    /// (callers await it at once). Not an `async fn`: one would keep room for the request and
    /// its parts in every state even once they are moved out, and every move of the future,
    /// and of the futures holding it, copies all of it.
    #[inline]
    pub(crate) fn exchange_raw<'a>(
        &'a self,
        request: Request<Body>,
        config: &TransportConfig,
        limit: Option<Duration>,
    ) -> impl Future<Output = Result<(ResponseHead, HyperRead), Error>> + Send + 'a {
        let sent = self.execute(request, config);
        let read_timeout = config.read_timeout;
        let decompress = config.decompress;
        let connect_timeout = config.connection_timeout;
        // One async block, not a call to an async fn awaited in it: one future fewer.
        async move {
            let (pending, url) = sent?;
            // The head's wait has one timer, armed here and kept in this future, not boxed:
            // due at the attempt's limit or the read timeout, whichever comes first; either
            // ends the wait with a timeout.
            let first_due = limit.map_or(read_timeout, |limit| limit.min(read_timeout));
            let mut sleep = std::pin::pin!(tokio::time::sleep(first_due));
            // hyper-util's pool opens a connection lazily, inside a poll of the request's
            // future: the connector reads this call's connect timeout from the scope.
            let mut pending = std::pin::pin!(CONNECT_TIMEOUT.scope(connect_timeout, pending));
            let outcome = std::future::poll_fn(|cx| {
                // The head first: at the same tick, an answer wins over the timer.
                if let Poll::Ready(sent) = pending.as_mut().poll(cx) {
                    return Poll::Ready(Some(sent));
                }
                sleep.as_mut().poll(cx).map(|()| None)
            })
            .await;
            let Some(outcome) = outcome else {
                return Err(response_timeout());
            };
            let (mut parts, body) = outcome.map_err(send_error)?.into_parts();
            if parts.headers.contains_key(http::header::SET_COOKIE) {
                self.store_cookies(&parts.headers, &url);
            }
            // A body that is already over (a HEAD's, a 204's, `Content-Length: 0`) has
            // nothing to decode, and a decoder would call its emptiness a truncated stream.
            // A range (206) of a compressed body cannot be decoded on its own (it lacks the
            // stream's start or its end), so it comes as it is, headers and all, as it does
            // when the caller turned decoding off.
            let decode = decompress && parts.status != http::StatusCode::PARTIAL_CONTENT;
            let body = match content_coding(&parts.headers) {
                Some(coding) if decode && !body.is_end_stream() => {
                    RespBody::decoded(body, coding, &mut parts.headers)
                }
                _ => RespBody::Plain(body),
            };
            let head = ResponseHead {
                status: parts.status,
                reason: parts
                    .extensions
                    .get::<hyper::ext::ReasonPhrase>()
                    .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned()),
                version: parts.version,
                headers: parts.headers,
                received: std::time::SystemTime::now(),
            };
            Ok((
                head,
                HyperRead {
                    body,
                    timeout: read_timeout,
                    sleep: None,
                },
            ))
        }
    }

    /// Keeps the cookies a response sets.
    #[cold]
    #[inline(never)]
    fn store_cookies(&self, headers: &http::HeaderMap, url: &url::Url) {
        self.inner.jar.store(headers, url);
        self.inner.has_cookies.store(true, Ordering::Relaxed);
    }

    /// Builds hyper's request and hands it over; the URL is kept for the cookies of the
    /// response.
    fn execute(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
    ) -> Result<(hyper_util::client::legacy::ResponseFuture, url::Url), Error> {
        let pool = self.pool(config)?;
        let Request {
            mut parts, body, ..
        } = request;
        if !parts.url.username().is_empty() || parts.url.password().is_some() {
            userinfo_to_basic(&mut parts);
        }
        let uri = uri_of(&parts.url)?;
        let headers = &mut parts.headers;
        if self.inner.has_cookies.load(Ordering::Relaxed) {
            merge_jar_cookies(&self.inner.jar, &parts.url, headers);
        }
        // A stream of declared length goes out with `Content-Length`, not chunked: some
        // services (Azure Storage among them) refuse chunked uploads. hyper fails the request
        // if the stream then yields a different number of bytes.
        let declared = body.declared_len();
        if let Some(len) = declared {
            headers
                .entry(http::header::CONTENT_LENGTH)
                .or_insert_with(|| http::HeaderValue::from(len));
        }
        let outgoing = body.into_outgoing();
        // A stream of unknown length goes out chunked, whatever the method: left to itself,
        // hyper sends a GET, HEAD or CONNECT whose body has no known length with no body at
        // all, and says nothing, so the caller's body would be silently dropped. Framing the
        // caller set themselves is kept. A body in memory never needs this (an empty one
        // goes with no framing header at all).
        if matches!(outgoing, Outgoing::Stream(_))
            && declared.is_none()
            && !headers.contains_key(http::header::CONTENT_LENGTH)
            && !headers.contains_key(http::header::TRANSFER_ENCODING)
        {
            headers.insert(
                http::header::TRANSFER_ENCODING,
                http::HeaderValue::from_static("chunked"),
            );
        }
        // What browsers, curl and reqwest send when the caller says nothing: some services
        // refuse a request without `Accept`, and compressed bodies are decoded here. Not for a
        // range: a range of a compressed body cannot be decoded on its own.
        if !headers.contains_key(http::header::ACCEPT) {
            headers.insert(http::header::ACCEPT, http::HeaderValue::from_static("*/*"));
        }
        if !headers.contains_key(http::header::ACCEPT_ENCODING)
            && !headers.contains_key(http::header::RANGE)
        {
            headers.insert(
                http::header::ACCEPT_ENCODING,
                http::HeaderValue::from_static("gzip, deflate"),
            );
        }
        if !pool.connector.0.proxies.is_empty() && uri.scheme() == Some(&Scheme::HTTP) {
            // A proxy's credentials go in the request itself when it is sent to the proxy
            // in absolute form (in the `CONNECT` for a tunnel).
            if let Some(auth) = pool
                .connector
                .0
                .intercept(&uri)
                .and_then(|i| i.basic_auth().cloned())
            {
                headers
                    .entry(http::header::PROXY_AUTHORIZATION)
                    .or_insert(auth);
            }
        }
        let mut req = http::Request::new(SendBody::new(outgoing, declared));
        *req.method_mut() = parts.method;
        *req.uri_mut() = uri;
        *req.headers_mut() = parts.headers;
        Ok((pool.client.request(req), parts.url))
    }
}

impl Transport for HyperTransport {
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

/// Takes the user information out of the request's URL (`https://user:password@host/`) and
/// sends it as Basic authorization instead, as Python's requests does, unless the request
/// carries an `Authorization` of its own, which wins. RFC 9110 §4.2.4 forbids userinfo in a
/// request target, and nothing below this point (hyper, hyper-util's pool and its logs, a
/// proxy) is to see the password.
#[cold]
#[inline(never)]
fn userinfo_to_basic(parts: &mut clientcore_proto::pipeline::RequestParts) {
    use base64::Engine as _;
    let user = percent_decode(parts.url.username());
    let password = parts.url.password().map(percent_decode).unwrap_or_default();
    // Infallible for a URL with a host (userinfo needs one), which is all that has any.
    let _ = parts.url.set_username("");
    let _ = parts.url.set_password(None);
    if parts.headers.contains_key(http::header::AUTHORIZATION) {
        return;
    }
    let mut credentials = user;
    credentials.push(b':');
    credentials.extend_from_slice(&password);
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    if let Ok(mut value) = http::HeaderValue::from_str(&format!("Basic {encoded}")) {
        value.set_sensitive(true);
        parts.headers.insert(http::header::AUTHORIZATION, value);
    }
}

/// The bytes a percent-encoded URL component stands for (`%40` is `@`); a `%` not followed
/// by two hex digits stands for itself.
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let (h, l) = (hex(h).unwrap_or(0), hex(l).unwrap_or(0));
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// hyper's form of a request URL: `http` or `https`, with a host.
fn uri_of(url: &url::Url) -> Result<http::Uri, Error> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::new(
            ErrorKind::ServiceRequest,
            format!(
                "unsupported URL scheme `{}`: only http and https",
                url.scheme()
            ),
        ));
    }
    if url.host().is_none() {
        return Err(Error::new(ErrorKind::ServiceRequest, "the URL has no host"));
    }
    url.as_str().parse::<http::Uri>().map_err(|e| {
        Error::with_source(ErrorKind::ServiceRequest, e).with_message("invalid URL for HTTP")
    })
}

/// How many connection pools a transport keeps for distinct settings.
const MAX_POOLS: usize = 16;

/// What a pool is set up from: the transport settings but the timeouts, which the transport
/// takes per call (the read timeout per wait, the connect timeout per connection opened).
/// Calls that differ only in their timeouts share connections.
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

/// Whether two configurations set up the same pool.
fn same_pool(a: &TransportConfig, b: &TransportConfig) -> bool {
    pool_fields(a) == pool_fields(b)
}

/// What a pool is set up from: every field of the configuration but the timeouts (a new
/// field must be added here, or named as left out). Each of these decides what a connection
/// is (whom it trusts, which certificate it showed, which proxy it goes through), so a
/// connection set up with one value must never serve a call with another.
fn pool_fields(config: &TransportConfig) -> (&Verify, &Option<ClientCert>, &Proxies) {
    let TransportConfig {
        connection_timeout: _,
        read_timeout: _,
        verify,
        cert,
        proxies,
        // Per response, not per connection.
        decompress: _,
    } = config;
    (verify, cert, proxies)
}

/// Sets up a pool for `config`: its TLS settings and proxies (and the connect timeout for a
/// connection asked for outside a call).
#[cold]
fn build(config: &TransportConfig) -> Result<Pool, Error> {
    let tls = tls_config(config)?;
    let proxies = proxy_routes(&config.proxies)?;
    let mut http = HttpConnector::new();
    // Small requests go out at once, not after the peer's delayed ACK.
    http.set_nodelay(true);
    // `https://` targets come here too; TLS is added on top by `Connect::connect`.
    http.enforce_http(false);
    let connector = Connector(Arc::new(Connect {
        http,
        tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
        proxies,
        timeout: config.connection_timeout,
    }));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        // Idle connections close after 90 s (the timer is what lets the pool notice).
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector.clone());
    Ok(Pool { client, connector })
}

/// The error of a setting that cannot work, found when its pool is set up.
fn invalid(what: &str, e: impl Into<BoxError>) -> Error {
    Error::with_source(ErrorKind::ServiceRequest, e.into()).with_message(format!("invalid {what}"))
}

/// rustls' settings for a pool: which servers to trust, the client certificate, HTTP/1.1.
fn tls_config(config: &TransportConfig) -> Result<rustls::ClientConfig, Error> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("TLS configuration", e))?;
    let builder = match &config.verify {
        // The operating system's trust store and rules, as reqwest and browsers use.
        Verify::On => {
            use rustls_platform_verifier::BuilderVerifierExt as _;
            builder
                .with_platform_verifier()
                .map_err(|e| invalid("TLS configuration", e))?
        }
        Verify::Off => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider))),
        Verify::CaBundle(path) => {
            let pem = std::fs::read(path).map_err(|e| invalid("CA bundle", e))?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| invalid("CA bundle", e))?;
                roots.add(cert).map_err(|e| invalid("CA bundle", e))?;
            }
            if roots.is_empty() {
                return Err(invalid("CA bundle", "no certificate in the file"));
            }
            builder.with_root_certificates(roots)
        }
        other => {
            return Err(Error::new(
                ErrorKind::ServiceRequest,
                format!("unsupported TLS verification setting {other:?}"),
            ))
        }
    };
    let mut tls = match &config.cert {
        None => builder.with_no_client_auth(),
        Some(cert) => {
            let (certs_pem, key_pem) = match cert {
                ClientCert::Pem(path) => {
                    let pem = std::fs::read(path).map_err(|e| invalid("client certificate", e))?;
                    (pem.clone(), pem)
                }
                ClientCert::Pair { cert, key } => (
                    std::fs::read(cert).map_err(|e| invalid("client certificate", e))?,
                    std::fs::read(key).map_err(|e| invalid("client key", e))?,
                ),
                other => {
                    return Err(Error::new(
                        ErrorKind::ServiceRequest,
                        format!("unsupported client certificate setting {other:?}"),
                    ))
                }
            };
            let certs = CertificateDer::pem_slice_iter(&certs_pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid("client certificate", e))?;
            if certs.is_empty() {
                return Err(invalid("client certificate", "no certificate in the file"));
            }
            let key =
                PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| invalid("client key", e))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| invalid("client certificate", e))?
        }
    };
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

/// `connection_verify=False`: any certificate is accepted. The handshake's signatures are still
/// checked (a server must hold the key of the certificate it shows).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls_pki_types::CertificateDer<'_>,
        _intermediates: &[rustls_pki_types::CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// One `proxies` entry, or the environment's: where it applies, and hyper-util's matcher for
/// the proxy URL (its credentials, its `NO_PROXY` list).
struct Route {
    /// A `scheme://host` entry applies to that scheme and host only.
    only: Option<(String, String)>,
    matcher: Matcher,
}

/// The routes of `proxies`, in order (the first that matches wins): its entries, then the
/// environment's variables unless it turns them off.
fn proxy_routes(proxies: &Proxies) -> Result<Vec<Route>, Error> {
    let mut routes = Vec::new();
    for (key, url) in proxies.entries() {
        check_proxy(url).map_err(|e| invalid("proxy", e))?;
        let url = url.to_owned();
        let (only, matcher) = match key.as_str() {
            "http" => (None, Matcher::builder().http(url)),
            "https" => (None, Matcher::builder().https(url)),
            "all" => (None, Matcher::builder().all(url)),
            other => {
                let target = url::Url::parse(other).ok().and_then(|t| {
                    let host = t.host_str()?.to_owned();
                    Some((t.scheme().to_owned(), host))
                });
                (target, Matcher::builder().all(url))
            }
        };
        routes.push(Route {
            only,
            matcher: matcher.build(),
        });
    }
    // As curl and hyper-util: under CGI (`REQUEST_METHOD` set) a request's `Proxy:` header
    // arrives as `HTTP_PROXY`, so the environment names no proxy at all.
    if proxies.uses_env() && std::env::var_os("REQUEST_METHOD").is_none() {
        let var = |name: &str| {
            std::env::var(name)
                .or_else(|_| std::env::var(name.to_ascii_lowercase()))
                .ok()
                .filter(|v| !v.is_empty())
        };
        let mut matcher = Matcher::builder();
        let mut any = false;
        for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
            if let Some(url) = var(name) {
                // Named in the error: a proxy nobody configured in code is hard to find.
                check_proxy(&url).map_err(|e| invalid(&format!("proxy in {name}"), e))?;
                any = true;
                matcher = match name {
                    "HTTPS_PROXY" => matcher.https(url),
                    "HTTP_PROXY" => matcher.http(url),
                    _ => matcher.all(url),
                };
            }
        }
        if any {
            routes.push(Route {
                only: None,
                matcher: matcher.no(var("NO_PROXY").unwrap_or_default()).build(),
            });
        }
    }
    Ok(routes)
}

/// Whether `url` is a proxy this transport can use, read as hyper-util's matcher reads it
/// (`http://` assumed when no scheme is given). The URL is not in the error: it may hold the
/// proxy's password.
fn check_proxy(url: &str) -> Result<(), &'static str> {
    let probe = http::Uri::from_static("http://example.com/");
    match Matcher::builder().all(url).build().intercept(&probe) {
        Some(i) if matches!(i.uri().scheme_str(), Some("http" | "https")) => Ok(()),
        Some(_) => Err("only http:// and https:// proxies are supported"),
        None => Err("not a proxy URL"),
    }
}

tokio::task_local! {
    /// The connect timeout of the call whose request future is being polled. Connections
    /// open in that poll (hyper-util's pool starts its connect lazily, in the request's
    /// future), so each takes the timeout of the call that asked for it, and the timeout need
    /// not be part of a pool's settings.
    static CONNECT_TIMEOUT: Duration;
}

/// Opens connections for a pool: TCP, TLS and proxies, within the connect timeout.
#[derive(Clone)]
struct Connector(Arc<Connect>);

struct Connect {
    http: HttpConnector,
    tls: tokio_rustls::TlsConnector,
    proxies: Vec<Route>,
    /// The connect timeout of the configuration the pool was set up with, for a connection
    /// asked for outside any call's scope (none is, today).
    timeout: Duration,
}

/// A connection that did not open within the connect timeout.
#[derive(Debug)]
struct ConnectTimedOut;

impl std::fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the connection did not open within the connect timeout")
    }
}

impl std::error::Error for ConnectTimedOut {}

impl tower_service::Service<http::Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let connect = self.0.clone();
        let timeout = CONNECT_TIMEOUT.try_with(|t| *t).unwrap_or(connect.timeout);
        Box::pin(async move {
            // The whole of it (name lookup, TCP, proxy tunnel, TLS handshake), as reqwest and
            // the reference count it.
            match tokio::time::timeout(timeout, connect.connect(dst)).await {
                Ok(opened) => opened,
                Err(_) => Err(Box::new(ConnectTimedOut) as BoxError),
            }
        })
    }
}

impl Connect {
    /// The proxy for `dst`, if one applies.
    fn intercept(&self, dst: &http::Uri) -> Option<Intercept> {
        self.proxies.iter().find_map(|route| {
            if let Some((scheme, host)) = &route.only {
                if dst.scheme_str() != Some(scheme) || dst.host() != Some(host) {
                    return None;
                }
            }
            route.matcher.intercept(dst)
        })
    }

    async fn connect(&self, dst: http::Uri) -> Result<Conn, BoxError> {
        let https = dst.scheme() == Some(&Scheme::HTTPS);
        let Some(proxy) = self.intercept(&dst) else {
            let tcp = Stream::Tcp(self.tcp(dst.clone()).await?);
            let stream = if https {
                self.tls(&dst, tcp).await?
            } else {
                tcp
            };
            return Ok(Conn::new(stream, false));
        };
        let proxy_uri = proxy.uri();
        let mut to_proxy = Stream::Tcp(self.tcp(proxy_uri.clone()).await?);
        if proxy_uri.scheme() == Some(&Scheme::HTTPS) {
            to_proxy = self.tls(proxy_uri, to_proxy).await?;
        }
        if https {
            let tunnel = tunnel(to_proxy, &dst, proxy.basic_auth()).await?;
            Ok(Conn::new(self.tls(&dst, tunnel).await?, false))
        } else {
            // hyper-util sends requests on a proxied connection in absolute form.
            Ok(Conn::new(to_proxy, true))
        }
    }

    async fn tcp(&self, uri: http::Uri) -> Result<tokio::net::TcpStream, BoxError> {
        let mut http = self.http.clone();
        let io = tower_service::Service::call(&mut http, uri).await?;
        Ok(io.into_inner())
    }

    async fn tls(&self, uri: &http::Uri, io: Stream) -> Result<Stream, BoxError> {
        let host = uri.host().ok_or("the URL has no host")?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = rustls_pki_types::ServerName::try_from(host.to_owned())?;
        let tls = self.tls.connect(name, io).await?;
        Ok(Stream::Tls(Box::new(tls)))
    }
}

/// The longest answer to a `CONNECT` read from a proxy.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// Asks the proxy on `io` for a tunnel to `dst`. Written here rather than with hyper-util's
/// `Tunnel`, a connector service: the connection to the proxy is already open (and may be TLS).
async fn tunnel(
    mut io: Stream,
    dst: &http::Uri,
    auth: Option<&http::HeaderValue>,
) -> Result<Stream, BoxError> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let host = dst.host().ok_or("the URL has no host")?;
    let port = dst.port_u16().unwrap_or(443);
    let mut head =
        format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n").into_bytes();
    if let Some(auth) = auth {
        head.extend_from_slice(b"Proxy-Authorization: ");
        head.extend_from_slice(auth.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    io.write_all(&head).await?;
    io.flush().await?;
    let mut answer = Vec::with_capacity(512);
    let mut chunk = [0_u8; 1024];
    loop {
        let n = io.read(&mut chunk).await?;
        if n == 0 {
            return Err("the proxy closed the connection before answering CONNECT".into());
        }
        answer.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        let parsed = response.parse(&answer).map_err(|e| {
            format!("the proxy's answer to CONNECT is not an HTTP response head ({e})")
        })?;
        if parsed.is_complete() {
            return match response.code {
                Some(200..=299) => Ok(io),
                Some(407) => Err("the proxy asks for credentials (407) to open a tunnel".into()),
                code => Err(format!(
                    "the proxy refused to open a tunnel: status {}",
                    code.unwrap_or_default()
                )
                .into()),
            };
        }
        if answer.len() > MAX_CONNECT_HEAD {
            return Err("the proxy's answer to CONNECT is too long".into());
        }
    }
}

/// A connection: TCP, or TLS over a stream (TLS to the target through a TLS tunnel, too).
enum Stream {
    Tcp(tokio::net::TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<Stream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A connection as hyper-util's pool holds it: whether requests on it go to a proxy in
/// absolute form.
struct Conn {
    io: TokioIo<Stream>,
    proxied: bool,
}

impl Conn {
    fn new(stream: Stream, proxied: bool) -> Self {
        Conn {
            io: TokioIo::new(stream),
            proxied,
        }
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        Connected::new().proxy(self.proxied)
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A request body as hyper sends it.
pub(crate) enum SendBody {
    /// `None` once sent (or when empty: a GET goes without `Content-Length`).
    Bytes(Option<Bytes>),
    Stream(crate::body::ByteStream, Option<u64>),
}

impl SendBody {
    fn new(outgoing: Outgoing, declared: Option<u64>) -> Self {
        match outgoing {
            Outgoing::Bytes(b) => SendBody::Bytes(Some(b).filter(|b| !b.is_empty())),
            Outgoing::Stream(s) => SendBody::Stream(s, declared),
        }
    }
}

impl http_body::Body for SendBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            SendBody::Bytes(b) => Poll::Ready(b.take().map(|b| Ok(http_body::Frame::data(b)))),
            SendBody::Stream(s, _) => {
                let next = ready!(s.as_mut().poll_next(cx));
                Poll::Ready(next.map(|r| r.map(http_body::Frame::data).map_err(Into::into)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, SendBody::Bytes(None))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            SendBody::Bytes(b) => {
                http_body::SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64))
            }
            SendBody::Stream(_, Some(n)) => http_body::SizeHint::with_exact(*n),
            SendBody::Stream(_, None) => http_body::SizeHint::default(),
        }
    }
}

/// A content coding the transport decodes.
#[derive(Clone, Copy, Debug)]
enum Coding {
    Gzip,
    Deflate,
}

/// The coding of a response body, when it is one the transport decodes.
fn content_coding(headers: &http::HeaderMap) -> Option<Coding> {
    let value = headers
        .get(http::header::CONTENT_ENCODING)?
        .to_str()
        .ok()?
        .trim();
    if value.eq_ignore_ascii_case("gzip") || value.eq_ignore_ascii_case("x-gzip") {
        Some(Coding::Gzip)
    } else if value.eq_ignore_ascii_case("deflate") {
        Some(Coding::Deflate)
    } else {
        None
    }
}

/// A response body: as it arrives, or decoded.
enum RespBody {
    Plain(hyper::body::Incoming),
    Decoded(Box<Decoder>),
}

/// A decoder over a body, read a block at a time: what a block of compressed data can grow
/// to is bounded by the block, not by the compression ratio.
struct Decoder {
    reader: Pin<Box<dyn AsyncRead + Send>>,
    buf: BytesMut,
    /// Named in the error when the data is not of this coding.
    coding: Coding,
}

/// The coded body's data as it arrives; a failure of the connection is an `io::Error` of kind
/// `Other` wrapping hyper's error, never `UnexpectedEof` (which only the decoder raises).
type Frames = Pin<Box<dyn futures_util::Stream<Item = std::io::Result<Bytes>> + Send>>;

/// `Content-Encoding: deflate` as servers send it: the zlib format that RFC 9110 §8.4.1.2
/// names, or, from some servers, raw deflate with no zlib header. urllib3 (the reference's)
/// accepts both; which one a body is shows in its first two bytes.
enum Deflate {
    /// Gathering the first two bytes (or the whole body, when shorter).
    Sniffing {
        frames: Frames,
        head: BytesMut,
    },
    Decoding(Pin<Box<dyn AsyncRead + Send>>),
}

/// Whether `head` starts with a zlib header (RFC 1950 §2.2): method 8 (deflate), a window of
/// at most 32 KiB, and a check that makes the two bytes a multiple of 31. A raw deflate
/// stream starting with such bytes would have to begin with a stored block whose length
/// happens to match: not seen in practice, and urllib3 reads it as zlib too.
fn is_zlib_header(head: &[u8]) -> bool {
    match head {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

impl AsyncRead for Deflate {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        loop {
            match this {
                Deflate::Decoding(reader) => return reader.as_mut().poll_read(cx, buf),
                Deflate::Sniffing { frames, head } => {
                    if head.len() < 2 {
                        match ready!(frames.as_mut().poll_next(cx)) {
                            Some(Ok(data)) => {
                                head.extend_from_slice(&data);
                                continue;
                            }
                            Some(Err(e)) => return Poll::Ready(Err(e)),
                            // Shorter than two bytes: the decoder says what it makes of it.
                            None => {}
                        }
                    }
                    let zlib = is_zlib_header(head);
                    let first = head.split().freeze();
                    let rest = std::mem::replace(frames, Box::pin(futures_util::stream::empty()));
                    let input = tokio_util::io::StreamReader::new(futures_util::StreamExt::chain(
                        futures_util::stream::iter([Ok(first)]),
                        rest,
                    ));
                    *this = Deflate::Decoding(if zlib {
                        Box::pin(async_compression::tokio::bufread::ZlibDecoder::new(input))
                    } else {
                        Box::pin(async_compression::tokio::bufread::DeflateDecoder::new(
                            input,
                        ))
                    });
                }
            }
        }
    }
}

/// The most decoded bytes one read returns.
const DECODED_BLOCK: usize = 16 * 1024;

impl RespBody {
    /// Decodes `body`; the headers then describe the decoded body, as reqwest and browsers
    /// present it: no `Content-Encoding`, no `Content-Length`.
    #[cold]
    fn decoded(
        body: hyper::body::Incoming,
        coding: Coding,
        headers: &mut http::HeaderMap,
    ) -> RespBody {
        headers.remove(http::header::CONTENT_ENCODING);
        headers.remove(http::header::CONTENT_LENGTH);
        let mut body = body;
        let frames: Frames = Box::pin(futures_util::stream::poll_fn(move |cx| loop {
            match ready!(Pin::new(&mut body).poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(std::io::Error::other(e)))),
            }
        }));
        let reader: Pin<Box<dyn AsyncRead + Send>> = match coding {
            Coding::Gzip => {
                let input = tokio_util::io::StreamReader::new(frames);
                let mut d = async_compression::tokio::bufread::GzipDecoder::new(input);
                // A gzip file may hold several members, one after the other.
                d.multiple_members(true);
                Box::pin(d)
            }
            Coding::Deflate => Box::pin(Deflate::Sniffing {
                frames,
                head: BytesMut::new(),
            }),
        };
        RespBody::Decoded(Box::new(Decoder {
            reader,
            buf: BytesMut::new(),
            coding,
        }))
    }

    /// The next piece of the body, `None` at its end.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> {
        match self {
            RespBody::Plain(body) => loop {
                match ready!(Pin::new(&mut *body).poll_frame(cx)) {
                    None => return Poll::Ready(Ok(None)),
                    Some(Ok(frame)) => {
                        // Trailers are not part of the body.
                        if let Ok(data) = frame.into_data() {
                            if !data.is_empty() {
                                return Poll::Ready(Ok(Some(data)));
                            }
                        }
                    }
                    Some(Err(e)) => return Poll::Ready(Err(read_error(e))),
                }
            },
            RespBody::Decoded(d) => {
                let Decoder {
                    reader,
                    buf,
                    coding,
                } = &mut **d;
                if buf.capacity() < DECODED_BLOCK {
                    buf.reserve(DECODED_BLOCK);
                }
                let mut limited = (&mut *buf).limit(DECODED_BLOCK);
                match ready!(tokio_util::io::poll_read_buf(
                    reader.as_mut(),
                    cx,
                    &mut limited
                )) {
                    Ok(0) => Poll::Ready(Ok(None)),
                    Ok(_) => Poll::Ready(Ok(Some(buf.split().freeze()))),
                    // The body's framing ended (a cut connection is hyper's error, not this)
                    // but the coded stream did not: flushed and never finished (no gzip
                    // trailer), or empty. What arrived is decoded and that is the body, as
                    // urllib3 has it; calling it a cut connection would have it retried.
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !from_hyper(&e) => {
                        Poll::Ready(Ok(None))
                    }
                    Err(e) => {
                        let err = read_error(e);
                        if err.kind() != ErrorKind::Decode {
                            return Poll::Ready(Err(err));
                        }
                        // Say which coding the data failed: the decoder's own text
                        // ("invalid gzip header", "deflate decompression error") does not
                        // name the header that asked for it.
                        let name = match coding {
                            Coding::Gzip => "gzip",
                            Coding::Deflate => "deflate",
                        };
                        let detail = std::error::Error::source(&err)
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        Poll::Ready(Err(err.with_message(format!(
                            "the response body is not valid {name} data, as its \
                             Content-Encoding says: {detail}"
                        ))))
                    }
                }
            }
        }
    }

    /// Whether the body is known to be over: hyper counts down what is left of a body of
    /// known length.
    #[cfg(feature = "async")]
    fn is_end(&self) -> bool {
        match self {
            RespBody::Plain(body) => body.is_end_stream(),
            RespBody::Decoded(_) => false,
        }
    }
}

/// Classifies an error while reading a body: cut short (`IncompleteRead`), data the decoder
/// refuses (`Decode`), or another failure of the connection (`ServiceResponse`).
fn read_error(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    let mut transport = false;
    let mut incomplete = false;
    for_each_cause(&e, &mut |cause| {
        if let Some(h) = cause.downcast_ref::<hyper::Error>() {
            transport = true;
            incomplete |= h.is_incomplete_message();
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            incomplete |= io.kind() == std::io::ErrorKind::UnexpectedEof;
        }
    });
    // hyper reports a body shorter than its `Content-Length` as a body error whose text says
    // so, with no cause to match.
    incomplete |= transport && e.to_string().contains("end of file before message length");
    let kind = if incomplete {
        ErrorKind::IncompleteRead
    } else if transport {
        ErrorKind::ServiceResponse
    } else {
        ErrorKind::Decode
    };
    Error::with_source(kind, e)
}

/// Whether hyper's error (the connection's) is among `e`'s causes.
fn from_hyper(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut found = false;
    for_each_cause(e, &mut |cause| found |= cause.is::<hyper::Error>());
    found
}

/// Calls `f` on `e` and each of its causes, including the error inside an `io::Error` (whose
/// `source` skips it).
fn for_each_cause(
    e: &(dyn std::error::Error + 'static),
    f: &mut dyn FnMut(&(dyn std::error::Error + 'static)),
) {
    let mut next = Some(e);
    while let Some(cause) = next {
        f(cause);
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            for_each_cause(inner, f);
        }
        next = cause.source();
    }
}

/// Classifies a failure to get a response: the connection did not open (`ServiceRequest`,
/// or its timeout), or the request may have reached the server (`ServiceResponse`).
fn send_error(e: hyper_util::client::legacy::Error) -> Error {
    let kind = if e.is_connect() {
        let mut timed_out = false;
        for_each_cause(&e, &mut |cause| timed_out |= cause.is::<ConnectTimedOut>());
        if timed_out {
            ErrorKind::ServiceRequestTimeout
        } else {
            ErrorKind::ServiceRequest
        }
    } else {
        ErrorKind::ServiceResponse
    };
    Error::with_source(kind, e)
}

struct HyperBody(HyperRead);

impl AsyncBodyRead for HyperBody {
    fn chunk(&mut self) -> BoxFuture<'_, Result<Option<Bytes>, Error>> {
        Box::pin(self.0.chunk())
    }
}

/// A deadline no timeout reaches (about 30 years), for durations `Instant` cannot add.
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// A response body with its read timeout.
///
/// As the reference's socket reads: each read of the body may wait up to the timeout for
/// data, counted from when it starts to wait. A read whose data is already there (the usual
/// case for a small body, which arrives with the head) reads no clock and arms no timer; one
/// that waits arms a timer, allocated the first time and reset after that.
pub(crate) struct HyperRead {
    body: RespBody,
    timeout: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl HyperRead {
    /// Whether the whole body has been read: a body of known length with nothing left. The
    /// end then needs no read of its own; a compressed or chunked body is read to its end.
    #[cfg(feature = "async")]
    pub(crate) fn is_end(&self) -> bool {
        self.body.is_end()
    }

    /// The next chunk, or `None` at the end; a `ServiceResponseTimeout` when it does not come
    /// within the read timeout.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let HyperRead {
            body,
            timeout,
            sleep,
        } = self;
        let mut waiting = false;
        std::future::poll_fn(|cx| {
            // The body first: data that is there wins over the timer.
            if let Poll::Ready(chunk) = body.poll_chunk(cx) {
                return Poll::Ready(chunk);
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

/// A client's cookie jar: `cookie_store`'s RFC 6265 store (domain and path matching, expiry,
/// the public-suffix rule).
#[derive(Default)]
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

/// The default transport driven by a runtime of its own, for the blocking client.
#[cfg(feature = "blocking")]
pub(crate) fn transport_block_on(transport: HyperTransport) -> Result<BlockOn, Error> {
    BlockOn::new(transport)
}

#[cfg(feature = "blocking")]
/// The default transport driven by a runtime of its own, for the blocking client.
#[derive(Debug)]
pub(crate) struct BlockOn {
    transport: HyperTransport,
    runtime: Arc<tokio::runtime::Runtime>,
}

#[cfg(feature = "blocking")]
impl BlockOn {
    pub(crate) fn new(transport: HyperTransport) -> Result<Self, Error> {
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

/// How many turns of the runtime the read-ahead gives the connection task to hand over bytes
/// it already has, before leaving the rest to the caller's reads.
#[cfg(feature = "blocking")]
const PREFETCH_TURNS: u32 = 3;

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
                // Only what is already there: the head is never held back for a body that is
                // still on its way (a server may trickle it). The connection task hands over
                // the bytes it has in a turn of its own, so a read that finds nothing yet
                // yields a few times before giving up; what is left stays on the wire for the
                // caller's reads. Errors are kept in place and surface when the caller reads,
                // as they would without the read-ahead.
                let mut idle_turns = 0;
                while idle_turns < PREFETCH_TURNS {
                    let polled = std::future::poll_fn(|cx| Poll::Ready(resp.body.poll_chunk(cx)));
                    match polled.await {
                        Poll::Ready(Ok(Some(c))) => {
                            idle_turns = 0;
                            prefetched.push_back(Ok(c));
                        }
                        Poll::Ready(Ok(None)) => {
                            ended = true;
                            break;
                        }
                        Poll::Ready(Err(e)) => {
                            prefetched.push_back(Err(e));
                            ended = true;
                            break;
                        }
                        Poll::Pending => {
                            idle_turns += 1;
                            tokio::task::yield_now().await;
                        }
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
    /// the body and its read timer, read directly: no boxed reader, no boxed
    /// future per chunk.
    body: HyperRead,
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

    fn chunk_before(&mut self, deadline: std::time::Instant) -> Result<Option<Bytes>, Error> {
        if let Some(item) = self.prefetched.pop_front() {
            return item.map(Some);
        }
        if self.ended {
            return Ok(None);
        }
        // The timer is made inside the runtime: it needs the runtime's clock.
        let body = &mut self.body;
        let read = async move { tokio::time::timeout_at(deadline.into(), body.chunk()).await };
        self.runtime
            .block_on(read)
            .unwrap_or_else(|_| Err(response_timeout()))
    }
}

#[cfg(test)]
mod tests {
    use super::{HyperTransport, MAX_POOLS};
    use clientcore_proto::options::TransportConfig;
    use std::time::Duration;

    #[test]
    fn calls_that_differ_in_their_timeouts_share_a_pool() {
        let t = HyperTransport::new();
        let a = TransportConfig::default();
        let b = TransportConfig {
            read_timeout: Duration::from_secs(7),
            ..TransportConfig::default()
        };
        let c = TransportConfig {
            connection_timeout: Duration::from_secs(7),
            ..TransportConfig::default()
        };
        t.prepare(&a).unwrap();
        t.prepare(&b).unwrap();
        assert_eq!(t.inner.pools.lock().unwrap().len(), 1);
        t.prepare(&c).unwrap();
        assert_eq!(
            t.inner.pools.lock().unwrap().len(),
            1,
            "a connect timeout is taken per call"
        );
        t.prepare(&TransportConfig {
            verify: clientcore_proto::options::Verify::Off,
            ..TransportConfig::default()
        })
        .unwrap();
        assert_eq!(
            t.inner.pools.lock().unwrap().len(),
            2,
            "TLS settings belong to the connections"
        );
    }

    #[test]
    fn the_pools_kept_are_bounded() {
        let t = HyperTransport::new();
        let via = |port: u16| TransportConfig {
            proxies: clientcore_proto::options::Proxies::new()
                .with("all", format!("http://127.0.0.1:{port}"))
                .without_env(),
            ..TransportConfig::default()
        };
        for port in 1..=40 {
            t.prepare(&via(port)).unwrap();
        }
        assert_eq!(t.inner.pools.lock().unwrap().len(), MAX_POOLS);
        // The first configuration's pool is still found without setting one up.
        let first = via(1);
        assert!(super::same_pool(&t.inner.first.get().unwrap().0, &first));
    }

    #[test]
    fn debug_shows_no_proxy_credentials() {
        let t = HyperTransport::new();
        let config = TransportConfig {
            proxies: clientcore_proto::options::Proxies::new()
                .with("http", "http://user:hunter2@127.0.0.1:1")
                .without_env(),
            ..TransportConfig::default()
        };
        t.prepare(&config).unwrap();
        let shown = format!("{t:?}");
        assert!(shown.contains("pools: 1"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn proxy_urls_are_checked_without_echoing_them() {
        for (url, ok) in [
            ("http://127.0.0.1:3128", true),
            ("https://proxy.example:443", true),
            ("127.0.0.1:3128", true),
            ("socks5://127.0.0.1:1080", false),
            ("not a url", false),
            ("", false),
        ] {
            assert_eq!(super::check_proxy(url).is_ok(), ok, "{url}");
        }
    }
}
