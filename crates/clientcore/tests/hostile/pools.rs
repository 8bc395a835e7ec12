//! Pools that do not thrash: a setting that only matters while connecting (the connect
//! timeout) does not split the connection pools, so calls that vary it keep one connection.

use std::time::Duration;

use clientcore::{ErrorKind, Options, RetryOptions};

use crate::server::{RawServer, Script};
use crate::support::TestClient;

/// hyper's pool takes a connection back in a task of its own: a call made the instant the
/// last one ended may find none idle and open another. A short pause rules that out, so one
/// connection means one pool.
const SETTLE: Duration = Duration::from_millis(30);

both_drivers!(forty_connect_timeouts_one_connection, |driver| {
    let server = RawServer::repeat(Script::ok("ok"));
    let client = TestClient::new(driver, Options::new().with_retry(RetryOptions::none()));
    for i in 1..=40 {
        let call = Options::new().with_connection_timeout(Duration::from_millis(1_000 + i));
        let got = client.get(&server.url(&format!("/{i}")), &call).unwrap();
        assert_eq!(got.body, "ok");
        std::thread::sleep(SETTLE);
    }
    assert_eq!(server.requests().len(), 40);
    assert_eq!(
        server.connections(),
        1,
        "calls that differ in their connect timeout share one connection"
    );
});

both_drivers!(each_call_connects_within_its_own_timeout, |driver| {
    // A listener that never accepts: the kernel completes the TCP handshake, and the TLS
    // handshake then gets no answer, which only the connect timeout ends. The client's
    // connect timeout is long; the call's short one must apply, on the pool the client's
    // first call set up.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = RawServer::repeat(Script::ok("ok"));
    let client = TestClient::new(
        driver,
        Options::new()
            .with_connection_timeout(Duration::from_secs(20))
            .with_retry(RetryOptions::none()),
    );
    client.get(&server.url("/warm"), &Options::new()).unwrap();
    let started = std::time::Instant::now();
    let err = client
        .get(
            &format!("https://{}/", silent.local_addr().unwrap()),
            &Options::new().with_connection_timeout(Duration::from_millis(300)),
        )
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::ServiceRequestTimeout, "{err:?}");
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // And the other way round: the client's long timeout is back for the next call.
    let got = client.get(&server.url("/after"), &Options::new()).unwrap();
    assert_eq!(got.body, "ok");
});
