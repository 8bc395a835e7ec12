//! Batches: several requests in one `multipart/mixed` body (OData `$batch`, Azure Storage blob
//! batch, Azure Tables' entity group transactions), and the answer split back into one response
//! per part, each failed part a typed error.
//!
//! ```text
//! Batch::new(TargetForm::…)            one part per sub-request (application/http)
//!     .request(parts, body)            or a changeset: several parts that succeed or fail
//!     .changeset(Changeset::new()…)    together (Tables), in a multipart/mixed of its own
//! Request::with_batch(batch)?          the body and its Content-Type
//! parse_batch(headers, body)           one BatchPart per sub-response, changesets flattened
//!     .into_result(format, &map)       a failed part as the Error its body and status make
//! ```

use std::fmt::Write as _;

use bytes::{BufMut as _, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::error::{CapturedResponse, Error, ErrorKind, ErrorMap};
use crate::format::ErrorFormat;

use super::{Request, RequestBody, RequestParts};

/// Authorizes a sub-request as the pipeline authorizes the requests it sends with `options`,
/// for a service that checks each part of a batch on its own (Azure Storage's blob batch):
/// the options' per-try policies run on it (a signing policy such as
/// [`SharedKeyPolicy`](crate::policies::sign::SharedKeyPolicy) signs it), and its
/// credential is added: a [SAS](crate::policies::auth::SasCredential) appended to its query
/// (the batch's own request carries it too, from the pipeline), a key in its header. The
/// options' other headers are not added: a batch's request carries those once. The Python
/// Storage SDK treats sub-requests the same way (its `_batch_send` runs the credential's
/// policy on each, and puts the SAS on each sub-request's URL).
///
/// # Errors
///
/// A policy's own error; a [`ClientAuthentication`](ErrorKind::ClientAuthentication) error
/// for a bearer credential (a sub-request cannot wait for a token: give the service's batch
/// a SAS or a signing policy) or a key that cannot be sent in a header.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use bytes::Bytes;
/// use clientcore::pipeline::batch::{authorize, Batch, TargetForm};
/// use clientcore::pipeline::RequestParts;
/// use clientcore::policies::auth::Credential;
/// use clientcore::options::Options;
///
/// let options = Options::new().with_credential(Credential::sas("?sv=2021-12-02&sig=abc%3D"));
/// let mut delete = RequestParts {
///     method: http::Method::DELETE,
///     url: "https://acct.blob.example/c/a.txt?snapshot=1".parse().unwrap(),
///     headers: Default::default(),
/// };
/// authorize(&mut delete, &options)?;
/// assert_eq!(delete.url.query(), Some("snapshot=1&sv=2021-12-02&sig=abc%3D"));
/// let batch = Batch::new(TargetForm::Path).request(delete, Bytes::new());
/// # let _ = batch;
/// # Ok::<(), clientcore::Error>(())
/// ```
pub fn authorize(parts: &mut RequestParts, options: &crate::options::Options) -> Result<(), Error> {
    if let Some(cred) = options.credential() {
        if !super::credentials::attach_key_or_sas(parts, cred)? {
            return Err(Error::new(
                ErrorKind::ClientAuthentication,
                "a batch sub-request cannot carry a bearer token: authorize the batch with a SAS \
                 or a signing policy",
            ));
        }
    }
    for policy in options.policies(crate::options::Position::PerTry) {
        policy.on_request(parts)?;
    }
    Ok(())
}

/// How a sub-request names its target on its request line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetForm {
    /// The path and query (`DELETE /container/blob?snapshot=… HTTP/1.1`): Azure Storage's blob
    /// batch.
    Path,
    /// The absolute URL (`POST https://account.table.core.windows.net/Blogs HTTP/1.1`):
    /// OData `$batch`, Azure Tables.
    Absolute,
}

