//! URLs the service chooses: next links and poll URLs, resolved and checked by the one rule.
//! The input is split at `\n` into a next link and an `Operation-Location`. Nothing panics; a
//! listing that keeps naming the same link ends; whatever the URL, the request the pipeline
//! sends is http(s) and carries the credential only to the caller's own origin.
#![no_main]

use bytes::Bytes;
use clientcore_proto::lro::{LroOptions, LroStep, Operation};
use clientcore_proto::options::Options;
use clientcore_proto::paging::{PageStrategy, Paging};
use clientcore_proto::pipeline::follow::{self, Chosen, Credentials};
use clientcore_proto::pipeline::{Exchange, Request, RequestParts, Step};
use clientcore_proto::policies::auth::Credential;
use clientcore_proto::time::SystemClock;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use libfuzzer_sys::fuzz_target;

const HOME: &str = "https://account.example.com/list?x=1";

/// Sends `request` through an exchange with a key credential and checks where it goes.
fn check_send(request: Request<Bytes>) {
    let home: url::Url = HOME.parse().unwrap();
    let opts = Options::new().with_credential(Credential::key(
        HeaderName::from_static("x-api-key"),
        "secret",
    ));
    let mut ex = Exchange::new(request, opts);
    match ex.step(&SystemClock) {
        Step::Send(attempt) => {
            let url = &attempt.request.parts.url;
            // From an https home, anything but https is refused (http is a downgrade).
            assert_eq!(url.scheme(), "https", "{url}");
            let keyed = attempt.request.parts.headers.contains_key("x-api-key");
            assert_eq!(keyed, url.origin() == home.origin(), "{url}");
        }
        Step::Done(result) => assert!(result.is_err()),
        _ => panic!("unexpected step"),
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (link, poll) = text.split_once('\n').unwrap_or((&text, ""));
    let first = RequestParts {
        method: Method::GET,
        url: HOME.parse().unwrap(),
        headers: HeaderMap::new(),
    };

    // A listing whose every page names `link`. When the link resolves to the same URL from
    // the page it names (absolute, or a query), the listing must end within a few pages; a
    // relative path that grows with each page (`a/` → `/a/a/`) names a new page each time,
    // as any endless listing a service serves does, so it is only followed a few times.
    let mut paging = Paging::new(first.clone(), PageStrategy::next_link());
    let page = serde_json::json!({"value": [], "nextLink": link}).to_string();
    let fixed = follow::join(&first.url, link)
        .ok()
        .is_some_and(|once| follow::join(&once, link).ok() == Some(once));
    let mut fetched = 0;
    while let Some(next) = paging.next_call::<Bytes>() {
        let Ok(request) = next else { break };
        fetched += 1;
        if fixed {
            assert!(fetched <= 3, "the listing of {link:?} did not end");
        } else if fetched > 5 {
            break;
        }
        check_send(request);
        paging.on_page::<u8>(&HeaderMap::new(), page.as_bytes()).unwrap();
    }

    // The rule on its own agrees with the origin.
    if let Ok(to) = follow::join(&first.url, link) {
        match follow::check(&first.url, &to, false, Chosen::NextLink) {
            Ok(Credentials::Attach) => assert_eq!(to.origin(), first.url.origin()),
            Ok(_) => assert_ne!(to.origin(), first.url.origin()),
            Err(_) => {}
        }
    }

    // An operation whose monitor is `poll`.
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(poll) {
        headers.insert("operation-location", v);
    }
    let put = RequestParts {
        method: Method::PUT,
        ..first
    };
    if let Ok(mut op) = Operation::new(&put, StatusCode::ACCEPTED, headers, Bytes::new(), LroOptions::new()) {
        for _ in 0..3 {
            match op.step(std::time::SystemTime::UNIX_EPOCH) {
                LroStep::Get(parts) => {
                    check_send(op.request(parts));
                    op.on_response(StatusCode::OK, HeaderMap::new(), r#"{"status": "Running"}"#.into());
                }
                LroStep::Sleep(_) => {}
                LroStep::Done(_) => break,
            }
        }
    }
});
