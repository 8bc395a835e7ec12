//! Pagers against a local service with three pages (section Q of the reference's scenarios),
//! under both drivers: next links (absolute and relative), tokens in the body and in a
//! header, `by_page`, and a pager resumed after a failed page.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use clientcore::paging::{BlockingPager, Page, PageStrategy, Pager};
use clientcore::{Body, Error, ErrorKind, Options, Request};
use futures_util::StreamExt as _;
use http::Method;
use serde_json::json;
use support::{Driver, Recorded, Reply, Server, TestClient};

fn json_reply(status: u16, body: &serde_json::Value) -> Reply {
    Reply::status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// `/items`: page 1 links to page 2 absolutely, page 2 to page 3 relatively, page 3 ends
/// with `"nextLink": null`. With `fail_once`, the first request for page 2 gets a 400.
fn next_link_service(fail_once: bool) -> Server {
    let origin = Arc::new(OnceLock::<String>::new());
    let failed = AtomicBool::new(!fail_once);
    let o = origin.clone();
    let server = Server::builder()
        .handler(move |r: &Recorded| match r.query.as_deref() {
            None => json_reply(
                200,
                &json!({"value": ["value1.0", "value1.1"], "nextLink": format!("{}/items?page=2", o.get().unwrap())}),
            ),
            Some("page=2") if !failed.swap(true, Ordering::SeqCst) => json_reply(
                400,
                &json!({"error": {"code": "Throttled", "message": "try again"}}),
            ),
            Some("page=2") => json_reply(
                200,
                &json!({"value": ["value2.0", "value2.1"], "nextLink": "/items?page=3"}),
            ),
            Some("page=3") => json_reply(200, &json!({"value": ["value3.0"], "nextLink": null})),
            other => panic!("unexpected query {other:?}"),
        })
        .build();
    origin.set(server.origin()).unwrap();
    server
}

fn get(url: &str) -> Request<Body> {
    Request::new(Method::GET, url.parse().unwrap())
}

/// Every page (stopping after an error), under either driver.
fn pages(
    c: &TestClient,
    first: Request<Body>,
    strategy: PageStrategy,
    token: Option<String>,
) -> Vec<Result<Page<String>, Error>> {
    let options = Options::new();
    match c.driver() {
        Driver::Async => {
            let pager = Pager::new(c.async_client(), first, strategy, &options).by_page(token);
            c.block_on(pager.into_pages().collect::<Vec<_>>())
        }
        Driver::Blocking => BlockingPager::new(c.blocking_client(), first, strategy, &options)
            .by_page(token)
            .pages()
            .collect(),
    }
}

/// Every item (stopping after an error), under either driver.
fn items(
    c: &TestClient,
    first: Request<Body>,
    strategy: PageStrategy,
    token: Option<String>,
) -> Vec<Result<String, Error>> {
    let options = Options::new();
    match c.driver() {
        Driver::Async => {
            let pager = Pager::new(c.async_client(), first, strategy, &options).by_page(token);
            c.block_on(pager.into_items().collect::<Vec<_>>())
        }
        Driver::Blocking => BlockingPager::new(c.blocking_client(), first, strategy, &options)
            .by_page(token)
            .collect(),
    }
}

fn targets(server: &Server) -> Vec<String> {
    server.requests().into_iter().map(|r| r.target).collect()
}

both_drivers!(q1_q3_items_in_order_across_next_links, |driver| {
    let server = next_link_service(false);
    let c = TestClient::fake_time(driver, Options::new());
    let got: Vec<String> = items(
        &c,
        get(&server.url("/items")),
        PageStrategy::next_link(),
        None,
    )
    .into_iter()
    .collect::<Result<_, _>>()
    .unwrap();
    assert_eq!(
        got,
        ["value1.0", "value1.1", "value2.0", "value2.1", "value3.0"]
    );
    assert_eq!(
        targets(&server),
        ["/items", "/items?page=2", "/items?page=3"]
    );
});

both_drivers!(q2_by_page_gives_each_page_then_ends, |driver| {
    let server = next_link_service(false);
    let c = TestClient::fake_time(driver, Options::new());
    let got: Vec<Page<String>> = pages(
        &c,
        get(&server.url("/items")),
        PageStrategy::next_link(),
        None,
    )
    .into_iter()
    .collect::<Result<_, _>>()
    .unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].items, ["value1.0", "value1.1"]);
    assert_eq!(
        got[0].continuation_token.as_deref(),
        Some(server.url("/items?page=2").as_str())
    );
    assert_eq!(got[1].continuation_token.as_deref(), Some("/items?page=3"));
    assert_eq!(got[2].items, ["value3.0"]);
    assert_eq!(got[2].continuation_token, None);
});

