//! An example Blob client: containers, block blobs, listings, conditional requests and
//! streamed downloads.
//!
//! Errors come back in Azure Storage's XML with the code in `x-ms-error-code` (also on
//! answers without a body, such as a HEAD or a 304), parsed by clientcore's
//! [`ErrorFormat::StorageXml`].

use bytes::Bytes;
use clientcore::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use clientcore::http::{HeaderMap, HeaderName, HeaderValue, Method};
use clientcore::paging::{Page, PageStrategy};
use clientcore::pipeline::batch::{authorize, parse_batch, Batch, TargetForm};
use clientcore::policies::sign::SharedKeyScheme;
use clientcore::{Body, Error, ErrorFormat, Options, Request};
use serde::Deserialize;
use url::Url;

use super::{Auth, Properties};
use clientcore::operation::{Endpoint, Operation};

/// The Blob service of one account.
#[derive(Clone, Debug)]
pub struct BlobService(Endpoint);

impl BlobService {
    /// The service at `endpoint` (`https://<account>.blob.core.windows.net`, or a path-style
    /// emulator URL such as `http://127.0.0.1:10000/devstoreaccount1`), authenticated by
    /// `auth`.
    pub fn new(endpoint: Url, auth: Auth) -> Self {
        BlobService(Endpoint::new(endpoint, auth.options(SharedKeyScheme::Blob)))
    }

    /// The container `name`.
    pub fn container(&self, name: &str) -> ContainerClient {
        ContainerClient(self.0.child(name))
    }
}

/// A container.
#[derive(Clone, Debug)]
pub struct ContainerClient(Endpoint);

impl ContainerClient {
    /// A request to the container itself (`restype=container`).
    fn request(&self, method: Method) -> Request<Body> {
        self.0.request(method).with_query("restype", "container")
    }

    /// Creates the container (201). An existing one fails with
    /// [`ResourceExists`](clientcore::ErrorKind::ResourceExists), code `ContainerAlreadyExists`.
    pub fn create(&self) -> Operation<Properties> {
        let request = self
            .request(Method::PUT)
            .with_header(CONTENT_LENGTH, HeaderValue::from(0));
        self.0.operation(request, Properties::decode)
    }

    /// Deletes the container and its blobs.
    pub fn delete(&self) -> Operation<()> {
        self.0
            .operation(self.request(Method::DELETE), |_, _| Ok(()))
    }

    /// The blob `name` in this container.
    pub fn blob(&self, name: &str) -> BlobClient {
        BlobClient(self.0.child(name))
    }

    /// Deletes the blobs `names` in one batch request to the account (`multipart/mixed`, each
    /// sub-request signed with the account key, or carrying the SAS, as a request of its own
    /// would be: [`authorize`]); the answer is one result per
    /// blob, in order: a blob that could not be deleted is its typed error (status, code
    /// and message from its part of the answer).
    ///
    /// # Errors
    ///
    /// A [`Serialization`](clientcore::ErrorKind::Serialization) error when a sub-request
    /// cannot be written into the batch; an authentication error when it cannot be signed.
    pub fn delete_blobs(&self, names: &[&str]) -> Result<Operation<Vec<Result<(), Error>>>, Error> {
        let mut batch = Batch::new(TargetForm::Path);
        for name in names {
            let mut parts = self.blob(name).delete().into_parts().0.parts;
            parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(0));
            // Signed with the key, or carrying the SAS, as a request of its own would be.
            authorize(&mut parts, &self.0.options)?;
            batch = batch.request(parts, Bytes::new());
        }
        // The account's batch (`/?comp=batch`), not the container's: Azure takes both, and
        // Azurite authorizes only the account's under an account SAS.
        let mut account = self.0.url.clone();
        if let Ok(mut segments) = account.path_segments_mut() {
            segments.pop();
        }
        let request = Request::new(Method::POST, account).with_query("comp", "batch");
        let request = request.with_batch(batch)?;
        Ok(self.0.operation(request, |head, body| {
            let (parts, map) = (parse_batch(head.headers, &body)?, super::error_map());
            let done = parts
                .into_iter()
                .map(|p| p.into_result(ErrorFormat::StorageXml, &map));
            Ok(done.map(|part| part.map(drop)).collect())
        }))
    }

    /// The first page of the blob listing, at most `page_size` blobs per page; give it to
    /// a [`Pager`](clientcore::paging::Pager) or
    /// [`BlockingPager`](clientcore::paging::BlockingPager) with [`listing`] and
    /// [`decode_listing`]. The service's `<NextMarker>` goes back as `marker`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientcore::paging::Pager;
    /// use clientcore::Client;
    /// use clientcore_examples::storage::blob::{self, BlobItem};
    /// use futures_util::TryStreamExt as _;
    ///
    /// # async fn run(container: blob::ContainerClient) -> Result<(), clientcore::Error> {
    /// let client = Client::builder().build()?;
    /// let (first, options) = container.list_blobs(Some(100));
    /// let names: Vec<String> = Pager::<BlobItem>::new(&client, first, blob::listing(), &options)
    ///     .with_decoder(blob::decode_listing)
    ///     .into_items()
    ///     .map_ok(|item| item.name)
    ///     .try_collect()
    ///     .await?;
    /// # let _ = names; Ok(()) }
    /// ```
    pub fn list_blobs(&self, page_size: Option<u32>) -> (Request<Body>, Options) {
        let request = self.request(Method::GET).with_query("comp", "list");
        let request = request.with_query_opt("maxresults", page_size);
        (request, self.0.options.clone())
    }
}

