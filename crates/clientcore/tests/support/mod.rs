//! Shared harness: one test body, run under both drivers, bounded in time.
//!
//! `both_drivers!(name, |driver| { … })` expands to a module with an `async_driver` and a
//! `blocking_driver` test. Inside, build a [`TestClient`] for `driver` and send through it:
//! the async client runs on a runtime of the harness, so the body is plain code either way.

#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    reason = "each test file uses part of the harness"
)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clientcore::credential::{BlockingTokenCredential, TokenCredential};
use clientcore::pipeline::retry::AttemptRecord;
use clientcore::{
    BlockingClient, BlockingResponse, Body, Client, Error, Options, Request, Response,
};
use clientcore_testkit::FakeClock;
use http::{HeaderMap, Method, StatusCode};

pub use clientcore_testkit::{Recorded, Reply, Server, TestPki};

/// The error with which `driver`'s builder refuses client-wide `options` (settings the
/// default transport cannot be set up with).
pub fn build_error(driver: Driver, options: Options) -> Error {
    let built = match driver {
        Driver::Async => Client::builder().options(options).build().map(drop),
        Driver::Blocking => BlockingClient::builder().options(options).build().map(drop),
    };
    built.expect_err("the builder accepted the settings")
}

/// Every test gives up after this long instead of hanging CI.
pub const TEST_LIMIT: Duration = Duration::from_secs(30);

/// Which client a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    Async,
    Blocking,
}

/// Runs `body` on a thread and fails the test if it takes longer than [`TEST_LIMIT`].
pub fn bounded(body: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("bounded-test".into())
        .spawn(move || {
            body();
            let _ = tx.send(());
        })
        .unwrap();
    match rx.recv_timeout(TEST_LIMIT) {
        Ok(()) => handle.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: re-raise its panic.
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("test did not finish within {TEST_LIMIT:?}")
        }
    }
}

/// Runs one test body under both drivers.
#[macro_export]
macro_rules! both_drivers {
    ($name:ident, |$driver:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn async_driver() {
                $crate::support::bounded(|| {
                    let $driver = $crate::support::Driver::Async;
                    $body
                });
            }

            #[test]
            fn blocking_driver() {
                $crate::support::bounded(|| {
                    let $driver = $crate::support::Driver::Blocking;
                    $body
                });
            }
        }
    };
}

/// What a call returned, with the body read whole.
#[derive(Debug)]
pub struct Got {
    pub status: StatusCode,
    pub reason: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub retries: Vec<AttemptRecord>,
}

/// A client of either driver, with the settings tests need.
pub struct TestClient {
    driver: Driver,
    runtime: tokio::runtime::Runtime,
    async_client: Option<Client>,
    blocking_client: Option<BlockingClient>,
    pub clock: FakeClock,
}

/// How to build a [`TestClient`].
#[derive(Default)]
pub struct Setup {
    pub options: Options,
    pub fake_clock: bool,
    pub async_credential: Option<Arc<dyn TokenCredential>>,
    pub blocking_credential: Option<Arc<dyn BlockingTokenCredential>>,
}

impl TestClient {
    /// A client with client-wide `options` and real time.
    pub fn new(driver: Driver, options: Options) -> Self {
        Self::with(
            driver,
            Setup {
                options,
                ..Setup::default()
            },
        )
    }

    /// A client with client-wide `options` on a fake clock: retries do not sleep for real.
    pub fn fake_time(driver: Driver, options: Options) -> Self {
        Self::with(
            driver,
            Setup {
                options,
                fake_clock: true,
                ..Setup::default()
            },
        )
    }

    /// A client from a full [`Setup`].
    pub fn with(driver: Driver, setup: Setup) -> Self {
        Self::with_tls(driver, setup, None)
    }

