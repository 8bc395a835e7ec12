//! Watching long-running operations (issue 16), under both drivers on a fake clock against the
//! testkit server: progress as a stream / iterator of statuses, a wait with a timeout that
//! leaves the poller usable and resumes where it stopped, an SDK's own polling strategy
//! (resumable from its token), and no polling (the initial response as the result).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clientcore::lro::{
    BlockingPoller, LroOptions, LroResponse, PollState, Poller, PollingStrategy,
};
use clientcore::pipeline::RequestParts;
use clientcore::{Body, Error, ErrorKind, Options, Request};
use futures_util::StreamExt as _;
use http::Method;
use serde_json::{json, Value};
use support::{Driver, Recorded, Reply, Server, TestClient};

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply::status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn lro() -> LroOptions {
    LroOptions::new().with_polling_interval(Duration::from_secs(1))
}

/// A poller of either driver.
enum P {
    A(Poller),
    B(BlockingPoller),
}

fn begin(c: &TestClient, method: Method, url: &str, lro: LroOptions) -> P {
    let req = Request::<Body>::new(method, url.parse().unwrap());
    match c.driver() {
        Driver::Async => P::A(
            c.block_on(Poller::begin(c.async_client(), req, &Options::new(), lro))
                .unwrap(),
        ),
        Driver::Blocking => {
            P::B(BlockingPoller::begin(c.blocking_client(), req, &Options::new(), lro).unwrap())
        }
    }
}

fn resume(c: &TestClient, token: &str, lro: LroOptions) -> P {
    match c.driver() {
        Driver::Async => P::A(
            Poller::from_continuation_token(c.async_client(), token, &Options::new(), lro).unwrap(),
        ),
        Driver::Blocking => P::B(
            BlockingPoller::from_continuation_token(
                c.blocking_client(),
                token,
                &Options::new(),
                lro,
            )
            .unwrap(),
        ),
    }
}

fn progress(c: &TestClient, p: &mut P) -> Vec<String> {
    match p {
        P::A(p) => c.block_on(p.progress().collect::<Vec<_>>()),
        P::B(p) => p.progress().collect(),
    }
}

fn wait_for(c: &TestClient, p: &mut P, d: Duration) -> Result<Option<LroResponse>, Error> {
    match p {
        P::A(p) => c.block_on(p.wait_for(d)),
        P::B(p) => p.wait_for(d),
    }
}

fn wait(c: &TestClient, p: P) -> Result<LroResponse, Error> {
    match p {
        P::A(p) => c.block_on(p.wait()),
        P::B(p) => p.wait(),
    }
}

fn status(p: &P) -> String {
    match p {
        P::A(p) => p.status().to_owned(),
        P::B(p) => p.status().to_owned(),
    }
}

/// `PUT /things/1` answers 202 with a monitor and `Retry-After: 10`; the monitor says
/// `InProgress` twice, then `Succeeded`; the resource is then fetched.
fn monitored_put() -> Server {
    let polls = AtomicUsize::new(0);
    Server::builder()
        .handler(
            move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
                ("PUT", "/things/1") => Reply::status(202)
                    .header("operation-location", "/ops/1")
                    .header("retry-after", "10"),
                ("GET", "/ops/1") => match polls.fetch_add(1, Ordering::SeqCst) {
                    0 | 1 => json_reply(200, &json!({"status": "InProgress"})),
                    _ => json_reply(200, &json!({"status": "Succeeded"})),
                },
                ("GET", "/things/1") => json_reply(200, &json!({"name": "thing"})),
                other => panic!("unexpected {other:?}"),
            },
        )
        .build()
}

