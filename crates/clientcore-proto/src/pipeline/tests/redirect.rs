//! Redirects: which to follow, how, and how many.

use http::{HeaderName, Method};

use super::scenario::Scenario;
use crate::error::ErrorKind;
use crate::options::Options;
use crate::policies::auth::Credential;

const URL: &str = "https://a.example.com/dir/start?x=1";

fn key() -> Options {
    Options::new().with_credential(Credential::key(HeaderName::from_static("api-key"), "k"))
}

#[test]
fn a_relative_location_is_resolved_against_the_request() {
    let run = Scenario::get(URL)
        .reply_with(302, &[("location", "../other/end")], "")
        .reply(200)
        .run();
    assert_eq!(run.steps(), ["send GET", "send GET", "done 200"]);
    assert_eq!(run.sent(1).url(), "https://a.example.com/other/end");
    assert_eq!(run.sent(1).resend_count, 1);
    let done = run.ok();
    assert_eq!(done.url.as_str(), "https://a.example.com/other/end");
    assert_eq!(done.redirects.len(), 1);
    assert!(done.retries.is_empty());
}

#[test]
fn a_303_after_a_post_is_a_get_without_the_body() {
    let run = Scenario::new(Method::POST, URL)
        .header("content-type", "application/json")
        .body("{}")
        .reply_with(303, &[("location", "/status")], "")
        .reply(200)
        .run();
    assert_eq!(run.steps(), ["send POST", "send GET", "done 200"]);
    assert!(run.sent(1).body.is_empty());
    assert_eq!(run.sent(1).header("content-type"), None);
}

#[test]
fn a_307_keeps_the_method_and_the_body() {
    let run = Scenario::new(Method::PUT, URL)
        .body("data")
        .reply_with(307, &[("location", "https://a.example.com/moved")], "")
        .reply(201)
        .run();
    assert_eq!(run.steps(), ["send PUT", "send PUT", "done 201"]);
    assert_eq!(&run.sent(1).body[..], b"data");
}

#[test]
fn too_many_redirects_end_the_call_with_every_hop() {
    let mut s = Scenario::get(URL).options(Options::new().with_redirect_max(2));
    for _ in 0..3 {
        s = s.reply_with(302, &[("location", "/again")], "");
    }
    let run = s.run();
    assert_eq!(run.sent.len(), 3);
    assert_eq!(run.err().kind(), ErrorKind::TooManyRedirects);
    assert_eq!(run.err().redirect_history().len(), 3);
}

#[test]
fn https_to_http_is_refused() {
    let run = Scenario::get(URL)
        .reply_with(301, &[("location", "http://a.example.com/plain")], "")
        .run();
    assert_eq!(run.sent.len(), 1);
    assert!(run.result.is_err());
}

#[test]
fn redirects_turned_off_are_returned_as_they_are() {
    let run = Scenario::get(URL)
        .options(Options::new().with_redirects(false))
        .reply_with(302, &[("location", "/elsewhere")], "")
        .run();
    // As the reference without its redirect policy: a 3xx is a response, not an error.
    assert_eq!(run.steps(), ["send GET", "done 302"]);
    assert_eq!(run.ok().url.as_str(), URL);
    assert!(run.ok().redirects.is_empty());
}

#[test]
fn credentials_stay_on_a_same_origin_redirect_and_go_on_another() {
    let run = Scenario::get(URL)
        .options(key())
        .reply_with(302, &[("location", "/same")], "")
        .reply_with(302, &[("location", "https://b.example.net/other")], "")
        .reply(200)
        .run();
    assert_eq!(run.sent(0).header("api-key"), Some("k"));
    assert_eq!(run.sent(1).header("api-key"), Some("k"));
    assert_eq!(run.sent(2).header("api-key"), None);
}

#[test]
fn a_hop_back_home_does_not_bring_the_credentials_back() {
    let run = Scenario::get(URL)
        .options(key())
        .header("authorization", "Bearer caller")
        .reply_with(302, &[("location", "https://b.example.net/bounce")], "")
        .reply_with(302, &[("location", "https://a.example.com/dir/back")], "")
        .reply(200)
        .run();
    assert_eq!(run.sent(0).header("authorization"), Some("Bearer caller"));
    for n in 1..3 {
        assert_eq!(run.sent(n).header("api-key"), None, "{n}");
        assert_eq!(run.sent(n).header("authorization"), None, "{n}");
    }
    assert_eq!(run.sent(2).url(), "https://a.example.com/dir/back");
}
