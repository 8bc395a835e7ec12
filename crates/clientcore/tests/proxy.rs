//! Proxies through the real default transport, against the testkit server in proxy mode: which
//! requests go through the proxy (absolute-form targets), which go direct, and proxy
//! credentials. The environment variables are tested in `proxy_env.rs`, a binary of its own.

mod support;

use clientcore::Verify;
use clientcore::{ErrorKind, Options, Proxies, RetryOptions};
use support::{Reply, Server, TestClient, TestPki};

fn proxy_server(replies: impl IntoIterator<Item = Reply>) -> Server {
    Server::builder().proxy().replies(replies).build()
}

/// A client whose `https://` calls go through `proxy`, without retries: each call is one
/// attempt, so the proxy sees one `CONNECT` per call.
fn https_via(driver: support::Driver, proxy: &Server) -> TestClient {
    TestClient::new(
        driver,
        Options::new()
            .with_proxies(Proxies::new().with("https", proxy.origin()).without_env())
            .with_retry(RetryOptions::none()),
    )
}

both_drivers!(http_entry_sends_absolute_form_to_the_proxy, |driver| {
    let proxy = proxy_server([Reply::status(200).body("from the proxy")]);
    let target = Server::start([]);
    let client = TestClient::new(
        driver,
        Options::new().with_proxies(Proxies::new().with("http", proxy.origin()).without_env()),
    );
    let url = target.url("/items?top=1");
    let got = client.get(&url, &Options::new()).unwrap();
    assert_eq!(got.body, "from the proxy");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, url, "absolute-form request-target");
    assert_eq!(seen[0].path, "/items");
    assert_eq!(seen[0].query.as_deref(), Some("top=1"));
    assert_eq!(
        seen[0].header("host"),
        Some(target.addr().to_string().as_str())
    );
    assert!(seen[0].header("proxy-authorization").is_none());
    assert!(target.requests().is_empty(), "nothing went direct");
});

both_drivers!(per_call_proxies_override_the_client, |driver| {
    let proxy = proxy_server([Reply::status(200).body("proxied")]);
    let target = Server::start([Reply::status(200).body("direct")]);
    let client = TestClient::new(
        driver,
        Options::new().with_proxies(Proxies::new().without_env()),
    );
    let direct = client.get(&target.url("/d"), &Options::new()).unwrap();
    assert_eq!(direct.body, "direct");
    let via = Options::new().with_proxies(Proxies::new().with("all", proxy.origin()).without_env());
    let proxied = client.get(&target.url("/p"), &via).unwrap();
    assert_eq!(proxied.body, "proxied");
    assert_eq!(target.requests()[0].target, "/d");
    assert_eq!(proxy.requests()[0].target, target.url("/p"));
});

both_drivers!(scheme_host_entry_proxies_only_that_host, |driver| {
    let proxy = proxy_server([Reply::status(200).body("via proxy")]);
    let target = Server::start([Reply::status(200).body("direct")]);
    let port = target.addr().port();
    let client = TestClient::new(
        driver,
        Options::new().with_proxies(
            Proxies::new()
                .with("http://localhost", proxy.origin())
                .without_env(),
        ),
    );
    // `localhost` matches the entry: it goes to the proxy (and is never resolved here).
    let via = client
        .get(&format!("http://localhost:{port}/a"), &Options::new())
        .unwrap();
    assert_eq!(via.body, "via proxy");
    // `127.0.0.1` does not: it goes straight to the server.
    let direct = client.get(&target.url("/b"), &Options::new()).unwrap();
    assert_eq!(direct.body, "direct");

    let proxied = proxy.requests();
    assert_eq!(proxied.len(), 1);
    assert_eq!(proxied[0].target, format!("http://localhost:{port}/a"));
    let direct = target.requests();
    assert_eq!(direct.len(), 1);
    assert_eq!(direct[0].target, "/b");
});

