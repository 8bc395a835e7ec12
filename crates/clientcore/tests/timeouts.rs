//! Timeouts through the real default transport: `read_timeout` on the head and on the body,
//! the total `timeout` across retries, `connection_timeout`, and connect failures retried even
//! for POST (the request provably never left). Waits between retries run on the fake clock;
//! only the transport's own timeouts are real, and short.

mod support;

use std::time::{Duration, Instant};

use clientcore::pipeline::retry::AttemptOutcome;
use clientcore::{Body, ErrorKind, Options, Request, RetryOptions};
use http::Method;
use support::{Reply, Server, TestClient};

/// Real transport timeouts are short, so anything near this bound means one did not fire.
const FIRED_WELL_BEFORE: Duration = Duration::from_secs(5);

fn read_timeout_200ms() -> Options {
    Options::new().with_read_timeout(Duration::from_millis(200))
}

/// The reference's default backoff for the first three retries: 0, then 0.8 * 2^(n-1).
fn default_backoffs() -> Vec<Duration> {
    [0.0, 1.6, 3.2].map(Duration::from_secs_f64).to_vec()
}

both_drivers!(
    read_timeout_on_headers_is_service_response_timeout,
    |driver| {
        let server = Server::start([Reply::hang()]);
        let client = TestClient::new(
            driver,
            read_timeout_200ms().with_retry(RetryOptions::none()),
        );
        let started = Instant::now();
        let err = client
            .get(&server.url("/hang"), &Options::new())
            .unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
        assert!(err.is_timeout());
        assert!(err.is_service_response());
        assert!(took >= Duration::from_millis(150), "{took:?}");
        assert!(took < FIRED_WELL_BEFORE, "{took:?}");
        assert_eq!(server.requests().len(), 1, "retries are off: one request");
    }
);

both_drivers!(
    read_timeout_is_retried_for_get_on_the_fake_clock,
    |driver| {
        let server = Server::start((0..4).map(|_| Reply::hang()));
        let client = TestClient::fake_time(driver, read_timeout_200ms());
        let err = client
            .get(&server.url("/hang"), &Options::new())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
        // retry_read defaults to 3: four attempts, with the default backoff between them.
        assert_eq!(server.requests().len(), 4);
        assert_eq!(client.clock.sleeps(), default_backoffs());
    }
);

both_drivers!(read_timeout_on_post_is_not_retried, |driver| {
    let server = Server::start([Reply::hang()]);
    let client = TestClient::fake_time(driver, read_timeout_200ms());
    let post =
        Request::new(Method::POST, server.url("/post").parse().unwrap()).with_body(Body::from("x"));
    let err = client.send(post, &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
    // The request reached the server, so a POST is not sent again.
    assert_eq!(server.requests().len(), 1);
    assert!(client.clock.sleeps().is_empty());
});

both_drivers!(read_timeout_while_reading_the_body, |driver| {
    let server = Server::start([Reply::status(200)
        .body("too late")
        .body_delay(Duration::from_millis(1500))]);
    let client = TestClient::new(
        driver,
        read_timeout_200ms().with_retry(RetryOptions::none()),
    );
    let request = Request::new(Method::GET, server.url("/slow-body").parse().unwrap());
    let started = Instant::now();
    let err = client.stream(request, &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1400));
    assert_eq!(server.requests().len(), 1);
});

/// A read timeout with room for a loaded machine's scheduling delays in the pacing below.
fn read_timeout_500ms() -> Options {
    Options::new()
        .with_read_timeout(Duration::from_millis(500))
        .with_retry(RetryOptions::none())
}

both_drivers!(a_slow_but_live_body_is_not_a_read_timeout, |driver| {
    // Eight pieces 100 ms apart: 700 ms in all, longer than the read timeout, but no read
    // waits more than about 100 ms. The read timeout bounds each wait, not the body.
    let server = Server::start([Reply::status(200)
        .body("abcdefgh")
        .trickle(1, Duration::from_millis(100))]);
    let client = TestClient::new(driver, read_timeout_500ms());
    let request = Request::new(Method::GET, server.url("/trickle").parse().unwrap());
    let started = Instant::now();
    let (_, body) = client.stream(request, &Options::new()).unwrap();
    assert_eq!(body, "abcdefgh");
    assert!(started.elapsed() >= Duration::from_millis(700));
});

