//! Headers per client and per call, and the client request id, end to end (reference §3.3,
//! §3.4; scenarios G and H): what the server saw under both drivers.

mod support;

use clientcore::http::{HeaderName, HeaderValue, Method};
use clientcore::{Options, Request, RetryOptions};
use support::{Reply, Server, TestClient};

fn h(name: &'static str) -> HeaderName {
    HeaderName::from_static(name)
}

fn v(value: &'static str) -> HeaderValue {
    HeaderValue::from_static(value)
}

/// Every value the server saw for `name` on request `i`.
fn all(seen: &[support::Recorded], i: usize, name: &str) -> Vec<String> {
    seen[i]
        .headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// A lowercase, hyphenated UUID whose version nibble is 4 and variant is RFC 4122.
fn is_uuid_v4(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lens == [8, 4, 4, 4, 12]
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
        && groups[2].starts_with('4')
        && matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b')
}

both_drivers!(client_and_call_headers_merge_with_call_winning, |driver| {
    // G1: policy headers {A:1, B:2}, request headers {a: old, D: 4}, per-call {B: percall, E: 5}.
    let server = Server::start([Reply::status(200)]);
    let client = TestClient::new(
        driver,
        Options::new()
            .with_header(h("a"), v("1"))
            .with_header(h("b"), v("2"))
            .with_header(h("c"), v("3")),
    );
    let request = Request::new(Method::GET, server.url("/g1").parse().unwrap())
        .with_header(h("a"), v("old"))
        .with_header(h("d"), v("4"));
    let call = Options::new()
        .with_header(h("b"), v("percall"))
        .with_header(h("e"), v("5"));
    let got = client.send(request, &call).unwrap();
    assert_eq!(got.status, 200);

    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        all(&seen, 0, "a"),
        ["1"],
        "the client header overwrites the request's"
    );
    assert_eq!(
        all(&seen, 0, "b"),
        ["percall"],
        "the call's value wins, once"
    );
    assert_eq!(all(&seen, 0, "c"), ["3"]);
    assert_eq!(all(&seen, 0, "d"), ["4"]);
    assert_eq!(all(&seen, 0, "e"), ["5"]);
});

both_drivers!(call_headers_do_not_leak_into_the_next_call, |driver| {
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let client = TestClient::new(driver, Options::new().with_header(h("x-client"), v("c")));
    client
        .get(
            &server.url("/1"),
            &Options::new().with_header(h("x-call"), v("once")),
        )
        .unwrap();
    client.get(&server.url("/2"), &Options::new()).unwrap();

    let seen = server.requests();
    assert_eq!(all(&seen, 0, "x-call"), ["once"]);
    assert_eq!(all(&seen, 1, "x-call"), Vec::<String>::new());
    assert_eq!(all(&seen, 0, "x-client"), ["c"]);
    assert_eq!(all(&seen, 1, "x-client"), ["c"]);
});

both_drivers!(request_id_defaults_to_a_fresh_uuid_v4_per_call, |driver| {
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let client = TestClient::new(driver, Options::new());
    client.get(&server.url("/a"), &Options::new()).unwrap();
    client.get(&server.url("/b"), &Options::new()).unwrap();

    let seen = server.requests();
    let first = all(&seen, 0, "x-ms-client-request-id");
    let second = all(&seen, 1, "x-ms-client-request-id");
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1);
    assert!(is_uuid_v4(&first[0]), "not a UUID v4: {}", first[0]);
    assert!(is_uuid_v4(&second[0]), "not a UUID v4: {}", second[0]);
    assert_ne!(first, second, "each call gets its own id");
});

both_drivers!(explicit_request_id_per_client_and_per_call, |driver| {
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let client = TestClient::new(driver, Options::new().with_request_id("foo"));
    client.get(&server.url("/a"), &Options::new()).unwrap();
    client
        .get(&server.url("/b"), &Options::new().with_request_id("baz"))
        .unwrap();

    let seen = server.requests();
    assert_eq!(all(&seen, 0, "x-ms-client-request-id"), ["foo"]);
    assert_eq!(all(&seen, 1, "x-ms-client-request-id"), ["baz"]);
});

both_drivers!(a_request_id_already_on_the_request_is_kept, |driver| {
    // test_request_id_already_exists
    let server = Server::start([Reply::status(200)]);
    let client = TestClient::new(driver, Options::new());
    let request = Request::new(Method::GET, server.url("/x").parse().unwrap())
        .with_header(h("x-ms-client-request-id"), v("VALUE"));
    client.send(request, &Options::new()).unwrap();

    let seen = server.requests();
    assert_eq!(all(&seen, 0, "x-ms-client-request-id"), ["VALUE"]);
});

both_drivers!(custom_request_id_header_name, |driver| {
    let server = Server::start([Reply::status(200), Reply::status(200)]);
    let client = TestClient::new(
        driver,
        Options::new().with_request_id_header(h("client-request-id")),
    );
    client.get(&server.url("/a"), &Options::new()).unwrap();
    client
        .get(&server.url("/b"), &Options::new().with_request_id("baz"))
        .unwrap();

    let seen = server.requests();
    let generated = all(&seen, 0, "client-request-id");
    assert_eq!(generated.len(), 1);
    assert!(is_uuid_v4(&generated[0]));
    assert_eq!(all(&seen, 1, "client-request-id"), ["baz"]);
    for i in 0..2 {
        assert!(
            all(&seen, i, "x-ms-client-request-id").is_empty(),
            "the default header is not sent when another name is configured"
        );
    }
});

both_drivers!(
    request_id_is_the_same_once_on_every_retry_and_redirect,
    |driver| {
        let target = Server::start([Reply::status(503), Reply::status(200).body("done")]);
        let origin = Server::start([
            Reply::status(500),
            Reply::status(307).header("location", target.url("/final")),
        ]);
        let client = TestClient::fake_time(driver, Options::new());
        let got = client.get(&origin.url("/start"), &Options::new()).unwrap();
        assert_eq!(got.status, 200);
        assert_eq!(got.body, "done");

        let mut seen = origin.requests();
        seen.extend(target.requests());
        assert_eq!(seen.len(), 4);
        let id = all(&seen, 0, "x-ms-client-request-id");
        assert_eq!(id.len(), 1);
        assert!(is_uuid_v4(&id[0]));
        for i in 0..4 {
            assert_eq!(
                all(&seen, i, "x-ms-client-request-id"),
                id,
                "request {i} carries the call's one id, once"
            );
        }
        assert_eq!(seen[3].path, "/final");
    }
);

both_drivers!(explicit_request_id_survives_retries, |driver| {
    let server = Server::start([
        Reply::status(429).header("retry-after", "2"),
        Reply::status(200),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    let call = Options::new()
        .with_request_id("my-id-1")
        .with_retry(RetryOptions::new().with_total(3));
    client.get(&server.url("/x"), &call).unwrap();

    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(all(&seen, 0, "x-ms-client-request-id"), ["my-id-1"]);
    assert_eq!(all(&seen, 1, "x-ms-client-request-id"), ["my-id-1"]);
    assert_eq!(client.clock.sleeps(), [std::time::Duration::from_secs(2)]);
});

// No `tracing` subscriber in this test binary and no OpenTelemetry provider: there is no trace
// for the server to join, so no `traceparent` is sent (tests/tracing.rs covers the other case).
both_drivers!(no_traceparent_without_a_tracer, |driver| {
    let server = Server::start([Reply::status(200)]);
    let client = TestClient::new(driver, Options::new());
    client.get(&server.url("/x"), &Options::new()).unwrap();
    assert_eq!(server.requests()[0].header("traceparent"), None);
});
