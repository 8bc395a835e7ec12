//! TLS through the real default transport (`connection_verify`, `connection_cert`) against a
//! testkit HTTPS server on 127.0.0.1 whose certificates come from a private CA.

mod support;

use clientcore::{ClientCert, ErrorKind, Options, RetryOptions, Verify};
use support::{Reply, Server, TestClient, TestPki};

fn tls_server(pki: &TestPki, replies: impl IntoIterator<Item = Reply>) -> Server {
    Server::builder().tls(pki).replies(replies).build()
}

fn mtls_server(pki: &TestPki, replies: impl IntoIterator<Item = Reply>) -> Server {
    Server::builder()
        .tls(pki)
        .require_client_cert(true)
        .replies(replies)
        .build()
}

fn no_retries() -> Options {
    Options::new().with_retry(RetryOptions::none())
}

both_drivers!(unknown_ca_fails_verification_as_service_request, |driver| {
    let pki = TestPki::new();
    let server = tls_server(&pki, []);
    let client = TestClient::new(driver, no_retries());
    let err = client.get(&server.url("/x"), &Options::new()).unwrap_err();
    // The handshake failed: the request was never sent.
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(err.is_service_request());
    assert!(server.requests().is_empty());
    assert_eq!(server.connections(), 1);
});

both_drivers!(
    verification_failure_is_retried_on_the_fake_clock,
    |driver| {
        // A connect-phase failure: retried even for POST, by the connect budget (3).
        let pki = TestPki::new();
        let server = tls_server(&pki, []);
        let client = TestClient::fake_time(driver, Options::new());
        let post = clientcore::Request::new(http::Method::POST, server.url("/x").parse().unwrap())
            .with_body(clientcore::Body::from("x"));
        let err = client.send(post, &Options::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
        assert!(server.requests().is_empty());
        assert_eq!(server.connections(), 4);
        assert_eq!(client.clock.sleeps().len(), 3);
    }
);

both_drivers!(verify_off_accepts_the_private_ca, |driver| {
    let pki = TestPki::new();
    let server = tls_server(&pki, [Reply::status(200).body("secure")]);
    let client = TestClient::new(driver, Options::new().with_connection_verify(Verify::Off));
    let got = client.get(&server.url("/x"), &Options::new()).unwrap();
    assert_eq!(got.body, "secure");
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/x");
    assert_eq!(seen[0].client_cert, None);
});

both_drivers!(ca_bundle_trusts_the_private_ca, |driver| {
    let pki = TestPki::new();
    let files = pki.write_files();
    let server = tls_server(&pki, [Reply::status(200).body("trusted")]);
    let client = TestClient::new(driver, Options::new());
    let opts = Options::new().with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()));
    let got = client.get(&server.url("/x"), &opts).unwrap();
    assert_eq!(got.body, "trusted");
    assert_eq!(server.requests().len(), 1);
});

both_drivers!(ca_bundle_of_another_ca_fails, |driver| {
    let pki = TestPki::new();
    let other = TestPki::new();
    let files = other.write_files();
    let server = tls_server(&pki, []);
    let client = TestClient::new(driver, no_retries());
    let opts = Options::new().with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()));
    let err = client.get(&server.url("/x"), &opts).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(server.requests().is_empty());
});

both_drivers!(
    a_client_with_a_missing_ca_bundle_is_refused_by_its_builder,
    |driver| {
        let pki = TestPki::new();
        let files = pki.write_files();
        let missing = files.dir().join("no-such-ca.pem");
        let err = support::build_error(
            driver,
            Options::new().with_connection_verify(Verify::CaBundle(missing)),
        );
        assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
        assert!(err.to_string().contains("CA bundle"), "{err}");
    }
);

both_drivers!(missing_ca_bundle_file_is_service_request, |driver| {
    let pki = TestPki::new();
    let files = pki.write_files();
    let server = tls_server(&pki, []);
    let client = TestClient::new(driver, no_retries());
    let missing = files.dir().join("no-such-ca.pem");
    let opts = Options::new().with_connection_verify(Verify::CaBundle(missing));
    let err = client.get(&server.url("/x"), &opts).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(err.to_string().contains("CA bundle"), "{err}");
    assert_eq!(server.connections(), 0, "nothing was attempted");
});

both_drivers!(client_identity_pem_is_presented, |driver| {
    let pki = TestPki::new();
    let files = pki.write_files();
    let server = mtls_server(&pki, [Reply::status(200).body("hello, client")]);
    let client = TestClient::new(
        driver,
        Options::new()
            .with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()))
            .with_connection_cert(ClientCert::Pem(files.client_identity().to_path_buf())),
    );
    let got = client.get(&server.url("/me"), &Options::new()).unwrap();
    assert_eq!(got.body, "hello, client");
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    let cert = seen[0].client_cert.as_ref().expect("a client certificate");
    assert_eq!(cert.subject, pki.client_subject());
    assert_eq!(cert.der, pki.client_cert_der().as_ref());
});

both_drivers!(client_cert_and_key_pair_is_presented, |driver| {
    let pki = TestPki::new();
    let files = pki.write_files();
    let server = mtls_server(&pki, [Reply::status(200)]);
    let client = TestClient::new(
        driver,
        Options::new().with_connection_verify(Verify::CaBundle(files.ca().to_path_buf())),
    );
    let opts = Options::new().with_connection_cert(ClientCert::Pair {
        cert: files.client_cert().to_path_buf(),
        key: files.client_key().to_path_buf(),
    });
    let got = client.get(&server.url("/me"), &opts).unwrap();
    assert_eq!(got.status, 200);
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].client_cert.as_ref().map(|c| c.subject.as_str()),
        Some(pki.client_subject().as_str())
    );
});

both_drivers!(missing_client_cert_fails, |driver| {
    let pki = TestPki::new();
    let files = pki.write_files();
    let server = mtls_server(&pki, []);
    let client = TestClient::new(
        driver,
        no_retries().with_connection_verify(Verify::CaBundle(files.ca().to_path_buf())),
    );
    let err = client.get(&server.url("/me"), &Options::new()).unwrap_err();
    // TLS 1.3: the client finishes its side of the handshake and writes the request before
    // the server's `certificate_required` alert arrives, so the failure shows up after
    // sending (ServiceResponse), although the server never read the request.
    assert_eq!(err.kind(), ErrorKind::ServiceResponse, "{err:?}");
    assert!(!err.is_http_response());
    assert!(server.requests().is_empty());
    assert_eq!(server.connections(), 1);
});

both_drivers!(unreadable_client_cert_is_service_request, |driver| {
    let pki = TestPki::new();
    let files = pki.write_files();
    let server = mtls_server(&pki, []);
    let client = TestClient::new(driver, no_retries());
    let opts = Options::new()
        .with_connection_verify(Verify::CaBundle(files.ca().to_path_buf()))
        .with_connection_cert(ClientCert::Pair {
            cert: files.client_cert().to_path_buf(),
            key: files.dir().join("no-such-key.pem"),
        });
    let err = client.get(&server.url("/me"), &opts).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(err.to_string().contains("client key"), "{err}");
    assert_eq!(server.connections(), 0);
});
