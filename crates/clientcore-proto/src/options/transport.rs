//! What the transport is told: TLS verification, client certificates, proxies, and the
//! per-call [`TransportConfig`] they make up with the timeouts and decoding.

use std::fmt;
use std::path::PathBuf;
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
/// verification, the client certificate, proxies) may split connection pools: a connection
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
        }
    }
}
