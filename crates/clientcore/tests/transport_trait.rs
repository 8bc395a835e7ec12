//! Custom transports (issue 15): the async and the blocking trait take the same arguments,
//! the attempt's timeout among them, and the transport keeps it; the client dates the heads a
//! transport hands over with its own clock. Each custom transport here records what it was
//! given and sends through the default one, to the testkit's server, under both drivers.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use clientcore::options::TransportConfig;
use clientcore::pipeline::Request;
use clientcore::time::Clock as _;
use clientcore::transport::{
    BlockingTransport, BlockingTransportResponse, BoxFuture, HyperTransport, Transport,
    TransportResponse,
};
use clientcore::{BlockingClient, Body, Client, Error, ErrorKind, Options, RetryOptions};
use clientcore_testkit::FakeClock;
use http::Method;
use support::{Driver, Reply, Server};

/// What a transport was asked to do: the URL's path and the timeout.
type Call = (String, Duration);
type Calls = Arc<Mutex<Vec<Call>>>;
/// What the caller got: the status and the body.
type Got = Result<(u16, Bytes), Error>;

/// An async transport that records its arguments and sends through the default transport.
#[derive(Debug)]
struct RecordingAsync {
    inner: HyperTransport,
    calls: Calls,
}

impl Transport for RecordingAsync {
    fn send<'a>(
        &'a self,
        request: Request<Body>,
        config: &'a TransportConfig,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<TransportResponse, Error>> {
        let path = request.parts.url.path().to_owned();
        self.calls.lock().unwrap().push((path, timeout));
        Transport::send(&self.inner, request, config, timeout)
    }
}

/// The same, blocking: the default transport on a runtime of its own, the body read whole.
#[derive(Debug)]
struct RecordingBlocking {
    inner: HyperTransport,
    runtime: tokio::runtime::Runtime,
    calls: Calls,
}

impl BlockingTransport for RecordingBlocking {
    fn send(
        &self,
        request: Request<Body>,
        config: &TransportConfig,
        timeout: Duration,
    ) -> Result<BlockingTransportResponse, Error> {
        let path = request.parts.url.path().to_owned();
        self.calls.lock().unwrap().push((path, timeout));
        self.runtime.block_on(async {
            let mut sent = Transport::send(&self.inner, request, config, timeout).await?;
            let mut body = Vec::new();
            while let Some(chunk) = sent.body.chunk().await? {
                body.extend_from_slice(&chunk);
            }
            Ok(BlockingTransportResponse {
                head: sent.head,
                body: Box::new(Bytes::from(body)),
            })
        })
    }
}

/// Sends a GET to `url` through a client of `driver` on a recording transport; the status and
/// the body, and what the transport was given.
fn get_through(
    driver: Driver,
    clock: Option<&FakeClock>,
    options: &Options,
    url: &str,
) -> (Got, Vec<Call>) {
    let calls = Calls::default();
    let request = || Request::new(Method::GET, url.parse().unwrap());
    let got = match driver {
        Driver::Async => {
            let transport = RecordingAsync {
                inner: HyperTransport::new(),
                calls: calls.clone(),
            };
            let mut builder = Client::builder().transport(Arc::new(transport));
            if let Some(c) = clock {
                builder = builder
                    .clock(Arc::new(c.clone()))
                    .sleep(Arc::new(c.clone()));
            }
            let client = builder.build().unwrap();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut r = client.send(request(), options).await?;
                Ok((r.status().as_u16(), r.read().await?))
            })
        }
        Driver::Blocking => {
            let transport = RecordingBlocking {
                inner: HyperTransport::new(),
                runtime: tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .unwrap(),
                calls: calls.clone(),
            };
            let mut builder = BlockingClient::builder().transport(Arc::new(transport));
            if let Some(c) = clock {
                builder = builder
                    .clock(Arc::new(c.clone()))
                    .sleep(Arc::new(c.clone()));
            }
            let client = builder.build().unwrap();
            client.send(request(), options).and_then(|mut r| {
                let body = r.read()?;
                Ok((r.status().as_u16(), body))
            })
        }
    };
    let calls = calls.lock().unwrap().clone();
    (got, calls)
}

both_drivers!(
    a_custom_transport_gets_the_attempts_time_and_its_heads_are_dated_by_the_client,
    |driver| {
        // On a fake clock an hour ahead, on a whole second: the 503's Retry-After date is 10 s
        // after it, so a wait of 10 s shows that the client dated the (undated) head.
        let clock = FakeClock::new();
        let past_second = clock
            .wall()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let to_next_second = Duration::from_nanos(u64::from(1_000_000_000 - past_second));
        clock.advance(Duration::from_secs(3600) + to_next_second);
        let at = httpdate::fmt_http_date(clock.wall() + Duration::from_secs(10));
        let server = Server::start([
            Reply::status(503).header("retry-after", &at),
            Reply::status(200).body("ok"),
        ]);
        let options = Options::new()
            .with_timeout(Duration::from_secs(42))
            .with_retry(RetryOptions::new().with_retry_after_max(Duration::from_secs(7200)));
        let (got, calls) = get_through(driver, Some(&clock), &options, &server.url("/t"));
        let (status, body) = got.unwrap();
        assert_eq!((status, &body[..]), (200, &b"ok"[..]));
        assert_eq!(server.requests().len(), 2);
        assert_eq!(clock.sleeps(), [Duration::from_secs(10)]);
        // The attempt's time: all of the call's 42 s on the first attempt, what the 10 s wait
        // left of them on the second (the fake clock moves only when the client sleeps).
        assert_eq!(
            calls,
            [
                ("/t".to_owned(), Duration::from_secs(42)),
                ("/t".to_owned(), Duration::from_secs(32)),
            ]
        );
    }
);

both_drivers!(
    the_default_transport_called_through_its_trait_keeps_the_timeout,
    |driver| {
        // The head comes after 5 s; the call has 300 ms. The client sets no timer of its own
        // around a transport: the timeout given to `Transport::send` ends the wait.
        let server = Server::start([Reply::status(200).delay(Duration::from_secs(5))]);
        let options = Options::new()
            .with_timeout(Duration::from_millis(300))
            .with_read_timeout(Duration::from_secs(60));
        let started = Instant::now();
        let (got, calls) = get_through(driver, None, &options, &server.url("/slow"));
        let err = got.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(calls.len(), 1);
        assert!(calls[0].1 <= Duration::from_millis(300), "{calls:?}");
        assert_eq!(server.requests().len(), 1);
    }
);
