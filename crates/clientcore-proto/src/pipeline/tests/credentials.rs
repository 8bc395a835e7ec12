//! Credentials: keys, bearer tokens asked for as a step, claims challenges.

use std::time::{Duration, SystemTime};

use http::{HeaderName, Method};

use super::scenario::{Scenario, WALL_START};
use crate::error::{Error, ErrorKind};
use crate::options::Options;
use crate::policies::auth::{AccessToken, Credential};

const URL: &str = "https://vault.example.com/secrets/s";
const CHALLENGE: &str =
    r#"Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ""#;

fn bearer() -> Options {
    Options::new().with_credential(Credential::bearer(["https://vault.example.com/.default"]))
}

#[test]
fn a_key_goes_on_every_attempt() {
    let run = Scenario::get(URL)
        .options(
            Options::new()
                .with_credential(Credential::key(HeaderName::from_static("api-key"), "k1")),
        )
        .reply(503)
        .reply(200)
        .run();
    for sent in &run.sent {
        assert_eq!(sent.header("api-key"), Some("k1"));
        assert!(sent.parts.headers["api-key"].is_sensitive());
    }
}

#[test]
fn a_bearer_token_is_asked_for_before_the_first_attempt() {
    let run = Scenario::get(URL).options(bearer()).reply(200).run();
    assert_eq!(run.steps(), ["token", "send GET", "done 200"]);
    assert_eq!(run.token_claims, [None]);
    assert_eq!(run.sent(0).header("authorization"), Some("Bearer token1"));
}

#[test]
fn a_cached_token_is_not_asked_for_again() {
    let options = bearer();
    let first = Scenario::get(URL).options(options.clone()).reply(200).run();
    assert_eq!(first.token_claims.len(), 1);
    // Retries and a second call of the same client share the cache.
    let second = Scenario::get(URL)
        .options(options)
        .reply(503)
        .reply(200)
        .run();
    assert!(second.token_claims.is_empty(), "{:?}", second.steps);
    for sent in &second.sent {
        assert_eq!(sent.header("authorization"), Some("Bearer token1"));
    }
}

#[test]
fn a_bearer_token_never_goes_over_http() {
    let run = Scenario::get("http://vault.example.com/s")
        .options(bearer())
        .run();
    assert_eq!(run.steps(), ["error ClientAuthentication"]);
    assert!(run.sent.is_empty());
    assert!(run.err().to_string().contains("non-https"));
}

#[test]
fn a_claims_challenge_gets_one_new_token_and_one_resend() {
    let run = Scenario::new(Method::PUT, URL)
        .body("v")
        .options(bearer())
        .reply_with(401, &[("www-authenticate", CHALLENGE)], "")
        .reply(200)
        .run();
    assert_eq!(
        run.steps(),
        ["token", "send PUT", "token", "send PUT", "done 200"]
    );
    assert_eq!(
        run.token_claims,
        [None, Some(r#"{"access_token":{}}"#.to_owned())]
    );
    assert_eq!(run.sent(1).header("authorization"), Some("Bearer token2"));
    assert_eq!(run.sent(1).resend_count, 1);
    assert_eq!(&run.sent(1).body[..], b"v");
    // Not a retry: no wait, nothing in the retry history.
    assert!(run.ok().retries.is_empty());
}

#[test]
fn a_second_claims_challenge_ends_the_call_with_the_401() {
    let run = Scenario::get(URL)
        .options(bearer())
        .reply_with(401, &[("www-authenticate", CHALLENGE)], "")
        .reply_with(401, &[("www-authenticate", CHALLENGE)], "")
        .run();
    assert_eq!(run.sent.len(), 2);
    assert_eq!(run.err().status().map(|s| s.as_u16()), Some(401));
    assert_eq!(run.err().kind(), ErrorKind::ClientAuthentication);
}

#[test]
fn a_credential_that_fails_ends_the_call_before_anything_is_sent() {
    let run = Scenario::get(URL)
        .options(bearer())
        .token(Err(Error::new(ErrorKind::ClientAuthentication, "no login")))
        .run();
    assert_eq!(run.steps(), ["token", "error ClientAuthentication"]);
    assert!(run.sent.is_empty());
    assert!(run.err().to_string().contains("no login"));
}

#[test]
fn an_expired_token_is_refreshed_and_a_failed_refresh_does_not_send_it() {
    let options = bearer();
    let expired = AccessToken {
        token: "old".into(),
        expires_on: SystemTime::UNIX_EPOCH + Duration::from_secs(WALL_START - 1),
    };
    let first = Scenario::get(URL)
        .options(options.clone())
        .token(Ok(expired))
        .reply(200)
        .run();
    assert_eq!(first.sent(0).header("authorization"), Some("Bearer old"));
    let second = Scenario::get(URL)
        .options(options)
        .token(Err(Error::new(ErrorKind::ClientAuthentication, "down")))
        .run();
    assert_eq!(second.steps(), ["token", "error ClientAuthentication"]);
}

#[test]
fn a_key_a_header_cannot_carry_fails_without_printing_it() {
    let run = Scenario::get(URL)
        .options(Options::new().with_credential(Credential::key(
            HeaderName::from_static("api-key"),
            "secret\nvalue",
        )))
        .run();
    assert_eq!(run.steps(), ["error ClientAuthentication"]);
    assert!(run.sent.is_empty());
    assert!(!run.err().to_string().contains("secret"));
}
