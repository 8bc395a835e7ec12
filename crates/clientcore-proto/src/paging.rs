//! Paging: which request fetches the next page, and when paging ends.
//!
//! A list operation answers one page at a time. [`Paging`] is the sans-IO decider the
//! drivers' pagers loop over:
//!
//! ```text
//! Paging::new(first request, strategy) [.resume(token)]
//! loop:
//!     next_request() ── None ─▶ done
//!          │ Some(Ok(parts))
//!          ▼
//!     driver sends it ── error ─▶ error.with_continuation_token(token of this page)
//!          │ response
//!          ▼
//!     on_page(headers, body) ─▶ Page { items, continuation_token }
//! ```
//!
//! As in the reference (`azure.core.paging`), only a missing token ends paging: the check is
//! "no token **and** one call made already", so an empty string `""` is a token like any other
//! and fetches another page. The continuation token of a page is what fetches the page after
//! it: the next link (a URL) or the service's opaque token. A pager resumes from it with
//! [`Paging::resume`] (the reference's `by_page(continuation_token)`), in this process or
//! another.
//!
//! A page that fails leaves the decider where it was, so the same page can be asked for
//! again; the drivers put the failing page's token on the error
//! ([`Error::continuation_token`](crate::Error::continuation_token)), as the reference does.
//!
//! Paging always ends, whatever the service sends. A next link that is not a URL, and a
//! continuation (a next link, resolved, or a token) that repeats one already followed in the
//! same listing, make [`next_request`](Paging::next_request) an error instead of a page fetched
//! again: the reference falls back to the current page and loops for ever. A next link is a
//! URL the service chose: [`Paging::next_call`] marks it so, and the pipeline sends it under
//! [`follow`](crate::pipeline::follow)'s rule (refused from https to http, and without
//! credentials on another origin).

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::error::{Error, ErrorKind};
use crate::pipeline::follow::Chosen;
use crate::pipeline::{Request, RequestBody, RequestParts};

