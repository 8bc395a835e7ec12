//! SharedKey signing (a custom per-attempt policy) and account SAS tokens, on clientcore's
//! [`NamedKeyCredential`](clientcore::policies::sign::NamedKeyCredential): the strings to sign
//! follow the "Authorize with Shared Key" and "Create an account SAS" REST documentation.

use std::time::SystemTime;

use clientcore::http::header::InvalidHeaderValue;
use clientcore::pipeline::RequestParts;
use clientcore::policies::sign::{canonical_headers, canonical_query, header_text};
use clientcore::{Error, ErrorKind, Policy};

use super::{Account, Service, API_VERSION};

/// Signs every attempt with the account key: `x-ms-date`, `x-ms-version` and
/// `Authorization: SharedKey account:signature`. Per attempt, so a retry carries a fresh
/// date, and the client request id (an `x-ms-` header) is signed too. The signed
/// `Content-Length` is the one the operation set (operations with a body set it).
#[derive(Clone, Debug)]
pub struct SharedKey {
    account: Account,
    service: Service,
}

impl SharedKey {
    pub(super) fn new(account: Account, service: Service) -> Self {
        SharedKey { account, service }
    }
}

/// The headers of the Blob/Queue string to sign, in order. The date is signed empty (it
/// travels in `x-ms-date`), a `Content-Length` of 0 too.
const SIGNED: &str = "content-encoding content-language content-length content-md5 content-type \
                      date if-modified-since if-match if-none-match if-unmodified-since range";

/// The Blob/Queue string to sign (`x-ms-version` 2015-02-21 and later).
fn blob_string(account: &str, r: &RequestParts) -> String {
    let mut s = r.method.to_string();
    for name in SIGNED.split_whitespace() {
        s.push('\n');
        match (name, header_text(&r.headers, name)) {
            ("content-length", "0") | ("date", _) => {}
            (_, value) => s.push_str(value),
        }
    }
    let headers = canonical_headers(&r.headers, "x-ms-");
    let query = canonical_query(&r.url);
    format!("{s}\n{headers}/{account}{}{query}", r.url.path())
}

/// The Table string to sign: only `comp` of the query is part of the resource.
fn table_string(account: &str, r: &RequestParts, date: &str) -> String {
    let h = |name: &str| header_text(&r.headers, name);
    let comp = r.url.query_pairs().find(|(k, _)| k == "comp");
    let comp = comp.map(|(_, c)| format!("?comp={c}")).unwrap_or_default();
    let (method, path) = (&r.method, r.url.path());
    format!(
        "{method}\n{}\n{}\n{date}\n/{account}{path}{comp}",
        h("content-md5"),
        h("content-type")
    )
}

impl Policy for SharedKey {
    fn on_request(&self, request: &mut RequestParts) -> Result<(), Error> {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let value = date.parse().map_err(invalid)?;
        request.headers.insert("x-ms-date", value);
        let version = request.headers.entry("x-ms-version");
        version.or_insert(clientcore::http::HeaderValue::from_static(API_VERSION));
        let (name, signature) = self.account.credential().sign(|name| match self.service {
            Service::Blob => blob_string(name, request),
            Service::Table => table_string(name, request, &date),
        });
        let mut auth: clientcore::http::HeaderValue = format!("SharedKey {name}:{signature}")
            .parse()
            .map_err(invalid)?;
        auth.set_sensitive(true);
        request.headers.insert("authorization", auth);
        Ok(())
    }
}

fn invalid(e: InvalidHeaderValue) -> Error {
    Error::with_source(ErrorKind::Serialization, e)
}

/// An account SAS: a query string that grants its holder `permissions` on the account's
/// Blob, Queue and Table services (`ss=bqt`, `srt=sco`) until `expiry`, signed with the key.
///
/// # Examples
///
/// ```
/// use clientcore_examples::storage::{Account, AccountSas};
///
/// let sas = AccountSas::new("2099-12-31T23:59:59Z").sign(&Account::devstoreaccount1());
/// assert!(sas.starts_with("sv=2021-12-02&ss=bqt&srt=sco&sp=rwdlacup&se=2099-12-31T23%3A59%3A59Z"));
/// assert!(sas.contains("&sig="));
/// ```
#[derive(Clone, Debug)]
pub struct AccountSas {
    permissions: String,
    expiry: String,
}

impl AccountSas {
    /// Every permission (`sp=rwdlacup`) over HTTPS or HTTP until `expiry` (ISO 8601 UTC, e.g.
    /// `2099-12-31T23:59:59Z`).
    pub fn new(expiry: &str) -> Self {
        AccountSas {
            permissions: "rwdlacup".into(),
            expiry: expiry.into(),
        }
    }

