//! Stalled-stream protection (issue 17): a body the caller streams or reads whole that brings
//! less than the least throughput over the grace window fails as a timeout, instead of a
//! byte now and then keeping the download alive for ever; a slow but steady body, or a
//! caller that pauses between reads, is not cut. Real time, scaled down: a 300 ms grace.

use std::time::{Duration, Instant};

use clientcore::options::StallProtection;
use clientcore::{ErrorKind, Options, Request};
use http::Method;

use crate::server::{RawServer, Script};
use crate::support::{Driver, TestClient};

const GRACE: Duration = Duration::from_millis(300);

/// At least 20 bytes/s over 300 ms: 6 bytes per window.
fn protection() -> StallProtection {
    StallProtection {
        min_bytes_per_sec: 20,
        grace: GRACE,
    }
}

/// A head announcing `head_bytes + trickled.len()` bytes, `head_bytes` bytes at once, then
/// the rest one byte every `every`.
fn trickling(head_bytes: usize, trickled: usize, every: Duration) -> Script {
    let len = (head_bytes + trickled).to_string();
    Script::head(200, &[("content-length", &len)])
        .write(vec![b'a'; head_bytes])
        .trickle(vec![b'b'; trickled], every)
}

fn get(url: &str) -> Request<clientcore::Body> {
    Request::new(Method::GET, url.parse().unwrap())
}

both_drivers!(
    a_body_that_sends_a_byte_now_and_then_fails_after_the_grace_window,
    |driver| {
        // The scaled "byte every 299 s under a 300 s read timeout": a byte every 2 s, each
        // read well within the read timeout, but 1 byte per window of 6 due.
        let server = RawServer::start([trickling(10, 5, Duration::from_secs(2))]);
        let client = TestClient::new(
            driver,
            Options::new().with_stall_protection(Some(protection())),
        );
        let started = Instant::now();
        let err = client
            .stream(get(&server.url("/drip")), &Options::new())
            .unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
        assert!(err.is_timeout());
        assert!(err.to_string().contains("stalled"), "{err}");
        assert!(took >= Duration::from_millis(250), "{took:?}");
        assert!(took < Duration::from_millis(1_500), "cut late: {took:?}");
    }
);

both_drivers!(
    a_body_below_the_least_throughput_fails_though_bytes_keep_coming,
    |driver| {
        // A byte every 100 ms (10 bytes/s) against at least 20 bytes/s set for the call: the
        // reads never wait long, yet the first window (6 bytes due, 3 come) runs out.
        let server = RawServer::start([trickling(0, 100, Duration::from_millis(100))]);
        let client = TestClient::new(driver, Options::new());
        let started = Instant::now();
        let err = client
            .stream(
                get(&server.url("/slow")),
                &Options::new().with_stall_protection(Some(protection())),
            )
            .unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
        assert!(took >= Duration::from_millis(250), "{took:?}");
        assert!(took < Duration::from_millis(1_500), "cut late: {took:?}");
    }
);

both_drivers!(
    a_slow_but_steady_body_and_a_caller_that_pauses_are_not_cut,
    |driver| {
        // 60 bytes at one per 20 ms (50 bytes/s, over the 20 set): 1.2 s of body, four grace
        // windows, all read; and the caller's own pause of twice the grace between two blocks
        // is not counted against the server.
        let server = RawServer::start([trickling(0, 60, Duration::from_millis(20))]);
        let client = TestClient::new(
            driver,
            Options::new()
                .with_stall_protection(Some(protection()))
                .with_block_size(10),
        );
        let started = Instant::now();
        let mut got = Vec::new();
        match driver {
            Driver::Async => {
                let c = client.async_client().clone();
                let url = server.url("/steady");
                got = client
                    .block_on(async move {
                        let mut r = c.send(get(&url), &Options::new()).await?;
                        let mut all = Vec::new();
                        let mut first = true;
                        while let Some(b) = r.next_block().await? {
                            all.extend_from_slice(&b);
                            if std::mem::take(&mut first) {
                                tokio::time::sleep(2 * GRACE).await;
                            }
                        }
                        Ok::<_, clientcore::Error>(all)
                    })
                    .unwrap();
            }
            Driver::Blocking => {
                let mut r = client
                    .blocking_client()
                    .send(get(&server.url("/steady")), &Options::new())
                    .unwrap();
                let mut first = true;
                while let Some(b) = r.next_block().unwrap() {
                    got.extend_from_slice(&b);
                    if std::mem::take(&mut first) {
                        std::thread::sleep(2 * GRACE);
                    }
                }
            }
        }
        assert_eq!(got, vec![b'b'; 60]);
        assert!(started.elapsed() >= Duration::from_millis(1_100));
    }
);

both_drivers!(
    a_call_turns_off_the_clients_protection_and_reads_a_slow_body_whole,
    |driver| {
        // 5 bytes at one per 400 ms: stalled for the client's protection, read whole by a call
        // that turns it off.
        let server = RawServer::start([trickling(0, 5, Duration::from_millis(400))]);
        let client = TestClient::new(
            driver,
            Options::new().with_stall_protection(Some(protection())),
        );
        let got = client
            .get(
                &server.url("/off"),
                &Options::new().with_stall_protection(None),
            )
            .unwrap();
        assert_eq!(&got.body[..], b"bbbbb");
    }
);

both_drivers!(reading_the_body_whole_is_protected_too, |driver| {
    // `read` / `read_all` rather than blocks: the same stall, the same error.
    let server = RawServer::start([trickling(3, 5, Duration::from_secs(2))]);
    let client = TestClient::new(
        driver,
        Options::new().with_stall_protection(Some(protection())),
    );
    let started = Instant::now();
    let err = client
        .get(&server.url("/whole"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1_500));
});