/// Where a page's continuation comes from and how the next request carries it.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::paging::PageStrategy;
///
/// // ARM and most Azure services: `{"value": [...], "nextLink": "https://..."}`.
/// let arm = PageStrategy::next_link();
/// // A token in the body, sent back as `?$skipToken=...`.
/// let body = PageStrategy::token_in_body("continuationToken", "$skipToken");
/// // A token in a response header, sent back in a request header (Cosmos DB).
/// let header = PageStrategy::token_in_header("x-ms-continuation", "x-ms-continuation")
///     .with_items("Documents");
/// // A continuation in two response headers, sent back as two query parameters (Tables).
/// let tables = PageStrategy::tokens_in_headers(&[
///     ("x-ms-continuation-NextPartitionKey", "NextPartitionKey"),
///     ("x-ms-continuation-NextRowKey", "NextRowKey"),
/// ]);
/// # let _ = (arm, body, header, tables);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageStrategy {
    items: String,
    source: Source,
    target: Target,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Source {
    /// A URL in this body field (JSON pointer-free, top level).
    NextLink(String),
    BodyToken(String),
    HeaderToken(HeaderName),
    /// Several response headers, each the value of a query parameter: the token is those
    /// parameters, form-encoded (`NextPartitionKey=p&NextRowKey=r`).
    HeaderTokens(Vec<(HeaderName, String)>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// GET the token as a URL, resolved against the current page's URL.
    Url,
    Query(String),
    Header(HeaderName),
    /// The token is form-encoded query parameters, each replacing the first request's
    /// parameter of that name.
    QueryPairs,
}

// ===== impl PageStrategy =====

impl PageStrategy {
    /// A next link in the body field `nextLink`, fetched with GET; items in `value`.
    pub fn next_link() -> Self {
        PageStrategy::next_link_in("nextLink")
    }

    /// A next link in the body field `field` (`@odata.nextLink`, `next`…).
    pub fn next_link_in(field: &str) -> Self {
        PageStrategy {
            items: "value".to_owned(),
            source: Source::NextLink(field.to_owned()),
            target: Target::Url,
        }
    }

    /// An opaque token in the body field `field`, sent back as the query parameter `param`
    /// of the first request's URL.
    pub fn token_in_body(field: &str, param: &str) -> Self {
        PageStrategy {
            items: "value".to_owned(),
            source: Source::BodyToken(field.to_owned()),
            target: Target::Query(param.to_owned()),
        }
    }

    /// An opaque token in the response header `response_header`, sent back in the request
    /// header `request_header`.
    ///
    /// # Panics
    ///
    /// When either name is not a valid header name.
    pub fn token_in_header(response_header: &str, request_header: &str) -> Self {
        PageStrategy {
            items: "value".to_owned(),
            source: Source::HeaderToken(header_name(response_header)),
            target: Target::Header(header_name(request_header)),
        }
    }

    /// A continuation of several parts, each in a response header and sent back as a query
    /// parameter: Azure Tables' `x-ms-continuation-NextPartitionKey` and
    /// `x-ms-continuation-NextRowKey`, sent back as `NextPartitionKey` and `NextRowKey`.
    /// The page's continuation token holds every part, form-encoded
    /// (`NextPartitionKey=1%211&NextRowKey=2%212`), so a pager resumes from it like from any
    /// other token; paging ends when none of the headers is there.
    ///
    /// # Panics
    ///
    /// When a response header name is not a valid header name.
    pub fn tokens_in_headers(parts: &[(&str, &str)]) -> Self {
        PageStrategy {
            items: "value".to_owned(),
            source: Source::HeaderTokens(
                parts
                    .iter()
                    .map(|(header, param)| (header_name(header), (*param).to_owned()))
                    .collect(),
            ),
            target: Target::QueryPairs,
        }
    }

    /// Sends the token as the query parameter `param` instead.
    #[must_use]
    pub fn with_query_param(mut self, param: &str) -> Self {
        self.target = Target::Query(param.to_owned());
        self
    }

    /// Sends the token in the request header `name` instead.
    ///
    /// # Panics
    ///
    /// When `name` is not a valid header name.
    #[must_use]
    pub fn with_request_header(mut self, name: &str) -> Self {
        self.target = Target::Header(header_name(name));
        self
    }

    /// The body field holding the page's items. Default is `value`.
    #[must_use]
    pub fn with_items(mut self, field: &str) -> Self {
        field.clone_into(&mut self.items);
        self
    }
}

fn header_name(name: &str) -> HeaderName {
    HeaderName::from_bytes(name.as_bytes()).expect("a valid header name")
}

/// An SDK's own page decoder (see [`Paging::on_page_with`], and the pagers' `with_decode`):
/// the response headers and body in, the page's items and continuation token out. Any such
/// `Fn` that can be shared between threads is one; a closure may capture what it needs (an
/// account name, a format).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::paging::{Page, PageDecoder};
///
/// /// One item per line; no continuation.
/// fn lines() -> impl PageDecoder<String> {
///     |_headers: &http::HeaderMap, body: &[u8]| {
///         let items = String::from_utf8_lossy(body).lines().map(str::to_owned).collect();
///         Ok(Page { items, continuation_token: None })
///     }
/// }
/// # let _ = lines();
/// ```
pub trait PageDecoder<T>:
    Fn(&HeaderMap, &[u8]) -> Result<Page<T>, Error> + Send + Sync + 'static
{
}

impl<T, F> PageDecoder<T> for F where
    F: Fn(&HeaderMap, &[u8]) -> Result<Page<T>, Error> + Send + Sync + 'static
{
}

/// One page: its items and the continuation token of the page after it (`None` on the last
/// page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in the order the service sent them.
    pub items: Vec<T>,
    /// What fetches the next page; `None` on the last one.
    pub continuation_token: Option<String>,
}

/// The paging decider: one per listing.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::paging::{PageStrategy, Paging};
/// use clientcore::pipeline::RequestParts;
///
/// let first = RequestParts {
///     method: http::Method::GET,
///     url: "https://example.com/items?api-version=1".parse().unwrap(),
///     headers: Default::default(),
/// };
/// let mut paging = Paging::new(first, PageStrategy::next_link());
///
/// let req = paging.next_request().unwrap().unwrap();
/// assert_eq!(req.url.as_str(), "https://example.com/items?api-version=1");
/// let page = paging
///     .on_page::<String>(&Default::default(), br#"{"value": ["a", "b"], "nextLink": "/items?page=2"}"#)
///     .unwrap();
/// assert_eq!(page.items, ["a", "b"]);
///
/// let req = paging.next_request().unwrap().unwrap();
/// assert_eq!(req.url.as_str(), "https://example.com/items?page=2");
/// let page = paging.on_page::<String>(&Default::default(), br#"{"value": ["c"]}"#).unwrap();
/// assert_eq!(page.continuation_token, None);
/// assert!(paging.next_request().is_none());
/// ```
#[derive(Clone, Debug)]
pub struct Paging {
    first: RequestParts,
    strategy: PageStrategy,
    /// The URL the last page came from, to resolve relative next links against.
    current: Url,
    token: Option<String>,
    called: bool,
    /// A hash of every continuation this listing has followed (resolved next links, or
    /// tokens), so that one the service sends again ends paging instead of looping: eight
    /// bytes a page, not the links themselves.
    seen: HashSet<u64>,
    hasher: RandomState,
    /// Why the listing cannot go on, once the last page named a continuation it cannot follow.
    stuck: Option<Stuck>,
}

