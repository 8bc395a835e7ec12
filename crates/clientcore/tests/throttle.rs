//! The shared throttle gate per host (issue 17), end to end under both drivers: a response that
//! says a host's window is spent makes the client's other calls to that host wait (the server
//! sees nothing from them in the window), other hosts are not held, a call can opt out, a
//! deadline shorter than the window fails at once without sending, each header shape closes
//! the gate for its own time, and hostile values are capped or ignored. Time is the fake clock
//! except where calls run concurrently; the server notes the fake time of each request it gets.

mod support;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clientcore::policies::log::{log_fn, Level};
use clientcore::time::Clock as _;
use clientcore::{ErrorKind, Options, RetryOptions};
use clientcore_testkit::FakeClock;
use support::{Driver, Reply, Server, TestClient};
use tracing::field::{Field, Visit};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

const S: fn(u64) -> Duration = Duration::from_secs;

/// No retries: the throttled call ends with its 429, so that what follows is another call's.
fn no_retry() -> Options {
    Options::new().with_retry(RetryOptions::new().with_total(0))
}

/// A server that answers its first request with `first` and every later one 200, noting the
/// client's fake time (elapsed) at each request.
fn throttling(first: Reply, clock: &FakeClock) -> (Server, Arc<Mutex<Vec<Duration>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s, c) = (seen.clone(), clock.clone());
    let first = Mutex::new(Some(first));
    let server = Server::builder()
        .handler(move |_| {
            s.lock().unwrap().push(c.elapsed());
            first
                .lock()
                .unwrap()
                .take()
                .unwrap_or_else(|| Reply::status(200).body("ok"))
        })
        .build();
    (server, seen)
}

fn throttled_429(retry_after: &str) -> Reply {
    Reply::status(429).header("retry-after", retry_after)
}

// The first call is throttled; the second waits out the window before the server sees it.
both_drivers!(
    a_429_holds_the_next_call_to_the_host_for_its_window,
    |driver| {
        let client = TestClient::fake_time(driver, Options::new());
        let (server, seen) = throttling(throttled_429("2"), &client.clock);
        let err = client.get(&server.url("/a"), &no_retry()).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
        let got = client.get(&server.url("/b"), &Options::new()).unwrap();
        assert_eq!(got.status.as_u16(), 200);
        // The second call slept the window and only then reached the server.
        assert_eq!(client.clock.sleeps(), [S(2)]);
        assert_eq!(*seen.lock().unwrap(), [S(0), S(2)]);
        assert_eq!(got.retries.len(), 0, "the wait is not a retry");
    }
);

// The throttled call's own retry waits the `Retry-After` once, not once more at the gate.
both_drivers!(the_throttled_call_itself_waits_once, |driver| {
    let client = TestClient::fake_time(driver, Options::new());
    let (server, seen) = throttling(throttled_429("2"), &client.clock);
    let got = client.get(&server.url("/a"), &Options::new()).unwrap();
    assert_eq!(got.status.as_u16(), 200);
    assert_eq!(client.clock.sleeps(), [S(2)]);
    assert_eq!(*seen.lock().unwrap(), [S(0), S(2)]);
});

// Concurrent calls, real time: none reaches the server before the window reopens.
both_drivers!(
    concurrent_calls_wait_and_the_server_sees_none_in_the_window,
    |driver| {
        let client = TestClient::new(driver, Options::new());
        let seen: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let s = seen.clone();
        let server = Server::builder()
            .handler(move |r| {
                s.lock().unwrap().push(Instant::now());
                if r.index == 0 {
                    Reply::status(429).header("retry-after", "1")
                } else {
                    Reply::status(200).body("ok")
                }
            })
            .build();
        let url = server.url("/x");
        let err = client.get(&url, &no_retry()).unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
        let throttled_at = seen.lock().unwrap()[0];
        let statuses: Vec<u16> = match driver {
            Driver::Async => {
                let c = client.async_client().clone();
                client.block_on(async move {
                    let tasks: Vec<_> = (0..4)
                        .map(|_| {
                            let (c, url) = (c.clone(), url.clone());
                            tokio::spawn(async move {
                                let req = clientcore::Request::new(
                                    http::Method::GET,
                                    url.parse().unwrap(),
                                );
                                c.send(req, &Options::new())
                                    .await
                                    .unwrap()
                                    .status()
                                    .as_u16()
                            })
                        })
                        .collect();
                    let mut out = Vec::new();
                    for t in tasks {
                        out.push(t.await.unwrap());
                    }
                    out
                })
            }
            Driver::Blocking => {
                let c = client.blocking_client().clone();
                let threads: Vec<_> = (0..4)
                    .map(|_| {
                        let (c, url) = (c.clone(), url.clone());
                        std::thread::spawn(move || {
                            let req =
                                clientcore::Request::new(http::Method::GET, url.parse().unwrap());
                            c.send(req, &Options::new()).unwrap().status().as_u16()
                        })
                    })
                    .collect();
                threads.into_iter().map(|t| t.join().unwrap()).collect()
            }
        };
        assert_eq!(statuses, [200; 4]);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 5, "one throttled request, then one per call");
        for at in &seen[1..] {
            assert!(
                at.duration_since(throttled_at) >= S(1),
                "a request reached the server {:?} after the 429, inside its 1 s window",
                at.duration_since(throttled_at)
            );
        }
    }
);

