//! The clients: build once, send many calls, from async or blocking code.

use std::sync::Arc;

use clientcore_proto::options::Options;
use clientcore_proto::Error;

#[cfg(feature = "blocking")]
use crate::credential::BlockingTokenCredential;
#[cfg(feature = "async")]
use crate::credential::TokenCredential;
use crate::time::RealSleep;

use crate::builder::{no_token_credential, ClientParts};

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_client::{Client, ClientBuilder};

#[cfg(feature = "async")]
mod async_client {
    use super::{Arc, ClientParts, Error, Options, RealSleep, TokenCredential};
    use crate::call::{bearer_cache, report_sent, Call};
    use crate::response::Response;
    use crate::time::AsyncSleep;
    use crate::transport::{response_timeout, AsyncBody, HyperTransport, Transport};
    use crate::Body;
    use clientcore_proto::pipeline::{
        Attempt, Exchange, Request, ResponseHead, Step, TokenRequest,
    };
    use clientcore_proto::policies::auth::{Refresh, TokenCache};
    use futures_util::future::{Either, FutureExt as _};
    use std::fmt;
    use std::future::Future;
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
        inner: Arc<ClientParts<dyn Transport, dyn AsyncSleep, dyn TokenCredential>>,
        /// The default transport, called directly rather than through `dyn Transport`: its
        /// future then needs no box of its own.
        default_transport: Option<HyperTransport>,
    }

    /// Builds a [`Client`].
    #[must_use]
    pub struct ClientBuilder {
        parts: ClientParts<dyn Transport, dyn AsyncSleep, dyn TokenCredential>,
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
                parts: ClientParts::new(Arc::new(RealSleep)),
            }
        }

        builder_methods!(
            dyn Transport,
            dyn AsyncSleep,
            dyn TokenCredential,
            "`tokio::time::sleep`"
        );

        /// Builds the client.
        ///
        /// # Errors
        ///
        /// `ServiceRequest` when the default transport cannot be set up with the client's
        /// settings: a CA bundle or client certificate that cannot be read, a proxy (or a
        /// proxy variable) that is not a URL. Found here rather than at the first call, which
        /// would report it only after waiting out the retries of a connection error.
        pub fn build(self) -> Result<Client, Error> {
            let tls = self.parts.tls.clone();
            let default_transport = self
                .parts
                .transport
                .is_none()
                .then(|| HyperTransport::with_tls(tls));
            let default = default_transport.clone();
            let parts = self.parts.build(|| {
                let t = default.unwrap_or_default();
                Ok(Arc::new(t) as Arc<dyn Transport>)
            })?;
            if let Some(t) = &default_transport {
                t.prepare(parts.prepared.transport())?;
            }
            Ok(Client {
                inner: Arc::new(parts),
                default_transport,
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

        /// The options a call with `options` runs with (the client's with the call's over
        /// them), for an [`Operation`](crate::operation::Operation) that types an accepted
        /// answer as the pipeline types a failed one.
        pub(crate) fn call_options(&self, options: &Options) -> Arc<Options> {
            self.inner.call_options(options).0
        }

        /// Sends `request` through the pipeline with `options` over the client's.
        ///
        /// # Time
        ///
        /// The call's [`timeout`](Options::with_timeout) and the per-attempt timeout bound
        /// all that `send` does: connecting, sending, waiting for the head, the waits between
        /// attempts, and the bodies the pipeline reads itself (an error body it parses, a body
        /// it buffers with [`with_buffered_body`](Options::with_buffered_body), and so every
        /// page of a pager and every poll of a poller). Once `send` has returned, the
        /// caller's reads of the response body are bounded by the
        /// [`read_timeout`](Options::with_read_timeout) per read and by the
        /// [stalled-stream protection](Options::with_stall_protection) (default: at least
        /// 20 bytes per 20 s of waiting), not by the call's deadline: the call is over.
        ///
        /// # Errors
        ///
        /// Every [`ErrorKind`](clientcore_proto::ErrorKind): a status the operation does not accept becomes an HTTP error
        /// with the parsed service error; transport failures are classified as sent or not.
        pub async fn send(
            &self,
            request: Request<Body>,
            options: &Options,
        ) -> Result<Response, Error> {
            // In a block: what it builds is moved into the call's future, and nothing of it
            // is kept beside that future while it runs.
            let call = {
                let (ex, call) = Call::begin(
                    request,
                    self.inner.call_options(options),
                    &self.inner.shared.clock,
                );
                let span = call.trace.span().clone();
                self.run(ex, call).instrument(span)
            };
            call.await
        }

        /// Sends `request` with options already merged over the client's: a resume request
        /// ([`crate::resume`]), made with its call's options.
        pub(crate) async fn send_merged(
            &self,
            request: Request<Body>,
            opts: Arc<Options>,
        ) -> Result<Response, Error> {
            let prepared = Arc::new(clientcore_proto::pipeline::Prepared::new(&opts));
            let call = {
                let (ex, call) = Call::begin(request, (opts, prepared), &self.inner.shared.clock);
                let span = call.trace.span().clone();
                self.run(ex, call).instrument(span)
            };
            call.await
        }

        /// The call's future. An `async` block rather than an `async fn`: the arguments of
        /// an `async fn` are moved into locals of the future when it starts, so the future
        /// keeps room for each twice (the exchange alone is about 700 bytes).
        #[allow(
            clippy::manual_async_fn,
            reason = "an async fn would keep its arguments twice"
        )]
        fn run(
            &self,
            mut ex: Exchange<Body>,
            mut call: Call,
        ) -> impl std::future::Future<Output = Result<Response, Error>> + Send + '_ {
            async move {
                let mut body = None;
                // When the current attempt's time is up (its share of the call's deadline):
                // the pipeline's own reads of its body end there too ([`read_body`]).
                let mut attempt_due = None;
                let clock = &*self.inner.shared.clock;
                loop {
                    // What the step asks for becomes one future, awaited whole: the step is a
                    // temporary gone before the await, so the call's future keeps room for
                    // nothing twice. The attempt's future is inline; the rare waits (a token,
                    // an error body, the pause before a retry) are boxed.
                    let wait = match call.step(&mut ex, clock) {
                        Step::Send(attempt) => {
                            body = None;
                            attempt_due = tokio::time::Instant::now().checked_add(attempt.timeout);
                            Either::Left(self.start(attempt, &call, ex.options()))
                        }
                        Step::GetToken(request) => {
                            let cache = bearer_cache(ex.options());
                            Either::Right(self.token(request, cache, clock.wall()))
                        }
                        Step::ReadBody { limit } => {
                            Either::Right(read_body(body.take(), limit, attempt_due))
                        }
                        Step::Sleep(d) => {
                            body = None;
                            Either::Right(self.slept(d))
                        }
                        Step::Done(Ok(done)) => {
                            let core = call.done(&ex, done);
                            let resume = call.resumer(&ex, &core).map(|resumer| {
                                Box::new(crate::resume::AsyncResume {
                                    client: self.clone(),
                                    resumer,
                                })
                            });
                            return Ok(Response { core, body, resume });
                        }
                        Step::Done(Err(e)) => return Err(call.failed(e)),
                    };
                    match wait.await {
                        IoOutcome::Sent(span, sent) => {
                            body = report_sent(&mut ex, &span, sent, clock);
                        }
                        IoOutcome::Token(token) => ex.on_token(token),
                        IoOutcome::Read(read) => ex.on_body(read),
                        IoOutcome::Slept => {}
                    }
                }
            }
        }

        /// The pause before a retry, boxed: most calls never take it, and the call's future
        /// keeps no room for it.
        fn slept(&self, d: std::time::Duration) -> crate::transport::BoxFuture<'_, IoOutcome> {
            let sleep = self.inner.sleep.sleep(d);
            Box::pin(async move {
                sleep.await;
                IoOutcome::Slept
            })
        }

        /// The wait for a bearer token: single flight over the call's cache (one call of
        /// all those that find it stale asks the credential, the others wait for its answer),
        /// except for a challenge (claims, or a scope and tenant), whose token is this call's
        /// own.
        fn token(
            &self,
            request: TokenRequest,
            cache: Option<TokenCache>,
            now: std::time::SystemTime,
        ) -> crate::transport::BoxFuture<'_, IoOutcome> {
            Box::pin(async move {
                let Some(c) = &self.inner.credential else {
                    return IoOutcome::Token(Err(super::no_token_credential()));
                };
                let got = match (cache, request.challenged) {
                    (Some(cache), false) => loop {
                        match cache.refresh(now) {
                            Refresh::Fresh(t) => break Ok(t),
                            Refresh::Lead(lead) => {
                                let got = c.get_token_for(&request).await;
                                lead.finish(&got);
                                break got.map(|i| i.token);
                            }
                            // `None`: the leader's call was dropped; lead or wait again.
                            Refresh::Wait(wait) => {
                                if let Some(outcome) = wait.await {
                                    break outcome;
                                }
                            }
                        }
                    },
                    (cache, _) => {
                        let got = c.get_token_for(&request).await;
                        if let (Some(cache), Ok(info)) = (cache, &got) {
                            cache.store_info(info.clone());
                        }
                        got.map(|i| i.token)
                    }
                };
                IoOutcome::Token(got)
            })
        }

        /// Opens the attempt's span and hands its request to the transport: the attempt is
        /// consumed here, and the future returned owns what it needs. One future for either
        /// transport, so that the driver awaits it whole.
        fn start<'a>(
            &'a self,
            mut attempt: Attempt<Body>,
            call: &Call,
            opts: &Options,
        ) -> impl Future<Output = IoOutcome> + Send + 'a {
            let span = call.attempt(&mut attempt, opts);
            let Attempt {
                request,
                timeout,
                config,
                ..
            } = attempt;
            // Either transport keeps the attempt's time itself, as a blocking transport does:
            // one timer per attempt, the transport's, and no second one around it here. The
            // default transport is called directly (its future is inline in the call's and
            // its body needs no box per read); any other through the trait.
            let sending = if let Some(t) = &self.default_transport {
                // Creating its future hands the request to hyper, so that happens in the span
                // too.
                let _entered = span.span().enter();
                Either::Left(
                    t.exchange_raw(request, &config, timeout)
                        .map(|sent| sent.map(|(head, r)| (head, AsyncBody::Default(r)))),
                )
            } else {
                // In the future: a transport may do work (and log) in `send` itself, which
                // belongs in the attempt's span too. Boxed (any transport's `send` allocates
                // its future anyway), so that the call's future does not keep room for it.
                let dyn_exchange: crate::transport::BoxFuture<'a, _> = Box::pin(async move {
                    let sent = self.inner.transport().send(request, &config, timeout).await;
                    sent.map(|r| (r.head, AsyncBody::Dyn(r.body)))
                });
                Either::Right(dyn_exchange)
            };
            let sending = sending.instrument(span.span().clone());
            sending.map(|sent| IoOutcome::Sent(span, sent))
        }
    }

    /// What the driver waited for.
    #[allow(
        clippy::large_enum_variant,
        reason = "the attempt's outcome is the common case; boxing it would allocate per attempt"
    )]
    enum IoOutcome {
        Sent(
            crate::trace::AttemptTrace,
            Result<(ResponseHead, AsyncBody), Error>,
        ),
        Token(Result<clientcore_proto::policies::auth::AccessToken, Error>),
        Read(Result<bytes::Bytes, Error>),
        Slept,
    }

    /// The pipeline's read of a body (an error body, a buffered body), boxed, ended when
    /// the attempt's time is up: a body that trickles cannot hold the call past its deadline.
    fn read_body(
        body: Option<AsyncBody>,
        limit: usize,
        due: Option<tokio::time::Instant>,
    ) -> crate::transport::BoxFuture<'static, IoOutcome> {
        let read = read_limited(body, limit);
        match due {
            Some(due) => Box::pin(async move {
                tokio::time::timeout_at(due, read)
                    .await
                    .unwrap_or_else(|_| IoOutcome::Read(Err(response_timeout())))
            }),
            None => Box::pin(read),
        }
    }

    async fn read_limited(body: Option<AsyncBody>, limit: usize) -> IoOutcome {
        let Some(mut body) = body else {
            return IoOutcome::Read(Ok(bytes::Bytes::new()));
        };
        IoOutcome::Read(read_up_to(&mut body, limit).await)
    }

    async fn read_up_to(body: &mut AsyncBody, limit: usize) -> Result<bytes::Bytes, Error> {
        let mut out = bytes::BytesMut::new();
        while out.len() < limit {
            match body.chunk().await? {
                Some(c) => out.extend_from_slice(&c[..c.len().min(limit - out.len())]),
                None => break,
            }
        }
        Ok(out.freeze())
    }

    impl fmt::Debug for Client {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.fmt(f)
        }
    }

    impl fmt::Debug for ClientBuilder {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.parts.fmt(f)
        }
    }
}

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub use blocking_client::{BlockingClient, BlockingClientBuilder};