/// How blob listings page: the `<NextMarker>` of a page is sent back as `marker`.
pub fn listing() -> PageStrategy {
    PageStrategy::token_in_body("NextMarker", "marker")
}

/// One blob of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlobItem {
    /// The blob's name, exactly as stored (spaces at either end included).
    pub name: String,
    /// What the listing says of it.
    #[serde(default)]
    pub properties: BlobItemProperties,
}

/// What a listing says of a blob.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct BlobItemProperties {
    /// The size in bytes.
    #[serde(rename = "Content-Length", default)]
    pub content_length: u64,
    /// The ETag. Listings send it without quotes (`0x8D…`), unlike the `ETag` header.
    #[serde(rename = "Etag", default)]
    pub etag: String,
}

/// Decodes one page of a blob listing (`EnumerationResults` XML): its blobs, and its
/// `<NextMarker>` as the continuation token (an empty marker ends the listing). Names keep
/// their spaces (clientcore's XML models trim nothing).
///
/// # Errors
///
/// A [`Decode`](clientcore::ErrorKind::Decode) error when the body is not XML, a
/// [`Deserialization`](clientcore::ErrorKind::Deserialization) error when it is not a listing.
///
/// # Examples
///
/// ```
/// use clientcore_examples::storage::blob::decode_listing;
///
/// let xml = br#"<?xml version="1.0" encoding="UTF-8"?><EnumerationResults><Blobs>
///   <Blob><Name> a.txt </Name><Properties><Content-Length>3</Content-Length><Etag>0x1</Etag></Properties></Blob>
///   </Blobs><NextMarker>m2</NextMarker></EnumerationResults>"#;
/// let page = decode_listing(&Default::default(), xml).unwrap();
/// assert_eq!(page.items[0].name, " a.txt ");
/// assert_eq!(page.items[0].properties.content_length, 3);
/// assert_eq!(page.continuation_token.as_deref(), Some("m2"));
/// ```
pub fn decode_listing(_: &HeaderMap, body: &[u8]) -> Result<Page<BlobItem>, Error> {
    clientcore::model::xml::page(body, "Blobs", "NextMarker")
}

/// A blob.
#[derive(Clone, Debug)]
pub struct BlobClient(Endpoint);

/// A downloaded blob.
#[derive(Clone, Debug)]
pub struct Downloaded {
    /// Its ETag and other properties.
    pub properties: Properties,
    /// The content.
    pub content: Bytes,
}

impl BlobClient {
    /// The blob's URL.
    pub fn url(&self) -> &Url {
        &self.0.url
    }

    /// Uploads `data` as a block blob, replacing any blob of that name (unless a condition
    /// says otherwise: see [`Operation::when`]).
    pub fn upload(&self, data: impl Into<Bytes>) -> Operation<Properties> {
        let data: Bytes = data.into();
        let len = data.len() as u64;
        self.put(Body::from(data), len)
    }

