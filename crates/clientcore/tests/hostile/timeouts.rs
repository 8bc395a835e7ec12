//! The total timeout is total: bodies the pipeline reads itself (an error body, a buffered
//! body, a page) are read inside the call's deadline, however slowly the server sends them;
//! and the blocking client's read-ahead of a small body never holds back the head.

use std::time::{Duration, Instant};

use clientcore::paging::{BlockingPager, PageStrategy, Pager};
use clientcore::{Error, ErrorKind, Options, Request};
use http::Method;

use crate::server::{RawServer, Script};
use crate::support::{Driver, TestClient};

/// The call's budget in these tests; the bodies below take ten times as long to arrive.
const BUDGET: Duration = Duration::from_millis(500);

/// Well past the budget, well before the body would have arrived.
const ENDED_BY: Duration = Duration::from_millis(2_500);

/// A head announcing `len` bytes, then the bytes at one every `every`.
fn trickling(status: u16, content_type: &str, body: &[u8], every: Duration) -> Script {
    let len = body.len().to_string();
    Script::head(
        status,
        &[("content-type", content_type), ("content-length", &len)],
    )
    .trickle(body, every)
}

fn assert_timed_out(err: &Error, took: Duration) {
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < ENDED_BY, "the body held the call for {took:?}");
}

both_drivers!(an_error_body_that_trickles_ends_at_the_deadline, |driver| {
    // 120 bytes at one per 40 ms: 4.8 s of body, on every attempt.
    let server = RawServer::repeat(trickling(
        500,
        "application/json",
        &[b' '; 120],
        Duration::from_millis(40),
    ));
    let client = TestClient::new(driver, Options::new().with_timeout(BUDGET));
    let started = Instant::now();
    let err = client
        .get(&server.url("/slow-error"), &Options::new())
        .unwrap_err();
    assert_timed_out(&err, started.elapsed());
    assert_eq!(server.requests().len(), 1, "no time was left to retry");
});

both_drivers!(
    a_buffered_body_that_trickles_ends_at_the_deadline,
    |driver| {
        let server = RawServer::repeat(trickling(
            200,
            "text/plain",
            &[b'x'; 120],
            Duration::from_millis(40),
        ));
        let client = TestClient::new(driver, Options::new().with_timeout(BUDGET));
        let started = Instant::now();
        let err = client
            .get(
                &server.url("/slow-ok"),
                &Options::new().with_buffered_body(Some(1 << 20)),
            )
            .unwrap_err();
        assert_timed_out(&err, started.elapsed());
    }
);

both_drivers!(an_attempt_timeout_bounds_the_error_body_too, |driver| {
    // Per attempt 300 ms, the call 10 s: each attempt's error body is cut at 300 ms, and the
    // retries still get their turn.
    let server = RawServer::repeat(trickling(
        503,
        "application/json",
        &[b' '; 120],
        Duration::from_millis(40),
    ));
    let client = TestClient::fake_time(
        driver,
        Options::new()
            .with_timeout(Duration::from_secs(10))
            .with_attempt_timeout(Duration::from_millis(300)),
    );
    let started = Instant::now();
    let err = client
        .get(&server.url("/slow-503"), &Options::new())
        .unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    // Four attempts (the default three retries), each cut at 300 ms.
    assert_eq!(server.requests().len(), 4);
    assert!(took < Duration::from_secs(4), "{took:?}");
});

both_drivers!(a_page_that_trickles_ends_at_the_deadline, |driver| {
    let server = RawServer::repeat(trickling(
        200,
        "application/json",
        br#"{"value": ["a", "b", "c", "d", "e", "f", "g", "h"], "nextLink": null}"#,
        Duration::from_millis(60),
    ));
    let client = TestClient::new(driver, Options::new());
    let first = Request::new(Method::GET, server.url("/items").parse().unwrap());
    let options = Options::new().with_timeout(BUDGET);
    let started = Instant::now();
    let page = match driver {
        Driver::Async => {
            let mut pager: Pager<String> = Pager::new(
                client.async_client(),
                first,
                PageStrategy::next_link(),
                &options,
            );
            client.block_on(pager.next_page())
        }
        Driver::Blocking => BlockingPager::<String>::new(
            client.blocking_client(),
            first,
            PageStrategy::next_link(),
            &options,
        )
        .pages()
        .next(),
    };
    let err = page.expect("one page").unwrap_err();
    assert_timed_out(&err, started.elapsed());
});

