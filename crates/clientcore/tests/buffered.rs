//! Buffered bodies: a successful body read inside the pipeline is retried when it is cut
//! short, like the reference's non-streaming calls; a streamed one surfaces `IncompleteRead`.

mod support;

use clientcore::{ErrorKind, Options};
use support::{Reply, Server, TestClient};

both_drivers!(a_cut_body_is_retried_when_buffered, |driver| {
    let server = Server::start([
        Reply::status(200).body("0123456789").close_mid_body(4),
        Reply::status(200).body("0123456789"),
    ]);
    let client = TestClient::fake_time(driver, Options::new());
    let got = client
        .get(
            &server.url("/blob"),
            &Options::new().with_buffered_body(Some(1024)),
        )
        .unwrap();
    assert_eq!(got.body, "0123456789");
    assert_eq!(got.retries.len(), 1);
    assert_eq!(server.requests().len(), 2);
    // The second attempt went out at once: the first retry is immediate.
    assert_eq!(client.clock.sleeps(), [std::time::Duration::ZERO]);
});

both_drivers!(a_cut_body_is_an_incomplete_read_when_streamed, |driver| {
    let server = Server::start([Reply::status(200).body("0123456789").close_mid_body(4)]);
    let client = TestClient::fake_time(driver, Options::new());
    let err = client
        .get(&server.url("/blob"), &Options::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompleteRead);
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(a_body_over_the_buffer_limit_is_a_decode_error, |driver| {
    let server = Server::start([Reply::status(200).body(vec![b'x'; 2048])]);
    let client = TestClient::fake_time(driver, Options::new());
    let err = client
        .get(
            &server.url("/big"),
            &Options::new().with_buffered_body(Some(1024)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(
        err.to_string(),
        "the response body is larger than the buffer limit of 1024 bytes"
    );
});

both_drivers!(a_cut_post_body_is_not_retried, |driver| {
    let server = Server::start([Reply::status(200).body("0123456789").close_mid_body(4)]);
    let client = TestClient::fake_time(driver, Options::new());
    let request = clientcore::Request::new(http::Method::POST, server.url("/op").parse().unwrap())
        .with_body("payload".into());
    let err = client
        .send(request, &Options::new().with_buffered_body(Some(1024)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IncompleteRead);
    assert_eq!(server.requests().len(), 1);
});
