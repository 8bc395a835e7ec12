//! A batch goes out as one `multipart/mixed` request and its answer comes back as one
//! response per part, each failed part a typed error with its parsed service error.

mod support;

use bytes::Bytes;
use clientcore::pipeline::batch::{parse_batch, Batch, Changeset, TargetForm};
use clientcore::pipeline::RequestParts;
use clientcore::{ErrorFormat, ErrorKind, ErrorMap, Options, Request};
use http::{HeaderMap, Method};
use support::{Reply, Server, TestClient};

const ANSWER: &str = "--batchresponse_7\r\n\
    Content-Type: multipart/mixed; boundary=changesetresponse_8\r\n\r\n\
    --changesetresponse_8\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\n\
    HTTP/1.1 204 No Content\r\nETag: W/\"1\"\r\n\r\n\r\n\
    --changesetresponse_8\r\nContent-Type: application/http\r\nContent-ID: 2\r\n\r\n\
    HTTP/1.1 409 Conflict\r\nContent-Type: application/json;odata=minimalmetadata\r\n\r\n\
    {\"odata.error\":{\"code\":\"EntityAlreadyExists\",\"message\":{\"lang\":\"en-US\",\
    \"value\":\"The specified entity already exists.\"}}}\r\n\
    --changesetresponse_8--\r\n--batchresponse_7--\r\n";

fn insert(server: &Server, row: &str) -> (RequestParts, Bytes) {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    (
        RequestParts {
            method: Method::POST,
            url: server.url("/devstoreaccount1/people").parse().unwrap(),
            headers,
        },
        Bytes::from(format!(r#"{{"PartitionKey":"p","RowKey":"{row}"}}"#)),
    )
}

both_drivers!(
    a_changeset_goes_out_whole_and_its_failed_part_is_a_typed_error,
    |driver| {
        let server = Server::start([Reply::status(202)
            .header("content-type", "multipart/mixed; boundary=batchresponse_7")
            .body(ANSWER)]);
        let client = TestClient::new(driver, Options::new());
        let (a, a_body) = insert(&server, "1");
        let (b, b_body) = insert(&server, "2");
        let batch = Batch::new(TargetForm::Absolute)
            .changeset(Changeset::new().request(a, a_body).request(b, b_body));
        let url = server.url("/devstoreaccount1/$batch").parse().unwrap();
        let request = Request::new(Method::POST, url).with_batch(batch).unwrap();
        let got = client.send(request, &Options::new()).unwrap();
        assert_eq!(got.status, 202);

        // What the server saw: one request, both inserts inside, each with its own line.
        let seen = &server.requests()[0];
        let sent = String::from_utf8(seen.body.to_vec()).unwrap();
        assert!(seen
            .header("content-type")
            .unwrap()
            .starts_with("multipart/mixed; boundary=batch_"));
        let url = server.url("/devstoreaccount1/people");
        assert_eq!(sent.matches(&format!("POST {url} HTTP/1.1\r\n")).count(), 2);
        assert!(sent.contains(r#"{"PartitionKey":"p","RowKey":"2"}"#));

        // What the caller gets: one result per sub-response, the 409 a typed error.
        let parts = parse_batch(&got.headers, &got.body).unwrap();
        let results: Vec<_> = parts
            .into_iter()
            .map(|p| p.into_result(ErrorFormat::ODataV3, &ErrorMap::generated()))
            .collect();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].as_ref().unwrap().status, 204);
        let err = results[1].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceExists);
        assert_eq!(err.error_code(), Some("EntityAlreadyExists"));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    }
);

both_drivers!(
    a_batch_is_not_redirected_to_another_origin_with_its_credentials,
    |driver| {
        let elsewhere = Server::start([Reply::status(202)]);
        elsewhere.allow_unused();
        let server = Server::start([Reply::status(307).header("location", elsewhere.url("/take"))]);
        let client = TestClient::new(driver, Options::new());
        let (mut a, a_body) = insert(&server, "1");
        // A sub-request signed as `batch::authorize` would: its SAS is in the body.
        a.url.set_query(Some("sv=2021-12-02&sig=s3cr3t"));
        let batch = Batch::new(TargetForm::Absolute).request(a, a_body);
        let url = server.url("/devstoreaccount1/$batch").parse().unwrap();
        let request = Request::new(Method::POST, url).with_batch(batch).unwrap();
        let err = client.send(request, &Options::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err}");
        assert!(err.to_string().contains("batch"), "{err}");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        assert_eq!(server.requests().len(), 1);
        assert!(
            elsewhere.requests().is_empty(),
            "the body went to another origin"
        );
    }
);

both_drivers!(a_batch_follows_a_redirect_within_its_origin, |driver| {
    let server = Server::start([
        Reply::status(307).header("location", "/devstoreaccount1/$batch2"),
        Reply::status(202),
    ]);
    let client = TestClient::new(driver, Options::new());
    let (a, a_body) = insert(&server, "1");
    let batch = Batch::new(TargetForm::Absolute).request(a, a_body);
    let url = server.url("/devstoreaccount1/$batch").parse().unwrap();
    let request = Request::new(Method::POST, url).with_batch(batch).unwrap();
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(got.status, 202);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body, seen[1].body, "the body replayed whole");
});
