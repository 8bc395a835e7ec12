//! rustls' settings for a pool: which servers to trust, the client certificate, the HTTP
//! versions offered.

use std::sync::Arc;

use clientcore_proto::options::{ClientCert, HttpVersion, TransportConfig, Verify};
use clientcore_proto::{Error, ErrorKind};

use super::errors::invalid;

/// rustls' settings for a pool: which servers to trust, the client certificate, and the HTTP
/// versions offered to the target (ALPN).
pub(super) fn tls_config(config: &TransportConfig) -> Result<rustls::ClientConfig, Error> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
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
    let mut tls = match &config.cert {
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
    // What the target may choose in the handshake (ALPN): `h2` only where HTTP/2 may be spoken.
    tls.alpn_protocols = match config.http_version {
        HttpVersion::Http1Only => vec![b"http/1.1".to_vec()],
        HttpVersion::Http2PriorKnowledge => vec![b"h2".to_vec()],
        _ => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
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
