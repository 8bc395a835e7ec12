//! Streaming through the real default transport (test-scenarios.md section O): download
//! blocks of `connection_data_block_size`, the response's stream states with the reference's
//! exact messages, truncated and badly encoded bodies, and streamed request bodies with and
//! without a way to rewind them.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use clientcore::pipeline::retry::{AttemptOutcome, AttemptRecord, RetryDecision};
use clientcore::{
    BlockingResponse, Body, Error, ErrorKind, Options, Request, Response, RetryOptions,
};
use http::Method;
use support::{Driver, Reply, Server, TestClient};

/// `n` bytes of a pattern that does not repeat on block boundaries.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

/// `printf test | gzip -n -9`.
const GZIP_TEST: &[u8] = &[
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 43, 73, 45, 46, 1, 0, 12, 126, 127, 216, 4, 0, 0, 0,
];

fn get(url: &str) -> Request<Body> {
    Request::new(Method::GET, url.parse().unwrap())
}

/// A response of either driver, for the stream-state tests.
enum Raw {
    Async(Response),
    Blocking(BlockingResponse),
}

struct RawResponse<'a> {
    client: &'a TestClient,
    inner: Raw,
}

impl<'a> RawResponse<'a> {
    fn send(client: &'a TestClient, driver: Driver, request: Request<Body>) -> Self {
        let inner = match driver {
            Driver::Async => Raw::Async(client.send_async_raw(request, &Options::new()).unwrap()),
            Driver::Blocking => {
                Raw::Blocking(client.send_blocking_raw(request, &Options::new()).unwrap())
            }
        };
        RawResponse { client, inner }
    }

    fn next_block(&mut self) -> Result<Option<Bytes>, Error> {
        match &mut self.inner {
            Raw::Async(r) => self.client.block_on(r.next_block()),
            Raw::Blocking(r) => r.next_block(),
        }
    }

    fn read(&mut self) -> Result<Bytes, Error> {
        match &mut self.inner {
            Raw::Async(r) => self.client.block_on(r.read()),
            Raw::Blocking(r) => r.read(),
        }
    }

    fn close(&mut self) {
        match &mut self.inner {
            Raw::Async(r) => r.close(),
            Raw::Blocking(r) => r.close(),
        }
    }

    fn content(&self) -> Result<Bytes, Error> {
        match &self.inner {
            Raw::Async(r) => r.content().cloned(),
            Raw::Blocking(r) => r.content().cloned(),
        }
    }
}

fn consumed_message(url: &str) -> String {
    format!(
        "You are attempting to read or stream the content from request <HttpRequest [GET], url: \
         '{url}'>. You have likely already consumed this stream, so it can not be accessed \
         anymore."
    )
}

// ===== download blocks =====

