//! Azure Queue Storage: queues and their messages, each operation written once and sent
//! from async or blocking code.
//!
//! Errors are typed from the service's XML error codes: creating a queue that exists is
//! [`ResourceExists`](ErrorKind::ResourceExists) (code `QueueAlreadyExists`), whether the
//! service answers 409 (other metadata) or 204 (the same metadata: the Python SDK raises
//! `ResourceExistsError` for it too); a missing queue or message is
//! [`ResourceNotFound`](ErrorKind::ResourceNotFound).
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use clientcore::BlockingClient;
//! use clientcore_examples::storage::{queue::QueueService, Account, Auth};
//!
//! # fn run() -> Result<(), clientcore::Error> {
//! let client = BlockingClient::builder().build()?;
//! let service = QueueService::new(
//!     "http://127.0.0.1:10001/devstoreaccount1".parse().unwrap(),
//!     Auth::SharedKey(Account::devstoreaccount1()),
//! );
//! let queue = service.queue("jobs");
//! queue.create(&[("owner", "ops")])?.send_blocking(&client)?;
//! queue.send_message("resize cat.png", None).send_blocking(&client)?;
//! for message in queue.receive_messages(10, Duration::from_secs(30)).send_blocking(&client)? {
//!     println!("{:?}", message.text);
//!     let receipt = message.pop_receipt.unwrap_or_default();
//!     queue.delete_message(&message.id, &receipt).send_blocking(&client)?;
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use clientcore::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use clientcore::http::{HeaderMap, HeaderValue, Method, StatusCode};
use clientcore::operation::{Head, Operation};
use clientcore::paging::{BlockingPager, Page, PageStrategy, Pager};
use clientcore::{BlockingClient, Body, CapturedResponse, Client, Error, ErrorFormat, ErrorKind};
use clientcore::{ErrorMap, Options, Request};
use url::Url;

use super::{child, xml_records, Auth, Service};

/// The queue service of an account.
#[derive(Clone, Debug)]
pub struct QueueService {
    endpoint: Url,
    options: Options,
}

impl QueueService {
    /// The service at `endpoint` (`https://<account>.queue.core.windows.net`, or a path-style
    /// emulator URL such as `http://127.0.0.1:10001/devstoreaccount1`), authenticated by
    /// `auth`.
    pub fn new(endpoint: Url, auth: Auth) -> Self {
        // Queue signs as Blob does.
        let options = super::xml_options(auth, Service::Blob);
        QueueService { endpoint, options }
    }

    /// The queue `name`.
    pub fn queue(&self, name: &str) -> QueueClient {
        let (url, options) = (child(&self.endpoint, name), self.options.clone());
        QueueClient { url, options }
    }

    /// The queues whose names start with `prefix`, with their metadata, `page_size` a page;
    /// the service's `<NextMarker>` goes back as `marker`.
    pub fn list_queues(&self, client: &Client, prefix: &str, page_size: u32) -> Pager<QueueItem> {
        let first = self.first_page(prefix, page_size);
        Pager::with_decode(client, first, listing(), &self.options, decode_queues)
    }

    /// As [`list_queues`](Self::list_queues), for the blocking client.
    pub fn list_queues_blocking(
        &self,
        client: &BlockingClient,
        prefix: &str,
        page_size: u32,
    ) -> BlockingPager<QueueItem> {
        let first = self.first_page(prefix, page_size);
        BlockingPager::with_decode(client, first, listing(), &self.options, decode_queues)
    }

    fn first_page(&self, prefix: &str, page_size: u32) -> Request<Body> {
        Request::new(Method::GET, self.endpoint.clone())
            .with_query("comp", "list")
            .with_query("prefix", prefix)
            .with_query("maxresults", &page_size.to_string())
            .with_query("include", "metadata")
    }
}

/// How queue listings page: `<NextMarker>` sent back as `marker`.
pub fn listing() -> PageStrategy {
    PageStrategy::token_in_body("NextMarker", "marker")
}

/// One queue of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueItem {
    /// The queue's name.
    pub name: String,
    /// Its metadata (names as the service lists them).
    pub metadata: BTreeMap<String, String>,
}

/// One page of a queue listing (`EnumerationResults` XML).
///
/// # Errors
///
/// A [`Deserialization`](ErrorKind::Deserialization) error when the body is not a listing.
pub fn decode_queues(_: &HeaderMap, body: &[u8]) -> Result<Page<QueueItem>, Error> {
    let root = xml_records(body, "EnumerationResults")?.pop();
    let mut root = root.ok_or_else(|| not_xml("no EnumerationResults"))?;
    let items = xml_records(body, "Queue")?
        .into_iter()
        .map(|mut fields| QueueItem {
            name: fields.remove("Name").unwrap_or_default(),
            metadata: (fields.into_iter())
                .filter_map(|(k, v)| Some((k.strip_prefix("Metadata/")?.to_owned(), v)))
                .collect(),
        });
    let continuation_token = root.remove("NextMarker").filter(|m| !m.is_empty());
    let items = items.collect();
    Ok(Page {
        items,
        continuation_token,
    })
}

