//! Signing: HMAC-SHA256, and a named key (an account name and its key) that can be swapped
//! while clients use it.
//!
//! Schemes such as Azure Storage's SharedKey and shared access signatures sign a string built
//! from the request with the account key; the string is the service's, the arithmetic and the
//! key's keeping are here.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::{Arc, PoisonError, RwLock};

use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use http::HeaderMap;
use url::Url;

use crate::error::{Error, ErrorKind};

/// `HMAC-SHA256(key, message)` (RFC 2104 over FIPS 180-4).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::sign::hmac_sha256;
///
/// // RFC 4231, test case 2.
/// let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
/// assert_eq!(tag[..4], [0x5b, 0xdc, 0xc1, 0x46]);
/// ```
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // An HMAC accepts keys of any length (longer ones are hashed first), so this never fails.
    let mut mac = <Hmac<sha2::Sha256>>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// `Base64(HMAC-SHA256(key, message))`, the form Azure signatures travel in.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::sign::hmac_sha256_base64;
///
/// assert_eq!(
///     hmac_sha256_base64(b"key", "The quick brown fox jumps over the lazy dog"),
///     "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
/// );
/// ```
pub fn hmac_sha256_base64(key: &[u8], message: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(key, message.as_bytes()))
}

/// The value of header `name` as text: `""` when it is absent or not visible ASCII, as
/// the strings to sign of Azure Storage want it.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::sign::header_text;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("content-type", "text/plain".parse().unwrap());
/// assert_eq!(header_text(&headers, "content-type"), "text/plain");
/// assert_eq!(header_text(&headers, "content-md5"), "");
/// ```
pub fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The canonical form of every header whose name starts with `prefix` (Azure Storage's
/// `x-ms-`): one `name:value` line each (with its `\n`), sorted by name; the values of a
/// repeated header joined with `,`; runs of whitespace in a value folded to one space.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::sign::canonical_headers;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-ms-version", "2021-12-02".parse().unwrap());
/// headers.insert("x-ms-meta-a", "  two   words ".parse().unwrap());
/// headers.insert("content-type", "text/plain".parse().unwrap());
/// assert_eq!(
///     canonical_headers(&headers, "x-ms-"),
///     "x-ms-meta-a:two words\nx-ms-version:2021-12-02\n"
/// );
/// ```
pub fn canonical_headers(headers: &HeaderMap, prefix: &str) -> String {
    let mut lines: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        if name.as_str().starts_with(prefix) {
            let value = String::from_utf8_lossy(value.as_bytes());
            let folded = value.split_whitespace().collect::<Vec<_>>().join(" ");
            lines.entry(name.as_str()).or_default().push(folded);
        }
    }
    let mut out = String::new();
    for (name, values) in lines {
        let _ = writeln!(out, "{name}:{}", values.join(","));
    }
    out
}

/// The canonical form of `url`'s query: one `\nname:value` line per parameter name,
/// decoded, lower-cased and sorted; the values of a repeated name sorted and joined with `,`
/// (Azure Storage's canonicalized resource after its path).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::sign::canonical_query;
///
/// let url = "https://a.example/c?timeout=5&Comp=block&blockid=x%20y&tag=b&tag=a".parse().unwrap();
/// assert_eq!(
///     canonical_query(&url),
///     "\nblockid:x y\ncomp:block\ntag:a,b\ntimeout:5"
/// );
/// ```
pub fn canonical_query(url: &Url) -> String {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in url.query_pairs() {
        params
            .entry(name.to_lowercase())
            .or_default()
            .push(value.into_owned());
    }
    let mut out = String::new();
    for (name, mut values) in params {
        values.sort();
        let _ = write!(out, "\n{name}:{}", values.join(","));
    }
    out
}