both_drivers!(streams_in_blocks_of_the_configured_size, |driver| {
    let body = pattern(100 * 1024);
    let server = Server::start([Reply::status(200).body(body.clone())]);
    let client = TestClient::new(driver, Options::new().with_block_size(3000));
    let (sizes, got) = client
        .stream(get(&server.url("/big")), &Options::new())
        .unwrap();
    assert_eq!(got, body);
    // 102400 = 34 * 3000 + 400.
    assert_eq!(sizes.len(), 35);
    assert!(sizes[..34].iter().all(|&n| n == 3000), "{sizes:?}");
    assert_eq!(sizes[34], 400);
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(default_block_size_is_4096, |driver| {
    let body = pattern(100 * 1024);
    let server = Server::start([Reply::status(200).body(body.clone())]);
    let client = TestClient::new(driver, Options::new());
    let (sizes, got) = client
        .stream(get(&server.url("/big")), &Options::new())
        .unwrap();
    assert_eq!(got, body);
    assert_eq!(sizes, [4096; 25]);
});

both_drivers!(per_call_block_size_applies_to_a_chunked_body, |driver| {
    // Chunks on the wire (7, 1000, 3 bytes…) are re-cut into blocks of the call's size.
    let body = pattern(5000);
    let chunks = [0..7, 7..1007, 1007..1010, 1010..5000]
        .map(|r| Bytes::copy_from_slice(&body[r]))
        .to_vec();
    let server = Server::start([Reply::status(200).chunked(chunks)]);
    let client = TestClient::new(driver, Options::new().with_block_size(3000));
    let (sizes, got) = client
        .stream(
            get(&server.url("/chunked")),
            &Options::new().with_block_size(1024),
        )
        .unwrap();
    assert_eq!(got, body);
    assert_eq!(sizes, [1024, 1024, 1024, 1024, 904]);
    assert_eq!(
        server.requests()[0]
            .header("x-ms-client-request-id")
            .map(str::len),
        Some(36)
    );
});

// ===== stream states =====

both_drivers!(next_block_after_the_end_is_stream_consumed, |driver| {
    let server = Server::start([Reply::status(200).body("abc").close_after()]);
    let client = TestClient::new(driver, Options::new());
    let url = server.url("/x");
    let mut r = RawResponse::send(&client, driver, get(&url));
    assert_eq!(r.next_block().unwrap().as_deref(), Some(&b"abc"[..]));
    assert_eq!(r.next_block().unwrap(), None);
    let err = r.next_block().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamConsumed);
    assert_eq!(err.to_string(), consumed_message(&url));
    // Reading whole after streaming is the same mistake.
    let err = r.read().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamConsumed);
    assert_eq!(err.to_string(), consumed_message(&url));
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(read_after_partial_stream_is_stream_consumed, |driver| {
    // `close_after`: the body is abandoned unread, so the client resets the connection; the
    // server must not wait for a next request on it.
    let server = Server::start([Reply::status(200).body(pattern(10_000)).close_after()]);
    let client = TestClient::new(driver, Options::new().with_block_size(1000));
    let url = server.url("/x");
    let mut r = RawResponse::send(&client, driver, get(&url));
    assert_eq!(r.next_block().unwrap().map(|b| b.len()), Some(1000));
    let err = r.read().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamConsumed);
    assert_eq!(err.to_string(), consumed_message(&url));
});

both_drivers!(read_after_close_is_stream_closed, |driver| {
    let server = Server::start([Reply::status(200).body("abc").close_after()]);
    let client = TestClient::new(driver, Options::new());
    let url = server.url("/closed");
    let mut r = RawResponse::send(&client, driver, get(&url));
    r.close();
    let expected = format!(
        "The content for response from request <HttpRequest [GET], url: '{url}'> can no longer \
         be read or streamed, since the response has already been closed."
    );
    let err = r.read().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.to_string(), expected);
    let err = r.next_block().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert_eq!(err.to_string(), expected);
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(content_before_read_is_response_not_read, |driver| {
    let server = Server::start([Reply::status(200).body("abc").close_after()]);
    let client = TestClient::new(driver, Options::new());
    let url = server.url("/x");
    let mut r = RawResponse::send(&client, driver, get(&url));
    let err = r.content().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseNotRead);
    assert_eq!(
        err.to_string(),
        format!(
            "You have not read in the bytes for the response from request <HttpRequest [GET], \
             url: '{url}'>. Call .read() on the response first."
        )
    );
    // Streaming does not make it read either.
    assert!(r.next_block().unwrap().is_some());
    assert_eq!(r.content().unwrap_err().kind(), ErrorKind::ResponseNotRead);
});

both_drivers!(stream_errors_redact_the_query, |driver| {
    let server = Server::start([Reply::status(200).body("abc").close_after()]);
    let client = TestClient::new(driver, Options::new());
    let mut r = RawResponse::send(&client, driver, get(&server.url("/x?sig=s3cr3t")));
    r.close();
    let err = r.read().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamClosed);
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
    assert_eq!(server.requests()[0].query.as_deref(), Some("sig=s3cr3t"));
});