both_drivers!(another_host_is_not_held, |driver| {
    let client = TestClient::fake_time(driver, Options::new());
    let (busy, _) = throttling(throttled_429("30"), &client.clock);
    let (other, other_seen) = throttling(Reply::status(200).body("ok"), &client.clock);
    client.get(&busy.url("/"), &no_retry()).unwrap_err();
    let got = client.get(&other.url("/"), &Options::new()).unwrap();
    assert_eq!(got.status.as_u16(), 200);
    assert!(client.clock.sleeps().is_empty());
    assert_eq!(*other_seen.lock().unwrap(), [S(0)]);
});

both_drivers!(another_client_is_not_held, |driver| {
    let client = TestClient::fake_time(driver, Options::new());
    let (server, seen) = throttling(throttled_429("30"), &client.clock);
    client.get(&server.url("/"), &no_retry()).unwrap_err();
    let fresh = TestClient::fake_time(driver, Options::new());
    assert_eq!(
        fresh
            .get(&server.url("/"), &Options::new())
            .unwrap()
            .status
            .as_u16(),
        200
    );
    assert!(fresh.clock.sleeps().is_empty());
    assert_eq!(seen.lock().unwrap().len(), 2);
});

both_drivers!(the_gate_is_off_per_call, |driver| {
    let client = TestClient::fake_time(driver, Options::new());
    let (server, seen) = throttling(throttled_429("2"), &client.clock);
    client.get(&server.url("/"), &no_retry()).unwrap_err();
    let off = Options::new().with_throttle_gate(false);
    assert_eq!(
        client.get(&server.url("/"), &off).unwrap().status.as_u16(),
        200
    );
    assert!(
        client.clock.sleeps().is_empty(),
        "the call with the gate off did not wait"
    );
    // The others still wait.
    assert_eq!(
        client
            .get(&server.url("/"), &Options::new())
            .unwrap()
            .status
            .as_u16(),
        200
    );
    assert_eq!(client.clock.sleeps(), [S(2)]);
    assert_eq!(*seen.lock().unwrap(), [S(0), S(0), S(2)]);
});

both_drivers!(
    a_deadline_shorter_than_the_window_fails_at_once_without_sending,
    |driver| {
        let client = TestClient::fake_time(driver, Options::new());
        let (server, seen) = throttling(throttled_429("10"), &client.clock);
        client.get(&server.url("/"), &no_retry()).unwrap_err();
        let short = Options::new().with_timeout(S(3));
        let err = client.get(&server.url("/"), &short).unwrap_err();
        // The kind a first attempt that runs out of time has: a response timeout.
        assert_eq!(err.kind(), ErrorKind::ServiceResponseTimeout, "{err:?}");
        assert!(err.to_string().contains("throttle gate"), "{err}");
        assert!(client.clock.sleeps().is_empty(), "it failed at once");
        assert_eq!(seen.lock().unwrap().len(), 1, "nothing was sent");
        // A deadline longer than the window waits it.
        let long = Options::new().with_timeout(S(11));
        assert_eq!(
            client.get(&server.url("/"), &long).unwrap().status.as_u16(),
            200
        );
        assert_eq!(client.clock.sleeps(), [S(10)]);
    }
);

