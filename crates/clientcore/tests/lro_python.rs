//! Long-running operations hand over between clientcore and the reference, Python azure-core
//! 1.41.0 (with azure-mgmt-core 1.6.0), in both directions, against a local server:
//!
//! - a token Python's `LROPoller` wrote resumes a clientcore poller (both drivers), which
//!   re-sends Python's client request id; clientcore writes the same token, byte for byte,
//!   for the same exchange;
//! - a token a clientcore poller wrote resumes Python's `LROPoller` with `LROBasePolling` and
//!   with ARM's `ARMPolling`, which poll on with the id of clientcore's initial request;
//! - the token fixture the proto tests compare with is still what Python writes.
//!
//! Python runs `.ci/pyref/lro_interop.py` with the interpreter named by
//! `CLIENTCORE_PYREF_PYTHON`, a venv with the pinned packages that `.ci/run` makes in its
//! "LRO tokens against Python azure-core" step. Without the variable these tests say so and
//! pass (the workspace test step runs before that venv exists).

mod support;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clientcore::lro::{BlockingPoller, LroOptions, LroResponse, Poller};
use clientcore::{Body, Error, Options, Request};
use http::Method;
use serde_json::{json, Value};
use support::{Driver, Recorded, Reply, Server, TestClient};

/// The variable naming the venv's Python.
const PYTHON_VAR: &str = "CLIENTCORE_PYREF_PYTHON";
/// A Python run that takes longer has hung: it is killed and the test fails.
const PYTHON_LIMIT: Duration = Duration::from_secs(25);

fn python() -> Option<PathBuf> {
    let python = std::env::var_os(PYTHON_VAR).map(PathBuf::from);
    if python.is_none() {
        eprintln!(
            "skipped: {PYTHON_VAR} is not set (.ci/run sets it to a venv with azure-core==1.41.0)"
        );
    }
    python
}

