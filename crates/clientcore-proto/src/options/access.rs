//! The setters and accessors of [`Options`], one `impl` block per group of knobs.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::{
    ClientCert, HttpVersion, Options, PoolSettings, Position, Proxies, RequestHook, Resolve,
    Resolver, ResponseHook, StallProtection, Verify,
};
use crate::error::ErrorMap;
use crate::format::ErrorFormat;
use crate::pipeline::policy::SharedPolicy;
use crate::pipeline::retry::RetryOptions;
use crate::pipeline::CookieJar;
use crate::policies::auth::Credential;
use crate::policies::log::SharedLogSink;
use crate::policies::redact::Redactor;

impl Options {
    /// No option set: everything inherits or takes the seed's default.
    pub fn new() -> Self {
        Options::default()
    }
}

/// What every request carries: headers, the client request id, cookies.
impl Options {
    /// Adds a header to every request (`headers`). Default is none.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.request.headers.append(name, value);
        self
    }

    /// Uses this client request id instead of a generated UUID v4 (`request_id`). The same id
    /// is sent on every retry. Default is a new UUID v4 per call.
    #[must_use]
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request.request_id = Some(id.into());
        self
    }

    /// The header that carries the client request id. Default is `x-ms-client-request-id`.
    #[must_use]
    pub fn with_request_id_header(mut self, name: HeaderName) -> Self {
        self.request.request_id_header = Some(name);
        self
    }

    /// Sends a cookie with the request(s) (`cookies`), besides the client's jar. Default is
    /// none.
    #[must_use]
    pub fn with_cookie(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.cookies.push((name.into(), value.into()));
        self
    }

    /// The headers added to every request.
    pub fn headers(&self) -> &HeaderMap {
        &self.request.headers
    }

    /// The explicit client request id, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.request.request_id.as_deref()
    }

    /// The client request id header.
    pub fn request_id_header(&self) -> HeaderName {
        // Checked at compile time, not on each of the several calls per request.
        const DEFAULT: HeaderName = HeaderName::from_static("x-ms-client-request-id");
        self.request.request_id_header.clone().unwrap_or(DEFAULT)
    }

    /// Per-call cookies.
    pub fn cookies(&self) -> &[(String, String)] {
        &self.request.cookies
    }

    /// Keeps the cookies responses set in `jar`, and sends them back on the requests they
    /// match (RFC 6265). Default: each client gets a jar of its own when it is built, shared
    /// by its clones; give clients the same jar to share their cookies, or a call a new one to
    /// keep it apart. An exchange whose options have no jar keeps no cookies.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    /// use clientcore::pipeline::CookieJar;
    ///
    /// let shared = CookieJar::new();
    /// let a = Options::new().with_cookie_jar(shared.clone());
    /// let b = Options::new().with_cookie_jar(shared);
    /// assert!(a.cookie_jar().is_some() && b.cookie_jar().is_some());
    /// ```
    #[must_use]
    pub fn with_cookie_jar(mut self, jar: CookieJar) -> Self {
        self.request.jar = Some(jar);
        self
    }

    /// The cookie jar, if one is set.
    pub fn cookie_jar(&self) -> Option<&CookieJar> {
        self.request.jar.as_ref()
    }
}

/// The `User-Agent`: the application's text, the SDK, the environment's text.
impl Options {
    /// Text put in front of the `User-Agent` (`user_agent`); a call's text goes in front of
    /// the client's. Default is none.
    #[must_use]
    pub fn with_user_agent(mut self, prefix: impl Into<String>) -> Self {
        self.user_agent.prefix = Some(prefix.into());
        self
    }

    /// The environment variable whose value is appended to the `User-Agent`, or `None` to
    /// append nothing. Default is `AZURE_HTTP_USER_AGENT`.
    #[must_use]
    pub fn with_user_agent_env(mut self, var: Option<&str>) -> Self {
        self.user_agent.env = Some(var.map(str::to_owned));
        self
    }

    /// Text appended to the `User-Agent`; clients set it from the variable named by
    /// [`with_user_agent_env`](Self::with_user_agent_env). Default is none.
    #[must_use]
    pub fn with_user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent.suffix = Some(suffix.into());
        self
    }

    /// The SDK's name and version for the `User-Agent`. Default is clientcore's own.
    #[must_use]
    pub fn with_sdk(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.user_agent.sdk = Some((name.into(), version.into()));
        self
    }

    /// The `User-Agent` suffix, if any.
    pub fn user_agent_suffix(&self) -> Option<&str> {
        self.user_agent.suffix.as_deref()
    }

    /// The SDK's name and version, if set.
    pub fn sdk(&self) -> Option<(&str, &str)> {
        self.user_agent
            .sdk
            .as_ref()
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The `User-Agent` prefix, if any.
    pub fn user_agent_prefix(&self) -> Option<&str> {
        self.user_agent.prefix.as_deref()
    }

    /// The environment variable appended to the `User-Agent`.
    pub fn user_agent_env(&self) -> Option<&str> {
        match &self.user_agent.env {
            Some(v) => v.as_deref(),
            None => Some("AZURE_HTTP_USER_AGENT"),
        }
    }
}