both_drivers!(a_poll_body_that_trickles_ends_at_the_deadline, |driver| {
    use clientcore::lro::{BlockingPoller, LroOptions, Poller};
    // The operation starts at once; its status monitor answers at once and then sends its
    // 100-byte body at one byte per 40 ms.
    let server = RawServer::start([]);
    server.then(Script::response(
        202,
        &[("operation-location", &server.url("/op"))],
        "",
    ));
    server.then(trickling(
        200,
        "application/json",
        format!("{{\"status\": \"InProgress\"}}{}", " ".repeat(76)).as_bytes(),
        Duration::from_millis(40),
    ));
    let client = TestClient::fake_time(driver, Options::new());
    let options = Options::new()
        .with_timeout(BUDGET)
        .with_retry(clientcore::RetryOptions::none());
    let lro = LroOptions::new().with_polling_interval(Duration::from_secs(1));
    let start = || Request::new(Method::POST, server.url("/start").parse().unwrap());
    let started = Instant::now();
    let outcome = match driver {
        Driver::Async => client.block_on(async {
            Poller::begin(client.async_client(), start(), &options, lro)
                .await?
                .wait()
                .await
                .map(drop)
        }),
        Driver::Blocking => BlockingPoller::begin(client.blocking_client(), start(), &options, lro)
            .and_then(BlockingPoller::wait)
            .map(drop),
    };
    let err = outcome.unwrap_err();
    assert_timed_out(&err, started.elapsed());
    assert_eq!(server.requests().len(), 2, "the start and one poll");
});

/// What `send` took to return the head, and the body then read by the caller.
fn head_then_body(client: &TestClient, url: &str) -> (Duration, Duration, Vec<u8>) {
    let request = Request::new(Method::GET, url.parse().unwrap());
    let started = Instant::now();
    match client.driver() {
        Driver::Async => client.block_on(async {
            let mut r = client
                .async_client()
                .send(request, &Options::new())
                .await
                .unwrap();
            let head = started.elapsed();
            let body = r.read().await.unwrap();
            (head, started.elapsed(), body.to_vec())
        }),
        Driver::Blocking => {
            let mut r = client
                .blocking_client()
                .send(request, &Options::new())
                .unwrap();
            let head = started.elapsed();
            let body = r.read().unwrap();
            (head, started.elapsed(), body.to_vec())
        }
    }
}

both_drivers!(
    a_small_body_that_trickles_does_not_hold_back_the_head,
    |driver| {
        // 100 bytes at one per 20 ms: 2 s of body behind a head that is there at once.
        let body = vec![b'y'; 100];
        let server = RawServer::start([trickling(
            200,
            "text/plain",
            &body,
            Duration::from_millis(20),
        )]);
        let client = TestClient::new(driver, Options::new());
        let (head, all, got) = head_then_body(&client, &server.url("/slow-small"));
        assert!(head < Duration::from_millis(500), "send took {head:?}");
        assert!(all >= Duration::from_millis(1_500), "{all:?}");
        assert_eq!(got, body, "the caller still reads every byte");
    }
);

both_drivers!(a_small_body_that_is_there_is_read_whole, |driver| {
    // Half the body with the head, the rest a second later: the head comes at once and the
    // caller reads both halves.
    let server = RawServer::start([Script::head(200, &[("content-length", "10")])
        .write("01234")
        .pause(Duration::from_secs(1))
        .write("56789")]);
    let client = TestClient::new(driver, Options::new());
    let (head, all, got) = head_then_body(&client, &server.url("/halves"));
    assert!(head < Duration::from_millis(700), "send took {head:?}");
    assert!(all >= Duration::from_millis(900), "{all:?}");
    assert_eq!(got, b"0123456789");
});