/// Runs the interop script with `args` and returns what it printed; fails the test when it
/// fails or hangs.
fn run_python(python: &Path, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/pyref/lro_interop.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let started = Instant::now();
    // The script prints a few kilobytes at most: the pipes cannot fill up before it exits.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > PYTHON_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("lro_interop.py {args:?} did not finish within {PYTHON_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "lro_interop.py {args:?}: {status}\n{err}");
    out.trim().to_owned()
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply::status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn lro() -> LroOptions {
    LroOptions::new().with_polling_interval(Duration::from_secs(1))
}

/// Sends `req` to start an operation and returns the poller's token without polling.
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

/// The client request ids of the server's requests from the `from`th on.
fn ids(server: &Server, from: usize) -> Vec<String> {
    server.requests()[from..]
        .iter()
        .map(|r| r.header("x-ms-client-request-id").unwrap_or("").to_owned())
        .collect()
}

/// A monitor at `/ops/<n>` that says `Running` on every other poll and `Succeeded` on the
/// next; other GETs return `{"path": <path>}`; a PUT of `/things/<n>` is accepted with the
/// monitor in `Operation-Location`, of `/resources/<n>` in `Azure-AsyncOperation`; a PUT of
/// `/vms/<n>` starts `Creating`, which its GETs turn into `Succeeded`.
fn operations_server() -> Server {
    let polls = AtomicUsize::new(0);
    Server::builder()
        .handler(move |r: &Recorded| {
            let n = r.path.rsplit('/').next().unwrap_or("").to_owned();
            match (r.method.as_str(), r.path.as_str()) {
                // LROBasePolling knows only Operation-Location, ARMPolling both.
                ("PUT", p) if p.starts_with("/things/") || p.starts_with("/resources/") => {
                    let monitor = if p.starts_with("/things/") {
                        "operation-location"
                    } else {
                        "azure-asyncoperation"
                    };
                    json_reply(
                        201,
                        &json!({"name": n, "properties": {"provisioningState": "Accepted"}}),
                    )
                    // Absolute, as services send it: Python resolves no relative URL here.
                    .header(
                        monitor,
                        format!("http://{}/ops/{n}", r.header("host").unwrap()),
                    )
                    .header("x-ms-request-id", "not-in-the-token")
                }
                ("PUT", p) if p.starts_with("/vms/") => json_reply(
                    201,
                    &json!({"name": n, "properties": {"provisioningState": "Creating"}}),
                ),
                ("GET", p) if p.starts_with("/ops/") => {
                    match polls.fetch_add(1, Ordering::SeqCst) % 2 {
                        0 => json_reply(200, &json!({"status": "Running"})),
                        _ => json_reply(200, &json!({"status": "Succeeded"})),
                    }
                }
                ("GET", p) if p.starts_with("/vms/") => {
                    let state = match polls.fetch_add(1, Ordering::SeqCst) % 2 {
                        0 => "Creating",
                        _ => "Succeeded",
                    };
                    json_reply(
                        200,
                        &json!({"name": n, "properties": {"provisioningState": state}}),
                    )
                }
                ("GET", p) => json_reply(200, &json!({"path": p})),
                other => panic!("unexpected {other:?}"),
            }
        })
        .build()
}

#[test]
fn python_still_writes_the_committed_token_fixture() {
    let Some(python) = python() else { return };
    let fixture = include_str!("../../clientcore-proto/tests/fixtures/python-lro-token.txt");
    assert_eq!(
        run_python(&python, &["fixture"]),
        fixture.trim(),
        "azure-core writes another token: regenerate the fixture with \
         `lro_interop.py fixture` and see what changed"
    );
}

both_drivers!(a_token_python_wrote_resumes_a_clientcore_poller, |driver| {
    let Some(python) = python() else { return };
    let server = operations_server();
    let url = server.url("/things/1");
    let token = run_python(&python, &["begin", &url]);
    let python_put = &server.requests()[0];
    assert_eq!(python_put.line(), "PUT /things/1");
    assert!(
        python_put
            .header("user-agent")
            .is_some_and(|ua| ua.contains("python")),
        "{python_put:?}"
    );
    let python_id = python_put
        .header("x-ms-client-request-id")
        .unwrap()
        .to_owned();

    // Resumed by a clientcore poller in this process: polls with Python's id, and completes.
    let c = TestClient::fake_time(driver, Options::new());
    let done = resume(&c, &token).unwrap();
    assert_eq!(
        done.json::<Value>().unwrap(),
        Some(json!({"path": "/things/1"}))
    );
    assert_eq!(
        server.request_lines(),
        ["PUT /things/1", "GET /ops/1", "GET /ops/1", "GET /things/1"]
    );
    assert_eq!(ids(&server, 1), [python_id.as_str(); 3]);

    // clientcore starting the same operation with the same id writes the same token.
    let mut put = Request::new(Method::PUT, url.parse().unwrap());
    put.parts
        .headers
        .insert("x-ms-client-request-id", python_id.parse().unwrap());
    assert_eq!(start(&c, put), token);
});

/// Starts `path` with clientcore, resumes its token in Python with `polling` (`base` or
/// `arm`), and returns what Python printed.
fn python_resumes(
    python: &Path,
    driver: Driver,
    server: &Server,
    req: Request<Body>,
    polling: &str,
) -> Value {
    let c = TestClient::fake_time(driver, Options::new());
    let token = start(&c, req);
    let file = std::env::temp_dir().join(format!(
        "clientcore-lro-token-{}-{polling}-{driver:?}.txt",
        std::process::id()
    ));
    std::fs::write(&file, &token).unwrap();
    let out = run_python(
        python,
        &["resume", &server.origin(), file.to_str().unwrap(), polling],
    );
    let _ = std::fs::remove_file(&file);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

both_drivers!(
    a_token_clientcore_wrote_resumes_python_lro_base_polling,
    |driver| {
        let Some(python) = python() else { return };
        let server = operations_server();
        let mut put = Request::new(Method::PUT, server.url("/things/2").parse().unwrap());
        put.parts
            .headers
            .insert("x-ms-client-request-id", "rust-call-2".parse().unwrap());
        let printed = python_resumes(&python, driver, &server, put, "base");
        assert_eq!(
            printed,
            json!({"status": "Succeeded", "result": {"path": "/things/2"}})
        );
        assert_eq!(
            server.request_lines(),
            ["PUT /things/2", "GET /ops/2", "GET /ops/2", "GET /things/2"]
        );
        // Python's polls re-send the id of clientcore's initial request, kept in the token.
        assert_eq!(ids(&server, 0), ["rust-call-2"; 4]);
        assert!(server.requests()[1]
            .header("user-agent")
            .is_some_and(|ua| ua.contains("python")));
    }
);

both_drivers!(
    a_token_clientcore_wrote_resumes_python_arm_polling,
    |driver| {
        let Some(python) = python() else { return };
        // provisioningState polling of the resource itself.
        let server = operations_server();
        let put = Request::new(Method::PUT, server.url("/vms/3").parse().unwrap());
        let printed = python_resumes(&python, driver, &server, put, "arm");
        assert_eq!(
            printed,
            json!({"status": "Succeeded",
               "result": {"name": "3", "properties": {"provisioningState": "Succeeded"}}})
        );
        assert_eq!(
            server.request_lines(),
            ["PUT /vms/3", "GET /vms/3", "GET /vms/3"]
        );
        // clientcore's generated id, then Python's polls with the same one.
        let all = ids(&server, 0);
        assert_eq!(all[0].len(), 36);
        assert!(all.iter().all(|id| *id == all[0]), "{all:?}");

        // An Azure-AsyncOperation monitor, then the PUT's final GET.
        let server = operations_server();
        let put = Request::new(Method::PUT, server.url("/resources/4").parse().unwrap());
        let printed = python_resumes(&python, driver, &server, put, "arm");
        assert_eq!(
            printed,
            json!({"status": "Succeeded", "result": {"path": "/resources/4"}})
        );
        assert_eq!(
            server.request_lines(),
            [
                "PUT /resources/4",
                "GET /ops/4",
                "GET /ops/4",
                "GET /resources/4"
            ]
        );
        let all = ids(&server, 0);
        assert!(all.iter().all(|id| *id == all[0]), "{all:?}");
    }
);
