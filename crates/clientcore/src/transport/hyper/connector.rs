//! Opening connections for a pool: TCP, then TLS, through a proxy when one applies, all within
//! the connect timeout.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::uri::Scheme;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Intercept;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::proxy::{tunnel, Route};
use super::BoxError;

tokio::task_local! {
    /// The connect timeout of the call whose request future is being polled. Connections
    /// open in that poll (hyper-util's pool starts its connect lazily, in the request's
    /// future), so each takes the timeout of the call that asked for it, and the timeout need
    /// not be part of a pool's settings.
    pub(super) static CONNECT_TIMEOUT: Duration;
}

/// Opens connections for a pool: TCP, TLS and proxies, within the connect timeout.
#[derive(Clone)]
pub(super) struct Connector(pub(super) Arc<Connect>);

pub(super) struct Connect {
    pub(super) http: HttpConnector<super::pool::Dns>,
    /// TLS to the target, offering the HTTP versions of the pool's configuration.
    pub(super) tls: tokio_rustls::TlsConnector,
    /// TLS to an HTTPS proxy: HTTP/1.1, the tunnel's `CONNECT` being an HTTP/1.1 request.
    pub(super) proxy_tls: tokio_rustls::TlsConnector,
    pub(super) proxies: Vec<Route>,
    /// The connect timeout of the configuration the pool was set up with, for a connection
    /// asked for outside any call's scope (none is, today).
    pub(super) timeout: Duration,
}

/// A connection that did not open within the connect timeout.
#[derive(Debug)]
pub(super) struct ConnectTimedOut;

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
    pub(super) fn intercept(&self, dst: &http::Uri) -> Option<Intercept> {
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
                self.tls(&self.tls, &dst, tcp).await?
            } else {
                tcp
            };
            return Ok(Conn::new(stream, false));
        };
        let proxy_uri = proxy.uri();
        let mut to_proxy = Stream::Tcp(self.tcp(proxy_uri.clone()).await?);
        if proxy_uri.scheme() == Some(&Scheme::HTTPS) {
            to_proxy = self.tls(&self.proxy_tls, proxy_uri, to_proxy).await?;
        }
        if https {
            let tunnel = tunnel(to_proxy, &dst, proxy.basic_auth()).await?;
            Ok(Conn::new(self.tls(&self.tls, &dst, tunnel).await?, false))
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

    async fn tls(
        &self,
        tls: &tokio_rustls::TlsConnector,
        uri: &http::Uri,
        io: Stream,
    ) -> Result<Stream, BoxError> {
        let host = uri.host().ok_or("the URL has no host")?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = rustls_pki_types::ServerName::try_from(host.to_owned())?;
        let tls = tls.connect(name, io).await?;
        Ok(Stream::Tls(Box::new(tls)))
    }
}

/// A connection: TCP, or TLS over a stream (TLS to the target through a TLS tunnel, too).
pub(super) enum Stream {
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
pub(super) struct Conn {
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

impl Conn {
    /// Whether the target chose HTTP/2 in the TLS handshake.
    fn negotiated_h2(&self) -> bool {
        match self.io.inner() {
            Stream::Tls(tls) => tls.get_ref().1.alpn_protocol() == Some(b"h2"),
            Stream::Tcp(_) => false,
        }
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let connected = Connected::new().proxy(self.proxied);
        if self.negotiated_h2() {
            connected.negotiated_h2()
        } else {
            connected
        }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clientcore_proto::options::{PoolSettings, Proxies, TransportConfig};

    use super::Stream;
    use crate::transport::hyper::pool::build;

    /// The pool's TCP options, as the kernel reports them on the socket a connection opened
    /// (`getsockopt` through socket2): they cannot be seen from the far end.
    fn socket_options(settings: PoolSettings) -> (bool, bool, Option<Duration>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let config = TransportConfig {
                pool: settings,
                proxies: Proxies::new().without_env(),
                ..TransportConfig::default()
            };
            let pool = build(&config, None).unwrap();
            let uri: http::Uri = format!("http://{addr}/").parse().unwrap();
            let conn = tokio::time::timeout(Duration::from_secs(10), pool.connector.0.connect(uri))
                .await
                .unwrap()
                .unwrap();
            let Stream::Tcp(tcp) = conn.io.inner() else {
                panic!("a cleartext connection is TCP");
            };
            let socket = socket2::SockRef::from(tcp);
            let keepalive = socket.keepalive().unwrap();
            let idle = keepalive.then(|| socket.tcp_keepalive_time().unwrap());
            (tcp.nodelay().unwrap(), keepalive, idle)
        })
    }

    #[test]
    fn new_connections_carry_the_pool_tcp_options() {
        // The defaults: TCP_NODELAY on, no keepalive probes.
        assert_eq!(socket_options(PoolSettings::new()), (true, false, None));
        // Both changed.
        let settings = PoolSettings::new()
            .with_tcp_nodelay(false)
            .with_tcp_keepalive(Some(Duration::from_secs(37)));
        assert_eq!(
            socket_options(settings),
            (false, true, Some(Duration::from_secs(37)))
        );
    }
}
