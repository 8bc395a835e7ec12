//! The transport only transports (issue 15; issue 16's signing hook): `Accept`,
//! `Accept-Encoding`, `Content-Length`, the jar's `Cookie` and URL userinfo as Basic
//! authorization are decided in the core before the per-try policies run, so that a signing
//! policy sees the request as it goes on the wire, and a custom transport gets the same
//! headers as the default one.
#![cfg(all(feature = "testing", feature = "async", feature = "blocking"))]

mod support;

use std::sync::{Arc, Mutex};

use clientcore::http::{HeaderMap, HeaderValue, Method};
use clientcore::pipeline::RequestParts;
use clientcore::testing::{CapturedRequest, MockResponse, MockTransport};
use clientcore::{policy_fn, BlockingClient, Body, Client, Options, Position, Request};
use support::{Driver, Reply, Server, TestClient};

/// The headers a signature covers here, as the signer saw them.
const SIGNED: [&str; 4] = ["content-length", "accept", "accept-encoding", "cookie"];

fn value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| v.to_str().unwrap().to_owned())
}

/// A per-try policy that "signs" the request: it writes what it saw of [`SIGNED`] into
/// `x-signed`, and keeps it for the test.
fn signer(seen: Arc<Mutex<Vec<Vec<Option<String>>>>>) -> Options {
    let policy = policy_fn(move |r: &mut RequestParts| {
        let got: Vec<Option<String>> = SIGNED.iter().map(|n| value(&r.headers, n)).collect();
        let line = got
            .iter()
            .map(|v| v.as_deref().unwrap_or("-"))
            .collect::<Vec<_>>()
            .join("|");
        r.headers
            .insert("x-signed", HeaderValue::from_str(&line).unwrap());
        seen.lock().unwrap().push(got);
        Ok(())
    });
    Options::new().with_policy(Position::PerTry, policy)
}

fn put(url: &str, body: &'static str) -> Request<Body> {
    Request::new(Method::PUT, url.parse().unwrap()).with_body(Body::from(body))
}

both_drivers!(a_signer_sees_the_headers_that_go_on_the_wire, |driver| {
    let server = Server::start([
        Reply::status(200).header("set-cookie", "session=abc; Path=/"),
        Reply::status(200),
    ]);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = TestClient::new(driver, signer(seen.clone()));
    client.get(&server.url("/login"), &Options::new()).unwrap();
    client
        .send(put(&server.url("/upload"), "hello"), &Options::new())
        .unwrap();

    let signed = seen.lock().unwrap().clone();
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        signed[1],
        [
            some("5"),
            some("*/*"),
            some("gzip, deflate"),
            some("session=abc")
        ],
        "what the signer saw"
    );
    assert_eq!(
        signed[0],
        [None, some("*/*"), some("gzip, deflate"), None],
        "a GET with no body has no length, and the jar was empty"
    );
    // The server saw exactly what was signed, and the signature the signer made of it.
    let wire = server.requests();
    for (i, got) in signed.iter().enumerate() {
        let on_wire: Vec<Option<String>> =
            SIGNED.iter().map(|n| value(&wire[i].headers, n)).collect();
        assert_eq!(&on_wire, got, "request {i}");
        let line = got
            .iter()
            .map(|v| v.as_deref().unwrap_or("-"))
            .collect::<Vec<_>>()
            .join("|");
        assert_eq!(wire[i].header("x-signed"), Some(line.as_str()));
    }
    assert_eq!(wire[1].body, "hello");
});

/// The mock's client, of `driver`.
enum MockClient {
    Async(Client, tokio::runtime::Runtime),
    Blocking(BlockingClient),
}

impl MockClient {
    fn new(driver: Driver, mock: &MockTransport) -> Self {
        let transport = Arc::new(mock.clone());
        match driver {
            Driver::Async => MockClient::Async(
                Client::builder().transport(transport).build().unwrap(),
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap(),
            ),
            Driver::Blocking => MockClient::Blocking(
                BlockingClient::builder()
                    .transport(transport)
                    .build()
                    .unwrap(),
            ),
        }
    }

    fn send(&self, request: Request<Body>, options: &Options) {
        match self {
            MockClient::Async(client, runtime) => runtime.block_on(async {
                client
                    .send(request, options)
                    .await
                    .unwrap()
                    .read()
                    .await
                    .unwrap();
            }),
            MockClient::Blocking(client) => {
                client.send(request, options).unwrap().read().unwrap();
            }
        }
    }
}