#[cfg(feature = "blocking")]
mod blocking_client {
    use super::{Arc, BlockingTokenCredential, ClientParts, Error, Options, RealSleep};
    use crate::call::{report_sent, Call};
    use crate::response::BlockingResponse;
    use crate::time::BlockingSleep;
    use crate::transport::{BlockingTransport, HyperTransport};
    use crate::Body;
    use clientcore_proto::pipeline::{Attempt, Exchange, Request, Step, TokenRequest};
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
        inner:
            Arc<ClientParts<dyn BlockingTransport, dyn BlockingSleep, dyn BlockingTokenCredential>>,
    }

    /// Builds a [`BlockingClient`].
    #[must_use]
    pub struct BlockingClientBuilder {
        parts: ClientParts<dyn BlockingTransport, dyn BlockingSleep, dyn BlockingTokenCredential>,
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
                parts: ClientParts::new(Arc::new(RealSleep)),
            }
        }

        builder_methods!(
            dyn BlockingTransport,
            dyn BlockingSleep,
            dyn BlockingTokenCredential,
            "`std::thread::sleep`"
        );

        /// Builds the client.
        ///
        /// # Errors
        ///
        /// When the default transport's runtime cannot start; `ServiceRequest` when the
        /// default transport cannot be set up with the client's settings, as
        /// [`ClientBuilder::build`](crate::ClientBuilder::build).
        pub fn build(self) -> Result<BlockingClient, Error> {
            let tls = self.parts.tls.clone();
            let default_transport = self
                .parts
                .transport
                .is_none()
                .then(|| HyperTransport::with_tls(tls));
            let default = default_transport.clone();
            let parts = self.parts.build(|| {
                let t = crate::transport::transport_block_on(default.unwrap_or_default())?;
                Ok(Arc::new(t) as Arc<dyn BlockingTransport>)
            })?;
            // As the async builder: the default transport's settings are checked now.
            if let Some(t) = &default_transport {
                t.prepare(parts.prepared.transport())?;
            }
            Ok(BlockingClient {
                inner: Arc::new(parts),
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

        /// The options a call with `options` runs with (the client's with the call's over
        /// them), for an [`Operation`](crate::operation::Operation) that types an accepted
        /// answer as the pipeline types a failed one.
        pub(crate) fn call_options(&self, options: &Options) -> Arc<Options> {
            self.inner.call_options(options).0
        }

        /// Sends `request` through the pipeline with `options` over the client's.
        ///
        /// # Time
        ///
        /// As [`Client::send`](crate::Client::send): the call's deadline bounds everything
        /// up to the return, the bodies the pipeline reads included; the caller's reads of
        /// the body after it are bounded by the read timeout and the stalled-stream
        /// protection. A small body that has
        /// already arrived with the head is read with it; `send` never waits for more.
        ///
        /// # Errors
        ///
        /// As [`Client::send`](crate::Client::send).
        pub fn send(
            &self,
            request: Request<Body>,
            options: &Options,
        ) -> Result<BlockingResponse, Error> {
            self.send_with(request, self.inner.call_options(options))
        }

        /// Sends `request` with options already merged over the client's: a resume request
        /// ([`crate::resume`]), made with its call's options.
        pub(crate) fn send_merged(
            &self,
            request: Request<Body>,
            opts: Arc<Options>,
        ) -> Result<BlockingResponse, Error> {
            let prepared = Arc::new(clientcore_proto::pipeline::Prepared::new(&opts));
            self.send_with(request, (opts, prepared))
        }

        fn send_with(
            &self,
            request: Request<Body>,
            merged: (Arc<Options>, Arc<clientcore_proto::pipeline::Prepared>),
        ) -> Result<BlockingResponse, Error> {
            let (mut ex, mut call) = Call::begin(request, merged, &self.inner.shared.clock);
            let span = call.trace.span().clone();
            let _entered = span.enter();
            let mut body = None;
            // As in the async client: the pipeline's reads of a body end when the attempt's
            // time is up.
            let mut attempt_due = None;
            let clock = &*self.inner.shared.clock;
            loop {
                match call.step(&mut ex, clock) {
                    Step::GetToken(request) => {
                        let token = self.token(&request, ex.options(), clock.wall());
                        ex.on_token(token);
                    }
                    Step::Send(attempt) => {
                        // The last response goes before the next attempt: its connection
                        // is free again.
                        drop(body.take());
                        attempt_due = std::time::Instant::now().checked_add(attempt.timeout);
                        body = self.send_attempt(&mut ex, &call, attempt);
                    }
                    Step::ReadBody { limit } => {
                        ex.on_body(read_body(body.take(), limit, attempt_due));
                    }
                    Step::Sleep(d) => {
                        body = None;
                        self.inner.sleep.sleep(d);
                    }
                    Step::Done(Ok(done)) => {
                        let core = call.done(&ex, done);
                        let leftover = bytes::Bytes::new();
                        let resume = call.resumer(&ex, &core).map(|resumer| {
                            Box::new(crate::resume::BlockingResume {
                                client: self.clone(),
                                resumer,
                            })
                        });
                        return Ok(BlockingResponse {
                            core,
                            body,
                            leftover,
                            resume,
                        });
                    }
                    Step::Done(Err(e)) => return Err(call.failed(e)),
                }
            }
        }

        /// Sends one attempt in its span and reports the answer to the exchange; the body of a
        /// response is the driver's to keep.
        fn send_attempt(
            &self,
            ex: &mut Exchange<Body>,
            call: &Call,
            mut attempt: Attempt<Body>,
        ) -> Option<Box<dyn crate::transport::BlockingBodyRead>> {
            let span = call.attempt(&mut attempt, ex.options());
            let _attempt = span.span().enter();
            let Attempt {
                request,
                config,
                timeout,
                ..
            } = attempt;
            let sent = self.inner.transport().send(request, &config, timeout);
            let clock = &*self.inner.shared.clock;
            report_sent(ex, &span, sent.map(|r| (r.head, r.body)), clock)
        }

        /// A bearer token for the call, from the client's credential.
        fn token(
            &self,
            request: &TokenRequest,
            opts: &Options,
            now: std::time::SystemTime,
        ) -> Result<clientcore_proto::policies::auth::AccessToken, Error> {
            match &self.inner.credential {
                Some(c) => blocking_token(&**c, request, crate::call::bearer_cache(opts), now),
                None => Err(super::no_token_credential()),
            }
        }
    }

    /// A bearer token for a blocking call: single flight over the call's cache, as the async
    /// client's.
    fn blocking_token(
        c: &dyn BlockingTokenCredential,
        request: &clientcore_proto::pipeline::TokenRequest,
        cache: Option<clientcore_proto::policies::auth::TokenCache>,
        now: std::time::SystemTime,
    ) -> Result<clientcore_proto::policies::auth::AccessToken, Error> {
        use clientcore_proto::policies::auth::Refresh;
        match (cache, request.challenged) {
            (Some(cache), false) => loop {
                match cache.refresh(now) {
                    Refresh::Fresh(t) => return Ok(t),
                    Refresh::Lead(lead) => {
                        let got = c.get_token_for(request);
                        lead.finish(&got);
                        return got.map(|i| i.token);
                    }
                    Refresh::Wait(wait) => {
                        if let Some(outcome) = wait.wait() {
                            return outcome;
                        }
                    }
                }
            },
            (cache, _) => {
                let got = c.get_token_for(request);
                if let (Some(cache), Ok(info)) = (cache, &got) {
                    cache.store_info(info.clone());
                }
                got.map(|i| i.token)
            }
        }
    }

    /// The pipeline's read of a body, up to `limit` bytes, ended when the attempt's time is up.
    fn read_body(
        body: Option<Box<dyn crate::transport::BlockingBodyRead>>,
        limit: usize,
        due: Option<std::time::Instant>,
    ) -> Result<bytes::Bytes, Error> {
        match body {
            Some(mut b) => read_limited(&mut *b, limit, due),
            None => Ok(bytes::Bytes::new()),
        }
    }

    fn read_limited(
        body: &mut dyn crate::transport::BlockingBodyRead,
        limit: usize,
        due: Option<std::time::Instant>,
    ) -> Result<bytes::Bytes, Error> {
        let mut out = bytes::BytesMut::new();
        while out.len() < limit {
            let chunk = match due {
                Some(due) => body.chunk_before(due)?,
                None => body.chunk()?,
            };
            match chunk {
                Some(c) => out.extend_from_slice(&c[..c.len().min(limit - out.len())]),
                None => break,
            }
        }
        Ok(out.freeze())
    }

    impl fmt::Debug for BlockingClient {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.fmt(f)
        }
    }

    impl fmt::Debug for BlockingClientBuilder {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.parts.fmt(f)
        }
    }
}
