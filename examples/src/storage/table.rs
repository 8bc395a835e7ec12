//! An example Table client: tables and entities, with weak ETags for optimistic
//! concurrency.
//!
//! The Table service answers errors in OData v3 JSON (`{"odata.error": …}`) but
//! authentication failures in Storage XML, so its error format is
//! [`ErrorFormat::Auto`], which picks by `Content-Type` and shape.

use bytes::Bytes;
use clientcore::http::{header, HeaderName, HeaderValue, Method};
use clientcore::pipeline::batch::{parse_batch, Batch, Changeset, TargetForm};
use clientcore::{Body, Error, ErrorFormat, ErrorKind, Request};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use url::Url;

use super::{Auth, Properties};
use clientcore::operation::{Endpoint, Head, Operation};

/// The Table service of one account.
#[derive(Clone, Debug)]
pub struct TableService(Endpoint);

impl TableService {
    /// The service at `endpoint` (`https://<account>.table.core.windows.net`, or
    /// `http://127.0.0.1:10002/devstoreaccount1` on the emulator), authenticated by `auth`.
    pub fn new(endpoint: Url, auth: Auth) -> Self {
        // Without a JSON Accept header the service answers 415 AtomFormatNotSupported.
        let options = auth
            .options(clientcore::policies::sign::SharedKeyScheme::Table)
            .with_header(
                header::ACCEPT,
                HeaderValue::from_static("application/json;odata=nometadata"),
            )
            .with_header(
                HeaderName::from_static("dataserviceversion"),
                HeaderValue::from_static("3.0"),
            );
        TableService(Endpoint::new(endpoint, options))
    }

    /// Creates the table `name`. An existing one fails with
    /// [`ResourceExists`](ErrorKind::ResourceExists), code `TableAlreadyExists`.
    ///
    /// # Panics
    ///
    /// Never: a JSON value always serializes.
    pub fn create_table(&self, name: &str) -> Operation<()> {
        let (url, body) = (self.0.child("Tables").url, json!({ "TableName": name }));
        let request = json_request(Method::POST, url, &body).expect("JSON serializes");
        self.0.operation(request, |_, _| Ok(()))
    }

    /// The table `name`.
    pub fn table(&self, name: &str) -> TableClient {
        let (service, name) = (self.0.clone(), name.to_owned());
        TableClient { service, name }
    }
}

/// A request with `entity` as its JSON body; the service is asked not to echo the entity
/// back (its ETag is in the headers).
fn json_request(method: Method, url: Url, entity: &impl Serialize) -> Result<Request<Body>, Error> {
    let request = Request::new(method, url).with_json(entity)?;
    request.try_header("prefer", "return-no-content")
}

/// A table.
#[derive(Clone, Debug)]
pub struct TableClient {
    /// The service: entities are addressed from its URL, not the table's.
    service: Endpoint,
    name: String,
}

/// An entity and its properties (the weak ETag to send back in `If-Match`).
#[derive(Clone, Debug)]
pub struct Entity<T> {
    /// The ETag and request id.
    pub properties: Properties,
    /// The entity.
    pub value: T,
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "the signature every decoder shares"
)]
fn decode_entity<T: DeserializeOwned>(head: Head<'_>, body: Bytes) -> Result<Entity<T>, Error> {
    Ok(Entity {
        properties: Properties::from_headers(head.headers)?,
        value: serde_json::from_slice(&body).map_err(|e| {
            Error::with_source(ErrorKind::Deserialization, e)
                .with_message("the entity is not the expected JSON")
        })?,
    })
}

impl TableClient {
    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of one entity: `table(PartitionKey='…',RowKey='…')`, quotes in keys doubled
    /// as OData requires.
    fn entity_url(&self, partition_key: &str, row_key: &str) -> Url {
        let key = |k: &str| k.replace('\'', "''");
        self.service
            .child(&format!(
                "{}(PartitionKey='{}',RowKey='{}')",
                self.name,
                key(partition_key),
                key(row_key)
            ))
            .url
    }

    /// Inserts `entity` (which must have `PartitionKey` and `RowKey`). An existing one fails
    /// with [`ResourceExists`](ErrorKind::ResourceExists), code `EntityAlreadyExists`.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error when `entity` is not JSON.
    pub fn insert(&self, entity: &impl Serialize) -> Result<Operation<Properties>, Error> {
        Ok(self.service.operation(
            json_request(Method::POST, self.service.child(&self.name).url, entity)?,
            Properties::decode,
        ))
    }

