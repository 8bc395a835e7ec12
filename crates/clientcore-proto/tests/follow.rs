//! The one rule for service-chosen URLs, driven through the exchange by hand: bearer tokens
//! stay home, a hop back does not bring credentials back, and a token a header cannot carry
//! ends the call unsent.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use clientcore_proto::options::Options;
use clientcore_proto::pipeline::follow::Chosen;
use clientcore_proto::pipeline::{Exchange, Request, ResponseHead, Step};
use clientcore_proto::policies::auth::{AccessToken, Credential};
use clientcore_proto::time::SystemClock;
use clientcore_proto::ErrorKind;
use http::{HeaderName, Method, StatusCode};

fn url(s: &str) -> url::Url {
    s.parse().unwrap()
}

fn token(t: &str) -> AccessToken {
    AccessToken {
        token: t.to_owned(),
        expires_on: SystemTime::now() + Duration::from_secs(3600),
    }
}

#[test]
fn a_bearer_token_is_not_fetched_or_sent_for_a_next_link_elsewhere() {
    let request = Request::<Bytes>::new(Method::GET, url("https://cdn.example.net/p2"))
        .chosen_by_service(Chosen::NextLink, url("https://account.example.com/list"));
    let mut ex = Exchange::new(
        request,
        Options::new().with_credential(Credential::bearer(["s"])),
    );
    // Straight to the send: no token asked for, none sent.
    let Step::Send(attempt) = ex.step(&SystemClock) else {
        panic!("a token was asked for a foreign origin")
    };
    assert!(!attempt.request.parts.headers.contains_key("authorization"));
}

#[test]
fn a_bearer_token_goes_to_a_next_link_at_home() {
    let request = Request::<Bytes>::new(Method::GET, url("https://account.example.com/list?p=2"))
        .chosen_by_service(Chosen::NextLink, url("https://account.example.com/list"));
    let mut ex = Exchange::new(
        request,
        Options::new().with_credential(Credential::bearer(["s"])),
    );
    let Step::GetToken(_) = ex.step(&SystemClock) else {
        panic!()
    };
    ex.on_token(Ok(token("t0")));
    let Step::Send(attempt) = ex.step(&SystemClock) else {
        panic!()
    };
    assert_eq!(attempt.request.parts.headers["authorization"], "Bearer t0");
}

#[test]
fn a_token_with_a_newline_ends_the_call_unsent_without_printing_it() {
    let request = Request::<Bytes>::new(Method::GET, url("https://account.example.com/x"));
    let mut ex = Exchange::new(
        request,
        Options::new().with_credential(Credential::bearer(["s"])),
    );
    let Step::GetToken(_) = ex.step(&SystemClock) else {
        panic!()
    };
    ex.on_token(Ok(token("t-secret\r\nX-Injected: 1")));
    let Step::Done(Err(err)) = ex.step(&SystemClock) else {
        panic!("the request went out")
    };
    assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(
            !shown.contains("t-secret") && !shown.contains("Injected"),
            "{shown}"
        );
    }
}

#[test]
fn credentials_do_not_come_back_on_a_redirect_home() {
    let key = Credential::key(HeaderName::from_static("x-api-key"), "k");
    let request = Request::<Bytes>::new(Method::GET, url("https://account.example.com/a"));
    let mut ex = Exchange::new(request, Options::new().with_credential(key));
    let Step::Send(first) = ex.step(&SystemClock) else {
        panic!()
    };
    assert_eq!(first.request.parts.headers["x-api-key"], "k");
    let mut away = ResponseHead::new(StatusCode::TEMPORARY_REDIRECT);
    away.headers.insert(
        "location",
        "https://elsewhere.example.net/b".parse().unwrap(),
    );
    ex.on_response(away);
    let Step::Send(second) = ex.step(&SystemClock) else {
        panic!()
    };
    assert!(!second.request.parts.headers.contains_key("x-api-key"));
    let mut back = ResponseHead::new(StatusCode::TEMPORARY_REDIRECT);
    back.headers
        .insert("location", "https://account.example.com/c".parse().unwrap());
    ex.on_response(back);
    let Step::Send(third) = ex.step(&SystemClock) else {
        panic!()
    };
    assert_eq!(
        third.request.parts.url.as_str(),
        "https://account.example.com/c"
    );
    assert!(!third.request.parts.headers.contains_key("x-api-key"));
}

#[test]
fn a_poll_url_from_https_to_http_is_refused_unless_allowed() {
    let chosen = || {
        Request::<Bytes>::new(Method::GET, url("http://account.example.com/op"))
            .chosen_by_service(Chosen::PollUrl, url("https://account.example.com/x"))
    };
    let mut ex = Exchange::new(chosen(), Options::new());
    let Step::Done(Err(err)) = ex.step(&SystemClock) else {
        panic!()
    };
    assert_eq!(
        err.to_string(),
        "refused to follow a poll URL from https to http"
    );
    let mut ex = Exchange::new(chosen(), Options::new().with_https_downgrade(true));
    assert!(matches!(ex.step(&SystemClock), Step::Send(_)));
}

/// Found by fuzzing (`fuzz/seeds/service_urls/file_dotdot_drive`): url 2.5's parser trips a
/// debug assertion resolving `file:../R:` against a `file:` URL, so a pager that took such a
/// next link in panicked in debug builds. Links with another scheme than http(s) never reach
/// the parser now; they stand for a URL the rule refuses, naming the scheme.
#[test]
fn a_file_next_link_neither_panics_nor_is_followed() {
    use clientcore_proto::paging::{PageStrategy, Paging};
    use clientcore_proto::pipeline::{follow, RequestParts};

    let first = RequestParts {
        method: Method::GET,
        url: url("https://home.example/list"),
        headers: http::HeaderMap::new(),
    };
    let mut paging = Paging::new(first, PageStrategy::next_link());
    let page = r#"{"value": [], "nextLink": "file:../R:"}"#;
    let mut fetched = 0;
    while let Some(Ok(request)) = paging.next_call::<Bytes>() {
        fetched += 1;
        assert!(fetched <= 3, "the listing did not end");
        if fetched > 1 {
            assert_eq!(request.parts.url.scheme(), "file");
            let refused = follow::check(
                &url("https://home.example/"),
                &request.parts.url,
                false,
                Chosen::NextLink,
            )
            .unwrap_err();
            assert!(refused.to_string().contains("'file' URL"), "{refused}");
        }
        paging
            .on_page::<u8>(&http::HeaderMap::new(), page.as_bytes())
            .unwrap();
    }
    let base = url("https://home.example/a/b");
    assert_eq!(
        follow::join(&base, "c?d=1").unwrap().as_str(),
        "https://home.example/a/c?d=1"
    );
    assert_eq!(
        follow::join(&base, "\t fi\nLE:../R:").unwrap().scheme(),
        "file"
    );
    assert_eq!(
        follow::join(&base, "HTTPS://x.example/").unwrap().as_str(),
        "https://x.example/"
    );
}