both_drivers!(
    progress_yields_each_status_then_wait_gives_the_result,
    |driver| {
        let server = monitored_put();
        let c = TestClient::fake_time(driver, Options::new());
        let mut p = begin(&c, Method::PUT, &server.url("/things/1"), lro());
        assert_eq!(status(&p), "InProgress");
        assert_eq!(
            progress(&c, &mut p),
            ["InProgress", "InProgress", "Succeeded"]
        );
        // The stream's end fetched the resource; wait hands it over without another request.
        assert_eq!(
            server.request_lines(),
            [
                "PUT /things/1",
                "GET /ops/1",
                "GET /ops/1",
                "GET /ops/1",
                "GET /things/1"
            ]
        );
        let done = wait(&c, p).unwrap();
        let body: Value = done.json().unwrap().unwrap();
        assert_eq!(body["name"], "thing");
        assert_eq!(server.requests().len(), 5);
        assert_eq!(
            c.clock.sleeps(),
            [
                Duration::from_secs(10),
                Duration::from_secs(1),
                Duration::from_secs(1)
            ]
        );
    }
);

both_drivers!(
    wait_for_gives_up_on_time_and_resumes_where_it_stopped,
    |driver| {
        let server = monitored_put();
        let c = TestClient::fake_time(driver, Options::new());
        let mut p = begin(&c, Method::PUT, &server.url("/things/1"), lro());
        // 4 s of the 10 s Retry-After: nothing polled yet, the poller still usable.
        assert!(wait_for(&c, &mut p, Duration::from_secs(4))
            .unwrap()
            .is_none());
        assert_eq!(status(&p), "InProgress");
        assert_eq!(server.request_lines(), ["PUT /things/1"]);
        assert_eq!(c.clock.sleeps(), [Duration::from_secs(4)]);
        // 7 s more: the 6 s left of the wait, a poll, 1 s, a poll; the next 1 s is past the time.
        assert!(wait_for(&c, &mut p, Duration::from_secs(7))
            .unwrap()
            .is_none());
        assert_eq!(
            server.request_lines(),
            ["PUT /things/1", "GET /ops/1", "GET /ops/1"]
        );
        assert_eq!(
            c.clock.sleeps(),
            [
                Duration::from_secs(4),
                Duration::from_secs(6),
                Duration::from_secs(1)
            ]
        );
        // Enough time: the last second, the last poll, the resource.
        let done = wait_for(&c, &mut p, Duration::from_secs(60))
            .unwrap()
            .expect("over in time");
        assert_eq!(done.json::<Value>().unwrap().unwrap()["name"], "thing");
        assert_eq!(status(&p), "Succeeded");
        assert_eq!(
            c.clock.sleeps(),
            [
                Duration::from_secs(4),
                Duration::from_secs(6),
                Duration::from_secs(1),
                Duration::from_secs(1)
            ]
        );
        assert_eq!(server.requests().len(), 5);
        // The result was handed over once; asking again is a clear error, not a new poll.
        let err = wait_for(&c, &mut p, Duration::from_secs(60)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(err.to_string().contains("already finished"), "{err}");
        assert_eq!(server.requests().len(), 5);
    }
);

/// A job service: `202` with `{"job": "/jobs/7"}`, the job says `{"state": ...}`.
#[derive(Debug)]
struct Jobs;

impl PollingStrategy for Jobs {
    fn start(
        &self,
        request: &RequestParts,
        initial: &LroResponse,
    ) -> Result<Option<PollState>, Error> {
        let body: Value = initial.json()?.unwrap_or_default();
        let Some(job) = body["job"].as_str() else {
            return Ok(None);
        };
        let url = request
            .url
            .join(job)
            .map_err(|e| Error::with_source(ErrorKind::Decode, e))?;
        Ok(Some(PollState::new("InProgress").with_poll_url(url)))
    }

    fn on_poll(&self, response: &LroResponse) -> Result<PollState, Error> {
        let job: Value = response.json()?.unwrap_or_default();
        Ok(PollState::new(match job["state"].as_str() {
            Some("done") => "Succeeded",
            Some("error") => "Failed",
            other => other.unwrap_or("InProgress"),
        }))
    }
}

both_drivers!(a_custom_strategy_decides_status_and_poll_url, |driver| {
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    let server = Server::builder()
        .handler(
            move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
                // A Location header the built-in strategies would poll: the custom one wins.
                ("POST", "/reports") => {
                    json_reply(202, &json!({"job": "/jobs/7"})).header("location", "/elsewhere")
                }
                ("GET", "/jobs/7") => match counted.fetch_add(1, Ordering::SeqCst) {
                    0 => json_reply(200, &json!({"state": "running"})),
                    _ => json_reply(200, &json!({"state": "done", "pages": 3})),
                },
                other => panic!("unexpected {other:?}"),
            },
        )
        .build();
    let c = TestClient::fake_time(driver, Options::new());
    let with_jobs = || lro().with_strategy(Arc::new(Jobs));
    let mut p = begin(&c, Method::POST, &server.url("/reports"), with_jobs());
    assert_eq!(status(&p), "InProgress");
    assert_eq!(progress(&c, &mut p), ["running", "Succeeded"]);
    let done = wait(&c, p).unwrap();
    assert_eq!(done.json::<Value>().unwrap().unwrap()["pages"], 3);
    assert_eq!(
        server.request_lines(),
        ["POST /reports", "GET /jobs/7", "GET /jobs/7"]
    );

    // Resumed from its token by a fresh client with the same strategy: the job is polled.
    polls.store(0, Ordering::SeqCst);
    let p = begin(&c, Method::POST, &server.url("/reports"), with_jobs());
    let token = match &p {
        P::A(p) => p.continuation_token(),
        P::B(p) => p.continuation_token(),
    };
    let fresh = TestClient::fake_time(driver, Options::new());
    let done = wait(&fresh, resume(&fresh, &token, with_jobs())).unwrap();
    assert_eq!(done.json::<Value>().unwrap().unwrap()["pages"], 3);
    assert_eq!(
        server.request_lines()[3..],
        ["POST /reports", "GET /jobs/7", "GET /jobs/7"]
    );
});

