//! rustls' settings for a pool: which servers to trust, the client certificate, the HTTP
//! versions offered; and the crypto provider, by feature.

use std::sync::Arc;

use clientcore_proto::options::{ClientCert, HttpVersion, TransportConfig, Verify};
use clientcore_proto::{Error, ErrorKind};

use super::errors::invalid;

/// rustls' settings for a pool: which servers to trust, the client certificate, and the HTTP
/// versions offered to the target (ALPN). A caller's own configuration (`custom`) decides
/// trust and the client certificate itself (`connection_verify` and `connection_cert` are not
/// read); only its ALPN list is replaced, on a copy, so that the HTTP versions offered are
/// the ones the options choose and `Conn::connected` reads the answer right.
pub(super) fn tls_config(
    config: &TransportConfig,
    custom: Option<&rustls::ClientConfig>,
) -> Result<rustls::ClientConfig, Error> {
    let mut tls = match custom {
        Some(custom) => custom.clone(),
        None => own_config(config)?,
    };
    // What the target may choose in the handshake (ALPN): `h2` only where HTTP/2 may be spoken.
    // Without the `http2` feature only HTTP/1.1 is offered (prior knowledge fails earlier,
    // when the pool is set up).
    tls.alpn_protocols = match config.http_version {
        HttpVersion::Http1Only => vec![b"http/1.1".to_vec()],
        _ if !cfg!(feature = "http2") => vec![b"http/1.1".to_vec()],
        HttpVersion::Http2PriorKnowledge => vec![b"h2".to_vec()],
        _ => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
    };
    Ok(tls)
}

/// The crypto provider of the transport's own TLS settings, chosen by clientcore's features:
/// aws-lc-rs (the default, and the choice when both are on: it is rustls' own default), else
/// ring, else the process-wide default the application installed.
// Only the last choice can fail; the signature is the same whichever the features pick.
#[cfg_attr(
    any(feature = "aws-lc-rs", feature = "ring"),
    allow(clippy::unnecessary_wraps)
)]
fn provider() -> Result<Arc<rustls::crypto::CryptoProvider>, Error> {
    #[cfg(feature = "aws-lc-rs")]
    {
        Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
    }
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    {
        Ok(Arc::new(rustls::crypto::ring::default_provider()))
    }
    #[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
    {
        rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::ServiceRequest,
                    "no TLS crypto provider: enable clientcore's `aws-lc-rs` or `ring` feature, \
                     install a process-wide one with `CryptoProvider::install_default`, or \
                     give the client a rustls configuration of its own",
                )
            })
    }
}

/// The TLS settings the options describe.
fn own_config(config: &TransportConfig) -> Result<rustls::ClientConfig, Error> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let provider = provider()?;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("TLS configuration", e))?;
    let builder = match &config.verify {
        // The operating system's trust store and rules, as reqwest and browsers use.
        Verify::On => {
            use rustls_platform_verifier::BuilderVerifierExt as _;
            builder
                .with_platform_verifier()
                .map_err(|e| invalid("TLS configuration", e))?
        }
        Verify::Off => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider))),
        Verify::CaBundle(path) => {
            let pem = std::fs::read(path).map_err(|e| invalid("CA bundle", e))?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| invalid("CA bundle", e))?;
                roots.add(cert).map_err(|e| invalid("CA bundle", e))?;
            }
            if roots.is_empty() {
                return Err(invalid("CA bundle", "no certificate in the file"));
            }
            builder.with_root_certificates(roots)
        }
        other => {
            return Err(Error::new(
                ErrorKind::ServiceRequest,
                format!("unsupported TLS verification setting {other:?}"),
            ))
        }
    };
    let tls = match &config.cert {
        None => builder.with_no_client_auth(),
        Some(cert) => {
            let (certs_pem, key_pem) = match cert {
                ClientCert::Pem(path) => {
                    let pem = std::fs::read(path).map_err(|e| invalid("client certificate", e))?;
                    (pem.clone(), pem)
                }
                ClientCert::Pair { cert, key } => (
                    std::fs::read(cert).map_err(|e| invalid("client certificate", e))?,
                    std::fs::read(key).map_err(|e| invalid("client key", e))?,
                ),
                other => {
                    return Err(Error::new(
                        ErrorKind::ServiceRequest,
                        format!("unsupported client certificate setting {other:?}"),
                    ))
                }
            };
            let certs = CertificateDer::pem_slice_iter(&certs_pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid("client certificate", e))?;
            if certs.is_empty() {
                return Err(invalid("client certificate", "no certificate in the file"));
            }
            let key =
                PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| invalid("client key", e))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| invalid("client certificate", e))?
        }
    };
    Ok(tls)
}

/// `connection_verify=False`: any certificate is accepted. The handshake's signatures are still
/// checked (a server must hold the key of the certificate it shows).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls_pki_types::CertificateDer<'_>,
        _intermediates: &[rustls_pki_types::CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
