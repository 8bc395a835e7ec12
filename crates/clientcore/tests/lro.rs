//! Pollers against a local service emulating long-running operations (section R of the
//! reference's scenarios), under both drivers, on a fake clock: every strategy, waits from
//! `Retry-After` or the polling interval, the final GET, a failed operation's parsed error,
//! and operations resumed from their continuation token by a fresh client.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clientcore::lro::{BlockingPoller, LroOptions, LroResponse, Poller};
use clientcore::{Body, Error, ErrorKind, Options, Request, RetryOptions};
use http::Method;
use serde_json::{json, Value};
use support::{Driver, Recorded, Reply, Server, TestClient};

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply::status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn request(method: Method, url: &str) -> Request<Body> {
    Request::new(method, url.parse().unwrap())
}

fn lro() -> LroOptions {
    LroOptions::new().with_polling_interval(Duration::from_secs(1))
}

/// Starts the operation and waits for it, under either driver.
fn run(c: &TestClient, req: Request<Body>, options: &Options) -> Result<LroResponse, Error> {
    match c.driver() {
        Driver::Async => c.block_on(async {
            Poller::begin(c.async_client(), req, options, lro())
                .await?
                .wait()
                .await
        }),
        Driver::Blocking => BlockingPoller::begin(c.blocking_client(), req, options, lro())?.wait(),
    }
}

/// Starts the operation and returns its continuation token without polling.
fn start(c: &TestClient, req: Request<Body>) -> String {
    match c.driver() {
        Driver::Async => c.block_on(async {
            Poller::begin(c.async_client(), req, &Options::new(), lro())
                .await
                .unwrap()
                .continuation_token()
        }),
        Driver::Blocking => BlockingPoller::begin(c.blocking_client(), req, &Options::new(), lro())
            .unwrap()
            .continuation_token(),
    }
}

/// Resumes from `token` and waits.
fn resume(c: &TestClient, token: &str) -> Result<LroResponse, Error> {
    match c.driver() {
        Driver::Async => c.block_on(
            Poller::from_continuation_token(c.async_client(), token, &Options::new(), lro())?
                .wait(),
        ),
        Driver::Blocking => BlockingPoller::from_continuation_token(
            c.blocking_client(),
            token,
            &Options::new(),
            lro(),
        )?
        .wait(),
    }
}

fn one_request_id(server: &Server) -> String {
    let all: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("x-ms-client-request-id").unwrap().to_owned())
        .collect();
    assert!(all.windows(2).all(|w| w[0] == w[1]), "{all:?}");
    all[0].clone()
}

both_drivers!(
    azure_async_operation_put_polls_then_gets_the_resource,
    |driver| {
        let polls = AtomicUsize::new(0);
        let server = Server::builder()
            .handler(
                move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
                    ("PUT", "/things/1") => json_reply(
                        201,
                        &json!({"properties": {"provisioningState": "Accepted"}}),
                    )
                    .header("azure-asyncoperation", "/ops/1")
                    .header("retry-after", "5"),
                    ("GET", "/ops/1") => match polls.fetch_add(1, Ordering::SeqCst) {
                        0 => json_reply(200, &json!({"status": "InProgress"})),
                        _ => json_reply(200, &json!({"status": "succeeded"})),
                    },
                    ("GET", "/things/1") => json_reply(
                        200,
                        &json!({"name": "thing", "properties": {"provisioningState": "Succeeded"}}),
                    ),
                    other => panic!("unexpected {other:?}"),
                },
            )
            .build();
        let c = TestClient::fake_time(driver, Options::new());
        let done = run(
            &c,
            request(Method::PUT, &server.url("/things/1")),
            &Options::new(),
        )
        .unwrap();
        assert_eq!(done.status, 200);
        let body: Value = done.json().unwrap().unwrap();
        assert_eq!(body["name"], "thing");
        assert_eq!(
            server.request_lines(),
            ["PUT /things/1", "GET /ops/1", "GET /ops/1", "GET /things/1"]
        );
        assert_eq!(one_request_id(&server).len(), 36);
        // Retry-After of the initial response, then the polling interval: never a real sleep.
        assert_eq!(
            c.clock.sleeps(),
            [Duration::from_secs(5), Duration::from_secs(1)]
        );
    }
);

