//! Retry presets (issue 16): Azure Storage retries every method, POST and PUT included, on
//! its retryable statuses, as the Storage SDKs' `StorageRetryPolicy` does; chosen for a whole
//! client or for one operation.

mod support;

use clientcore::pipeline::retry::{RetryDecision, RetryOptions};
use clientcore::{Body, ErrorKind, Options, Request};
use http::Method;
use support::{Reply, Server, TestClient};

fn post(server: &Server) -> Request<Body> {
    Request::new(Method::POST, server.url("/queue/messages").parse().unwrap())
        .with_body(Body::from("<QueueMessage/>"))
}

both_drivers!(
    a_post_is_retried_on_503_under_the_storage_preset_per_operation,
    |driver| {
        let server = Server::start([Reply::status(503).body("busy"), Reply::status(201)]);
        let client = TestClient::fake_time(driver, Options::new());
        let got = client
            .send(
                post(&server),
                &Options::new().with_retry(RetryOptions::storage()),
            )
            .unwrap();
        assert_eq!(got.status, 201);
        // The server saw the POST twice, with its body both times.
        let seen = server.requests();
        assert_eq!(seen.len(), 2);
        for r in &seen {
            assert_eq!(r.method, Method::POST);
            assert_eq!(r.body, "<QueueMessage/>");
        }
        assert_eq!(got.retries.len(), 1);
        assert_eq!(got.retries[0].decision, RetryDecision::Backoff);
        assert_eq!(got.retries[0].classifier, Some("storage_status"));
    }
);

both_drivers!(a_post_is_not_retried_on_503_without_the_preset, |driver| {
    let server = Server::start([Reply::status(503).body("busy")]);
    let client = TestClient::fake_time(driver, Options::new());
    let err = client.send(post(&server), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpResponse);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1);
    let history = err.retry_history();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].decision, RetryDecision::NotIdempotent);
    assert_eq!(history[0].classifier, Some("idempotency"));
    assert!(client.clock.sleeps().is_empty());
});

both_drivers!(
    the_storage_preset_set_on_the_client_applies_to_every_call,
    |driver| {
        let server = Server::start([
            Reply::status(500).body("oops"),
            Reply::status(201),
            // Storage throttles with 503; a 429 is not one of its retryable statuses.
            Reply::status(429).body("slow down"),
        ]);
        let client =
            TestClient::fake_time(driver, Options::new().with_retry(RetryOptions::storage()));
        let got = client.send(post(&server), &Options::new()).unwrap();
        assert_eq!(got.status, 201);
        assert_eq!(server.requests().len(), 2);

        let err = client.send(post(&server), &Options::new()).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
        assert_eq!(server.requests().len(), 3);
        assert_eq!(err.retry_history()[0].decision, RetryDecision::NotRetryable);
        assert_eq!(err.retry_history()[0].classifier, None);
    }
);
