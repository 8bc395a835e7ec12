//! Why a request was retried, or not, is one DEBUG log line per decision (target
//! `clientcore::retry`), and the same reason is on the attempt's record.

mod support;

use std::fmt;
use std::sync::{Arc, Mutex};

use clientcore::pipeline::retry::RetryDecision;
use clientcore::{Options, Request};
use http::Method;
use support::{Reply, Server, TestClient};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

/// Every event of target `clientcore::retry`: its level and message.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<(Level, String)>>>);

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

both_drivers!(
    each_retry_decision_is_one_debug_line_and_a_record,
    |driver| {
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
                    Level::DEBUG,
                    "attempt 1 (Status(503)): retried after the backoff, in 0.000s".to_owned()
                ),
                (
                    Level::DEBUG,
                    "attempt 2 (Status(400)): not retried: the failure is not retryable".to_owned()
                ),
            ]
        );
    }
);
