//! The seed's per-call options, set per client and overridden per call.
//!
//! [`Options`] holds every knob as an `Option`: unset means "inherit". A client keeps one
//! `Options`; a call passes another; [`Options::overwrite`] merges them, the call winning.
//! Resolved values with the seed's defaults come from the accessors on [`Options`].

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::ErrorMap;
use crate::format::ErrorFormat;
use crate::pipeline::policy::SharedPolicy;
use crate::pipeline::retry::RetryOptions;
use crate::policy::auth::Credential;
use crate::policy::log::SharedLogSink;
use crate::policy::redact::Redactor;

/// Where a custom policy runs: once per call, or on every attempt (after retries and
/// redirects are decided, so it sees each request as sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Position {
    /// Once per logical call, before retries: `on_request` shapes the request once and
    /// `on_response` sees only the response that ends the call.
    PerCall,
    /// On every attempt, after the built-in per-attempt policies.
    PerTry,
}

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
/// use clientcore_proto::options::Proxies;
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
pub(crate) fn without_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
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

/// A hook that sees each request as sent (`raw_request_hook`).
pub type RequestHook = Arc<dyn Fn(&crate::pipeline::HookRequest<'_>) + Send + Sync>;
/// A hook that sees each response as received (`raw_response_hook`).
pub type ResponseHook = Arc<dyn Fn(&crate::pipeline::ResponseHead) + Send + Sync>;

/// Every per-call option of the seed, plus clientcore's own. Unset knobs inherit.
///
/// Setters consume and return `self`; each documents its default.
///
/// # Examples
///
/// ```
/// use clientcore_proto::options::Options;
/// use std::time::Duration;
///
/// let client = Options::new().with_timeout(Duration::from_secs(30)).with_user_agent("myapp/1");
/// let call = Options::new().with_timeout(Duration::from_secs(5));
/// let merged = client.overwrite(&call);
/// assert_eq!(merged.timeout(), Duration::from_secs(5));
/// assert_eq!(merged.user_agent_prefix(), Some("myapp/1"));
/// assert_eq!(merged.read_timeout(), Duration::from_secs(300));
/// ```
#[derive(Clone, Default)]
pub struct Options {
    pub(crate) headers: HeaderMap,
    pub(crate) request_id: Option<String>,
    pub(crate) request_id_header: Option<HeaderName>,
    pub(crate) user_agent: Option<String>,
    #[allow(
        clippy::option_option,
        reason = "unset (inherit) is kept apart from disabled"
    )]
    pub(crate) user_agent_env: Option<Option<String>>,
    pub(crate) logging_enable: Option<bool>,
    pub(crate) logging_multirecord: Option<bool>,
    pub(crate) logger: Option<SharedLogSink>,
    pub(crate) redactor: Option<Redactor>,
    pub(crate) response_encoding: Option<String>,
    pub(crate) raw_request_hook: Option<RequestHook>,
    pub(crate) raw_response_hook: Option<ResponseHook>,
    pub(crate) span_name: Option<String>,
    pub(crate) span_attributes: Vec<(String, String)>,
    pub(crate) permit_redirects: Option<bool>,
    pub(crate) redirect_max: Option<u32>,
    pub(crate) allow_https_downgrade: Option<bool>,
    pub(crate) retry: RetryOptions,
    pub(crate) timeout: Option<Duration>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) connection_timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) connection_verify: Option<Verify>,
    #[allow(
        clippy::option_option,
        reason = "unset (inherit) is kept apart from disabled"
    )]
    pub(crate) connection_cert: Option<Option<ClientCert>>,
    pub(crate) proxies: Option<Proxies>,
    pub(crate) cookies: Vec<(String, String)>,
    pub(crate) block_size: Option<usize>,
    pub(crate) decompress: Option<bool>,
    pub(crate) error_format: Option<ErrorFormat>,
    pub(crate) error_map: Option<ErrorMap>,
    pub(crate) policies: Vec<(Position, SharedPolicy)>,
    pub(crate) user_agent_suffix: Option<String>,
    pub(crate) sdk: Option<(String, String)>,
    pub(crate) credential: Option<Credential>,
    pub(crate) success: Option<Vec<u16>>,
    #[allow(
        clippy::option_option,
        reason = "unset (inherit) is kept apart from disabled"
    )]
    pub(crate) buffered_body: Option<Option<usize>>,
}

