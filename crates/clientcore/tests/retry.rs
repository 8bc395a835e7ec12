//! Retries end to end (issue 4): the real transport against the fault-injecting testkit,
//! under both drivers, with waits on the fake clock. Each test asserts what the server saw,
//! what the caller got, and the waits.
//!
//! Deviations from the reference, as in `clientcore-proto/tests/retry_scenarios.rs`: the first
//! retry is a recorded zero wait; exhausted status retries end in the HTTP error; a POST is
//! retried after a refused connection and not after a read error; a success body cut short
//! after the response was handed to the caller is the caller's `IncompleteRead` (the core
//! cannot replay what it no longer holds), while an error body cut short is retried.

mod support;

use std::time::{Duration, SystemTime};

use clientcore::pipeline::retry::{
    AttemptOutcome, IdempotencyKey, Jitter, RetryBudget, SharedRandom,
};
use clientcore::time::Clock as _;
use clientcore::{Body, ErrorKind, Options, Request, RetryOptions};
use http::Method;
use support::{Driver, Reply, Server, TestClient};

fn secs(v: &[f64]) -> Vec<Duration> {
    v.iter().map(|s| Duration::from_secs_f64(*s)).collect()
}

const STORM: [f64; 3] = [0.0, 1.6, 3.2];

fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/x")
}

fn post(url: &str) -> Request<Body> {
    Request::new(Method::POST, url.parse().unwrap()).with_body(Body::from("payload"))
}

fn outcomes(history: &[clientcore::pipeline::retry::AttemptRecord]) -> Vec<AttemptOutcome> {
    history.iter().map(|r| r.outcome).collect()
}

both_drivers!(connection_refused_is_retried_three_times, |driver| {
    let client = TestClient::fake_time(driver, Options::new());
    let err = client.get(&closed_port_url(), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert_eq!(
        outcomes(err.retry_history()),
        [AttemptOutcome::Error(ErrorKind::ServiceRequest); 4]
    );
    assert_eq!(client.clock.sleeps(), secs(&STORM));
    let waits: Vec<_> = err.retry_history().iter().map(|r| r.wait).collect();
    assert_eq!(
        waits,
        [
            Some(Duration::ZERO),
            Some(Duration::from_secs_f64(1.6)),
            Some(Duration::from_secs_f64(3.2)),
            None
        ]
    );
});

both_drivers!(post_after_a_refused_connection_is_retried, |driver| {
    let client = TestClient::fake_time(driver, Options::new());
    let err = client
        .send(post(&closed_port_url()), &Options::new())
        .unwrap_err();
    assert!(err.is_service_request(), "{err:?}");
    assert_eq!(err.retry_history().len(), 4);
    assert_eq!(client.clock.sleeps(), secs(&STORM));
});

both_drivers!(reset_before_headers_is_retried_for_get, |driver| {
    let server = Server::start([Reply::reset(), Reply::status(200).body("ok")]);
    let client = TestClient::fake_time(driver, Options::new());
    let got = client.get(&server.url("/r"), &Options::new()).unwrap();
    assert_eq!((got.status.as_u16(), &got.body[..]), (200, &b"ok"[..]));
    assert_eq!(server.requests().len(), 2);
    assert_eq!(
        outcomes(&got.retries),
        [AttemptOutcome::Error(ErrorKind::ServiceResponse)]
    );
    assert_eq!(client.clock.sleeps(), secs(&[0.0]));
});

both_drivers!(post_after_a_read_error_is_not_retried, |driver| {
    let server = Server::start([Reply::reset()]);
    let client = TestClient::fake_time(driver, Options::new());
    let err = client
        .send(post(&server.url("/p")), &Options::new())
        .unwrap_err();
    assert!(err.is_service_response(), "{err:?}");
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body, "payload");
    assert_eq!(err.retry_history().len(), 1);
    assert!(client.clock.sleeps().is_empty());
});

