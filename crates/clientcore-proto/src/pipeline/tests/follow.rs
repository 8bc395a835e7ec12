//! The one rule for credentials on URLs the service chose: next links, poll URLs, side
//! requests.

use http::{HeaderName, HeaderValue};

use super::scenario::Scenario;
use crate::options::{Options, Position};
use crate::pipeline::follow::Chosen;
use crate::pipeline::policy::policy_fn;
use crate::policies::auth::Credential;

const HOME: &str = "https://account.example.com/list";

fn chosen(url: &str, by: Chosen) -> Scenario {
    Scenario::get(url).map_request(|r| r.chosen_by_service(by, HOME.parse().unwrap()))
}

fn key() -> Options {
    Options::new().with_credential(Credential::key(HeaderName::from_static("api-key"), "k"))
}

#[test]
fn a_next_link_on_the_same_origin_gets_the_credentials() {
    let run = chosen("https://account.example.com/list?page=2", Chosen::NextLink)
        .options(key())
        .reply(200)
        .run();
    assert_eq!(run.sent(0).header("api-key"), Some("k"));
}

#[test]
fn a_next_link_elsewhere_goes_without_any_credential() {
    let run = chosen("https://evil.example.net/list?page=2", Chosen::NextLink)
        .options(key())
        .header("authorization", "Bearer caller")
        .header("x-ms-authorization-auxiliary", "Bearer other-tenant")
        .header("x-keep", "1")
        .reply(200)
        .run();
    let sent = run.sent(0);
    assert_eq!(sent.header("api-key"), None);
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(sent.header("x-ms-authorization-auxiliary"), None);
    assert_eq!(sent.header("x-keep"), Some("1"));
}

#[test]
fn a_sas_is_not_appended_to_another_origins_url() {
    let sas = Options::new().with_credential(Credential::sas("sig=s3cret"));
    let run = chosen("https://other.example.net/list?page=2", Chosen::NextLink)
        .options(sas.clone())
        .reply(200)
        .run();
    assert_eq!(run.sent(0).url(), "https://other.example.net/list?page=2");
    let run = chosen("https://account.example.com/list?page=2", Chosen::NextLink)
        .options(sas)
        .reply(200)
        .run();
    assert_eq!(
        run.sent(0).url(),
        "https://account.example.com/list?page=2&sig=s3cret"
    );
}

#[test]
fn a_bearer_token_is_not_even_asked_for_another_origin() {
    let run = chosen("https://poll.example.net/op/1", Chosen::PollUrl)
        .options(Options::new().with_credential(Credential::bearer(["scope"])))
        .reply(200)
        .run();
    assert_eq!(run.steps(), ["send GET", "done 200"]);
    assert_eq!(run.sent(0).header("authorization"), None);
}

#[test]
fn a_poll_url_in_cleartext_is_refused_before_anything_is_sent() {
    let run = chosen("http://account.example.com/op/1", Chosen::PollUrl)
        .options(key())
        .run();
    assert_eq!(run.steps(), ["error ServiceResponse"]);
    assert!(run.sent.is_empty());
    assert!(
        run.err().to_string().contains("a poll URL"),
        "{}",
        run.err()
    );
}

#[test]
fn a_downgrade_the_caller_allows_still_goes_without_credentials() {
    let run = chosen("http://account.example.com/op/1", Chosen::PollUrl)
        .options(key().with_https_downgrade(true))
        .reply(200)
        .run();
    assert_eq!(run.sent(0).url(), "http://account.example.com/op/1");
    assert_eq!(run.sent(0).header("api-key"), None);
}

#[test]
fn other_schemes_are_refused() {
    let run = chosen("ftp://account.example.com/list", Chosen::NextLink).run();
    assert!(run.sent.is_empty());
    assert!(run.result.is_err());
}

#[test]
fn what_a_signing_policy_adds_away_from_home_is_stripped() {
    let signer = policy_fn(|parts| {
        parts.headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("SharedKey acct:sig"),
        );
        Ok(())
    });
    let options = Options::new().with_policy(Position::PerTry, signer);
    let run = chosen("https://elsewhere.example.net/list", Chosen::NextLink)
        .options(options.clone())
        .reply(200)
        .run();
    assert_eq!(run.sent(0).header("authorization"), None);
    let run = chosen("https://account.example.com/list?page=3", Chosen::NextLink)
        .options(options)
        .reply(200)
        .run();
    assert_eq!(
        run.sent(0).header("authorization"),
        Some("SharedKey acct:sig")
    );
}