    /// Narrows the permissions (`sp`), e.g. `"rl"` for read and list only.
    #[must_use]
    pub fn with_permissions(mut self, permissions: &str) -> Self {
        self.permissions = permissions.into();
        self
    }

    /// The query string (without `?`), signed with `account`'s key.
    pub fn sign(&self, account: &Account) -> String {
        let (sp, se) = (&self.permissions, &self.expiry);
        // `st`, `sip` and the encryption scope (`ses`, signed since 2020-12-06) are empty.
        let (_, sig) = account.credential().sign(|name| {
            format!("{name}\n{sp}\nbqt\nsco\n\n{se}\n\nhttps,http\n{API_VERSION}\n\n")
        });
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let (sp, se, sig) = (enc(sp), enc(se), enc(&sig));
        format!("sv={API_VERSION}&ss=bqt&srt=sco&sp={sp}&se={se}&spr=https%2Chttp&sig={sig}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientcore::http::{HeaderMap, HeaderName, HeaderValue};

    #[test]
    fn account_sas_matches_a_signature_azurite_accepted() {
        // The account SAS recorded against Azurite 3.35.0 for the development account.
        let sas = AccountSas::new("2099-12-31T23:59:59Z").sign(&Account::devstoreaccount1());
        assert_eq!(
            sas,
            "sv=2021-12-02&ss=bqt&srt=sco&sp=rwdlacup&se=2099-12-31T23%3A59%3A59Z\
             &spr=https%2Chttp&sig=56y53R2cQPKWTM1l0hVP7x62mao9gUEvmNunL%2B8f1UY%3D"
        );
    }

    fn parts(method: &str, url: &str, headers: &[(&str, &str)]) -> RequestParts {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        RequestParts {
            method: method.parse().unwrap(),
            url: url.parse().unwrap(),
            headers: map,
        }
    }

    #[test]
    fn blob_string_to_sign_is_the_documented_one() {
        let request = parts(
            "GET",
            "http://127.0.0.1:10000/devstoreaccount1?comp=list",
            &[
                ("x-ms-date", "Sun, 22 Nov 2026 22:25:01 GMT"),
                ("x-ms-version", "2021-12-02"),
            ],
        );
        assert_eq!(
            blob_string("devstoreaccount1", &request),
            "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sun, 22 Nov 2026 22:25:01 GMT\n\
             x-ms-version:2021-12-02\n/devstoreaccount1/devstoreaccount1\ncomp:list"
        );
    }

    #[test]
    fn blob_string_sorts_headers_and_query_and_blanks_a_zero_length() {
        let request = parts(
            "PUT",
            "http://h/devstoreaccount1/c/b?timeout=5&Comp=block&blockid=x%20y",
            &[
                ("content-length", "0"),
                ("x-ms-version", "2021-12-02"),
                ("x-ms-blob-type", "BlockBlob"),
                ("x-ms-meta-a", "  two   words "),
                ("if-match", "\"0x1\""),
            ],
        );
        assert_eq!(
            blob_string("devstoreaccount1", &request),
            "PUT\n\n\n\n\n\n\n\n\"0x1\"\n\n\n\nx-ms-blob-type:BlockBlob\nx-ms-meta-a:two words\n\
             x-ms-version:2021-12-02\n/devstoreaccount1/devstoreaccount1/c/b\nblockid:x y\n\
             comp:block\ntimeout:5"
        );
    }

    #[test]
    fn table_string_keeps_only_comp() {
        let request = parts(
            "GET",
            "http://h/devstoreaccount1/t(PartitionKey='p',RowKey='r')?$select=a&comp=x",
            &[("content-type", "application/json")],
        );
        assert_eq!(
            table_string("devstoreaccount1", &request, "D"),
            "GET\n\napplication/json\nD\n/devstoreaccount1/devstoreaccount1/t(PartitionKey='p',RowKey='r')?comp=x"
        );
    }

    #[test]
    fn the_authorization_header_is_sensitive_fresh_and_follows_a_rotated_key() {
        let account = Account::devstoreaccount1();
        let key = SharedKey::new(account.clone(), Service::Blob);
        let sign = |key: &SharedKey| {
            let mut request = parts(
                "GET",
                "http://h/devstoreaccount1/c/b",
                &[("x-ms-date", "x")],
            );
            key.on_request(&mut request).unwrap();
            request
        };
        let request = sign(&key);
        let auth = &request.headers["authorization"];
        assert!(auth.is_sensitive());
        assert!(auth
            .to_str()
            .unwrap()
            .starts_with("SharedKey devstoreaccount1:"));
        assert_eq!(request.headers["x-ms-version"], API_VERSION);
        assert!(httpdate::parse_http_date(request.headers["x-ms-date"].to_str().unwrap()).is_ok());

        account.credential().update("other", "a2V5").unwrap();
        let rotated = sign(&key);
        assert!(rotated.headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("SharedKey other:"));
    }
}