both_drivers!(a_body_that_stalls_after_progress_times_out, |driver| {
    // Three of ten bytes 50 ms apart, then nothing: the read that waits for the fourth ends
    // one read timeout after it started waiting, just after the last piece (at least
    // 100 + 500 ms in), not one read timeout after the request.
    let stalled = Server::start([Reply::status(200)
        .header("content-length", "10")
        .body("abc")
        .trickle(1, Duration::from_millis(50))]);
    let client = TestClient::new(driver, read_timeout_500ms());
    let request = Request::new(Method::GET, stalled.url("/stall").parse().unwrap());
    let started = Instant::now();
    let err = client.stream(request, &Options::new()).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
    assert!(took >= Duration::from_millis(100 + 500), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
});

both_drivers!(total_timeout_bounds_the_call_across_retries, |driver| {
    let server = Server::start((0..3).map(|_| Reply::status(503).header("retry-after", "1")));
    let client = TestClient::fake_time(driver, Options::new());
    let opts = Options::new().with_timeout(Duration::from_millis(2500));
    let err = client.get(&server.url("/busy"), &opts).unwrap_err();
    // t=0 503, wait 1 s; t=1 503, wait 1 s; t=2 503: one more wait would end at t=3 > 2.5.
    assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
    assert!(err.is_timeout());
    assert_eq!(server.requests().len(), 3);
    assert_eq!(client.clock.sleeps(), [Duration::from_secs(1); 2]);
});

both_drivers!(total_timeout_bounds_a_hanging_attempt, |driver| {
    // The read timeout is the default 300 s: only the call's own budget can end this.
    let server = Server::start([Reply::hang()]);
    let client = TestClient::new(driver, Options::new());
    let opts = Options::new().with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = client.get(&server.url("/hang"), &opts).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < FIRED_WELL_BEFORE, "{took:?}");
    assert_eq!(server.requests().len(), 1);
});

/// A `127.0.0.1` listener whose accept queue is full and never drained: Linux drops further
/// SYNs, so a new connection attempt hangs until the client's connect timeout fires. The
/// runtime and the filler connections must outlive the test.
struct Unreachable {
    _runtime: tokio::runtime::Runtime,
    _listener: tokio::net::TcpListener,
    _fillers: Vec<std::net::TcpStream>,
    url: String,
}

impl Unreachable {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let listener = {
            let _enter = runtime.enter();
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            socket.listen(1).unwrap()
        };
        let addr = listener.local_addr().unwrap();
        let mut fillers = Vec::new();
        loop {
            assert!(
                fillers.len() < 64,
                "the accept queue never filled; cannot provoke a connect timeout"
            );
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
                Ok(s) => fillers.push(s),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
                Err(e) => panic!("unexpected connect error while filling the backlog: {e}"),
            }
        }
        Unreachable {
            _runtime: runtime,
            _listener: listener,
            _fillers: fillers,
            url: format!("http://{addr}/x"),
        }
    }
}

/// A client with a 200 ms connect timeout and no retries: one attempt per call.
fn connect_timeout_200ms(driver: support::Driver) -> TestClient {
    TestClient::new(
        driver,
        Options::new()
            .with_connection_timeout(Duration::from_millis(200))
            .with_retry(RetryOptions::none()),
    )
}

both_drivers!(connection_timeout_is_service_request_timeout, |driver| {
    let target = Unreachable::new();
    let client = connect_timeout_200ms(driver);
    let started = Instant::now();
    let err = client.get(&target.url, &Options::new()).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::ServiceRequestTimeout, "{err:?}");
    assert!(err.is_timeout());
    assert!(err.is_service_request(), "never sent: a request error");
    assert!(took >= Duration::from_millis(150), "{took:?}");
    assert!(took < FIRED_WELL_BEFORE, "{took:?}");
});

both_drivers!(connection_timeout_is_retried_even_for_post, |driver| {
    let target = Unreachable::new();
    let client = TestClient::fake_time(
        driver,
        Options::new().with_connection_timeout(Duration::from_millis(150)),
    );
    let post = Request::new(Method::POST, target.url.parse().unwrap()).with_body(Body::from("x"));
    let err = client.send(post, &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequestTimeout, "{err:?}");
    // retry_connect defaults to 3: the POST never left, so it is tried four times.
    assert_eq!(client.clock.sleeps(), default_backoffs());
});

