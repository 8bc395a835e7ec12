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
use crate::time::{Clock, SystemClock};

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

/// Which Azure Storage string to sign a [`SharedKeyPolicy`] builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SharedKeyScheme {
    /// The Blob, Queue and File services: the verb, eleven standard headers, the `x-ms-`
    /// headers and the canonical resource with every query parameter.
    Blob,
    /// The Table service: the verb, `Content-MD5`, `Content-Type`, the date and the
    /// resource with only its `comp` parameter.
    Table,
}

/// The standard headers of the Blob/Queue/File string to sign, in order.
const BLOB_SIGNED: [&str; 11] = [
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
];

/// Azure Storage's SharedKey authorization, as a per-attempt policy: it stamps `x-ms-date`
/// (from its clock, a fresh one on every retry) and signs the request as it goes on the
/// wire (the policy runs after the pipeline has added `Content-Length`, so a body's length is
/// signed) with a [`NamedKeyCredential`]: `Authorization: SharedKey {account}:{signature}`,
/// marked sensitive so that logs redact it. Rotating the credential's key
/// ([`NamedKeyCredential::update`]) reaches clients already built.
///
/// The strings to sign follow "Authorize with Shared Key" (version 2015-02-21 and later):
/// see [`string_to_sign`](Self::string_to_sign). Headers the request carries (`x-ms-version`,
/// `x-ms-meta-*`, the client request id) are signed as they are: set them before the policy
/// runs (in the request or the options' headers).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::RequestParts;
/// use clientcore::policies::auth::Credential;
/// use clientcore::policies::sign::{SharedKeyPolicy, SharedKeyScheme};
/// use clientcore::options::{Options, Position};
/// use clientcore::pipeline::policy::{Policy, SharedPolicy};
///
/// let account = Credential::named_key("devstoreaccount1", "a2V5")?;
/// let policy = SharedKeyPolicy::new(account, SharedKeyScheme::Blob);
/// // In a client: every attempt of every call signed.
/// let options = Options::new().with_policy(Position::PerTry, SharedPolicy::new(policy.clone()));
/// # let _ = options;
///
/// // What it does to one request.
/// let mut request = RequestParts {
///     method: http::Method::GET,
///     url: "http://127.0.0.1:10001/devstoreaccount1/jobs?comp=metadata".parse().unwrap(),
///     headers: Default::default(),
/// };
/// policy.on_request(&mut request)?;
/// let auth = request.headers["authorization"].to_str().unwrap();
/// assert!(auth.starts_with("SharedKey devstoreaccount1:"));
/// assert!(request.headers["authorization"].is_sensitive());
/// assert!(request.headers.contains_key("x-ms-date"));
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SharedKeyPolicy {
    credential: NamedKeyCredential,
    scheme: SharedKeyScheme,
    clock: Arc<dyn Clock>,
}

impl SharedKeyPolicy {
    /// Signs with `credential` (the account name and key) the string of `scheme`, dated by
    /// the system clock.
    pub fn new(credential: NamedKeyCredential, scheme: SharedKeyScheme) -> Self {
        SharedKeyPolicy {
            credential,
            scheme,
            clock: Arc::new(SystemClock),
        }
    }

