//! SharedKey signing (a custom per-attempt policy) and account SAS tokens.
//!
//! The strings to sign follow the public "Authorize with Shared Key" and "Create an account
//! SAS" REST documentation: every storage signature is `Base64(HMAC-SHA256(key, string))`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use clientcore::http::{HeaderMap, HeaderValue};
use clientcore::pipeline::RequestParts;
use clientcore::{Error, ErrorKind, Policy};

use super::{Account, Service, API_VERSION};

/// Signs every attempt with the account key: `x-ms-date`, `x-ms-version` and
/// `Authorization: SharedKey account:signature`.
///
/// It runs per attempt (after the pipeline has added its own headers, such as the client
/// request id, which is an `x-ms-` header and so signed too), so a retry sent minutes later
/// carries a fresh date and a signature over exactly what is sent.
///
/// The signed `Content-Length` is the header the operation set: operations that send a body
/// set it themselves, so the signature never depends on what the transport would add.
#[derive(Clone, Debug)]
pub struct SharedKey {
    account: Account,
    service: Service,
}

impl SharedKey {
    pub(super) fn new(account: Account, service: Service) -> Self {
        SharedKey { account, service }
    }

    /// The Blob/Queue/File string to sign (`x-ms-version` 2015-02-21 and later).
    fn blob_string(&self, request: &RequestParts) -> String {
        let header = |name: &str| -> &str {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let content_length = match header("content-length") {
            "0" => "",
            other => other,
        };
        let mut s = format!("{}\n", request.method);
        for value in [
            header("content-encoding"),
            header("content-language"),
            content_length,
            header("content-md5"),
            header("content-type"),
            // Empty: the date travels in `x-ms-date`, which is signed below.
            "",
            header("if-modified-since"),
            header("if-match"),
            header("if-none-match"),
            header("if-unmodified-since"),
            header("range"),
        ] {
            s.push_str(value);
            s.push('\n');
        }
        s.push_str(&canonical_headers(&request.headers));
        s.push('/');
        s.push_str(self.account.name());
        s.push_str(request.url.path());
        // Query parameters by lowercase name; repeated names have their values sorted and
        // joined with commas.
        let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in request.url.query_pairs() {
            params
                .entry(name.to_lowercase())
                .or_default()
                .push(value.into_owned());
        }
        for (name, mut values) in params {
            values.sort();
            s.push('\n');
            s.push_str(&name);
            s.push(':');
            s.push_str(&values.join(","));
        }
        s
    }

    /// The Table string to sign: only `comp` of the query is part of the resource.
    fn table_string(&self, request: &RequestParts, date: &str) -> String {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let mut s = format!(
            "{}\n{}\n{}\n{date}\n/{}{}",
            request.method,
            header("content-md5"),
            header("content-type"),
            self.account.name(),
            request.url.path(),
        );
        if let Some((_, comp)) = request.url.query_pairs().find(|(k, _)| k == "comp") {
            s.push_str("?comp=");
            s.push_str(&comp);
        }
        s
    }
}

/// Every `x-ms-` header as `name:value\n`, sorted by name, whitespace in values folded.
fn canonical_headers(headers: &HeaderMap) -> String {
    let mut ms: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        if name.as_str().starts_with("x-ms-") {
            let value = String::from_utf8_lossy(value.as_bytes());
            let folded = value.split_whitespace().collect::<Vec<_>>().join(" ");
            ms.entry(name.as_str()).or_default().push(folded);
        }
    }
    let mut s = String::new();
    for (name, values) in ms {
        s.push_str(name);
        s.push(':');
        s.push_str(&values.join(","));
        s.push('\n');
    }
    s
}

impl Policy for SharedKey {
    fn on_request(&self, request: &mut RequestParts) -> Result<(), Error> {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let value = |s: &str| {
            HeaderValue::from_str(s).map_err(|e| Error::with_source(ErrorKind::Serialization, e))
        };
        request.headers.insert("x-ms-date", value(&date)?);
        if !request.headers.contains_key("x-ms-version") {
            request
                .headers
                .insert("x-ms-version", HeaderValue::from_static(API_VERSION));
        }
        let string_to_sign = match self.service {
            Service::Blob => self.blob_string(request),
            Service::Table => self.table_string(request, &date),
        };
        let signature = self.account.sign(&string_to_sign);
        let mut auth = value(&format!("SharedKey {}:{signature}", self.account.name()))?;
        auth.set_sensitive(true);
        request.headers.insert("authorization", auth);
        Ok(())
    }
}