    /// Reads one entity. A missing one fails with
    /// [`ResourceNotFound`](ErrorKind::ResourceNotFound), code `ResourceNotFound`.
    pub fn get<T: DeserializeOwned + 'static>(
        &self,
        partition_key: &str,
        row_key: &str,
    ) -> Operation<Entity<T>> {
        self.service.operation(
            Request::new(Method::GET, self.entity_url(partition_key, row_key)),
            decode_entity::<T>,
        )
    }

    /// Replaces one entity with `entity`. Make it conditional with
    /// [`Operation::when`] and the ETag it was read with: a stale one fails with
    /// [`ResourceModified`](ErrorKind::ResourceModified), code `UpdateConditionNotSatisfied`.
    /// Without a condition the service requires `If-Match: *` (replace whatever is there),
    /// which is what is sent.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error when `entity` is not JSON.
    pub fn update(
        &self,
        partition_key: &str,
        row_key: &str,
        entity: &impl Serialize,
    ) -> Result<Operation<Properties>, Error> {
        let url = self.entity_url(partition_key, row_key);
        let request = json_request(Method::PUT, url, entity)?.try_header("if-match", "*")?;
        Ok(self.service.operation(request, Properties::decode))
    }

    /// Deletes one entity (`If-Match: *` unless a condition says otherwise).
    pub fn delete(&self, partition_key: &str, row_key: &str) -> Operation<()> {
        self.service.operation(
            Request::new(Method::DELETE, self.entity_url(partition_key, row_key))
                .with_header(header::IF_MATCH, HeaderValue::from_static("*")),
            |_, _| Ok(()),
        )
    }
}

/// A transaction: writes to one partition of one table that succeed or fail together (a
/// `$batch` request holding one changeset), built from the table's own operations.
///
/// # Examples
///
/// ```no_run
/// # fn run(table: clientcore_examples::storage::table::TableClient, client: &clientcore::BlockingClient) -> Result<(), clientcore::Error> {
/// let done = table
///     .transaction()
///     .with(table.insert(&serde_json::json!({"PartitionKey": "p", "RowKey": "1"}))?)
///     .with(table.delete("p", "0"))
///     .commit()?
///     .send_blocking(client)?;
/// assert_eq!(done.len(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Transaction {
    table: TableClient,
    changeset: Changeset,
}

impl TableClient {
    /// An empty transaction on this table.
    pub fn transaction(&self) -> Transaction {
        let (table, changeset) = (self.clone(), Changeset::new());
        Transaction { table, changeset }
    }
}

impl Transaction {
    /// Adds the request of `operation` ([`TableClient::insert`], [`update`](TableClient::update)
    /// or [`delete`](TableClient::delete), conditional or not); its decoder is not used.
    #[must_use]
    pub fn with<T>(mut self, operation: Operation<T>) -> Self {
        let (mut request, options) = operation.into_parts();
        let body = Bytes::copy_from_slice(request.body.as_bytes().unwrap_or_default());
        // What the operation's options add to a whole request (Accept, a condition's
        // If-Match), each sub-request carries itself.
        let headers = options.headers().iter();
        for (name, value) in headers.filter(|(n, _)| n.as_str() != "x-ms-version") {
            request.parts.headers.insert(name, value.clone());
        }
        self.changeset = self.changeset.request(request.parts, body);
        self
    }

    /// The `$batch` request. Its answer is the properties of each write, in order; a failed
    /// write fails the whole transaction with its typed error (its status, code and
    /// message, parsed from its part of the answer), and nothing is written.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error when a sub-request cannot be
    /// written into the batch.
    pub fn commit(self) -> Result<Operation<Vec<Properties>>, Error> {
        let batch = Batch::new(TargetForm::Absolute).changeset(self.changeset);
        let url = self.table.service.child("$batch").url;
        let request = Request::new(Method::POST, url).with_batch(batch)?;
        Ok(Operation::new(
            request,
            self.table.service.options,
            |head, body| {
                let parts = parse_batch(head.headers, &body)?.into_iter();
                let map = super::error_map();
                let done = parts.map(|p| p.into_result(ErrorFormat::Auto, &map));
                done.map(|part| Properties::from_headers(&part?.headers))
                    .collect()
            },
        ))
    }
}
