//! HTTP/2 through the default transport: chosen in the TLS handshake (ALPN) with HTTP/1.1
//! as the fallback, spoken from the first byte over cleartext when asked (prior knowledge),
//! refused when the caller wants HTTP/1.1 only; many calls on one connection; the pipeline
//! (bodies, redirects, errors, retries) the same as over HTTP/1.1; and a stream the server
//! refused told apart from one it may have processed, so retries stay safe.

#[macro_use]
mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clientcore::{Body, ErrorKind, HttpVersion, Options, Request, Verify};
use clientcore_testkit::{H2Mode, H2Seen, H2Server, PkiFiles};
use http::{Method, Response, StatusCode, Version};
use support::{Driver, TestClient};

fn ok(_: &H2Seen) -> Response<Bytes> {
    Response::new(Bytes::from_static(b"hello"))
}

/// Options that trust the server's private CA (TLS modes), and the files behind them.
fn trusting(server: &H2Server) -> (Options, Option<PkiFiles>) {
    match server.pki() {
        Some(pki) => {
            let files = pki.write_files();
            let options =
                Options::new().with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()));
            (options, Some(files))
        }
        None => (Options::new(), None),
    }
}

both_drivers!(alpn_chooses_h2_over_tls, |driver| {
    let server = H2Server::start(H2Mode::TlsNegotiate, ok);
    let (options, _files) = trusting(&server);
    let client = TestClient::new(driver, options);
    let got = client.get(&server.url("/a?b=c"), &Options::new()).unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, "hello");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].version, Version::HTTP_2);
    assert_eq!(seen[0].path, "/a?b=c");
    // The pipeline's headers go out as over HTTP/1.1; the connection-specific ones HTTP/2
    // forbids do not.
    assert!(seen[0].headers.contains_key("x-ms-client-request-id"));
    assert!(seen[0].headers.contains_key("user-agent"));
    for forbidden in ["connection", "transfer-encoding", "keep-alive", "upgrade"] {
        assert!(
            !seen[0].headers.contains_key(forbidden),
            "{forbidden} sent over HTTP/2"
        );
    }
});

both_drivers!(a_tls_server_without_h2_gets_http1, |driver| {
    let server = H2Server::start(H2Mode::TlsHttp1, ok);
    let (options, _files) = trusting(&server);
    let client = TestClient::new(driver, options);
    let got = client.get(&server.url("/"), &Options::new()).unwrap();
    assert_eq!(got.body, "hello");
    assert_eq!(server.seen()[0].version, Version::HTTP_11);
});

both_drivers!(http1_only_never_offers_h2, |driver| {
    let server = H2Server::start(H2Mode::TlsNegotiate, ok);
    let (options, _files) = trusting(&server);
    // Per client...
    let client = TestClient::new(
        driver,
        options.clone().with_http_version(HttpVersion::Http1Only),
    );
    client.get(&server.url("/client"), &Options::new()).unwrap();
    // ...and per call, over a client that would negotiate.
    let negotiating = TestClient::new(driver, options);
    let h1 = Options::new().with_http_version(HttpVersion::Http1Only);
    negotiating.get(&server.url("/call"), &h1).unwrap();
    negotiating
        .get(&server.url("/default"), &Options::new())
        .unwrap();
    let versions: Vec<(String, Version)> = server
        .seen()
        .into_iter()
        .map(|s| (s.path, s.version))
        .collect();
    assert_eq!(
        versions,
        [
            ("/client".to_owned(), Version::HTTP_11),
            ("/call".to_owned(), Version::HTTP_11),
            ("/default".to_owned(), Version::HTTP_2),
        ]
    );
});