both_drivers!(read_twice_returns_the_same_content, |driver| {
    let body = pattern(9000);
    let server = Server::start([Reply::status(200).body(body.clone())]);
    let client = TestClient::new(driver, Options::new().with_block_size(4000));
    let mut r = RawResponse::send(&client, driver, get(&server.url("/x")));
    assert_eq!(r.read().unwrap(), body);
    assert_eq!(r.read().unwrap(), body);
    assert_eq!(r.content().unwrap(), body);
    // After read(), blocks are served from memory in block-size pieces, as often as asked.
    let mut sizes = Vec::new();
    while let Some(b) = r.next_block().unwrap() {
        sizes.push(b.len());
    }
    assert_eq!(sizes, [4000, 4000, 1000]);
    assert_eq!(server.requests().len(), 1);
});

// ===== truncated and badly encoded bodies =====

both_drivers!(body_cut_short_is_incomplete_read_when_streaming, |driver| {
    let server = Server::start([Reply::status(200)
        .body(pattern(10_000))
        .close_mid_body(2500)]);
    let client = TestClient::new(driver, Options::new().with_retry(RetryOptions::none()));
    let err = client
        .stream(get(&server.url("/cut")), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompleteRead, "{err:?}");
    assert!(err.is_decode(), "an incomplete read is a decode error");
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(
    body_cut_short_is_incomplete_read_when_reading_whole,
    |driver| {
        let server = Server::start([Reply::status(200)
            .body(pattern(10_000))
            .close_mid_body(2500)]);
        let client = TestClient::new(driver, Options::new().with_retry(RetryOptions::none()));
        let err = client
            .get(&server.url("/cut"), &Options::new())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IncompleteRead, "{err:?}");
        assert_eq!(server.requests().len(), 1);
    }
);

both_drivers!(chunked_body_cut_short_is_incomplete_read, |driver| {
    let chunks = vec![Bytes::from(pattern(3000)), Bytes::from(pattern(3000))];
    let server = Server::start([Reply::status(200).chunked(chunks).close_mid_body(4000)]);
    let client = TestClient::new(driver, Options::new().with_retry(RetryOptions::none()));
    let err = client
        .get(&server.url("/cut"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompleteRead, "{err:?}");
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(gzip_header_on_a_plain_body_is_decode_error, |driver| {
    let server = Server::start([
        Reply::status(200)
            .header("content-encoding", "gzip")
            .body("test, not gzip"),
        Reply::status(200)
            .header("content-encoding", "gzip")
            .body("test, not gzip"),
    ]);
    let client = TestClient::new(driver, Options::new().with_retry(RetryOptions::none()));
    let err = client
        .get(&server.url("/read"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    let err = client
        .stream(get(&server.url("/stream")), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert_eq!(server.requests().len(), 2);
});

both_drivers!(gzip_bodies_decode_only_with_the_header, |driver| {
    let server = Server::start([
        Reply::status(200)
            .header("content-encoding", "gzip")
            .body(GZIP_TEST),
        Reply::status(200).body(GZIP_TEST),
    ]);
    let client = TestClient::new(driver, Options::new());
    let got = client
        .get(&server.url("/encoded"), &Options::new())
        .unwrap();
    assert_eq!(got.body, "test");
    let got = client.get(&server.url("/raw"), &Options::new()).unwrap();
    assert_eq!(got.body, GZIP_TEST, "no Content-Encoding: the raw bytes");
    let seen = server.requests();
    assert!(
        seen[0]
            .header("accept-encoding")
            .is_some_and(|v| v.contains("gzip")),
        "{:?}",
        seen[0].headers
    );
});

/// `zlib.compress(b"deflated test")`: HTTP's `deflate` is the zlib format (RFC 9110 §8.4.1.2).
const DEFLATE_TEST: &[u8] = &[
    120, 156, 75, 73, 77, 203, 73, 44, 73, 77, 81, 40, 73, 45, 46, 1, 0, 35, 148, 5, 26,
];

both_drivers!(deflate_and_multi_member_gzip_decode, |driver| {
    let two_members = [GZIP_TEST, GZIP_TEST].concat();
    let server = Server::start([
        Reply::status(200)
            .header("content-encoding", "deflate")
            .body(DEFLATE_TEST),
        Reply::status(200)
            .header("content-encoding", "GZIP")
            .body(two_members),
    ]);
    let client = TestClient::new(driver, Options::new());
    let got = client
        .get(&server.url("/deflate"), &Options::new())
        .unwrap();
    assert_eq!(got.body, "deflated test");
    // The headers describe the body the caller gets: decoded, of no declared length.
    assert!(got.headers.get("content-encoding").is_none());
    assert!(got.headers.get("content-length").is_none());
    let got = client.get(&server.url("/gzip"), &Options::new()).unwrap();
    assert_eq!(
        got.body, "testtest",
        "every member of a gzip body is decoded"
    );
    let seen = server.requests();
    assert_eq!(seen[0].header("accept-encoding"), Some("gzip, deflate"));
    assert_eq!(seen[0].header("accept"), Some("*/*"));
});

both_drivers!(a_range_request_asks_for_no_compression, |driver| {
    let server = Server::start([Reply::status(206).body("ab")]);
    let client = TestClient::new(driver, Options::new());
    let mut ranged = get(&server.url("/r"));
    ranged
        .parts
        .headers
        .insert("range", http::HeaderValue::from_static("bytes=0-1"));
    let got = client.send(ranged, &Options::new()).unwrap();
    assert_eq!(got.body, "ab");
    let seen = server.requests();
    assert_eq!(seen[0].header("range"), Some("bytes=0-1"));
    assert!(seen[0].header("accept-encoding").is_none());
});

both_drivers!(coded_responses_without_coded_bytes_are_empty, |driver| {
    // HEAD and 204 answers may name the representation's coding; a chunked body may turn out
    // empty: none of them is a truncated stream. And a coded body split across chunks
    // anywhere is decoded whole.
    let server = Server::start([
        Reply::status(200)
            .header("content-encoding", "gzip")
            .body(GZIP_TEST),
        Reply::status(204).header("content-encoding", "gzip"),
        Reply::status(200)
            .header("content-encoding", "gzip")
            .chunked(vec![]),
        Reply::status(200)
            .header("content-encoding", "gzip")
            .chunked(vec![
                Bytes::from_static(&GZIP_TEST[..3]),
                Bytes::from_static(&GZIP_TEST[3..15]),
                Bytes::from_static(&GZIP_TEST[15..]),
            ]),
    ]);
    let client = TestClient::new(driver, Options::new());
    let head = Request::new(Method::HEAD, server.url("/h").parse().unwrap());
    let got = client.send(head, &Options::new()).unwrap();
    assert_eq!(got.status, 200);
    assert!(got.body.is_empty());
    assert_eq!(got.headers.get("content-encoding").unwrap(), "gzip");
    let got = client.get(&server.url("/none"), &Options::new()).unwrap();
    assert_eq!(got.status, 204);
    assert!(got.body.is_empty());
    let got = client.get(&server.url("/empty"), &Options::new()).unwrap();
    assert_eq!(got.status, 200);
    assert!(got.body.is_empty());
    let got = client.get(&server.url("/split"), &Options::new()).unwrap();
    assert_eq!(got.body, "test");
});

// ===== streamed request bodies =====

/// A streamed body of `parts`, one chunk each: async streams for the async driver, readers for
/// the blocking one.
fn once_body(driver: Driver, parts: &[&'static [u8]]) -> Body {
    match driver {
        Driver::Async => Body::stream(chunk_stream(parts), None),
        Driver::Blocking => Body::reader(chunk_reader(parts), None),
    }
}

/// A rewindable streamed body; `opened` counts how often it was (re)opened.
fn rewindable_body(driver: Driver, parts: &[&'static [u8]], opened: Arc<AtomicUsize>) -> Body {
    let parts = parts.to_vec();
    match driver {
        Driver::Async => Body::rewindable_stream(
            move || {
                opened.fetch_add(1, Ordering::SeqCst);
                chunk_stream(&parts)
            },
            None,
        ),
        Driver::Blocking => Body::rewindable_reader(
            move || {
                opened.fetch_add(1, Ordering::SeqCst);
                chunk_reader(&parts)
            },
            None,
        ),
    }
}

fn chunk_stream(
    parts: &[&'static [u8]],
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let items: Vec<Result<Bytes, std::io::Error>> =
        parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
    futures_util::stream::iter(items)
}

fn chunk_reader(parts: &[&'static [u8]]) -> impl std::io::Read + Send + 'static {
    let mut reader: Box<dyn std::io::Read + Send> = Box::new(std::io::empty());
    for p in parts {
        reader = Box::new(std::io::Read::chain(reader, *p));
    }
    reader
}

both_drivers!(streamed_request_body_arrives_intact, |driver| {
    let server = Server::start([Reply::status(200)]);
    let client = TestClient::new(driver, Options::new());
    let request = Request::new(Method::PUT, server.url("/upload").parse().unwrap())
        .with_body(once_body(driver, &[b"test 123", b"test 456"]));
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(got.status, 200);
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, Method::PUT);
    assert_eq!(seen[0].body, "test 123test 456");
    assert_eq!(seen[0].header("transfer-encoding"), Some("chunked"));
});

/// A streamed body of `parts` with its length declared.
fn sized_body(driver: Driver, parts: &[&'static [u8]]) -> Body {
    let len = parts.iter().map(|p| p.len() as u64).sum();
    match driver {
        Driver::Async => Body::stream(chunk_stream(parts), Some(len)),
        Driver::Blocking => Body::reader(chunk_reader(parts), Some(len)),
    }
}

both_drivers!(
    streamed_body_of_declared_length_sends_content_length,
    |driver| {
        let server = Server::start([Reply::status(201)]);
        let client = TestClient::new(driver, Options::new());
        let request = Request::new(Method::PUT, server.url("/blob").parse().unwrap())
            .with_body(sized_body(driver, &[b"test 123", b"test 456"]));
        assert_eq!(client.send(request, &Options::new()).unwrap().status, 201);
        let seen = server.requests();
        assert_eq!(seen[0].body, "test 123test 456");
        assert_eq!(seen[0].header("content-length"), Some("16"));
        assert_eq!(seen[0].header("transfer-encoding"), None);
    }
);

both_drivers!(stream_shorter_than_declared_fails_the_request, |driver| {
    // Declared 100 bytes, yields 16: the transport must not send a body that lies about its
    // length. The server reads until the client gives up, so it never records a request.
    let server = Server::start([]);
    let client = TestClient::new(driver, Options::new().with_retry(RetryOptions::none()));
    let body = match driver {
        Driver::Async => Body::stream(chunk_stream(&[b"test 123", b"test 456"]), Some(100)),
        Driver::Blocking => Body::reader(chunk_reader(&[b"test 123", b"test 456"]), Some(100)),
    };
    let request = Request::new(Method::PUT, server.url("/blob").parse().unwrap()).with_body(body);
    let err = client.send(request, &Options::new()).unwrap_err();
    // Part of the request went out: a response-side failure, and not retried.
    assert_eq!(err.kind(), ErrorKind::ServiceResponse, "{err:?}");
    assert!(server.requests().is_empty());
});

both_drivers!(large_streamed_request_body_arrives_intact, |driver| {
    let data: &'static [u8] = Box::leak(pattern(300 * 1024).into_boxed_slice());
    let server = Server::start([Reply::status(201)]);
    let client = TestClient::new(driver, Options::new());
    let request = Request::new(Method::POST, server.url("/upload").parse().unwrap()).with_body(
        once_body(driver, &[&data[..1], &data[1..70_000], &data[70_000..]]),
    );
    assert_eq!(client.send(request, &Options::new()).unwrap().status, 201);
    assert_eq!(server.requests()[0].body, data);
});

both_drivers!(one_shot_stream_is_not_retried_after_503, |driver| {
    let server = Server::start([Reply::status(503).body("busy")]);
    let client = TestClient::fake_time(driver, Options::new());
    let request = Request::new(Method::PUT, server.url("/once").parse().unwrap())
        .with_body(once_body(driver, &[b"only ", b"once"]));
    let err = client.send(request, &Options::new()).unwrap_err();
    // The 503 is the answer: a PUT would be retried, but its body cannot be sent again.
    assert_eq!(err.kind(), ErrorKind::HttpResponse, "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    // The reference text, then why the retryable 503 was not retried.
    assert_eq!(
        err.to_string(),
        "Operation returned an invalid status 'Service Unavailable'\nContent: busy\n\
         (not retried: the request body cannot be rewound)"
    );
    assert_eq!(
        err.note(),
        Some("not retried: the request body cannot be rewound")
    );
    assert_eq!(
        err.retry_history(),
        [AttemptRecord {
            outcome: AttemptOutcome::Status(503),
            wait: None,
            decision: RetryDecision::BodyNotRewindable,
            classifier: Some("transient_status"),
        }]
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body, "only once");
    assert!(client.clock.sleeps().is_empty());
});

both_drivers!(
    one_shot_stream_failure_says_why_it_was_not_retried,
    |driver| {
        // A reset after the request reached the server: a PUT is retried on that, but not with
        // a body that cannot be rewound, and the error says so.
        let server = Server::start([Reply::reset()]);
        let client = TestClient::fake_time(driver, Options::new());
        let request = Request::new(Method::PUT, server.url("/once").parse().unwrap())
            .with_body(once_body(driver, &[b"only ", b"once"]));
        let err = client.send(request, &Options::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceResponse, "{err:?}");
        assert!(
            err.to_string()
                .contains("not retried: the request body cannot be rewound"),
            "{err}"
        );
        assert_eq!(server.requests().len(), 1);
        assert!(client.clock.sleeps().is_empty());
    }
);

both_drivers!(rewindable_stream_is_replayed_intact, |driver| {
    let server = Server::start([
        Reply::status(503),
        Reply::reset(),
        Reply::status(200).body("stored"),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    let opened = Arc::new(AtomicUsize::new(0));
    let request = Request::new(Method::PUT, server.url("/again").parse().unwrap()).with_body(
        rewindable_body(driver, &[b"part one, ", b"part two"], opened.clone()),
    );
    let got = client.send(request, &Options::new()).unwrap();
    assert_eq!(got.body, "stored");
    assert_eq!(got.retries.len(), 2);
    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    for r in &seen {
        assert_eq!(r.body, "part one, part two", "attempt {}", r.index);
    }
    assert_eq!(opened.load(Ordering::SeqCst), 3, "opened once per attempt");
});

#[test]
fn both_clients_read_a_whole_body_with_read_and_the_old_blocking_name_still_works() {
    support::bounded(|| {
        let server = Server::start([
            Reply::status(200).body("one"),
            Reply::status(200).body("two"),
        ]);
        let client = clientcore::BlockingClient::builder().build().unwrap();
        let get = |path: &str| {
            let request = clientcore::Request::new(Method::GET, server.url(path).parse().unwrap());
            client.send(request, &clientcore::Options::new()).unwrap()
        };
        // The async client's name.
        assert_eq!(&get("/1").read().unwrap()[..], b"one");
        // The old name, kept as a deprecated alias.
        #[allow(deprecated)]
        let old = get("/2").read_all().unwrap();
        assert_eq!(&old[..], b"two");
    });
}
