//! Response decoding a caller can trust and control: decoding turned off per client or per
//! call, ranges of compressed bodies passed raw, an unfinished gzip stream decoded rather than
//! called a cut connection, corrupt data a `Decode` error that is not retried, raw deflate.

mod support;

use bytes::Bytes;
use clientcore::pipeline::retry::AttemptOutcome;
use clientcore::{Body, ErrorKind, Options, Request};
use http::Method;
use support::{Reply, Server, TestClient};

/// `printf test | gzip -n -9`.
const GZIP_TEST: &[u8] = &[
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 43, 73, 45, 46, 1, 0, 12, 126, 127, 216, 4, 0, 0, 0,
];

/// A gzip stream of "test" flushed with `Z_SYNC_FLUSH` and never finished (no last block, no
/// trailer): what azure-core's `/streams/decompress_header` test route sends.
const GZIP_UNFINISHED: &[u8] = &[
    31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 42, 73, 45, 46, 1, 0, 0, 0, 255, 255,
];

/// `zlib.compressobj(wbits=-15)` of "deflated test": deflate with no zlib header or trailer.
const RAW_DEFLATE_TEST: &[u8] = &[75, 73, 77, 203, 73, 44, 73, 77, 81, 40, 73, 45, 46, 1, 0];

fn get(url: &str) -> Request<Body> {
    Request::new(Method::GET, url.parse().unwrap())
}

both_drivers!(
    decoding_can_be_turned_off_per_client_and_per_call,
    |driver| {
        let gzip = || {
            Reply::status(200)
                .header("content-encoding", "gzip")
                .body(GZIP_TEST)
        };
        let server = Server::start([
            gzip(),
            gzip(),
            gzip(),
            Reply::status(200)
                .header("content-encoding", "gzip")
                .body("test, not gzip"),
        ]);
        let client = TestClient::new(driver, Options::new().with_decompress(false));
        // Off for the client: the bytes as stored, the headers as sent.
        let got = client.get(&server.url("/a"), &Options::new()).unwrap();
        assert_eq!(got.body, GZIP_TEST);
        assert_eq!(got.headers["content-encoding"], "gzip");
        assert_eq!(got.headers["content-length"], "24");
        // Streamed in blocks, the same bytes.
        let (_, streamed) = client
            .stream(get(&server.url("/b")), &Options::new())
            .unwrap();
        assert_eq!(streamed, GZIP_TEST);
        // On for this call only.
        let got = client
            .get(&server.url("/c"), &Options::new().with_decompress(true))
            .unwrap();
        assert_eq!(got.body, "test");
        assert!(got.headers.get("content-encoding").is_none());
        // A body the header mislabels is no error when nothing decodes it (the reference's matrix).
        let got = client.get(&server.url("/d"), &Options::new()).unwrap();
        assert_eq!(got.body, "test, not gzip");
        // Compressed bodies are still asked for, as the reference's requests does.
        for seen in server.requests() {
            assert_eq!(seen.header("accept-encoding"), Some("gzip, deflate"));
        }
    }
);

both_drivers!(decoding_can_be_turned_off_for_one_call, |driver| {
    let server = Server::start([Reply::status(200)
        .header("content-encoding", "gzip")
        .body(GZIP_TEST)]);
    let client = TestClient::new(driver, Options::new());
    let got = client
        .get(&server.url("/raw"), &Options::new().with_decompress(false))
        .unwrap();
    assert_eq!(got.body, GZIP_TEST);
    assert_eq!(got.headers["content-encoding"], "gzip");
    assert_eq!(got.headers["content-length"], "24");
});

both_drivers!(
    a_range_of_a_gzip_body_comes_raw_and_is_not_retried,
    |driver| {
        // The first 12 bytes of the stream: decoding them would run out of input mid-stream.
        let prefix = &GZIP_TEST[..12];
        let middle = &GZIP_TEST[10..20];
        let server = Server::start([
            Reply::status(206)
                .header("content-encoding", "gzip")
                .header("content-range", "bytes 0-11/24")
                .body(prefix),
            Reply::status(206)
                .header("content-encoding", "gzip")
                .header("content-range", "bytes 10-19/24")
                .body(middle),
        ]);
        let client = TestClient::fake_time(driver, Options::new());
        // Buffered, with the default retries: a read error here would be retried.
        let buffered = Options::new().with_buffered_body(Some(1024));
        let got = client.get(&server.url("/blob"), &buffered).unwrap();
        assert_eq!(got.status, 206);
        assert_eq!(got.body, prefix);
        assert_eq!(got.headers["content-encoding"], "gzip");
        assert_eq!(got.headers["content-length"], "12");
        assert!(got.retries.is_empty());
        let (_, streamed) = client
            .stream(get(&server.url("/blob")), &Options::new())
            .unwrap();
        assert_eq!(streamed, middle);
        assert_eq!(server.requests().len(), 2);
    }
);

