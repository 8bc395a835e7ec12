//! The clients: build once, send many calls, from async or blocking code.

use std::fmt;
use std::sync::Arc;

use clientcore_proto::options::Options;
use clientcore_proto::time::{Clock, SystemClock};
use clientcore_proto::Error;

#[cfg(feature = "blocking")]
use crate::credential::BlockingTokenCredential;
#[cfg(feature = "async")]
use crate::credential::TokenCredential;
use crate::sleep::RealSleep;

/// Client-wide settings, shared by the async and the blocking builder.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) options: Options,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Shared {
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
        // One retry budget per client, shared by its clones and both of its calls' drivers.
        if opts.retry().budget().is_none() {
            let budget = clientcore_proto::pipeline::retry::RetryBudget::new();
            opts = opts.with_retry(
                clientcore_proto::pipeline::retry::RetryOptions::new().with_budget(budget),
            );
        }
        opts
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

macro_rules! builder_common {
    () => {
        /// Client-wide options; calls override them. Default is [`Options::new`].
        ///
        /// [`Options::new`]: clientcore_proto::options::Options::new
        pub fn options(mut self, options: clientcore_proto::options::Options) -> Self {
            self.shared.options = self.shared.options.overwrite(&options);
            self
        }

        /// The clock deadlines are measured with. Default is the system clock; tests pass a
        /// fake one.
        pub fn clock(mut self, clock: std::sync::Arc<dyn clientcore_proto::time::Clock>) -> Self {
            self.shared.clock = clock;
            self
        }
    };
}

#[cfg(feature = "async")]
pub use async_client::{Client, ClientBuilder};

#[cfg(feature = "async")]
mod async_client {
    use super::{Arc, Error, Options, RealSleep, Shared, TokenCredential};
    use crate::response::{Core, Response};
    use crate::sleep::AsyncSleep;
    use crate::transport::{ReqwestTransport, Transport};
    use crate::Body;
    use clientcore_proto::pipeline::{Exchange, Request, Step};
    use clientcore_proto::ErrorKind;
    use std::fmt;
    use std::time::Duration;
    use tracing::Instrument as _;

    /// The async client. `Clone` is cheap: clones share the connection pools, the token
    /// cache and the cookie jar.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), clientcore::Error> {
    /// use clientcore::{Client, Request, RequestOptions};
    ///
    /// let client = Client::builder().build()?;
    /// let request = Request::new(http::Method::GET, "https://example.com/".parse().unwrap());
    /// let mut response = client.send(request, &RequestOptions::new()).await?;
    /// let text = response.text().await?;
    /// # let _ = text; Ok(()) }
    /// ```
    #[derive(Clone)]
    pub struct Client {
        inner: Arc<Inner>,
    }

    struct Inner {
        shared: Shared,
        options: Options,
        transport: Arc<dyn Transport>,
        sleep: Arc<dyn AsyncSleep>,
        credential: Option<Arc<dyn TokenCredential>>,
    }

    /// Builds a [`Client`].
    #[must_use]
    pub struct ClientBuilder {
        shared: Shared,
        transport: Option<Arc<dyn Transport>>,
        sleep: Arc<dyn AsyncSleep>,
        credential: Option<Arc<dyn TokenCredential>>,
    }

    impl Default for ClientBuilder {
        fn default() -> Self {
            ClientBuilder::new()
        }
    }

    impl ClientBuilder {
        /// A builder with every default.
        pub fn new() -> Self {
            ClientBuilder {
                shared: Shared::new(),
                transport: None,
                sleep: Arc::new(RealSleep),
                credential: None,
            }
        }

        builder_common!();

        /// The transport. Default is a new [`ReqwestTransport`].
        pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
            self.transport = Some(transport);
            self
        }

        /// How the client waits between attempts. Default is `tokio::time::sleep`.
        pub fn sleep(mut self, sleep: Arc<dyn AsyncSleep>) -> Self {
            self.sleep = sleep;
            self
        }

