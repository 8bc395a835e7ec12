//! Paging for SDK authors: a continuation of several parts (Azure Tables' two headers sent
//! back as two query parameters), resumable from its token, and decoders that are closures
//! over items with no `Deserialize`.

mod support;

use clientcore::paging::{BlockingPager, Page, PageStrategy, Pager};
use clientcore::{Body, Error, Options, Request};
use futures_util::StreamExt as _;
use http::Method;
use serde_json::json;
use support::{Driver, Recorded, Reply, Server, TestClient};

fn tables() -> PageStrategy {
    PageStrategy::tokens_in_headers(&[
        ("x-ms-continuation-NextPartitionKey", "NextPartitionKey"),
        ("x-ms-continuation-NextRowKey", "NextRowKey"),
    ])
}

/// A Tables query of three pages: the continuation in two headers on pages 1 and 2.
fn table_service() -> Server {
    Server::builder()
        .handler(|r: &Recorded| {
            let query = r.query.clone().unwrap_or_default();
            let (rows, next): (_, Option<(&str, &str)>) = if query.contains("NextRowKey=r+2") {
                (json!([{"RowKey": "3"}]), None)
            } else if query.contains("NextPartitionKey=p%211") {
                (json!([{"RowKey": "2"}]), Some(("p!2", "r 2")))
            } else {
                (json!([{"RowKey": "1"}]), Some(("p!1", "r 1")))
            };
            let mut reply = Reply::status(200)
                .header("content-type", "application/json")
                .body(json!({"value": rows}).to_string());
            if let Some((pk, rk)) = next {
                reply = reply
                    .header("x-ms-continuation-NextPartitionKey", pk)
                    .header("x-ms-continuation-NextRowKey", rk);
            }
            reply
        })
        .build()
}

fn pages(c: &TestClient, url: &str, token: Option<String>) -> Vec<Page<serde_json::Value>> {
    let first = Request::<Body>::new(Method::GET, url.parse().unwrap());
    let options = Options::new();
    let got: Vec<Result<Page<serde_json::Value>, Error>> = match c.driver() {
        Driver::Async => {
            let pager = Pager::new(c.async_client(), first, tables(), &options).by_page(token);
            c.block_on(pager.into_pages().collect::<Vec<_>>())
        }
        Driver::Blocking => BlockingPager::new(c.blocking_client(), first, tables(), &options)
            .by_page(token)
            .pages()
            .collect(),
    };
    got.into_iter().collect::<Result<_, _>>().unwrap()
}

both_drivers!(
    a_two_part_continuation_goes_back_as_two_query_parameters,
    |driver| {
        let server = table_service();
        let c = TestClient::new(driver, Options::new());
        let url = server.url("/people()?$filter=Age%20gt%2030");
        let got = pages(&c, &url, None);
        let rows: Vec<_> = got.iter().map(|p| p.items[0]["RowKey"].clone()).collect();
        assert_eq!(rows, [json!("1"), json!("2"), json!("3")]);
        assert_eq!(
            got[0].continuation_token.as_deref(),
            Some("NextPartitionKey=p%211&NextRowKey=r+1")
        );
        assert_eq!(got[2].continuation_token, None);
        let queries: Vec<_> = server
            .requests()
            .into_iter()
            .map(|r| r.query.unwrap_or_default())
            .collect();
        // The first request's own parameters stay; the continuation's replace the last page's.
        assert_eq!(
            queries,
            [
                "$filter=Age%20gt%2030",
                "$filter=Age%20gt%2030&NextPartitionKey=p%211&NextRowKey=r+1",
                "$filter=Age%20gt%2030&NextPartitionKey=p%212&NextRowKey=r+2",
            ]
        );

        // Resumed from page 2's token, in a new pager: page 3 only.
        let token = got[1].continuation_token.clone();
        let resumed = pages(&c, &url, token);
        assert_eq!(resumed.len(), 1);
        assert_eq!(resumed[0].items[0]["RowKey"], "3");
    }
);

/// An item with no `Deserialize`: a line tagged with the account it came from.
#[derive(Debug, PartialEq)]
struct Tagged(String);

both_drivers!(
    a_decoder_may_be_a_closure_over_items_without_deserialize,
    |driver| {
        let server = Server::start([Reply::status(200).body("a\nb\n")]);
        let c = TestClient::new(driver, Options::new());
        let account = String::from("acct1");
        let decode = move |_: &http::HeaderMap, body: &[u8]| -> Result<Page<Tagged>, Error> {
            let text = String::from_utf8_lossy(body);
            Ok(Page {
                items: text
                    .lines()
                    .map(|l| Tagged(format!("{account}/{l}")))
                    .collect(),
                continuation_token: None,
            })
        };
        let first = Request::<Body>::new(Method::GET, server.url("/lines").parse().unwrap());
        let strategy = PageStrategy::token_in_body("-", "marker");
        let options = Options::new();
        let items: Vec<Tagged> = match driver {
            Driver::Async => {
                let pager = Pager::with_decode(c.async_client(), first, strategy, &options, decode);
                c.block_on(pager.into_items().collect::<Vec<_>>())
            }
            Driver::Blocking => {
                BlockingPager::with_decode(c.blocking_client(), first, strategy, &options, decode)
                    .collect()
            }
        }
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
        assert_eq!(items, [Tagged("acct1/a".into()), Tagged("acct1/b".into())]);
    }
);
