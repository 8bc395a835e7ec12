//! A throwaway PKI for TLS tests: a CA, a server certificate and a client certificate.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// Subject common name of the client certificate a [`TestPki`] issues.
pub const CLIENT_COMMON_NAME: &str = "clientcore-testkit client";

/// A certificate authority with a server and a client certificate it signed, made fresh with
/// `rcgen` (ECDSA P-256 keys, valid from 1975 to 4096).
///
/// The server certificate is for `127.0.0.1` and `localhost`; the client certificate's subject
/// is `CN=clientcore-testkit client, O=clientcore`. Keys are PKCS#8 PEM (`PRIVATE KEY`).
///
/// ```
/// use clientcore_testkit::TestPki;
///
/// let pki = TestPki::new();
/// assert!(pki.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(pki.client_identity_pem().contains("-----BEGIN PRIVATE KEY-----"));
/// let files = pki.write_files();
/// assert!(files.ca().exists());
/// ```
#[derive(Clone)]
pub struct TestPki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    server_cert_pem: String,
    server_cert_der: CertificateDer<'static>,
    server_key_pem: String,
    server_key_der: Vec<u8>,
    client_cert_pem: String,
    client_cert_der: CertificateDer<'static>,
    client_key_pem: String,
    client_key_der: Vec<u8>,
}

impl TestPki {
    /// Generate a new CA, server certificate and client certificate.
    ///
    /// # Panics
    ///
    /// If `rcgen` fails, which it does not for these fixed parameters.
    pub fn new() -> Self {
        let ca_key = KeyPair::generate().expect("generate CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.distinguished_name = name("clientcore-testkit CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign CA");
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().expect("generate server key");
        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("server params");
        server_params.distinguished_name = name("clientcore-testkit server");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("sign server certificate");

        let client_key = KeyPair::generate().expect("generate client key");
        let mut client_params =
            CertificateParams::new(Vec::<String>::new()).expect("client params");
        client_params.distinguished_name = name(CLIENT_COMMON_NAME);
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        client_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let client_cert = client_params
            .signed_by(&client_key, &issuer)
            .expect("sign client certificate");

        TestPki {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().clone(),
            server_cert_pem: server_cert.pem(),
            server_cert_der: server_cert.der().clone(),
            server_key_pem: server_key.serialize_pem(),
            server_key_der: server_key.serialize_der(),
            client_cert_pem: client_cert.pem(),
            client_cert_der: client_cert.der().clone(),
            client_key_pem: client_key.serialize_pem(),
            client_key_der: client_key.serialize_der(),
        }
    }

    /// The CA certificate, PEM: the root a client must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate, DER.
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }

    /// The server certificate, PEM.
    pub fn server_cert_pem(&self) -> &str {
        &self.server_cert_pem
    }

    /// The server's private key, PKCS#8 PEM.
    pub fn server_key_pem(&self) -> &str {
        &self.server_key_pem
    }

    /// The client certificate, PEM.
    pub fn client_cert_pem(&self) -> &str {
        &self.client_cert_pem
    }

    /// The client certificate, DER.
    pub fn client_cert_der(&self) -> &CertificateDer<'static> {
        &self.client_cert_der
    }

    /// The client's private key, PKCS#8 PEM.
    pub fn client_key_pem(&self) -> &str {
        &self.client_key_pem
    }

    /// The client certificate followed by its private key in one PEM, the form
    /// `ClientCert::Pem` takes.
    pub fn client_identity_pem(&self) -> String {
        format!("{}{}", self.client_cert_pem, self.client_key_pem)
    }

    /// The subject of the client certificate as [`ClientCert::subject`](crate::ClientCert)
    /// renders it.
    pub fn client_subject(&self) -> String {
        format!("CN={CLIENT_COMMON_NAME}, O=clientcore")
    }

    /// Write every PEM to its own file in a new temporary directory, removed when the returned
    /// [`PkiFiles`] drops.
    ///
    /// # Panics
    ///
    /// If the directory or a file cannot be written.
    pub fn write_files(&self) -> PkiFiles {
        let dir = tempfile::Builder::new()
            .prefix("clientcore-testkit-pki")
            .tempdir()
            .expect("create temporary PKI directory");
        let write = |file: &str, contents: &str| {
            let path = dir.path().join(file);
            fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            path
        };
        let ca = write("ca.pem", &self.ca_pem);
        let server_cert = write("server-cert.pem", &self.server_cert_pem);
        let server_key = write("server-key.pem", &self.server_key_pem);
        let client_cert = write("client-cert.pem", &self.client_cert_pem);
        let client_key = write("client-key.pem", &self.client_key_pem);
        let client_identity = write("client-identity.pem", &self.client_identity_pem());
        PkiFiles {
            dir,
            ca,
            server_cert,
            server_key,
            client_cert,
            client_key,
            client_identity,
        }
    }

    /// A rustls client configuration (aws-lc-rs provider) that trusts this CA and presents no
    /// client certificate.
    ///
    /// # Panics
    ///
    /// If rustls rejects its own defaults, which it does not.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        Arc::new(
            ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .expect("default protocol versions")
                .with_root_certificates(self.roots())
                .with_no_client_auth(),
        )
    }

    /// A rustls client configuration (aws-lc-rs provider) that trusts this CA and presents the
    /// client certificate.
    ///
    /// # Panics
    ///
    /// If rustls rejects the generated certificate, which it does not.
    pub fn client_config_with_identity(&self) -> Arc<ClientConfig> {
        Arc::new(
            ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .expect("default protocol versions")
                .with_root_certificates(self.roots())
                .with_client_auth_cert(
                    vec![self.client_cert_der.clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.client_key_der.clone())),
                )
                .expect("client identity"),
        )
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone()).expect("add CA to roots");
        roots
    }

    /// The server-side rustls configuration: this server certificate, HTTP/1.1 over ALPN and,
    /// if asked, a mandatory client certificate signed by this CA.
    pub(crate) fn server_config(&self, require_client_cert: bool) -> Arc<ServerConfig> {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("default protocol versions");
        let builder = if require_client_cert {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(self.roots()), provider())
                    .build()
                    .expect("client certificate verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder
            .with_single_cert(
                vec![self.server_cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key_der.clone())),
            )
            .expect("server certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

impl fmt::Debug for TestPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPki")
            .field("client_subject", &self.client_subject())
            .finish_non_exhaustive()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "clientcore");
    dn
}