both_drivers!(
    without_polling_the_initial_response_is_the_result,
    |driver| {
        let server = Server::start([json_reply(202, &json!({"status": "Accepted"}))
            .header("operation-location", "/ops/1")
            .header("retry-after", "10")]);
        let c = TestClient::fake_time(driver, Options::new());
        let p = begin(
            &c,
            Method::PUT,
            &server.url("/things/1"),
            lro().without_polling(),
        );
        assert_eq!(status(&p), "Succeeded");
        let done = wait(&c, p).unwrap();
        assert_eq!(done.status, 202);
        assert_eq!(done.json::<Value>().unwrap().unwrap()["status"], "Accepted");
        assert_eq!(server.request_lines(), ["PUT /things/1"]);
        assert!(c.clock.sleeps().is_empty(), "{:?}", c.clock.sleeps());
    }
);

both_drivers!(
    progress_ends_on_a_failed_operation_and_wait_gives_its_error,
    |driver| {
        let server = Server::builder()
        .handler(|r: &Recorded| match r.path.as_str() {
            "/actions/restart" => Reply::status(202).header("operation-location", "/ops/2"),
            "/ops/2" => json_reply(
                200,
                &json!({"status": "Failed", "error": {"code": "Busy", "message": "Try later."}}),
            ),
            other => panic!("unexpected {other}"),
        })
        .build();
        let c = TestClient::fake_time(driver, Options::new());
        let mut p = begin(&c, Method::POST, &server.url("/actions/restart"), lro());
        assert_eq!(progress(&c, &mut p), ["Failed"]);
        let err = wait(&c, p).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HttpResponse, "{err:?}");
        assert_eq!(err.error_code(), Some("Busy"));
        assert!(err.continuation_token().is_some());
        assert_eq!(
            server.request_lines(),
            ["POST /actions/restart", "GET /ops/2"]
        );
    }
);