both_drivers!(
    a_failed_operation_is_an_error_with_the_parsed_arm_error,
    |driver| {
        let server = Server::builder()
        .handler(|r: &Recorded| match r.path.as_str() {
            "/actions/restart" => Reply::status(202).header("operation-location", "/ops/2"),
            "/ops/2" => json_reply(
                200,
                &json!({"status": "Failed", "error": {"code": "QuotaExceeded", "message": "No quota left.",
                        "additionalInfo": [{"type": "PolicyViolation", "info": {"policy": "p1"}}]}}),
            ),
            other => panic!("unexpected {other}"),
        })
        .build();
        let c = TestClient::fake_time(driver, Options::new());
        let err = run(
            &c,
            request(Method::POST, &server.url("/actions/restart")),
            &Options::new(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HttpResponse);
        assert_eq!(err.status().unwrap(), 200);
        assert_eq!(err.error_code(), Some("QuotaExceeded"));
        assert!(
            err.to_string()
                .starts_with("(QuotaExceeded) No quota left."),
            "{err}"
        );
        assert!(err.to_string().contains("Type: PolicyViolation"), "{err}");
        assert!(err.continuation_token().is_some());
        assert_eq!(
            server.request_lines(),
            ["POST /actions/restart", "GET /ops/2"]
        );
    }
);

both_drivers!(canceled_and_cancelled_are_both_terminal, |driver| {
    for state in ["Canceled", "CANCELLED"] {
        let server = Server::builder()
            .handler(move |r: &Recorded| match r.path.as_str() {
                "/x" => Reply::status(202).header("azure-asyncoperation", "/op"),
                _ => json_reply(200, &json!({"status": state})),
            })
            .build();
        let c = TestClient::fake_time(driver, Options::new());
        let err = run(
            &c,
            request(Method::DELETE, &server.url("/x")),
            &Options::new(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HttpResponse, "{state}");
        assert_eq!(err.message(), "Operation failed or canceled");
        assert_eq!(server.requests().len(), 2, "{state}");
    }
});

both_drivers!(
    location_polling_follows_new_locations_and_returns_the_last_response,
    |driver| {
        let server = Server::builder()
            .handler(|r: &Recorded| match r.path.as_str() {
                "/things/4" => Reply::status(202)
                    .header("location", "/poll/a")
                    .header("retry-after", "3"),
                "/poll/a" => Reply::status(202).header("location", "/poll/b"),
                "/poll/b" => json_reply(200, &json!({"deleted": true})),
                other => panic!("unexpected {other}"),
            })
            .build();
        let c = TestClient::fake_time(driver, Options::new());
        let done = run(
            &c,
            request(Method::DELETE, &server.url("/things/4")),
            &Options::new(),
        )
        .unwrap();
        assert_eq!(
            done.json::<Value>().unwrap(),
            Some(json!({"deleted": true}))
        );
        assert_eq!(
            server.request_lines(),
            ["DELETE /things/4", "GET /poll/a", "GET /poll/b"]
        );
        assert_eq!(
            c.clock.sleeps(),
            [Duration::from_secs(3), Duration::from_secs(1)]
        );
    }
);

both_drivers!(
    body_polling_reads_provisioning_state_at_the_original_url,
    |driver| {
        let polls = AtomicUsize::new(0);
        let server = Server::builder()
            .handler(
                move |r: &Recorded| match (r.method.as_str(), polls.load(Ordering::SeqCst)) {
                    ("PATCH", _) => json_reply(
                        201,
                        &json!({"properties": {"provisioningState": "Updating"}}),
                    ),
                    ("GET", 0) => {
                        polls.store(1, Ordering::SeqCst);
                        json_reply(
                            200,
                            &json!({"properties": {"provisioningState": "updating"}}),
                        )
                    }
                    ("GET", _) => json_reply(
                        200,
                        &json!({"id": 5, "properties": {"provisioningState": "SUCCEEDED"}}),
                    ),
                    other => panic!("unexpected {other:?}"),
                },
            )
            .build();
        let c = TestClient::fake_time(driver, Options::new());
        let done = run(
            &c,
            request(Method::PATCH, &server.url("/things/5")),
            &Options::new(),
        )
        .unwrap();
        assert_eq!(done.json::<Value>().unwrap().unwrap()["id"], 5);
        assert_eq!(
            server.request_lines(),
            ["PATCH /things/5", "GET /things/5", "GET /things/5"]
        );
    }
);

both_drivers!(r8_an_initial_error_status_is_an_http_error, |driver| {
    let server = Server::builder()
        .handler(|_: &Recorded| {
            json_reply(
                500,
                &json!({"error": {"code": "Internal", "message": "oops"}}),
            )
        })
        .build();
    let c = TestClient::fake_time(driver, Options::new().with_retry(RetryOptions::none()));
    let err = run(&c, request(Method::PUT, &server.url("/x")), &Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpResponse);
    assert_eq!(err.status().unwrap(), 500);
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(
    r8_a_monitor_status_of_203_is_an_http_error_with_a_token,
    |driver| {
        let server = Server::builder()
            .handler(|r: &Recorded| match r.path.as_str() {
                "/x" => Reply::status(202).header("operation-location", "/op"),
                _ => json_reply(203, &json!({"status": "Running"})),
            })
            .build();
        let c = TestClient::fake_time(driver, Options::new());
        let err = run(&c, request(Method::PUT, &server.url("/x")), &Options::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HttpResponse);
        assert_eq!(
            err.message(),
            "Invalid return status 203 for 'PUT' operation"
        );
        assert!(err.continuation_token().is_some());
    }
);

both_drivers!(a_fresh_client_resumes_a_poller_from_its_token, |driver| {
    let server = Server::builder()
        .handler(|r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
            ("PUT", "/things/3") => Reply::status(202).header("operation-location", "/ops/3"),
            ("GET", "/ops/3") => json_reply(200, &json!({"status": "Succeeded"})),
            ("GET", "/things/3") => json_reply(200, &json!({"name": "three"})),
            other => panic!("unexpected {other:?}"),
        })
        .build();
    let token = {
        let first = TestClient::fake_time(driver, Options::new());
        start(&first, request(Method::PUT, &server.url("/things/3")))
    };
    assert_eq!(server.request_lines(), ["PUT /things/3"]);

    // Another process: a new client, only the token.
    let fresh = TestClient::fake_time(driver, Options::new());
    let done = resume(&fresh, &token).unwrap();
    assert_eq!(done.json::<Value>().unwrap().unwrap()["name"], "three");
    assert_eq!(
        server.request_lines(),
        ["PUT /things/3", "GET /ops/3", "GET /things/3"]
    );
    // The polls re-send the initial call's client request id, kept in the token.
    one_request_id(&server);
    assert_eq!(fresh.clock.sleeps(), [Duration::from_secs(1)]);
});

both_drivers!(a_failed_poll_carries_the_token_that_resumes_it, |driver| {
    let polls = AtomicUsize::new(0);
    let server = Server::builder()
        .handler(move |r: &Recorded| match r.path.as_str() {
            "/jobs" => Reply::status(202)
                .header("azure-asyncoperation", "/ops/9")
                .header("location", "/jobs/9/result"),
            "/ops/9" => match polls.fetch_add(1, Ordering::SeqCst) {
                0 => json_reply(
                    404,
                    &json!({"error": {"code": "NotYet", "message": "not yet"}}),
                ),
                _ => json_reply(200, &json!({"status": "Succeeded"})),
            },
            "/jobs/9/result" => json_reply(200, &json!({"answer": 42})),
            other => panic!("unexpected {other}"),
        })
        .build();
    let c = TestClient::fake_time(driver, Options::new());
    let err = run(
        &c,
        request(Method::POST, &server.url("/jobs")),
        &Options::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    let token = err.continuation_token().unwrap().to_owned();

    let fresh = TestClient::fake_time(driver, Options::new());
    let done = resume(&fresh, &token).unwrap();
    assert_eq!(done.json::<Value>().unwrap(), Some(json!({"answer": 42})));
    assert_eq!(
        server.request_lines(),
        [
            "POST /jobs",
            "GET /ops/9",
            "GET /ops/9",
            "GET /jobs/9/result"
        ]
    );
    one_request_id(&server);
});

both_drivers!(a_bad_token_is_refused_before_any_request, |driver| {
    let c = TestClient::fake_time(driver, Options::new());
    let err = resume(&c, "gASVKAAAAAAAAAB9lC4=").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(err.to_string().contains("continuation token"));
});

/// The JSON inside a continuation token.
fn token_json(token: &str) -> Value {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .unwrap();
    serde_json::from_slice(&raw).unwrap()
}

both_drivers!(
    polls_resend_the_request_id_the_initial_request_carried,
    |driver| {
        let polls = AtomicUsize::new(0);
        let server = Server::builder()
            .handler(
                move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
                    ("PUT", _) => Reply::status(202).header("operation-location", "/ops/8"),
                    ("GET", "/ops/8") => match polls.fetch_add(1, Ordering::SeqCst) % 2 {
                        0 => json_reply(200, &json!({"status": "Running"})),
                        _ => json_reply(200, &json!({"status": "Succeeded"})),
                    },
                    ("GET", path) => json_reply(200, &json!({"path": path})),
                    other => panic!("unexpected {other:?}"),
                },
            )
            .build();
        let with_id = |path: &str, id: &str| {
            let mut req = request(Method::PUT, &server.url(path));
            req.parts
                .headers
                .insert("x-ms-client-request-id", id.parse().unwrap());
            req
        };
        let ids = |from: usize| -> Vec<String> {
            server.requests()[from..]
                .iter()
                .map(|r| r.header("x-ms-client-request-id").unwrap().to_owned())
                .collect()
        };

        // Polled to the end: every poll and the final GET carry the caller's id.
        let c = TestClient::fake_time(driver, Options::new());
        let done = run(&c, with_id("/things/8", "caller-id-8"), &Options::new()).unwrap();
        assert_eq!(
            done.json::<Value>().unwrap(),
            Some(json!({"path": "/things/8"}))
        );
        assert_eq!(
            server.request_lines(),
            ["PUT /things/8", "GET /ops/8", "GET /ops/8", "GET /things/8"]
        );
        assert_eq!(ids(0), ["caller-id-8"; 4]);

        // The token keeps it where the reference reads it, and a resumed poller sends it.
        let token = start(&c, with_id("/things/9", "caller-id-9"));
        assert_eq!(
            token_json(&token)["data"]["request"]["headers"],
            json!({"x-ms-client-request-id": "caller-id-9"})
        );
        let fresh = TestClient::fake_time(driver, Options::new());
        resume(&fresh, &token).unwrap();
        assert_eq!(ids(4), ["caller-id-9"; 4]);
    }
);
