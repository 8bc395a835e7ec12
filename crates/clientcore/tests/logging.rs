//! HTTP logging and redaction end to end (reference §3.6, §3.7; scenarios J and K): the exact
//! records a `LogSink` gets per client and per call, and secrets kept out of every log line
//! and every `Debug` output.

mod support;

use std::sync::{Arc, Mutex};

use clientcore::http::{header, HeaderName, HeaderValue, Method};
use clientcore::pipeline::HookRequest;
use clientcore::policies::auth::Credential;
use clientcore::policies::log::{log_fn, Level, SharedLogSink};
use clientcore::policies::redact::Redactor;
use clientcore::{Options, Request};
use support::{Driver, Reply, Server, TestClient};

type Records = Arc<Mutex<Vec<(Level, String)>>>;

fn sink() -> (Records, SharedLogSink) {
    let records: Records = Arc::default();
    let s = {
        let records = records.clone();
        log_fn(move |level: Level, record: &str| {
            records.lock().unwrap().push((level, record.to_owned()));
        })
    };
    (records, s)
}

fn taken(records: &Records) -> Vec<(Level, String)> {
    records.lock().unwrap().clone()
}

/// The secrets every test sends; none may ever be printed.
const SECRETS: &[&str] = &[
    "Token sekrit",
    "sekrit",
    "cookie-s3cr3t",
    "enc-k3y",
    "sigsecret",
];

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows the secret {s:?}:\n{text}");
    }
}