/// The knobs where a set value wins when merging and that `Debug` shows: one list, so a new
/// knob cannot be merged but forgotten in `Debug` (or the reverse).
macro_rules! set_wins_knobs {
    ($m:ident) => {
        $m!(
            request_id,
            request_id_header,
            logging_enable,
            logging_multirecord,
            response_encoding,
            span_name,
            permit_redirects,
            redirect_max,
            allow_https_downgrade,
            timeout,
            attempt_timeout,
            connection_timeout,
            read_timeout,
            connection_verify,
            connection_cert,
            proxies,
            block_size,
            decompress,
            error_format,
            sdk,
            credential,
            success,
            buffered_body
        )
    };
}

macro_rules! resolved {
    ($(#[$doc:meta])* $name:ident: $ty:ty = $default:expr) => {
        $(#[$doc])*
        pub fn $name(&self) -> $ty {
            self.$name.unwrap_or($default)
        }
    };
}

impl Options {
    /// No option set: everything inherits or takes the seed's default.
    pub fn new() -> Self {
        Options::default()
    }

    /// Merges `over` on top of `self`: every knob `over` sets wins; headers, cookies, span
    /// attributes and policies are appended (a header set in both takes `over`'s value).
    #[must_use]
    pub fn overwrite(&self, over: &Options) -> Options {
        let mut out = self.clone();
        for name in over.headers.keys() {
            out.headers.remove(name);
        }
        for (name, value) in &over.headers {
            out.headers.append(name.clone(), value.clone());
        }
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { out.$f = over.$f.clone(); } )* };
        }
        take!(
            user_agent_env,
            logger,
            redactor,
            raw_request_hook,
            raw_response_hook,
            user_agent_suffix
        );
        set_wins_knobs!(take);
        // A call's application id goes in front of the client's, as the reference's
        // `"{per_call} {self.user_agent}"` does.
        out.user_agent = match (&over.user_agent, &self.user_agent) {
            (Some(call), Some(client)) if !call.is_empty() && !client.is_empty() => {
                Some(format!("{call} {client}"))
            }
            (Some(call), _) if !call.is_empty() => Some(call.clone()),
            _ => self.user_agent.clone(),
        };
        // A call's error map is merged over the client's, as generated code's
        // `error_map.update(kwargs.pop("error_map", {}))` does.
        if let Some(call) = &over.error_map {
            out.error_map = Some(match &self.error_map {
                Some(client) => client.merged(call),
                None => call.clone(),
            });
        }
        out.retry = self.retry.overwrite(&over.retry);
        out.span_attributes
            .extend(over.span_attributes.iter().cloned());
        out.cookies.extend(over.cookies.iter().cloned());
        out.policies.extend(over.policies.iter().cloned());
        out
    }

    // ----- setters -----

    /// Adds a header to every request (`headers`). Default is none.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Uses this client request id instead of a generated UUID v4 (`request_id`). The same id
    /// is sent on every retry. Default is a new UUID v4 per call.
    #[must_use]
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// The header that carries the client request id. Default is `x-ms-client-request-id`.
    #[must_use]
    pub fn with_request_id_header(mut self, name: HeaderName) -> Self {
        self.request_id_header = Some(name);
        self
    }

    /// Text put in front of the `User-Agent` (`user_agent`); a call's text goes in front of
    /// the client's. Default is none.
    #[must_use]
    pub fn with_user_agent(mut self, prefix: impl Into<String>) -> Self {
        self.user_agent = Some(prefix.into());
        self
    }

    /// The environment variable whose value is appended to the `User-Agent`, or `None` to
    /// append nothing. Default is `AZURE_HTTP_USER_AGENT`.
    #[must_use]
    pub fn with_user_agent_env(mut self, var: Option<&str>) -> Self {
        self.user_agent_env = Some(var.map(str::to_owned));
        self
    }

    /// Logs each request and response in full (`logging_enable`): headers still redacted, plus
    /// the request body and any response body the pipeline reads (error bodies, buffered
    /// bodies), cut at [`MAX_LOGGED_BODY`](crate::policy::log::MAX_LOGGED_BODY) characters.
    /// Default is off.
    #[must_use]
    pub fn with_logging(mut self, enable: bool) -> Self {
        self.logging_enable = Some(enable);
        self
    }

    /// Logs each line of the request and response records as a record of its own (the
    /// reference's `AZURE_SDK_LOGGING_MULTIRECORD`), for log pipelines that take one line per
    /// record; a body in a full trace (`logging_enable`) stays one record. Default: what the
    /// client found in `AZURE_SDK_LOGGING_MULTIRECORD` when it was built (on when set to
    /// anything but the empty string), else off.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::options::Options;
    ///
    /// let opts = Options::new().with_logging_multirecord(true);
    /// assert_eq!(opts.logging_multirecord(), Some(true));
    /// assert_eq!(Options::new().logging_multirecord(), None);
    /// ```
    #[must_use]
    pub fn with_logging_multirecord(mut self, enable: bool) -> Self {
        self.logging_multirecord = Some(enable);
        self
    }

    /// Sends this call's log records to `sink` (`logger`). Default is the `tracing` crate.
    #[must_use]
    pub fn with_logger(mut self, sink: SharedLogSink) -> Self {
        self.logger = Some(sink);
        self
    }

    /// Replaces the redaction allow-lists. Default is [`Redactor::default`].
    #[must_use]
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = Some(redactor);
        self
    }

    /// Decodes text bodies with this encoding label instead of detecting it
    /// (`response_encoding`). Default is detection from `Content-Type`.
    #[must_use]
    pub fn with_response_encoding(mut self, label: impl Into<String>) -> Self {
        self.response_encoding = Some(label.into());
        self
    }

    /// Calls `hook` with each request as sent (`raw_request_hook`). Default is none.
    #[must_use]
    pub fn with_request_hook(
        mut self,
        hook: impl Fn(&crate::pipeline::HookRequest<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.raw_request_hook = Some(Arc::new(hook));
        self
    }

    /// Calls `hook` with each response as received (`raw_response_hook`). Default is none.
    #[must_use]
    pub fn with_response_hook(
        mut self,
        hook: impl Fn(&crate::pipeline::ResponseHead) + Send + Sync + 'static,
    ) -> Self {
        self.raw_response_hook = Some(Arc::new(hook));
        self
    }

    /// Names the call's span (`tracing_options` span name). Default is `{METHOD}`.
    #[must_use]
    pub fn with_span_name(mut self, name: impl Into<String>) -> Self {
        self.span_name = Some(name.into());
        self
    }

    /// Adds an attribute to every span of the call. Default is none.
    #[must_use]
    pub fn with_span_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.span_attributes.push((key.into(), value.into()));
        self
    }

    /// Follows redirects (`permit_redirects`). Default is `true`.
    #[must_use]
    pub fn with_redirects(mut self, permit: bool) -> Self {
        self.permit_redirects = Some(permit);
        self
    }

    /// The most redirects followed in one call (`redirect_max`). Default is 30.
    #[must_use]
    pub fn with_redirect_max(mut self, max: u32) -> Self {
        self.redirect_max = Some(max);
        self
    }

    /// Follows redirects from `https` to `http`. Default is `false`: they fail.
    #[must_use]
    pub fn with_https_downgrade(mut self, allow: bool) -> Self {
        self.allow_https_downgrade = Some(allow);
        self
    }

    /// Retry settings (`retry_*`); unset fields inherit.
    #[must_use]
    #[allow(
        clippy::needless_pass_by_value,
        reason = "setters take values, like every other"
    )]
    pub fn with_retry(mut self, retry: RetryOptions) -> Self {
        self.retry = self.retry.overwrite(&retry);
        self
    }

    /// The whole call's time budget, retries and waits included (`timeout`). Default is
    /// 604800 s (7 days).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The time budget of one attempt, from sending the request to receiving the response
    /// headers; an attempt that takes longer fails with
    /// [`ServiceResponseTimeout`](crate::ErrorKind::ServiceResponseTimeout) and is retried
    /// like any read error. Each attempt gets the smaller of this and the time left of
    /// [`with_timeout`](Self::with_timeout). Default is none: only the total applies.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::options::Options;
    /// use std::time::Duration;
    ///
    /// let o = Options::new().with_attempt_timeout(Duration::from_secs(10));
    /// assert_eq!(o.attempt_timeout(), Some(Duration::from_secs(10)));
    /// assert_eq!(Options::new().attempt_timeout(), None);
    /// ```
    #[must_use]
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// How long connecting may take (`connection_timeout`). Default is 300 s.
    #[must_use]
    pub fn with_connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = Some(timeout);
        self
    }

    /// How long a read may wait for data (`read_timeout`). Default is 300 s.
    #[must_use]
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// TLS certificate verification (`connection_verify`). Default is [`Verify::On`].
    #[must_use]
    pub fn with_connection_verify(mut self, verify: Verify) -> Self {
        self.connection_verify = Some(verify);
        self
    }

    /// A client certificate for mutual TLS (`connection_cert`). Default is none.
    #[must_use]
    pub fn with_connection_cert(mut self, cert: ClientCert) -> Self {
        self.connection_cert = Some(Some(cert));
        self
    }

    /// Proxies (`proxies`). Default is the environment's `HTTP(S)_PROXY` / `NO_PROXY`.
    #[must_use]
    pub fn with_proxies(mut self, proxies: Proxies) -> Self {
        self.proxies = Some(proxies);
        self
    }

    /// Sends a cookie with the request(s) (`cookies`), besides the client's jar. Default is
    /// none.
    #[must_use]
    pub fn with_cookie(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.cookies.push((name.into(), value.into()));
        self
    }

    /// The block size of streamed downloads (`connection_data_block_size`). Default is 4096.
    #[must_use]
    pub fn with_block_size(mut self, bytes: usize) -> Self {
        self.block_size = Some(bytes.max(1));
        self
    }

    /// Whether response bodies sent with `Content-Encoding: gzip` or `deflate` are decoded (the
    /// reference's `decompress`; `false` is its `iter_raw()`). Off, the caller gets the bytes as
    /// stored, with `Content-Encoding` and `Content-Length` as the server sent them; the
    /// request still says `Accept-Encoding: gzip, deflate`, as the reference's does. A partial
    /// response (`206`) is never decoded, whatever this says: a range of a compressed body
    /// cannot be decoded on its own, so it comes raw, with its `Content-Encoding`. Default is
    /// `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::options::Options;
    ///
    /// let raw = Options::new().with_decompress(false);
    /// assert!(!raw.decompress());
    /// assert!(Options::new().decompress());
    /// ```
    #[must_use]
    pub fn with_decompress(mut self, decompress: bool) -> Self {
        self.decompress = Some(decompress);
        self
    }

    /// The error body format of the operation. Default is [`ErrorFormat::Auto`].
    #[must_use]
    pub fn with_error_format(mut self, format: ErrorFormat) -> Self {
        self.error_format = Some(format);
        self
    }

    /// Status → kind mapping (`error_map`): merged over the client's, which is merged over
    /// [`ErrorMap::generated`] (remove a generated entry with [`ErrorMap::without`]). Default
    /// is [`ErrorMap::generated`].
    #[must_use]
    pub fn with_error_map(mut self, map: ErrorMap) -> Self {
        self.error_map = Some(match &self.error_map {
            Some(base) => base.merged(&map),
            None => map,
        });
        self
    }

    /// Adds a custom policy at `position`.
    #[must_use]
    pub fn with_policy(mut self, position: Position, policy: SharedPolicy) -> Self {
        self.policies.push((position, policy));
        self
    }

    /// Text appended to the `User-Agent`; clients set it from the variable named by
    /// [`with_user_agent_env`](Self::with_user_agent_env). Default is none.
    #[must_use]
    pub fn with_user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// The SDK's name and version for the `User-Agent`. Default is clientcore's own.
    #[must_use]
    pub fn with_sdk(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.sdk = Some((name.into(), version.into()));
        self
    }

    /// Authenticates requests with `credential`. Default is none.
    #[must_use]
    pub fn with_credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// The statuses the operation accepts; every other status becomes an [`Error`]
    /// (generated code's `if response.status_code not in [200]`). Default is every status
    /// below 400.
    ///
    /// [`Error`]: crate::Error
    #[must_use]
    pub fn with_success_statuses(mut self, statuses: &[u16]) -> Self {
        self.success = Some(statuses.to_vec());
        self
    }

    /// Reads successful response bodies of up to `max_bytes` inside the pipeline, so that a
    /// body cut short is retried like any read error (idempotent requests only), as the
    /// reference's non-streaming calls are. A longer body fails with
    /// [`ErrorKind::Decode`](crate::ErrorKind::Decode). `None` streams the body to the caller
    /// (then a cut body is an `IncompleteRead` error while reading). Default is `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::options::Options;
    ///
    /// let opts = Options::new().with_buffered_body(Some(1 << 20));
    /// assert_eq!(opts.buffered_body(), Some(1 << 20));
    /// ```
    #[must_use]
    pub fn with_buffered_body(mut self, max_bytes: Option<usize>) -> Self {
        self.buffered_body = Some(max_bytes);
        self
    }

    // ----- resolved values -----

    /// The buffer limit of successful bodies, when they are buffered.
    pub fn buffered_body(&self) -> Option<usize> {
        self.buffered_body.flatten()
    }

    /// The `User-Agent` suffix, if any.
    pub fn user_agent_suffix(&self) -> Option<&str> {
        self.user_agent_suffix.as_deref()
    }

    /// The SDK's name and version, if set.
    pub fn sdk(&self) -> Option<(&str, &str)> {
        self.sdk.as_ref().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The credential, if any.
    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }

    /// Whether `status` is a success for this operation.
    pub fn is_success(&self, status: u16) -> bool {
        match &self.success {
            Some(list) => list.contains(&status),
            None => status < 400,
        }
    }

    /// The headers added to every request.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The explicit client request id, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The client request id header.
    pub fn request_id_header(&self) -> HeaderName {
        // Checked at compile time, not on each of the several calls per request.
        const DEFAULT: HeaderName = HeaderName::from_static("x-ms-client-request-id");
        self.request_id_header.clone().unwrap_or(DEFAULT)
    }

    /// The `User-Agent` prefix, if any.
    pub fn user_agent_prefix(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    /// The environment variable appended to the `User-Agent`.
    pub fn user_agent_env(&self) -> Option<&str> {
        match &self.user_agent_env {
            Some(v) => v.as_deref(),
            None => Some("AZURE_HTTP_USER_AGENT"),
        }
    }

    resolved!(
        /// Whether full request/response logging is on.
        logging_enable: bool = false
    );

    /// Whether each line of the request and response records is a record of its own; `None`
    /// when not set (a client then follows `AZURE_SDK_LOGGING_MULTIRECORD`, read when it is
    /// built; a bare exchange logs single records).
    pub fn logging_multirecord(&self) -> Option<bool> {
        self.logging_multirecord
    }

    /// The log sink of this call, if one was set.
    pub fn logger(&self) -> Option<&SharedLogSink> {
        self.logger.as_ref()
    }

    /// The redaction rules.
    pub fn redactor(&self) -> Redactor {
        self.redactor.clone().unwrap_or_default()
    }

    /// The forced response encoding label, if any.
    pub fn response_encoding(&self) -> Option<&str> {
        self.response_encoding.as_deref()
    }

    /// The request hook, if any.
    pub fn request_hook(&self) -> Option<&RequestHook> {
        self.raw_request_hook.as_ref()
    }

    /// The response hook, if any.
    pub fn response_hook(&self) -> Option<&ResponseHook> {
        self.raw_response_hook.as_ref()
    }

    /// The span name override, if any.
    pub fn span_name(&self) -> Option<&str> {
        self.span_name.as_deref()
    }

    /// Extra span attributes.
    pub fn span_attributes(&self) -> &[(String, String)] {
        &self.span_attributes
    }

    resolved!(
        /// Whether redirects are followed.
        permit_redirects: bool = true
    );
    resolved!(
        /// The redirect limit.
        redirect_max: u32 = 30
    );
    resolved!(
        /// Whether `https` → `http` redirects are followed.
        allow_https_downgrade: bool = false
    );

    /// The retry settings.
    pub fn retry(&self) -> &RetryOptions {
        &self.retry
    }

    resolved!(
        /// The total time budget of a call.
        timeout: Duration = Duration::from_secs(604_800)
    );
    /// The per-attempt timeout, if any.
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    resolved!(
        /// The connect timeout.
        connection_timeout: Duration = Duration::from_secs(300)
    );
    resolved!(
        /// The read timeout.
        read_timeout: Duration = Duration::from_secs(300)
    );

    /// TLS verification.
    pub fn connection_verify(&self) -> Verify {
        self.connection_verify.clone().unwrap_or_default()
    }

    /// The client certificate, if any.
    pub fn connection_cert(&self) -> Option<&ClientCert> {
        self.connection_cert.as_ref().and_then(Option::as_ref)
    }

    /// The proxies.
    pub fn proxies(&self) -> Proxies {
        self.proxies.clone().unwrap_or_default()
    }

    /// Per-call cookies.
    pub fn cookies(&self) -> &[(String, String)] {
        &self.cookies
    }

    resolved!(
        /// The streamed download block size.
        block_size: usize = 4096
    );
    resolved!(
        /// Whether coded response bodies are decoded.
        decompress: bool = true
    );
    resolved!(
        /// The error body format.
        error_format: ErrorFormat = ErrorFormat::Auto
    );

    /// The error map: [`ErrorMap::generated`] with the configured entries merged over it.
    pub fn error_map(&self) -> ErrorMap {
        match &self.error_map {
            Some(map) => ErrorMap::generated().merged(map),
            None => ErrorMap::generated(),
        }
    }

    /// The custom policies at `position`, in the order they were added.
    pub fn policies(&self, position: Position) -> impl Iterator<Item = &SharedPolicy> {
        self.policies
            .iter()
            .filter(move |(p, _)| *p == position)
            .map(|(_, policy)| policy)
    }

    /// Whether no option is set: a call with these options uses its client's as they are.
    pub fn is_empty(&self) -> bool {
        let mut empty = self.headers.is_empty()
            && self.span_attributes.is_empty()
            && self.cookies.is_empty()
            && self.policies.is_empty()
            && self.retry.is_empty();
        macro_rules! unset {
            ($($f:ident),*) => { $( empty &= self.$f.is_none(); )* };
        }
        set_wins_knobs!(unset);
        unset!(
            user_agent,
            error_map,
            user_agent_env,
            logger,
            redactor,
            raw_request_hook,
            raw_response_hook,
            user_agent_suffix
        );
        empty
    }

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

impl fmt::Debug for Options {
    // Only what is set, and never a header value that is not allow-listed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redactor = self.redactor();
        let mut d = f.debug_struct("Options");
        if !self.headers.is_empty() {
            d.field(
                "headers",
                &crate::error::DebugHeaders(&self.headers, &redactor),
            );
        }
        macro_rules! show {
            ($($f:ident),*) => { $( if let Some(v) = &self.$f { d.field(stringify!($f), v); } )* };
        }
        show!(user_agent, error_map);
        set_wins_knobs!(show);
        if !self.cookies.is_empty() {
            d.field("cookies", &self.cookies.len());
        }
        if !self.policies.is_empty() {
            d.field("policies", &self.policies.len());
        }
        d.field("retry", &self.retry);
        d.finish_non_exhaustive()
    }
}
