//! Redirects end to end (issue 4): method rewrites, body replay, the redirect limit with its
//! history, credentials on cross-origin hops, https → http, and a garbage `Location`, under
//! both drivers against the testkit.
//!
//! Deviations from the reference (python-reference.md §3.2): a relative `Location` is resolved
//! against the current URL; credentials are kept on same-origin hops and stripped (with
//! `Cookie` and `Proxy-Authorization` too) when the origin changes; https → http is refused.

mod support;

use clientcore::options::Verify;
use clientcore::{Body, ErrorKind, Options, Request};
use http::Method;
use support::{Reply, Server, TestClient, TestPki};

fn to(location: &str) -> Reply {
    Reply::status(302).header("location", location)
}

both_drivers!(post_307_replays_the_body, |driver| {
    let server = Server::start([
        Reply::status(307).header("location", "/b"),
        Reply::status(200).body("done"),
    ]);
    let client = TestClient::new(driver, Options::new());
    let request = Request::new(Method::POST, server.url("/a").parse().unwrap())
        .with_body(Body::from("payload"));
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(&got.body[..], b"done");
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path.as_str()),
        ("POST", "/b")
    );
    assert_eq!(seen[0].body, "payload");
    assert_eq!(seen[1].body, "payload");
});

both_drivers!(post_303_becomes_a_get_without_body, |driver| {
    let server = Server::start([
        Reply::status(303).header("location", "/status"),
        Reply::status(200),
    ]);
    let client = TestClient::new(driver, Options::new());
    let request = Request::new(Method::POST, server.url("/a").parse().unwrap())
        .with_body(Body::from("payload"));
    client.send(request, &Options::new()).unwrap();
    let seen = server.requests();
    assert_eq!(seen[1].method, Method::GET);
    assert!(seen[1].body.is_empty());
    assert_eq!(seen[1].header("content-length").unwrap_or("0"), "0");
});

both_drivers!(
    a_redirect_loop_is_too_many_redirects_with_history,
    |driver| {
        let server = Server::builder().handler(|_| to("/loop")).build();
        let client = TestClient::new(driver, Options::new());
        let err = client
            .get(&server.url("/loop"), &Options::new())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooManyRedirects);
        assert!(err.is_http_response());
        // The 31st redirect (redirect_max 30) ends the call.
        assert_eq!(server.requests().len(), 31);
        let history = err.redirect_history();
        assert_eq!(history.len(), 31);
        assert!(history
            .iter()
            .all(|h| h.status() == 302 && h.method() == Method::GET));
        assert!(history[30].url().ends_with("/loop"));
        // With redirect_max 2: three requests.
        let err = client
            .get(&server.url("/loop"), &Options::new().with_redirect_max(2))
            .unwrap_err();
        assert_eq!(err.redirect_history().len(), 3);
        assert_eq!(server.requests().len(), 34);
    }
);

both_drivers!(cross_origin_redirect_sends_no_credentials, |driver| {
    // Two servers on two ports of 127.0.0.1: two origins.
    let other = Server::start([Reply::status(200).body("there")]);
    let here = Server::start([
        to("/same"),
        Reply::status(302).header("location", other.url("/other")),
    ]);
    let client = TestClient::new(driver, Options::new());
    let request = Request::new(Method::GET, here.url("/start").parse().unwrap())
        .with_header(
            http::header::AUTHORIZATION,
            "Bearer secret".parse().unwrap(),
        )
        .with_header(http::header::COOKIE, "session=1".parse().unwrap())
        .with_header(
            http::header::PROXY_AUTHORIZATION,
            "Basic eA==".parse().unwrap(),
        )
        .with_header("x-other".parse().unwrap(), "kept".parse().unwrap());
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(&got.body[..], b"there");
    // The same-origin hop keeps them ...
    let same = &here.requests()[1];
    assert_eq!(same.path, "/same");
    assert_eq!(same.header("authorization"), Some("Bearer secret"));
    assert_eq!(same.header("cookie"), Some("session=1"));
    // ... the cross-origin one has none of them on the wire.
    let seen = other.requests();
    assert_eq!(seen.len(), 1);
    for name in ["authorization", "cookie", "proxy-authorization"] {
        assert_eq!(seen[0].header(name), None, "{name}");
    }
    assert_eq!(seen[0].header("x-other"), Some("kept"));
});

both_drivers!(https_to_http_is_refused, |driver| {
    let pki = TestPki::new();
    let files = pki.write_files();
    let plain = Server::start([]);
    let secure = Server::builder()
        .tls(&pki)
        .replies([Reply::status(301).header("location", plain.url("/down"))])
        .build();
    let options = Options::new().with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()));
    let client = TestClient::new(driver, options);
    let err = client.get(&secure.url("/up"), &Options::new()).unwrap_err();
    assert!(err.to_string().contains("https to http"), "{err}");
    assert_eq!(secure.requests().len(), 1);
    assert!(plain.requests().is_empty());
});

both_drivers!(a_garbage_location_is_an_error_not_a_panic, |driver| {
    let garbage: [&[u8]; 4] = [
        b"http://[::1",
        b"https://exa mple.com:99999/",
        b"javascript:alert(1)",
        b"\xff\xfe",
    ];
    for location in garbage {
        let server = Server::start([Reply::status(302).header("location", location)]);
        let client = TestClient::new(driver, Options::new());
        let err = client.get(&server.url("/g"), &Options::new()).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::ServiceResponse,
            "{location:?}: {err:?}"
        );
        assert_eq!(server.requests().len(), 1);
    }
});

both_drivers!(with_redirects_off_a_redirect_is_the_answer, |driver| {
    // F7's point in this design: without redirects nothing is sent anywhere else, so there
    // is nothing to strip; the 307 is the call's answer, not followed.
    let other = Server::start([Reply::status(200).body("there")]);
    let here = Server::start([Reply::status(307).header("location", other.url("/other"))]);
    let client = TestClient::new(driver, Options::new().with_redirects(false));
    let request = Request::new(Method::GET, here.url("/start").parse().unwrap()).with_header(
        http::header::AUTHORIZATION,
        "Bearer secret".parse().unwrap(),
    );
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(
        got.status, 307,
        "the redirect comes back as the response, as the reference's"
    );
    assert_eq!(
        got.headers.get("location").map(|v| v.to_str().unwrap()),
        Some(other.url("/other").as_str())
    );
    assert_eq!(here.requests().len(), 1);
    assert!(other.requests().is_empty(), "nothing follows the redirect");
    // A call can turn them back on.
    let here = Server::start([Reply::status(307).header("location", other.url("/other"))]);
    let got = client
        .get(&here.url("/again"), &Options::new().with_redirects(true))
        .unwrap();
    assert_eq!(&got.body[..], b"there");
});
