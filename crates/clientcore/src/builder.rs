//! What both clients are made of, and the builder methods they share: options, clock,
//! transport, sleep, and the credential (one place for a bearer credential).

use std::fmt;
use std::sync::Arc;

use clientcore_proto::options::Options;
use clientcore_proto::pipeline::Prepared;
use clientcore_proto::time::{Clock, SystemClock};
use clientcore_proto::Error;

/// Client-wide settings, shared by the async and the blocking builder.
#[derive(Clone)]
pub(crate) struct ClientSettings {
    pub(crate) options: Options,
    pub(crate) clock: Arc<dyn Clock>,
}

impl ClientSettings {
    pub(crate) fn new() -> Self {
        ClientSettings {
            options: Options::new(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The client options with the user-agent variable read once, at build time.
    pub(crate) fn resolved_options(&self) -> Options {
        let mut opts = self.options.clone();
        if opts.user_agent_suffix().is_none() {
            if let Some(value) = opts
                .user_agent_env()
                .and_then(|var| std::env::var(var).ok())
                .filter(|v| !v.is_empty())
            {
                opts = opts.with_user_agent_suffix(value);
            }
        }
        // As the reference: any value but the empty string turns it on.
        if opts.logging_multirecord().is_none()
            && std::env::var_os("AZURE_SDK_LOGGING_MULTIRECORD").is_some_and(|v| !v.is_empty())
        {
            opts = opts.with_logging_multirecord(true);
        }
        // One retry budget per client, shared by its clones and both of its calls' drivers.
        if opts.retry().budget().is_none() {
            let budget = clientcore_proto::pipeline::retry::RetryBudget::new();
            opts = opts.with_retry(
                clientcore_proto::pipeline::retry::RetryOptions::new().with_budget(budget),
            );
        }
        // One cookie jar per client, shared by its clones, unless the options bring one.
        if opts.cookie_jar().is_none() {
            opts = opts.with_cookie_jar(clientcore_proto::pipeline::CookieJar::new());
        }
        // One throttle gate per client, shared by its clones, unless the options bring one.
        if opts.throttle_gate_state().is_none() {
            let gate = clientcore_proto::pipeline::throttle::ThrottleGate::new();
            opts = opts.with_throttle_gate_state(gate);
        }
        opts
    }
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What a client is made of, for either driver: `T` is its transport, `S` how it waits and `C`
/// its token credential, each a trait object of the driver's flavour.
pub(crate) struct ClientParts<T: ?Sized, S: ?Sized, C: ?Sized> {
    pub(crate) shared: ClientSettings,
    pub(crate) options: Arc<Options>,
    pub(crate) prepared: Arc<Prepared>,
    pub(crate) transport: Option<Arc<T>>,
    pub(crate) sleep: Arc<S>,
    pub(crate) credential: Option<Arc<C>>,
    /// The caller's rustls configuration for the default transport.
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

impl<T: ?Sized, S: ?Sized, C: ?Sized> ClientParts<T, S, C> {
    pub(crate) fn new(sleep: Arc<S>) -> Self {
        ClientParts {
            shared: ClientSettings::new(),
            options: Arc::new(Options::new()),
            prepared: Arc::new(Prepared::new(&Options::new())),
            transport: None,
            sleep,
            credential: None,
            tls: None,
        }
    }

    /// The parts of a built client: options resolved once, the transport chosen.
    pub(crate) fn build(
        mut self,
        default_transport: impl FnOnce() -> Result<Arc<T>, Error>,
    ) -> Result<Self, Error> {
        // A bearer credential needs somewhere to get tokens from: say so now, not at the
        // first call. (A call may still bring bearer scopes of its own; that it cannot be
        // checked before it is made.)
        let bearer = matches!(
            self.shared.options.credential(),
            Some(clientcore_proto::policies::auth::Credential::Bearer { .. })
        );
        if bearer && self.credential.is_none() {
            return Err(no_token_credential());
        }
        // A transport of the caller's makes its own connections: the configuration would be
        // silently unused.
        if self.tls.is_some() && self.transport.is_some() {
            return Err(Error::new(
                clientcore_proto::ErrorKind::ServiceRequest,
                "`tls_config` sets up the default transport, but the client was given a \
                 transport of its own: give the configuration to that transport instead \
                 (`HyperTransport::with_tls_config`)",
            ));
        }
        self.options = Arc::new(self.shared.resolved_options());
        self.prepared = Arc::new(Prepared::new(&self.options));
        if self.transport.is_none() {
            self.transport = Some(default_transport()?);
        }
        Ok(self)
    }

    /// The options and derived values of a call: the client's own, shared, when the call
    /// sets nothing; else the call's merged over them.
    pub(crate) fn call_options(&self, call: &Options) -> (Arc<Options>, Arc<Prepared>) {
        if call.is_empty() {
            (self.options.clone(), self.prepared.clone())
        } else {
            let merged = Arc::new(self.options.overwrite(call));
            let prepared = Arc::new(Prepared::new(&merged));
            (merged, prepared)
        }
    }

    /// The transport of a built client.
    pub(crate) fn transport(&self) -> &T {
        self.transport
            .as_deref()
            .expect("a built client always has a transport")
    }
}

/// A bearer credential with no token credential to get its tokens from: at build time for
/// the client's options, at run time for a call's.
pub(crate) fn no_token_credential() -> Error {
    Error::new(
        clientcore_proto::ErrorKind::ClientAuthentication,
        "a bearer credential is configured but the client has no token credential: \
         build the client with `bearer(scopes, credential)`, or add \
         `token_credential(credential)`",
    )
}

impl<T: ?Sized, S: ?Sized, C: ?Sized> fmt::Debug for ClientParts<T, S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

/// The builder methods both drivers share, over their `parts`.
macro_rules! builder_methods {
    ($transport:ty, $sleep:ty, $credential:ty, $sleep_default:literal) => {
        /// Client-wide options; calls override them. Default is [`Options::new`].
        ///
        /// [`Options::new`]: clientcore_proto::options::Options::new
        pub fn options(mut self, options: clientcore_proto::options::Options) -> Self {
            self.parts.shared.options = self.parts.shared.options.overwrite(&options);
            self
        }

        /// The clock deadlines are measured with. Default is the system clock; tests pass a
        /// fake one.
        pub fn clock(mut self, clock: std::sync::Arc<dyn clientcore_proto::time::Clock>) -> Self {
            self.parts.shared.clock = clock;
            self
        }

        /// The transport. Default is [`HyperTransport`](crate::transport::HyperTransport).
        pub fn transport(mut self, transport: std::sync::Arc<$transport>) -> Self {
            self.parts.transport = Some(transport);
            self
        }

        /// TLS with the caller's own rustls configuration (a pinning or otherwise custom
        /// certificate verifier, its own roots, client certificate or crypto provider) for
        /// every connection of the default transport; see
        /// [`HyperTransport::with_tls_config`](crate::transport::HyperTransport::with_tls_config).
        /// The options' `connection_verify` and `connection_cert` are then not used; the
        /// HTTP versions offered in the handshake (ALPN) still follow the options'
        /// [`HttpVersion`](clientcore_proto::options::HttpVersion). `rustls` is re-exported as
        /// [`clientcore::rustls`](crate::rustls), so the versions match.
        ///
        /// `build` fails with `ServiceRequest` if the client is also given a
        /// [`transport`](Self::transport) of its own, which would not use it.
        pub fn tls_config(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
            self.parts.tls = Some(config);
            self
        }

        #[doc = concat!("How the client waits between attempts. Default is ", $sleep_default, ".")]
        pub fn sleep(mut self, sleep: std::sync::Arc<$sleep>) -> Self {
            self.parts.sleep = sleep;
            self
        }

        /// Where bearer tokens come from, for the scopes that
        /// `Options::with_credential(Credential::bearer(scopes))` names in the client's
        /// options or a call's. [`bearer`](Self::bearer) sets both at once. Default is none;
        /// then `build` fails if the client's options name bearer scopes, and a call that
        /// names them fails before anything is sent, both with
        /// [`ClientAuthentication`](clientcore_proto::ErrorKind::ClientAuthentication).
        pub fn token_credential(mut self, credential: std::sync::Arc<$credential>) -> Self {
            self.parts.credential = Some(credential);
            self
        }

        /// Authenticates every call with bearer tokens for `scopes` from `credential`, in one
        /// place: the same as `token_credential(credential)` plus client options
        /// `with_credential(Credential::bearer(scopes))`, replacing any credential the
        /// options set before (options set after replace it in turn). Tokens are cached and
        /// shared by the client's clones. Default is none.
        pub fn bearer<I, S>(mut self, scopes: I, credential: std::sync::Arc<$credential>) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            let bearer = clientcore_proto::policies::auth::Credential::bearer(scopes);
            self.parts.shared.options = self.parts.shared.options.clone().with_credential(bearer);
            self.parts.credential = Some(credential);
            self
        }
    };
}
