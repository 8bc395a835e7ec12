//! Request bodies are never dropped: a streamed body of unknown length goes out chunked
//! whatever the method (hyper alone sends a GET, HEAD or CONNECT with no body at all and says
//! nothing), and an empty body in memory grows no framing header.
//!
//! The server here is a raw TCP listener that keeps the exact bytes each request arrived as,
//! so the test sees the framing itself, not what a parser made of it.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use clientcore::{Body, Options, Request, RetryOptions};
use http::Method;
use support::TestClient;

/// Every method a caller may send a body with, including those hyper assumes have none.
const METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::DELETE,
    Method::OPTIONS,
    Method::POST,
    Method::PUT,
    Method::PATCH,
];

/// A server that answers `200` with an empty body to each request, on a new connection each
/// time, and records the bytes of every request as they arrived.
struct RawServer {
    url: String,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl RawServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/upload", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                // Bounded: a request whose framing promises more than it sends fails the test
                // instead of hanging it.
                conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let bytes = read_request(&mut conn);
                kept.lock().unwrap().push(bytes);
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        RawServer { url, seen }
    }

    /// The one request received, as bytes.
    fn only_request(&self) -> String {
        let seen = self.seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "requests: {seen:?}");
        String::from_utf8_lossy(&seen[0]).into_owned()
    }

    fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

/// Reads one request: the head, then the body its framing announces (a `Content-Length`, or
/// chunks up to the last one); a request with neither has no body (RFC 9112 §6.3).
fn read_request(conn: &mut std::net::TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse::<usize>().unwrap());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let body = &got[head_end..];
        let done = if chunked {
            body.ends_with(b"0\r\n\r\n")
        } else {
            body.len() >= length.unwrap_or(0)
        };
        if done {
            return got;
        }
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn request(method: &Method, url: &str, body: Body) -> Request<Body> {
    Request::new(method.clone(), url.parse().unwrap()).with_body(body)
}

/// A stream of two pieces, of no declared length.
fn stream_body() -> Body {
    Body::stream(
        Box::pin(futures_util::stream::iter([
            Ok(Bytes::from_static(b"hello ")),
            Ok(Bytes::from_static(b"world")),
        ])),
        None,
    )
}

/// A reader of no declared length.
fn reader_body() -> Body {
    Body::reader(
        Box::new(std::io::Cursor::new(b"hello world".to_vec())),
        None,
    )
}

fn options() -> Options {
    Options::new().with_retry(RetryOptions::none())
}

both_drivers!(
    a_body_of_unknown_length_is_sent_chunked_whatever_the_method,
    |driver| {
        let server = RawServer::start();
        let client = TestClient::new(driver, options());
        for method in &METHODS {
            for (kind, body) in [("stream", stream_body()), ("reader", reader_body())] {
                server.clear();
                let got = client
                    .send(request(method, &server.url, body), &Options::new())
                    .unwrap_or_else(|e| panic!("{method} with a {kind}: {e}"));
                assert_eq!(got.status, 200);
                let seen = server.only_request();
                let (head, body) = seen.split_once("\r\n\r\n").unwrap();
                let head = head.to_ascii_lowercase();
                assert!(
                    head.starts_with(&format!(
                        "{} /upload http/1.1\r\n",
                        method.as_str().to_ascii_lowercase()
                    )),
                    "{seen}"
                );
                assert!(
                    head.contains("\r\ntransfer-encoding: chunked"),
                    "{method} with a {kind}: {seen:?}"
                );
                assert!(!head.contains("content-length"), "{seen:?}");
                // The pieces, in chunks however the client cut them, then the last chunk.
                let mut rest = body;
                let mut data = String::new();
                loop {
                    let (size, after) = rest.split_once("\r\n").unwrap();
                    let size = usize::from_str_radix(size, 16).unwrap();
                    if size == 0 {
                        assert_eq!(after, "\r\n", "{seen:?}");
                        break;
                    }
                    data.push_str(&after[..size]);
                    rest = after[size..].strip_prefix("\r\n").unwrap();
                }
                assert_eq!(data, "hello world", "{method} with a {kind}");
            }
        }
    }
);

both_drivers!(a_stream_of_declared_length_keeps_content_length, |driver| {
    let server = RawServer::start();
    let client = TestClient::new(driver, options());
    for method in [Method::GET, Method::HEAD, Method::DELETE] {
        server.clear();
        let body = Body::stream(
            Box::pin(futures_util::stream::iter([Ok(Bytes::from_static(
                b"hello",
            ))])),
            Some(5),
        );
        client
            .send(request(&method, &server.url, body), &Options::new())
            .unwrap();
        let seen = server.only_request().to_ascii_lowercase();
        assert!(seen.contains("\r\ncontent-length: 5\r\n"), "{seen:?}");
        assert!(!seen.contains("transfer-encoding"), "{seen:?}");
        assert!(seen.ends_with("\r\n\r\nhello"), "{seen:?}");
    }
});

both_drivers!(an_empty_body_in_memory_grows_no_framing_header, |driver| {
    let server = RawServer::start();
    let client = TestClient::new(driver, options());
    for method in &METHODS {
        for body in [Body::empty(), Body::from(""), Body::from(Vec::new())] {
            server.clear();
            client
                .send(request(method, &server.url, body), &Options::new())
                .unwrap();
            let seen = server.only_request().to_ascii_lowercase();
            assert!(!seen.contains("transfer-encoding"), "{method}: {seen:?}");
            assert!(seen.ends_with("\r\n\r\n"), "{method}: {seen:?}");
        }
    }
});
