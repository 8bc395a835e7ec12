//! The `testing` feature (issue 16): the mock transport answers from its script and keeps
//! what it was sent, and record/replay writes real exchanges to a file with secrets hidden
//! and answers from it with the server gone, under both drivers, through the whole pipeline.
#![cfg(all(feature = "testing", feature = "async", feature = "blocking"))]

mod support;

use std::sync::Arc;

use bytes::Bytes;
use clientcore::http::{HeaderName, HeaderValue, Method, StatusCode};
use clientcore::testing::{MockResponse, MockTransport, Recorder};
use clientcore::transport::{BlockingTransport, Transport};
use clientcore::{BlockingClient, Body, Client, Error, ErrorKind, Options, Request, RetryOptions};
use clientcore_testkit::FakeClock;
use support::{Driver, Reply, Server};

/// A client of `driver` on `transport`, on a fake clock (retries do not sleep for real).
struct On {
    driver: Driver,
    runtime: tokio::runtime::Runtime,
    async_client: Option<Client>,
    blocking_client: Option<BlockingClient>,
    clock: FakeClock,
}

/// What a call gave: status, headers, body.
type Got = (StatusCode, clientcore::http::HeaderMap, Bytes);

impl On {
    fn new<T: Transport + BlockingTransport + 'static>(driver: Driver, transport: T) -> Self {
        let clock = FakeClock::new();
        let transport = Arc::new(transport);
        let (mut async_client, mut blocking_client) = (None, None);
        match driver {
            Driver::Async => {
                async_client = Some(
                    Client::builder()
                        .transport(transport)
                        .clock(Arc::new(clock.clone()))
                        .sleep(Arc::new(clock.clone()))
                        .build()
                        .unwrap(),
                );
            }
            Driver::Blocking => {
                blocking_client = Some(
                    BlockingClient::builder()
                        .transport(transport)
                        .clock(Arc::new(clock.clone()))
                        .sleep(Arc::new(clock.clone()))
                        .build()
                        .unwrap(),
                );
            }
        }
        On {
            driver,
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap(),
            async_client,
            blocking_client,
            clock,
        }
    }

    fn send(&self, request: Request<Body>, options: &Options) -> Result<Got, Error> {
        match self.driver {
            Driver::Async => self.runtime.block_on(async {
                let client = self.async_client.as_ref().unwrap();
                let mut r = client.send(request, options).await?;
                let body = r.read().await?;
                Ok((r.status(), r.headers().clone(), body))
            }),
            Driver::Blocking => {
                let client = self.blocking_client.as_ref().unwrap();
                let mut r = client.send(request, options)?;
                let body = r.read()?;
                Ok((r.status(), r.headers().clone(), body))
            }
        }
    }
}

impl Drop for On {
    fn drop(&mut self) {
        // The clients go before the runtime, outside any async context.
        self.async_client = None;
        self.blocking_client = None;
    }
}

fn put(url: &str, body: &'static str) -> Request<Body> {
    Request::new(Method::PUT, url.parse().unwrap())
        .with_body(Body::from(body))
        .with_header(
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("text/plain"),
        )
}

both_drivers!(
    the_mock_answers_in_order_and_captures_every_attempt,
    |driver| {
        let mock = MockTransport::new([
            MockResponse::new(503).header("retry-after", "2"),
            MockResponse::new(201)
                .header("etag", "\"0x1\"")
                .json(&serde_json::json!({"name": "q1"})),
        ]);
        let on = On::new(driver, mock.clone());
        let (status, headers, body) = on
            .send(
                put("https://acct.example/queues/q1?timeout=5", "hi"),
                &Options::new(),
            )
            .unwrap();
        // What the caller got: the second answer, after the 503 was retried on the fake clock.
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(headers["etag"], "\"0x1\"");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body, r#"{"name":"q1"}"#);
        assert_eq!(on.clock.sleeps(), [std::time::Duration::from_secs(2)]);
        // What the "server" saw: the same request twice, body and headers as the pipeline made them.
        let sent = mock.requests();
        assert_eq!(sent.len(), 2);
        for r in &sent {
            assert_eq!(r.method, Method::PUT);
            assert_eq!(r.url.as_str(), "https://acct.example/queues/q1?timeout=5");
            assert_eq!(r.text(), "hi");
            assert_eq!(r.header("content-type"), Some("text/plain"));
            assert!(r.header("x-ms-client-request-id").is_some(), "{r:?}");
        }
        // One request id for the call, kept on the retry.
        assert_eq!(
            sent[0].header("x-ms-client-request-id"),
            sent[1].header("x-ms-client-request-id")
        );
        assert_eq!(mock.remaining(), 0);
    }
);