    /// Dates requests with `clock`'s wall time instead (a fixed one in tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The string to sign of `request` under `scheme`, for the account `account`.
    ///
    /// - Blob, Queue and File: the verb, then one line for each of `Content-Encoding`,
    ///   `Content-Language`, `Content-Length` (empty when `0`), `Content-MD5`,
    ///   `Content-Type`, `Date` (empty: the date travels in `x-ms-date`), `If-Modified-Since`,
    ///   `If-Match`, `If-None-Match`, `If-Unmodified-Since` and `Range`, then the
    ///   [`canonical_headers`] of `x-ms-`, then `/{account}{path}` and the
    ///   [`canonical_query`].
    /// - Table: the verb, `Content-MD5`, `Content-Type`, `x-ms-date`, then
    ///   `/{account}{path}` and `?comp={value}` when the query has `comp`.
    ///
    /// The path is the URL's, as it is sent (percent-encoded).
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::pipeline::RequestParts;
    /// use clientcore::policies::sign::{SharedKeyPolicy, SharedKeyScheme};
    ///
    /// let mut request = RequestParts {
    ///     method: http::Method::PUT,
    ///     url: "https://acct.queue.example/jobs?comp=metadata&timeout=5".parse().unwrap(),
    ///     headers: Default::default(),
    /// };
    /// request.headers.insert("x-ms-date", "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
    /// request.headers.insert("x-ms-meta-owner", "ops".parse().unwrap());
    /// assert_eq!(
    ///     SharedKeyPolicy::string_to_sign(SharedKeyScheme::Blob, "acct", &request),
    ///     "PUT\n\n\n\n\n\n\n\n\n\n\n\n\
    ///      x-ms-date:Sun, 06 Nov 1994 08:49:37 GMT\nx-ms-meta-owner:ops\n\
    ///      /acct/jobs\ncomp:metadata\ntimeout:5"
    /// );
    /// assert_eq!(
    ///     SharedKeyPolicy::string_to_sign(SharedKeyScheme::Table, "acct", &request),
    ///     "PUT\n\n\nSun, 06 Nov 1994 08:49:37 GMT\n/acct/jobs?comp=metadata"
    /// );
    /// ```
    pub fn string_to_sign(
        scheme: SharedKeyScheme,
        account: &str,
        request: &crate::pipeline::RequestParts,
    ) -> String {
        let (method, path, headers) = (&request.method, request.url.path(), &request.headers);
        match scheme {
            SharedKeyScheme::Blob => {
                let mut s = method.to_string();
                for name in BLOB_SIGNED {
                    s.push('\n');
                    match (name, header_text(headers, name)) {
                        ("content-length", "0") | ("date", _) => {}
                        (_, value) => s.push_str(value),
                    }
                }
                let (xms, query) = (
                    canonical_headers(headers, "x-ms-"),
                    canonical_query(&request.url),
                );
                format!("{s}\n{xms}/{account}{path}{query}")
            }
            SharedKeyScheme::Table => {
                let comp = request.url.query_pairs().find(|(k, _)| k == "comp");
                let comp = comp.map(|(_, c)| format!("?comp={c}")).unwrap_or_default();
                let (md5, ct) = (
                    header_text(headers, "content-md5"),
                    header_text(headers, "content-type"),
                );
                let date = header_text(headers, "x-ms-date");
                format!("{method}\n{md5}\n{ct}\n{date}\n/{account}{path}{comp}")
            }
        }
    }
}

