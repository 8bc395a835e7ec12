//! Raw request and response hooks and custom policies end to end (reference §3.0, §3.10;
//! scenario L): what they see on each attempt, where they run, and what their errors do.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clientcore::http::{header, HeaderName, HeaderValue};
use clientcore::pipeline::{HookRequest, RequestParts, ResponseHead};
use clientcore::policies::auth::Credential;
use clientcore::{policy_fn, Error, ErrorKind, Options, Policy, Position, SharedPolicy};
use support::{Reply, Server, TestClient};

/// What a request hook saw on one attempt.
#[derive(Debug, Clone, PartialEq)]
struct SeenRequest {
    resend_count: u32,
    url: String,
    request_id: Option<String>,
    authorization: Option<String>,
}

fn header_of(parts: &RequestParts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

type Log<T> = Arc<Mutex<Vec<T>>>;

fn log<T>() -> Log<T> {
    Arc::new(Mutex::new(Vec::new()))
}

fn take<T: Clone>(log: &Log<T>) -> Vec<T> {
    log.lock().unwrap().clone()
}

both_drivers!(
    request_hook_sees_each_attempt_as_sent_with_id_and_auth,
    |driver| {
        let server = Server::start([Reply::status(503), Reply::status(200)]);
        let seen: Log<SeenRequest> = log();
        let hook = {
            let seen = seen.clone();
            move |r: &HookRequest<'_>| {
                seen.lock().unwrap().push(SeenRequest {
                    resend_count: r.resend_count,
                    url: r.parts.url.to_string(),
                    request_id: header_of(r.parts, "x-ms-client-request-id"),
                    authorization: header_of(r.parts, "authorization"),
                });
            }
        };
        let client = TestClient::fake_time(
            driver,
            Options::new()
                .with_credential(Credential::key(header::AUTHORIZATION, "Token abc"))
                .with_request_hook(hook),
        );
        client
            .get(&server.url("/hooked?a=1"), &Options::new())
            .unwrap();

        let hooked = take(&seen);
        let wire = server.requests();
        assert_eq!(hooked.len(), 2);
        assert_eq!(wire.len(), 2);
        for (i, (h, w)) in hooked.iter().zip(&wire).enumerate() {
            assert_eq!(h.resend_count, u32::try_from(i).unwrap());
            assert_eq!(h.url, server.url("/hooked?a=1"));
            assert_eq!(h.authorization.as_deref(), Some("Token abc"));
            assert_eq!(h.authorization.as_deref(), w.header("authorization"));
            assert_eq!(h.request_id.as_deref(), w.header("x-ms-client-request-id"));
        }
        assert!(hooked[0].request_id.is_some());
        assert_eq!(hooked[0].request_id, hooked[1].request_id);
    }
);

both_drivers!(
    response_hook_sees_every_response_including_retried,
    |driver| {
        let server = Server::start([
            Reply::status(503).header("x-attempt", "1"),
            Reply::status(500).header("x-attempt", "2"),
            Reply::status(200).header("x-attempt", "3").body("ok"),
        ]);
        let seen: Log<(u16, String)> = log();
        let hook = {
            let seen = seen.clone();
            move |r: &ResponseHead| {
                let attempt = r.headers["x-attempt"].to_str().unwrap().to_owned();
                seen.lock().unwrap().push((r.status.as_u16(), attempt));
            }
        };
        let client = TestClient::fake_time(driver, Options::new());
        let got = client
            .get(&server.url("/"), &Options::new().with_response_hook(hook))
            .unwrap();
        assert_eq!(got.body, "ok");
        assert_eq!(server.requests().len(), 3);
        assert_eq!(
            take(&seen),
            [
                (503, "1".to_owned()),
                (500, "2".to_owned()),
                (200, "3".to_owned())
            ]
        );
    }
);