/// A batch request body: sub-requests and changesets, in order.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use bytes::Bytes;
/// use clientcore::pipeline::batch::{Batch, TargetForm};
/// use clientcore::pipeline::{Request, RequestParts};
///
/// let delete = |path: &str| RequestParts {
///     method: http::Method::DELETE,
///     url: format!("https://acct.blob.example{path}").parse().unwrap(),
///     headers: Default::default(),
/// };
/// let batch = Batch::new(TargetForm::Path)
///     .request(delete("/c/a.txt"), Bytes::new())
///     .request(delete("/c/b.txt"), Bytes::new());
/// let url = "https://acct.blob.example/?comp=batch".parse().unwrap();
/// let request = Request::<Bytes>::new(http::Method::POST, url).with_batch(batch)?;
/// let ct = request.parts.headers["content-type"].to_str().unwrap();
/// assert!(ct.starts_with("multipart/mixed; boundary=batch_"));
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Batch {
    boundary: String,
    form: TargetForm,
    parts: Vec<Item>,
}

#[derive(Clone, Debug)]
enum Item {
    Request(RequestParts, Bytes),
    Changeset(Changeset),
}

/// Sub-requests that succeed or fail together (an OData changeset; a Tables entity group
/// transaction). Each is numbered with a `Content-ID`, from 1, within the changeset.
#[derive(Clone, Debug)]
pub struct Changeset {
    boundary: String,
    requests: Vec<(RequestParts, Bytes)>,
}

fn boundary(prefix: &str) -> String {
    let id = uuid::Builder::from_random_bytes(crate::policies::random_u128().to_be_bytes())
        .into_uuid()
        .hyphenated();
    format!("{prefix}_{id}")
}

impl Changeset {
    /// An empty changeset.
    pub fn new() -> Self {
        Changeset {
            boundary: boundary("changeset"),
            requests: Vec::new(),
        }
    }

    /// Adds a sub-request.
    #[must_use]
    pub fn request(mut self, parts: RequestParts, body: Bytes) -> Self {
        self.requests.push((parts, body));
        self
    }
}

impl Default for Changeset {
    fn default() -> Self {
        Changeset::new()
    }
}

impl Batch {
    /// An empty batch whose sub-requests name their targets in `form`.
    pub fn new(form: TargetForm) -> Self {
        Batch {
            boundary: boundary("batch"),
            form,
            parts: Vec::new(),
        }
    }

    /// Adds a sub-request (its headers as given: sign it first if the service wants each
    /// sub-request signed, as Azure Storage's blob batch does).
    #[must_use]
    pub fn request(mut self, parts: RequestParts, body: Bytes) -> Self {
        self.parts.push(Item::Request(parts, body));
        self
    }

    /// Adds a changeset.
    #[must_use]
    pub fn changeset(mut self, changeset: Changeset) -> Self {
        self.parts.push(Item::Changeset(changeset));
        self
    }

    /// How many sub-requests the batch holds, changesets' included.
    pub fn len(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Item::Request(..) => 1,
                Item::Changeset(c) => c.requests.len(),
            })
            .sum()
    }

    /// Whether the batch holds no sub-request.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `Content-Type` of the body: `multipart/mixed; boundary=…`.
    pub fn content_type(&self) -> String {
        format!("multipart/mixed; boundary={}", self.boundary)
    }

    /// The body.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error when a sub-request's header
    /// value holds a line break (it would end the part's head early) or its method or target
    /// holds a space or a line break.
    pub fn into_bytes(self) -> Result<Bytes, Error> {
        let mut out = BytesMut::new();
        let mut content_id = 0;
        for part in &self.parts {
            write!(out_str(&mut out), "--{}\r\n", self.boundary).ok();
            match part {
                Item::Request(parts, body) => {
                    content_id += 1;
                    http_part(&mut out, parts, body, self.form, content_id)?;
                }
                Item::Changeset(cs) => {
                    write!(
                        out_str(&mut out),
                        "Content-Type: multipart/mixed; boundary={}\r\n\r\n",
                        cs.boundary
                    )
                    .ok();
                    for (i, (parts, body)) in cs.requests.iter().enumerate() {
                        write!(out_str(&mut out), "--{}\r\n", cs.boundary).ok();
                        http_part(&mut out, parts, body, TargetForm::Absolute, i + 1)?;
                    }
                    write!(out_str(&mut out), "--{}--\r\n", cs.boundary).ok();
                }
            }
        }
        write!(out_str(&mut out), "--{}--\r\n", self.boundary).ok();
        Ok(out.freeze())
    }
}