both_drivers!(http_entry_does_not_proxy_https, |driver| {
    // An `http` entry is for `http://` URLs only; an `https` entry tunnels with CONNECT, which
    // the testkit proxy records and refuses.
    let proxy = proxy_server([]);
    let target = Server::start([]);
    let port = target.addr().port();
    let client = https_via(driver, &proxy);
    let err = client
        .get(&format!("https://127.0.0.1:{port}/secure"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, http::Method::CONNECT);
    assert_eq!(
        seen[0].connect_authority.as_deref(),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert!(target.requests().is_empty());
});

both_drivers!(proxy_credentials_become_proxy_authorization, |driver| {
    let proxy = proxy_server([Reply::status(200)]);
    let target = Server::start([]);
    let proxy_url = format!("http://user:pa%3Ass@{}", proxy.addr());
    let client = TestClient::new(
        driver,
        Options::new().with_proxies(Proxies::new().with("http", proxy_url).without_env()),
    );
    client.get(&target.url("/x"), &Options::new()).unwrap();
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    // base64("user:pa:ss"): the userinfo is percent-decoded first.
    assert_eq!(
        seen[0].header("proxy-authorization"),
        Some("Basic dXNlcjpwYTpzcw==")
    );
    assert!(seen[0].header("authorization").is_none());
    assert!(target.requests().is_empty());
});

both_drivers!(invalid_proxy_url_is_service_request, |driver| {
    // On the client: the builder refuses it, before any call.
    let bad = || Proxies::new().with("http", "not a url").without_env();
    let err = support::build_error(driver, Options::new().with_proxies(bad()));
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(err.to_string().contains("invalid proxy"), "{err}");
    // For one call: that call fails, unsent.
    let target = Server::start([]);
    let client = TestClient::new(driver, Options::new().with_retry(RetryOptions::none()));
    let err = client
        .get(&target.url("/x"), &Options::new().with_proxies(bad()))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(target.requests().is_empty());
    assert_eq!(target.connections(), 0);
});

/// A TLS server on the PKI and a client trusting the PKI's CA, through `proxies`.
fn tls_target_and_client(
    driver: support::Driver,
    pki: &TestPki,
    files: &clientcore_testkit::PkiFiles,
    replies: impl IntoIterator<Item = Reply>,
    proxies: Proxies,
) -> (Server, TestClient) {
    let target = Server::builder().tls(pki).replies(replies).build();
    let client = TestClient::new(
        driver,
        Options::new()
            .with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()))
            .with_proxies(proxies)
            .with_retry(RetryOptions::none()),
    );
    (target, client)
}

both_drivers!(https_goes_through_a_connect_tunnel, |driver| {
    let pki = TestPki::new();
    let files = pki.write_files();
    let proxy = Server::builder().tunnel().build();
    let proxy_url = format!("http://user:pa%3Ass@{}", proxy.addr());
    let (target, client) = tls_target_and_client(
        driver,
        &pki,
        &files,
        [Reply::status(200).body("through the tunnel")],
        Proxies::new().with("https", proxy_url).without_env(),
    );
    let port = target.addr().port();
    let got = client
        .get(
            &format!("https://127.0.0.1:{port}/secure?q=1"),
            &Options::new(),
        )
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, "through the tunnel");
    // The proxy saw only the CONNECT, with the credentials; the server the request, in
    // origin form, without them: the tunnel carried TLS end to end.
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, http::Method::CONNECT);
    assert_eq!(
        seen[0].connect_authority.as_deref(),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(
        seen[0].header("proxy-authorization"),
        Some("Basic dXNlcjpwYTpzcw==")
    );
    let arrived = target.requests();
    assert_eq!(arrived.len(), 1);
    assert_eq!(arrived[0].target, "/secure?q=1");
    assert!(arrived[0].header("proxy-authorization").is_none());
});

