//! The seed's per-call options, set per client and overridden per call.
//!
//! [`Options`] holds every knob as an `Option`: unset means "inherit". A client keeps one
//! `Options`; a call passes another; [`Options::overwrite`] merges them, the call winning.
//! Resolved values with the seed's defaults come from the accessors on [`Options`].
//!
//! The knobs are grouped as the peers group them (request, user agent, credentials, retry,
//! redirects, timeouts, transport, logging, tracing, hooks, response), and listed once, in
//! the `knobs!` call below: that one list makes the fields, the merge, the emptiness test and
//! `Debug`, so a new knob is one line there (plus its setter and accessor in `access.rs`).

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName};

use crate::error::ErrorMap;
use crate::format::ErrorFormat;
use crate::pipeline::policy::SharedPolicy;
use crate::pipeline::retry::RetryOptions;
use crate::pipeline::throttle::ThrottleGate;
use crate::pipeline::CookieJar;
use crate::policies::auth::Credential;
use crate::policies::log::SharedLogSink;
use crate::policies::redact::Redactor;

#[macro_use]
mod knobs;
mod access;
mod stall;
mod throttle;
mod transport;

pub use stall::StallProtection;
pub use transport::{
    ClientCert, HttpVersion, PoolSettings, Proxies, Resolve, ResolveFuture, Resolver,
    TransportConfig, Verify,
};

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

