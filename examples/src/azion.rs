//! An example client of an Azion-style REST API (`https://api.azionapi.net`, schema v3).
//!
//! What it shows of clientcore:
//!
//! - **Token auth** with [`Credential::key`]: every request carries
//!   `Authorization: Token <token>`. A key credential is sent over plain `http` too (only
//!   bearer tokens are refused without TLS), which is what lets the tests talk to a local
//!   server; the header value is marked sensitive, so logs and `Debug` never show it.
//! - **Typed errors** in [`ErrorFormat::ErrorList`]: Azion answers with a JSON:API style
//!   `{"errors": [{"status", "code", "title", "detail", "source"}]}` list, a bare
//!   `{"detail": "Not found."}` (401, 403, 404, 429), or per-field lists
//!   (`{"name": ["This field is required."]}`); each becomes one [`Error`] whose
//!   [`errors`](Error::errors) lists the entries.
//! - **Azion status classes**: [`Error::azion_status`] gives the [`AzionStatus`] of a failed
//!   call (`BadRequest`, `NotFound`, `TooManyRequests`, …); a status Azion has no class for
//!   (422, 502) gives `None` and the error is still a plain `HttpResponse` error.
//! - **Throttling**: a `429` with `Retry-After` is retried by the client's retry policy after
//!   the time the service asked for (for reads; a `POST` is not re-sent once the service has
//!   seen it).
//!
//! # Examples
//!
//! ```no_run
//! use clientcore::{AzionStatus, Client};
//! use clientcore_examples::azion::{AzionClient, NewDomain};
//!
//! # async fn run() -> Result<(), clientcore::Error> {
//! let azion = AzionClient::new(AzionClient::DEFAULT_BASE_URL.parse().unwrap(), "my-token");
//! let client = Client::builder().build()?;
//!
//! let created = azion
//!     .create_domain(&NewDomain::new("shop", 1_600_000_000))?
//!     .send(&client)
//!     .await?;
//! match azion.get_domain(created.id).send(&client).await {
//!     Ok(domain) => println!("{} answers at {}", domain.name, domain.domain_name),
//!     Err(e) if e.azion_status() == Some(AzionStatus::NotFound) => println!("gone already"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```

use std::fmt;

use bytes::Bytes;
use clientcore::http::header::{ACCEPT, AUTHORIZATION};
use clientcore::http::{HeaderValue, Method};
use clientcore::policies::auth::Credential;
#[cfg(doc)]
use clientcore::AzionStatus;
use clientcore::{Error, ErrorFormat, ErrorKind, Options, Request};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::operation::Operation;

/// A client of the Azion API: where it is and the personal token that authenticates.
///
/// It holds no connection: each method describes one call as an [`Operation`], sent with a
/// [`Client`](clientcore::Client) or a [`BlockingClient`](clientcore::BlockingClient).
///
/// # Examples
///
/// ```
/// use clientcore_examples::azion::AzionClient;
///
/// let azion = AzionClient::new(AzionClient::DEFAULT_BASE_URL.parse().unwrap(), "s3cr3t");
/// let op = azion.get_domain(1_700_000_000);
/// assert_eq!(op.request().parts.url.as_str(), "https://api.azionapi.net/domains/1700000000");
/// // The token is never printed.
/// assert!(!format!("{azion:?} {op:?}").contains("s3cr3t"));
/// ```
#[derive(Clone)]
pub struct AzionClient {
    base: Url,
    options: Options,
}

impl AzionClient {
    /// The public Azion API.
    pub const DEFAULT_BASE_URL: &'static str = "https://api.azionapi.net";

    /// The schema version this client speaks, sent in `Accept` as Azion asks.
    pub const ACCEPT: &'static str = "application/json; version=3";