    /// A client from a full [`Setup`] and the builder's `tls_config`, if any.
    pub fn with_tls(
        driver: Driver,
        setup: Setup,
        tls: Option<Arc<clientcore::rustls::ClientConfig>>,
    ) -> Self {
        let clock = FakeClock::new();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (mut async_client, mut blocking_client) = (None, None);
        match driver {
            Driver::Async => {
                let mut b = Client::builder().options(setup.options);
                if setup.fake_clock {
                    b = b
                        .clock(Arc::new(clock.clone()))
                        .sleep(Arc::new(clock.clone()));
                }
                if let Some(c) = setup.async_credential {
                    b = b.token_credential(c);
                }
                if let Some(tls) = tls {
                    b = b.tls_config(tls);
                }
                async_client = Some(b.build().unwrap());
            }
            Driver::Blocking => {
                let mut b = BlockingClient::builder().options(setup.options);
                if setup.fake_clock {
                    b = b
                        .clock(Arc::new(clock.clone()))
                        .sleep(Arc::new(clock.clone()));
                }
                if let Some(c) = setup.blocking_credential {
                    b = b.token_credential(c);
                }
                if let Some(tls) = tls {
                    b = b.tls_config(tls);
                }
                blocking_client = Some(b.build().unwrap());
            }
        }
        TestClient {
            driver,
            runtime,
            async_client,
            blocking_client,
            clock,
        }
    }

    /// Sends and reads the whole body.
    pub fn send(&self, request: Request<Body>, options: &Options) -> Result<Got, Error> {
        match self.driver {
            Driver::Async => {
                let client = self.async_client.as_ref().unwrap();
                self.runtime.block_on(async {
                    let mut r = client.send(request, options).await?;
                    let body = r.read().await?;
                    Ok(Got {
                        status: r.status(),
                        reason: r.reason().to_owned(),
                        headers: r.headers().clone(),
                        body,
                        retries: r.retry_history().to_vec(),
                    })
                })
            }
            Driver::Blocking => {
                let client = self.blocking_client.as_ref().unwrap();
                let mut r = client.send(request, options)?;
                let body = r.read()?;
                Ok(Got {
                    status: r.status(),
                    reason: r.reason().to_owned(),
                    headers: r.headers().clone(),
                    body,
                    retries: r.retry_history().to_vec(),
                })
            }
        }
    }

    /// Sends a GET to `url` with `options`.
    pub fn get(&self, url: &str, options: &Options) -> Result<Got, Error> {
        self.send(Request::new(Method::GET, url.parse().unwrap()), options)
    }

    /// Sends and streams the body in blocks, returning the block sizes and the bytes.
    pub fn stream(
        &self,
        request: Request<Body>,
        options: &Options,
    ) -> Result<(Vec<usize>, Bytes), Error> {
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        match self.driver {
            Driver::Async => {
                let client = self.async_client.as_ref().unwrap();
                self.runtime.block_on(async {
                    let mut r = client.send(request, options).await?;
                    while let Some(b) = r.next_block().await? {
                        sizes.push(b.len());
                        all.extend_from_slice(&b);
                    }
                    Ok::<_, Error>(())
                })?;
            }
            Driver::Blocking => {
                let client = self.blocking_client.as_ref().unwrap();
                let mut r = client.send(request, options)?;
                while let Some(b) = r.next_block()? {
                    sizes.push(b.len());
                    all.extend_from_slice(&b);
                }
            }
        }
        Ok((sizes, all.into()))
    }

    /// The async response, for tests of stream states (async driver only).
    pub fn send_async_raw(
        &self,
        request: Request<Body>,
        options: &Options,
    ) -> Result<Response, Error> {
        let client = self.async_client.as_ref().expect("async driver");
        self.runtime.block_on(client.send(request, options))
    }

    /// Runs a future on the harness runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// The blocking response, for tests of stream states (blocking driver only).
    pub fn send_blocking_raw(
        &self,
        request: Request<Body>,
        options: &Options,
    ) -> Result<BlockingResponse, Error> {
        self.blocking_client
            .as_ref()
            .expect("blocking driver")
            .send(request, options)
    }
}

impl Drop for TestClient {
    fn drop(&mut self) {
        // Drop the clients (and the blocking client's runtime) outside any async context.
        self.async_client = None;
        self.blocking_client = None;
    }
}

/// The clients themselves, for tests of APIs built on a client (pagers, pollers).
impl TestClient {
    /// The driver of this client.
    pub fn driver(&self) -> Driver {
        self.driver
    }

    /// The async client (async driver only).
    pub fn async_client(&self) -> &Client {
        self.async_client.as_ref().expect("async driver")
    }

    /// The blocking client (blocking driver only).
    pub fn blocking_client(&self) -> &BlockingClient {
        self.blocking_client.as_ref().expect("blocking driver")
    }
}