both_drivers!(per_call_hooks_replace_the_clients, |driver| {
    // L3 and L6: with both set, only the per-call hook runs.
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let calls: Log<&'static str> = log();
    let mark = |what: &'static str| {
        let calls = calls.clone();
        move || calls.lock().unwrap().push(what)
    };
    let (client_request, client_response, call_request, call_response) = (
        mark("client request"),
        mark("client response"),
        mark("call request"),
        mark("call response"),
    );
    let client = TestClient::new(
        driver,
        Options::new()
            .with_request_hook(move |_: &HookRequest<'_>| client_request())
            .with_response_hook(move |_: &ResponseHead| client_response()),
    );
    client.get(&server.url("/client"), &Options::new()).unwrap();
    assert_eq!(take(&calls), ["client request", "client response"]);

    let call = Options::new()
        .with_request_hook(move |_: &HookRequest<'_>| call_request())
        .with_response_hook(move |_: &ResponseHead| call_response());
    client.get(&server.url("/call"), &call).unwrap();
    assert_eq!(
        take(&calls),
        [
            "client request",
            "client response",
            "call request",
            "call response"
        ]
    );
    assert_eq!(server.requests().len(), 2);
});

/// A policy that stamps a counter on each request it shapes and counts what it sees.
#[derive(Default)]
struct Counting {
    header: &'static str,
    requests: AtomicUsize,
    responses: Mutex<Vec<u16>>,
    saw_auth: Mutex<Vec<bool>>,
}

/// The pipeline's handle on a [`Counting`] the test keeps too.
struct Stamp(Arc<Counting>);

impl Policy for Stamp {
    fn on_request(&self, request: &mut RequestParts) -> Result<(), Error> {
        let this = &self.0;
        let n = this.requests.fetch_add(1, Ordering::SeqCst) + 1;
        this.saw_auth
            .lock()
            .unwrap()
            .push(request.headers.contains_key(header::AUTHORIZATION));
        request
            .headers
            .insert(HeaderName::from_static(this.header), HeaderValue::from(n));
        Ok(())
    }

    fn on_response(&self, _request: &HookRequest<'_>, response: &ResponseHead) {
        self.0
            .responses
            .lock()
            .unwrap()
            .push(response.status.as_u16());
    }
}

fn counting(header: &'static str) -> Arc<Counting> {
    Arc::new(Counting {
        header,
        ..Counting::default()
    })
}

both_drivers!(per_try_runs_on_every_attempt_per_call_once, |driver| {
    let server = Server::start([Reply::status(503), Reply::status(503), Reply::status(200)]);
    let per_call = counting("x-per-call");
    let per_try = counting("x-per-try");
    let client = TestClient::fake_time(
        driver,
        Options::new()
            .with_credential(Credential::key(header::AUTHORIZATION, "Token abc"))
            .with_policy(
                Position::PerCall,
                SharedPolicy::new(Stamp(per_call.clone())),
            ),
    );
    let call =
        Options::new().with_policy(Position::PerTry, SharedPolicy::new(Stamp(per_try.clone())));
    let got = client.get(&server.url("/p"), &call).unwrap();
    assert_eq!(got.status, 200);

    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    let stamps =
        |name: &str| -> Vec<Option<&str>> { seen.iter().map(|r| r.header(name)).collect() };
    // Shaped once, before retries: every attempt carries the one stamp.
    assert_eq!(stamps("x-per-call"), [Some("1"); 3]);
    // Shaped on every attempt.
    assert_eq!(stamps("x-per-try"), [Some("1"), Some("2"), Some("3")]);
    assert_eq!(per_call.requests.load(Ordering::SeqCst), 1);
    assert_eq!(per_try.requests.load(Ordering::SeqCst), 3);
    // Per-try policies run after authentication and see its header; per-call ones before it.
    assert_eq!(*per_try.saw_auth.lock().unwrap(), [true, true, true]);
    assert_eq!(*per_call.saw_auth.lock().unwrap(), [false]);
    // A per-try policy sees every response; a per-call one the final response only.
    assert_eq!(*per_try.responses.lock().unwrap(), [503, 503, 200]);
    assert_eq!(*per_call.responses.lock().unwrap(), [200]);
});

both_drivers!(
    a_per_call_policy_sees_the_request_id_and_user_agent,
    |driver| {
        // As the reference's per-call policies, which run after its request-id and user-agent
        // policies: the pipeline's two headers are there for the policy to read, and what it
        // makes of them goes out on every attempt, the request id unchanged across retries.
        let server = Server::start([Reply::status(503), Reply::status(200)]);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let policy = policy_fn(move |r: &mut RequestParts| {
            record.lock().unwrap().push((
                header_of(r, "x-ms-client-request-id"),
                header_of(r, "user-agent"),
            ));
            r.headers.insert(
                header::USER_AGENT,
                HeaderValue::from_static("policy-agent/1"),
            );
            Ok(())
        });
        let client = TestClient::fake_time(driver, Options::new());
        client
            .get(
                &server.url("/p"),
                &Options::new().with_policy(Position::PerCall, policy),
            )
            .unwrap();

        let saw = seen.lock().unwrap().clone();
        assert_eq!(saw.len(), 1, "per call: once");
        let (id, agent) = &saw[0];
        let id = id.as_deref().expect("the request id");
        assert_eq!(id.len(), 36, "{id}");
        assert!(
            agent
                .as_deref()
                .unwrap()
                .starts_with("azsdk-rust-clientcore/"),
            "{agent:?}"
        );
        let sent = server.requests();
        assert_eq!(sent.len(), 2);
        for r in &sent {
            assert_eq!(r.header("x-ms-client-request-id"), Some(id));
            assert_eq!(r.header("user-agent"), Some("policy-agent/1"));
        }
    }
);

both_drivers!(policy_fn_shapes_every_request, |driver| {
    let server = Server::start([Reply::status(500), Reply::status(200)]);
    let tenant = policy_fn(|r: &mut RequestParts| {
        r.headers
            .insert("x-tenant", HeaderValue::from_static("contoso"));
        let path = format!("{}/shaped", r.url.path().trim_end_matches('/'));
        r.url.set_path(&path);
        Ok(())
    });
    let client = TestClient::fake_time(driver, Options::new());
    client
        .get(
            &server.url("/base"),
            &Options::new().with_policy(Position::PerCall, tenant),
        )
        .unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    for r in &seen {
        assert_eq!(r.header("x-tenant"), Some("contoso"));
        assert_eq!(r.path, "/base/shaped", "shaped once, not once per attempt");
    }
});

both_drivers!(a_failing_per_call_policy_ends_the_call_unsent, |driver| {
    let server = Server::start(Vec::<Reply>::new());
    let refuse = policy_fn(|_: &mut RequestParts| {
        Err(Error::new(
            ErrorKind::ClientAuthentication,
            "tenant not allowed",
        ))
    });
    let client = TestClient::new(driver, Options::new());
    let err = client
        .get(
            &server.url("/x"),
            &Options::new().with_policy(Position::PerCall, refuse),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
    assert_eq!(err.to_string(), "tenant not allowed");
    assert!(server.requests().is_empty(), "nothing may be sent");
    assert_eq!(server.connections(), 0);
});

both_drivers!(a_failing_per_try_policy_ends_the_call_unsent, |driver| {
    let server = Server::start(Vec::<Reply>::new());
    let hooked = Arc::new(AtomicUsize::new(0));
    let refuse = policy_fn(|_: &mut RequestParts| {
        Err(Error::new(ErrorKind::ServiceRequest, "signing failed"))
    });
    let client = TestClient::fake_time(driver, Options::new());
    let call = {
        let hooked = hooked.clone();
        Options::new()
            .with_policy(Position::PerTry, refuse)
            .with_request_hook(move |_: &HookRequest<'_>| {
                hooked.fetch_add(1, Ordering::SeqCst);
            })
    };
    let err = client.get(&server.url("/x"), &call).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest);
    assert_eq!(err.to_string(), "signing failed");
    assert!(server.requests().is_empty(), "nothing may be sent");
    assert_eq!(
        hooked.load(Ordering::SeqCst),
        0,
        "the hook sees only sent requests"
    );
    assert!(
        client.clock.sleeps().is_empty(),
        "a policy error is not retried"
    );
});
