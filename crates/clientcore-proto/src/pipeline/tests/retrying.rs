//! The retry glue: waits, deadlines, giving up, and why.

use std::time::Duration;

use http::Method;

use super::scenario::Scenario;
use crate::error::ErrorKind;
use crate::options::Options;
use crate::pipeline::retry::{classify_fn, RetryAction, RetryDecision, RetryOptions};

const URL: &str = "https://api.example.com/r";

fn retry(r: RetryOptions) -> Options {
    Options::new().with_retry(r)
}

#[test]
fn a_503_storm_sends_four_requests_with_the_references_waits() {
    let run = Scenario::get(URL)
        .reply(503)
        .reply(503)
        .reply(503)
        .reply(503)
        .run();
    assert_eq!(
        run.steps(),
        [
            "send GET",
            "read",
            "sleep 0ns",
            "send GET",
            "read",
            "sleep 1.6s",
            "send GET",
            "read",
            "sleep 3.2s",
            "send GET",
            "read",
            "error HttpResponse",
        ]
    );
    let history = run.err().retry_history();
    assert_eq!(history.len(), 4);
    assert_eq!(history[3].decision, RetryDecision::Exhausted);
    assert_eq!(history[3].classifier, Some("transient_status"));
    // Every attempt says which resend it is.
    let resends: Vec<_> = run.sent.iter().map(|s| s.resend_count).collect();
    assert_eq!(resends, [0, 1, 2, 3]);
}

#[test]
fn retry_after_sets_the_wait_and_is_capped() {
    let run = Scenario::get(URL)
        .reply_with(429, &[("retry-after", "2")], "")
        .reply_with(503, &[("retry-after", "100000")], "")
        .reply(200)
        .options(retry(
            RetryOptions::new().with_retry_after_max(Duration::from_secs(30)),
        ))
        .run();
    assert_eq!(
        run.steps(),
        [
            "send GET",
            "read",
            "sleep 2s",
            "send GET",
            "read",
            "sleep 30s",
            "send GET",
            "done 200"
        ]
    );
    let decisions: Vec<_> = run.ok().retries.iter().map(|r| r.decision).collect();
    assert_eq!(
        decisions,
        [RetryDecision::ServerWait, RetryDecision::ServerWait]
    );
}

#[test]
fn a_post_is_retried_after_a_connect_error_but_not_after_a_read_error() {
    let run = Scenario::new(Method::POST, URL)
        .body("x")
        .fail(ErrorKind::ServiceRequest)
        .fail(ErrorKind::ServiceResponse)
        .run();
    assert_eq!(
        run.steps(),
        [
            "send POST",
            "sleep 0ns",
            "send POST",
            "error ServiceResponse"
        ]
    );
    let history = run.err().retry_history();
    assert_eq!(history[0].classifier, Some("connect_errors"));
    assert_eq!(history[1].decision, RetryDecision::NotIdempotent);
    assert_eq!(history[1].classifier, Some("idempotency"));
}

#[test]
fn under_the_storage_preset_a_post_is_retried_on_503() {
    let run = Scenario::new(Method::POST, URL)
        .body("<m/>")
        .options(retry(RetryOptions::storage()))
        .reply(503)
        .reply(201)
        .run();
    assert_eq!(
        run.steps(),
        ["send POST", "read", "sleep 0ns", "send POST", "done 201"]
    );
    assert_eq!(&run.sent(1).body[..], b"<m/>");
    assert_eq!(run.ok().retries[0].classifier, Some("storage_status"));
    // Without it, the same POST is not retried.
    let run = Scenario::new(Method::POST, URL)
        .body("<m/>")
        .reply(503)
        .run();
    assert_eq!(run.sent.len(), 1);
    assert_eq!(
        run.err().retry_history()[0].decision,
        RetryDecision::NotIdempotent
    );
}

