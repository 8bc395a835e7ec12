//! HTTP/2 through the default transport: chosen in the TLS handshake (ALPN) with HTTP/1.1
//! as the fallback, spoken from the first byte over cleartext when asked (prior knowledge),
//! refused when the caller wants HTTP/1.1 only; many calls on one connection; the pipeline
//! (bodies, redirects, errors, retries) the same as over HTTP/1.1; and a stream the server
//! refused told apart from one it may have processed, so retries stay safe.
#![cfg(feature = "http2")]

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

// ---- GOAWAY below the streams in flight --------------------------------------------------

/// One request a GOAWAY test's server took in: on which connection (1 is the first), and
/// what.
#[derive(Clone, Debug, PartialEq)]
struct Took {
    connection: usize,
    method: Method,
    path: String,
    body: Bytes,
}

/// A raw HTTP/2 server (prior knowledge, cleartext) whose first connection takes one
/// request, waits until more are on their way (bytes waiting unread in its socket), then sends
/// `GOAWAY` with that first stream as the last one processed, never answers it, and closes.
/// Later connections answer every request `ok {path}`.
struct GoAwayServer {
    addr: SocketAddr,
    took: Arc<std::sync::Mutex<Vec<Took>>>,
    /// Set once the first connection took its request and may see more.
    ready: Arc<std::sync::atomic::AtomicBool>,
    _runtime: tokio::runtime::Runtime,
}

impl GoAwayServer {
    fn start() -> GoAwayServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let took = Arc::new(std::sync::Mutex::new(Vec::new()));
        let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (t, r) = (took.clone(), ready.clone());
        runtime.spawn(async move {
            let mut connection = 0;
            while let Ok((tcp, _)) = listener.accept().await {
                connection += 1;
                if connection == 1 {
                    tokio::spawn(go_away_below_in_flight(tcp, t.clone(), r.clone()));
                } else {
                    tokio::spawn(answer_all(tcp, connection, t.clone()));
                }
            }
        });
        GoAwayServer {
            addr,
            took,
            ready,
            _runtime: runtime,
        }
    }

    fn took(&self) -> Vec<Took> {
        self.took.lock().unwrap().clone()
    }
}

async fn go_away_below_in_flight(
    tcp: tokio::net::TcpStream,
    took: Arc<std::sync::Mutex<Vec<Took>>>,
    ready: Arc<std::sync::atomic::AtomicBool>,
) {
    // A second handle on the socket, to see (without reading) that the client sent more.
    let std_tcp = tcp.into_std().unwrap();
    let peeker = std_tcp.try_clone().unwrap();
    let tcp = tokio::net::TcpStream::from_std(std_tcp).unwrap();
    let waiting = move || {
        let mut buf = vec![0; 64 << 10];
        peeker.peek(&mut buf).unwrap_or(0)
    };
    let mut conn = h2::server::handshake(tcp).await.unwrap();
    let Some(Ok((request, respond))) = conn.accept().await else {
        return;
    };
    took.lock().unwrap().push(Took {
        connection: 1,
        method: request.method().clone(),
        path: request.uri().path().to_owned(),
        body: Bytes::new(),
    });
    // The rest of the first request (its body) arrives; then the client may send more.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = waiting();
    ready.store(true, Ordering::SeqCst);
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while waiting() <= before && std::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Time for the other requests' frames to arrive whole; none of them is read.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // GOAWAY with the last stream h2 took in (the first): the later ones were not processed.
    conn.abrupt_shutdown(h2::Reason::NO_ERROR);
    while let Some(next) = conn.accept().await {
        if let Ok((request, _)) = next {
            took.lock().unwrap().push(Took {
                connection: 1,
                method: request.method().clone(),
                path: request.uri().path().to_owned(),
                body: Bytes::new(),
            });
        }
    }
    // The first stream is never answered: the connection's end cuts it (no reset of its own).
    drop(respond);
}

