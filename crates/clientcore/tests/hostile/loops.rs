//! Loops end: a pager stops on a next link that does not parse or a continuation it already
//! followed, and a poller stops after its bound, whatever the service sends.

use std::time::Duration;

use clientcore::lro::{BlockingPoller, LroOptions, Poller};
use clientcore::paging::PageStrategy;
use clientcore::{Body, ErrorKind, Options, Request, RetryOptions};
use http::Method;

use crate::listing::list;
use crate::server::{RawServer, Script};
use crate::support::{Driver, TestClient};

fn no_retry() -> Options {
    Options::new().with_retry(RetryOptions::none())
}

both_drivers!(a_next_link_that_does_not_parse_is_an_error, |driver| {
    let server = RawServer::repeat(Script::json(
        r#"{"value": ["a"], "nextLink": "http://[::1"}"#,
    ));
    let c = TestClient::new(driver, Options::new());
    let (items, err) = list(
        &c,
        &server.url("/list"),
        PageStrategy::next_link(),
        &no_retry(),
    );
    assert_eq!(items, ["a"]);
    let err = err.expect("paging went on");
    assert_eq!(err.kind(), ErrorKind::ServiceResponse);
    assert!(
        err.message().contains("next link is not a valid URL"),
        "{err}"
    );
    // The failing page's continuation rides on the error, for a caller who wants to look.
    assert_eq!(err.continuation_token(), Some("http://[::1"));
    assert_eq!(
        server.requests().len(),
        1,
        "the first page was fetched again"
    );
});

both_drivers!(
    a_next_link_back_to_a_page_already_seen_is_an_error,
    |driver| {
        // Page 1 → page 2 → page 1 again: a cycle of two, not only a page naming itself.
        let server = RawServer::start([
            Script::json(r#"{"value": ["a"], "nextLink": "/list?page=2"}"#),
            Script::json(r#"{"value": ["b"], "nextLink": "/list"}"#),
            Script::json(r#"{"value": ["again"]}"#),
        ]);
        let c = TestClient::new(driver, Options::new());
        let (items, err) = list(
            &c,
            &server.url("/list"),
            PageStrategy::next_link(),
            &no_retry(),
        );
        assert_eq!(items, ["a", "b"]);
        let err = err.expect("paging went round the loop");
        assert!(
            err.message()
                .contains("repeats one this listing already followed"),
            "{err}"
        );
        assert_eq!(server.requests().len(), 2);
    }
);

both_drivers!(a_next_link_to_the_page_itself_is_an_error, |driver| {
    let server = RawServer::repeat(Script::json(r#"{"value": ["a"], "nextLink": ""}"#));
    let c = TestClient::new(driver, Options::new());
    let (items, err) = list(
        &c,
        &server.url("/list?x=1"),
        PageStrategy::next_link(),
        &no_retry(),
    );
    assert_eq!(items, ["a"]);
    assert!(err.is_some());
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(a_token_that_repeats_is_an_error, |driver| {
    let server = RawServer::repeat(Script::json(r#"{"value": ["a"], "next": "t1"}"#));
    let c = TestClient::new(driver, Options::new());
    let strategy = PageStrategy::token_in_body("next", "marker");
    let (items, err) = list(&c, &server.url("/list"), strategy, &no_retry());
    // The first page names t1, the page t1 fetches names t1 again: two requests, then stop.
    assert_eq!(items, ["a", "a"]);
    let err = err.expect("paging looped on one token");
    assert_eq!(err.kind(), ErrorKind::ServiceResponse);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].request_line, "GET /list?marker=t1 HTTP/1.1");
});

both_drivers!(a_poller_that_never_finishes_stops_at_its_bound, |driver| {
    let server = RawServer::start(
        std::iter::once(Script::response(
            202,
            &[
                ("operation-location", "/operations/1"),
                ("retry-after", "0"),
            ],
            "",
        ))
        .chain(std::iter::repeat_with(|| Script::json(r#"{"status": "InProgress"}"#)).take(10)),
    );
    let c = TestClient::new(driver, Options::new());
    let request = Request::<Body>::new(Method::PUT, server.url("/things/1").parse().unwrap());
    let lro = LroOptions::new()
        .with_polling_interval(Duration::from_millis(1))
        .with_max_polls(3);
    let options = Options::new();
    let result = match driver {
        Driver::Async => c.block_on(async {
            Poller::begin(c.async_client(), request, &options, lro)
                .await?
                .wait()
                .await
                .map(drop)
        }),
        Driver::Blocking => BlockingPoller::begin(c.blocking_client(), request, &options, lro)
            .and_then(|p| p.wait().map(drop)),
    };
    let err = result.expect_err("the poller never stops");
    assert_eq!(err.kind(), ErrorKind::ServiceResponse);
    assert!(err.message().contains("after 3 polls"), "{err}");
    assert!(err.continuation_token().is_some());
    assert_eq!(
        server.requests().len(),
        4,
        "the initial call and three polls"
    );
});