/// Why a listing cannot go on.
#[derive(Clone, Debug)]
enum Stuck {
    /// The next link is not a URL.
    Unreadable(url::ParseError),
    /// The continuation was followed before in this listing.
    Repeated,
}

impl Stuck {
    fn error(&self) -> Error {
        match self {
            Stuck::Unreadable(e) => Error::with_source(ErrorKind::ServiceResponse, *e)
                .with_message("the page's next link is not a valid URL: paging stopped"),
            Stuck::Repeated => Error::new(
                ErrorKind::ServiceResponse,
                "the page's continuation repeats one this listing already followed: paging \
                 stopped instead of fetching the same pages for ever",
            ),
        }
    }
}

// ===== impl Paging =====

impl Paging {
    /// A listing that starts with `first`.
    pub fn new(first: RequestParts, strategy: PageStrategy) -> Self {
        let mut paging = Paging {
            current: first.url.clone(),
            first,
            strategy,
            token: None,
            called: false,
            seen: HashSet::new(),
            hasher: RandomState::new(),
            stuck: None,
        };
        if paging.strategy.target == Target::Url {
            // A next link back to the first page is a loop like any other.
            paging
                .seen
                .insert(paging.hasher.hash_one(paging.first.url.as_str()));
        }
        paging
    }

    /// Starts from `token` (a page's continuation token) instead of the first page; `None`
    /// starts from the first page.
    #[must_use]
    pub fn resume(mut self, token: Option<String>) -> Self {
        self.called = token.is_some();
        self.stuck = None;
        self.token = token;
        if let Some(t) = &self.token {
            self.remember(t.clone().as_str());
        }
        self
    }

    /// The token of the page [`next_request`](Self::next_request) fetches: where to resume
    /// if that page fails. `None` for the first page.
    pub fn continuation_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Whether the last page has been seen.
    pub fn is_done(&self) -> bool {
        self.called && self.token.is_none()
    }