both_drivers!(service_errors_from_the_mock_are_typed, |driver| {
    let mock = MockTransport::new([MockResponse::new(404).json(&serde_json::json!({
        "error": {"code": "QueueNotFound", "message": "The specified queue does not exist."}
    }))]);
    let on = On::new(driver, mock.clone());
    let err = on
        .send(put("https://acct.example/queues/q1", "x"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound, "{err:?}");
    assert_eq!(err.error_code(), Some("QueueNotFound"));
    assert_eq!(mock.requests().len(), 1);
});

both_drivers!(transport_failures_are_scripted_and_retried, |driver| {
    let mock = MockTransport::new([
        MockResponse::fail(ErrorKind::ServiceRequest, "connection refused"),
        MockResponse::new(200).body("ok"),
    ]);
    let on = On::new(driver, mock.clone());
    let (status, _, body) = on
        .send(put("https://acct.example/a", "x"), &Options::new())
        .unwrap();
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"ok"[..]));
    assert_eq!(mock.requests().len(), 2);
});

both_drivers!(a_mock_out_of_answers_fails_clearly, |driver| {
    let mock = MockTransport::new([MockResponse::new(200)]);
    let on = On::new(driver, mock.clone());
    let no_retry = Options::new().with_retry(RetryOptions::new().with_total(0));
    on.send(put("https://acct.example/a", "x"), &no_retry)
        .unwrap();
    let err = on
        .send(put("https://acct.example/b?sig=secret", "x"), &no_retry)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("no scripted response left for PUT https://acct.example/b"),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");
    // Bad scripted input is an error of the call, not a panic.
    mock.push(MockResponse::new(42));
    let err = on
        .send(put("https://acct.example/c", "x"), &no_retry)
        .unwrap_err();
    assert!(err.to_string().contains("invalid status 42"), "{err}");
    mock.push(MockResponse::new(200).header("bad name", "v"));
    let err = on
        .send(put("https://acct.example/c", "x"), &no_retry)
        .unwrap_err();
    assert!(err.to_string().contains("invalid header"), "{err}");
});

both_drivers!(a_responder_answers_once_the_script_is_used_up, |driver| {
    let mock = MockTransport::default();
    mock.respond_with(|r| MockResponse::new(200).body(format!("you asked for {}", r.url.path())));
    let on = On::new(driver, mock.clone());
    let (_, _, body) = on
        .send(put("https://acct.example/x/1", "x"), &Options::new())
        .unwrap();
    assert_eq!(body, "you asked for /x/1");
});

/// The calls of the record/replay test: a PUT with a key and a SAS, a binary download with
/// a cookie set, and a 409 with a storage error. What each gave, status and body (or the
/// error's kind and code).
fn calls(on: &On, base: &str) -> Vec<String> {
    let key = Options::new().with_header(
        HeaderName::from_static("authorization"),
        HeaderValue::from_static("SharedKey acct:c2VjcmV0LWtleQ=="),
    );
    let mut got = Vec::new();
    let first = put(
        &format!("{base}/c/blob?api-version=1&sig=sas-secret&se=2030"),
        "data",
    )
    .with_header(
        HeaderName::from_static("x-ms-copy-source-authorization"),
        HeaderValue::from_static("Bearer token-secret"),
    );
    for (request, options) in [
        (first, key.clone()),
        (
            Request::new(Method::GET, format!("{base}/bin").parse().unwrap()),
            key.clone(),
        ),
        (
            Request::new(Method::DELETE, format!("{base}/c").parse().unwrap()),
            key,
        ),
    ] {
        got.push(match on.send(request, &options) {
            Ok((status, headers, body)) => format!(
                "{status} {:?} {:?} {body:?}",
                headers.get("etag"),
                headers
                    .get("location")
                    .map(|l| l.to_str().unwrap().replace(base, ""))
            ),
            Err(e) => format!("{:?} {:?}", e.kind(), e.error_code()),
        });
    }
    got
}