impl crate::pipeline::policy::Policy for SharedKeyPolicy {
    fn on_request(&self, request: &mut crate::pipeline::RequestParts) -> Result<(), Error> {
        let date = httpdate::fmt_http_date(self.clock.wall());
        // An HTTP date is visible ASCII: always a valid header value.
        if let Ok(date) = http::HeaderValue::from_str(&date) {
            request.headers.insert("x-ms-date", date);
        }
        let (name, signature) = self
            .credential
            .sign(|name| Self::string_to_sign(self.scheme, name, request));
        let mut auth = http::HeaderValue::from_str(&format!("SharedKey {name}:{signature}"))
            .map_err(|e| {
                Error::with_source(ErrorKind::ClientAuthentication, e)
                    .with_message("the account name cannot be sent in a header")
            })?;
        auth.set_sensitive(true);
        request.headers.insert(http::header::AUTHORIZATION, auth);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::policy::Policy as _;
    use crate::pipeline::RequestParts;
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    #[derive(Debug)]
    struct Fixed(SystemTime);

    impl Clock for Fixed {
        fn now(&self) -> Instant {
            Instant::now()
        }
        fn wall(&self) -> SystemTime {
            self.0
        }
    }

    fn parts(method: http::Method, url: &str, headers: &[(&str, &str)]) -> RequestParts {
        let mut parts = RequestParts {
            method,
            url: url.parse().unwrap(),
            headers: HeaderMap::new(),
        };
        for (k, v) in headers {
            parts.headers.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        parts
    }

    #[test]
    fn shared_key_signs_the_blob_string_of_the_request_as_sent() {
        let clock = Arc::new(Fixed(UNIX_EPOCH + Duration::from_secs(784_111_777)));
        let cred = NamedKeyCredential::new("acct", "a2V5").unwrap(); // "key"
        let policy = SharedKeyPolicy::new(cred.clone(), SharedKeyScheme::Blob).with_clock(clock);
        let mut request = parts(
            http::Method::PUT,
            "https://acct.blob.example/c/a%20b.txt?Timeout=5&comp=block&blockid=x%2By",
            &[
                ("content-length", "11"),
                ("content-type", "text/plain"),
                ("if-match", "\"0x1\""),
                ("range", "bytes=0-9"),
                ("x-ms-version", "2021-12-02"),
                ("x-ms-meta-b", "  two   words "),
                ("x-ms-meta-a", "1"),
                ("authorization", "stale"),
            ],
        );
        policy.on_request(&mut request).unwrap();
        assert_eq!(
            request.headers["x-ms-date"],
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        // The string written out by hand from the REST documentation's rules.
        let expected = "PUT\n\n\n11\n\ntext/plain\n\n\n\"0x1\"\n\n\nbytes=0-9\n\
            x-ms-date:Sun, 06 Nov 1994 08:49:37 GMT\nx-ms-meta-a:1\nx-ms-meta-b:two words\n\
            x-ms-version:2021-12-02\n/acct/c/a%20b.txt\nblockid:x+y\ncomp:block\ntimeout:5";
        let signature = hmac_sha256_base64(b"key", expected);
        let auth = request
            .headers
            .get_all("authorization")
            .iter()
            .collect::<Vec<_>>();
        assert_eq!(auth.len(), 1, "the stale Authorization is replaced");
        assert_eq!(
            auth[0].to_str().unwrap(),
            format!("SharedKey acct:{signature}")
        );
        assert!(auth[0].is_sensitive());

        // A zero length is signed empty; a rotated key signs the next attempt.
        let mut empty = parts(
            http::Method::DELETE,
            "https://acct.blob.example/c",
            &[("content-length", "0")],
        );
        cred.update("acct", "b3RoZXI=").unwrap(); // "other"
        policy.on_request(&mut empty).unwrap();
        let expected = "DELETE\n\n\n\n\n\n\n\n\n\n\n\n\
            x-ms-date:Sun, 06 Nov 1994 08:49:37 GMT\n/acct/c";
        assert_eq!(
            empty.headers["authorization"],
            format!("SharedKey acct:{}", hmac_sha256_base64(b"other", expected)).as_str()
        );
    }

    #[test]
    fn shared_key_signs_the_table_string_with_only_comp() {
        let clock = Arc::new(Fixed(UNIX_EPOCH + Duration::from_secs(784_111_777)));
        let cred = NamedKeyCredential::new("acct", "a2V5").unwrap();
        let policy = SharedKeyPolicy::new(cred, SharedKeyScheme::Table).with_clock(clock);
        let mut request = parts(
            http::Method::POST,
            "https://acct.table.example/Tables?comp=acl&$top=1",
            &[
                ("content-type", "application/json"),
                ("x-ms-version", "2021-12-02"),
            ],
        );
        policy.on_request(&mut request).unwrap();
        let expected =
            "POST\n\napplication/json\nSun, 06 Nov 1994 08:49:37 GMT\n/acct/Tables?comp=acl";
        assert_eq!(
            request.headers["authorization"],
            format!("SharedKey acct:{}", hmac_sha256_base64(b"key", expected)).as_str()
        );
    }

    #[test]
    fn an_account_name_that_cannot_be_a_header_is_an_error_not_a_panic() {
        let cred = NamedKeyCredential::new("bad\nname", "a2V5").unwrap();
        let policy = SharedKeyPolicy::new(cred, SharedKeyScheme::Blob);
        let mut request = parts(http::Method::GET, "https://a.example/", &[]);
        let err = policy.on_request(&mut request).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
        assert!(!err.to_string().contains("a2V5"));
        assert!(!request.headers.contains_key("authorization"));
    }

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
