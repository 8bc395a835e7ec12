//! A policy can send requests of its own before the call goes on: ARM's resource-provider
//! auto-registration (409 `MissingSubscriptionRegistration` -> register -> poll until
//! `Registered` -> resend), under both drivers, on the fake clock.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clientcore::pipeline::policy::SharedPolicy;
use clientcore::policies::arm::ProviderRegistration;
use clientcore::policies::auth::Credential;
use clientcore::policies::log::{log_fn, Level};
use clientcore::{Body, ErrorKind, Options, Position, Request};
use http::header::HeaderName;
use http::Method;
use support::{Reply, Server, TestClient};

const SUB: &str = "/subscriptions/0000-aaaa/resourceGroups/rg/providers/Microsoft.Test/things/t";
const MISSING: &str = r#"{"error": {"code": "MissingSubscriptionRegistration",
  "message": "The subscription is not registered to use namespace 'Microsoft.Test'."}}"#;

fn json(status: u16, body: &str) -> Reply {
    Reply::status(status)
        .header("content-type", "application/json")
        .body(body.to_owned())
}

fn options() -> Options {
    Options::new()
        .with_credential(Credential::key(HeaderName::from_static("x-api-key"), "k1"))
        .with_policy(
            Position::PerCall,
            SharedPolicy::new(
                ProviderRegistration::new().with_poll_interval(Duration::from_secs(10)),
            ),
        )
}

both_drivers!(
    a_missing_registration_is_registered_then_the_request_resent,
    |driver| {
        let server = Server::start([
            json(409, MISSING),
            json(200, r#"{"registrationState": "Registering"}"#),
            json(200, r#"{"registrationState": "Registering"}"#),
            json(200, r#"{"registrationState": "Registered"}"#),
            json(201, r#"{"name": "t"}"#),
        ]);
        let records: Arc<Mutex<Vec<(Level, String)>>> = Arc::default();
        let sink = {
            let records = records.clone();
            log_fn(move |level: Level, record: &str| {
                records.lock().unwrap().push((level, record.to_owned()));
            })
        };
        let client = TestClient::fake_time(driver, options().with_logger(sink));
        let mut request = Request::new(Method::PUT, server.url(SUB).parse().unwrap());
        request.body = Body::from(r#"{"location": "west"}"#);
        let got = client.send(request, &Options::new()).unwrap();
        assert_eq!(got.status, 201);
        // A side request's record is a request record: DEBUG, as the call's own.
        let side: Vec<(Level, String)> = records
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, r)| r.starts_with("A policy sends a side request"))
            .cloned()
            .collect();
        let provider_url = server.url("/subscriptions/0000-aaaa/providers/Microsoft.Test");
        assert_eq!(
            side,
            [
                (
                    Level::Debug,
                    format!(
                        "A policy sends a side request: POST {provider_url}/register?api-version=2016-02-01"
                    )
                ),
                (
                    Level::Debug,
                    format!("A policy sends a side request: GET {provider_url}?api-version=2016-02-01")
                ),
                (
                    Level::Debug,
                    format!("A policy sends a side request: GET {provider_url}?api-version=2016-02-01")
                ),
            ]
        );
        assert_eq!(got.body, r#"{"name": "t"}"#);

        let seen = server.requests();
        let lines: Vec<String> = seen
            .iter()
            .map(|r| format!("{} {}", r.method, r.target))
            .collect();
        let provider = "/subscriptions/0000-aaaa/providers/Microsoft.Test";
        assert_eq!(
            lines,
            [
                format!("PUT {SUB}"),
                format!("POST {provider}/register?api-version=2016-02-01"),
                format!("GET {provider}?api-version=2016-02-01"),
                format!("GET {provider}?api-version=2016-02-01"),
                format!("PUT {SUB}"),
            ]
        );
        // The side requests went home, so with the call's credential and request id.
        assert!(seen.iter().all(|r| r.header("x-api-key") == Some("k1")));
        let id = seen[0].header("x-ms-client-request-id").unwrap().to_owned();
        assert!(seen
            .iter()
            .all(|r| r.header("x-ms-client-request-id") == Some(id.as_str())));
        // The original body went again.
        assert_eq!(seen[4].body, r#"{"location": "west"}"#);
        // Two waits of 10 s before the polls, on the fake clock.
        assert_eq!(
            client.clock.sleeps(),
            [Duration::from_secs(10), Duration::from_secs(10)]
        );
    }
);

both_drivers!(a_failed_registration_leaves_the_409, |driver| {
    let server = Server::start([
        json(409, MISSING),
        json(403, r#"{"error": {"code": "AuthorizationFailed"}}"#),
    ]);
    let client = TestClient::fake_time(driver, options());
    let request = Request::new(Method::PUT, server.url(SUB).parse().unwrap());
    let err = client.send(request, &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceExists, "{err:?}");
    assert_eq!(err.error_code(), Some("MissingSubscriptionRegistration"));
    assert_eq!(server.requests().len(), 2);
});

both_drivers!(a_detour_that_never_ends_is_bounded, |driver| {
    // Every resend gets the 409 again: at most three detours, then the 409 stands.
    let replies = (0..4)
        .flat_map(|_| {
            [
                json(409, MISSING),
                json(200, "{}"),
                json(200, r#"{"registrationState": "Registered"}"#),
            ]
        })
        .take(10);
    let server = Server::start(replies);
    let client = TestClient::fake_time(driver, options());
    let request = Request::new(Method::PUT, server.url(SUB).parse().unwrap());
    let err = client.send(request, &Options::new()).unwrap_err();
    assert_eq!(err.error_code(), Some("MissingSubscriptionRegistration"));
    // Three detours of three requests each, plus the last 409.
    assert_eq!(server.requests().len(), 10);
});