/// How requests are authenticated.
impl Options {
    /// Authenticates requests with `credential`. Default is none.
    #[must_use]
    pub fn with_credential(mut self, credential: Credential) -> Self {
        self.credentials.credential = Some(credential);
        self
    }

    /// The credential, if any.
    pub fn credential(&self) -> Option<&Credential> {
        self.credentials.credential.as_ref()
    }
}

/// Retries.
impl Options {
    /// Retry settings (`retry_*`). Merges, not replaces: the fields `retry` sets win, and
    /// the fields it leaves unset keep what an earlier `with_retry` set (then inherit from the
    /// client), as a call's retry settings are merged over its client's.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    /// use clientcore::pipeline::retry::RetryOptions;
    ///
    /// let o = Options::new()
    ///     .with_retry(RetryOptions::new().with_total(2).with_backoff_factor(0.1))
    ///     .with_retry(RetryOptions::new().with_total(5));
    /// assert_eq!(o.retry().total(), 5);
    /// assert!((o.retry().backoff_factor() - 0.1).abs() < f64::EPSILON, "kept from the first");
    /// ```
    #[must_use]
    #[allow(
        clippy::needless_pass_by_value,
        reason = "setters take values, like every other"
    )]
    pub fn with_retry(mut self, retry: RetryOptions) -> Self {
        self.retry = self.retry.overwrite(&retry);
        self
    }

    /// The retry settings.
    pub fn retry(&self) -> &RetryOptions {
        &self.retry
    }
}

/// Redirects.
impl Options {
    /// Follows redirects (`permit_redirects`). Default is `true`.
    #[must_use]
    pub fn with_redirects(mut self, permit: bool) -> Self {
        self.redirect.permit = Some(permit);
        self
    }

    /// The most redirects followed in one call (`redirect_max`). Default is 30.
    #[must_use]
    pub fn with_redirect_max(mut self, max: u32) -> Self {
        self.redirect.max = Some(max);
        self
    }

    /// Follows redirects from `https` to `http`. Default is `false`: they fail.
    #[must_use]
    pub fn with_https_downgrade(mut self, allow: bool) -> Self {
        self.redirect.allow_https_downgrade = Some(allow);
        self
    }

    /// Whether redirects are followed.
    pub fn permit_redirects(&self) -> bool {
        self.redirect.permit.unwrap_or(true)
    }

    /// The redirect limit.
    pub fn redirect_max(&self) -> u32 {
        self.redirect.max.unwrap_or(30)
    }

    /// Whether `https` → `http` redirects are followed.
    pub fn allow_https_downgrade(&self) -> bool {
        self.redirect.allow_https_downgrade.unwrap_or(false)
    }
}

/// The time budgets of a call and of each attempt.
impl Options {
    /// The whole call's time budget, retries and waits included (`timeout`). Default is
    /// 604800 s (7 days).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.total = Some(timeout);
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
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    /// use std::time::Duration;
    ///
    /// let o = Options::new().with_attempt_timeout(Duration::from_secs(10));
    /// assert_eq!(o.attempt_timeout(), Some(Duration::from_secs(10)));
    /// assert_eq!(Options::new().attempt_timeout(), None);
    /// ```
    #[must_use]
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.attempt = Some(timeout);
        self
    }

    /// The total time budget of a call.
    pub fn timeout(&self) -> Duration {
        self.timeouts.total.unwrap_or(Duration::from_secs(604_800))
    }

    /// The per-attempt timeout, if any.
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.timeouts.attempt
    }
}

/// How the transport connects, reads and decodes.
impl Options {
    /// How long connecting may take (`connection_timeout`). Default is 300 s.
    #[must_use]
    pub fn with_connection_timeout(mut self, timeout: Duration) -> Self {
        self.transport.connection_timeout = Some(timeout);
        self
    }