both_drivers!(refused_post_is_retried_with_backoff, |driver| {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let client = TestClient::fake_time(driver, Options::new());
    let post = || {
        Request::new(Method::POST, format!("http://{closed}/p").parse().unwrap())
            .with_body(Body::from("data"))
    };

    let err = client
        .send(post(), &Options::new().with_retry(RetryOptions::none()))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(client.clock.sleeps().is_empty(), "retries are off");

    // Connection refused: never sent, so retried even for POST until retry_connect (3) runs
    // out, with the default backoff between attempts, all on the fake clock.
    let err = client.send(post(), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(err.is_retryable());
    assert!(!err.message().contains("not retried"), "{err}");
    assert_eq!(client.clock.sleeps(), default_backoffs());
    let outcomes: Vec<_> = err.retry_history().iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![AttemptOutcome::Error(ErrorKind::ServiceRequest); 4]
    );
});

both_drivers!(refused_then_live_post_counts_retries, |driver| {
    // One client, two calls: a POST to a closed port (four attempts), then one to a live
    // server that answers at once, whose history is empty: counters are per call.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let server = Server::start([Reply::status(201).body("made")]);
    let client = TestClient::fake_time(driver, Options::new());
    let post = |url: String| {
        Request::new(Method::POST, url.parse().unwrap()).with_body(Body::from("data"))
    };

    let err = client
        .send(post(format!("http://{closed}/p")), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    let got = client
        .send(post(server.url("/p")), &Options::new())
        .unwrap();
    assert_eq!(got.status, 201);
    assert!(got.retries.is_empty(), "{:?}", got.retries);
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body, "data");
    assert_eq!(client.clock.sleeps(), default_backoffs());
});

both_drivers!(
    a_caller_pausing_between_reads_is_not_a_read_timeout,
    |driver| {
        // Two pieces of 40 KiB, the second 450 ms after the first (more than the blocking
        // client reads ahead, so both drivers stream it). The caller takes the first, works for
        // 300 ms, then waits about 150 ms for the second. The read timeout (350 ms) bounds each
        // wait from when it starts, as a socket read's does: counted from the first piece, it
        // would have fired before the second came.
        const PIECE: usize = 40 * 1024;
        let body: Vec<u8> = (0..=250_u8).cycle().take(2 * PIECE).collect();
        let server = Server::start([Reply::status(200)
            .body(body.clone())
            .trickle(PIECE, Duration::from_millis(450))]);
        let options = Options::new()
            .with_read_timeout(Duration::from_millis(350))
            .with_block_size(PIECE)
            .with_retry(RetryOptions::none());
        let client = TestClient::new(driver, options);
        let request = || Request::new(Method::GET, server.url("/pause").parse().unwrap());
        let pause = Duration::from_millis(300);
        let (first, second, end) = match driver {
            support::Driver::Async => {
                let mut r = client.send_async_raw(request(), &Options::new()).unwrap();
                let first = client.block_on(r.next_block()).unwrap();
                std::thread::sleep(pause);
                let second = client.block_on(r.next_block()).unwrap();
                let end = client.block_on(r.next_block()).unwrap();
                (first, second, end)
            }
            support::Driver::Blocking => {
                let mut r = client
                    .send_blocking_raw(request(), &Options::new())
                    .unwrap();
                let first = r.next_block().unwrap();
                std::thread::sleep(pause);
                let second = r.next_block().unwrap();
                let end = r.next_block().unwrap();
                (first, second, end)
            }
        };
        assert_eq!(first.as_deref(), Some(&body[..PIECE]));
        assert_eq!(second.as_deref(), Some(&body[PIECE..]));
        assert_eq!(end, None);
    }
);

both_drivers!(
    a_tls_handshake_or_tunnel_that_never_ends_is_a_connect_timeout,
    |driver| {
        // The kernel completes the TCP handshake for a listener that never accepts; nothing
        // answers the TLS ClientHello, nor the CONNECT sent to such a "proxy". The connect
        // timeout covers the whole of opening a connection, not only TCP.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let client = connect_timeout_200ms(driver);
        let started = Instant::now();
        let err = client
            .get(&format!("https://127.0.0.1:{port}/x"), &Options::new())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceRequestTimeout, "{err:?}");
        assert!(
            started.elapsed() < FIRED_WELL_BEFORE,
            "{:?}",
            started.elapsed()
        );

        let through_silent_proxy = Options::new().with_proxies(
            clientcore::Proxies::new()
                .with("https", format!("http://127.0.0.1:{port}"))
                .without_env(),
        );
        let started = Instant::now();
        let err = client
            .get("https://127.0.0.1:1/x", &through_silent_proxy)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceRequestTimeout, "{err:?}");
        assert!(
            started.elapsed() < FIRED_WELL_BEFORE,
            "{:?}",
            started.elapsed()
        );
        drop(silent);
    }
);