fn ua() -> String {
    format!(
        "azsdk-rust-clientcore/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Client options that carry every kind of secret: a key credential, a cookie and an
/// `x-ms-…-key` header.
fn secret_options() -> Options {
    Options::new()
        .with_user_agent_env(None)
        .with_credential(Credential::key(header::AUTHORIZATION, "Token sekrit"))
        .with_header(
            HeaderName::from_static("x-ms-encryption-key"),
            HeaderValue::from_static("enc-k3y"),
        )
        .with_cookie("session", "cookie-s3cr3t")
}

fn ok_reply() -> Reply {
    Reply::status(200)
        .header("x-ms-request-id", "rid")
        .header("set-cookie", "server=cookie-s3cr3t")
        .header("content-type", "application/json")
        .body("{}")
}

both_drivers!(exact_request_and_response_records, |driver| {
    let server = Server::start([ok_reply()]);
    let (records, s) = sink();
    let client = TestClient::new(driver, secret_options().with_logger(s));
    let url = server.url("/p?api-version=1&sig=sigsecret&flag");
    client
        .get(&url, &Options::new().with_request_id("abc"))
        .unwrap();

    let logged = taken(&records);
    let port = server.addr().port();
    assert_eq!(
        logged,
        [
            (
                Level::Debug,
                format!(
                    "Request URL: 'http://127.0.0.1:{port}/p?api-version=1&sig=REDACTED&flag'\n\
                     Request method: 'GET'\n\
                     Request headers:\n    \
                     'x-ms-encryption-key': 'REDACTED'\n    \
                     'cookie': 'REDACTED'\n    \
                     'x-ms-client-request-id': 'abc'\n    \
                     'user-agent': '{}'\n    \
                     'authorization': 'REDACTED'\n\
                     No body was attached to the request",
                    ua()
                )
            ),
            (
                Level::Debug,
                "Response status: 200\n\
                 Response headers:\n    \
                 'x-ms-request-id': 'rid'\n    \
                 'set-cookie': 'REDACTED'\n    \
                 'content-type': 'application/json'\n    \
                 'content-length': '2'"
                    .to_owned()
            ),
        ]
    );
    // The secrets did reach the server.
    let seen = server.requests();
    assert_eq!(seen[0].header("authorization"), Some("Token sekrit"));
    assert_eq!(seen[0].header("cookie"), Some("session=cookie-s3cr3t"));
    assert_eq!(seen[0].header("x-ms-encryption-key"), Some("enc-k3y"));
    assert_eq!(
        seen[0].query.as_deref(),
        Some("api-version=1&sig=sigsecret&flag")
    );
});

both_drivers!(every_attempt_is_logged, |driver| {
    let server = Server::start([Reply::status(503), ok_reply()]);
    let (records, s) = sink();
    let client = TestClient::fake_time(driver, Options::new().with_logger(s));
    client.get(&server.url("/r"), &Options::new()).unwrap();
    let logged = taken(&records);
    let firsts: Vec<&str> = logged
        .iter()
        .map(|(_, r)| r.lines().next().unwrap())
        .collect();
    let url = format!("Request URL: '{}'", server.url("/r"));
    assert_eq!(
        firsts,
        [
            url.as_str(),
            "Response status: 503",
            url.as_str(),
            "Response status: 200"
        ]
    );
    assert_eq!(server.requests().len(), 2);
});

both_drivers!(per_call_logger_replaces_the_clients, |driver| {
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let (client_records, client_sink) = sink();
    let (call_records, call_sink) = sink();
    let client = TestClient::new(driver, Options::new().with_logger(client_sink));
    client
        .get(&server.url("/call"), &Options::new().with_logger(call_sink))
        .unwrap();
    assert!(taken(&client_records).is_empty());
    assert_eq!(taken(&call_records).len(), 2);
    client.get(&server.url("/client"), &Options::new()).unwrap();
    let logged = taken(&client_records);
    assert_eq!(logged.len(), 2);
    assert!(logged[0]
        .1
        .starts_with(&format!("Request URL: '{}'", server.url("/client"))));
    assert_eq!(taken(&call_records).len(), 2, "the call's sink is not kept");
});

both_drivers!(widened_allow_list_shows_the_values, |driver| {
    let server = Server::start([ok_reply()]);
    let (records, s) = sink();
    let client = TestClient::new(driver, secret_options().with_logger(s));
    let redactor = Redactor::default()
        .allow_header("Authorization")
        .allow_header("cookie")
        .allow_header("set-cookie")
        .allow_query_param("SIG");
    client
        .get(
            &server.url("/p?sig=sigsecret&other=hidden"),
            &Options::new().with_redactor(redactor),
        )
        .unwrap();
    let logged = taken(&records);
    assert_eq!(logged.len(), 2);
    let (request, response) = (&logged[0].1, &logged[1].1);
    assert!(
        request.contains("?sig=sigsecret&other=REDACTED'"),
        "{request}"
    );
    assert!(
        request.contains("\n    'authorization': 'Token sekrit'\n"),
        "{request}"
    );
    assert!(
        request.contains("\n    'cookie': 'session=cookie-s3cr3t'"),
        "{request}"
    );
    assert!(
        request.contains("\n    'x-ms-encryption-key': 'REDACTED'"),
        "not widened: {request}"
    );
    assert!(
        response.contains("\n    'set-cookie': 'server=cookie-s3cr3t'"),
        "{response}"
    );
});

both_drivers!(logging_enable_adds_the_bodies, |driver| {
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let (records, s) = sink();
    let client = TestClient::new(driver, Options::new().with_logger(s));
    let post = |body: &'static str| {
        Request::new(Method::POST, server.url("/b").parse().unwrap()).with_body(body.into())
    };
    client.send(post("testbody"), &Options::new()).unwrap();
    client
        .send(post("testbody"), &Options::new().with_logging(true))
        .unwrap();
    let logged = taken(&records);
    assert_eq!(logged.len(), 4);
    assert_eq!(logged[0].0, Level::Debug);
    assert!(
        logged[0].1.ends_with("\nA body is sent with the request"),
        "{}",
        logged[0].1
    );
    assert_eq!(logged[2].0, Level::Debug);
    assert!(
        logged[2]
            .1
            .ends_with("\nA body is sent with the request (8 bytes)\nBody: testbody"),
        "{}",
        logged[2].1
    );
    let seen = server.requests();
    assert_eq!(seen[0].body, "testbody");
    assert_eq!(seen[1].body, "testbody");
});

both_drivers!(multirecord_logs_one_record_per_line, |driver| {
    let server = Server::start([
        Reply::status(201).header("x-ms-request-id", "rid"),
        Reply::status(201),
    ]);
    let (records, s) = sink();
    let opts = Options::new()
        .with_user_agent_env(None)
        .with_logger(s)
        .with_logging_multirecord(true);
    let client = TestClient::new(driver, opts);
    let url = server.url("/m?api-version=1&sig=sigsecret");
    let request = |body: &'static str| {
        Request::new(Method::POST, url.parse().unwrap()).with_body(body.into())
    };
    client
        .send(request("a=1"), &Options::new().with_request_id("id1"))
        .unwrap();
    let port = server.addr().port();
    let lines: Vec<(Level, String)> = [
        format!("Request URL: 'http://127.0.0.1:{port}/m?api-version=1&sig=REDACTED'"),
        "Request method: 'POST'".to_owned(),
        "Request headers:".to_owned(),
        "    'x-ms-client-request-id': 'id1'".to_owned(),
        format!("    'user-agent': '{}'", ua()),
        "A body is sent with the request".to_owned(),
        "Response status: 201".to_owned(),
        "Response headers:".to_owned(),
        "    'x-ms-request-id': 'rid'".to_owned(),
        "    'content-length': '0'".to_owned(),
    ]
    .into_iter()
    .map(|l| (Level::Debug, l))
    .collect();
    assert_eq!(taken(&records), lines);

    // A full trace: the body, line breaks and all, stays one record; a call can turn the
    // client's setting off again.
    records.lock().unwrap().clear();
    client
        .send(
            request("line one\nline two"),
            &Options::new().with_logging(true).with_request_id("id2"),
        )
        .unwrap();
    let logged = taken(&records);
    assert_eq!(
        logged[5..7],
        [
            (
                Level::Debug,
                "A body is sent with the request (17 bytes)".to_owned()
            ),
            (Level::Debug, "Body: line one\nline two".to_owned()),
        ]
    );
    assert!(logged.iter().all(|(_, l)| !l.contains("sigsecret")));
    records.lock().unwrap().clear();
    let server2 = Server::start([Reply::status(200)]);
    client
        .get(
            &server2.url("/single"),
            &Options::new().with_logging_multirecord(false),
        )
        .unwrap();
    let logged = taken(&records);
    assert_eq!(logged.len(), 2, "one request record, one response record");
    assert!(logged[0].1.starts_with("Request URL: "), "{}", logged[0].1);
});