    /// Stalled-stream protection for the response bodies the caller reads after `send`
    /// returns (streamed in blocks or read whole): `Some` sets the least throughput, `None`
    /// turns it off. Default is on, [`StallProtection::default`]: a body that brings fewer
    /// than 20 bytes in 20 s of waiting fails with `ServiceResponseTimeout`. The pipeline's
    /// own reads (error bodies, buffered bodies) are bounded by the call's deadline instead.
    #[must_use]
    pub fn with_stall_protection(mut self, protection: Option<StallProtection>) -> Self {
        self.response.stall = Some(protection);
        self
    }

    /// Transparent resume of streamed downloads (default on): when the body of a `GET`
    /// answered 200 or 206 with a strong `ETag` (or a `Last-Modified` date) is cut while the
    /// caller streams it, the client asks for the rest with `Range` and `If-Match` (or
    /// `If-Range`) and the caller reads one intact body; if the resource changed in between,
    /// the read fails with `ResourceModified` instead of splicing two versions. Each resume
    /// counts as a retry of the call. See [`pipeline::resume`](crate::pipeline::resume) for
    /// the rules. `false` turns it off (per client, or per call).
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    ///
    /// assert!(Options::new().resume());
    /// let client = Options::new();
    /// let call = Options::new().with_resume(false);
    /// assert!(!client.overwrite(&call).resume());
    /// ```
    #[must_use]
    pub fn with_resume(mut self, resume: bool) -> Self {
        self.response.resume = Some(resume);
        self
    }

    /// Whether cut streamed downloads are resumed ([`with_resume`](Self::with_resume));
    /// default `true`.
    pub fn resume(&self) -> bool {
        self.response.resume.unwrap_or(true)
    }