        /// Where bearer tokens come from; pair it with
        /// `Options::with_credential(Credential::bearer(scopes))`. Default is none.
        pub fn token_credential(mut self, credential: Arc<dyn TokenCredential>) -> Self {
            self.credential = Some(credential);
            self
        }

        /// Builds the client.
        ///
        /// # Errors
        ///
        /// None today; the signature leaves room to report invalid settings.
        pub fn build(self) -> Result<Client, Error> {
            let options = self.shared.resolved_options();
            Ok(Client {
                inner: Arc::new(Inner {
                    shared: self.shared,
                    options,
                    transport: self
                        .transport
                        .unwrap_or_else(|| Arc::new(ReqwestTransport::new())),
                    sleep: self.sleep,
                    credential: self.credential,
                }),
            })
        }
    }

    impl Client {
        /// A [`ClientBuilder`].
        pub fn builder() -> ClientBuilder {
            ClientBuilder::new()
        }

        /// The clock and the sleep of this client, for pollers (`crate::lro`) that wait
        /// between calls the way the client waits between attempts.
        pub(crate) fn timing(
            &self,
        ) -> (Arc<dyn clientcore_proto::time::Clock>, Arc<dyn AsyncSleep>) {
            (self.inner.shared.clock.clone(), self.inner.sleep.clone())
        }

        /// Sends `request` through the pipeline with `options` over the client's.
        ///
        /// # Errors
        ///
        /// Every [`ErrorKind`]: a status the operation does not accept becomes an HTTP error
        /// with the parsed service error; transport failures are classified as sent or not.
        pub async fn send(
            &self,
            request: Request<Body>,
            options: &Options,
        ) -> Result<Response, Error> {
            let opts = self.inner.options.overwrite(options);
            let call = crate::trace::CallTrace::start(&request.parts, &opts);
            let span = call.span().clone();
            self.run(request, opts, &call).instrument(span).await
        }

        async fn run(
            &self,
            request: Request<Body>,
            opts: Options,
            call: &crate::trace::CallTrace,
        ) -> Result<Response, Error> {
            let block_size = opts.block_size();
            let encoding = opts.response_encoding().map(str::to_owned);
            let mut ex = Exchange::new(request, opts);
            let mut body = None;
            let clock = &*self.inner.shared.clock;
            loop {
                match ex.step(clock) {
                    Step::GetToken(scopes) => {
                        let token = match &self.inner.credential {
                            Some(c) => c.get_token(&scopes).await,
                            None => Err(no_credential()),
                        };
                        ex.on_token(token);
                    }
                    Step::Send(mut attempt) => {
                        body = None;
                        let span = call.attempt(&attempt, ex.options());
                        crate::trace::inject_traceparent(&span, &mut attempt.request.parts.headers);
                        let send = self.inner.transport.send(attempt.request, &attempt.config);
                        let limit = attempt
                            .timeout
                            .min(Duration::from_secs(u64::from(u32::MAX)));
                        match tokio::time::timeout(limit, send)
                            .instrument(span.span().clone())
                            .await
                        {
                            Ok(Ok(r)) => {
                                span.record_response(&r.head);
                                body = Some(r.body);
                                ex.on_response(r.head);
                            }
                            Ok(Err(e)) => {
                                span.record_error(&e);
                                ex.on_transport_error(e);
                            }
                            Err(_) => {
                                let e = Error::new(
                                    ErrorKind::ServiceResponseTimeout,
                                    "Response timeout",
                                );
                                span.record_error(&e);
                                ex.on_transport_error(e);
                            }
                        }
                    }
                    Step::ReadBody { limit } => {
                        let read = match body.take() {
                            Some(mut b) => read_limited(&mut *b, limit).await,
                            None => Ok(bytes::Bytes::new()),
                        };
                        ex.on_body(read);
                    }
                    Step::Sleep(d) => {
                        body = None;
                        self.inner.sleep.sleep(d).await;
                    }
                    Step::Done(Ok(done)) => {
                        let method = ex.request().method.clone();
                        call.record_done(&done.head);
                        return Ok(Response {
                            core: Core::new(done, method, block_size, encoding),
                            body,
                        });
                    }
                    Step::Done(Err(e)) => {
                        call.record_error(&e);
                        return Err(e);
                    }
                }
            }
        }
    }

    async fn read_limited(
        body: &mut dyn crate::transport::AsyncBodyRead,
        limit: usize,
    ) -> Result<bytes::Bytes, Error> {
        let mut out = bytes::BytesMut::new();
        while out.len() < limit {
            match body.chunk().await? {
                Some(c) => out.extend_from_slice(&c[..c.len().min(limit - out.len())]),
                None => break,
            }
        }
        Ok(out.freeze())
    }

    fn no_credential() -> Error {
        Error::new(
            ErrorKind::ClientAuthentication,
            "a bearer credential is configured but the client has no token credential",
        )
    }

    impl fmt::Debug for Client {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.shared.fmt(f)
        }
    }

    impl fmt::Debug for ClientBuilder {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.shared.fmt(f)
        }
    }
}

