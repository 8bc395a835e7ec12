//! Proves the test server with tiny hand-written clients: raw `std::net::TcpStream` for plain
//! HTTP, tokio (plus tokio-rustls) for the async and TLS paths.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clientcore_testkit::{Bytes, Recorded, Reply, Server, TestPki, NO_REPLY_LEFT};
use http::{Method, Version};
use rustls::pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A response as the tiny client read it.
#[derive(Debug)]
struct Response {
    status_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn status(&self) -> u16 {
        self.status_line[9..12].parse().unwrap()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    BufReader::new(stream)
}

fn send(conn: &mut BufReader<TcpStream>, request: &[u8]) {
    conn.get_mut().write_all(request).unwrap();
}

/// Read the status line and headers.
fn read_head(conn: &mut BufReader<TcpStream>) -> io::Result<(String, Vec<(String, String)>)> {
    let mut status_line = String::new();
    if conn.read_line(&mut status_line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        conn.read_line(&mut line)?;
        let line = line.trim_end_matches("\r\n");
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok((status_line.trim_end().to_owned(), headers))
}

/// Read one response framed by Content-Length, chunked encoding or end of stream.
fn read_response(conn: &mut BufReader<TcpStream>) -> io::Result<Response> {
    let (status_line, headers) = read_head(conn)?;
    let mut response = Response {
        status_line,
        headers,
        body: Vec::new(),
    };
    if matches!(response.status(), 100..=199 | 204 | 304) {
        // No body, whatever the headers say.
    } else if let Some(len) = response.header("content-length") {
        let mut body = vec![0; len.parse().unwrap()];
        conn.read_exact(&mut body)?;
        response.body = body;
    } else if response.header("transfer-encoding") == Some("chunked") {
        loop {
            let mut size = String::new();
            conn.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim_end(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            response.body.extend_from_slice(&chunk[..size]);
        }
    } else {
        conn.read_to_end(&mut response.body)?;
    }
    Ok(response)
}

/// One request on a fresh connection, then its response.
fn exchange(addr: SocketAddr, request: &[u8]) -> Response {
    let mut conn = connect(addr);
    send(&mut conn, request);
    read_response(&mut conn).unwrap()
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

#[test]
fn replies_are_served_in_order_across_connections() {
    let server = Server::start([
        Reply::status(503).header("retry-after", "1").body("busy"),
        Reply::status(201).body("made"),
        Reply::default(),
    ]);
    let first = exchange(server.addr(), &get("/a"));
    let second = exchange(server.addr(), &get("/b"));
    let third = exchange(server.addr(), &get("/c"));
    assert_eq!(first.status_line, "HTTP/1.1 503 Service Unavailable");
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(first.body, b"busy");
    assert_eq!(second.status(), 201);
    assert_eq!(second.body, b"made");
    assert_eq!(third.status_line, "HTTP/1.1 200 OK");
    assert_eq!(third.header("content-length"), Some("0"));
    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/a", "/b", "/c"]);
    assert_eq!(server.connections(), 3);
}

#[test]
fn requests_are_recorded_as_sent() {
    let server = Server::start([Reply::default()]);
    let response = exchange(
        server.addr(),
        b"POST /items/1?api-version=2024-01-01&x=y HTTP/1.1\r\nHost: test\r\n\
          X-Multi: one\r\nContent-Type: application/json\r\nX-Multi: two\r\n\
          Content-Length: 11\r\n\r\n{\"id\": 42}\n",
    );
    assert_eq!(response.status(), 200);
    let requests = server.requests();
    let [request]: [Recorded; 1] = requests.try_into().unwrap();
    assert_eq!(request.index, 0);
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.target, "/items/1?api-version=2024-01-01&x=y");
    assert_eq!(request.path, "/items/1");
    assert_eq!(request.query.as_deref(), Some("api-version=2024-01-01&x=y"));
    assert_eq!(request.version, Version::HTTP_11);
    assert_eq!(request.header("content-type"), Some("application/json"));
    let multi: Vec<_> = request.headers.get_all("x-multi").iter().collect();
    assert_eq!(multi, ["one", "two"]);
    let names: Vec<_> = request
        .headers
        .keys()
        .map(http::HeaderName::as_str)
        .collect();
    assert_eq!(names, ["host", "x-multi", "content-type", "content-length"]);
    assert_eq!(request.body, Bytes::from_static(b"{\"id\": 42}\n"));
    assert_eq!(request.body_text(), "{\"id\": 42}\n");
    assert_eq!(request.connection, 0);
    assert_eq!(request.connect_authority, None);
    assert_eq!(request.client_cert, None);
}

#[test]
fn keep_alive_requests_share_a_connection_index() {
    let server = Server::start([
        Reply::status(200).body("one"),
        Reply::status(200).body("two"),
        Reply::status(200).body("three"),
        Reply::status(200).body("four"),
    ]);
    let mut conn = connect(server.addr());
    send(&mut conn, &get("/1"));
    assert_eq!(read_response(&mut conn).unwrap().body, b"one");
    send(&mut conn, &get("/2"));
    assert_eq!(read_response(&mut conn).unwrap().body, b"two");
    // Pipelined: both requests in one write.
    send(&mut conn, &[get("/3"), get("/4")].concat());
    assert_eq!(read_response(&mut conn).unwrap().body, b"three");
    assert_eq!(read_response(&mut conn).unwrap().body, b"four");
    let connections: Vec<_> = server.requests().iter().map(|r| r.connection).collect();
    assert_eq!(connections, [0, 0, 0, 0]);
    assert_eq!(server.connections(), 1);
}

#[test]
fn close_after_and_client_close_end_the_connection() {
    let server = Server::start([
        Reply::status(200).body("bye").close_after(),
        Reply::status(200).body("again"),
        Reply::status(200),
    ]);
    let mut conn = connect(server.addr());
    send(&mut conn, &get("/1"));
    let response = read_response(&mut conn).unwrap();
    assert_eq!(response.header("connection"), Some("close"));
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "connection closed after the reply");

    let response = exchange(
        server.addr(),
        b"GET /2 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(response.header("connection"), Some("close"));
    let response = exchange(server.addr(), b"GET /3 HTTP/1.0\r\n\r\n");
    assert_eq!(response.status(), 200);
    let request = &server.requests()[2];
    assert_eq!(request.version, Version::HTTP_10);
    let connections: Vec<_> = server.requests().iter().map(|r| r.connection).collect();
    assert_eq!(connections, [0, 1, 2]);
}

#[test]
fn chunked_request_bodies_are_decoded() {
    let server = Server::start([Reply::default()]);
    let response = exchange(
        server.addr(),
        b"PUT /blob HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n",
    );
    assert_eq!(response.status(), 200);
    assert_eq!(
        server.requests()[0].body,
        Bytes::from_static(b"hello, world")
    );
}

#[test]
fn expect_100_continue_gets_an_interim_response() {
    let server = Server::start([Reply::status(201)]);
    let mut conn = connect(server.addr());
    send(
        &mut conn,
        b"POST /upload HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
    );
    let (interim, headers) = read_head(&mut conn).unwrap();
    assert_eq!(interim, "HTTP/1.1 100 Continue");
    assert!(headers.is_empty());
    send(&mut conn, b"data");
    assert_eq!(read_response(&mut conn).unwrap().status(), 201);
    assert_eq!(server.requests()[0].body, Bytes::from_static(b"data"));
}

#[test]
fn replies_write_headers_in_order_with_custom_reason_and_chunks() {
    let server = Server::start([Reply::status(299)
        .reason("Custom Reason Phrase")
        .header("x-b", "2")
        .header("x-a", "1")
        .header("x-b", "3")
        .chunked(vec![
            Bytes::from_static(b"hel"),
            Bytes::new(),
            Bytes::from_static(b"lo"),
        ])
        .close_after()]);
    let mut conn = connect(server.addr());
    send(&mut conn, &get("/"));
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    assert_eq!(
        String::from_utf8(raw).unwrap(),
        "HTTP/1.1 299 Custom Reason Phrase\r\nx-b: 2\r\nx-a: 1\r\nx-b: 3\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
    );
}

#[test]
fn head_requests_get_no_body() {
    let server = Server::start([Reply::status(200).body("0123456789"), Reply::default()]);
    let mut conn = connect(server.addr());
    send(&mut conn, b"HEAD / HTTP/1.1\r\nHost: test\r\n\r\n");
    let (status, headers) = read_head(&mut conn).unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(headers.contains(&("Content-Length".to_owned(), "10".to_owned())));
    // The next response follows directly: no body bytes were sent.
    send(&mut conn, &get("/next"));
    assert_eq!(read_response(&mut conn).unwrap().status(), 200);
}

#[test]
fn user_set_framing_headers_are_not_overridden() {
    let server = Server::start([Reply::status(200)
        .header("content-length", "100")
        .body("short")
        .close_after()]);
    let mut conn = connect(server.addr());
    send(&mut conn, &get("/"));
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    assert_eq!(
        String::from_utf8(raw).unwrap(),
        "HTTP/1.1 200 OK\r\ncontent-length: 100\r\nConnection: close\r\n\r\nshort"
    );
}

#[test]
fn reset_closes_with_rst_before_any_byte() {
    let server = Server::start([Reply::reset()]);
    let mut conn = connect(server.addr());
    send(&mut conn, &get("/"));
    let mut buf = Vec::new();
    let err = conn.read_to_end(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert!(buf.is_empty());
    assert_eq!(server.requests().len(), 1, "the request is still recorded");
}

#[test]
fn close_mid_body_truncates_after_n_bytes() {
    let server = Server::start([Reply::status(200).body("0123456789").close_mid_body(4)]);
    let mut conn = connect(server.addr());
    send(&mut conn, &get("/"));
    let (_, headers) = read_head(&mut conn).unwrap();
    assert!(headers.contains(&("Content-Length".to_owned(), "10".to_owned())));
    let mut body = Vec::new();
    conn.read_to_end(&mut body).unwrap();
    assert_eq!(body, b"0123");
}

#[test]
fn raw_writes_exactly_the_bytes_then_closes() {
    let raw = "HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\ngarbage";
    let server = Server::start([Reply::raw(raw)]);
    let mut conn = connect(server.addr());
    send(&mut conn, &get("/"));
    let mut got = Vec::new();
    conn.read_to_end(&mut got).unwrap();
    assert_eq!(got, raw.as_bytes());
}

#[test]
fn delay_holds_the_headers_back() {
    let server = Server::start([Reply::status(204).delay(Duration::from_millis(150))]);
    let start = Instant::now();
    let response = exchange(server.addr(), &get("/"));
    assert_eq!(response.status(), 204);
    assert!(start.elapsed() >= Duration::from_millis(150));
}

#[test]
fn body_delay_sends_headers_first() {
    let server = Server::start([Reply::status(200)
        .body("late")
        .body_delay(Duration::from_millis(150))]);
    let mut conn = connect(server.addr());
    send(&mut conn, &get("/"));
    let (_, headers) = read_head(&mut conn).unwrap();
    let head_at = Instant::now();
    assert!(headers.contains(&("Content-Length".to_owned(), "4".to_owned())));
    let mut body = [0; 4];
    conn.read_exact(&mut body).unwrap();
    let gap = head_at.elapsed();
    assert_eq!(&body, b"late");
    assert!(
        gap >= Duration::from_millis(100),
        "the body came {gap:?} after the head"
    );
}

#[test]
fn hang_never_answers() {
    let server = Server::start([Reply::hang()]);
    let mut conn = connect(server.addr());
    conn.get_ref()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    send(&mut conn, &get("/slow"));
    let err = read_response(&mut conn).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );
    assert_eq!(server.requests()[0].path, "/slow");
    // Dropping the server ends the hanging connection.
    drop(server);
    conn.get_ref()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest);
    assert!(rest.is_empty());
}

#[test]
fn exhausted_script_answers_500_and_records_a_failure() {
    let server = Server::start([Reply::default()]);
    assert_eq!(exchange(server.addr(), &get("/1")).status(), 200);
    let response = exchange(server.addr(), &get("/2"));
    assert_eq!(response.status(), 500);
    assert_eq!(response.body, NO_REPLY_LEFT.as_bytes());
    let failures = server.take_failures();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("GET /2"), "{failures:?}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
#[should_panic(expected = "no scripted reply left")]
fn exhausted_script_fails_the_test_on_drop() {
    let server = Server::start([]);
    assert_eq!(exchange(server.addr(), &get("/")).status(), 500);
}

#[test]
#[should_panic(expected = "1 scripted reply was never requested")]
fn unused_reply_panics_on_drop() {
    let server = Server::start([Reply::default(), Reply::status(503)]);
    assert_eq!(exchange(server.addr(), &get("/")).status(), 200);
    assert_eq!(server.unused_replies(), 1);
}

#[test]
fn allow_unused_silences_the_drop_check() {
    let server = Server::start([Reply::status(503)]);
    server.allow_unused();
}

#[test]
fn handler_builds_replies_from_the_request() {
    let server = Server::builder()
        .replies([Reply::status(503)])
        .handler(|request| {
            if request.path.starts_with("/loop") {
                let next = format!("/loop{}", request.index + 1);
                Reply::status(302).header("location", next)
            } else {
                Reply::status(200).body(request.body.clone())
            }
        })
        .build();
    assert_eq!(exchange(server.addr(), &get("/loop")).status(), 503);
    let redirect = exchange(server.addr(), &get("/loop"));
    assert_eq!(redirect.status(), 302);
    assert_eq!(redirect.header("location"), Some("/loop2"));
    let echo = exchange(
        server.addr(),
        b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc",
    );
    assert_eq!(echo.body, b"abc");
}

#[test]
#[should_panic(expected = "handler exploded")]
fn handler_panics_are_raised_on_drop() {
    let server = Server::builder()
        .handler(|_| panic!("handler exploded"))
        .build();
    let mut conn = connect(server.addr());
    send(&mut conn, &get("/"));
    assert!(read_response(&mut conn).is_err());
}

#[test]
fn malformed_requests_get_400_and_a_failure() {
    let server = Server::start([]);
    let response = exchange(server.addr(), b"GET / HTTP/1.1\r\nBad Header\r\n\r\n");
    assert_eq!(response.status(), 400);
    let failures = server.take_failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(server.requests().is_empty());
}

#[test]
fn url_and_origin() {
    let server = Server::start([]);
    let port = server.addr().port();
    assert!(server.addr().ip().is_loopback());
    assert_eq!(server.origin(), format!("http://127.0.0.1:{port}"));
    assert_eq!(
        server.url("/a?b=c"),
        format!("http://127.0.0.1:{port}/a?b=c")
    );
    assert_eq!(server.url("a"), format!("http://127.0.0.1:{port}/a"));
    assert!(format!("{server:?}").contains("Server"));
}

#[test]
fn proxy_records_absolute_form_and_refuses_connect() {
    let server = Server::builder()
        .proxy()
        .replies([Reply::status(200).body("proxied")])
        .build();
    let response = exchange(
        server.addr(),
        b"GET http://example.test/x?y=1 HTTP/1.1\r\nHost: example.test\r\n\
          Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n",
    );
    assert_eq!(response.body, b"proxied");

    let mut conn = connect(server.addr());
    send(
        &mut conn,
        b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n",
    );
    let response = read_response(&mut conn).unwrap();
    assert_eq!(response.status(), 403);

    let requests = server.requests();
    assert_eq!(requests[0].target, "http://example.test/x?y=1");
    assert_eq!(requests[0].path, "/x");
    assert_eq!(requests[0].query.as_deref(), Some("y=1"));
    assert_eq!(
        requests[0].header("proxy-authorization"),
        Some("Basic dXNlcjpwYXNz")
    );
    assert_eq!(requests[1].method, Method::CONNECT);
    assert_eq!(requests[1].target, "example.test:443");
    assert_eq!(
        requests[1].connect_authority.as_deref(),
        Some("example.test:443")
    );
    assert_eq!(server.origin(), format!("http://{}", server.addr()));
}

#[tokio::test]
async fn async_and_blocking_clients_share_one_server() {
    let server = Server::start([
        Reply::status(200).body("async"),
        Reply::status(200).body("sync"),
    ]);
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(b"GET /async HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    assert!(raw.ends_with(b"\r\n\r\nasync"));

    let addr = server.addr();
    let blocking = tokio::task::spawn_blocking(move || exchange(addr, &get("/sync")))
        .await
        .unwrap();
    assert_eq!(blocking.body, b"sync");
    assert_eq!(server.requests().len(), 2);
    // Dropping the server inside an async test is fine: its runtime lives on its own thread.
    drop(server);
}

async fn tls_exchange(
    config: Arc<rustls::ClientConfig>,
    addr: SocketAddr,
    request: &[u8],
) -> io::Result<Vec<u8>> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await?;
    tls.write_all(request).await?;
    let mut raw = Vec::new();
    tls.read_to_end(&mut raw).await?;
    Ok(raw)
}

#[tokio::test]
async fn tls_serves_https() {
    let pki = TestPki::new();
    let server = Server::builder()
        .tls(&pki)
        .replies([Reply::status(200).body("secure")])
        .build();
    assert!(server.url("/x").starts_with("https://127.0.0.1:"));
    let raw = tls_exchange(
        pki.client_config(),
        server.addr(),
        b"GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    assert!(raw.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(raw.ends_with(b"\r\n\r\nsecure"));
    let request = &server.requests()[0];
    assert_eq!(request.path, "/x");
    assert_eq!(request.client_cert, None);
}

#[tokio::test]
async fn tls_rejects_an_untrusted_client() {
    let pki = TestPki::new();
    let other = TestPki::new();
    let server = Server::builder().tls(&pki).build();
    let result = tls_exchange(other.client_config(), server.addr(), &get("/")).await;
    assert!(result.is_err(), "{result:?}");
    assert!(server.requests().is_empty());
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn mutual_tls_records_the_client_certificate() {
    let pki = TestPki::new();
    let server = Server::builder()
        .tls(&pki)
        .require_client_cert(true)
        .replies([Reply::status(200).body("hello client").close_after()])
        .build();
    let raw = tls_exchange(
        pki.client_config_with_identity(),
        server.addr(),
        &get("/me"),
    )
    .await
    .unwrap();
    assert!(raw.ends_with(b"hello client"));
    let cert = server.requests()[0].client_cert.clone().unwrap();
    assert_eq!(cert.subject, pki.client_subject());
    assert_eq!(cert.subject, "CN=clientcore-testkit client, O=clientcore");
    assert_eq!(&cert.der[..], &pki.client_cert_der()[..]);
}

#[tokio::test]
async fn mutual_tls_without_a_client_certificate_fails() {
    let pki = TestPki::new();
    let server = Server::builder()
        .tls(&pki)
        .require_client_cert(true)
        .build();
    let result = tls_exchange(pki.client_config(), server.addr(), &get("/")).await;
    assert!(result.is_err(), "{result:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn mutual_tls_rejects_a_certificate_from_another_ca() {
    let pki = TestPki::new();
    let other = TestPki::new();
    let server = Server::builder()
        .tls(&pki)
        .require_client_cert(true)
        .build();
    // Trusts the server's CA but presents a client certificate the server's CA never signed.
    let config = Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates({
            let mut roots = rustls::RootCertStore::empty();
            roots.add(pki.ca_der().clone()).unwrap();
            roots
        })
        .with_client_auth_cert(
            vec![other.client_cert_der().clone()],
            rustls::pki_types::PrivateKeyDer::from_pem_slice(other.client_key_pem().as_bytes())
                .unwrap(),
        )
        .unwrap(),
    );
    let result = tls_exchange(config, server.addr(), &get("/")).await;
    assert!(result.is_err(), "{result:?}");
    assert!(server.requests().is_empty());
}

#[test]
fn pki_files_are_written_and_removed() {
    let pki = TestPki::new();
    let files = pki.write_files();
    let dir = files.dir().to_owned();
    assert_eq!(std::fs::read_to_string(files.ca()).unwrap(), pki.ca_pem());
    assert_eq!(
        std::fs::read_to_string(files.client_identity()).unwrap(),
        pki.client_identity_pem()
    );
    assert_eq!(
        std::fs::read_to_string(files.client_cert()).unwrap(),
        pki.client_cert_pem()
    );
    assert_eq!(
        std::fs::read_to_string(files.client_key()).unwrap(),
        pki.client_key_pem()
    );
    assert_eq!(
        std::fs::read_to_string(files.server_cert()).unwrap(),
        pki.server_cert_pem()
    );
    assert_eq!(
        std::fs::read_to_string(files.server_key()).unwrap(),
        pki.server_key_pem()
    );
    assert!(pki
        .client_identity_pem()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(pki
        .client_key_pem()
        .starts_with("-----BEGIN PRIVATE KEY-----"));
    drop(files);
    assert!(!dir.exists());
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Server>();
    assert_send_sync::<clientcore_testkit::ServerBuilder>();
    assert_send_sync::<Reply>();
    assert_send_sync::<Recorded>();
    assert_send_sync::<TestPki>();
    assert_send_sync::<clientcore_testkit::PkiFiles>();
}