/// The PEM files of a [`TestPki`] in a temporary directory, deleted on drop.
#[derive(Debug)]
pub struct PkiFiles {
    dir: tempfile::TempDir,
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    client_identity: PathBuf,
}

impl PkiFiles {
    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `ca.pem`: the CA certificate.
    pub fn ca(&self) -> &Path {
        &self.ca
    }

    /// `server-cert.pem`: the server certificate.
    pub fn server_cert(&self) -> &Path {
        &self.server_cert
    }

    /// `server-key.pem`: the server's private key.
    pub fn server_key(&self) -> &Path {
        &self.server_key
    }

    /// `client-cert.pem`: the client certificate.
    pub fn client_cert(&self) -> &Path {
        &self.client_cert
    }

    /// `client-key.pem`: the client's private key.
    pub fn client_key(&self) -> &Path {
        &self.client_key
    }

    /// `client-identity.pem`: the client certificate followed by its key.
    pub fn client_identity(&self) -> &Path {
        &self.client_identity
    }
}

/// Render the subject of a DER certificate as `CN=.., O=..` (attributes in certificate order),
/// or `None` if the DER is not a certificate this minimal reader understands.
pub(crate) fn subject_of(cert_der: &[u8]) -> Option<String> {
    let (_, cert, _) = tlv(cert_der, 0x30)?;
    let (_, mut tbs, _) = tlv(cert, 0x30)?;
    if tbs.first() == Some(&0xa0) {
        tbs = tlv_any(tbs)?.2; // [0] version
    }
    let rest = tlv(tbs, 0x02)?.2; // serialNumber
    let rest = tlv(rest, 0x30)?.2; // signature algorithm
    let rest = tlv(rest, 0x30)?.2; // issuer
    let rest = tlv(rest, 0x30)?.2; // validity
    let (_, mut name, _) = tlv(rest, 0x30)?; // subject
    let mut parts = Vec::new();
    while !name.is_empty() {
        let (_, mut set, rest) = tlv(name, 0x31)?;
        name = rest;
        while !set.is_empty() {
            let (_, attr, rest) = tlv(set, 0x30)?;
            set = rest;
            let (_, oid, value) = tlv(attr, 0x06)?;
            let (tag, value, _) = tlv_any(value)?;
            let value = if tag == 0x1e {
                let units: Vec<u16> = value
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                    .collect();
                String::from_utf16_lossy(&units)
            } else {
                String::from_utf8_lossy(value).into_owned()
            };
            parts.push(format!("{}={value}", attribute_name(oid)));
        }
    }
    Some(parts.join(", "))
}

fn attribute_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "CN".to_owned(),
        [0x55, 0x04, 0x06] => "C".to_owned(),
        [0x55, 0x04, 0x07] => "L".to_owned(),
        [0x55, 0x04, 0x08] => "ST".to_owned(),
        [0x55, 0x04, 0x0a] => "O".to_owned(),
        [0x55, 0x04, 0x0b] => "OU".to_owned(),
        _ => {
            let mut arcs = Vec::new();
            if let Some(first) = oid.first() {
                arcs.push(u64::from(first / 40));
                arcs.push(u64::from(first % 40));
            }
            let mut acc = 0u64;
            for b in oid.iter().skip(1) {
                acc = (acc << 7) | u64::from(b & 0x7f);
                if b & 0x80 == 0 {
                    arcs.push(acc);
                    acc = 0;
                }
            }
            let dotted: Vec<String> = arcs.iter().map(u64::to_string).collect();
            dotted.join(".")
        }
    }
}

/// Read one DER TLV whose tag must be `tag`: `(tag, contents, rest)`.
fn tlv(input: &[u8], tag: u8) -> Option<(u8, &[u8], &[u8])> {
    let read = tlv_any(input)?;
    (read.0 == tag).then_some(read)
}

/// Read one DER TLV with any single-byte tag: `(tag, contents, rest)`.
fn tlv_any(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, input) = input.split_first()?;
    let (&first, mut input) = input.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || input.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &input[..n] {
            len = (len << 8) | usize::from(b);
        }
        input = &input[n..];
        len
    };
    if input.len() < len {
        return None;
    }
    let (contents, rest) = input.split_at(len);
    Some((tag, contents, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_of_reads_the_client_certificate() {
        let pki = TestPki::new();
        assert_eq!(
            subject_of(pki.client_cert_der()).as_deref(),
            Some(pki.client_subject().as_str())
        );
        assert_eq!(
            subject_of(pki.ca_der()).as_deref(),
            Some("CN=clientcore-testkit CA, O=clientcore")
        );
    }

    #[test]
    fn subject_of_rejects_garbage() {
        assert_eq!(subject_of(b""), None);
        assert_eq!(subject_of(&[0x30, 0x05, 0x01]), None);
    }

    #[test]
    fn unknown_attributes_are_dotted_oids() {
        assert_eq!(attribute_name(&[0x2a, 0x86, 0x48]), "1.2.840");
    }
}
