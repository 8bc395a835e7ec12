//! What the transport is told: TLS verification, client certificates, proxies, and the
//! per-call [`TransportConfig`] they make up with the timeouts and decoding.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::Options;

/// TLS certificate verification (`connection_verify`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verify {
    /// Verify against the platform's roots. Default.
    #[default]
    On,
    /// Do not verify certificates. Only for tests against self-signed servers.
    Off,
    /// Verify against the CA certificates in this PEM file (a bundle of one or more).
    CaBundle(PathBuf),
}

/// Which HTTP versions the transport speaks (`http1_only` and `http2_prior_knowledge` in
/// reqwest's terms).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::options::{HttpVersion, Options};
///
/// assert_eq!(Options::new().http_version(), HttpVersion::Negotiate);
/// let h1 = Options::new().with_http_version(HttpVersion::Http1Only);
/// assert_eq!(h1.http_version(), HttpVersion::Http1Only);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpVersion {
    /// HTTP/2 when the server picks it in the TLS handshake (ALPN `h2`), HTTP/1.1 otherwise
    /// and on every cleartext connection. Default.
    #[default]
    Negotiate,
    /// HTTP/1.1 only: ALPN offers `http/1.1` alone.
    Http1Only,
    /// HTTP/2 from the first byte: over cleartext without an upgrade (h2c "with prior
    /// knowledge", for servers known to speak it), over TLS offering only `h2`.
    Http2PriorKnowledge,
}

/// How the transport keeps and opens connections: idle connections' lifetime and number, and
/// the TCP options of new ones. Settings a connection is made with, so calls with other
/// settings get a pool of their own.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use std::time::Duration;
/// use clientcore::options::{Options, PoolSettings};
///
/// let pool = PoolSettings::new()
///     .with_idle_timeout(Some(Duration::from_secs(30)))
///     .with_max_idle_per_host(8)
///     .with_tcp_keepalive(Some(Duration::from_secs(60)));
/// let options = Options::new().with_pool(pool);
/// assert_eq!(options.pool().max_idle_per_host(), 8);
/// assert_eq!(PoolSettings::default().idle_timeout(), Some(Duration::from_secs(90)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PoolSettings {
    idle_timeout: Option<Duration>,
    max_idle_per_host: usize,
    tcp_keepalive: Option<Duration>,
    tcp_nodelay: bool,
}

impl Default for PoolSettings {
    /// 90 s idle, any number idle, no TCP keepalive, `TCP_NODELAY` on (small requests go out
    /// at once, not after the peer's delayed ACK).
    fn default() -> Self {
        PoolSettings {
            idle_timeout: Some(Duration::from_secs(90)),
            max_idle_per_host: usize::MAX,
            tcp_keepalive: None,
            tcp_nodelay: true,
        }
    }
}

impl PoolSettings {
    /// The defaults.
    pub fn new() -> Self {
        PoolSettings::default()
    }

    /// How long an idle connection is kept; `None` keeps it until the server closes it.
    #[must_use]
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The most idle connections kept per host; 0 closes each connection after its call.
    #[must_use]
    pub fn with_max_idle_per_host(mut self, max: usize) -> Self {
        self.max_idle_per_host = max;
        self
    }

    /// TCP keepalive probes after this much idle time; `None` (default) sends none.
    #[must_use]
    pub fn with_tcp_keepalive(mut self, idle: Option<Duration>) -> Self {
        self.tcp_keepalive = idle;
        self
    }

    /// `TCP_NODELAY` on new connections.
    #[must_use]
    pub fn with_tcp_nodelay(mut self, nodelay: bool) -> Self {
        self.tcp_nodelay = nodelay;
        self
    }

    /// How long an idle connection is kept.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// The most idle connections kept per host.
    pub fn max_idle_per_host(&self) -> usize {
        self.max_idle_per_host
    }

    /// The TCP keepalive idle time.
    pub fn tcp_keepalive(&self) -> Option<Duration> {
        self.tcp_keepalive
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn tcp_nodelay(&self) -> bool {
        self.tcp_nodelay
    }
}

/// What a [`Resolve`] returns: the addresses of a name, or why there are none.
pub type ResolveFuture = Pin<
    Box<dyn Future<Output = Result<Vec<IpAddr>, Box<dyn std::error::Error + Send + Sync>>> + Send>,
>;

/// A DNS plug-in: how the transport turns a host name into addresses (instead of the
/// system's resolver). Called for names only, never for IP literals; the port is the URL's.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use std::net::{IpAddr, Ipv4Addr};
/// use clientcore::options::{Options, Resolve, ResolveFuture};
///
/// /// Every name is this machine.
/// #[derive(Debug)]
/// struct Loopback;
///
/// impl Resolve for Loopback {
///     fn resolve(&self, _host: &str) -> ResolveFuture {
///         Box::pin(async { Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]) })
///     }
/// }
///
/// let options = Options::new().with_resolver(Loopback);
/// assert!(options.resolver().is_some());
/// ```
pub trait Resolve: Send + Sync + fmt::Debug + 'static {
    /// The addresses of `host`, tried in order.
    fn resolve(&self, host: &str) -> ResolveFuture;
}

