//! # Writing an SDK on clientcore
//!
//! A walk from the first operation of a service client to its errors, listings,
//! long-running operations, request signing and tests. Every example on this page is
//! compiled (and, where it needs no network, run) as a doctest. The Azure Queue Storage
//! client of the `clientcore-examples` crate (`examples/src/storage/queue.rs`) is the same
//! walk carried out in full against a real service emulator.
//!
//! ## 1. The first operation
//!
//! An SDK method does not send anything: it returns an [`Operation`], the request, the
//! call's [`Options`] and a decoder that turns a successful answer into the method's result.
//! The caller sends it with the driver they use, [`Operation::send`] on an async
//! [`Client`](crate::Client) or [`Operation::send_blocking`] on a
//! [`BlockingClient`](crate::BlockingClient), so each operation is written once.
//!
//! ```
//! use clientcore::http::Method;
//! use clientcore::operation::Operation;
//! use clientcore::url::Url;
//! use clientcore::{Error, ErrorFormat, Options, Request};
//! use serde::Deserialize;
//!
//! /// What the service says of a widget.
//! #[derive(Debug, Deserialize)]
//! pub struct Widget {
//!     pub name: String,
//!     pub color: String,
//! }
//!
//! /// The widget service's client: cheap to clone, holds no connection (the caller's
//! /// `Client` or `BlockingClient` does).
//! #[derive(Clone, Debug)]
//! pub struct Widgets {
//!     endpoint: Url,
//!     options: Options,
//! }
//!
//! impl Widgets {
//!     pub fn new(endpoint: Url) -> Self {
//!         // Options every call of this service shares: how its errors read, and more below.
//!         let options = Options::new().with_error_format(ErrorFormat::ODataV4);
//!         Widgets { endpoint, options }
//!     }
//!
//!     /// Reads one widget.
//!     pub fn get(&self, name: &str) -> Operation<Widget> {
//!         let mut url = self.endpoint.clone();
//!         url.path_segments_mut().unwrap().push("widgets").push(name);
//!         let request = Request::new(Method::GET, url).with_query("api-version", "2024-01-01");
//!         Operation::new(request, self.options.clone(), |_head, body| {
//!             serde_json::from_slice(&body).map_err(|e| {
//!                 Error::with_source(clientcore::ErrorKind::Deserialization, e)
//!             })
//!         })
//!     }
//! }
//!
//! let widgets = Widgets::new("https://widgets.example/".parse().unwrap());
//! let op = widgets.get("a b");
//! // Nothing was sent: the request can be looked at (and tested) as it is.
//! assert_eq!(
//!     op.request().parts.url.as_str(),
//!     "https://widgets.example/widgets/a%20b?api-version=2024-01-01"
//! );
//! ```
//!
//! Callers pick their driver, and per-call options go over the client's:
//!
//! ```no_run
//! # use clientcore::operation::Operation;
//! # fn get(_: &str) -> Operation<String> { unimplemented!() }
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), clientcore::Error> {
//! // Async code.
//! let client = clientcore::Client::builder().build()?;
//! let widget = get("a").send(&client).await?;
//!
//! // Blocking code: the same operation.
//! let client = clientcore::BlockingClient::builder().build()?;
//! let widget = get("a")
//!     .options(|o| o.with_timeout(Duration::from_secs(5)))
//!     .send_blocking(&client)?;
//! # let _ = widget; Ok(()) }
//! ```
//!
//! Requests are built with [`Request::with_query`] (percent-encoded),
//! [`Request::try_header`] (a clear error for a value a header cannot carry),
//! [`Request::with_metadata`] (`x-ms-meta-*`), and bodies that carry their `Content-Type`:
//! [`Request::with_json`], [`Request::with_form`], [`Request::with_multipart`]. A decoder
//! reads headers with [`Head::header`] and [`Head::parse`], and may be a closure capturing
//! what it needs.
//!
//! When every method starts from the same URL and options, hold an
//! [`Endpoint`](crate::operation::Endpoint) instead of the two fields:
//! `endpoint.child("widgets")` is the URL one segment down (percent-encoded), and
//! `endpoint.operation(request, decoder)` makes the operation with the shared options, so
//! a method is one line of request and one decoder:
//!
//! ```
//! use clientcore::http::Method;
//! use clientcore::operation::{Endpoint, Operation};
//! use clientcore::{ErrorFormat, Options};
//!
//! let widgets = Endpoint::new(
//!     "https://widgets.example/".parse().unwrap(),
//!     Options::new().with_error_format(ErrorFormat::ODataV4),
//! );
//! let get = |name: &str| -> Operation<String> {
//!     let request = widgets.child("widgets").child(name).request(Method::GET);
//!     widgets.operation(request, |_, body| Ok(String::from_utf8_lossy(&body).into_owned()))
//! };
//! assert_eq!(get("a b").request().parts.url.as_str(), "https://widgets.example/widgets/a%20b");
//! ```
//!
//! ## 2. Errors
//!
//! A failed call is one [`Error`](crate::Error): the body parsed in the operation's
//! [`ErrorFormat`](crate::ErrorFormat) (OData v4, ARM, Azure Storage XML, RFC 9457, ...),
//! and the status mapped to an [`ErrorKind`](crate::ErrorKind) by the operation's
//! [`ErrorMap`](crate::ErrorMap). Callers match the kind and read the service's code:
//!
//! ```no_run
//! # use clientcore::operation::Operation;
//! # fn get(_: &str) -> Operation<String> { unimplemented!() }
//! use clientcore::ErrorKind;
//!
//! # fn run(client: &clientcore::BlockingClient) -> Result<(), clientcore::Error> {
//! match get("a").send_blocking(client) {
//!     Ok(widget) => println!("{widget}"),
//!     Err(e) if e.kind() == ErrorKind::ResourceNotFound => println!("no widget a"),
//!     Err(e) if e.error_code() == Some("WidgetLocked") => println!("try later: {e}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! A service whose statuses mean something else gets its own map: Azure Storage refuses a
//! bad signature with 403, an authentication failure.
//!
//! ```
//! use clientcore::{ErrorFormat, ErrorKind, ErrorMap, Options};
//!
//! let options = Options::new()
//!     .with_error_format(ErrorFormat::StorageXml)
//!     .with_error_map(ErrorMap::generated().with(403, ErrorKind::ClientAuthentication));
//! assert_eq!(options.error_map().kind_for(403), ErrorKind::ClientAuthentication);
//! assert_eq!(options.error_map().kind_for(404), ErrorKind::ResourceNotFound);
//! ```
//!
//! A service's error codes can be typed as well, whatever the status:
//! [`ErrorMap::with_code`](crate::ErrorMap::with_code) (the code of `x-ms-error-code` or of
//! the parsed body wins over the status).
//!
//! A success status that the SDK treats as a failure (Queue Storage answers 204 to a
//! create of a queue that already exists) becomes the same typed error with
//! [`Operation::error_for`](crate::operation::Operation::error_for):
//!
//! ```
//! use clientcore::http::{HeaderMap, Method, StatusCode};
//! use clientcore::operation::{Head, Operation};
//! use clientcore::{ErrorFormat, ErrorKind, ErrorMap, Options, Request};
//!
//! let options = Options::new()
//!     .with_error_format(ErrorFormat::StorageXml)
//!     .with_error_map(ErrorMap::generated().with_code("QueueAlreadyExists", ErrorKind::ResourceExists));
//! let create = Operation::new(
//!     Request::new(Method::PUT, "https://acct.queue.core.windows.net/jobs".parse().unwrap()),
//!     options,
//!     |_, _| Ok(()),
//! )
//! .error_for(StatusCode::NO_CONTENT, "QueueAlreadyExists", "The specified queue already exists.");
//!
//! // As `send` would see a 204:
//! let (_, _, decode) = create.split();
//! let headers = HeaderMap::new();
//! let err = decode(Head { status: StatusCode::NO_CONTENT, headers: &headers }, "".into())
//!     .unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::ResourceExists);
//! assert_eq!(err.error_code(), Some("QueueAlreadyExists"));
//! ```
//!
//! ## 3. Listings
//!
//! A [`Pager`](crate::paging::Pager) (async `Stream`) or
//! [`BlockingPager`](crate::paging::BlockingPager) (`Iterator`) fetches pages from the first
//! request with a [`PageStrategy`](crate::paging::PageStrategy): a next link, a token sent
//! back as a query parameter or header, or a continuation of several headers. JSON items
//! deserialize by themselves; other bodies take a decoder:
//!
//! ```no_run
//! use clientcore::http::{HeaderMap, Method};
//! use clientcore::paging::{BlockingPager, Page, PageStrategy};
//! use clientcore::{BlockingClient, Error, Options, Request};
//!
//! /// One name per line; the last line is the marker of the next page, if any.
//! fn lines(_: &HeaderMap, body: &[u8]) -> Result<Page<String>, Error> {
//!     let text = String::from_utf8_lossy(body);
//!     let mut items: Vec<String> = text.lines().map(str::to_owned).collect();
//!     let marker = items.pop().filter(|m| !m.is_empty());
//!     Ok(Page { items, continuation_token: marker })
//! }
//!
//! # fn run() -> Result<(), Error> {
//! let client = BlockingClient::builder().build()?;
//! let first = Request::new(Method::GET, "https://svc.example/names?comp=list".parse().unwrap());
//! let strategy = PageStrategy::token_in_body("NextMarker", "marker");
//! for name in BlockingPager::with_decode(&client, first, strategy, &Options::new(), lines) {
//!     println!("{}", name?);
//! }
//! # Ok(()) }
//! ```
//!
//! Each page's `continuation_token` resumes the listing later with `by_page(token)`.
//!
//! ## 4. Long-running operations
//!
//! A call that answers 201/202 with `Operation-Location`, `Azure-AsyncOperation` or
//! `Location`, or a resource with a `provisioningState`, is followed by a
//! [`Poller`](crate::lro::Poller) or [`BlockingPoller`](crate::lro::BlockingPoller), which
//! waits as the service says and can be resumed elsewhere from its continuation token:
//!
//! ```no_run
//! use clientcore::http::Method;
//! use clientcore::lro::{BlockingPoller, LroOptions};
//! use clientcore::{BlockingClient, Options, Request};
//!
//! # fn run() -> Result<(), clientcore::Error> {
//! let client = BlockingClient::builder().build()?;
//! let put = Request::new(Method::PUT, "https://svc.example/things/1".parse().unwrap());
//! let poller = BlockingPoller::begin(&client, put, &Options::new(), LroOptions::new())?;
//! let token = poller.continuation_token(); // to resume in another process
//! let thing: Option<serde_json::Value> = poller.result()?;
//! # let _ = (token, thing); Ok(()) }
//! ```
//!
//! ## 5. Credentials and signing
//!
//! Keys in a header, SAS query strings and bearer tokens are
//! [`Credential`](crate::policies::auth::Credential)s the pipeline attaches itself. A scheme
//! that signs each request (Azure Storage's SharedKey) is a per-attempt
//! [`Policy`](crate::Policy) over a [`NamedKeyCredential`]: an account name and base64 key,
//! signed with HMAC-SHA256. The policy runs on every attempt, so a retry is signed again,
//! and a key rotated with [`NamedKeyCredential::update`] is used by the next call of every
//! client that shares the credential:
//!
//! ```
//! use clientcore::pipeline::RequestParts;
//! use clientcore::policies::auth::Credential;
//! use clientcore::policies::sign::NamedKeyCredential;
//! use clientcore::{Error, Options, Policy, Position, SharedPolicy};
//!
//! /// `x-signature: name:Base64(HMAC-SHA256(key, "METHOD\n/name/path"))`.
//! #[derive(Debug)]
//! struct Sign(NamedKeyCredential);
//!
//! impl Policy for Sign {
//!     fn on_request(&self, request: &mut RequestParts) -> Result<(), Error> {
//!         let (method, path) = (request.method.clone(), request.url.path().to_owned());
//!         let (name, signature) = self.0.sign(|name| format!("{method}\n/{name}{path}"));
//!         let mut value: clientcore::http::HeaderValue =
//!             format!("{name}:{signature}").parse().expect("base64 and a header-safe name");
//!         value.set_sensitive(true); // never logged
//!         request.headers.insert("x-signature", value);
//!         Ok(())
//!     }
//! }
//!
//! let key = Credential::named_key("account", "c2VjcmV0")?;
//! let options = Options::new().with_policy(Position::PerTry, SharedPolicy::new(Sign(key.clone())));
//! // Later, after the key was rotated in the portal:
//! key.update("account", "bmV3LXNlY3JldA==")?;
//! # let _ = options;
//! # Ok::<(), clientcore::Error>(())
//! ```
//!
//! ## 6. Tests
//!
//! Because an operation is a value, most of an SDK is tested without a network: the
//! request it builds ([`Operation::request`], [`Operation::into_parts`] for the options), its
//! decoder fed with a recorded answer, its error handling fed with a
//! [`CapturedResponse`](crate::CapturedResponse):
//!
//! ```
//! use clientcore::http::{HeaderMap, StatusCode};
//! use clientcore::{CapturedResponse, Error, ErrorFormat, ErrorKind, ErrorMap};
//!
//! let body = r#"{"error": {"code": "WidgetLocked", "message": "Widget a is locked."}}"#;
//! let answer = CapturedResponse::new(StatusCode::CONFLICT, HeaderMap::new(), body.into());
//! let err = Error::from_response(answer, ErrorFormat::ODataV4, &ErrorMap::generated());
//! assert_eq!(err.kind(), ErrorKind::ResourceExists);
//! assert_eq!(err.error_code(), Some("WidgetLocked"));
//! ```
//!
//! End to end, send the operations through both drivers against a local server on
//! `127.0.0.1` (clientcore's own tests use the `clientcore-testkit` server, and the example
//! storage clients run against Azurite), and assert both what the server saw and what the
//! caller got.
//!
//! [`Operation`]: crate::operation::Operation
//! [`Operation::send`]: crate::operation::Operation::send
//! [`Operation::send_blocking`]: crate::operation::Operation::send_blocking
//! [`Operation::request`]: crate::operation::Operation::request
//! [`Operation::into_parts`]: crate::operation::Operation::into_parts
//! [`Options`]: crate::Options
//! [`Request::with_query`]: crate::Request::with_query
//! [`Request::try_header`]: crate::Request::try_header
//! [`Request::with_metadata`]: crate::Request::with_metadata
//! [`Request::with_json`]: crate::Request::with_json
//! [`Request::with_form`]: crate::Request::with_form
//! [`Request::with_multipart`]: crate::Request::with_multipart
//! [`Head::header`]: crate::operation::Head::header
//! [`Head::parse`]: crate::operation::Head::parse
//! [`NamedKeyCredential`]: crate::policies::sign::NamedKeyCredential
//! [`NamedKeyCredential::update`]: crate::policies::sign::NamedKeyCredential::update