    /// The request of the next page; `None` once the last page has been seen.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error when the token must go in a header
    /// and holds bytes a header cannot carry (control characters): paging cannot go on, and
    /// ending it silently would lose the rest of the listing.
    pub fn next_request(&self) -> Option<Result<RequestParts, Error>> {
        if self.is_done() {
            return None;
        }
        if let Some(stuck) = &self.stuck {
            return Some(Err(stuck.error()));
        }
        let Some(token) = &self.token else {
            return Some(Ok(self.first.clone()));
        };
        let mut parts = self.first.clone();
        match &self.strategy.target {
            Target::Url => {
                // RFC 3986 §5: a relative next link is resolved against the page it came in.
                let url = match crate::pipeline::follow::join(&self.current, token) {
                    Ok(url) => url,
                    Err(e) => return Some(Err(Stuck::Unreadable(e).error())),
                };
                parts.method = Method::GET;
                parts.url = url;
            }
            Target::Query(param) => {
                replace_query(&mut parts.url, &[(param.clone(), token.clone())]);
            }
            Target::QueryPairs => {
                let given: Vec<(String, String)> = url::form_urlencoded::parse(token.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                replace_query(&mut parts.url, &given);
            }
            Target::Header(name) => match HeaderValue::from_bytes(token.as_bytes()) {
                Ok(value) => {
                    parts.headers.insert(name.clone(), value);
                }
                Err(e) => {
                    return Some(Err(Error::with_source(ErrorKind::Serialization, e)
                        .with_message("the continuation token cannot be sent in a header")));
                }
            },
        }
        Some(Ok(parts))
    }

    /// The request of the next page as [`next_request`](Self::next_request) gives it, with a
    /// next link marked as [chosen by the service](Request::chosen_by_service), so that the
    /// pipeline applies [`follow`](crate::pipeline::follow)'s rule to it. This is what the
    /// drivers' pagers send.
    ///
    /// # Errors
    ///
    /// As [`next_request`](Self::next_request).
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::paging::{PageStrategy, Paging};
    /// use clientcore::pipeline::{Request, RequestParts};
    ///
    /// let first = RequestParts {
    ///     method: http::Method::GET,
    ///     url: "https://example.com/items".parse().unwrap(),
    ///     headers: Default::default(),
    /// };
    /// let mut paging = Paging::new(first, PageStrategy::next_link());
    /// let first: Request<Bytes> = paging.next_call().unwrap().unwrap();
    /// assert!(first.chosen.is_none());
    /// paging
    ///     .on_page::<u8>(&Default::default(), br#"{"value": [], "nextLink": "https://cdn.example.net/p2"}"#)
    ///     .unwrap();
    /// let next: Request<Bytes> = paging.next_call().unwrap().unwrap();
    /// assert_eq!(next.chosen.unwrap().home.as_str(), "https://example.com/items");
    /// ```
    pub fn next_call<B: RequestBody>(&self) -> Option<Result<Request<B>, Error>> {
        let parts = match self.next_request()? {
            Ok(parts) => parts,
            Err(e) => return Some(Err(e)),
        };
        let mut request = Request::new(parts.method.clone(), parts.url.clone());
        request.parts = parts;
        if self.strategy.target == Target::Url && self.token.is_some() {
            request = request.chosen_by_service(Chosen::NextLink, self.first.url.clone());
        }
        Some(Ok(request))
    }

    /// Takes in the response to [`next_request`](Self::next_request): the page's items,
    /// deserialized as `T`, and its continuation token. `null` or missing items are an
    /// empty page (the reference's `iter(value or [])`).
    ///
    /// # Errors
    ///
    /// A [`Deserialization`](ErrorKind::Deserialization) error when the body is not JSON or
    /// the items are not `T`s. The decider does not move on, so the page can be asked for
    /// again.
    pub fn on_page<T: DeserializeOwned>(
        &mut self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Page<T>, Error> {
        let json: Value = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(body).map_err(|e| {
                Error::with_source(ErrorKind::Deserialization, e)
                    .with_message("the page is not JSON")
            })?
        };
        let items = match json.get(&self.strategy.items) {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
                Error::with_source(ErrorKind::Deserialization, e)
                    .with_message("the page's items do not deserialize")
            })?,
        };
        let next = match &self.strategy.source {
            Source::NextLink(field) | Source::BodyToken(field) => match json.get(field) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None => None,
                Some(other) => Some(other.to_string()),
            },
            Source::HeaderToken(name) => headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            Source::HeaderTokens(parts) => header_tokens(headers, parts),
        };
        self.advance(next.as_deref());
        Ok(Page {
            items,
            continuation_token: next,
        })
    }

    /// Takes in the response to [`next_request`](Self::next_request) through the SDK's own
    /// `decode`, for listings that are not JSON (Azure Storage lists blobs in XML with a
    /// `<NextMarker>`): the decoder finds the items and the continuation token; the
    /// strategy still says where the token goes in the next request.
    ///
    /// # Errors
    ///
    /// The decoder's error. The decider does not move on, so the page can be asked for
    /// again.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::paging::{Page, PageStrategy, Paging};
    /// use clientcore::pipeline::RequestParts;
    ///
    /// // Lines of text, the last one naming the next page's marker.
    /// fn lines(_: &http::HeaderMap, body: &[u8]) -> clientcore::Result<Page<String>> {
    ///     let text = String::from_utf8_lossy(body);
    ///     let mut items: Vec<String> = text.lines().map(str::to_owned).collect();
    ///     let next = items.pop().filter(|m| !m.is_empty());
    ///     Ok(Page { items, continuation_token: next })
    /// }
    ///
    /// let first = RequestParts {
    ///     method: http::Method::GET,
    ///     url: "https://example.com/list".parse().unwrap(),
    ///     headers: Default::default(),
    /// };
    /// let mut paging = Paging::new(first, PageStrategy::token_in_body("-", "marker"));
    /// paging.next_request().unwrap().unwrap();
    /// let page = paging.on_page_with(&Default::default(), b"a\nb\nm2", lines).unwrap();
    /// assert_eq!(page.items, ["a", "b"]);
    /// let next = paging.next_request().unwrap().unwrap();
    /// assert_eq!(next.url.as_str(), "https://example.com/list?marker=m2");
    /// ```
    pub fn on_page_with<T>(
        &mut self,
        headers: &HeaderMap,
        body: &[u8],
        decode: impl FnOnce(&HeaderMap, &[u8]) -> Result<Page<T>, Error>,
    ) -> Result<Page<T>, Error> {
        let page = decode(headers, body)?;
        self.advance(page.continuation_token.as_deref());
        Ok(page)
    }

    /// The continuation of a [`tokens_in_headers`](PageStrategy::tokens_in_headers) strategy
    /// for a page's `headers`, when its decoder is the SDK's: the SDK's decoder can call this
    /// to fill [`Page::continuation_token`] as the built-in JSON decoding does. `None` for
    /// other strategies, or when the page names no continuation.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::paging::{PageStrategy, Paging};
    /// use clientcore::pipeline::RequestParts;
    ///
    /// let first = RequestParts {
    ///     method: http::Method::GET,
    ///     url: "https://t.example/Tables".parse().unwrap(),
    ///     headers: Default::default(),
    /// };
    /// let strategy = PageStrategy::tokens_in_headers(&[
    ///     ("x-ms-continuation-NextTableName", "NextTableName"),
    /// ]);
    /// let paging = Paging::new(first, strategy);
    /// let mut h = http::HeaderMap::new();
    /// h.insert("x-ms-continuation-NextTableName", "t 2".parse().unwrap());
    /// assert_eq!(paging.header_continuation(&h).as_deref(), Some("NextTableName=t+2"));
    /// ```
    pub fn header_continuation(&self, headers: &HeaderMap) -> Option<String> {
        match &self.strategy.source {
            Source::HeaderTokens(parts) => header_tokens(headers, parts),
            _ => None,
        }
    }

    /// Moves on past the page just taken in, whose continuation token is `next`.
    fn advance(&mut self, next: Option<&str>) {
        if let (Target::Url, Some(t)) = (&self.strategy.target, &self.token) {
            // The page was fetched from this URL, so it resolved.
            if let Ok(url) = crate::pipeline::follow::join(&self.current, t) {
                self.current = url;
            }
        }
        self.called = true;
        self.token = next.map(str::to_owned);
        if let Some(t) = next {
            self.remember(t);
        }
    }

    /// Records the continuation `token` as followed, and marks the listing stuck if it cannot
    /// be followed or was followed before.
    fn remember(&mut self, token: &str) {
        let hash = if self.strategy.target == Target::Url {
            match crate::pipeline::follow::join(&self.current, token) {
                Ok(url) => self.hasher.hash_one(url.as_str()),
                Err(e) => {
                    self.stuck = Some(Stuck::Unreadable(e));
                    return;
                }
            }
        } else {
            self.hasher.hash_one(token)
        };
        if !self.seen.insert(hash) {
            self.stuck = Some(Stuck::Repeated);
        }
    }

    /// Puts the token of the page being fetched on `error`, unless it has one already (the
    /// reference: `if not error.continuation_token: error.continuation_token = token`).
    pub fn attach_token(&self, error: Error) -> Error {
        match (&self.token, error.continuation_token()) {
            (Some(token), None) => error.with_continuation_token(token.clone()),
            _ => error,
        }
    }
}