/// An account SAS: a query string that grants its holder `permissions` on the account's
/// `services` until `expiry`, signed with the account key.
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
    services: String,
    resource_types: String,
    permissions: String,
    expiry: String,
    protocol: String,
}

impl AccountSas {
    /// Everything on Blob, Queue and Table (`ss=bqt`, `srt=sco`, `sp=rwdlacup`) over HTTPS
    /// or HTTP, until `expiry` (ISO 8601 UTC, e.g. `2099-12-31T23:59:59Z`).
    pub fn new(expiry: &str) -> Self {
        AccountSas {
            services: "bqt".into(),
            resource_types: "sco".into(),
            permissions: "rwdlacup".into(),
            expiry: expiry.into(),
            protocol: "https,http".into(),
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
        // `sv` 2020-12-06 and later sign the encryption scope (`ses`) line too, empty here;
        // `st` and `sip` are unset.
        let string_to_sign = format!(
            "{}\n{}\n{}\n{}\n\n{}\n\n{}\n{API_VERSION}\n\n",
            account.name(),
            self.permissions,
            self.services,
            self.resource_types,
            self.expiry,
            self.protocol,
        );
        let signature = account.sign(&string_to_sign);
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("sv", API_VERSION)
            .append_pair("ss", &self.services)
            .append_pair("srt", &self.resource_types)
            .append_pair("sp", &self.permissions)
            .append_pair("se", &self.expiry)
            .append_pair("spr", &self.protocol)
            .append_pair("sig", &signature)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                clientcore::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
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
        let key = SharedKey::new(Account::devstoreaccount1(), Service::Blob);
        let request = parts(
            "GET",
            "http://127.0.0.1:10000/devstoreaccount1?comp=list",
            &[
                ("x-ms-date", "Sun, 22 Nov 2026 22:25:01 GMT"),
                ("x-ms-version", "2021-12-02"),
            ],
        );
        assert_eq!(
            key.blob_string(&request),
            "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sun, 22 Nov 2026 22:25:01 GMT\n\
             x-ms-version:2021-12-02\n/devstoreaccount1/devstoreaccount1\ncomp:list"
        );
    }

    #[test]
    fn blob_string_sorts_headers_and_query_and_blanks_a_zero_length() {
        let key = SharedKey::new(Account::devstoreaccount1(), Service::Blob);
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
            key.blob_string(&request),
            "PUT\n\n\n\n\n\n\n\n\"0x1\"\n\n\n\nx-ms-blob-type:BlockBlob\nx-ms-meta-a:two words\n\
             x-ms-version:2021-12-02\n/devstoreaccount1/devstoreaccount1/c/b\nblockid:x y\n\
             comp:block\ntimeout:5"
        );
    }

    #[test]
    fn table_string_keeps_only_comp() {
        let key = SharedKey::new(Account::devstoreaccount1(), Service::Table);
        let request = parts(
            "GET",
            "http://h/devstoreaccount1/t(PartitionKey='p',RowKey='r')?$select=a&comp=x",
            &[("content-type", "application/json")],
        );
        assert_eq!(
            key.table_string(&request, "D"),
            "GET\n\napplication/json\nD\n/devstoreaccount1/devstoreaccount1/t(PartitionKey='p',RowKey='r')?comp=x"
        );
    }

    #[test]
    fn the_authorization_header_is_sensitive_and_fresh() {
        let key = SharedKey::new(Account::devstoreaccount1(), Service::Blob);
        let mut request = parts("GET", "http://h/devstoreaccount1/c/b", &[]);
        key.on_request(&mut request).unwrap();
        let auth = &request.headers["authorization"];
        assert!(auth.is_sensitive());
        assert!(auth
            .to_str()
            .unwrap()
            .starts_with("SharedKey devstoreaccount1:"));
        assert_eq!(request.headers["x-ms-version"], API_VERSION);
        assert!(httpdate::parse_http_date(request.headers["x-ms-date"].to_str().unwrap()).is_ok());
    }
}