both_drivers!(a_caller_tls_config_still_negotiates_h2, |driver| {
    let server = H2Server::start(H2Mode::TlsNegotiate, ok);
    // The caller's configuration trusts the server's CA and offers HTTP/1.1 alone: the
    // transport sets ALPN from the options on a copy, so `h2` is offered and chosen.
    let mut tls = clientcore::rustls::ClientConfig::clone(&server.pki().unwrap().client_config());
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let client = TestClient::with_tls(driver, support::Setup::default(), Some(Arc::new(tls)));
    let got = client
        .get(&server.url("/negotiated"), &Options::new())
        .unwrap();
    assert_eq!(got.body, "hello");
    // Per call, HTTP/1.1 only still holds over the caller's configuration.
    let h1 = Options::new().with_http_version(HttpVersion::Http1Only);
    client.get(&server.url("/h1"), &h1).unwrap();
    let versions: Vec<(String, Version)> = server
        .seen()
        .into_iter()
        .map(|s| (s.path, s.version))
        .collect();
    assert_eq!(
        versions,
        [
            ("/negotiated".to_owned(), Version::HTTP_2),
            ("/h1".to_owned(), Version::HTTP_11),
        ]
    );
});

both_drivers!(prior_knowledge_speaks_h2_over_cleartext, |driver| {
    let server = H2Server::start(H2Mode::Cleartext, ok);
    let client = TestClient::new(driver, Options::new());
    // Cleartext without the opt-in is HTTP/1.1: there is no handshake to choose in.
    client.get(&server.url("/plain"), &Options::new()).unwrap();
    let h2c = Options::new().with_http_version(HttpVersion::Http2PriorKnowledge);
    let got = client.get(&server.url("/h2c"), &h2c).unwrap();
    assert_eq!(got.body, "hello");
    let seen = server.seen();
    assert_eq!(seen[0].version, Version::HTTP_11);
    assert_eq!(seen[1].version, Version::HTTP_2);
});

/// Sends `n` GETs at once and waits for all.
fn concurrently(client: &TestClient, url: &str, n: usize) {
    match client.driver() {
        Driver::Async => client.block_on(async {
            let calls = (0..n).map(|_| async {
                let request = Request::new(Method::GET, url.parse().unwrap());
                let mut response = client
                    .async_client()
                    .send(request, &Options::new())
                    .await
                    .unwrap();
                assert_eq!(response.read().await.unwrap(), "hello");
            });
            futures_util::future::join_all(calls).await;
        }),
        Driver::Blocking => std::thread::scope(|scope| {
            for _ in 0..n {
                let client = client.blocking_client().clone();
                scope.spawn(move || {
                    let request = Request::new(Method::GET, url.parse().unwrap());
                    let mut response = client.send(request, &Options::new()).unwrap();
                    assert_eq!(response.read().unwrap(), "hello");
                });
            }
        }),
    }
}

both_drivers!(concurrent_calls_share_one_connection, |driver| {
    // Each answer waits, so the calls are in flight together.
    let server = H2Server::start_with_delay(H2Mode::TlsNegotiate, Duration::from_millis(300), ok);
    let (options, _files) = trusting(&server);
    let client = TestClient::new(driver, options);
    // The first call finds out (in the handshake) that the origin speaks HTTP/2; until then
    // the pool cannot know it may share a connection.
    client.get(&server.url("/first"), &Options::new()).unwrap();
    concurrently(&client, &server.url("/many"), 16);
    assert_eq!(server.seen().len(), 17);
    assert_eq!(
        server.connections(),
        1,
        "every call on the one HTTP/2 connection"
    );
    assert!(
        server.max_in_flight() >= 8,
        "streams multiplexed: at most {} in flight",
        server.max_in_flight()
    );
});

