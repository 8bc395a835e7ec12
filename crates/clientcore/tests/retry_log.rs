//! Why a request was retried, or not, is one log line per decision (target
//! `clientcore::retry`), and the same reason is on the attempt's record. A retry is INFO,
//! giving up on a failure that would have been retried is WARN, a failure that is not for
//! retrying is DEBUG; the request and response records (target `clientcore::http`) are DEBUG.

mod support;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clientcore::pipeline::retry::RetryDecision;
use clientcore::{Options, Request, RetryOptions};
use http::Method;
use support::{Reply, Server, TestClient};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

/// Every event of target `clientcore::retry`: its level and message.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<(Level, String)>>>);

/// Every event of clientcore's targets: its target, level and first line.
#[derive(Clone, Default)]
struct AllEvents(Arc<Mutex<Vec<(String, Level, String)>>>);

impl<S: Subscriber> Layer<S> for AllEvents {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let target = event.metadata().target();
        if target.starts_with("clientcore") {
            let mut m = Message(String::new());
            event.record(&mut m);
            let first = m.0.lines().next().unwrap_or("").to_owned();
            self.0
                .lock()
                .unwrap()
                .push((target.to_owned(), *event.metadata().level(), first));
        }
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for Events {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "clientcore::retry" {
            let mut m = Message(String::new());
            event.record(&mut m);
            self.0
                .lock()
                .unwrap()
                .push((*event.metadata().level(), m.0));
        }
    }
}

both_drivers!(each_retry_decision_is_one_line_and_a_record, |driver| {
    let server = Server::start([
        Reply::status(503).body("busy"),
        Reply::status(400).body("bad"),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());
    let err = tracing::subscriber::with_default(subscriber, || {
        let request = Request::new(Method::GET, server.url("/x").parse().unwrap());
        client.send(request, &Options::new()).unwrap_err()
    });
    let decisions: Vec<_> = err.retry_history().iter().map(|r| r.decision).collect();
    assert_eq!(
        decisions,
        [RetryDecision::Backoff, RetryDecision::NotRetryable]
    );
    let logged = events.0.lock().unwrap().clone();
    assert_eq!(
        logged,
        [
            (
                Level::INFO,
                "attempt 1 (Status(503)): retried after the backoff, in 0.000s".to_owned()
            ),
            (
                Level::DEBUG,
                "attempt 2 (Status(400)): not retried: the failure is not retryable".to_owned()
            ),
        ]
    );
});

both_drivers!(giving_up_when_retries_are_spent_is_a_warn_line, |driver| {
    let server = Server::start([Reply::status(503), Reply::status(503)]);
    let client = TestClient::fake_time(driver, Options::new());
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());
    let opts = Options::new().with_retry(RetryOptions::new().with_total(1));
    let err = tracing::subscriber::with_default(subscriber, || {
        let request = Request::new(Method::GET, server.url("/x").parse().unwrap());
        client.send(request, &opts).unwrap_err()
    });
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 2);
    let logged = events.0.lock().unwrap().clone();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert_eq!(logged[0].0, Level::INFO, "{logged:?}");
    assert!(logged[0].1.starts_with("attempt 1 (Status(503)): retried"));
    assert_eq!(
        logged[1],
        (
            Level::WARN,
            "attempt 2 (Status(503)): not retried: retries exhausted".to_owned()
        )
    );
});

both_drivers!(giving_up_at_the_deadline_is_a_warn_line, |driver| {
    // The service asks for 10 s; the call has 5: the retry is decided, then given up.
    let server = Server::start([Reply::status(503).header("retry-after", "10")]);
    let client = TestClient::fake_time(driver, Options::new());
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());
    let opts = Options::new().with_timeout(Duration::from_secs(5));
    let err = tracing::subscriber::with_default(subscriber, || {
        let request = Request::new(Method::GET, server.url("/x").parse().unwrap());
        client.send(request, &opts).unwrap_err()
    });
    assert!(err.is_timeout(), "{err}");
    assert_eq!(server.requests().len(), 1);
    assert!(
        client.clock.sleeps().is_empty(),
        "no wait past the deadline"
    );
    let decisions: Vec<_> = err.retry_history().iter().map(|r| r.decision).collect();
    assert_eq!(decisions, [RetryDecision::Deadline]);
    let logged = events.0.lock().unwrap().clone();
    assert_eq!(
        logged,
        [
            (
                Level::INFO,
                "attempt 1 (Status(503)): retried after the wait the service asked for, in 10.000s"
                    .to_owned()
            ),
            (
                Level::WARN,
                "attempt 1 (Status(503)): not retried: the wait would pass the operation's deadline"
                    .to_owned()
            ),
        ]
    );
});

both_drivers!(
    request_and_response_records_reach_tracing_at_debug,
    |driver| {
        let server = Server::start([Reply::status(503), Reply::status(200)]);
        let client = TestClient::fake_time(driver, Options::new());
        let url = server.url("/x");
        let send = |client: &TestClient| {
            let request = Request::new(Method::GET, url.parse().unwrap());
            client.send(request, &Options::new()).unwrap();
        };

        // Everything: the records are DEBUG, the retry INFO.
        let all = AllEvents::default();
        tracing::subscriber::with_default(tracing_subscriber::registry().with(all.clone()), || {
            send(&client);
        });
        let logged = all.0.lock().unwrap().clone();
        let http = |level: Level, line: String| ("clientcore::http".to_owned(), level, line);
        assert_eq!(
            logged,
            [
                http(Level::DEBUG, format!("Request URL: '{url}'")),
                http(Level::DEBUG, "Response status: 503".to_owned()),
                (
                    "clientcore::retry".to_owned(),
                    Level::INFO,
                    "attempt 1 (Status(503)): retried after the backoff, in 0.000s".to_owned()
                ),
                http(Level::DEBUG, format!("Request URL: '{url}'")),
                http(Level::DEBUG, "Response status: 200".to_owned()),
            ]
        );

        // An application logging at INFO gets the retries and no records: not the headers, and
        // not the record of an attempt the transport failed (the retry line says it all).
        let server = Server::start([Reply::status(503), Reply::reset(), Reply::status(200)]);
        let url = server.url("/x");
        let info = AllEvents::default();
        let subscriber =
            tracing_subscriber::registry().with(info.clone().with_filter(LevelFilter::INFO));
        tracing::subscriber::with_default(subscriber, || {
            let request = Request::new(Method::GET, url.parse().unwrap());
            client.send(request, &Options::new()).unwrap();
        });
        let logged = info.0.lock().unwrap().clone();
        assert_eq!(logged.len(), 2, "{logged:#?}");
        assert_eq!(
            logged[0],
            (
                "clientcore::retry".to_owned(),
                Level::INFO,
                "attempt 1 (Status(503)): retried after the backoff, in 0.000s".to_owned()
            )
        );
        assert_eq!(
            (logged[1].0.as_str(), logged[1].1),
            ("clientcore::retry", Level::INFO)
        );
        assert!(logged[1].2.starts_with("attempt 2 (Error("), "{logged:#?}");
        assert_eq!(server.requests().len(), 3);
    }
);