async fn answer_all(
    tcp: tokio::net::TcpStream,
    connection: usize,
    took: Arc<std::sync::Mutex<Vec<Took>>>,
) {
    let Ok(mut conn) = h2::server::handshake(tcp).await else {
        return;
    };
    while let Some(Ok((request, mut respond))) = conn.accept().await {
        let took = took.clone();
        tokio::spawn(async move {
            let (parts, mut body) = request.into_parts();
            let mut bytes = Vec::new();
            while let Some(Ok(chunk)) = body.data().await {
                let _ = body.flow_control().release_capacity(chunk.len());
                bytes.extend_from_slice(&chunk);
            }
            let path = parts.uri.path().to_owned();
            took.lock().unwrap().push(Took {
                connection,
                method: parts.method,
                path: path.clone(),
                body: bytes.into(),
            });
            let mut send = respond.send_response(Response::new(()), false).unwrap();
            send.send_data(Bytes::from(format!("ok {path}")), true)
                .unwrap();
        });
    }
}

fn request(method: Method, addr: SocketAddr, path: &str, body: &'static str) -> Request<Body> {
    let mut request = Request::new(method, format!("http://{addr}{path}").parse().unwrap());
    if !body.is_empty() {
        request.body = Body::from(body);
    }
    request
}

/// What a call came to: the body and how many attempts were retried, or the error.
type Outcome = Result<(Bytes, usize), clientcore::Error>;

