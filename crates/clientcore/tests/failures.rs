//! The failure model through the real default transport: which `ErrorKind` each transport
//! failure becomes (python-reference.md §1.6), what an error status looks like, and per-call
//! transport settings on one client (one connection pool per distinct `TransportConfig`).

mod support;

use std::time::Duration;

use clientcore::pipeline::retry::AttemptOutcome;
use clientcore::{Body, ErrorKind, Options, Request, RetryOptions};
use http::Method;
use support::{Reply, Server, TestClient};

/// A `127.0.0.1` URL whose port nobody listens on: bound, then released.
fn closed_port_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}{path}")
}

fn no_retries() -> Options {
    Options::new().with_retry(RetryOptions::none())
}

both_drivers!(connection_refused_is_service_request, |driver| {
    let client = TestClient::new(driver, no_retries());
    let err = client
        .get(&closed_port_url("/x"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(err.is_service_request());
    assert!(!err.is_service_response());
    assert!(!err.is_timeout());
    assert!(!err.is_http_response());
    assert_eq!(err.status(), None);
    assert!(
        std::error::Error::source(&err).is_some(),
        "the cause is kept"
    );
});

both_drivers!(reset_before_headers_is_service_response, |driver| {
    let server = Server::start([Reply::reset()]);
    let client = TestClient::new(driver, no_retries());
    let err = client
        .get(&server.url("/reset"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceResponse, "{err:?}");
    assert!(err.is_service_response());
    assert!(!err.is_service_request());
    assert_eq!(err.status(), None);
    let seen = server.requests();
    assert_eq!(seen.len(), 1, "the request was sent before the reset");
    assert_eq!(seen[0].path, "/reset");
});

both_drivers!(reset_is_retried_for_get_but_not_for_post, |driver| {
    let server = Server::start([
        Reply::reset(),
        Reply::status(200).body("second time lucky"),
        Reply::reset(),
    ]);
    let client = TestClient::fake_time(driver, Options::new());

    let got = client.get(&server.url("/get"), &Options::new()).unwrap();
    assert_eq!(got.body, "second time lucky");
    assert_eq!(got.retries.len(), 1);
    assert_eq!(
        got.retries[0].outcome,
        AttemptOutcome::Error(ErrorKind::ServiceResponse)
    );

    // A POST that reached the server is not sent again: it might have been applied.
    let post = Request::new(Method::POST, server.url("/post").parse().unwrap())
        .with_body(Body::from("payload"));
    let err = client.send(post, &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceResponse, "{err:?}");

    let seen = server.requests();
    let paths: Vec<_> = seen.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/get", "/get", "/post"]);
    assert_eq!(seen[2].body, "payload");
});

both_drivers!(garbage_response_is_service_response, |driver| {
    let server = Server::start([Reply::raw(&b"garbage"[..])]);
    let client = TestClient::new(driver, no_retries());
    let err = client.get(&server.url("/x"), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceResponse, "{err:?}");
    assert!(!err.is_http_response());
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(malformed_status_line_is_service_response, |driver| {
    let server = Server::start([Reply::raw(
        &b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\nbody"[..],
    )]);
    let client = TestClient::new(driver, no_retries());
    let err = client.get(&server.url("/x"), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceResponse, "{err:?}");
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(html_500_is_http_response_error_with_content, |driver| {
    let html = "<html><body><h1>boom</h1></body></html>";
    let server = Server::start([Reply::status(500)
        .header("content-type", "text/html")
        .body(html)]);
    let client = TestClient::new(driver, no_retries());
    let err = client.get(&server.url("/x"), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpResponse, "{err:?}");
    assert!(err.is_http_response());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.reason(), Some("Internal Server Error"));
    assert_eq!(
        err.message(),
        "Operation returned an invalid status 'Internal Server Error'"
    );
    assert_eq!(
        err.to_string(),
        format!("Operation returned an invalid status 'Internal Server Error'\nContent: {html}")
    );
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(custom_reason_phrase_reaches_the_error, |driver| {
    let server = Server::start([Reply::status(500).reason("Kaput").body("<html>x</html>")]);
    let client = TestClient::new(driver, no_retries());
    let err = client.get(&server.url("/x"), &Options::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Operation returned an invalid status 'Kaput'\nContent: <html>x</html>"
    );
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(per_call_read_timeouts_on_one_client, |driver| {
    // Both replies take 400 ms to start: the 150 ms call times out, the 5 s call does not.
    let server = Server::start([
        Reply::status(200)
            .body("late")
            .delay(Duration::from_millis(400)),
        Reply::status(200)
            .body("late")
            .delay(Duration::from_millis(400)),
    ]);
    let client = TestClient::new(driver, no_retries());
    let short = Options::new().with_read_timeout(Duration::from_millis(150));
    let long = Options::new().with_read_timeout(Duration::from_secs(5));

    let err = client.get(&server.url("/short"), &short).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
    let got = client.get(&server.url("/long"), &long).unwrap();
    assert_eq!(got.body, "late");

    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/short", "/long"]);
});

both_drivers!(one_connection_pool_per_transport_config, |driver| {
    let server = Server::start((0..4).map(|i| Reply::status(200).body(format!("r{i}"))));
    let client = TestClient::new(driver, Options::new());
    let default = Options::new();
    // TLS verification belongs to a pool's connections (the timeouts do not: the transport
    // takes them per call, and calls differing only in them share a pool; see smoke.rs and
    // hostile/pools.rs). It splits pools for an http:// target too.
    let other = Options::new().with_connection_verify(clientcore::Verify::Off);

    for (path, opts) in [
        ("/a", &default),
        ("/b", &default),
        ("/c", &other),
        ("/d", &default),
    ] {
        client.get(&server.url(path), opts).unwrap();
    }

    let seen = server.requests();
    let conns: Vec<_> = seen.iter().map(|r| r.connection).collect();
    // Same settings share one pooled connection; different settings get a pool of their
    // own, so a new connection; going back reuses the first pool.
    assert_eq!(conns[0], conns[1], "{conns:?}");
    assert_ne!(conns[2], conns[0], "{conns:?}");
    assert_eq!(conns[3], conns[0], "{conns:?}");
    assert_eq!(server.connections(), 2);
});