    /// A client of the API at `base_url` (paths are appended to it), authenticating with the
    /// personal `token`.
    pub fn new(base_url: Url, token: &str) -> Self {
        let options = Options::new()
            .with_credential(Credential::key(AUTHORIZATION, format!("Token {token}")))
            .with_header(ACCEPT, HeaderValue::from_static(Self::ACCEPT))
            // Every Azion error body is one of the list shapes; `Auto` would guess the same
            // most of the time, but saying it keeps a `{"detail": …}` from being read as
            // anything else.
            .with_error_format(ErrorFormat::ErrorList);
        AzionClient {
            base: base_url,
            options,
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// One page of the account's domains: `GET /domains?page={page}&page_size={page_size}`.
    /// Pages count from 1; [`DomainPage::next_page`] says which page comes next.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientcore::BlockingClient;
    /// use clientcore_examples::azion::AzionClient;
    ///
    /// # fn run() -> Result<(), clientcore::Error> {
    /// let azion = AzionClient::new(AzionClient::DEFAULT_BASE_URL.parse().unwrap(), "t");
    /// let client = BlockingClient::builder().build()?;
    /// let mut page = Some(1);
    /// while let Some(n) = page {
    ///     let got = azion.list_domains(n, 50).send_blocking(&client)?;
    ///     for d in &got.results {
    ///         println!("{}: {}", d.id, d.name);
    ///     }
    ///     page = got.next_page();
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_domains(&self, page: u32, page_size: u32) -> Operation<DomainPage> {
        let request = Request::new(Method::GET, self.url(&["domains"]))
            .with_query("page", page)
            .with_query("page_size", page_size);
        Operation::new(request, self.call_options(&[200]), |_, body| json(&body))
    }

    /// One domain: `GET /domains/{id}`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientcore::{AzionStatus, Client};
    /// use clientcore_examples::azion::AzionClient;
    ///
    /// # async fn run() -> Result<(), clientcore::Error> {
    /// let azion = AzionClient::new(AzionClient::DEFAULT_BASE_URL.parse().unwrap(), "t");
    /// let client = Client::builder().build()?;
    /// match azion.get_domain(42).send(&client).await {
    ///     Ok(domain) => println!("{}", domain.name),
    ///     Err(e) if e.azion_status() == Some(AzionStatus::NotFound) => println!("no domain 42"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get_domain(&self, id: u64) -> Operation<Domain> {
        Operation::new(
            Request::new(Method::GET, self.url(&["domains", &id.to_string()])),
            self.call_options(&[200]),
            |_, body| json::<Envelope<Domain>>(&body).map(|e| e.results),
        )
    }

    /// Creates a domain: `POST /domains` with `domain` as the JSON body; the answer is the
    /// domain as stored, with its id and the `*.map.azionedge.net` name it answers at.
    ///
    /// The call is not retried once the service has seen it (a create is not idempotent),
    /// so a throttled create comes back as an error whose
    /// [`azion_status`](Error::azion_status) is `TooManyRequests`, for the caller to decide
    /// on. A caller who knows a 429 means "not processed" can opt in per call with
    /// `.options(|o| o.with_retry(RetryOptions::new().with_idempotent(true)))`.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error if `domain` cannot be written as
    /// JSON.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientcore::Client;
    /// use clientcore_examples::azion::{AzionClient, NewDomain};
    ///
    /// # async fn run() -> Result<(), clientcore::Error> {
    /// let azion = AzionClient::new(AzionClient::DEFAULT_BASE_URL.parse().unwrap(), "t");
    /// let client = Client::builder().build()?;
    /// let new = NewDomain::new("shop", 1_600_000_000).with_cnames(["shop.example.com"]);
    /// let domain = azion.create_domain(&new)?.send(&client).await?;
    /// println!("created {} at {}", domain.id, domain.domain_name);
    /// # Ok(()) }
    /// ```
    pub fn create_domain(&self, domain: &NewDomain) -> Result<Operation<Domain>, Error> {
        let request = Request::new(Method::POST, self.url(&["domains"])).with_json(domain)?;
        Ok(Operation::new(
            request,
            self.call_options(&[200, 201]),
            |_, body| json::<Envelope<Domain>>(&body).map(|e| e.results),
        ))
    }

    /// Deletes a domain: `DELETE /domains/{id}`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientcore::BlockingClient;
    /// use clientcore_examples::azion::AzionClient;
    ///
    /// # fn run() -> Result<(), clientcore::Error> {
    /// let azion = AzionClient::new(AzionClient::DEFAULT_BASE_URL.parse().unwrap(), "t");
    /// azion.delete_domain(42).send_blocking(&BlockingClient::builder().build()?)?;
    /// # Ok(()) }
    /// ```
    pub fn delete_domain(&self, id: u64) -> Operation<()> {
        Operation::new(
            Request::new(Method::DELETE, self.url(&["domains", &id.to_string()])),
            self.call_options(&[200, 204]),
            |_, _| Ok(()),
        )
    }

    /// The base URL with `segments` appended, each percent-encoded as one segment.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        // A base URL that cannot take a path (`mailto:`) is left as it is; the call then
        // fails with the service's (or the transport's) error rather than a panic here.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// The client's options with the statuses this operation documents as success: anything
    /// else (a 3xx the service should never send, say) is an error rather than a body the
    /// decoder cannot read.
    fn call_options(&self, success: &[u16]) -> Options {
        self.options.clone().with_success_statuses(success)
    }
}

impl fmt::Debug for AzionClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The options hold the token; the base URL is all a reader needs.
        f.debug_struct("AzionClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// A domain as Azion returns it (the fields this example uses; others are ignored).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Domain {
    /// The domain's id.
    pub id: u64,
    /// Its name in the account.
    pub name: String,
    /// The host names that point at it.
    #[serde(default)]
    pub cnames: Vec<String>,
    /// Whether it answers only on its CNAMEs (not on its Azion domain name).
    #[serde(default)]
    pub cname_access_only: bool,
    /// The edge application it serves.
    #[serde(default)]
    pub edge_application_id: Option<u64>,
    /// Whether it is active.
    #[serde(default)]
    pub is_active: bool,
    /// The host name Azion gave it, `….map.azionedge.net`.
    #[serde(default)]
    pub domain_name: String,
    /// `production` or `preview`.
    #[serde(default)]
    pub environment: Option<String>,
}

/// A domain to create.
///
/// # Examples
///
/// ```
/// use clientcore_examples::azion::NewDomain;
///
/// let d = NewDomain::new("shop", 7).with_cnames(["shop.example.com"]);
/// assert_eq!(
///     serde_json::to_value(&d).unwrap(),
///     serde_json::json!({"name": "shop", "cnames": ["shop.example.com"],
///         "cname_access_only": false, "edge_application_id": 7, "is_active": true}),
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewDomain {
    /// Its name in the account.
    pub name: String,
    /// The host names that will point at it.
    pub cnames: Vec<String>,
    /// Whether it should answer only on its CNAMEs.
    pub cname_access_only: bool,
    /// The edge application it serves.
    pub edge_application_id: u64,
    /// Whether it starts active.
    pub is_active: bool,
}

impl NewDomain {
    /// An active domain named `name` serving the edge application `edge_application_id`,
    /// with no CNAMEs.
    pub fn new(name: impl Into<String>, edge_application_id: u64) -> Self {
        NewDomain {
            name: name.into(),
            cnames: Vec::new(),
            cname_access_only: false,
            edge_application_id,
            is_active: true,
        }
    }

