//! Request shaping: request id, `User-Agent`, the options' headers, SAS, idempotency key,
//! per-call policies.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http::{HeaderName, HeaderValue, Method};

use super::scenario::Scenario;
use crate::options::{Options, Position};
use crate::pipeline::policy::policy_fn;
use crate::pipeline::retry::{IdempotencyKey, RetryOptions};
use crate::policies::auth::Credential;

const URL: &str = "https://account.example.com/c/b";

#[test]
fn every_attempt_carries_the_same_generated_request_id() {
    let run = Scenario::get(URL).reply(503).reply(200).run();
    assert_eq!(
        run.steps(),
        ["send GET", "read", "sleep 0ns", "send GET", "done 200"]
    );
    let first = run.sent(0).header("x-ms-client-request-id").unwrap();
    assert_eq!(first.len(), 36);
    assert_eq!(first.as_bytes()[14], b'4', "a UUID v4: {first}");
    assert_eq!(run.sent(1).header("x-ms-client-request-id"), Some(first));
}

#[test]
fn a_request_id_the_caller_sets_is_kept() {
    let run = Scenario::get(URL)
        .header("x-ms-client-request-id", "mine")
        .reply(200)
        .run();
    assert_eq!(run.sent(0).header("x-ms-client-request-id"), Some("mine"));
    let run = Scenario::get(URL)
        .options(Options::new().with_request_id("from-options"))
        .reply(200)
        .run();
    assert_eq!(
        run.sent(0).header("x-ms-client-request-id"),
        Some("from-options")
    );
}

#[test]
fn the_request_id_goes_in_the_header_the_options_name() {
    let run = Scenario::get(URL)
        .options(Options::new().with_request_id_header(HeaderName::from_static("x-request-id")))
        .reply(200)
        .run();
    assert_eq!(run.sent(0).header("x-request-id").map(str::len), Some(36));
    assert_eq!(run.sent(0).header("x-ms-client-request-id"), None);
}

#[test]
fn the_user_agent_has_the_prefix_and_the_sdk_marker() {
    let run = Scenario::get(URL)
        .options(Options::new().with_user_agent("myapp/1.0"))
        .reply(200)
        .run();
    let ua = run.sent(0).header("user-agent").unwrap();
    assert!(ua.starts_with("myapp/1.0 azsdk-rust-"), "{ua}");
}

#[test]
fn the_options_headers_join_the_callers_and_win_on_a_clash() {
    let run = Scenario::get(URL)
        .header("x-caller", "1")
        .header("x-both", "caller")
        .options(
            Options::new()
                .with_header(
                    HeaderName::from_static("x-opt"),
                    HeaderValue::from_static("2"),
                )
                .with_header(
                    HeaderName::from_static("x-both"),
                    HeaderValue::from_static("options"),
                ),
        )
        .reply(200)
        .run();
    let sent = run.sent(0);
    assert_eq!(sent.header("x-caller"), Some("1"));
    assert_eq!(sent.header("x-opt"), Some("2"));
    assert_eq!(sent.header("x-both"), Some("options"));
}

#[test]
fn a_sas_is_appended_to_the_query_the_request_has() {
    let run = Scenario::get("https://account.example.com/c?restype=container")
        .options(Options::new().with_credential(Credential::sas("?sv=2024&sig=abc")))
        .reply(200)
        .run();
    assert_eq!(
        run.sent(0).url(),
        "https://account.example.com/c?restype=container&sv=2024&sig=abc"
    );
    // The completion reports the URL as sent.
    assert_eq!(
        run.ok().url.query(),
        Some("restype=container&sv=2024&sig=abc")
    );
}

#[test]
fn an_idempotency_key_is_the_same_on_every_attempt_and_makes_a_post_retryable() {
    let run =
        Scenario::new(Method::POST, URL)
            .body("{}")
            .options(Options::new().with_retry(
                RetryOptions::new().with_idempotency_key(IdempotencyKey::IdempotencyKey),
            ))
            .reply(503)
            .reply(201)
            .run();
    assert_eq!(run.sent.len(), 2);
    let key = run.sent(0).header("idempotency-key").unwrap();
    assert_eq!(key.len(), 36);
    assert_eq!(run.sent(1).header("idempotency-key"), Some(key));
    assert_eq!(&run.sent(1).body[..], b"{}");
}

#[test]
fn repeatability_headers_date_the_first_attempt() {
    let run =
        Scenario::new(Method::POST, URL)
            .options(Options::new().with_retry(
                RetryOptions::new().with_idempotency_key(IdempotencyKey::Repeatability),
            ))
            .reply(503)
            .reply(200)
            .run();
    // The scenario's clock starts at 1,700,000,000 s; the retry waits 0 s.
    for sent in &run.sent {
        assert_eq!(
            sent.header("repeatability-first-sent"),
            Some("Tue, 14 Nov 2023 22:13:20 GMT")
        );
    }
    assert_eq!(
        run.sent(0).header("repeatability-request-id"),
        run.sent(1).header("repeatability-request-id")
    );
}

#[test]
fn per_call_policies_run_once_and_see_the_request_id() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let policy = policy_fn(move |parts| {
        seen.fetch_add(1, Ordering::SeqCst);
        let id = parts.headers["x-ms-client-request-id"].clone();
        parts.headers.insert("x-seen-id", id);
        Ok(())
    });
    let run = Scenario::get(URL)
        .options(Options::new().with_policy(Position::PerCall, policy))
        .reply(500)
        .reply(200)
        .run();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    for sent in &run.sent {
        assert_eq!(
            sent.header("x-seen-id"),
            sent.header("x-ms-client-request-id")
        );
    }
}