/// A message, as put, peeked or received (each answer carries part of it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueMessage {
    /// Its id.
    pub id: String,
    /// The text (not in the answer to a put).
    pub text: Option<String>,
    /// What [`QueueClient::delete_message`] and [`QueueClient::update_message`] need (not
    /// in a peek).
    pub pop_receipt: Option<String>,
    /// How many times it was received (not in the answer to a put).
    pub dequeue_count: Option<u64>,
    /// When it was put.
    pub inserted_on: Option<SystemTime>,
    /// When it expires.
    pub expires_on: Option<SystemTime>,
    /// When it becomes visible again (not in a peek).
    pub next_visible_on: Option<SystemTime>,
}

/// What an update answers: the message's new pop receipt, and when it becomes visible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The pop receipt the next update or delete needs.
    pub pop_receipt: String,
    /// When the message becomes visible again.
    pub next_visible_on: Option<SystemTime>,
}

/// A queue's metadata and approximate message count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueProperties {
    /// The metadata, names lower-cased (HTTP header names are case-insensitive).
    pub metadata: BTreeMap<String, String>,
    /// `x-ms-approximate-messages-count`.
    pub approximate_message_count: u64,
}

/// One queue.
#[derive(Clone, Debug)]
pub struct QueueClient {
    url: Url,
    options: Options,
}

