//! What the example clients' tests share, over clientcore's own test harness
//! (`crates/clientcore/tests/support`, included by each test file as `mod support`).

#![allow(dead_code, unreachable_pub, reason = "each test file uses part of it")]

use clientcore::Error;
use clientcore_examples::operation::Operation;

use crate::support::{Driver, TestClient};

/// Sends `op` through the client of the test's driver.
pub fn run<T>(client: &TestClient, op: Operation<T>) -> Result<T, Error> {
    match client.driver() {
        Driver::Async => client.block_on(op.send(client.async_client())),
        Driver::Blocking => op.send_blocking(client.blocking_client()),
    }
}

/// The Blob, Queue and Table endpoints of a running Azurite, or `None` (after saying how to start
/// it) when none answers on 127.0.0.1. Under `CI=true` a missing Azurite fails the test
/// instead: CI starts one, so its absence is a broken run, not a skip.
pub fn azurite() -> Option<Azurite> {
    let up = [10000, 10001, 10002].iter().all(|port| {
        std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], *port)),
            std::time::Duration::from_secs(1),
        )
        .is_ok()
    });
    if up {
        return Some(Azurite {
            blob: "http://127.0.0.1:10000/devstoreaccount1".parse().unwrap(),
            queue: "http://127.0.0.1:10001/devstoreaccount1".parse().unwrap(),
            table: "http://127.0.0.1:10002/devstoreaccount1".parse().unwrap(),
        });
    }
    let how = "Azurite is not running on 127.0.0.1:10000 (blob), 10001 (queue) and 10002 (table): \
               start it with `.ci/azurite-ctl start` (it installs the pinned version with npm), \
               stop it with `.ci/azurite-ctl stop`";
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{how} (CI=true: a missing Azurite fails the run)"
    );
    eprintln!("skipped: {how}");
    None
}

/// Where Azurite's services are.
pub struct Azurite {
    pub blob: url::Url,
    pub queue: url::Url,
    pub table: url::Url,
}

/// A name no other test (or earlier run against the same Azurite) uses: lowercase letters
/// and digits, valid for containers and tables alike.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}{}x{nanos}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