    /// How long a read may wait for data (`read_timeout`). Default is 300 s.
    #[must_use]
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.transport.read_timeout = Some(timeout);
        self
    }

    /// TLS certificate verification (`connection_verify`). Default is [`Verify::On`].
    #[must_use]
    pub fn with_connection_verify(mut self, verify: Verify) -> Self {
        self.transport.verify = Some(verify);
        self
    }

    /// A client certificate for mutual TLS (`connection_cert`). Default is none.
    #[must_use]
    pub fn with_connection_cert(mut self, cert: ClientCert) -> Self {
        self.transport.cert = Some(Some(cert));
        self
    }

    /// Proxies (`proxies`). Default is the environment's `HTTP(S)_PROXY` / `NO_PROXY`.
    #[must_use]
    pub fn with_proxies(mut self, proxies: Proxies) -> Self {
        self.transport.proxies = Some(proxies);
        self
    }

    /// The block size of streamed downloads (`connection_data_block_size`). Default is 4096.
    #[must_use]
    pub fn with_block_size(mut self, bytes: usize) -> Self {
        self.transport.block_size = Some(bytes.max(1));
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
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    ///
    /// let raw = Options::new().with_decompress(false);
    /// assert!(!raw.decompress());
    /// assert!(Options::new().decompress());
    /// ```
    #[must_use]
    pub fn with_decompress(mut self, decompress: bool) -> Self {
        self.transport.decompress = Some(decompress);
        self
    }

    /// Which HTTP versions the transport speaks: HTTP/2 when a TLS server offers it (default),
    /// HTTP/1.1 only, or HTTP/2 with prior knowledge. Per client or per call; a call with
    /// another choice than the client's gets connections of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::{HttpVersion, Options};
    ///
    /// let h2c = Options::new().with_http_version(HttpVersion::Http2PriorKnowledge);
    /// assert_eq!(h2c.http_version(), HttpVersion::Http2PriorKnowledge);
    /// ```
    #[must_use]
    pub fn with_http_version(mut self, version: HttpVersion) -> Self {
        self.transport.http_version = Some(version);
        self
    }

    /// How idle connections are kept and new ones opened (see [`PoolSettings`]). Meant for a
    /// client's options: a call with other settings gets connections of its own.
    #[must_use]
    pub fn with_pool(mut self, pool: PoolSettings) -> Self {
        self.transport.pool = Some(pool);
        self
    }

    /// Resolves host names with `resolve` instead of the system's resolver (see [`Resolve`]).
    #[must_use]
    pub fn with_resolver(mut self, resolve: impl Resolve) -> Self {
        self.transport.resolver = Some(Resolver::new(resolve));
        self
    }

    /// The connect timeout.
    pub fn connection_timeout(&self) -> Duration {
        self.transport
            .connection_timeout
            .unwrap_or(Duration::from_secs(300))
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> Duration {
        self.transport
            .read_timeout
            .unwrap_or(Duration::from_secs(300))
    }

    /// TLS verification.
    pub fn connection_verify(&self) -> Verify {
        self.transport.verify.clone().unwrap_or_default()
    }

    /// The client certificate, if any.
    pub fn connection_cert(&self) -> Option<&ClientCert> {
        self.transport.cert.as_ref().and_then(Option::as_ref)
    }

    /// The proxies.
    pub fn proxies(&self) -> Proxies {
        self.transport.proxies.clone().unwrap_or_default()
    }

    /// The stalled-stream protection of the caller's body reads; `None` when turned off.
    /// Default is [`StallProtection::default`] (1 byte/s over 20 s).
    pub fn stall_protection(&self) -> Option<StallProtection> {
        self.response
            .stall
            .unwrap_or(Some(StallProtection::default()))
            .filter(|s| !s.grace.is_zero())
    }

    /// The streamed download block size.
    pub fn block_size(&self) -> usize {
        self.transport.block_size.unwrap_or(4096)
    }

    /// Whether coded response bodies are decoded.
    pub fn decompress(&self) -> bool {
        self.transport.decompress.unwrap_or(true)
    }

    /// The HTTP versions spoken; default [`HttpVersion::Negotiate`].
    pub fn http_version(&self) -> HttpVersion {
        self.transport.http_version.unwrap_or_default()
    }

    /// Idle connections and TCP options; default [`PoolSettings::default`].
    pub fn pool(&self) -> PoolSettings {
        self.transport.pool.unwrap_or_default()
    }

    /// The DNS plug-in, if any.
    pub fn resolver(&self) -> Option<&Resolver> {
        self.transport.resolver.as_ref()
    }
}

/// Logging.
impl Options {
    /// Logs each request and response in full (`logging_enable`): headers still redacted, plus
    /// the request body and any response body the pipeline reads (error bodies, buffered
    /// bodies), cut at [`MAX_LOGGED_BODY`](crate::policies::log::MAX_LOGGED_BODY) characters.
    /// Default is off.
    #[must_use]
    pub fn with_logging(mut self, enable: bool) -> Self {
        self.logging.enable = Some(enable);
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
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    ///
    /// let opts = Options::new().with_logging_multirecord(true);
    /// assert_eq!(opts.logging_multirecord(), Some(true));
    /// assert_eq!(Options::new().logging_multirecord(), None);
    /// ```
    #[must_use]
    pub fn with_logging_multirecord(mut self, enable: bool) -> Self {
        self.logging.multirecord = Some(enable);
        self
    }

    /// Sends this call's log records to `sink` (`logger`), every one whatever its level
    /// (request and response records are [`Level::Debug`](crate::policies::log::Level::Debug);
    /// see [`log`](crate::policies::log)). Default is the `tracing` crate, target
    /// `clientcore::http`.
    #[must_use]
    pub fn with_logger(mut self, sink: SharedLogSink) -> Self {
        self.logging.logger = Some(sink);
        self
    }

    /// Replaces the redaction allow-lists. Default is [`Redactor::default`].
    #[must_use]
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.logging.redactor = Some(redactor);
        self
    }

    /// Whether full request/response logging is on.
    pub fn logging_enable(&self) -> bool {
        self.logging.enable.unwrap_or(false)
    }

    /// Whether each line of the request and response records is a record of its own; `None`
    /// when not set (a client then follows `AZURE_SDK_LOGGING_MULTIRECORD`, read when it is
    /// built; a bare exchange logs single records).
    pub fn logging_multirecord(&self) -> Option<bool> {
        self.logging.multirecord
    }

    /// The log sink of this call, if one was set.
    pub fn logger(&self) -> Option<&SharedLogSink> {
        self.logging.logger.as_ref()
    }

    /// The redaction rules.
    pub fn redactor(&self) -> Redactor {
        self.logging.redactor.clone().unwrap_or_default()
    }
}

/// Tracing.
impl Options {
    /// Names the call's span (`tracing_options` span name). Default is `{METHOD}`.
    #[must_use]
    pub fn with_span_name(mut self, name: impl Into<String>) -> Self {
        self.tracing.span_name = Some(name.into());
        self
    }

    /// Adds an attribute to every span of the call. Default is none.
    #[must_use]
    pub fn with_span_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tracing
            .span_attributes
            .push((key.into(), value.into()));
        self
    }

    /// The span name override, if any.
    pub fn span_name(&self) -> Option<&str> {
        self.tracing.span_name.as_deref()
    }

    /// Extra span attributes.
    pub fn span_attributes(&self) -> &[(String, String)] {
        &self.tracing.span_attributes
    }
}

