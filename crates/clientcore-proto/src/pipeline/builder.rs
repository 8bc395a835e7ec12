//! Building requests: query parameters, headers from text, prefixed metadata headers, and
//! bodies that carry their `Content-Type` (JSON, form, multipart).

use std::fmt::{self, Write as _};

use bytes::{BufMut as _, Bytes, BytesMut};
use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue};
use serde::Serialize;

use crate::error::{Error, ErrorKind};

use super::{Request, RequestBody};

impl<B: RequestBody> Request<B> {
    /// Appends the query parameter `name=value`, both percent-encoded as
    /// `application/x-www-form-urlencoded` (a space is `+`), as the reference's
    /// `HttpRequest.format_parameters` does. Parameters already in the URL are kept. The
    /// value is any [`Display`](fmt::Display): text, a number.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::pipeline::Request;
    ///
    /// let r = Request::<Bytes>::new(http::Method::GET, "https://q.example/queue?comp=list".parse().unwrap())
    ///     .with_query("prefix", "a b&c")
    ///     .with_query("maxresults", 5);
    /// assert_eq!(r.parts.url.query(), Some("comp=list&prefix=a+b%26c&maxresults=5"));
    /// ```
    #[must_use]
    pub fn with_query(mut self, name: &str, value: impl fmt::Display) -> Self {
        let value = value.to_string();
        self.parts.url.query_pairs_mut().append_pair(name, &value);
        self
    }

    /// Appends the query parameter `name=value` as [`with_query`](Self::with_query) does
    /// when `value` is `Some`; leaves the URL as it is when it is `None` (an optional
    /// parameter the caller did not give).
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::pipeline::Request;
    ///
    /// let url: clientcore::url::Url = "https://q.example/jobs/messages".parse().unwrap();
    /// let r = Request::<Bytes>::new(http::Method::POST, url.clone())
    ///     .with_query_opt("visibilitytimeout", Some(30))
    ///     .with_query_opt("messagettl", None::<u64>);
    /// assert_eq!(r.parts.url.query(), Some("visibilitytimeout=30"));
    /// let r = Request::<Bytes>::new(http::Method::POST, url).with_query_opt("a", None::<&str>);
    /// assert_eq!(r.parts.url.query(), None);
    /// ```
    #[must_use]
    pub fn with_query_opt(self, name: &str, value: Option<impl fmt::Display>) -> Self {
        match value {
            Some(value) => self.with_query(name, value),
            None => self,
        }
    }

