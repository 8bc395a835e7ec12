//! Observation: custom policies, request and response hooks, the HTTP log.

use std::sync::{Arc, Mutex};

use http::{HeaderName, HeaderValue};

use super::scenario::Scenario;
use crate::error::{Error, ErrorKind};
use crate::options::{Options, Position};
use crate::pipeline::policy::{policy_fn, Policy, SharedPolicy};
use crate::pipeline::{HookRequest, RequestParts, ResponseHead};
use crate::policies::auth::Credential;
use crate::policies::log::{log_fn, Level};

const URL: &str = "https://api.example.com/items?sig=secret";

type Seen = Arc<Mutex<Vec<String>>>;

/// A policy that writes down what it sees.
struct Recorder(&'static str, Seen);

impl Policy for Recorder {
    fn on_request(&self, request: &mut RequestParts) -> Result<(), Error> {
        self.1.lock().unwrap().push(format!("{} request", self.0));
        request
            .headers
            .append("x-policy", HeaderValue::from_static(self.0));
        Ok(())
    }
    fn on_response(&self, request: &HookRequest<'_>, response: &ResponseHead) {
        self.1.lock().unwrap().push(format!(
            "{} response {} (resend {})",
            self.0,
            response.status.as_u16(),
            request.resend_count
        ));
    }
    fn on_error(&self, _: &HookRequest<'_>, error: &Error) {
        self.1
            .lock()
            .unwrap()
            .push(format!("{} error {:?}", self.0, error.kind()));
    }
}

fn recorder(name: &'static str, seen: &Seen) -> SharedPolicy {
    SharedPolicy::new(Recorder(name, seen.clone()))
}

#[test]
fn the_request_hook_sees_each_attempt_as_sent() {
    let seen: Seen = Seen::default();
    let s = seen.clone();
    let run = Scenario::get(URL)
        .options(Options::new().with_request_hook(move |r| {
            s.lock().unwrap().push(format!(
                "{} {} {}",
                r.parts.method,
                r.resend_count,
                r.parts.headers.contains_key("x-ms-client-request-id")
            ));
        }))
        .reply(503)
        .reply(200)
        .run();
    assert_eq!(run.sent.len(), 2);
    assert_eq!(*seen.lock().unwrap(), ["GET 0 true", "GET 1 true"]);
}

#[test]
fn the_response_hook_sees_every_response_retried_or_not() {
    let seen: Seen = Seen::default();
    let s = seen.clone();
    Scenario::get(URL)
        .options(Options::new().with_response_hook(move |head| {
            s.lock().unwrap().push(head.status.as_u16().to_string());
        }))
        .reply(503)
        .reply(500)
        .reply(204)
        .run()
        .ok();
    assert_eq!(*seen.lock().unwrap(), ["503", "500", "204"]);
}

#[test]
fn per_try_policies_see_every_attempt_per_call_ones_only_the_last_response() {
    let seen: Seen = Seen::default();
    let run = Scenario::get(URL)
        .options(
            Options::new()
                .with_policy(Position::PerCall, recorder("call", &seen))
                .with_policy(Position::PerTry, recorder("try", &seen)),
        )
        .reply(503)
        .reply(200)
        .run();
    assert_eq!(run.ok().head.status.as_u16(), 200);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "call request",
            "try request",
            "try response 503 (resend 0)",
            "try request",
            "try response 200 (resend 1)",
            "call response 200 (resend 1)",
        ]
    );
    // What each added is on the wire, the per-call header once, the per-try one per attempt.
    let policies: Vec<_> = run
        .sent(1)
        .parts
        .headers
        .get_all("x-policy")
        .iter()
        .collect();
    assert_eq!(policies, ["call", "try"]);
}

#[test]
fn per_try_policies_hear_of_transport_errors() {
    let seen: Seen = Seen::default();
    let run = Scenario::get(URL)
        .options(Options::new().with_policy(Position::PerTry, recorder("try", &seen)))
        .fail(ErrorKind::ServiceResponse)
        .reply(200)
        .run();
    assert_eq!(run.sent.len(), 2);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "try request",
            "try error ServiceResponse",
            "try request",
            "try response 200 (resend 1)",
        ]
    );
}

#[test]
fn a_policy_that_fails_ends_the_call_before_anything_is_sent() {
    let failing = policy_fn(|_| Err(Error::new(ErrorKind::ClientAuthentication, "cannot sign")));
    let run = Scenario::get(URL)
        .options(Options::new().with_policy(Position::PerTry, failing))
        .run();
    assert_eq!(run.steps(), ["error ClientAuthentication"]);
    assert!(run.sent.is_empty());
}

#[test]
fn the_log_has_one_record_per_request_and_response_with_secrets_redacted() {
    let records: Seen = Seen::default();
    let r = records.clone();
    let run = Scenario::get(URL)
        .options(
            Options::new()
                .with_credential(Credential::key(
                    HeaderName::from_static("authorization"),
                    "Key hunter2",
                ))
                .with_logger(log_fn(move |level, record| {
                    if level == Level::Debug {
                        r.lock().unwrap().push(record.to_owned());
                    }
                })),
        )
        .reply(200)
        .run();
    assert_eq!(run.sent(0).header("authorization"), Some("Key hunter2"));
    let records = records.lock().unwrap();
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(records[0].starts_with("Request URL: 'https://api.example.com/items?sig=REDACTED'"));
    assert!(
        records[0].contains("'authorization': 'REDACTED'"),
        "{}",
        records[0]
    );
    assert!(!records
        .iter()
        .any(|r| r.contains("hunter2") || r.contains("secret")));
    assert!(
        records[1].starts_with("Response status: 200"),
        "{}",
        records[1]
    );
}

#[test]
fn a_signing_policy_sees_the_request_id_and_credential_it_signs() {
    let seen: Seen = Seen::default();
    let s = seen.clone();
    let signer = policy_fn(move |parts| {
        let auth = parts
            .headers
            .get("api-key")
            .map(|v| v.to_str().unwrap().to_owned());
        s.lock().unwrap().push(format!(
            "{:?} {}",
            auth,
            parts.headers.contains_key("x-ms-client-request-id")
        ));
        parts
            .headers
            .insert("x-signature", HeaderValue::from_static("sig"));
        Ok(())
    });
    let run = Scenario::get(URL)
        .options(
            Options::new()
                .with_credential(Credential::key(HeaderName::from_static("api-key"), "k"))
                .with_policy(Position::PerTry, signer),
        )
        .reply(200)
        .run();
    assert_eq!(*seen.lock().unwrap(), [r#"Some("k") true"#]);
    assert_eq!(run.sent(0).header("x-signature"), Some("sig"));
}
