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

use clientcore::http::{header::CONTENT_LENGTH, HeaderMap, Method, StatusCode};
use clientcore::model::{rfc7231, xml};
use clientcore::operation::{Endpoint, Operation};
use clientcore::paging::{BlockingPager, Page, PageStrategy, Pager};
use clientcore::policies::sign::SharedKeyScheme;
use clientcore::{BlockingClient, Body, Client, Error, ErrorKind, Request};
use serde::{Deserialize, Serialize};
use url::Url;

use super::Auth;

/// The queue service of an account.
#[derive(Clone, Debug)]
pub struct QueueService(Endpoint);

impl QueueService {
    /// The service at `endpoint` (`https://<account>.queue.core.windows.net`, or a path-style
    /// emulator URL such as `http://127.0.0.1:10001/devstoreaccount1`), authenticated by
    /// `auth`.
    pub fn new(endpoint: Url, auth: Auth) -> Self {
        // Queue signs as Blob does.
        QueueService(Endpoint::new(endpoint, auth.options(SharedKeyScheme::Blob)))
    }

    /// The queue `name`.
    pub fn queue(&self, name: &str) -> QueueClient {
        QueueClient(self.0.child(name))
    }

    /// The queues whose names start with `prefix`, with their metadata, `page_size` a page;
    /// the service's `<NextMarker>` goes back as `marker`.
    pub fn list_queues(&self, client: &Client, prefix: &str, page_size: u32) -> Pager<QueueItem> {
        let first = self.first_page(prefix, page_size);
        Pager::with_decode(client, first, listing(), &self.0.options, decode_queues)
    }

    /// As [`list_queues`](Self::list_queues), for the blocking client.
    pub fn list_queues_blocking(
        &self,
        client: &BlockingClient,
        prefix: &str,
        page_size: u32,
    ) -> BlockingPager<QueueItem> {
        let first = self.first_page(prefix, page_size);
        BlockingPager::with_decode(client, first, listing(), &self.0.options, decode_queues)
    }

    fn first_page(&self, prefix: &str, page_size: u32) -> Request<Body> {
        self.0
            .request(Method::GET)
            .with_query("comp", "list")
            .with_query("prefix", prefix)
            .with_query("maxresults", page_size)
            .with_query("include", "metadata")
    }
}

/// How queue listings page: `<NextMarker>` sent back as `marker`.
pub fn listing() -> PageStrategy {
    PageStrategy::token_in_body("NextMarker", "marker")
}

/// One queue of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueItem {
    /// The queue's name.
    pub name: String,
    /// Its metadata (names as the service lists them).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// One page of a queue listing (`EnumerationResults` XML).
///
/// # Errors
///
/// A [`Decode`](ErrorKind::Decode) error when the body is not XML, a
/// [`Deserialization`](ErrorKind::Deserialization) error when it is not a listing.
pub fn decode_queues(_: &HeaderMap, body: &[u8]) -> Result<Page<QueueItem>, Error> {
    xml::page(body, "Queues", "NextMarker")
}

/// A message, as put, peeked or received (each answer carries part of it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueMessage {
    /// Its id.
    #[serde(rename = "MessageId")]
    pub id: String,
    /// The text (not in the answer to a put).
    #[serde(rename = "MessageText")]
    pub text: Option<String>,
    /// What [`QueueClient::delete_message`] and [`QueueClient::update_message`] need (not
    /// in a peek).
    pub pop_receipt: Option<String>,
    /// How many times it was received (not in the answer to a put).
    pub dequeue_count: Option<u64>,
    /// When it was put.
    #[serde(rename = "InsertionTime", default, with = "rfc7231::option")]
    pub inserted_on: Option<SystemTime>,
    /// When it expires.
    #[serde(rename = "ExpirationTime", default, with = "rfc7231::option")]
    pub expires_on: Option<SystemTime>,
    /// When it becomes visible again (not in a peek).
    #[serde(rename = "TimeNextVisible", default, with = "rfc7231::option")]
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
pub struct QueueClient(Endpoint);

impl QueueClient {
    /// The queue's messages.
    fn messages(&self) -> Endpoint {
        self.0.child("messages")
    }

    /// Creates the queue with `metadata`.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error when a metadata name or value
    /// cannot be sent in a header.
    pub fn create(&self, metadata: &[(&str, &str)]) -> Result<Operation<()>, Error> {
        let request = self.0.request(Method::PUT);
        let request = request.with_metadata("x-ms-meta-", metadata.iter().copied())?;
        // An existing queue with other metadata answers 204: the SDKs raise it as exists.
        Ok(self.0.operation(request, |_, _| Ok(())).error_for(
            StatusCode::NO_CONTENT,
            "QueueAlreadyExists",
            "The specified queue already exists.",
        ))
    }