    /// Adds the header `name: value` from text.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error naming the header when `name` is not
    /// a header name or `value` holds what a header cannot carry (CR, LF, NUL, other control
    /// characters). The value is not printed: it may be a secret.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::pipeline::Request;
    ///
    /// let url = "https://q.example/queue".parse().unwrap();
    /// let r = Request::<Bytes>::new(http::Method::PUT, url).try_header("x-ms-version", "2021-08-06")?;
    /// assert_eq!(r.parts.headers["x-ms-version"], "2021-08-06");
    ///
    /// let url = "https://q.example/queue".parse().unwrap();
    /// let err = Request::<Bytes>::new(http::Method::PUT, url).try_header("x-ms-meta-a", "1\r\n2").unwrap_err();
    /// assert_eq!(err.to_string(), "the value of header 'x-ms-meta-a' cannot be sent: it holds a control character or a byte outside visible ASCII");
    /// # Ok::<(), clientcore::Error>(())
    /// ```
    pub fn try_header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let (name, value) = header(name, value)?;
        self.parts.headers.append(name, value);
        Ok(self)
    }

    /// Adds one header per `(key, value)` pair, named `prefix` followed by the key: Azure
    /// Storage's `x-ms-meta-*` metadata (keys keep their case on the wire; HTTP header names
    /// are case-insensitive, so the service answers them lower-cased).
    ///
    /// # Errors
    ///
    /// As [`try_header`](Self::try_header), for the first pair that cannot be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::pipeline::Request;
    ///
    /// let url = "https://q.example/queue".parse().unwrap();
    /// let r = Request::<Bytes>::new(http::Method::PUT, url)
    ///     .with_metadata("x-ms-meta-", [("owner", "ops"), ("tier", "gold")])?;
    /// assert_eq!(r.parts.headers["x-ms-meta-owner"], "ops");
    /// assert_eq!(r.parts.headers["x-ms-meta-tier"], "gold");
    /// # Ok::<(), clientcore::Error>(())
    /// ```
    pub fn with_metadata<K, V>(
        mut self,
        prefix: &str,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut name = String::with_capacity(prefix.len() + 16);
        for (key, value) in pairs {
            name.clear();
            name.push_str(prefix);
            name.push_str(key.as_ref());
            let (name, value) = header(&name, value.as_ref())?;
            self.parts.headers.insert(name, value);
        }
        Ok(self)
    }

    /// Sets the body to `value` as JSON, with `Content-Type: application/json`.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error when `value` does not serialize
    /// (a map with keys that are not strings, a serializer that fails).
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::pipeline::{Request, RequestBody};
    ///
    /// let url = "https://api.example/things".parse().unwrap();
    /// let r = Request::<Bytes>::new(http::Method::POST, url)
    ///     .with_json(&serde_json::json!({"name": "a"}))?;
    /// assert_eq!(r.parts.headers["content-type"], "application/json");
    /// assert_eq!(r.body.as_bytes(), Some(&br#"{"name":"a"}"#[..]));
    /// # Ok::<(), clientcore::Error>(())
    /// ```
    pub fn with_json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, Error>
    where
        B: From<Bytes>,
    {
        let bytes = serde_json::to_vec(value).map_err(|e| {
            Error::with_source(ErrorKind::Serialization, e)
                .with_message("the request body does not serialize as JSON")
        })?;
        Ok(self.with_typed_body(Bytes::from(bytes), "application/json"))
    }

    /// Sets the body to `pairs` as `application/x-www-form-urlencoded`, with that
    /// `Content-Type` (the reference's `set_formdata_body` without files).
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::pipeline::{Request, RequestBody};
    ///
    /// let url = "https://login.example/token".parse().unwrap();
    /// let r = Request::<Bytes>::new(http::Method::POST, url)
    ///     .with_form([("grant_type", "client_credentials"), ("scope", "a b")]);
    /// assert_eq!(r.parts.headers["content-type"], "application/x-www-form-urlencoded");
    /// assert_eq!(r.body.as_bytes(), Some(&b"grant_type=client_credentials&scope=a+b"[..]));
    /// ```
    #[must_use]
    pub fn with_form<K, V>(self, pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        B: From<Bytes>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            form.append_pair(k.as_ref(), v.as_ref());
        }
        let body = Bytes::from(form.finish());
        self.with_typed_body(body, "application/x-www-form-urlencoded")
    }

    /// Sets the body to `form` as `multipart/form-data`, with that `Content-Type` and its
    /// boundary.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::pipeline::{Multipart, Request};
    ///
    /// let url = "https://api.example/upload".parse().unwrap();
    /// let form = Multipart::new()
    ///     .text("title", "report")
    ///     .file("data", "report.csv", "text/csv", Bytes::from_static(b"a,b\n1,2\n"));
    /// let r = Request::<Bytes>::new(http::Method::POST, url).with_multipart(form);
    /// let ct = r.parts.headers["content-type"].to_str().unwrap();
    /// assert!(ct.starts_with("multipart/form-data; boundary="));
    /// ```
    #[must_use]
    pub fn with_multipart(mut self, form: Multipart) -> Self
    where
        B: From<Bytes>,
    {
        let content_type = format!("multipart/form-data; boundary={}", form.boundary);
        let body = form.into_bytes();
        // The boundary is ASCII letters, digits and '-': always a valid header value.
        if let Ok(v) = HeaderValue::from_str(&content_type) {
            self.parts.headers.insert(CONTENT_TYPE, v);
        }
        self.body = B::from(body);
        self
    }

    fn with_typed_body(mut self, body: Bytes, content_type: &'static str) -> Self
    where
        B: From<Bytes>,
    {
        self.parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self.body = B::from(body);
        self
    }
}

/// A header name and value from text, or an error that names the header but not the value.
fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
        Error::with_source(ErrorKind::Serialization, e).with_message(format!(
            "'{}' is not a valid header name",
            name.escape_debug()
        ))
    })?;
    let header_value = HeaderValue::from_str(value).map_err(|e| {
        Error::with_source(ErrorKind::Serialization, e).with_message(format!(
            "the value of header '{header_name}' cannot be sent: it holds a control character \
             or a byte outside visible ASCII"
        ))
    })?;
    Ok((header_name, header_value))
}

/// A `multipart/form-data` body (RFC 7578): text fields and files, in order.
///
/// Names and file names are written as quoted strings, with `"`, CR and LF percent-encoded as
/// browsers do (RFC 7578 §2 leaves the escaping to the sender), so no field can end its part
/// early or add headers.
#[derive(Clone, Debug)]
pub struct Multipart {
    boundary: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
struct Part {
    name: String,
    file: Option<(String, String)>,
    data: Bytes,
}

impl Default for Multipart {
    fn default() -> Self {
        Multipart::new()
    }
}

impl Multipart {
    /// An empty form with a random boundary.
    pub fn new() -> Self {
        let id = uuid::Builder::from_random_bytes(crate::policies::random_u128().to_be_bytes())
            .into_uuid()
            .simple();
        Multipart {
            boundary: format!("----clientcore-{id}"),
            parts: Vec::new(),
        }
    }