/// An account name and its key, shared by every clone and replaced in all of them at once by
/// [`update`](Self::update) (the reference's `AzureNamedKeyCredential`): rotate a key on a
/// live client without rebuilding it. Made by
/// [`Credential::named_key`](crate::policies::auth::Credential::named_key).
///
/// The key is given in base64, as the Azure portal shows it, and kept decoded. `Debug` and
/// errors never print it.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::auth::Credential;
///
/// let key = Credential::named_key("account", "a2V5")?; // "key"
/// let in_policy = key.clone();
/// let (name, sig) = in_policy.sign(|name| format!("GET\n/{name}/"));
/// assert_eq!(name, "account");
///
/// key.update("account", "bmV3LWtleQ==")?; // the clone sees the new key
/// assert_ne!(in_policy.sign(|name| format!("GET\n/{name}/")).1, sig);
/// assert!(!format!("{key:?}").contains("bmV3"));
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone)]
pub struct NamedKeyCredential(Arc<RwLock<NamedKey>>);

struct NamedKey {
    name: String,
    key: Vec<u8>,
}

impl NamedKeyCredential {
    /// `name` with its base64 `key`.
    ///
    /// # Errors
    ///
    /// A [`ClientAuthentication`](ErrorKind::ClientAuthentication) error when the key is not
    /// base64 or either is empty.
    pub fn new(name: impl Into<String>, key: &str) -> Result<Self, Error> {
        Ok(NamedKeyCredential(Arc::new(RwLock::new(NamedKey::new(
            name.into(),
            key,
        )?))))
    }

    /// Replaces the name and key, for this credential and every clone of it: calls signed
    /// from now on use the new pair. A bad key leaves the old pair in place.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn update(&self, name: impl Into<String>, key: &str) -> Result<(), Error> {
        let pair = NamedKey::new(name.into(), key)?;
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = pair;
        Ok(())
    }

    /// The name.
    pub fn name(&self) -> String {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .name
            .clone()
    }

    /// Signs the string `string_to_sign` builds from the name: returns the name and
    /// `Base64(HMAC-SHA256(key, string))`, both of the same pair even while another thread
    /// calls [`update`](Self::update).
    pub fn sign(&self, string_to_sign: impl FnOnce(&str) -> String) -> (String, String) {
        let pair = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let message = string_to_sign(&pair.name);
        (pair.name.clone(), hmac_sha256_base64(&pair.key, &message))
    }
}

impl NamedKey {
    fn new(name: String, key: &str) -> Result<Self, Error> {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(key.trim())
            .map_err(|e| {
                Error::with_source(ErrorKind::ClientAuthentication, e)
                    .with_message("the account key is not base64")
            })?;
        if name.is_empty() || decoded.is_empty() {
            return Err(Error::new(
                ErrorKind::ClientAuthentication,
                "a named key needs a name and a key",
            ));
        }
        Ok(NamedKey { name, key: decoded })
    }
}

impl fmt::Debug for NamedKeyCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedKeyCredential")
            .field("name", &self.name())
            .field("key", &crate::policies::redact::REDACTED)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 1 (20-byte key) and 6 (a key longer than the block, hashed first).
        let tag = hmac_sha256(&[0x0b; 20], b"Hi There");
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(tag),
            "sDRMYdjbOFNcqK/OrwvxK4gdwgDJgz2nJuk3bC4yz/c="
        );
        let long = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(long[..4], [0x60, 0xe4, 0x31, 0x59]);
    }

    #[test]
    fn a_bad_key_is_refused_without_printing_it_and_keeps_the_old_one() {
        let err = NamedKeyCredential::new("a", "sec ret!").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
        assert!(!err.to_string().contains("sec ret"), "{err}");
        assert!(NamedKeyCredential::new("", "a2V5").is_err());
        assert!(NamedKeyCredential::new("a", "").is_err());

        let cred = NamedKeyCredential::new("a", "a2V5").unwrap();
        let before = cred.sign(str::to_owned);
        assert!(cred.update("b", "not base64!").is_err());
        assert_eq!(cred.sign(str::to_owned), before);
        assert_eq!(before.1, hmac_sha256_base64(b"key", "a"));
    }

    #[test]
    fn update_reaches_every_clone() {
        let cred = NamedKeyCredential::new("a", "a2V5").unwrap();
        let clone = cred.clone();
        cred.update("b", "b3RoZXI=").unwrap();
        assert_eq!(clone.name(), "b");
        assert_eq!(
            clone.sign(str::to_owned).1,
            hmac_sha256_base64(b"other", "b")
        );
    }
}