/// Sends `first`, then (once the server took it) `rest` at once, all in flight together.
fn first_then_rest(
    client: &TestClient,
    ready: &std::sync::atomic::AtomicBool,
    first: Request<Body>,
    rest: Vec<Request<Body>>,
) -> (Outcome, Vec<Outcome>) {
    let wait_ready = || {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while !ready.load(Ordering::SeqCst) {
            assert!(
                std::time::Instant::now() < until,
                "the server never took a request"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    match client.driver() {
        Driver::Async => client.block_on(async {
            let c = client.async_client();
            let call = |request: Request<Body>| async move {
                let mut response = c.send(request, &Options::new()).await?;
                let body = response.read().await?;
                Ok((body, response.retry_history().len()))
            };
            let first = call(first);
            let rest = async {
                // Not on this thread: the first call is driven here meanwhile.
                let until = std::time::Instant::now() + Duration::from_secs(10);
                while !ready.load(Ordering::SeqCst) {
                    assert!(
                        std::time::Instant::now() < until,
                        "the server never took a request"
                    );
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                futures_util::future::join_all(rest.into_iter().map(call)).await
            };
            futures_util::future::join(first, rest).await
        }),
        Driver::Blocking => std::thread::scope(|scope| {
            let call = |request: Request<Body>| {
                let c = client.blocking_client().clone();
                move || -> Outcome {
                    let mut response = c.send(request, &Options::new())?;
                    let body = response.read()?;
                    Ok((body, response.retry_history().len()))
                }
            };
            let first = scope.spawn(call(first));
            wait_ready();
            let rest: Vec<_> = rest.into_iter().map(|r| scope.spawn(call(r))).collect();
            let rest = rest.into_iter().map(|h| h.join().unwrap()).collect();
            (first.join().unwrap(), rest)
        }),
    }
}

both_drivers!(
    goaway_retries_the_unprocessed_streams_not_a_cut_post,
    |driver| {
        let server = GoAwayServer::start();
        let addr = server.addr;
        let h2c = Options::new().with_http_version(HttpVersion::Http2PriorKnowledge);
        let client = TestClient::fake_time(driver, h2c);
        let (first, rest) = first_then_rest(
            &client,
            &server.ready,
            request(Method::POST, addr, "/processed", "first order"),
            vec![
                request(Method::GET, addr, "/a", ""),
                request(Method::POST, addr, "/b", "second order"),
            ],
        );
        // At or below GOAWAY's last stream, then cut: the server may have acted on it, so a
        // POST is not sent again.
        let err = first.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceResponse, "{err:?}");
        // Above it: not processed (RFC 9113, 6.8), so sent again on a new connection, the POST
        // included, and answered.
        let [a, b] = <[Outcome; 2]>::try_from(rest).unwrap();
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a, (Bytes::from("ok /a"), 1));
        assert_eq!(b, (Bytes::from("ok /b"), 1));
        let mut took = server.took();
        took.sort_by(|x, y| (x.connection, &x.path).cmp(&(y.connection, &y.path)));
        let took: Vec<(usize, Method, &str, &str)> = took
            .iter()
            .map(|t| {
                (
                    t.connection,
                    t.method.clone(),
                    t.path.as_str(),
                    std::str::from_utf8(&t.body).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            took,
            [
                (1, Method::POST, "/processed", ""),
                (2, Method::GET, "/a", ""),
                (2, Method::POST, "/b", "second order"),
            ]
        );
    }
);

// ---- Trailers --------------------------------------------------------------------------

/// `printf 'hello, trailers' | gzip -n -9`.
const GZIP_HELLO_TRAILERS: &[u8] = &[
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 203, 72, 205, 201, 201, 215, 81, 40, 41, 74, 204, 204, 73, 45,
    42, 6, 0, 193, 199, 57, 16, 15, 0, 0, 0,
];

/// A raw HTTP/2 server (prior knowledge, cleartext) that answers every request with a body in
/// several DATA frames followed by trailers (a HEADERS frame ending the stream): `/gzip` a
/// gzip body, any other path `hello, trailers` in plain text.
fn trailers_server() -> (SocketAddr, Arc<AtomicUsize>, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let answered = Arc::new(AtomicUsize::new(0));
    let count = answered.clone();
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let Ok(mut conn) = h2::server::handshake(tcp).await else {
                    return;
                };
                while let Some(Ok((request, mut respond))) = conn.accept().await {
                    let gzip = request.uri().path() == "/gzip";
                    let mut head = Response::builder().header("content-type", "text/plain");
                    if gzip {
                        head = head.header("content-encoding", "gzip");
                    }
                    let body: &'static [u8] = if gzip {
                        GZIP_HELLO_TRAILERS
                    } else {
                        b"hello, trailers"
                    };
                    let mut send = respond
                        .send_response(head.body(()).unwrap(), false)
                        .unwrap();
                    // Two DATA frames, then the trailers.
                    let (one, two) = body.split_at(body.len() / 2);
                    send.send_data(Bytes::from_static(one), false).unwrap();
                    send.send_data(Bytes::from_static(two), false).unwrap();
                    let mut trailers = http::HeaderMap::new();
                    trailers.insert("grpc-status", "0".parse().unwrap());
                    trailers.insert("x-checksum", "sha256=abc".parse().unwrap());
                    send.send_trailers(trailers).unwrap();
                    count.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    (addr, answered, runtime)
}

both_drivers!(trailers_end_a_body_read_whole, |driver| {
    let (addr, answered, _rt) = trailers_server();
    let h2c = Options::new().with_http_version(HttpVersion::Http2PriorKnowledge);
    let client = TestClient::fake_time(driver, h2c);
    for path in ["/plain", "/gzip"] {
        let url = format!("http://{addr}{path}");
        // Buffered.
        let got = client.get(&url, &Options::new()).unwrap();
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.body, "hello, trailers", "{path}");
        assert!(got.retries.is_empty(), "{path}: {:?}", got.retries);
        // The trailers are not made headers of the response.
        assert!(!got.headers.contains_key("grpc-status"));
        assert!(!got.headers.contains_key("x-checksum"));
        // Streamed, block by block to the end.
        let (blocks, body) = client
            .stream(
                Request::new(Method::GET, url.parse().unwrap()),
                &Options::new(),
            )
            .unwrap();
        assert_eq!(body, "hello, trailers", "{path}");
        assert!(blocks.iter().all(|&n| n > 0), "{path}: {blocks:?}");
    }
    // One answer per call: nothing was sent again.
    assert_eq!(answered.load(Ordering::SeqCst), 4);
});