// Each shape of "the window is spent" holds the next call for its own time.
both_drivers!(each_header_shape_closes_the_gate, |driver| {
    // Each reply is made with the client's fake clock, for the dates and Unix times; those
    // have whole seconds, so their waits lie within a second below the time asked.
    type Shape = (
        &'static str,
        Box<dyn Fn(&FakeClock) -> Reply>,
        Duration,
        Duration,
    );
    let shapes: Vec<Shape> = vec![
        (
            "429 Retry-After",
            Box::new(|_| throttled_429("2")),
            S(2),
            S(2),
        ),
        (
            "503 Retry-After",
            Box::new(|_| Reply::status(503).header("retry-after", "3")),
            S(3),
            S(3),
        ),
        (
            "429 Retry-After as an HTTP-date",
            Box::new(|c| {
                let date = httpdate::fmt_http_date(c.wall() + S(4));
                Reply::status(429).header("retry-after", date)
            }),
            S(3),
            S(4),
        ),
        (
            "x-ms-ratelimit-remaining at 0, no Retry-After",
            Box::new(|_| {
                Reply::status(200).header("x-ms-ratelimit-remaining-subscription-reads", "0")
            }),
            S(1),
            S(1),
        ),
        (
            "x-ms-ratelimit-remaining at 0 with Retry-After",
            Box::new(|_| {
                Reply::status(429)
                    .header("x-ms-ratelimit-remaining-subscription-writes", "0")
                    .header("retry-after", "5")
            }),
            S(5),
            S(5),
        ),
        (
            "RateLimit (draft 08 and later)",
            Box::new(|_| Reply::status(200).header("ratelimit", "\"default\";r=0;t=6")),
            S(6),
            S(6),
        ),
        (
            "RateLimit-Remaining and RateLimit-Reset (older drafts)",
            Box::new(|_| {
                Reply::status(200)
                    .header("ratelimit-remaining", "0")
                    .header("ratelimit-reset", "7")
            }),
            S(7),
            S(7),
        ),
        (
            "x-ratelimit-remaining, reset in seconds",
            Box::new(|_| {
                Reply::status(200)
                    .header("x-ratelimit-remaining", "0")
                    .header("x-ratelimit-reset", "8")
            }),
            S(8),
            S(8),
        ),
        (
            "x-ratelimit-remaining, reset as a Unix time",
            Box::new(|c| {
                let at = (c.wall() + S(9))
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap();
                Reply::status(403)
                    .header("x-ratelimit-remaining", "0")
                    .header("x-ratelimit-reset", at.as_secs().to_string())
            }),
            S(8),
            S(9),
        ),
    ];
    for (name, first, above, at_most) in shapes {
        let client = TestClient::fake_time(driver, Options::new());
        let (server, seen) = throttling(first(&client.clock), &client.clock);
        let _ = client.get(&server.url("/"), &no_retry());
        client.get(&server.url("/"), &Options::new()).unwrap();
        let sleeps = client.clock.sleeps();
        assert_eq!(sleeps.len(), 1, "{name}: {sleeps:?}");
        let ok = if above == at_most {
            sleeps[0] == at_most
        } else {
            sleeps[0] > above && sleeps[0] <= at_most
        };
        assert!(ok, "{name}: waited {:?}", sleeps[0]);
        assert_eq!(seen.lock().unwrap()[1], sleeps[0], "{name}");
    }
});

both_drivers!(
    a_spent_window_that_has_budget_left_does_not_close_the_gate,
    |driver| {
        let client = TestClient::fake_time(driver, Options::new());
        let first = Reply::status(200)
            .header("x-ratelimit-remaining", "3")
            .header("x-ratelimit-reset", "60")
            .header("ratelimit", "\"default\";r=5;t=60")
            .header("x-ms-ratelimit-remaining-subscription-reads", "11999");
        let (server, _) = throttling(first, &client.clock);
        client.get(&server.url("/"), &Options::new()).unwrap();
        client.get(&server.url("/"), &Options::new()).unwrap();
        assert!(client.clock.sleeps().is_empty());
    }
);