    /// Deletes the queue and its messages.
    pub fn delete(&self) -> Operation<()> {
        self.0
            .operation(self.0.request(Method::DELETE), |_, _| Ok(()))
    }

    /// The queue's metadata and approximate message count.
    pub fn properties(&self) -> Operation<QueueProperties> {
        let request = self.0.request(Method::GET).with_query("comp", "metadata");
        self.0.operation(request, |head, _| {
            Ok(QueueProperties {
                metadata: head.metadata("x-ms-meta-"),
                approximate_message_count: head.parse("x-ms-approximate-messages-count")?,
            })
        })
    }

    /// Replaces the queue's metadata.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create).
    pub fn set_metadata(&self, metadata: &[(&str, &str)]) -> Result<Operation<()>, Error> {
        let request = self.0.request(Method::PUT).with_query("comp", "metadata");
        let request = request.with_metadata("x-ms-meta-", metadata.iter().copied())?;
        Ok(self.0.operation(request, |_, _| Ok(())))
    }

    /// Puts a message with `text`, invisible for `visibility_timeout` when given.
    pub fn send_message(&self, text: &str, hide: Option<Duration>) -> Operation<QueueMessage> {
        let request = with_text(self.messages().request(Method::POST), text);
        let request = request.with_query_opt("visibilitytimeout", hide.map(|t| t.as_secs()));
        self.0.operation(request, |_, body| {
            let message = xml::list(&body)?.pop();
            message.ok_or_else(|| Error::new(ErrorKind::Deserialization, "no QueueMessage"))
        })
    }

    /// Up to `max` messages (1 to 32) from the front, left visible and with no pop receipt.
    pub fn peek_messages(&self, max: u32) -> Operation<Vec<QueueMessage>> {
        let request = self.messages().request(Method::GET);
        let request = request.with_query("peekonly", true);
        let request = request.with_query("numofmessages", max);
        self.0.operation(request, |_, body| xml::list(&body))
    }

    /// Up to `max` messages (1 to 32), hidden from other receivers for `hide`.
    pub fn receive_messages(&self, max: u32, hide: Duration) -> Operation<Vec<QueueMessage>> {
        let request = self.messages().request(Method::GET);
        let request = request.with_query("visibilitytimeout", hide.as_secs());
        let request = request.with_query("numofmessages", max);
        self.0.operation(request, |_, body| xml::list(&body))
    }

    /// Hides a received message for `hide` more, replacing its text when `text` is given.
    pub fn update_message(
        &self,
        id: &str,
        pop_receipt: &str,
        text: Option<&str>,
        hide: Duration,
    ) -> Operation<Receipt> {
        let request = self.message(Method::PUT, id, pop_receipt);
        let request = request.with_query("visibilitytimeout", hide.as_secs());
        let request = match text {
            Some(text) => with_text(request, text),
            None => request.with_header(CONTENT_LENGTH, 0.into()),
        };
        self.0.operation(request, |head, _| {
            Ok(Receipt {
                pop_receipt: head.parse("x-ms-popreceipt")?,
                next_visible_on: head.date("x-ms-time-next-visible").ok(),
            })
        })
    }

    /// Deletes a received message.
    pub fn delete_message(&self, id: &str, pop_receipt: &str) -> Operation<()> {
        self.0
            .operation(self.message(Method::DELETE, id, pop_receipt), |_, _| Ok(()))
    }

    /// Deletes every message of the queue.
    pub fn clear_messages(&self) -> Operation<()> {
        self.0
            .operation(self.messages().request(Method::DELETE), |_, _| Ok(()))
    }

    fn message(&self, method: Method, id: &str, pop_receipt: &str) -> Request<Body> {
        let message = self.messages().child(id).request(method);
        message.with_query("popreceipt", pop_receipt)
    }
}

/// `request` with `<QueueMessage><MessageText>text</MessageText></QueueMessage>` as its body
/// (the pipeline sets its `Content-Length` before the SharedKey policy signs it).
fn with_text(request: Request<Body>, text: &str) -> Request<Body> {
    #[derive(Serialize)]
    struct QueueMessage<'a> {
        #[serde(rename = "MessageText")]
        text: &'a str,
    }
    // quick-xml escapes text and checks nothing else: one string always serializes.
    request.with_xml(&QueueMessage { text }).expect("XML text")
}