/// A shared [`Resolve`], as options hold it: equal only to itself (its clones), so a pool set
/// up with one resolver never serves a call with another.
#[derive(Clone)]
pub struct Resolver(Arc<dyn Resolve>);

impl Resolver {
    /// Shares `resolve`.
    pub fn new(resolve: impl Resolve) -> Self {
        Resolver(Arc::new(resolve))
    }

    /// The addresses of `host`.
    pub fn resolve(&self, host: &str) -> ResolveFuture {
        self.0.resolve(host)
    }
}

impl PartialEq for Resolver {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Resolver {}

impl std::hash::Hash for Resolver {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0).cast::<()>(), state);
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A client certificate for mutual TLS (`connection_cert`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientCert {
    /// One PEM file with the certificate (chain) and the private key.
    Pem(PathBuf),
    /// The certificate and the key in two PEM files.
    Pair {
        /// The certificate (chain).
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
}

/// Proxies (`proxies`): scheme (`http`, `https`, `all`) or `scheme://host` → proxy URL, plus
/// `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` from the environment.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::options::Proxies;
///
/// let p = Proxies::new().with("https://internal.example", "http://127.0.0.1:3128").without_env();
/// assert_eq!(p.entries().len(), 1);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Proxies {
    entries: Vec<(String, String)>,
    from_env: bool,
}

/// The proxy URLs without their userinfo: a proxy's password must not reach a log through
/// the `Debug` of the options, a builder or a client.
impl fmt::Debug for Proxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Entries<'a>(&'a [(String, String)]);
        impl fmt::Debug for Entries<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|(key, url)| (key, without_userinfo(url))))
                    .finish()
            }
        }
        f.debug_struct("Proxies")
            .field("entries", &Entries(&self.entries))
            .field("from_env", &self.from_env)
            .finish()
    }
}

/// `url` with any userinfo (`user:password@`) replaced by `REDACTED@`. Read by hand rather
/// than parsed: a proxy may be given without a scheme (`user:pw@host:3128`), and a string
/// that is no URL at all must not be printed whole either if it holds an `@`.
fn without_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => std::borrow::Cow::Owned(format!(
            "{}REDACTED{}",
            &url[..authority_start],
            &rest[at..]
        )),
        None => std::borrow::Cow::Borrowed(url),
    }
}

impl Default for Proxies {
    fn default() -> Self {
        Proxies {
            entries: Vec::new(),
            from_env: true,
        }
    }
}

impl Proxies {
    /// No explicit proxies; the environment is read. Default.
    pub fn new() -> Self {
        Proxies::default()
    }

    /// Sends requests matching `key` (`http`, `https`, `all`, or `scheme://host`) through
    /// `proxy_url`.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, proxy_url: impl Into<String>) -> Self {
        self.entries.push((key.into(), proxy_url.into()));
        self
    }

    /// Ignores `HTTP(S)_PROXY` / `NO_PROXY`. Default is to honour them.
    #[must_use]
    pub fn without_env(mut self) -> Self {
        self.from_env = false;
        self
    }

    /// The explicit entries, in order.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    /// Whether the environment variables are honoured.
    pub fn uses_env(&self) -> bool {
        self.from_env
    }
}

/// The transport settings of one call. Only those a connection is made with (TLS
/// verification, the client certificate, proxies, the HTTP versions, the pool's settings, the
/// resolver) may split connection pools: a connection
/// made with one value must never serve a call with another. Timeouts and decoding are
/// applied per call on whatever connection serves it, so calls that differ only in them share
/// one pool (rotating 40 connect timeouts over one host opens one connection, not 40).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TransportConfig {
    /// Connect timeout.
    pub connection_timeout: Duration,
    /// Read timeout.
    pub read_timeout: Duration,
    /// TLS verification.
    pub verify: Verify,
    /// Client certificate.
    pub cert: Option<ClientCert>,
    /// Proxies.
    pub proxies: Proxies,
    /// Whether coded response bodies are decoded ([`Options::with_decompress`]).
    pub decompress: bool,
    /// The HTTP versions spoken ([`Options::with_http_version`]).
    pub http_version: HttpVersion,
    /// Idle connections and TCP options ([`Options::with_pool`]).
    pub pool: PoolSettings,
    /// The DNS plug-in, if any ([`Options::with_resolver`]).
    pub resolver: Option<Resolver>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Options::new().transport_config()
    }
}

impl Options {
    /// What the transport needs to know for one call, as one hashable value.
    pub fn transport_config(&self) -> TransportConfig {
        TransportConfig {
            connection_timeout: self.connection_timeout(),
            read_timeout: self.read_timeout(),
            verify: self.connection_verify(),
            cert: self.connection_cert().cloned(),
            proxies: self.proxies(),
            decompress: self.decompress(),
            http_version: self.http_version(),
            pool: self.pool(),
            resolver: self.resolver().cloned(),
        }
    }
}
