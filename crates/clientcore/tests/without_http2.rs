//! A build without the `http2` feature (CI runs this file with `--no-default-features
//! --features async,blocking,ring`): every connection speaks HTTP/1.1, `h2` is never offered
//! in the handshake, and asking for HTTP/2 with prior knowledge is a clear error, never a
//! silent HTTP/1.1 request.
#![cfg(not(feature = "http2"))]

#[macro_use]
mod support;

use bytes::Bytes;
use clientcore::{ErrorKind, HttpVersion, Options, Verify};
use clientcore_testkit::{H2Mode, H2Seen, H2Server};
use http::{Response, Version};
use support::TestClient;

fn ok(_: &H2Seen) -> Response<Bytes> {
    Response::new(Bytes::from_static(b"hello"))
}

both_drivers!(a_server_offering_h2_is_spoken_to_in_http1, |driver| {
    let server = H2Server::start(H2Mode::TlsNegotiate, ok);
    let files = server.pki().unwrap().write_files();
    let options = Options::new().with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()));
    let client = TestClient::new(driver, options);
    let got = client.get(&server.url("/a"), &Options::new()).unwrap();
    assert_eq!(got.body, "hello");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].version, Version::HTTP_11);
});

both_drivers!(
    prior_knowledge_is_refused_with_the_feature_named,
    |driver| {
        let server = H2Server::start(H2Mode::Cleartext, ok);
        let client = TestClient::new(driver, Options::new());
        let h2c = Options::new().with_http_version(HttpVersion::Http2PriorKnowledge);
        let err = client.get(&server.url("/h2c"), &h2c).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceRequest);
        assert!(err.to_string().contains("`http2` feature"), "{err}");
        assert!(server.seen().is_empty(), "nothing was sent");
        // HTTP/1.1 over the same client still works.
        let got = client.get(&server.url("/plain"), &Options::new()).unwrap();
        assert_eq!(got.body, "hello");
    }
);
