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