/// `fmt::Write` over a `BytesMut`.
struct OutStr<'a>(&'a mut BytesMut);

impl std::fmt::Write for OutStr<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.put_slice(s.as_bytes());
        Ok(())
    }
}

fn out_str(out: &mut BytesMut) -> OutStr<'_> {
    OutStr(out)
}

/// One `application/http` part: its MIME headers, the request line, headers and body.
fn http_part(
    out: &mut BytesMut,
    parts: &RequestParts,
    body: &Bytes,
    form: TargetForm,
    content_id: usize,
) -> Result<(), Error> {
    let target = match form {
        TargetForm::Path => match parts.url.query() {
            Some(q) => format!("{}?{q}", parts.url.path()),
            None => parts.url.path().to_owned(),
        },
        TargetForm::Absolute => parts.url.as_str().to_owned(),
    };
    if target.contains([' ', '\r', '\n']) {
        return Err(Error::new(
            ErrorKind::Serialization,
            "a batch sub-request's target holds a space or a line break",
        ));
    }
    write!(
        out_str(out),
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: \
         {content_id}\r\n\r\n{} {target} HTTP/1.1\r\n",
        parts.method
    )
    .ok();
    for (name, value) in &parts.headers {
        // `HeaderValue` already refuses CR and LF; checked again because a part's head ending
        // early would let one sub-request smuggle another.
        if value.as_bytes().iter().any(|b| *b == b'\r' || *b == b'\n') {
            return Err(Error::new(
                ErrorKind::Serialization,
                format!("the value of header '{name}' of a batch sub-request holds a line break"),
            ));
        }
        out.put_slice(name.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
    if !body.is_empty() && !parts.headers.contains_key(http::header::CONTENT_LENGTH) {
        write!(out_str(out), "Content-Length: {}\r\n", body.len()).ok();
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
    out.put_slice(b"\r\n");
    Ok(())
}

impl<B: RequestBody> Request<B> {
    /// Sets the body to `batch`, with its `multipart/mixed` `Content-Type`.
    ///
    /// # Errors
    ///
    /// As [`Batch::into_bytes`]: a sub-request that would break the body's framing.
    pub fn with_batch(mut self, batch: Batch) -> Result<Self, Error>
    where
        B: From<Bytes>,
    {
        let content_type = batch.content_type();
        let body = batch.into_bytes()?;
        let value = HeaderValue::from_str(&content_type)
            .map_err(|e| Error::with_source(ErrorKind::Serialization, e))?;
        self.parts.headers.insert(http::header::CONTENT_TYPE, value);
        self.body = B::from(body);
        Ok(self)
    }
}

/// One sub-response of a batch.
#[derive(Clone, Debug)]
pub struct BatchPart {
    /// The part's `Content-ID`, when the service echoed one.
    pub content_id: Option<String>,
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl BatchPart {
    /// The part, or, when its status is not 2xx, the error its status and body make in
    /// `format` and `map` (as a whole response's would), with the part's response on it.
    ///
    /// # Errors
    ///
    /// The part's error.
    pub fn into_result(self, format: ErrorFormat, map: &ErrorMap) -> Result<BatchPart, Error> {
        if self.status.is_success() {
            return Ok(self);
        }
        let response = CapturedResponse::new(self.status, self.headers, self.body);
        Err(Error::from_response(response, format, map))
    }
}

/// The most parts a batch answer is split into (Azure Storage allows 256 sub-requests, Tables
/// 100): a body with more is an error, not an unbounded list.
pub const MAX_BATCH_PARTS: usize = 1024;

/// Splits a batch answer (`multipart/mixed`, as its `Content-Type` in `headers` says) into one
/// [`BatchPart`] per sub-response, changesets' responses flattened in order.
///
/// # Errors
///
/// A [`Deserialization`](ErrorKind::Deserialization) error when the answer is not
/// `multipart/mixed` with a boundary, a part is not an HTTP response, or it holds more than
/// [`MAX_BATCH_PARTS`] parts.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::batch::parse_batch;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("content-type", "multipart/mixed; boundary=batchresponse_1".parse().unwrap());
/// let body = "--batchresponse_1\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\n\
///     HTTP/1.1 202 Accepted\r\nx-ms-request-id: a\r\n\r\n\r\n\
///     --batchresponse_1\r\nContent-Type: application/http\r\nContent-ID: 2\r\n\r\n\
///     HTTP/1.1 404 The specified blob does not exist.\r\nx-ms-error-code: BlobNotFound\r\n\
///     Content-Length: 0\r\n\r\n\r\n--batchresponse_1--\r\n";
/// let parts = parse_batch(&headers, body.as_bytes()).unwrap();
/// assert_eq!(parts.len(), 2);
/// assert_eq!(parts[0].status, 202);
/// assert_eq!(parts[1].headers["x-ms-error-code"], "BlobNotFound");
/// assert_eq!(parts[1].content_id.as_deref(), Some("2"));
/// ```
pub fn parse_batch(headers: &HeaderMap, body: &[u8]) -> Result<Vec<BatchPart>, Error> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multipart_boundary(content_type)
        .ok_or_else(|| bad("the batch answer is not multipart/mixed with a boundary"))?;
    let mut out = Vec::new();
    split_parts(body, &boundary, 0, &mut out)?;
    Ok(out)
}

fn bad(message: &str) -> Error {
    Error::new(ErrorKind::Deserialization, message.to_owned())
}

/// The boundary of a `multipart/mixed` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/mixed") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

/// The parts of a multipart body between `--boundary` lines; nested changesets (depth 1) are
/// split in turn.
fn split_parts(
    body: &[u8],
    boundary: &str,
    depth: u8,
    out: &mut Vec<BatchPart>,
) -> Result<(), Error> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while let Some(at) = find(&body[i..], d) {
        let at = i + at;
        // A delimiter starts a line.
        if at == 0 || body[at - 1] == b'\n' {
            starts.push(at);
        }
        i = at + d.len();
    }
    for w in starts.windows(2) {
        let (start, end) = (w[0] + d.len(), w[1]);
        if body[start..].starts_with(b"--") {
            break;
        }
        let part = trim_crlf(&body[start..end]);
        one_part(part, depth, out)?;
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(at) = haystack[from..].iter().position(|b| *b == first) {
        let at = from + at;
        if haystack[at + 1..].starts_with(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// `part` without the line break after the delimiter line and before the next one.
fn trim_crlf(part: &[u8]) -> &[u8] {
    let part = part
        .strip_prefix(b"\r\n")
        .or_else(|| part.strip_prefix(b"\n"))
        .unwrap_or(part);
    part.strip_suffix(b"\r\n")
        .or_else(|| part.strip_suffix(b"\n"))
        .unwrap_or(part)
}

/// One part: its MIME head, then an HTTP response or, in a batch, a changeset's multipart.
fn one_part(part: &[u8], depth: u8, out: &mut Vec<BatchPart>) -> Result<(), Error> {
    let (mime, rest) =
        split_head(part).ok_or_else(|| bad("a batch part has no blank line after its headers"))?;
    let mut content_type = String::new();
    let mut content_id = None;
    for line in mime.split(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(line);
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim(), v.trim());
            if k.eq_ignore_ascii_case("content-type") {
                v.clone_into(&mut content_type);
            } else if k.eq_ignore_ascii_case("content-id") {
                content_id = Some(v.to_owned());
            }
        }
    }
    if let Some(inner) = multipart_boundary(&content_type) {
        if depth > 0 {
            return Err(bad("a batch nests changesets deeper than one level"));
        }
        return split_parts(rest, &inner, depth + 1, out);
    }
    if out.len() >= MAX_BATCH_PARTS {
        return Err(bad(
            "the batch answer holds more parts than MAX_BATCH_PARTS",
        ));
    }
    // Azurite ends the head of a part without a body right at the next delimiter: the line
    // break before the delimiter (which the split took away) was the head's blank line. A
    // head with no blank line is taken as complete, with no body, unless it declares one.
    let padded;
    let unterminated = find(rest, b"\r\n\r\n").is_none() && find(rest, b"\n\n").is_none();
    let rest = if unterminated {
        padded = [rest, b"\r\n\r\n"].concat();
        &padded[..]
    } else {
        rest
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(head_len)) = response.parse(rest) else {
        return Err(bad("a batch part is not an HTTP response"));
    };
    let status = response
        .code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| bad("a batch part has no valid status"))?;
    let mut map = HeaderMap::new();
    for h in response.headers.iter() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.name.as_bytes()),
            HeaderValue::from_bytes(h.value),
        ) {
            map.append(name, value);
        }
    }
    let declared = map
        .get(http::header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0");
    if unterminated && declared {
        return Err(bad("a batch part is cut short before its body"));
    }
    let body = Bytes::copy_from_slice(&rest[head_len..]);
    out.push(BatchPart {
        content_id,
        status,
        headers: map,
        body,
    });
    Ok(())
}

/// The head (up to the blank line) and what follows.
fn split_head(part: &[u8]) -> Option<(&[u8], &[u8])> {
    // A part with no MIME headers starts with its blank line.
    if let Some(rest) = part
        .strip_prefix(b"\r\n")
        .or_else(|| part.strip_prefix(b"\n"))
    {
        return Some((&[], rest));
    }
    if let Some(at) = find(part, b"\r\n\r\n") {
        return Some((&part[..at], &part[at + 4..]));
    }
    find(part, b"\n\n").map(|at| (&part[..at], &part[at + 2..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn authorize_puts_the_sas_key_and_policies_on_a_sub_request_and_refuses_a_bearer() {
        use crate::options::{Options, Position};
        use crate::pipeline::policy::policy_fn;
        use crate::policies::auth::Credential;
        let part = |url: &str| RequestParts {
            method: Method::DELETE,
            url: url.parse().unwrap(),
            headers: HeaderMap::new(),
        };
        let signer = policy_fn(|r: &mut RequestParts| {
            let seen = r.url.query().unwrap_or_default().to_owned();
            r.headers.insert("x-signed-query", seen.parse().unwrap());
            Ok(())
        });
        let sas = Options::new()
            .with_credential(Credential::sas("?sv=1&sig=a%2Fb"))
            .with_policy(Position::PerTry, signer);
        let mut p = part("https://a.example/c/x");
        authorize(&mut p, &sas).unwrap();
        assert_eq!(p.url.as_str(), "https://a.example/c/x?sv=1&sig=a%2Fb");
        // The policy ran after the SAS went on, as in the pipeline.
        assert_eq!(p.headers["x-signed-query"], "sv=1&sig=a%2Fb");

        let key = Options::new()
            .with_credential(Credential::key(HeaderName::from_static("x-api-key"), "k1"));
        let mut p = part("https://a.example/c/x?snapshot=2");
        authorize(&mut p, &key).unwrap();
        assert_eq!(p.headers["x-api-key"], "k1");
        assert_eq!(p.url.query(), Some("snapshot=2"));

        let mut p = part("https://a.example/c/x");
        authorize(&mut p, &Options::new()).unwrap();
        assert!(p.headers.is_empty() && p.url.query().is_none());

        let bearer = Options::new().with_credential(Credential::bearer(["s/.default"]));
        let err = authorize(&mut part("https://a.example/c/x"), &bearer).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ClientAuthentication);
    }

    fn parts(method: Method, url: &str) -> RequestParts {
        RequestParts {
            method,
            url: url.parse().unwrap(),
            headers: HeaderMap::new(),
        }
    }

    #[test]
    fn a_batch_with_a_changeset_is_written_as_odata_wants_it() {
        let mut insert = parts(Method::POST, "https://t.example/Blogs");
        insert
            .headers
            .insert("content-type", "application/json".parse().unwrap());
        let batch = Batch::new(TargetForm::Absolute)
            .changeset(Changeset::new().request(insert, Bytes::from_static(br#"{"RowKey":"1"}"#)));
        let (b, c) = (
            batch.boundary.clone(),
            match &batch.parts[0] {
                Item::Changeset(cs) => cs.boundary.clone(),
                Item::Request(..) => unreachable!(),
            },
        );
        let body = batch.into_bytes().unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            format!(
                "--{b}\r\nContent-Type: multipart/mixed; boundary={c}\r\n\r\n\
                 --{c}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\
                 Content-ID: 1\r\n\r\nPOST https://t.example/Blogs HTTP/1.1\r\n\
                 content-type: application/json\r\nContent-Length: 14\r\n\r\n{{\"RowKey\":\"1\"}}\r\n\
                 --{c}--\r\n--{b}--\r\n"
            )
        );
    }

    #[test]
    fn a_changeset_answer_is_flattened_and_its_failure_is_a_typed_error() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            "multipart/mixed; boundary=batchresponse_x".parse().unwrap(),
        );
        let body = "--batchresponse_x\r\n\
            Content-Type: multipart/mixed; boundary=changesetresponse_y\r\n\r\n\
            --changesetresponse_y\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\n\
            HTTP/1.1 409 Conflict\r\nContent-Type: application/json;odata=minimalmetadata\r\n\r\n\
            {\"odata.error\":{\"code\":\"EntityAlreadyExists\",\"message\":{\"lang\":\"en-US\",\
            \"value\":\"The specified entity already exists.\"}}}\r\n\
            --changesetresponse_y--\r\n--batchresponse_x--\r\n";
        let parts = parse_batch(&headers, body.as_bytes()).unwrap();
        assert_eq!(parts.len(), 1);
        let err = parts[0]
            .clone()
            .into_result(ErrorFormat::ODataV3, &ErrorMap::generated())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceExists);
        assert_eq!(err.error_code(), Some("EntityAlreadyExists"));
    }

    #[test]
    fn bad_answers_are_errors_not_panics() {
        let mut headers = HeaderMap::new();
        assert!(parse_batch(&headers, b"x").is_err());
        headers.insert(
            "content-type",
            "multipart/mixed; boundary=b".parse().unwrap(),
        );
        for body in [
            &b""[..],
            b"--b\r\n",
            b"--b\r\nno blank line",
            b"--b\r\n\r\nnot http\r\n--b--",
            b"--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: multipart/mixed; boundary=d\r\n\r\n--d\r\n\r\nHTTP/1.1 200 OK\r\n\r\n\r\n--d--\r\n--c--\r\n--b--",
        ] {
            let _ = parse_batch(&headers, body);
        }
        let many = "--b\r\n\r\nHTTP/1.1 200 OK\r\n\r\n\r\n".repeat(MAX_BATCH_PARTS + 1) + "--b--";
        assert!(parse_batch(&headers, many.as_bytes()).is_err());
    }

    #[test]
    fn a_part_without_a_body_may_end_at_the_next_delimiter() {
        // As Azurite answers a blob batch: the 202 part's head runs into the delimiter.
        let body = "--b\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\n\
HTTP/1.1 202 Accepted\r\nx-ms-request-id: 1\r\n\
--b\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\n\
HTTP/1.1 404 The specified blob does not exist.\r\nx-ms-error-code: BlobNotFound\r\n\
Content-Length: 3\r\n\r\nabc\r\n--b--\r\n";
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/mixed; boundary=b"),
        );
        let parts = parse_batch(&headers, body.as_bytes()).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].status, StatusCode::ACCEPTED);
        assert_eq!(parts[0].headers["x-ms-request-id"], "1");
        assert!(parts[0].body.is_empty());
        assert_eq!(parts[1].status, StatusCode::NOT_FOUND);
        assert_eq!(parts[1].body, "abc");
        // A head that declares a body it does not have is cut short, not an empty body.
        let cut = "--b\r\nContent-Type: application/http\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 5\r\n--b--\r\n";
        let err = parse_batch(&headers, cut.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
    }
}