both_drivers!(
    q6_a_failed_page_carries_its_token_and_a_new_pager_resumes_there,
    |driver| {
        let server = next_link_service(true);
        let c = TestClient::fake_time(driver, Options::new());
        let first = items(
            &c,
            get(&server.url("/items")),
            PageStrategy::next_link(),
            None,
        );
        assert_eq!(first.len(), 3, "two items, then the error, then the end");
        assert_eq!(first[0].as_ref().unwrap(), "value1.0");
        assert_eq!(first[1].as_ref().unwrap(), "value1.1");
        let err = first[2].as_ref().unwrap_err();
        assert!(err.is_http_response());
        assert_eq!(err.status().unwrap(), 400);
        assert_eq!(err.error_code(), Some("Throttled"));
        let token = err.continuation_token().unwrap().to_owned();
        assert_eq!(token, server.url("/items?page=2"));

        // A fresh client resumes from the token: the failed page again, then the rest.
        let fresh = TestClient::fake_time(driver, Options::new());
        let rest: Vec<String> = items(
            &fresh,
            get(&server.url("/items")),
            PageStrategy::next_link(),
            Some(token),
        )
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
        assert_eq!(rest, ["value2.0", "value2.1", "value3.0"]);
        assert_eq!(
            targets(&server),
            ["/items", "/items?page=2", "/items?page=2", "/items?page=3"]
        );
    }
);

both_drivers!(
    q7_tokens_in_the_body_and_an_empty_token_is_not_the_end,
    |driver| {
        let server = Server::builder()
            .handler(|r: &Recorded| {
                assert_eq!(r.path, "/q");
                match r.query.as_deref() {
                    Some("api-version=1") => {
                        json_reply(200, &json!({"value": ["a"], "token": "t 1"}))
                    }
                    // The token is sent back form-encoded, the other parameters kept.
                    Some("api-version=1&ct=t+1") => {
                        json_reply(200, &json!({"value": ["b"], "token": ""}))
                    }
                    Some("api-version=1&ct=") => json_reply(200, &json!({"value": ["c"]})),
                    other => panic!("unexpected query {other:?}"),
                }
            })
            .build();
        let c = TestClient::fake_time(driver, Options::new());
        let got: Vec<String> = items(
            &c,
            get(&server.url("/q?api-version=1")),
            PageStrategy::token_in_body("token", "ct"),
            None,
        )
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
        assert_eq!(got, ["a", "b", "c"]);
        assert_eq!(server.requests().len(), 3);
    }
);

both_drivers!(tokens_in_a_header_and_items_in_another_field, |driver| {
    let server = Server::builder()
        .handler(|r: &Recorded| match r.header("x-ms-continuation") {
            None => json_reply(200, &json!({"Documents": ["d1", "d2"]}))
                .header("x-ms-continuation", "k1"),
            Some("k1") => {
                json_reply(200, &json!({"Documents": ["d3"]})).header("x-ms-continuation", "k2")
            }
            Some("k2") => json_reply(200, &json!({"Documents": null})),
            other => panic!("unexpected token {other:?}"),
        })
        .build();
    let c = TestClient::fake_time(driver, Options::new());
    let strategy = PageStrategy::token_in_header("x-ms-continuation", "x-ms-continuation")
        .with_items("Documents");
    let got = pages(&c, get(&server.url("/docs")), strategy.clone(), None);
    let got: Vec<Page<String>> = got.into_iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].items, ["d1", "d2"]);
    assert_eq!(got[1].continuation_token.as_deref(), Some("k2"));
    assert!(got[2].items.is_empty(), "null items are an empty page (Q4)");

    // by_page(token) starts at the page the token fetches.
    let resumed = items(&c, get(&server.url("/docs")), strategy, Some("k1".into()));
    let resumed: Vec<String> = resumed.into_iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(resumed, ["d3"]);
    let seen = server.requests();
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[3].header("x-ms-continuation"), Some("k1"));
});