#[cfg(feature = "blocking")]
pub use blocking_client::{BlockingClient, BlockingClientBuilder};

#[cfg(feature = "blocking")]
mod blocking_client {
    use super::{Arc, BlockingTokenCredential, Error, Options, RealSleep, Shared};
    use crate::response::{BlockingResponse, Core};
    use crate::sleep::BlockingSleep;
    use crate::transport::{BlockingTransport, ReqwestTransport};
    use crate::Body;
    use clientcore_proto::pipeline::{Exchange, Request, Step};
    use clientcore_proto::ErrorKind;
    use std::fmt;

    /// The blocking client: the same pipeline as [`Client`](crate::Client), for code without
    /// an async runtime. Do not call it from inside an async runtime's worker thread.
    /// `Clone` is cheap.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientcore::{BlockingClient, Request, RequestOptions};
    ///
    /// let client = BlockingClient::builder().build()?;
    /// let request = Request::new(http::Method::GET, "https://example.com/".parse().unwrap());
    /// let mut response = client.send(request, &RequestOptions::new())?;
    /// println!("{}", response.text()?);
    /// # Ok::<(), clientcore::Error>(())
    /// ```
    #[derive(Clone)]
    pub struct BlockingClient {
        inner: Arc<Inner>,
    }

    struct Inner {
        shared: Shared,
        options: Options,
        transport: Arc<dyn BlockingTransport>,
        sleep: Arc<dyn BlockingSleep>,
        credential: Option<Arc<dyn BlockingTokenCredential>>,
    }

    /// Builds a [`BlockingClient`].
    #[must_use]
    pub struct BlockingClientBuilder {
        shared: Shared,
        transport: Option<Arc<dyn BlockingTransport>>,
        sleep: Arc<dyn BlockingSleep>,
        credential: Option<Arc<dyn BlockingTokenCredential>>,
    }

    impl Default for BlockingClientBuilder {
        fn default() -> Self {
            BlockingClientBuilder::new()
        }
    }

    impl BlockingClientBuilder {
        /// A builder with every default.
        pub fn new() -> Self {
            BlockingClientBuilder {
                shared: Shared::new(),
                transport: None,
                sleep: Arc::new(RealSleep),
                credential: None,
            }
        }

        builder_common!();

        /// The transport. Default is the reqwest transport on a runtime of its own.
        pub fn transport(mut self, transport: Arc<dyn BlockingTransport>) -> Self {
            self.transport = Some(transport);
            self
        }

        /// How the client waits between attempts. Default is `std::thread::sleep`.
        pub fn sleep(mut self, sleep: Arc<dyn BlockingSleep>) -> Self {
            self.sleep = sleep;
            self
        }

        /// Where bearer tokens come from. Default is none.
        pub fn token_credential(mut self, credential: Arc<dyn BlockingTokenCredential>) -> Self {
            self.credential = Some(credential);
            self
        }

