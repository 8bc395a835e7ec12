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
//!
//! One file per concern, as reqwest splits its own:
//!
//! - this file: [`HyperTransport`], one exchange from request to response head;
//! - `request`: the request as hyper takes it (its URL and the body sent);
//! - `pool`: which connection pool serves a configuration, and setting one up;
//! - `connector`: opening a connection (TCP, TLS, through a proxy) within the connect timeout;
//! - `tls`: rustls' settings (trust, client certificate);
//! - `proxy`: which proxy a target goes through, and the `CONNECT` tunnel;
//! - `body`: the response body with its read timeout; `decode`: gzip and deflate bodies;
//! - `errors`: classifying hyper's failures into error kinds (by kind and source, never by text);
//! - `blocking`: the same transport driven by a runtime of its own, for the blocking client.
//!
//! It adds to a request only what belongs to its connection: `Host` (hyper), the chunked
//! framing of a stream of unknown length, and a proxy's `Proxy-Authorization` on a request it
//! sends to an HTTP proxy in absolute form. Everything else on the wire (`Accept`,
//! `Accept-Encoding`, `Content-Length`, the cookie jar's `Cookie`, userinfo as Basic
//! authorization) the pipeline decides, before the per-try policies run
//! (`clientcore_proto::pipeline::wire`), so that a signer sees it and a custom transport
//! gets it too.

#[cfg(feature = "blocking")]
mod blocking;
mod body;
mod connector;
mod decode;
mod errors;
mod pool;
mod proxy;
mod request;
mod tls;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::Poll;
use std::time::Duration;

use clientcore_proto::options::TransportConfig;
use clientcore_proto::pipeline::{Request, ResponseHead};
use clientcore_proto::Error;
use futures_util::future::Either;
use http::uri::Scheme;
use http_body::Body as _;

use super::{BoxFuture, Transport, TransportResponse};
use crate::body::Outgoing;
use crate::Body;
#[cfg(feature = "blocking")]
pub(crate) use blocking::transport_block_on;
use body::HyperBody;
pub(crate) use body::HyperRead;
use connector::CONNECT_TIMEOUT;
use decode::{content_coding, RespBody};
pub(crate) use errors::response_timeout;
use errors::send_error;
use pool::{build, same_pool, Pool, PoolKey, MAX_POOLS};
use request::{uri_of, SendBody};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The default transport: hyper with rustls, one exchange per call.
///
/// The TLS settings and proxies belong to a connection, so this keeps one connection pool per
/// distinct set of those in [`TransportConfig`], created on first use and up to 16 of them;
/// calls with the same settings share connections. The connect and read timeouts it takes
/// per call: a connection opened under one connect timeout serves calls with any other, so
/// calls that vary them do not split pools or reconnect. It keeps no cookies, never redirects
/// or retries: the pipeline decides.
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
    /// The caller's rustls configuration ([`HyperTransport::with_tls_config`]), for every pool.
    tls: Option<Arc<rustls::ClientConfig>>,
    pools: Mutex<HashMap<PoolKey, Pool>>,
    /// The first configuration used and its pool: most calls use the client's settings, and
    /// comparing is cheaper than hashing the configuration and taking the lock.
    first: OnceLock<(TransportConfig, Pool)>,
}