both_drivers!(bodies_redirects_and_errors_as_over_http1, |driver| {
    let server = H2Server::start(H2Mode::TlsNegotiate, |seen| match seen.path.as_str() {
        "/echo" => Response::new(seen.body.clone()),
        "/moved" => Response::builder()
            .status(307)
            .header("location", "/echo")
            .body(Bytes::new())
            .unwrap(),
        _ => Response::builder()
            .status(404)
            .header("content-type", "application/json")
            .header("x-ms-error-code", "ThingNotFound")
            .body(Bytes::from_static(
                br#"{"error": {"code": "ThingNotFound", "message": "No such thing."}}"#,
            ))
            .unwrap(),
    });
    let (options, _files) = trusting(&server);
    let client = TestClient::new(driver, options);

    let mut put = Request::new(Method::PUT, server.url("/echo").parse().unwrap());
    put.body = Body::from("a body of bytes");
    let got = client.send(put, &Options::new()).unwrap();
    assert_eq!(got.body, "a body of bytes");

    // A 307 keeps the method and the body.
    let mut post = Request::new(Method::POST, server.url("/moved").parse().unwrap());
    post.body = Body::from("replayed");
    let got = client.send(post, &Options::new()).unwrap();
    assert_eq!(got.body, "replayed");

    let err = client
        .get(&server.url("/missing"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    assert_eq!(err.error_code(), Some("ThingNotFound"));

    let seen = server.seen();
    assert!(seen.iter().all(|s| s.version == Version::HTTP_2));
    assert_eq!(seen[0].headers["content-length"], "15");
    assert_eq!(seen[2].method, Method::POST);
    assert_eq!(seen[2].body, "replayed");
});

/// A raw HTTP/2 server (prior knowledge, cleartext) that resets the streams `script` names
/// (by arrival) with their reason and answers the others `200 ok`; counts what arrived.
fn resetting_server(
    script: Vec<Option<h2::Reason>>,
) -> (SocketAddr, Arc<AtomicUsize>, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let arrived = Arc::new(AtomicUsize::new(0));
    let count = arrived.clone();
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(mut conn) = h2::server::handshake(tcp).await else {
                continue;
            };
            while let Some(Ok((_request, mut respond))) = conn.accept().await {
                let n = count.fetch_add(1, Ordering::SeqCst);
                if let Some(reason) = script.get(n).copied().flatten() {
                    respond.send_reset(reason);
                } else {
                    let mut send = respond.send_response(Response::new(()), false).unwrap();
                    send.send_data(Bytes::from_static(b"ok"), true).unwrap();
                }
            }
        }
    });
    (addr, arrived, runtime)
}

fn post(addr: SocketAddr) -> Request<Body> {
    let mut post = Request::new(
        Method::POST,
        format!("http://{addr}/orders").parse().unwrap(),
    );
    post.body = Body::from("one order");
    post
}

both_drivers!(a_refused_stream_is_retried_whatever_the_method, |driver| {
    // REFUSED_STREAM: the server says it did not process the request (RFC 9113, 8.7), so
    // even a POST goes again.
    let (addr, arrived, _rt) = resetting_server(vec![Some(h2::Reason::REFUSED_STREAM)]);
    let h2c = Options::new().with_http_version(HttpVersion::Http2PriorKnowledge);
    let client = TestClient::fake_time(driver, h2c);
    let got = client.send(post(addr), &Options::new()).unwrap();
    assert_eq!(got.body, "ok");
    assert_eq!(arrived.load(Ordering::SeqCst), 2);
    assert_eq!(got.retries.len(), 1);
});

both_drivers!(
    a_stream_reset_otherwise_is_not_retried_for_a_post,
    |driver| {
        // INTERNAL_ERROR: the server may have processed it; a POST is not sent twice.
        let (addr, arrived, _rt) = resetting_server(vec![Some(h2::Reason::INTERNAL_ERROR)]);
        let h2c = Options::new().with_http_version(HttpVersion::Http2PriorKnowledge);
        let client = TestClient::fake_time(driver, h2c);
        let err = client.send(post(addr), &Options::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceResponse, "{err}");
        assert_eq!(arrived.load(Ordering::SeqCst), 1);
        // The same reset on a GET (idempotent) is retried.
        let (addr, arrived, _rt) = resetting_server(vec![Some(h2::Reason::INTERNAL_ERROR)]);
        let got = client
            .get(&format!("http://{addr}/orders"), &Options::new())
            .unwrap();
        assert_eq!(got.body, "ok");
        assert_eq!(arrived.load(Ordering::SeqCst), 2);
    }
);