both_drivers!(reset_mid_body_of_an_error_is_retried, |driver| {
    let server = Server::start([
        Reply::status(503).body("x".repeat(1000)).close_mid_body(10),
        Reply::status(200).body("fine"),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    let got = client.get(&server.url("/m"), &Options::new()).unwrap();
    assert_eq!(&got.body[..], b"fine");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(outcomes(&got.retries), [AttemptOutcome::Status(503)]);
});

both_drivers!(
    reset_mid_body_of_a_success_is_an_incomplete_read,
    |driver| {
        let server = Server::start([Reply::status(200)
            .body("y".repeat(1000))
            .close_mid_body(100)]);
        let client = TestClient::fake_time(driver, Options::new());
        let err = client.get(&server.url("/m"), &Options::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IncompleteRead, "{err:?}");
        assert!(err.is_decode() && err.is_retryable());
        assert_eq!(server.requests().len(), 1);
    }
);

both_drivers!(truncated_content_length, |driver| {
    let server = Server::start([
        // The connection closes after 5 of the 100 declared bytes.
        Reply::status(500)
            .header("content-length", "100")
            .body("short")
            .close_after(),
        Reply::status(200)
            .header("content-length", "100")
            .body("short")
            .close_after(),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    // The 500's short body does not stop the retry; the 200's is the caller's error.
    let err = client.get(&server.url("/t"), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompleteRead, "{err:?}");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(client.clock.sleeps(), secs(&[0.0]));
});

both_drivers!(slow_headers_past_read_timeout_are_retried, |driver| {
    let server = Server::start([
        Reply::status(200).delay(Duration::from_millis(1500)),
        Reply::status(200).body("quick"),
    ]);
    server.allow_unused();
    let options = Options::new().with_read_timeout(Duration::from_millis(200));
    let client = TestClient::fake_time(driver, options);
    let got = client.get(&server.url("/slow"), &Options::new()).unwrap();
    assert_eq!(&got.body[..], b"quick");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(
        outcomes(&got.retries),
        [AttemptOutcome::Error(ErrorKind::ServiceResponseTimeout)]
    );
});

both_drivers!(the_per_attempt_timeout_cuts_a_slow_attempt, |driver| {
    let server = Server::start([
        Reply::status(200).delay(Duration::from_millis(1500)),
        Reply::status(200).body("quick"),
    ]);
    let options = Options::new().with_attempt_timeout(Duration::from_millis(200));
    let client = TestClient::fake_time(driver, options);
    let started = std::time::Instant::now();
    let got = client.get(&server.url("/slow"), &Options::new()).unwrap();
    assert!(started.elapsed() < Duration::from_millis(1400));
    assert_eq!(&got.body[..], b"quick");
    assert_eq!(
        outcomes(&got.retries),
        [AttemptOutcome::Error(ErrorKind::ServiceResponseTimeout)]
    );
});

both_drivers!(a_503_storm, |driver| {
    let server = Server::builder()
        .handler(|_| Reply::status(503).body("busy"))
        .build();
    let client = TestClient::fake_time(driver, Options::new());
    let err = client.get(&server.url("/s"), &Options::new()).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 4);
    assert_eq!(client.clock.sleeps(), secs(&STORM));
    assert_eq!(
        outcomes(err.retry_history()),
        [AttemptOutcome::Status(503); 4]
    );
    // Every attempt is the same call: one client request id.
    let seen = server.requests();
    let id = seen[0].header("x-ms-client-request-id").unwrap().to_owned();
    assert!(seen
        .iter()
        .all(|r| r.header("x-ms-client-request-id") == Some(&id)));
});

both_drivers!(throttling_429_with_each_retry_after_form, |driver| {
    let forms: [(&str, String); 3] = [
        ("retry-after", "2".into()),
        ("retry-after-ms", "1500".into()),
        ("x-ms-retry-after-ms", "250".into()),
    ];
    for (name, value) in forms {
        let server = Server::start([Reply::status(429).header(name, &value), Reply::status(200)]);
        let client = TestClient::fake_time(driver, Options::new());
        client.get(&server.url("/t"), &Options::new()).unwrap();
        assert_eq!(server.requests().len(), 2, "{name}");
        let want = value.parse::<f64>().unwrap() / if name == "retry-after" { 1.0 } else { 1000.0 };
        assert_eq!(client.clock.sleeps(), secs(&[want]), "{name}");
    }
    // An HTTP-date, 10 s after the response left the server (second precision), by the
    // client's clock: the client dates a response with it, fake here.
    let client = TestClient::fake_time(driver, Options::new());
    let server_clock = client.clock.clone();
    let server = Server::builder()
        .replies([])
        .handler(move |r| {
            if r.index == 0 {
                let at = server_clock.wall() + Duration::from_secs(10);
                Reply::status(429).header("retry-after", httpdate::fmt_http_date(at))
            } else {
                Reply::status(200)
            }
        })
        .build();
    client.get(&server.url("/d"), &Options::new()).unwrap();
    let sleeps = client.clock.sleeps();
    assert_eq!(sleeps.len(), 1);
    assert!(
        sleeps[0] > Duration::from_secs(8) && sleeps[0] <= Duration::from_secs(10),
        "{sleeps:?}"
    );
    // A Retry-After longer than the cap is cut to it; garbage falls back to the backoff.
    let server = Server::start([
        Reply::status(429).header("retry-after", "86400"),
        Reply::status(429).header("retry-after", "soon"),
        Reply::status(200),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    let capped = RetryOptions::new().with_retry_after_max(Duration::from_secs(30));
    client
        .get(&server.url("/c"), &Options::new().with_retry(capped))
        .unwrap();
    assert_eq!(client.clock.sleeps(), secs(&[30.0, 1.6]));
});

both_drivers!(a_retry_after_past_the_deadline_fails_at_once, |driver| {
    let server = Server::start([Reply::status(503).header("retry-after", "120")]);
    let client =
        TestClient::fake_time(driver, Options::new().with_timeout(Duration::from_secs(60)));
    let err = client.get(&server.url("/d"), &Options::new()).unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        err.to_string()
            .contains("would pass the operation's deadline"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
    assert!(client.clock.sleeps().is_empty());
});

both_drivers!(
    an_idempotency_key_makes_post_retryable_with_one_key,
    |driver| {
        let server = Server::start([Reply::reset(), Reply::status(503), Reply::status(201)]);
        let client = TestClient::fake_time(driver, Options::new());
        let keyed = Options::new()
            .with_retry(RetryOptions::new().with_idempotency_key(IdempotencyKey::IdempotencyKey));
        let got = client.send(post(&server.url("/k")), &keyed).unwrap();
        assert_eq!(got.status.as_u16(), 201);
        let seen = server.requests();
        assert_eq!(seen.len(), 3);
        let key = seen[0].header("idempotency-key").unwrap().to_owned();
        assert_eq!(key.len(), 36);
        assert!(seen
            .iter()
            .all(|r| r.header("idempotency-key") == Some(&key) && r.body == "payload"));
    }
);

both_drivers!(repeatability_headers_on_the_wire, |driver| {
    let server = Server::start([Reply::status(500), Reply::status(200)]);
    let client = TestClient::fake_time(driver, Options::new());
    let keyed = Options::new()
        .with_retry(RetryOptions::new().with_idempotency_key(IdempotencyKey::Repeatability));
    client.send(post(&server.url("/k")), &keyed).unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    for name in ["repeatability-request-id", "repeatability-first-sent"] {
        assert!(seen[0].header(name).is_some(), "{name}");
        assert_eq!(seen[0].header(name), seen[1].header(name), "{name}");
    }
    let first = seen[0].header("repeatability-first-sent").unwrap();
    assert!(httpdate::parse_http_date(first).is_ok(), "{first}");
});

both_drivers!(jittered_waits_are_exact_on_the_fake_clock, |driver| {
    let server = Server::builder().handler(|_| Reply::status(503)).build();
    let jitter = RetryOptions::new()
        .with_jitter(Jitter::Equal)
        .with_random(SharedRandom::fixed(0.5));
    let client = TestClient::fake_time(driver, Options::new().with_retry(jitter));
    client.get(&server.url("/j"), &Options::new()).unwrap_err();
    assert_eq!(client.clock.sleeps(), secs(&[0.0, 1.2, 2.4]));
});

#[test]
fn one_budget_is_shared_by_both_drivers() {
    support::bounded(|| {
        let server = Server::builder().handler(|_| Reply::status(503)).build();
        let budget = RetryBudget::new().with_capacity(15).with_retry_cost(5);
        let options = Options::new().with_retry(RetryOptions::new().with_budget(budget.clone()));
        let a = TestClient::fake_time(Driver::Async, options.clone());
        let b = TestClient::fake_time(Driver::Blocking, options);
        // Three retries drain the bucket through the async client ...
        let err = a.get(&server.url("/1"), &Options::new()).unwrap_err();
        assert_eq!(err.retry_history().len(), 4);
        assert_eq!(budget.available(), 0);
        // ... so the blocking client gets none.
        let err = b.get(&server.url("/2"), &Options::new()).unwrap_err();
        assert_eq!(err.retry_history().len(), 1);
        assert_eq!(server.requests().len(), 5);
    });
}

both_drivers!(a_client_budget_stops_a_storm_across_calls, |driver| {
    let server = Server::builder().handler(|_| Reply::status(503)).build();
    let budget = RetryBudget::new().with_capacity(20).with_retry_cost(5);
    let client = TestClient::fake_time(
        driver,
        Options::new().with_retry(RetryOptions::new().with_budget(budget)),
    );
    let sent: Vec<usize> = (0..3)
        .map(|_| {
            client
                .get(&server.url("/b"), &Options::new())
                .unwrap_err()
                .retry_history()
                .len()
        })
        .collect();
    // 4 retries fit in 20 tokens: 3 for the first call, 1 for the second, none after.
    assert_eq!(sent, [4, 2, 1]);
    assert_eq!(server.requests().len(), 7);
});

both_drivers!(
    a_retry_after_date_is_read_against_the_clients_clock,
    |driver| {
        // The fake wall clock an hour ahead of the real one, on a whole second (HTTP-dates
        // have no fraction): a date 10 s after it is a 10 s wait by the client's clock, and
        // an hour and 10 s by the system's, which the transport used to date responses with.
        let client = TestClient::fake_time(driver, Options::new());
        let past_second = client
            .clock
            .wall()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let to_next_second = Duration::from_nanos(u64::from(1_000_000_000 - past_second));
        client
            .clock
            .advance(Duration::from_secs(3600) + to_next_second);
        let fake_now = client.clock.wall();
        assert!(fake_now > SystemTime::now() + Duration::from_secs(3000));
        let at = httpdate::fmt_http_date(fake_now + Duration::from_secs(10));
        let server = Server::start([
            Reply::status(503).header("retry-after", &at),
            Reply::status(200).body("done"),
        ]);
        // A cap above the real-clock reading, so that reading would show as a longer wait.
        let opts = Options::new()
            .with_retry(RetryOptions::new().with_retry_after_max(Duration::from_secs(7200)));
        let got = client.get(&server.url("/date"), &opts).unwrap();
        assert_eq!(got.status.as_u16(), 200);
        assert_eq!(got.body, "done");
        assert_eq!(server.requests().len(), 2);
        assert_eq!(client.clock.sleeps(), secs(&[10.0]));
    }
);