    /// Adds a text field.
    #[must_use]
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.parts.push(Part {
            name: name.to_owned(),
            file: None,
            data: Bytes::copy_from_slice(value.as_bytes()),
        });
        self
    }

    /// Adds a file: its field name, file name, content type and bytes.
    #[must_use]
    pub fn file(mut self, name: &str, file_name: &str, content_type: &str, data: Bytes) -> Self {
        self.parts.push(Part {
            name: name.to_owned(),
            file: Some((file_name.to_owned(), content_type.to_owned())),
            data,
        });
        self
    }

    /// The boundary between parts.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The encoded body.
    pub fn into_bytes(self) -> Bytes {
        let size: usize = self.parts.iter().map(|p| p.data.len() + 160).sum();
        let mut out = BytesMut::with_capacity(size + self.boundary.len() + 8);
        let mut head = String::new();
        for part in &self.parts {
            head.clear();
            let _ = write!(
                head,
                "--{}\r\nContent-Disposition: form-data; name=\"{}\"",
                self.boundary,
                quoted(&part.name)
            );
            if let Some((file_name, content_type)) = &part.file {
                let content_type = if content_type
                    .bytes()
                    .all(|b| b.is_ascii_graphic() || b == b' ')
                {
                    content_type.as_str()
                } else {
                    "application/octet-stream"
                };
                let _ = write!(
                    head,
                    "; filename=\"{}\"\r\nContent-Type: {content_type}",
                    quoted(file_name)
                );
            }
            head.push_str("\r\n\r\n");
            out.put_slice(head.as_bytes());
            out.put_slice(&part.data);
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"--");
        out.put_slice(self.boundary.as_bytes());
        out.put_slice(b"--\r\n");
        out.freeze()
    }
}

/// `s` for a quoted string in a part's headers: `"`, CR and LF percent-encoded.
fn quoted(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    fn req() -> Request<Bytes> {
        Request::new(Method::POST, "https://h.example/p".parse().unwrap())
    }

    #[test]
    fn query_values_are_encoded_and_kept_in_order() {
        let r = req()
            .with_query("a", "1")
            .with_query("b", "x=y&z")
            .with_query("ü", "é/?#");
        assert_eq!(
            r.parts.url.query(),
            Some("a=1&b=x%3Dy%26z&%C3%BC=%C3%A9%2F%3F%23")
        );
    }

    #[test]
    fn numbers_and_optional_values_go_in_the_query_as_text() {
        let r = req()
            .with_query("n", 32_u32)
            .with_query_opt("skip", None::<u32>)
            .with_query_opt("t", Some("a b"))
            .with_query("s", String::from("x&y"));
        assert_eq!(r.parts.url.query(), Some("n=32&t=a+b&s=x%26y"));
    }

    #[test]
    fn bad_header_names_and_values_are_errors_without_the_value() {
        let err = req().try_header("bad name", "v").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Serialization);
        assert_eq!(err.to_string(), "'bad name' is not a valid header name");
        for value in ["sec\rret", "sec\nret", "sec\0ret"] {
            let err = req().try_header("x-a", value).unwrap_err();
            assert!(!err.to_string().contains("sec"), "{err}");
            assert!(!format!("{err:?}").contains("ret"), "{err:?}");
        }
        let err = req()
            .with_metadata("x-ms-meta-", [("ok", "1"), ("b d", "2")])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "'x-ms-meta-b d' is not a valid header name"
        );
    }

    #[test]
    fn multipart_parts_cannot_break_out_of_their_headers() {
        let form = Multipart::new().text("a\"\r\nX-Evil: 1", "v").file(
            "f",
            "n\".txt",
            "text/plain\r\nX: y",
            Bytes::from_static(b"data"),
        );
        let boundary = form.boundary().to_owned();
        let body = form.into_bytes();
        let text = std::str::from_utf8(&body).unwrap();
        assert_eq!(
            text,
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"a%22%0D%0AX-Evil: 1\"\r\n\r\nv\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"n%22.txt\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\ndata\r\n--{boundary}--\r\n"
            )
        );
    }

    #[test]
    fn json_that_does_not_serialize_is_an_error() {
        let mut map = std::collections::BTreeMap::new();
        map.insert((1, 2), 3);
        let err = req().with_json(&map).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Serialization);
    }
}