both_drivers!(hostile_retry_after_is_capped_or_ignored, |driver| {
    // Too large: the wait is the Retry-After cap (`retry_after_max`), not centuries.
    let capped = Options::new().with_retry(RetryOptions::new().with_retry_after_max(S(60)));
    for huge in ["1e20", "99999999999999999999999", "86400"] {
        let client = TestClient::fake_time(driver, capped.clone());
        let (server, _) = throttling(throttled_429(huge), &client.clock);
        client.get(&server.url("/"), &no_retry()).unwrap_err();
        client.get(&server.url("/"), &Options::new()).unwrap();
        assert_eq!(client.clock.sleeps(), [S(60)], "{huge}");
    }
    // The default cap, 300 s, as the retry policy's.
    let client = TestClient::fake_time(driver, Options::new());
    let (server, _) = throttling(throttled_429("1e20"), &client.clock);
    client.get(&server.url("/"), &no_retry()).unwrap_err();
    client.get(&server.url("/"), &Options::new()).unwrap();
    assert_eq!(client.clock.sleeps(), [S(300)]);
    // Negative, garbage, zero, a date in the past: ignored, nobody waits.
    let past = httpdate::fmt_http_date(std::time::SystemTime::now() - S(60));
    for bad in ["-5", "soon", "NaN", "0", "inf", past.as_str()] {
        let client = TestClient::fake_time(driver, Options::new());
        let (server, seen) = throttling(throttled_429(bad), &client.clock);
        client.get(&server.url("/"), &no_retry()).unwrap_err();
        client.get(&server.url("/"), &Options::new()).unwrap();
        assert!(client.clock.sleeps().is_empty(), "{bad}");
        assert_eq!(seen.lock().unwrap().len(), 2, "{bad}");
    }
});

// ===== observable: the log lines and the span event =====

/// An event: its target, its fields, and the name of the span it was emitted in.
#[derive(Clone, Debug)]
struct Event {
    target: String,
    span: Option<&'static str>,
    fields: BTreeMap<String, String>,
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<Event>>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.0.lock().unwrap().push(Event {
            target: event.metadata().target().to_owned(),
            span: ctx.event_span(event).map(|s| s.name()),
            fields: fields.0,
        });
    }
}

both_drivers!(
    the_gate_is_logged_once_when_it_closes_and_at_each_wait,
    |driver| {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let lines = lines.clone();
            log_fn(move |level: Level, record: &str| {
                if record.contains("throttle") || record.contains("Throttle") {
                    lines.lock().unwrap().push((level, record.to_owned()));
                }
            })
        };
        let client = TestClient::fake_time(driver, Options::new().with_logger(sink));
        let (server, _) = throttling(throttled_429("2"), &client.clock);
        let origin = server.origin();
        let events = Events::default();
        let subscriber = tracing_subscriber::registry().with(events.clone());
        tracing::subscriber::with_default(subscriber, || {
            client.get(&server.url("/"), &no_retry()).unwrap_err();
            // Two calls wait in turn: the first waits the window out; the second finds it open.
            client.get(&server.url("/"), &Options::new()).unwrap();
            client.get(&server.url("/"), &Options::new()).unwrap();
        });
        let lines = lines.lock().unwrap().clone();
        assert_eq!(
            lines,
            [
                (
                    Level::Info,
                    format!(
                    "Throttle gate for {origin} closed for 2.000s (Retry-After on a 429 response)"
                )
                ),
                (
                    Level::Info,
                    format!("Waiting 2.000s at the throttle gate for {origin}")
                ),
            ]
        );
        let gate_events: Vec<Event> = events
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.target == "clientcore::throttle")
            .cloned()
            .collect();
        assert_eq!(gate_events.len(), 2, "{gate_events:#?}");
        let wait = &gate_events[1];
        assert_eq!(wait.span, Some("http.call"), "an event of the call's span");
        assert_eq!(
            wait.fields
                .get("clientcore.throttle.event")
                .map(String::as_str),
            Some("wait")
        );
        assert_eq!(
            wait.fields
                .get("clientcore.throttle.wait_ms")
                .map(String::as_str),
            Some("2000")
        );
        assert_eq!(
            wait.fields
                .get("clientcore.throttle.origin")
                .map(String::as_str),
            Some(origin.as_str())
        );
        assert_eq!(
            gate_events[0]
                .fields
                .get("clientcore.throttle.event")
                .map(String::as_str),
            Some("closed")
        );
    }
);
