//! A `Retry-After` too large to represent means "longer than the cap": the call waits the
//! cap, or fails at once when the cap lies past its deadline; it is never retried at once.

use std::time::Duration;

use clientcore::{ErrorKind, Options, RetryOptions};

use crate::server::{RawServer, Script};
use crate::support::TestClient;

both_drivers!(a_huge_retry_after_waits_the_cap, |driver| {
    for (name, value) in [
        ("retry-after", "1e20"),
        ("retry-after", "99999999999999999999999"),
        ("x-ms-retry-after-ms", "1e30"),
    ] {
        let server = RawServer::start([
            Script::response(503, &[(name, value)], "busy"),
            Script::ok("done"),
        ]);
        let retry = RetryOptions::new().with_retry_after_max(Duration::from_secs(7));
        // On the fake clock: the wait is recorded, not slept.
        let c = TestClient::fake_time(driver, Options::new().with_retry(retry));
        let got = c.get(&server.url("/x"), &Options::new()).unwrap();
        assert_eq!(got.body, "done");
        assert_eq!(got.retries.len(), 1, "{name}: {value}");
        assert_eq!(
            got.retries[0].wait,
            Some(Duration::from_secs(7)),
            "{name}: {value}"
        );
    }
});

both_drivers!(a_huge_retry_after_past_the_deadline_fails_fast, |driver| {
    let server = RawServer::start([
        Script::response(503, &[("retry-after", "1e20")], "busy"),
        Script::ok("too late"),
    ]);
    let options = Options::new().with_timeout(Duration::from_secs(60));
    let c = TestClient::fake_time(driver, options);
    let err = c.get(&server.url("/x"), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout);
    assert!(
        err.to_string()
            .contains("would pass the operation's deadline"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1, "retried at once");
});