both_drivers!(a_tunnel_is_kept_for_the_next_call, |driver| {
    // Tunnels are pooled connections: calls one after the other reuse them. hyper's pool now
    // and then finds none idle and opens another (see smoke.rs), so: fewer tunnels than
    // calls, and each tunnel is one connection to the server.
    let pki = TestPki::new();
    let files = pki.write_files();
    let proxy = Server::builder().tunnel().build();
    let (target, client) = tls_target_and_client(
        driver,
        &pki,
        &files,
        (0..8).map(|i| Reply::status(200).body(format!("{i}"))),
        Proxies::new().with("all", proxy.origin()).without_env(),
    );
    for i in 0..8 {
        let got = client
            .get(&target.url(&format!("/{i}")), &Options::new())
            .unwrap();
        assert_eq!(got.body, format!("{i}"));
    }
    let tunnels = proxy.requests().len();
    assert!(tunnels <= 3, "{tunnels} CONNECTs for 8 calls");
    assert_eq!(target.connections(), tunnels);
    assert_eq!(target.requests().len(), 8);
});

both_drivers!(tls_to_an_https_proxy_and_through_it, |driver| {
    // The proxy itself speaks TLS: plain-http targets go to it in absolute form inside TLS,
    // https targets through a tunnel inside TLS (TLS within TLS).
    let pki = TestPki::new();
    let files = pki.write_files();
    let proxy = Server::builder()
        .tls(&pki)
        .tunnel()
        .replies([Reply::status(200).body("proxied")])
        .build();
    assert!(proxy.origin().starts_with("https://"));
    let (target, client) = tls_target_and_client(
        driver,
        &pki,
        &files,
        [Reply::status(200).body("secure")],
        Proxies::new().with("all", proxy.origin()).without_env(),
    );
    let got = client.get(&target.url("/s"), &Options::new()).unwrap();
    assert_eq!(got.body, "secure");
    let got = client
        .get("http://127.0.0.1:9/plain", &Options::new())
        .unwrap();
    assert_eq!(got.body, "proxied");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, http::Method::CONNECT);
    assert_eq!(seen[1].target, "http://127.0.0.1:9/plain");
    assert_eq!(target.requests()[0].target, "/s");
});

both_drivers!(
    a_refused_tunnel_is_service_request_and_not_retried_as_sent,
    |driver| {
        // The testkit refuses a CONNECT to anything but 127.0.0.1; with a 403 the call fails
        // as not sent.
        let proxy = Server::builder().tunnel().build();
        let client = https_via(driver, &proxy);
        let err = client
            .get("https://localhost:1/x", &Options::new())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
        assert!(
            format!("{err:?}").contains("refused to open a tunnel: status 403"),
            "{err:?}"
        );
        assert_eq!(
            proxy.requests()[0].connect_authority.as_deref(),
            Some("localhost:1")
        );
    }
);

both_drivers!(a_proxy_that_answers_connect_badly_fails_unsent, |driver| {
    // Not a proxy at all: an ordinary testkit server whose scripted answers to the CONNECT
    // are an endless head, nothing (the connection closes), and a head that is not HTTP.
    let long_head = format!(
        "HTTP/1.1 200 OK\r\n{}",
        format!("X-Filler: {}\r\n", "x".repeat(1000)).repeat(40)
    );
    let not_a_proxy = Server::start([
        Reply::raw(long_head),
        Reply::raw(""),
        Reply::raw("SSH-2.0-OpenSSH_9.6\r\n\r\n"),
    ]);
    let client = https_via(driver, &not_a_proxy);
    for expected in [
        "too long",
        "closed the connection",
        "not an HTTP response head",
    ] {
        let err = client
            .get("https://127.0.0.1:1/x", &Options::new())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
        assert!(format!("{err:?}").contains(expected), "{expected}: {err:?}");
    }
    let seen = not_a_proxy.requests();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|r| r.method == http::Method::CONNECT));
});
