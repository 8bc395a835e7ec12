//! Connection pools: which one serves a configuration (only the settings a connection is made
//! with split pools), and setting one up.

use std::sync::Arc;
use std::time::Duration;

use clientcore_proto::options::{ClientCert, HttpVersion, Proxies, TransportConfig, Verify};
use clientcore_proto::Error;
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
/// is (whom it trusts, which certificate it showed, which proxy it goes through), so a
/// connection set up with one value must never serve a call with another.
fn pool_fields(config: &TransportConfig) -> (&Verify, &Option<ClientCert>, &Proxies, HttpVersion) {
    let TransportConfig {
        connection_timeout: _,
        read_timeout: _,
        verify,
        cert,
        proxies,
        // Per response, not per connection.
        decompress: _,
        http_version,
    } = config;
    (verify, cert, proxies, *http_version)
}

/// Sets up a pool for `config`: its TLS settings and proxies (and the connect timeout for a
/// connection asked for outside a call).
#[cold]
pub(super) fn build(config: &TransportConfig) -> Result<Pool, Error> {
    let tls = tls_config(config)?;
    // An HTTPS proxy is spoken to in HTTP/1.1 (the tunnel's CONNECT), whatever the target.
    let mut proxy_tls = tls.clone();
    proxy_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let proxies = proxy_routes(&config.proxies)?;
    let mut http = HttpConnector::new();
    // Small requests go out at once, not after the peer's delayed ACK.
    http.set_nodelay(true);
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
    // Idle connections close after 90 s (the timer is what lets the pool notice).
    builder
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        // HTTP/2's own timers (keep-alive pings, if ever turned on) run on tokio's.
        .timer(hyper_util::rt::TokioTimer::new());
    // Otherwise HTTP/2 is spoken on a connection whose TLS handshake chose `h2`
    // (`Conn::connected`), and HTTP/1.1 on every other.
    if config.http_version == HttpVersion::Http2PriorKnowledge {
        builder.http2_only(true);
    }
    let client = builder.build(connector.clone());
    Ok(Pool { client, connector })
}
