//! What a stored blob or table entity is described by in the headers of an answer.

use bytes::Bytes;
use clientcore::http::HeaderMap;
use clientcore::operation::Head;
use clientcore::{Error, ErrorKind};

/// The ETag, last-modified time and request id of a stored item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Properties {
    /// The ETag, byte for byte as the service sent it (to send back in `If-Match`).
    pub etag: clientcore::conditions::ETag,
    /// `Last-Modified`, when sent.
    pub last_modified: Option<std::time::SystemTime>,
    /// `Content-Length` of the item, when the answer describes one.
    pub content_length: Option<u64>,
    /// The service's `x-ms-request-id`.
    pub request_id: Option<String>,
}

impl Properties {
    /// A [`Decode`](crate::operation::Decode) for answers that describe an item in their
    /// headers only.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "the signature every decoder shares"
    )]
    pub(super) fn decode(head: Head<'_>, _: Bytes) -> Result<Self, Error> {
        Properties::from_headers(head.headers)
    }

    /// The properties in response `headers`.
    ///
    /// # Errors
    ///
    /// A [`Deserialization`](ErrorKind::Deserialization) error when there is no ETag: every
    /// storage write and read returns one.
    pub(super) fn from_headers(headers: &HeaderMap) -> Result<Self, Error> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let etag = clientcore::conditions::ETag::from_headers(headers).ok_or_else(|| {
            Error::new(
                ErrorKind::Deserialization,
                "the storage service sent no ETag",
            )
        })?;
        Ok(Properties {
            etag,
            last_modified: text("last-modified").and_then(|v| httpdate::parse_http_date(v).ok()),
            content_length: text("content-length").and_then(|v| v.parse().ok()),
            request_id: text("x-ms-request-id").map(str::to_owned),
        })
    }
}
