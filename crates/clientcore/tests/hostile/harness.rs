//! The harness itself: the raw server answers as scripted and records what it saw, under
//! both drivers.

use std::time::Duration;

use clientcore::{Options, Request, RetryOptions};
use http::Method;

use crate::server::{RawServer, Script};
use crate::support::TestClient;

both_drivers!(records_the_request_and_plays_the_script, |driver| {
    let server = RawServer::start([
        Script::head(200, &[("content-length", "5")]).trickle("hello", Duration::from_millis(5)),
        Script::ok("again"),
    ]);
    let client = TestClient::new(driver, Options::new().with_retry(RetryOptions::none()));
    let got = client.get(&server.url("/a?b=c"), &Options::new()).unwrap();
    assert_eq!(got.body, "hello");
    // hyper's pool takes a connection back in a task of its own: give it that moment, or the
    // next call may find none idle and open another.
    std::thread::sleep(Duration::from_millis(50));
    let mut request = Request::new(Method::PUT, server.url("/put").parse().unwrap());
    request.body = clientcore::Body::from("payload");
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(got.body, "again");
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].request_line, "GET /a?b=c HTTP/1.1");
    assert_eq!(
        seen[0].header("host"),
        Some(server.addr().to_string().as_str())
    );
    assert_eq!(seen[1].method, "PUT");
    assert_eq!(seen[1].body, b"payload");
    assert_eq!(server.connections(), 1, "the connection was kept");
});