    /// Sets the CNAMEs.
    #[must_use]
    pub fn with_cnames<I, S>(mut self, cnames: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cnames = cnames.into_iter().map(Into::into).collect();
        self
    }
}

/// One page of [`AzionClient::list_domains`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DomainPage {
    /// How many domains the account has, over every page.
    pub count: u64,
    /// How many pages there are at this page size.
    pub total_pages: u32,
    /// The links to the pages around this one.
    #[serde(default)]
    pub links: Links,
    /// The domains of this page.
    pub results: Vec<Domain>,
}

impl DomainPage {
    /// The number of the next page, read from `links.next`; `None` on the last page.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_examples::azion::DomainPage;
    ///
    /// let page: DomainPage = serde_json::from_str(r#"{"count": 3, "total_pages": 2,
    ///     "links": {"previous": null,
    ///               "next": "https://api.azionapi.net/domains?page=2&page_size=2"},
    ///     "results": []}"#).unwrap();
    /// assert_eq!(page.next_page(), Some(2));
    /// ```
    pub fn next_page(&self) -> Option<u32> {
        let next = self.links.next.as_deref()?;
        let (_, query) = next.split_once('?')?;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("page="))
            .and_then(|n| n.parse().ok())
    }
}

/// The links of a [`DomainPage`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Links {
    /// The previous page's URL, if there is one.
    pub previous: Option<String>,
    /// The next page's URL, if there is one.
    pub next: Option<String>,
}

/// Azion's wrapper around one object: `{"results": {…}, "schema_version": 3}`.
#[derive(Deserialize)]
struct Envelope<T> {
    results: T,
}

/// A successful body as JSON; a body that is not a `T` is a `Deserialization` error (the
/// service answered, but not with what the operation documents).
fn json<T: DeserializeOwned>(body: &Bytes) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::with_source(ErrorKind::Deserialization, e))
}
