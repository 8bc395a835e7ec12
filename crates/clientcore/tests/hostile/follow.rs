//! Credentials never follow a URL the service chose: next links and poll URLs on another
//! origin get no key, SAS, cookie or signature; a next link from https to http is refused.

use std::time::Duration;

use clientcore::lro::{BlockingPoller, LroOptions, Poller};
use clientcore::paging::PageStrategy;
use clientcore::policies::auth::Credential;
use clientcore::{
    policy_fn, Body, Error, ErrorKind, Options, Position, Request, RetryOptions, Verify,
};
use http::header::HeaderName;
use http::Method;

use crate::listing::list;
use crate::server::{RawServer, Script, Seen};
use crate::support::{Driver, Reply, Server, TestClient, TestPki};

const KEY: &str = "k-very-secret";
const SAS: &str = "sv=2024&sig=s-very-secret";

/// A key, a SAS, a cookie and a per-try signing policy: every way a credential goes out.
fn credentialed(cred: Credential) -> Options {
    Options::new()
        .with_retry(RetryOptions::none())
        .with_credential(cred)
        .with_cookie("session", "c-very-secret")
        .with_policy(
            Position::PerTry,
            policy_fn(|r: &mut clientcore::pipeline::RequestParts| {
                r.headers.insert(
                    "authorization",
                    "SharedKey acct:p-very-secret".parse().unwrap(),
                );
                Ok(())
            }),
        )
}

fn key() -> Credential {
    Credential::key(HeaderName::from_static("x-api-key"), KEY)
}

/// Whether `seen` carries any of the secrets, in its head (request line included).
fn carries_secret(seen: &Seen) -> bool {
    let head = String::from_utf8_lossy(&seen.raw_head);
    ["very-secret"].iter().any(|s| head.contains(s))
}

both_drivers!(
    a_next_link_to_another_origin_gets_no_credentials,
    |driver| {
        for cred in [key(), Credential::sas(SAS)] {
            let elsewhere =
                RawServer::start([Script::json(r#"{"value": ["b1"], "nextLink": null}"#)]);
            let home = RawServer::start([Script::json(&format!(
                r#"{{"value": ["a1"], "nextLink": "{}"}}"#,
                elsewhere.url("/list?page=2")
            ))]);
            let c = TestClient::new(driver, credentialed(cred));
            let (items, err) = list(
                &c,
                &home.url("/list"),
                PageStrategy::next_link(),
                &Options::new(),
            );
            assert!(err.is_none(), "{err:?}");
            assert_eq!(items, ["a1", "b1"]);
            // At home, every credential went out; elsewhere, none.
            let at_home = &home.requests()[0];
            assert!(carries_secret(at_home), "{at_home:?}");
            let away = &elsewhere.requests()[0];
            assert_eq!(away.request_line, "GET /list?page=2 HTTP/1.1");
            assert!(!carries_secret(away), "{away:?}");
            assert_eq!(away.header("authorization"), None);
            assert_eq!(away.header("cookie"), None);
            assert_eq!(away.header("x-api-key"), None);
        }
    }
);

both_drivers!(a_next_link_on_the_same_origin_keeps_them, |driver| {
    let server = RawServer::start([
        Script::json(r#"{"value": ["a1"], "nextLink": "/list?page=2"}"#),
        Script::json(r#"{"value": ["a2"]}"#),
    ]);
    let c = TestClient::new(driver, credentialed(key()));
    let (items, err) = list(
        &c,
        &server.url("/list"),
        PageStrategy::next_link(),
        &Options::new(),
    );
    assert!(err.is_none(), "{err:?}");
    assert_eq!(items, ["a1", "a2"]);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("x-api-key"), Some(KEY));
    assert_eq!(
        seen[1].header("authorization"),
        Some("SharedKey acct:p-very-secret")
    );
});

both_drivers!(a_next_link_from_https_to_http_is_refused, |driver| {
    let cleartext = RawServer::repeat(Script::json(r#"{"value": ["leaked"]}"#));
    let pki = TestPki::new();
    let files = pki.write_files();
    let next = cleartext.url("/list?page=2");
    let secure = Server::builder()
        .tls(&pki)
        .replies([Reply::status(200)
            .header("content-type", "application/json")
            .body(format!(r#"{{"value": ["a1"], "nextLink": "{next}"}}"#))])
        .build();
    let options =
        credentialed(key()).with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()));
    let c = TestClient::new(driver, options);
    let (items, err) = list(
        &c,
        &format!("{}/list", secure.origin()),
        PageStrategy::next_link(),
        &Options::new(),
    );
    assert_eq!(items, ["a1"]);
    let err = err.expect("the https -> http next link was followed");
    assert_eq!(err.kind(), ErrorKind::ServiceResponse);
    assert_eq!(
        err.message(),
        "refused to follow a next link from https to http"
    );
    assert!(
        cleartext.requests().is_empty(),
        "a request went out in cleartext"
    );
});

/// A `PUT` answered with `202` and an `Operation-Location` on `monitor`, which then says
/// `Succeeded`; the final GET goes back to the resource.
fn run_operation(c: &TestClient, url: &str) -> Result<(), Error> {
    let request = Request::<Body>::new(Method::PUT, url.parse().unwrap());
    let lro = LroOptions::new().with_polling_interval(Duration::from_millis(5));
    let options = Options::new();
    match c.driver() {
        Driver::Async => c.block_on(async {
            let poller = Poller::begin(c.async_client(), request, &options, lro).await?;
            poller.wait().await.map(drop)
        }),
        Driver::Blocking => BlockingPoller::begin(c.blocking_client(), request, &options, lro)?
            .wait()
            .map(drop),
    }
}

both_drivers!(a_poll_url_on_another_origin_gets_no_credentials, |driver| {
    let monitor = RawServer::repeat(Script::json(r#"{"status": "Succeeded"}"#));
    let op = monitor.url("/operations/1");
    let resource = RawServer::start([
        Script::response(202, &[("operation-location", op.as_str())], ""),
        Script::json(r#"{"name": "thing"}"#),
    ]);
    let c = TestClient::new(driver, credentialed(key()));
    run_operation(&c, &resource.url("/things/1")).unwrap();
    let polls = monitor.requests();
    assert!(!polls.is_empty());
    for poll in &polls {
        assert_eq!(poll.request_line, "GET /operations/1 HTTP/1.1");
        assert!(!carries_secret(poll), "{poll:?}");
    }
    // The initial call and the final GET of the resource went home, with the credentials.
    let home = resource.requests();
    assert_eq!(home.len(), 2);
    assert!(home.iter().all(carries_secret));
});

both_drivers!(
    a_redirect_elsewhere_strips_what_a_signing_policy_adds,
    |driver| {
        let elsewhere = RawServer::start([Script::ok("there")]);
        let location = elsewhere.url("/moved");
        let home = RawServer::start([Script::response(
            307,
            &[("location", location.as_str())],
            "",
        )]);
        let c = TestClient::new(driver, credentialed(key()));
        let got = c.get(&home.url("/start"), &Options::new()).unwrap();
        assert_eq!(got.body, "there");
        assert!(carries_secret(&home.requests()[0]));
        let away = &elsewhere.requests()[0];
        assert!(!carries_secret(away), "{away:?}");
    }
);
