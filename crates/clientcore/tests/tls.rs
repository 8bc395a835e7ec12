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

// ---- A caller's own rustls configuration (`tls_config`) ----------------------------------

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use clientcore::rustls;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use support::Setup;

/// A verifier that accepts exactly one server certificate (pinning), whoever signed it, and
/// counts the handshakes it was asked about.
#[derive(Debug)]
struct Pinned {
    der: Vec<u8>,
    asked: AtomicUsize,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl Pinned {
    fn new(pem: &str) -> Arc<Self> {
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        Arc::new(Pinned {
            der: der.as_ref().to_vec(),
            asked: AtomicUsize::new(0),
            // The testkit's provider: the server's side, whichever clientcore was built with.
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        })
    }

    fn config(self: &Arc<Self>) -> Arc<rustls::ClientConfig> {
        let config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(self.clone())
            .with_no_client_auth();
        Arc::new(config)
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the pinned certificate".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn with_tls(
    driver: support::Driver,
    options: Options,
    tls: Arc<rustls::ClientConfig>,
) -> TestClient {
    TestClient::with_tls(
        driver,
        Setup {
            options,
            ..Setup::default()
        },
        Some(tls),
    )
}

/// Whether a `rustls::Error` is among `e`'s causes (an `io::Error`'s inner error included).
fn has_rustls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(cause) = next {
        if cause.is::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if has_rustls_error(inner) {
                return true;
            }
        }
        next = cause.source();
    }
    false
}

both_drivers!(a_caller_verifier_that_pins_the_cert_is_used, |driver| {
    let pki = TestPki::new();
    let server = tls_server(&pki, [Reply::status(200).body("pinned")]);
    let pin = Pinned::new(pki.server_cert_pem());
    // The options' own verification would refuse the private CA (the platform's roots): the
    // caller's configuration decides instead.
    let client = with_tls(driver, no_retries(), pin.config());
    let got = client.get(&server.url("/x"), &Options::new()).unwrap();
    assert_eq!(got.body, "pinned");
    assert_eq!(
        pin.asked.load(Ordering::SeqCst),
        1,
        "the caller's verifier decided"
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/x");
});

both_drivers!(a_caller_verifier_that_rejects_fails_clearly, |driver| {
    let pki = TestPki::new();
    let other = TestPki::new();
    let server = tls_server(&pki, []);
    // Pinned to another server's certificate; `Verify::Off` in the options changes nothing.
    let pin = Pinned::new(other.server_cert_pem());
    let client = with_tls(
        driver,
        no_retries().with_connection_verify(Verify::Off),
        pin.config(),
    );
    let err = client.get(&server.url("/x"), &Options::new()).unwrap_err();
    // The handshake failed: the request was never sent.
    assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
    assert!(has_rustls_error(&err), "no TLS error in {err:?}");
    assert!(
        format!("{err:?}").contains("not the pinned certificate"),
        "{err:?}"
    );
    assert_eq!(pin.asked.load(Ordering::SeqCst), 1);
    assert!(server.requests().is_empty());
    assert_eq!(server.connections(), 1);
});

/// A blocking transport of the caller's, never called.
#[derive(Debug)]
struct NeverSends;

impl clientcore::transport::BlockingTransport for NeverSends {
    fn send(
        &self,
        _request: clientcore::Request<clientcore::Body>,
        _config: &clientcore::options::TransportConfig,
        _timeout: std::time::Duration,
    ) -> Result<clientcore::transport::BlockingTransportResponse, clientcore::Error> {
        unreachable!("the client is never built")
    }
}

both_drivers!(
    tls_config_with_a_transport_of_ones_own_is_refused,
    |driver| {
        let pki = TestPki::new();
        let err = match driver {
            support::Driver::Async => clientcore::Client::builder()
                .transport(Arc::new(clientcore::transport::HyperTransport::new()))
                .tls_config(pki.client_config())
                .build()
                .unwrap_err(),
            support::Driver::Blocking => clientcore::BlockingClient::builder()
                .transport(Arc::new(NeverSends))
                .tls_config(pki.client_config())
                .build()
                .unwrap_err(),
        };
        assert_eq!(err.kind(), ErrorKind::ServiceRequest, "{err:?}");
        assert!(err.to_string().contains("tls_config"), "{err}");
    }
);