both_drivers!(recorded_exchanges_replay_offline_with_no_secret, |driver| {
    let dir = std::env::temp_dir().join(format!(
        "clientcore-record-{}-{:?}",
        std::process::id(),
        driver
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("exchanges.json");
    let server = Server::start([
        Reply::status(201)
            .header("etag", "\"0x8\"")
            .header("location", "/c/blob?sig=loc-secret")
            .header("x-ms-request-id", "rid-1"),
        Reply::status(200)
            .header("set-cookie", "session=cookie-secret")
            .body(Bytes::from_static(&[0, 159, 146, 150, 255])),
        Reply::status(409)
            .header("content-type", "application/xml")
            .header("x-ms-error-code", "ContainerBeingDeleted")
            .body("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ContainerBeingDeleted</Code><Message>Being deleted.</Message></Error>"),
    ]);
    let base = server.url("");
    let base = base.trim_end_matches('/').to_owned();
    let recorded = calls(&On::new(driver, Recorder::new(&path).unwrap()), &base);
    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0].headers["authorization"],
        "SharedKey acct:c2VjcmV0LWtleQ=="
    );
    drop(server);

    // The file: every exchange, secrets hidden, the rest kept for review.
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in [
        "c2VjcmV0LWtleQ",
        "sas-secret",
        "token-secret",
        "cookie-secret",
        "loc-secret",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let exchanges = json["exchanges"].as_array().unwrap();
    assert_eq!(exchanges.len(), 3);
    assert_eq!(exchanges[0]["request"]["method"], "PUT");
    assert_eq!(
        exchanges[0]["request"]["url"],
        format!("{base}/c/blob?api-version=1&sig=REDACTED&se=REDACTED")
    );
    assert_eq!(exchanges[0]["request"]["body"]["text"], "data");
    assert!(exchanges[0]["request"]["headers"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!(["authorization", "REDACTED"])));
    assert_eq!(exchanges[1]["response"]["body"]["base64"], "AJ+Slv8=");
    assert_eq!(exchanges[2]["response"]["status"], 409);

    // Replayed with the server gone: the same results, the same requests asked for.
    let replay = MockTransport::replay(&path).unwrap();
    let replayed = calls(&On::new(driver, replay.clone()), &base);
    // The same, but for the SAS in the Location header: hidden on record, it replays hidden.
    let expected: Vec<String> = recorded
        .iter()
        .map(|r| r.replace("sig=loc-secret", "sig=REDACTED"))
        .collect();
    assert_eq!(replayed, expected);
    assert!(
        recorded[2].contains("ResourceExists") || recorded[2].contains("HttpResponse"),
        "{recorded:?}"
    );
    assert!(
        recorded[2].contains("ContainerBeingDeleted"),
        "{recorded:?}"
    );
    assert_eq!(replay.requests().len(), 3);
    assert_eq!(replay.remaining(), 0);

    // A replay asked for something else says what it expected, instead of answering.
    let replay = MockTransport::replay(&path).unwrap();
    let on = On::new(driver, replay);
    let err = on
        .send(
            Request::new(Method::GET, format!("{base}/other").parse().unwrap()),
            &Options::new().with_retry(RetryOptions::new().with_total(0)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest);
    assert!(err.to_string().contains("expected PUT"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
});

#[test]
fn a_file_that_is_not_a_recording_is_a_clear_error() {
    let path =
        std::env::temp_dir().join(format!("clientcore-not-a-recording-{}", std::process::id()));
    std::fs::write(&path, "{\"exchanges\": 3}").unwrap();
    let err = MockTransport::replay(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Deserialization);
    assert!(err.to_string().contains("is not a recording"), "{err}");
    std::fs::remove_file(&path).unwrap();
    let err = MockTransport::replay(&path).unwrap_err();
    assert!(err.to_string().contains("could not read"), "{err}");
}
