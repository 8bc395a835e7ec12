//! A first end-to-end check of both drivers against the testkit server.

use clientcore::{BlockingClient, Client, ErrorKind, Request, RequestOptions};
use clientcore_testkit::{Reply, Server};
use http::Method;

#[tokio::test]
async fn async_get_retries_503_then_succeeds() {
    let server = Server::start([Reply::status(503), Reply::status(200).body("hello")]);
    let client = Client::builder().build().unwrap();
    let req = Request::new(Method::GET, server.url("/x").parse().unwrap());
    let mut resp = client.send(req, &RequestOptions::new()).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "hello");
    assert_eq!(resp.retry_history().len(), 1);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    let id0 = seen[0].header("x-ms-client-request-id").unwrap().to_owned();
    assert_eq!(seen[1].header("x-ms-client-request-id"), Some(id0.as_str()));
}

#[test]
fn blocking_404_is_resource_not_found() {
    let server = Server::start([Reply::status(404)
        .header("content-type", "application/json")
        .body(r#"{"error":{"code":"NotHere","message":"gone"}}"#)]);
    let client = BlockingClient::builder().build().unwrap();
    let req = Request::new(Method::GET, server.url("/x").parse().unwrap());
    let err = client.send(req, &RequestOptions::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    assert_eq!(err.error_code(), Some("NotHere"));
    assert_eq!(
        err.to_string(),
        "(NotHere) gone\nCode: NotHere\nMessage: gone"
    );
}