        /// Builds the client.
        ///
        /// # Errors
        ///
        /// When the default transport's runtime cannot start.
        pub fn build(self) -> Result<BlockingClient, Error> {
            let options = self.shared.resolved_options();
            let transport: Arc<dyn BlockingTransport> = match self.transport {
                Some(t) => t,
                None => Arc::new(crate::transport::reqwest_block_on(ReqwestTransport::new())?),
            };
            Ok(BlockingClient {
                inner: Arc::new(Inner {
                    shared: self.shared,
                    options,
                    transport,
                    sleep: self.sleep,
                    credential: self.credential,
                }),
            })
        }
    }

    impl BlockingClient {
        /// A [`BlockingClientBuilder`].
        pub fn builder() -> BlockingClientBuilder {
            BlockingClientBuilder::new()
        }

        /// The clock and the sleep of this client, for pollers (`crate::lro`) that wait
        /// between calls the way the client waits between attempts.
        pub(crate) fn timing(
            &self,
        ) -> (
            Arc<dyn clientcore_proto::time::Clock>,
            Arc<dyn BlockingSleep>,
        ) {
            (self.inner.shared.clock.clone(), self.inner.sleep.clone())
        }

        /// Sends `request` through the pipeline with `options` over the client's.
        ///
        /// # Errors
        ///
        /// As [`Client::send`](crate::Client::send).
        pub fn send(
            &self,
            request: Request<Body>,
            options: &Options,
        ) -> Result<BlockingResponse, Error> {
            let opts = self.inner.options.overwrite(options);
            let call = crate::trace::CallTrace::start(&request.parts, &opts);
            let _entered = call.span().enter();
            let block_size = opts.block_size();
            let encoding = opts.response_encoding().map(str::to_owned);
            let mut ex = Exchange::new(request, opts);
            let mut body = None;
            let clock = &*self.inner.shared.clock;
            loop {
                match ex.step(clock) {
                    Step::GetToken(scopes) => {
                        let token = match &self.inner.credential {
                            Some(c) => c.get_token(&scopes),
                            None => Err(Error::new(
                                ErrorKind::ClientAuthentication,
                                "a bearer credential is configured but the client has no token credential",
                            )),
                        };
                        ex.on_token(token);
                    }
                    Step::Send(mut attempt) => {
                        body = None;
                        let span = call.attempt(&attempt, ex.options());
                        crate::trace::inject_traceparent(&span, &mut attempt.request.parts.headers);
                        let _attempt = span.span().enter();
                        let sent = self.inner.transport.send(
                            attempt.request,
                            &attempt.config,
                            attempt.timeout,
                        );
                        match sent {
                            Ok(r) => {
                                span.record_response(&r.head);
                                body = Some(r.body);
                                ex.on_response(r.head);
                            }
                            Err(e) => {
                                span.record_error(&e);
                                ex.on_transport_error(e);
                            }
                        }
                    }
                    Step::ReadBody { limit } => {
                        let read = match body.take() {
                            Some(mut b) => read_limited(&mut *b, limit),
                            None => Ok(bytes::Bytes::new()),
                        };
                        ex.on_body(read);
                    }
                    Step::Sleep(d) => {
                        body = None;
                        self.inner.sleep.sleep(d);
                    }
                    Step::Done(Ok(done)) => {
                        let method = ex.request().method.clone();
                        call.record_done(&done.head);
                        return Ok(BlockingResponse {
                            core: Core::new(done, method, block_size, encoding),
                            body,
                            leftover: bytes::Bytes::new(),
                        });
                    }
                    Step::Done(Err(e)) => {
                        call.record_error(&e);
                        return Err(e);
                    }
                }
            }
        }
    }

    fn read_limited(
        body: &mut dyn crate::transport::BlockingBodyRead,
        limit: usize,
    ) -> Result<bytes::Bytes, Error> {
        let mut out = bytes::BytesMut::new();
        while out.len() < limit {
            match body.chunk()? {
                Some(c) => out.extend_from_slice(&c[..c.len().min(limit - out.len())]),
                None => break,
            }
        }
        Ok(out.freeze())
    }

    impl fmt::Debug for BlockingClient {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.shared.fmt(f)
        }
    }

    impl fmt::Debug for BlockingClientBuilder {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.shared.fmt(f)
        }
    }
}