#[test]
fn a_wait_past_the_deadline_fails_at_once_with_a_response_timeout() {
    let run = Scenario::get(URL)
        .options(Options::new().with_timeout(Duration::from_secs(1)))
        .reply(503)
        .reply(503)
        .run();
    assert_eq!(
        run.steps(),
        [
            "send GET",
            "read",
            "sleep 0ns",
            "send GET",
            "read",
            "error ServiceResponseTimeout"
        ]
    );
    assert!(run
        .err()
        .to_string()
        .contains("would pass the operation's deadline"));
    assert_eq!(
        run.err().retry_history()[1].decision,
        RetryDecision::Deadline
    );
    assert_eq!(run.elapsed, Duration::ZERO);
}

#[test]
fn time_running_out_after_a_connect_error_is_a_request_timeout() {
    // The attempt takes the call's whole time and never reaches the server.
    let run = Scenario::get(URL)
        .options(Options::new().with_timeout(Duration::from_secs(5)))
        .slow(Duration::from_secs(5))
        .fail(ErrorKind::ServiceRequest)
        .run();
    assert_eq!(
        run.steps(),
        ["send GET", "sleep 0ns", "error ServiceRequestTimeout"]
    );
    assert_eq!(run.err().to_string(), "Request timeout");
    // The same after the server saw it: a response timeout.
    let run = Scenario::get(URL)
        .options(Options::new().with_timeout(Duration::from_secs(5)))
        .slow(Duration::from_secs(5))
        .fail(ErrorKind::ServiceResponse)
        .run();
    assert_eq!(
        run.steps(),
        ["send GET", "sleep 0ns", "error ServiceResponseTimeout"]
    );
    assert_eq!(run.err().to_string(), "Response timeout");
}

#[test]
fn each_attempt_gets_the_smaller_of_its_own_time_and_what_the_call_has_left() {
    let run = Scenario::get(URL)
        .options(
            Options::new()
                .with_timeout(Duration::from_secs(10))
                .with_attempt_timeout(Duration::from_secs(4)),
        )
        .slow(Duration::from_secs(4))
        .fail(ErrorKind::ServiceResponseTimeout)
        .slow(Duration::from_secs(4))
        .fail(ErrorKind::ServiceResponseTimeout)
        .reply(200)
        .run();
    let timeouts: Vec<_> = run.sent.iter().map(|s| s.timeout.as_secs_f64()).collect();
    // 10 s; after 4 s and no wait, 6 s left; after 4 s more and a 1.6 s wait, 0.4 s left.
    assert_eq!(timeouts.len(), 3);
    assert!((timeouts[0] - 4.0).abs() < 1e-9, "{timeouts:?}");
    assert!((timeouts[1] - 4.0).abs() < 1e-9, "{timeouts:?}");
    assert!((timeouts[2] - 0.4).abs() < 1e-6, "{timeouts:?}");
}

#[test]
fn a_classifier_retries_what_the_built_ins_would_not_and_is_named() {
    let pending = classify_fn(|ctx| match ctx.error_code() {
        Some("OperationPending") => RetryAction::retry_after(Duration::from_secs(1)),
        _ => RetryAction::NoOpinion,
    })
    .named("pending");
    let run = Scenario::new(Method::POST, URL)
        .options(retry(RetryOptions::new().with_classifier(pending)))
        .reply_with(
            409,
            &[("content-type", "application/json")],
            r#"{"error":{"code":"OperationPending","message":"later"}}"#,
        )
        .reply(200)
        .run();
    assert_eq!(
        run.steps(),
        ["send POST", "read", "sleep 1s", "send POST", "done 200"]
    );
    let record = &run.ok().retries[0];
    assert_eq!(record.decision, RetryDecision::Classifier);
    assert_eq!(record.classifier, Some("pending"));
}

#[test]
fn a_status_no_classifier_retries_is_returned_at_once() {
    let run = Scenario::get(URL).reply_with(404, &[], "gone").run();
    assert_eq!(run.steps(), ["send GET", "read", "error ResourceNotFound"]);
    let history = run.err().retry_history();
    assert_eq!(history[0].decision, RetryDecision::NotRetryable);
    assert_eq!(history[0].classifier, None);
    assert_eq!(history[0].wait, None);
}