    /// Uploads `len` bytes from a streamed `body` (the memory it takes is the stream's).
    pub fn upload_stream(&self, body: Body, len: u64) -> Operation<Properties> {
        self.put(body, len)
    }

    fn put(&self, body: Body, len: u64) -> Operation<Properties> {
        // Content-Length is set here, not left to the transport, because SharedKey signs it.
        let request = self
            .0
            .request(Method::PUT)
            .with_header(CONTENT_LENGTH, HeaderValue::from(len))
            .with_header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )
            .with_header(
                HeaderName::from_static("x-ms-blob-type"),
                HeaderValue::from_static("BlockBlob"),
            )
            .with_body(body);
        self.0.operation(request, Properties::decode)
    }

    /// Downloads the blob whole. For a large blob, send [`Operation::into_parts`] yourself
    /// and read the response in blocks.
    ///
    /// Only 200 and 206 are successes: a conditional download of an unchanged blob (304)
    /// is an error of kind [`ResourceNotModified`](clientcore::ErrorKind::ResourceNotModified), as the
    /// Azure SDKs raise it, so a caller cannot mistake it for empty content.
    pub fn download(&self) -> Operation<Downloaded> {
        Operation::new(
            self.0.request(Method::GET),
            self.0.options.clone().with_success_statuses(&[200, 206]),
            |head, content| {
                Ok(Downloaded {
                    properties: Properties::from_headers(head.headers)?,
                    content,
                })
            },
        )
    }

    /// The blob's properties, from a HEAD: a missing blob fails with the code from the
    /// `x-ms-error-code` header alone, since a HEAD answer has no body.
    pub fn properties(&self) -> Operation<Properties> {
        self.0
            .operation(self.0.request(Method::HEAD), Properties::decode)
    }

    /// Deletes the blob.
    pub fn delete(&self) -> Operation<()> {
        self.0
            .operation(self.0.request(Method::DELETE), |_, _| Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use proptest::prelude::*;

    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }

    fn listing_xml(blobs: &[(String, u64)], marker: &str) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><EnumerationResults \
             ServiceEndpoint=\"http://127.0.0.1:10000/devstoreaccount1\" ContainerName=\"c\">\
             <Prefix/><Marker/><MaxResults>3</MaxResults><Blobs>",
        );
        for (name, len) in blobs {
            let _ = write!(
                xml,
                "<Blob><Name>{}</Name><Properties><Creation-Time>Sun, 22 Nov 2026 22:40:02 GMT\
                 </Creation-Time><Etag>0x8D</Etag><Content-Length>{len}</Content-Length>\
                 <BlobType>BlockBlob</BlobType></Properties></Blob>",
                escape(name)
            );
        }
        xml.push_str("</Blobs>");
        if marker.is_empty() {
            xml.push_str("<NextMarker/>");
        } else {
            let _ = write!(xml, "<NextMarker>{}</NextMarker>", escape(marker));
        }
        xml.push_str("</EnumerationResults>");
        xml
    }

    #[test]
    fn an_empty_listing_and_the_last_page() {
        let page = decode_listing(
            &clientcore::http::HeaderMap::default(),
            listing_xml(&[], "").as_bytes(),
        )
        .unwrap();
        assert!(page.items.is_empty());
        assert_eq!(page.continuation_token, None);
    }

    proptest! {
        #[test]
        fn any_bytes_give_a_page_or_an_error_never_a_panic(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = decode_listing(&clientcore::http::HeaderMap::default(), &body);
        }

        #[test]
        fn generated_listings_decode_to_what_they_list(
            blobs in proptest::collection::vec(("[a-zA-Z0-9 ._&<>/-]{1,40}", any::<u64>()), 0..8),
            marker in "[a-zA-Z0-9!/=+]{0,40}",
        ) {
            let page = decode_listing(&clientcore::http::HeaderMap::default(), listing_xml(&blobs, &marker).as_bytes()).unwrap();
            let got: Vec<(String, u64)> = page
                .items
                .into_iter()
                .map(|b| (b.name, b.properties.content_length))
                .collect();
            prop_assert_eq!(got, blobs);
            prop_assert_eq!(page.continuation_token, (!marker.is_empty()).then_some(marker));
        }
    }
}
