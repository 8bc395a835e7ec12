//! A first end-to-end check of both drivers against the testkit server.

mod support;

use std::time::Duration;

use clientcore::{ErrorKind, Options};
use support::{Driver, Reply, Server, TestClient};

both_drivers!(retries_503_then_succeeds_with_one_request_id, |driver| {
    let server = Server::start([Reply::status(503), Reply::status(200).body("hello")]);
    let client = TestClient::fake_time(driver, Options::new());
    let got = client.get(&server.url("/x"), &Options::new()).unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, "hello");
    assert_eq!(got.retries.len(), 1);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    let id0 = seen[0].header("x-ms-client-request-id").unwrap().to_owned();
    assert_eq!(id0.len(), 36);
    assert_eq!(seen[1].header("x-ms-client-request-id"), Some(id0.as_str()));
});

both_drivers!(
    not_found_is_resource_not_found_with_parsed_error,
    |driver| {
        let server = Server::start([Reply::status(404)
            .header("content-type", "application/json")
            .body(r#"{"error":{"code":"NotHere","message":"gone"}}"#)]);
        let client = TestClient::new(driver, Options::new());
        let err = client.get(&server.url("/x"), &Options::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
        assert_eq!(err.error_code(), Some("NotHere"));
        assert_eq!(
            err.to_string(),
            "(NotHere) gone\nCode: NotHere\nMessage: gone"
        );
        let _ = Driver::Async;
    }
);

both_drivers!(sequential_calls_reuse_connections, |driver| {
    // Keep-alive: twenty calls one after the other share a connection or two. hyper's pool
    // takes a connection back in a task of its own once the answer is read, so a call can
    // now and then find none idle and open another (raw hyper and reqwest alike); what must not
    // happen is a connection per call.
    let server = Server::start((0..20).map(|i| Reply::status(200).body(format!("body {i}"))));
    let client = TestClient::new(driver, Options::new());
    for i in 0..20 {
        let got = client
            .get(&server.url(&format!("/{i}")), &Options::new())
            .unwrap();
        assert_eq!(got.body, format!("body {i}"));
    }
    assert_eq!(server.requests().len(), 20);
    assert!(
        server.connections() <= 3,
        "{} connections",
        server.connections()
    );
});

both_drivers!(calls_with_other_read_timeouts_share_connections, |driver| {
    // The read timeout is kept by the transport, per wait, not by the connection: a call that sets
    // its own does not get a connection pool (and new connections) of its own.
    let server = Server::start((0..6).map(|_| Reply::status(200)));
    let client = TestClient::new(driver, Options::new());
    for s in 0..6 {
        let opts = Options::new().with_read_timeout(Duration::from_secs(30 + s));
        client.get(&server.url("/r"), &opts).unwrap();
    }
    assert_eq!(server.requests().len(), 6);
    assert!(
        server.connections() <= 2,
        "{} connections for 6 calls",
        server.connections()
    );
});