/// The query parameters the response headers of a multi-part continuation name, form-encoded;
/// `None` when none of them is there.
fn header_tokens(headers: &HeaderMap, parts: &[(HeaderName, String)]) -> Option<String> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (header, param) in parts {
        if let Some(v) = headers.get(header).and_then(|v| v.to_str().ok()) {
            form.append_pair(param, v);
            any = true;
        }
    }
    any.then(|| form.finish())
}

/// Sets the query parameters `pairs` on `url`, replacing any of the same names; the other
/// parameters are kept exactly as the caller wrote them (`$filter=a%20b` stays so, not
/// re-encoded as `%24filter=a+b`), in order, and the new ones are appended form-encoded.
fn replace_query(url: &mut Url, pairs: &[(String, String)]) {
    let replaced = |segment: &str| {
        url::form_urlencoded::parse(segment.as_bytes())
            .next()
            .is_some_and(|(name, _)| pairs.iter().any(|(p, _)| *p == name))
    };
    let mut query: String = url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|segment| !segment.is_empty() && !replaced(segment))
        .collect::<Vec<_>>()
        .join("&");
    let mut added = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        added.append_pair(k, v);
    }
    let added = added.finish();
    if !added.is_empty() {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&added);
    }
    url.set_query(Some(&query));
}
