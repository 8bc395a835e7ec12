//! `AZURE_SDK_LOGGING_MULTIRECORD` (reference §3.7): a client built while it is set to anything
//! but the empty string logs one record per line; options still win. Environment variables are
//! process-global, so this binary holds one test (per driver) and serializes them with a lock.

mod support;

use std::sync::{Arc, Mutex, PoisonError};

use clientcore::policies::log::{log_fn, Level};
use clientcore::Options;
use support::{Reply, Server, TestClient};

/// Serializes the tests of this binary: they change the process environment.
static ENV: Mutex<()> = Mutex::new(());

const VAR: &str = "AZURE_SDK_LOGGING_MULTIRECORD";

/// How many records one logged GET gives with the client built under `value` and `options`.
fn records_per_call(driver: support::Driver, value: Option<&str>, options: Options) -> usize {
    match value {
        Some(v) => std::env::set_var(VAR, v),
        None => std::env::remove_var(VAR),
    }
    let records = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = {
        let records = records.clone();
        log_fn(move |_: Level, r: &str| records.lock().unwrap().push(r.to_owned()))
    };
    let client = TestClient::new(driver, options.with_logger(sink));
    // Read when the client is built: changing it afterwards changes nothing.
    std::env::remove_var(VAR);
    let server = Server::start([Reply::status(200)]);
    client.get(&server.url("/e"), &Options::new()).unwrap();
    let n = records.lock().unwrap().len();
    n
}

both_drivers!(
    the_variable_splits_records_when_set_and_not_empty,
    |driver| {
        let _env = ENV.lock().unwrap_or_else(PoisonError::into_inner);
        let single = records_per_call(driver, None, Options::new());
        assert_eq!(single, 2, "one request record, one response record");
        assert!(
            records_per_call(driver, Some("1"), Options::new()) > single,
            "set: one record per line"
        );
        assert_eq!(records_per_call(driver, Some(""), Options::new()), single);
        assert_eq!(
            records_per_call(
                driver,
                Some("yes"),
                Options::new().with_logging_multirecord(false)
            ),
            single,
            "the client's option wins over the variable"
        );
    }
);