/// Counts only: the pools' keys hold proxy URLs (with their credentials), which do not belong
/// in a `Debug` string.
impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pools = self
            .pools
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("HyperTransport")
            .field("pools", &pools)
            .field("custom_tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport with empty pools.
    pub fn new() -> Self {
        HyperTransport::default()
    }

    /// A transport whose TLS connections use the caller's rustls configuration: its
    /// certificate verifier (a pinning one, say), trust roots, client certificate, crypto
    /// provider and protocol versions. The options' [`Verify`] and [`ClientCert`] are then not
    /// used. The transport still chooses what ALPN offers, on a copy of `config`, so that the
    /// options' [`HttpVersion`] holds (`h2` and `http/1.1` unless they say otherwise);
    /// `config`'s own `alpn_protocols` are ignored. An HTTPS proxy is spoken to with the same
    /// configuration, offering `http/1.1`.
    ///
    /// The builders' `tls_config` sets this up for a client.
    ///
    /// [`Verify`]: clientcore_proto::options::Verify
    /// [`ClientCert`]: clientcore_proto::options::ClientCert
    /// [`HttpVersion`]: clientcore_proto::options::HttpVersion
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use clientcore::rustls;
    /// use clientcore::transport::HyperTransport;
    ///
    /// let mut roots = rustls::RootCertStore::empty();
    /// // roots.add(my_ca_der)?;
    /// # let _ = &mut roots;
    /// # #[cfg(not(feature = "aws-lc-rs"))] let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// # #[cfg(feature = "aws-lc-rs")]
    /// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    /// let config = rustls::ClientConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()
    ///     .unwrap()
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let transport = HyperTransport::with_tls_config(Arc::new(config));
    /// # let _ = transport;
    /// ```
    pub fn with_tls_config(config: Arc<rustls::ClientConfig>) -> Self {
        HyperTransport::with_tls(Some(config))
    }

    /// A client's default transport: with the builder's rustls configuration, if any.
    pub(crate) fn with_tls(config: Option<Arc<rustls::ClientConfig>>) -> Self {
        HyperTransport {
            inner: Arc::new(Inner {
                tls: config,
                ..Inner::default()
            }),
        }
    }

    /// Sets up the connection pool for `config` now rather than at its first call.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ServiceRequest`](clientcore_proto::ErrorKind::ServiceRequest) when a CA
    /// bundle, client certificate or proxy is invalid.
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
        let pool = build(config, self.inner.tls.as_deref())?;
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

    /// Sends one request; [`Transport::send`] for any caller but the async client, which
    /// awaits [`exchange_raw`](Self::exchange_raw) itself.
    async fn exchange(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
        timeout: Duration,
    ) -> Result<TransportResponse, Error> {
        let (head, resp) = self.exchange_raw(request, config, timeout).await?;
        Ok(TransportResponse {
            head,
            body: Box::new(HyperBody(resp)),
        })
    }

    /// Sends one request and returns the head and the body with its read timer, the body
    /// still on the wire. Gives up with `ServiceResponseTimeout` when the head has not arrived
    /// within the read timeout or the `limit` (the attempt's share of the call's time), both
    /// counted from when the request is handed over. The head is not dated (its `received`
    /// is left at the epoch): the client stamps it with its own clock.
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
        limit: Duration,
    ) -> impl Future<Output = Result<(ResponseHead, HyperRead), Error>> + Send + 'a {
        let sent = self.execute(request, config);
        let read_timeout = config.read_timeout;
        let decompress = config.decompress;
        // One async block, not a call to an async fn awaited in it: one future fewer.
        async move {
            let (pending, connect_timeout) = sent?;
            // The head's wait has one timer, armed here and kept in this future, not boxed:
            // due at the attempt's limit or the read timeout, whichever comes first; either
            // ends the wait with a timeout.
            let first_due = limit.min(read_timeout);
            let mut sleep = std::pin::pin!(tokio::time::sleep(first_due));
            // hyper-util's pool opens a connection lazily, inside a poll of the request's
            // future: the connector reads this call's connect timeout from the scope. A call
            // whose timeout is the pool's own needs no scope (the connector falls back to the
            // pool's), which spares the task-local's swap on every poll.
            let mut pending = std::pin::pin!(match connect_timeout {
                Some(t) => Either::Left(CONNECT_TIMEOUT.scope(t, pending)),
                None => Either::Right(pending),
            });
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
                // The transport reads no clock: the client stamps the head with its own.
                received: std::time::SystemTime::UNIX_EPOCH,
            };
            Ok((head, HyperRead::new(body, read_timeout)))
        }
    }

    /// Builds hyper's request and hands it over; with the call's connect timeout when it is
    /// not the pool's own.
    fn execute(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
    ) -> Result<(hyper_util::client::legacy::ResponseFuture, Option<Duration>), Error> {
        let pool = self.pool(config)?;
        let connect_timeout =
            Some(config.connection_timeout).filter(|t| *t != pool.connector.0.timeout);
        let Request {
            mut parts, body, ..
        } = request;
        let uri = uri_of(&parts.url)?;
        let headers = &mut parts.headers;
        // The pipeline put `Content-Length` on a body of known length; hyper checks the body
        // against it (a stream that yields another number of bytes fails the request).
        let declared = body.declared_len();
        let outgoing = body.into_outgoing();
        // A stream of unknown length goes out chunked, whatever the method: left to itself,
        // hyper sends a GET, HEAD or CONNECT whose body has no known length with no body at
        // all, and says nothing, so the caller's body would be silently dropped. Framing the
        // caller set themselves is kept. A body in memory never needs this (an empty one
        // goes with no framing header at all). Framing belongs to the connection (HTTP/1.1),
        // so it is the transport's, and no signature covers it.
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
        if !pool.connector.0.proxies.is_empty() && uri.scheme() == Some(&Scheme::HTTP) {
            // A proxy's credentials go in the request itself when it is sent to the proxy
            // in absolute form (in the `CONNECT` for a tunnel). Here, not in the pipeline:
            // they are for the proxy hop alone, not the origin, so no signer may sign them,
            // and the proxy rules (hyper-util's matcher, `NO_PROXY` and the environment
            // included) that pick the proxy are the ones that pick its credentials.
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
        Ok((pool.client.request(req), connect_timeout))
    }
}

impl Transport for HyperTransport {
    fn send<'a>(
        &'a self,
        request: Request<Body>,
        config: &'a TransportConfig,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<TransportResponse, Error>> {
        Box::pin(self.exchange(request, config, timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::{proxy::check_proxy, same_pool};
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
        assert!(same_pool(&t.inner.first.get().unwrap().0, &first));
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
            assert_eq!(check_proxy(url).is_ok(), ok, "{url}");
        }
    }
}