/// Hooks and custom policies.
impl Options {
    /// Calls `hook` with each request as sent (`raw_request_hook`). Default is none.
    #[must_use]
    pub fn with_request_hook(
        mut self,
        hook: impl Fn(&crate::pipeline::HookRequest<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.request = Some(Arc::new(hook));
        self
    }

    /// Calls `hook` with each response as received (`raw_response_hook`). Default is none.
    #[must_use]
    pub fn with_response_hook(
        mut self,
        hook: impl Fn(&crate::pipeline::ResponseHead) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.response = Some(Arc::new(hook));
        self
    }

    /// Adds a custom policy at `position`.
    #[must_use]
    pub fn with_policy(mut self, position: Position, policy: SharedPolicy) -> Self {
        self.hooks.policies.push((position, policy));
        self
    }

    /// The request hook, if any.
    pub fn request_hook(&self) -> Option<&RequestHook> {
        self.hooks.request.as_ref()
    }

    /// The response hook, if any.
    pub fn response_hook(&self) -> Option<&ResponseHook> {
        self.hooks.response.as_ref()
    }

    /// The custom policies at `position`, in the order they were added.
    pub fn policies(&self, position: Position) -> impl Iterator<Item = &SharedPolicy> {
        self.hooks
            .policies
            .iter()
            .filter(move |(p, _)| *p == position)
            .map(|(_, policy)| policy)
    }
}

/// What a response must be, and how it is read.
impl Options {
    /// Decodes text bodies with this encoding label instead of detecting it
    /// (`response_encoding`). Default is detection from `Content-Type`.
    #[must_use]
    pub fn with_response_encoding(mut self, label: impl Into<String>) -> Self {
        self.response.encoding = Some(label.into());
        self
    }

    /// The error body format of the operation. Default is [`ErrorFormat::Auto`].
    #[must_use]
    pub fn with_error_format(mut self, format: ErrorFormat) -> Self {
        self.response.error_format = Some(format);
        self
    }

    /// Status and service error code → kind mapping (`error_map`, see [`ErrorMap`]): merged
    /// over the client's, which is merged over [`ErrorMap::generated`] (remove a generated
    /// entry with [`ErrorMap::without`]). Default is [`ErrorMap::generated`].
    ///
    /// Merges, not replaces: calling it again adds `map`'s entries over the earlier ones, and
    /// a status only the earlier map names keeps its kind.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    /// use clientcore::{ErrorKind, ErrorMap};
    ///
    /// let o = Options::new()
    ///     .with_error_map(ErrorMap::new().with(418, ErrorKind::ResourceExists))
    ///     .with_error_map(ErrorMap::new().with(423, ErrorKind::ResourceModified));
    /// assert_eq!(o.error_map().kind_for(418), ErrorKind::ResourceExists);
    /// assert_eq!(o.error_map().kind_for(423), ErrorKind::ResourceModified);
    /// ```
    #[must_use]
    pub fn with_error_map(mut self, map: ErrorMap) -> Self {
        self.response.error_map = Some(match &self.response.error_map {
            Some(base) => base.merged(&map),
            None => map,
        });
        self
    }

    /// The statuses the operation accepts; every other status becomes an [`Error`]
    /// (generated code's `if response.status_code not in [200]`). Default is every status
    /// below 400.
    ///
    /// [`Error`]: crate::Error
    #[must_use]
    pub fn with_success_statuses(mut self, statuses: &[u16]) -> Self {
        self.response.success = Some(statuses.to_vec());
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
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    ///
    /// let opts = Options::new().with_buffered_body(Some(1 << 20));
    /// assert_eq!(opts.buffered_body(), Some(1 << 20));
    /// ```
    #[must_use]
    pub fn with_buffered_body(mut self, max_bytes: Option<usize>) -> Self {
        self.response.buffered_body = Some(max_bytes);
        self
    }

    /// The buffer limit of successful bodies, when they are buffered.
    pub fn buffered_body(&self) -> Option<usize> {
        self.response.buffered_body.flatten()
    }

    /// Whether `status` is a success for this operation.
    pub fn is_success(&self, status: u16) -> bool {
        match &self.response.success {
            Some(list) => list.contains(&status),
            None => status < 400,
        }
    }

    /// The forced response encoding label, if any.
    pub fn response_encoding(&self) -> Option<&str> {
        self.response.encoding.as_deref()
    }

    /// The error body format.
    pub fn error_format(&self) -> ErrorFormat {
        self.response.error_format.unwrap_or(ErrorFormat::Auto)
    }

    /// The error map: [`ErrorMap::generated`] with the configured entries merged over it.
    pub fn error_map(&self) -> ErrorMap {
        match &self.response.error_map {
            Some(map) => ErrorMap::generated().merged(map),
            None => ErrorMap::generated(),
        }
    }
}