impl QueueClient {
    fn op<T, F>(&self, request: Request<Body>, decode: F) -> Operation<T>
    where
        F: FnOnce(Head<'_>, Bytes) -> Result<T, Error> + Send + 'static,
    {
        Operation::new(request, self.options.clone(), decode)
    }

    fn request(&self, method: Method, messages: bool) -> Request<Body> {
        let url = Some(child(&self.url, "messages")).filter(|_| messages);
        Request::new(method, url.unwrap_or_else(|| self.url.clone()))
    }

    /// Creates the queue with `metadata`.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error when a metadata name or value
    /// cannot be sent in a header.
    pub fn create(&self, metadata: &[(&str, &str)]) -> Result<Operation<()>, Error> {
        let request = self.request(Method::PUT, false);
        let request = request.with_metadata("x-ms-meta-", metadata.iter().copied())?;
        Ok(self.op(request, |head, _| match head.status {
            StatusCode::NO_CONTENT => Err(already_exists(head)),
            _ => Ok(()),
        }))
    }

    /// Deletes the queue and its messages.
    pub fn delete(&self) -> Operation<()> {
        self.op(self.request(Method::DELETE, false), |_, _| Ok(()))
    }

    /// The queue's metadata and approximate message count.
    pub fn properties(&self) -> Operation<QueueProperties> {
        let request = self.request(Method::GET, false);
        self.op(request.with_query("comp", "metadata"), |head, _| {
            let metadata = (head.headers.iter())
                .filter_map(|(k, v)| {
                    Some((k.as_str().strip_prefix("x-ms-meta-")?, v.to_str().ok()?))
                })
                .map(|(k, v)| (k.to_owned(), v.to_owned()));
            let (metadata, count) = (metadata.collect(), "x-ms-approximate-messages-count");
            Ok(QueueProperties {
                metadata,
                approximate_message_count: head.parse(count)?,
            })
        })
    }

    /// Replaces the queue's metadata.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create).
    pub fn set_metadata(&self, metadata: &[(&str, &str)]) -> Result<Operation<()>, Error> {
        let request = self
            .request(Method::PUT, false)
            .with_query("comp", "metadata");
        let request = request.with_metadata("x-ms-meta-", metadata.iter().copied())?;
        Ok(self.op(request, |_, _| Ok(())))
    }

    /// Puts a message with `text`, invisible for `visibility_timeout` when given.
    pub fn send_message(
        &self,
        text: &str,
        visibility_timeout: Option<Duration>,
    ) -> Operation<QueueMessage> {
        let mut request = with_text(self.request(Method::POST, true), text);
        if let Some(timeout) = visibility_timeout {
            request = request.with_query("visibilitytimeout", &timeout.as_secs().to_string());
        }
        self.op(request, |_, body| {
            let message = messages(&body)?.pop();
            message.ok_or_else(|| not_xml("no QueueMessage"))
        })
    }

    /// Up to `max` messages (1 to 32) from the front, left visible and with no pop receipt.
    pub fn peek_messages(&self, max: u32) -> Operation<Vec<QueueMessage>> {
        let request = self.request(Method::GET, true);
        let request = request.with_query("peekonly", "true");
        let request = request.with_query("numofmessages", &max.to_string());
        self.op(request, |_, body| messages(&body))
    }

    /// Up to `max` messages (1 to 32), hidden from other receivers for `visibility_timeout`.
    pub fn receive_messages(
        &self,
        max: u32,
        visibility_timeout: Duration,
    ) -> Operation<Vec<QueueMessage>> {
        let (max, timeout) = (max.to_string(), visibility_timeout.as_secs().to_string());
        let request = self.request(Method::GET, true);
        let request = request.with_query("numofmessages", &max);
        let request = request.with_query("visibilitytimeout", &timeout);
        self.op(request, |_, body| messages(&body))
    }

    /// Hides a received message for `visibility_timeout` more, replacing its text when
    /// `text` is given.
    pub fn update_message(
        &self,
        id: &str,
        pop_receipt: &str,
        text: Option<&str>,
        visibility_timeout: Duration,
    ) -> Operation<Receipt> {
        let timeout = visibility_timeout.as_secs().to_string();
        let request = self.message(Method::PUT, id, pop_receipt);
        let request = request.with_query("visibilitytimeout", &timeout);
        let request = match text {
            Some(text) => with_text(request, text),
            None => request.with_header(CONTENT_LENGTH, HeaderValue::from(0)),
        };
        self.op(request, |head, _| {
            let pop_receipt = head.parse("x-ms-popreceipt")?;
            let next_visible_on = head.header("x-ms-time-next-visible").and_then(time);
            Ok(Receipt {
                pop_receipt,
                next_visible_on,
            })
        })
    }

    /// Deletes a received message.
    pub fn delete_message(&self, id: &str, pop_receipt: &str) -> Operation<()> {
        self.op(self.message(Method::DELETE, id, pop_receipt), |_, _| Ok(()))
    }

    /// Deletes every message of the queue.
    pub fn clear_messages(&self) -> Operation<()> {
        self.op(self.request(Method::DELETE, true), |_, _| Ok(()))
    }

    fn message(&self, method: Method, id: &str, pop_receipt: &str) -> Request<Body> {
        let url = child(&child(&self.url, "messages"), id);
        Request::new(method, url).with_query("popreceipt", pop_receipt)
    }
}

/// `request` with `<QueueMessage><MessageText>text</MessageText></QueueMessage>` as its body,
/// its length set here because SharedKey signs it.
fn with_text(request: Request<Body>, text: &str) -> Request<Body> {
    let text = quick_xml::escape::escape(text);
    let xml = format!("<QueueMessage><MessageText>{text}</MessageText></QueueMessage>");
    request
        .with_header(CONTENT_LENGTH, HeaderValue::from(xml.len()))
        .with_header(CONTENT_TYPE, HeaderValue::from_static("application/xml"))
        .with_body(Body::from(Bytes::from(xml)))
}

/// The messages of a `QueueMessagesList`.
fn messages(body: &[u8]) -> Result<Vec<QueueMessage>, Error> {
    let records = xml_records(body, "QueueMessage")?.into_iter();
    records
        .map(|mut m| {
            let mut take = |name: &str| m.remove(name);
            Ok(QueueMessage {
                id: take("MessageId").ok_or_else(|| not_xml("a message without MessageId"))?,
                text: take("MessageText"),
                pop_receipt: take("PopReceipt"),
                dequeue_count: take("DequeueCount").and_then(|c| c.parse().ok()),
                inserted_on: take("InsertionTime").as_deref().and_then(time),
                expires_on: take("ExpirationTime").as_deref().and_then(time),
                next_visible_on: take("TimeNextVisible").as_deref().and_then(time),
            })
        })
        .collect()
}

fn time(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(text).ok()
}

/// The error of a create that found the queue there with the same metadata (204): typed
/// and coded as the 409 of a queue with other metadata, as the Python SDK does.
fn already_exists(head: Head<'_>) -> Error {
    let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>QueueAlreadyExists</Code>\
                <Message>The specified queue already exists.</Message></Error>";
    let (status, headers) = (head.status, head.headers.clone());
    let response = CapturedResponse::new(status, headers, Bytes::from_static(body.as_bytes()));
    let map = ErrorMap::new().with(204, ErrorKind::ResourceExists);
    Error::from_response(response, ErrorFormat::StorageXml, &map)
}

fn not_xml(what: &str) -> Error {
    let message = format!("not a queue answer: {what}");
    Error::new(ErrorKind::Deserialization, message)
}