/// Every header but those the connection itself adds (`host`), sorted, values as text.
fn header_set(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| n.as_str() != "host")
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    all.sort();
    all
}

both_drivers!(
    a_custom_transport_gets_the_headers_the_default_one_sends,
    |driver| {
        let server = Server::start([
            Reply::status(200).header("set-cookie", "session=abc; Path=/"),
            Reply::status(200),
        ]);
        let mock = MockTransport::new([
            MockResponse::new(200).header("set-cookie", "session=abc; Path=/"),
            MockResponse::new(200),
        ]);
        let real = TestClient::new(driver, Options::new());
        let fake = MockClient::new(driver, &mock);
        // The same calls on both: the same URL (the mock never connects), a fixed request id.
        // The second carries a body, a cookie from the jar and userinfo.
        let call = Options::new().with_request_id("fixed-id");
        let login = server.url("/login");
        let upload = server
            .url("/upload?x=1")
            .replace("http://", "http://alice:pw@");
        real.get(&login, &call).unwrap();
        real.send(put(&upload, "hello"), &call).unwrap();
        fake.send(Request::new(Method::GET, login.parse().unwrap()), &call);
        fake.send(put(&upload, "hello"), &call);

        let wire = server.requests();
        let captured: Vec<CapturedRequest> = mock.requests();
        assert_eq!((wire.len(), captured.len()), (2, 2));
        for i in 0..2 {
            assert_eq!(
                header_set(&captured[i].headers),
                header_set(&wire[i].headers),
                "request {i}: what the mock got, then what the server saw"
            );
        }
        let sent = header_set(&captured[1].headers);
        for expected in [
            ("accept", "*/*"),
            ("accept-encoding", "gzip, deflate"),
            ("content-length", "5"),
            ("cookie", "session=abc"),
            // `alice:pw`, base64.
            ("authorization", "Basic YWxpY2U6cHc="),
        ] {
            let expected = (expected.0.to_owned(), expected.1.to_owned());
            assert!(sent.contains(&expected), "{expected:?} in {sent:?}");
        }
        // The userinfo went into the header, out of the URL the transport got.
        assert_eq!(captured[1].url.username(), "");
        assert_eq!(captured[1].url.password(), None);
        assert_eq!(captured[1].url.path(), "/upload");
        assert_eq!(captured[1].text(), "hello");
    }
);

both_drivers!(
    the_log_shows_the_request_without_the_wire_additions,
    |driver| {
        use clientcore::policies::log::{log_fn, Level};
        use clientcore::policies::redact::Redactor;
        let server = Server::start([
            Reply::status(200).header("set-cookie", "jar=1; Path=/"),
            Reply::status(200),
        ]);
        let records = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let records = records.clone();
            log_fn(move |_: Level, record: &str| records.lock().unwrap().push(record.to_owned()))
        };
        let redactor = Redactor::default()
            .allow_header("cookie")
            .allow_header("accept")
            .allow_header("content-length");
        let client = TestClient::new(
            driver,
            Options::new()
                .with_user_agent_env(None)
                .with_logger(sink)
                .with_redactor(redactor),
        );
        client.get(&server.url("/login"), &Options::new()).unwrap();
        client
            .send(
                put(&server.url("/upload"), "hello"),
                &Options::new()
                    .with_cookie("mine", "2")
                    .with_request_id("id"),
            )
            .unwrap();
        // The wire had the jar's cookie joined to the call's, a length and the Accept headers…
        let wire = &server.requests()[1];
        assert_eq!(wire.header("cookie"), Some("mine=2; jar=1"));
        assert_eq!(wire.header("content-length"), Some("5"));
        assert_eq!(wire.header("accept"), Some("*/*"));
        // …the log shows the request as the caller and the pipeline made it, as the reference's.
        let logged = records.lock().unwrap().clone();
        let request = &logged[2];
        let headers: Vec<&str> = request.lines().filter(|l| l.starts_with("    '")).collect();
        assert_eq!(
            headers[..2],
            [
                "    'cookie': 'mine=2'",
                "    'x-ms-client-request-id': 'id'"
            ],
            "{request}"
        );
        assert_eq!(
            headers.len(),
            3,
            "cookie, request id, user agent: {request}"
        );
    }
);