both_drivers!(debug_output_never_shows_secrets, |driver| {
    let server = Server::start([
        ok_reply(),
        Reply::status(403)
            .header("set-cookie", "server=cookie-s3cr3t")
            .header("x-ms-encryption-key", "enc-k3y")
            .header("content-type", "application/json")
            .body(r#"{"error":{"code":"Denied","message":"no"}}"#),
    ]);
    let (records, s) = sink();
    let options = secret_options().with_logger(s);
    assert_no_secret("Debug of Options", &format!("{options:?}"));
    let sas = Options::new().with_credential(Credential::sas("sv=1&sig=sigsecret"));
    assert_no_secret("Debug of a SAS Options", &format!("{sas:?}"));

    let hooked: Arc<Mutex<Vec<String>>> = Arc::default();
    let hook = {
        let hooked = hooked.clone();
        move |r: &HookRequest<'_>| {
            hooked
                .lock()
                .unwrap()
                .push(format!("{:?} / {:?}", r.parts, r));
        }
    };
    let client = TestClient::new(driver, options.with_request_hook(hook));

    let url = server.url("/d?sig=sigsecret");
    let request = || Request::new(Method::GET, url.parse().unwrap());
    let response_debug = match driver {
        Driver::Async => format!(
            "{:?}",
            client.send_async_raw(request(), &Options::new()).unwrap()
        ),
        Driver::Blocking => format!(
            "{:?}",
            client
                .send_blocking_raw(request(), &Options::new())
                .unwrap()
        ),
    };
    assert!(
        response_debug.contains("x-ms-request-id"),
        "{response_debug}"
    );
    assert_no_secret("Debug of a response", &response_debug);

    let err = client.get(&url, &Options::new()).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_no_secret("Debug of an error", &format!("{err:?}"));
    assert_no_secret(
        "Debug of the error's response",
        &format!("{:?}", err.response()),
    );
    assert_no_secret("Display of an error", &err.to_string());

    let hooked = hooked.lock().unwrap().clone();
    assert_eq!(hooked.len(), 2);
    for h in &hooked {
        assert!(h.contains("REDACTED"), "{h}");
        assert_no_secret("Debug of the request parts", h);
    }
    let logged = taken(&records);
    assert_eq!(logged.len(), 4);
    for (_, line) in &logged {
        assert_no_secret("a log record", line);
    }
    // Everything did go over the wire.
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("authorization"), Some("Token sekrit"));
});

// A full trace shows the error body the pipeline read, cut at MAX_LOGGED_BODY characters.
both_drivers!(logging_enable_shows_error_bodies, |driver| {
    let long = "x".repeat(5000);
    let server = Server::start([
        Reply::status(404).body(r#"{"error":{"code":"Gone","message":"not here"}}"#),
        Reply::status(400).body(long.clone()),
    ]);
    let (records, s) = sink();
    let client = TestClient::new(driver, Options::new().with_logger(s));
    let opts = Options::new().with_logging(true);
    client.get(&server.url("/a"), &opts).unwrap_err();
    client.get(&server.url("/b"), &opts).unwrap_err();
    let bodies: Vec<String> = taken(&records)
        .into_iter()
        .filter(|(_, r)| r.starts_with("Response body"))
        .map(|(_, r)| r)
        .collect();
    assert_eq!(
        bodies[0],
        r#"Response body (46 bytes): {"error":{"code":"Gone","message":"not here"}}"#
    );
    assert_eq!(
        bodies[1],
        format!("Response body (5000 bytes): {}… (cut)", &long[..4096])
    );
    // Without logging_enable, bodies are never logged.
    let server = Server::start([Reply::status(404).body("secret-ish")]);
    let (records, s) = sink();
    let client = TestClient::new(driver, Options::new().with_logger(s));
    client.get(&server.url("/c"), &Options::new()).unwrap_err();
    assert!(taken(&records)
        .iter()
        .all(|(_, r)| !r.contains("secret-ish")));
});