both_drivers!(an_unfinished_gzip_stream_is_decoded_not_retried, |driver| {
    let unfinished = || {
        Reply::status(200)
            .header("content-encoding", "gzip")
            .body(GZIP_UNFINISHED)
    };
    let server = Server::start([
        unfinished(),
        unfinished(),
        Reply::status(200)
            .header("content-encoding", "gzip")
            .chunked(vec![
                Bytes::from_static(&GZIP_UNFINISHED[..7]),
                Bytes::from_static(&GZIP_UNFINISHED[7..]),
            ]),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    let got = client
        .get(
            &server.url("/streams/decompress_header"),
            &Options::new().with_buffered_body(Some(1024)),
        )
        .unwrap();
    assert_eq!(got.body, "test");
    assert!(got.retries.is_empty());
    assert!(
        client.clock.sleeps().is_empty(),
        "{:?}",
        client.clock.sleeps()
    );
    let (_, streamed) = client
        .stream(
            get(&server.url("/streams/decompress_header")),
            &Options::new(),
        )
        .unwrap();
    assert_eq!(streamed, "test");
    let got = client
        .get(&server.url("/chunked"), &Options::new())
        .unwrap();
    assert_eq!(got.body, "test");
    assert_eq!(server.requests().len(), 3);
});

both_drivers!(corrupt_gzip_is_a_decode_error_and_not_retried, |driver| {
    // A valid gzip header, then bytes that are no deflate stream (block type 3 is reserved).
    let corrupt = [&GZIP_TEST[..10], &[0xff, 0xff, 0xff, 0xff][..]].concat();
    let server = Server::start([Reply::status(200)
        .header("content-encoding", "gzip")
        .body(corrupt)]);
    let client = TestClient::fake_time(driver, Options::new());
    let err = client
        .get(
            &server.url("/corrupt"),
            &Options::new().with_buffered_body(Some(1024)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert!(
        err.to_string().starts_with(
            "the response body is not valid gzip data, as its Content-Encoding says: "
        ),
        "{err}"
    );
    assert!(client.clock.sleeps().is_empty());
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(
    a_gzip_body_cut_by_the_connection_is_still_an_incomplete_read,
    |driver| {
        let server = Server::start([
            Reply::status(200)
                .header("content-encoding", "gzip")
                .body(GZIP_TEST)
                .close_mid_body(12),
            Reply::status(200)
                .header("content-encoding", "gzip")
                .body(GZIP_TEST),
        ]);
        let client = TestClient::fake_time(driver, Options::new());
        // Buffered: the cut is retried, and the second answer is decoded whole.
        let got = client
            .get(
                &server.url("/cut"),
                &Options::new().with_buffered_body(Some(1024)),
            )
            .unwrap();
        assert_eq!(got.body, "test");
        assert_eq!(got.retries.len(), 1);
        assert_eq!(
            got.retries[0].outcome,
            AttemptOutcome::Error(ErrorKind::IncompleteRead)
        );
        assert_eq!(server.requests().len(), 2);
    }
);

both_drivers!(raw_deflate_is_decoded, |driver| {
    let server = Server::start([
        Reply::status(200)
            .header("content-encoding", "deflate")
            .body(RAW_DEFLATE_TEST),
        // One byte first: which format it is is only known from the second.
        Reply::status(200)
            .header("content-encoding", "deflate")
            .chunked(vec![
                Bytes::from_static(&RAW_DEFLATE_TEST[..1]),
                Bytes::from_static(&RAW_DEFLATE_TEST[1..]),
            ]),
    ]);
    let client = TestClient::new(driver, Options::new());
    let got = client.get(&server.url("/one"), &Options::new()).unwrap();
    assert_eq!(got.body, "deflated test");
    assert!(got.headers.get("content-encoding").is_none());
    let (_, streamed) = client
        .stream(get(&server.url("/two")), &Options::new())
        .unwrap();
    assert_eq!(streamed, "deflated test");
});

#[test]
fn the_decompress_knob_merges_and_shows_like_the_others() {
    let off = Options::new().with_decompress(false);
    assert!(!off.is_empty());
    assert!(format!("{off:?}").contains("decompress: false"), "{off:?}");
    assert!(!off.transport_config().decompress);
    assert!(Options::new().transport_config().decompress);
    // A call's setting wins over the client's; a call that sets nothing inherits it.
    let call = Options::new().with_decompress(true);
    assert!(off.overwrite(&call).decompress());
    assert!(!off.overwrite(&Options::new()).decompress());
}