/// A hook that sees each request as sent (`raw_request_hook`).
pub type RequestHook = Arc<dyn Fn(&crate::pipeline::HookRequest<'_>) + Send + Sync>;
/// A hook that sees each response as received (`raw_response_hook`).
pub type ResponseHook = Arc<dyn Fn(&crate::pipeline::ResponseHead) + Send + Sync>;

knobs! {
    /// Every per-call option of the seed, plus clientcore's own. Unset knobs inherit.
    ///
    /// Setters consume and return `self`; each documents its default, and whether setting it
    /// twice replaces the first value (most) or merges with it
    /// ([`with_retry`](Self::with_retry), [`with_error_map`](Self::with_error_map)) or adds
    /// to it (headers, cookies, span attributes, policies).
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    /// use std::time::Duration;
    ///
    /// let client = Options::new().with_timeout(Duration::from_secs(30)).with_user_agent("myapp/1");
    /// let call = Options::new().with_timeout(Duration::from_secs(5));
    /// let merged = client.overwrite(&call);
    /// assert_eq!(merged.timeout(), Duration::from_secs(5));
    /// assert_eq!(merged.user_agent_prefix(), Some("myapp/1"));
    /// assert_eq!(merged.read_timeout(), Duration::from_secs(300));
    /// ```
    pub struct Options;

    /// What every request carries besides its own headers.
    request: RequestKnobs {
        /// Headers added to every request (`headers`).
        headers: HeaderMap = headers,
        /// The client request id, instead of a new UUID v4 per call.
        request_id: Option<String> = set,
        /// The header that carries the client request id.
        request_id_header: Option<HeaderName> = set,
        /// Cookies sent besides the client's jar (`cookies`).
        cookies: Vec<(String, String)> = list,
        /// The jar that keeps the cookies responses set; shown as `<set>` (it holds them).
        jar: Option<CookieJar> = opaque,
    }
    /// The `User-Agent`: the application's text, the SDK, the environment's text.
    user_agent: UserAgentKnobs {
        /// The application's text in front (`user_agent`); a call's goes before the client's.
        prefix: Option<String> = merged(call_prefix_first),
        /// The environment variable appended, or `Some(None)` for none.
        #[allow(clippy::option_option, reason = "unset (inherit) is kept apart from disabled")]
        env: Option<Option<String>> = set,
        /// The text appended, read from `env` when a client is built.
        suffix: Option<String> = set,
        /// The SDK's name and version.
        sdk: Option<(String, String)> = set,
    }
    /// How requests are authenticated.
    credentials: CredentialKnobs {
        /// A key, a SAS or the scopes of a bearer token.
        credential: Option<Credential> = set,
    }
    /// Whether and how far redirects are followed.
    redirect: RedirectKnobs {
        /// Follow redirects at all (`permit_redirects`).
        permit: Option<bool> = set,
        /// The most redirects of one call (`redirect_max`).
        max: Option<u32> = set,
        /// Follow `https` → `http`.
        allow_https_downgrade: Option<bool> = set,
    }
    /// The time budgets of a call and of each of its attempts.
    timeouts: TimeoutKnobs {
        /// The whole call, retries and waits included (`timeout`).
        total: Option<Duration> = set,
        /// One attempt, up to the response head.
        attempt: Option<Duration> = set,
    }
    /// How the transport connects, reads and decodes.
    transport: TransportKnobs {
        /// `connection_timeout`.
        connection_timeout: Option<Duration> = set,
        /// `read_timeout`.
        read_timeout: Option<Duration> = set,
        /// `connection_verify`.
        verify: Option<Verify> = set,
        /// `connection_cert`, or `Some(None)` for none.
        #[allow(clippy::option_option, reason = "unset (inherit) is kept apart from disabled")]
        cert: Option<Option<ClientCert>> = set,
        /// `proxies`; their `Debug` hides passwords.
        proxies: Option<Proxies> = set,
        /// `connection_data_block_size`.
        block_size: Option<usize> = set,
        /// `decompress`.
        decompress: Option<bool> = set,
        /// HTTP/1.1, HTTP/2 or either.
        http_version: Option<HttpVersion> = set,
        /// Idle connections and TCP options.
        pool: Option<PoolSettings> = set,
        /// The DNS plug-in.
        resolver: Option<Resolver> = set,
    }
    /// What is logged, how, and where to.
    logging: LoggingKnobs {
        /// Full request and response logs (`logging_enable`).
        enable: Option<bool> = set,
        /// One record per line (`AZURE_SDK_LOGGING_MULTIRECORD`).
        multirecord: Option<bool> = set,
        /// Where records go (`logger`).
        logger: Option<SharedLogSink> = opaque,
        /// The redaction allow-lists.
        redactor: Option<Redactor> = set,
    }
    /// The spans of a call.
    tracing: TracingKnobs {
        /// The call span's name.
        span_name: Option<String> = set,
        /// Attributes added to every span of the call.
        span_attributes: Vec<(String, String)> = list,
    }
    /// Code of the caller's that sees or changes requests and responses.
    hooks: HookKnobs {
        /// `raw_request_hook`.
        request: Option<RequestHook> = opaque,
        /// `raw_response_hook`.
        response: Option<ResponseHook> = opaque,
        /// Custom policies, in the order added.
        policies: Vec<(Position, SharedPolicy)> = list,
    }
    /// What a response must be, and how it is read.
    response: ResponseKnobs {
        /// `response_encoding`.
        encoding: Option<String> = set,
        /// The format of error bodies.
        error_format: Option<ErrorFormat> = set,
        /// Status → kind; a call's map is merged over the client's.
        error_map: Option<ErrorMap> = merged(merge_error_maps),
        /// The statuses that are a success.
        success: Option<Vec<u16>> = set,
        /// Buffer successful bodies up to this many bytes, or `Some(None)` to stream them.
        #[allow(clippy::option_option, reason = "unset (inherit) is kept apart from disabled")]
        buffered_body: Option<Option<usize>> = set,
        /// Stalled-stream protection of the caller's body reads, or `Some(None)` for none.
        #[allow(clippy::option_option, reason = "unset (inherit) is kept apart from disabled")]
        stall: Option<Option<StallProtection>> = set,
        /// Transparent resume of cut streamed downloads ([`crate::pipeline::resume`]).
        resume: Option<bool> = set,
    }
    /// The client's throttle gate ([`crate::pipeline::throttle`]).
    throttle: ThrottleKnobs {
        /// Whether a call waits at its host's throttle gate.
        enable: Option<bool> = set,
        /// The gate, shared by a client's calls; shown as `<set>` (it holds hosts).
        gate: Option<ThrottleGate> = opaque,
    }
    ;
    /// Retries: counters, backoff, budget, classifiers; merged field by field.
    retry: RetryOptions,
}

/// A call's application id goes in front of the client's, as the reference's
/// `"{per_call} {self.user_agent}"` does.
#[allow(
    clippy::ref_option,
    reason = "the knob is stored as an Option; every merge takes its knob by reference"
)]
fn call_prefix_first(client: &Option<String>, call: &Option<String>) -> Option<String> {
    match (call, client) {
        (Some(call), Some(client)) if !call.is_empty() && !client.is_empty() => {
            Some(format!("{call} {client}"))
        }
        (Some(call), _) if !call.is_empty() => Some(call.clone()),
        _ => client.clone(),
    }
}

/// A call's error map is merged over the client's, as generated code's
/// `error_map.update(kwargs.pop("error_map", {}))` does.
#[allow(
    clippy::ref_option,
    reason = "the knob is stored as an Option; every merge takes its knob by reference"
)]
fn merge_error_maps(client: &Option<ErrorMap>, call: &Option<ErrorMap>) -> Option<ErrorMap> {
    match (client, call) {
        (Some(client), Some(call)) => Some(client.merged(call)),
        (None, Some(call)) => Some(call.clone()),
        (_, None) => client.clone(),
    }
}

#[cfg(test)]
mod tests;
