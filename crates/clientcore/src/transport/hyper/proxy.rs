//! Proxies: which one a target goes through (the configured entries, then the environment's
//! variables), and the `CONNECT` tunnel for an `https://` target.

use clientcore_proto::options::Proxies;
use clientcore_proto::Error;
use hyper_util::client::proxy::matcher::Matcher;

use super::connector::Stream;
use super::errors::invalid;
use super::BoxError;

/// One `proxies` entry, or the environment's: where it applies, and hyper-util's matcher for
/// the proxy URL (its credentials, its `NO_PROXY` list).
pub(super) struct Route {
    /// A `scheme://host` entry applies to that scheme and host only.
    pub(super) only: Option<(String, String)>,
    pub(super) matcher: Matcher,
}

/// The routes of `proxies`, in order (the first that matches wins): its entries, then the
/// environment's variables unless it turns them off.
pub(super) fn proxy_routes(proxies: &Proxies) -> Result<Vec<Route>, Error> {
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
pub(super) fn check_proxy(url: &str) -> Result<(), &'static str> {
    let probe = http::Uri::from_static("http://example.com/");
    match Matcher::builder().all(url).build().intercept(&probe) {
        Some(i) if matches!(i.uri().scheme_str(), Some("http" | "https")) => Ok(()),
        Some(_) => Err("only http:// and https:// proxies are supported"),
        None => Err("not a proxy URL"),
    }
}

/// The longest answer to a `CONNECT` read from a proxy.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// Asks the proxy on `io` for a tunnel to `dst`. Written here rather than with hyper-util's
/// `Tunnel`, a connector service: the connection to the proxy is already open (and may be TLS).
pub(super) async fn tunnel(
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