both_drivers!(
    a_page_that_is_not_json_is_a_deserialization_error_with_its_token,
    |driver| {
        let server = Server::builder()
            .handler(|r: &Recorded| match r.query.as_deref() {
                None => json_reply(200, &json!({"value": ["x"], "nextLink": "/l?p=2"})),
                _ => Reply::status(200).body("<html>oops</html>"),
            })
            .build();
        let c = TestClient::fake_time(driver, Options::new());
        let got = items(&c, get(&server.url("/l")), PageStrategy::next_link(), None);
        assert_eq!(got.len(), 2);
        let err = got[1].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Deserialization);
        assert_eq!(err.continuation_token(), Some("/l?p=2"));
    }
);

/// Lines of text, the last line naming the next page's marker (empty on the last page).
fn decode_lines(_: &http::HeaderMap, body: &[u8]) -> Result<Page<String>, Error> {
    let text =
        std::str::from_utf8(body).map_err(|e| Error::with_source(ErrorKind::Deserialization, e))?;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let marker = lines.pop().filter(|m| !m.is_empty());
    Ok(Page {
        items: lines,
        continuation_token: marker,
    })
}

/// Every page of a listing in lines, the marker sent back as `marker`, under either driver.
fn line_pages(c: &TestClient, first: Request<Body>) -> Vec<Result<Page<String>, Error>> {
    let strategy = PageStrategy::token_in_body("-", "marker");
    let options = Options::new();
    match c.driver() {
        Driver::Async => c.block_on(
            Pager::new(c.async_client(), first, strategy, &options)
                .with_decoder(decode_lines)
                .into_pages()
                .collect::<Vec<_>>(),
        ),
        Driver::Blocking => BlockingPager::new(c.blocking_client(), first, strategy, &options)
            .with_decoder(decode_lines)
            .pages()
            .collect(),
    }
}

both_drivers!(an_sdk_decoder_reads_pages_that_are_not_json, |driver| {
    let server = Server::builder()
        .handler(|r: &Recorded| match r.query.as_deref() {
            Some("n=2") => Reply::status(200).body("a\nb\nm2"),
            Some("n=2&marker=m2") => Reply::status(200).body("c\n\n"),
            other => panic!("unexpected query {other:?}"),
        })
        .build();
    let c = TestClient::new(driver, Options::new());
    let first = get(&server.url("/list?n=2"));
    let got = line_pages(&c, first);
    let got: Vec<Page<String>> = got.into_iter().map(Result::unwrap).collect();
    assert_eq!(got[0].items, ["a", "b"]);
    assert_eq!(got[0].continuation_token.as_deref(), Some("m2"));
    assert_eq!(got[1].items, ["c"]);
    assert_eq!(got.len(), 2);
    let queries: Vec<_> = server.requests().iter().map(|r| r.query.clone()).collect();
    assert_eq!(
        queries,
        [Some("n=2".to_owned()), Some("n=2&marker=m2".to_owned())]
    );
});

both_drivers!(
    a_decoder_error_carries_the_page_token_and_can_be_retried,
    |driver| {
        let server = Server::builder()
            .handler(|r: &Recorded| match r.query.as_deref() {
                None => Reply::status(200).body("a\nm2"),
                Some("marker=m2") => Reply::status(200).body(&b"\xff\xfe"[..]),
                other => panic!("unexpected query {other:?}"),
            })
            .build();
        let c = TestClient::new(driver, Options::new());
        let first = get(&server.url("/list"));
        let got = line_pages(&c, first);
        assert_eq!(got.len(), 2, "the stream ends after the error");
        let err = got[1].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Deserialization);
        assert_eq!(err.continuation_token(), Some("m2"));
    }
);

both_drivers!(a_page_larger_than_the_limit_is_refused_not_held, |driver| {
    let huge = vec![b' '; clientcore::MAX_BUFFERED_BODY + 1];
    let server = Server::start([
        json_reply(200, &json!({"value": ["a"], "nextLink": "/items?page=2"})),
        Reply::status(200)
            .header("content-type", "application/json")
            .body(huge),
    ]);
    let c = TestClient::new(driver, Options::new());
    let got = pages(
        &c,
        get(&server.url("/items")),
        PageStrategy::next_link(),
        None,
    );
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].as_ref().unwrap().items, ["a"]);
    let err = got[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert!(err.to_string().contains("buffer limit"), "{err}");
    assert_eq!(err.continuation_token(), Some("/items?page=2"));
});
