//! Connection pools: which one serves a configuration (only the settings a connection is made
//! with split pools), and setting one up.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use clientcore_proto::options::{
    ClientCert, HttpVersion, PoolSettings, Proxies, Resolver, TransportConfig, Verify,
};
use clientcore_proto::Error;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use hyper_util::client::legacy::connect::HttpConnector;

use super::connector::{Connect, Connector};
use super::proxy::proxy_routes;
use super::request::SendBody;
use super::tls::tls_config;

/// One connection pool, and the connector that fills it.
#[derive(Clone)]
pub(super) struct Pool {
    pub(super) client: hyper_util::client::legacy::Client<Connector, SendBody>,
    pub(super) connector: Connector,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("proxies", &self.connector.0.proxies.len())
            .finish_non_exhaustive()
    }
}

/// How many connection pools a transport keeps for distinct settings.
pub(super) const MAX_POOLS: usize = 16;

/// What a pool is set up from: the transport settings but the timeouts, which the transport
/// takes per call (the read timeout per wait, the connect timeout per connection opened).
/// Calls that differ only in their timeouts share connections.
#[derive(Clone, Debug)]
pub(super) struct PoolKey(pub(super) TransportConfig);

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
pub(super) fn same_pool(a: &TransportConfig, b: &TransportConfig) -> bool {
    pool_fields(a) == pool_fields(b)
}

/// What a pool is set up from: every field of the configuration but the timeouts (a new
/// field must be added here, or named as left out). Each of these decides what a connection
/// is (whom it trusts, which certificate it showed, which proxy it goes through, which
/// protocol it speaks, how long it lives, which resolver found its address), so a
/// connection set up with one value must never serve a call with another.
/// The fields [`pool_fields`] compares and hashes.
type PoolFields<'a> = (
    &'a Verify,
    &'a Option<ClientCert>,
    &'a Proxies,
    HttpVersion,
    PoolSettings,
    &'a Option<Resolver>,
);

fn pool_fields(config: &TransportConfig) -> PoolFields<'_> {
    let TransportConfig {
        connection_timeout: _,
        read_timeout: _,
        verify,
        cert,
        proxies,
        // Per response, not per connection.
        decompress: _,
        http_version,
        pool,
        resolver,
    } = config;
    (verify, cert, proxies, *http_version, *pool, resolver)
}

/// Sets up a pool for `config`: its TLS settings (the transport's own rustls configuration
/// when it has one) and proxies (and the connect timeout for a connection asked for outside a
/// call).
#[cold]
pub(super) fn build(
    config: &TransportConfig,
    custom_tls: Option<&rustls::ClientConfig>,
) -> Result<Pool, Error> {
    let tls = tls_config(config, custom_tls)?;
    // An HTTPS proxy is spoken to in HTTP/1.1 (the tunnel's CONNECT), whatever the target.
    let mut proxy_tls = tls.clone();
    proxy_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let proxies = proxy_routes(&config.proxies)?;
    let settings = config.pool;
    let mut http = HttpConnector::new_with_resolver(Dns(config.resolver.clone()));
    http.set_nodelay(settings.tcp_nodelay());
    http.set_keepalive(settings.tcp_keepalive());
    // `https://` targets come here too; TLS is added on top by `Connect::connect`.
    http.enforce_http(false);
    let connector = Connector(Arc::new(Connect {
        http,
        tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
        proxy_tls: tokio_rustls::TlsConnector::from(Arc::new(proxy_tls)),
        proxies,
        timeout: config.connection_timeout,
    }));
    let mut builder =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
    // The timer is what lets the pool notice idle connections' time is up.
    builder
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .pool_idle_timeout(settings.idle_timeout())
        .pool_max_idle_per_host(settings.max_idle_per_host())
        // HTTP/2's own timers (keep-alive pings, if ever turned on) run on tokio's.
        .timer(hyper_util::rt::TokioTimer::new());
    // Otherwise HTTP/2 is spoken on a connection whose TLS handshake chose `h2`
    // (`Conn::connected`), and HTTP/1.1 on every other.
    if config.http_version == HttpVersion::Http2PriorKnowledge {
        #[cfg(feature = "http2")]
        builder.http2_only(true);
        #[cfg(not(feature = "http2"))]
        return Err(Error::new(
            clientcore_proto::ErrorKind::ServiceRequest,
            "HTTP/2 with prior knowledge was asked for (HttpVersion::Http2PriorKnowledge), \
             but clientcore was built without its `http2` feature",
        ));
    }
    let client = builder.build(connector.clone());
    Ok(Pool { client, connector })
}

/// The connector's name lookup: the caller's [`Resolver`] when the options name one, the
/// system's (`getaddrinfo` on a blocking thread, as hyper-util does) otherwise.
#[derive(Clone)]
pub(super) struct Dns(Option<Resolver>);

impl tower_service::Service<Name> for Dns {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = super::BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let Some(resolver) = &self.0 else {
            let lookup = GaiResolver::new().call(name);
            return Box::pin(async move {
                let addrs: Vec<SocketAddr> = lookup.await?.collect();
                Ok(addrs.into_iter())
            });
        };
        let lookup = resolver.resolve(name.as_str());
        Box::pin(async move {
            // Port 0: the connector puts the URL's port on every address.
            let addrs: Vec<SocketAddr> = lookup
                .await?
                .into_iter()
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if addrs.is_empty() {
                return Err("the resolver found no address".into());
            }
            Ok(addrs.into_iter())
        })
    }
}
