//! XML models: serde over quick-xml, with text kept exactly as the service sent it.
//!
//! quick-xml's deserializer trims the text of elements (and drops whitespace-only text).
//! Services do not: a blob named `" a "` or a queue message of `"  hello "` must come back
//! with its spaces. [`from_str`] therefore reads the document once first, checking that it
//! is well formed and not nested too deep, and writes the whitespace at either end of each
//! element's text as character references (`&#32;`), which the deserializer leaves alone
//! and then decodes. Whitespace between elements (indentation) stays insignificant.
//!
//! Names are the model's, exactly: an attribute is a field renamed `@Name`, an element's
//! text `$text` (quick-xml's conventions); the root element's name is not checked when
//! reading, and is the type's name (or its `#[serde(rename)]`) when writing.
//!
//! # Examples
//!
//! ```
//! # use clientcore_proto as clientcore;
//! use clientcore::model::xml;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, PartialEq, Deserialize, Serialize)]
//! #[serde(rename = "QueueMessage")]
//! struct Message {
//!     #[serde(rename = "MessageText")]
//!     text: String,
//! }
//!
//! let body = xml::to_string(&Message { text: "  a < b ".into() })?;
//! assert_eq!(
//!     body,
//!     "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>  a &lt; b </MessageText></QueueMessage>"
//! );
//! let back: Message = xml::from_str(&body)?;
//! assert_eq!(back.text, "  a < b ");
//! # Ok::<(), clientcore::Error>(())
//! ```

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::HeaderValue;
use quick_xml::events::{BytesText, Event};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, ErrorKind};
use crate::pipeline::{Request, RequestBody};

/// How deep elements may nest: deeper documents are refused rather than walked (a model
/// never needs this much, and the deserializer recurses).
pub const MAX_DEPTH: usize = 128;

const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";

/// Reads `T` from an XML document in UTF-8 (a byte-order mark is skipped).
///
/// # Errors
///
/// A [`Decode`](ErrorKind::Decode) error (`XML is invalid: …`, the reference's words) when
/// the bytes are not UTF-8 or not well-formed XML (an unknown entity, a mismatched or
/// missing end tag, elements nested deeper than [`MAX_DEPTH`]); a
/// [`Deserialization`](ErrorKind::Deserialization) error when the XML does not fit `T` (a
/// missing element, text where a number is due).
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|e| invalid(&e))?;
    from_str(text)
}

/// Reads `T` from an XML document, as [`from_slice`] does.
///
/// # Errors
///
/// As [`from_slice`].
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let kept = keep_text(text)?;
    quick_xml::de::from_str(&kept).map_err(|e| match e {
        quick_xml::DeError::InvalidXml(e) => invalid(&e),
        other => {
            let message = format!("the XML does not fit the model: {other}");
            Error::with_source(ErrorKind::Deserialization, other).with_message(message)
        }
    })
}

/// Writes `value` as an XML document: the declaration, then the root element named as the
/// type (or its `#[serde(rename)]`); text is escaped and nothing is trimmed.
///
/// # Errors
///
/// A [`Serialization`](ErrorKind::Serialization) error when `value` cannot be written as
/// XML (a bare sequence or a map with keys that are not names at the top, say).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = String::from(DECLARATION);
    quick_xml::se::to_writer(&mut out, value).map_err(|e| {
        Error::with_source(ErrorKind::Serialization, e)
            .with_message("the request body does not serialize as XML")
    })?;
    Ok(out)
}

fn invalid(e: &dyn std::fmt::Display) -> Error {
    Error::new(ErrorKind::Decode, format!("XML is invalid: {e}"))
}

/// The document again, with the whitespace at either end of each element's text written
/// as character references, so that the deserializer's trimming keeps it. Whitespace-only
/// text is kept when it is all an element holds (`<Name> </Name>`), dropped as layout
/// otherwise. Checks well-formedness and depth on the way.
fn keep_text(text: &str) -> Result<String, Error> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut depth = 0usize;
    // Text read right after a start tag, held until the next event says whether the element
    // ends there (then its whitespace is content).
    let mut pending: Option<BytesText<'_>> = None;
    let mut after_start = false;
    loop {
        let event = reader.read_event().map_err(|e| invalid(&e))?;
        if let Event::Text(t) = event {
            // Entities checked here, so that a bad one is a Decode error however the model
            // reads the element.
            t.unescape().map_err(|e| invalid(&e))?;
            pending = Some(t);
            continue;
        }
        if let Some(t) = pending.take() {
            let raw = std::str::from_utf8(&t).map_err(|e| invalid(&e))?;
            let blank = raw.bytes().all(is_space);
            let leaf = after_start && matches!(event, Event::End(_));
            if blank && !leaf {
                out.push_str(raw);
            } else {
                push_kept(&mut out, raw);
            }
        }
        after_start = matches!(event, Event::Start(_));
        match &event {
            Event::Start(_) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(invalid(&format_args!(
                        "elements nest deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof if depth > 0 => {
                return Err(invalid(&"the document ends inside an element"));
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
        write_event(&mut out, &event)?;
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `raw` (escaped text) with its leading and trailing whitespace as character references.
fn push_kept(out: &mut String, raw: &str) {
    let start = raw.len()
        - raw
            .trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8))
            .len();
    let end = raw
        .trim_end_matches(|c: char| c.is_ascii() && is_space(c as u8))
        .len()
        .max(start);
    let reference = |out: &mut String, s: &str| {
        for b in s.bytes() {
            out.push_str(match b {
                b' ' => "&#32;",
                b'\t' => "&#9;",
                b'\r' => "&#13;",
                _ => "&#10;",
            });
        }
    };
    reference(out, &raw[..start]);
    out.push_str(&raw[start..end]);
    reference(out, &raw[end..]);
}

/// Writes an event back as the markup it was read from.
fn write_event(out: &mut String, event: &Event<'_>) -> Result<(), Error> {
    let raw = |bytes: &[u8]| {
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|e| invalid(&e))
    };
    match event {
        Event::Start(e) => {
            out.push('<');
            out.push_str(&raw(e)?);
            out.push('>');
        }
        Event::End(e) => {
            out.push_str("</");
            out.push_str(&raw(e)?);
            out.push('>');
        }
        Event::Empty(e) => {
            out.push('<');
            out.push_str(&raw(e)?);
            out.push_str("/>");
        }
        Event::CData(e) => {
            out.push_str("<![CDATA[");
            out.push_str(&raw(e)?);
            out.push_str("]]>");
        }
        Event::Decl(e) => {
            out.push_str("<?");
            out.push_str(&raw(e)?);
            out.push_str("?>");
        }
        // Comments, processing instructions and the DOCTYPE carry nothing a model reads
        // (quick-xml never expands a DTD's entities).
        Event::Text(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) | Event::Eof => {}
    }
    Ok(())
}

impl<B: RequestBody> Request<B> {
    /// Sets the body to `value` as XML ([`to_string`]), with
    /// `Content-Type: application/xml`.
    ///
    /// # Errors
    ///
    /// As [`to_string`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use bytes::Bytes;
    /// use clientcore::pipeline::{Request, RequestBody};
    ///
    /// #[derive(serde::Serialize)]
    /// struct QueueMessage {
    ///     #[serde(rename = "MessageText")]
    ///     text: &'static str,
    /// }
    ///
    /// let url = "https://q.example/jobs/messages".parse().unwrap();
    /// let r = Request::<Bytes>::new(http::Method::POST, url)
    ///     .with_xml(&QueueMessage { text: " a & b " })?;
    /// assert_eq!(r.parts.headers["content-type"], "application/xml");
    /// assert_eq!(
    ///     r.body.as_bytes(),
    ///     Some(&b"<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText> a &amp; b </MessageText></QueueMessage>"[..])
    /// );
    /// # Ok::<(), clientcore::Error>(())
    /// ```
    pub fn with_xml<T: Serialize + ?Sized>(mut self, value: &T) -> Result<Self, Error>
    where
        B: From<Bytes>,
    {
        let body = to_string(value)?;
        self.parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        self.body = B::from(Bytes::from(body));
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Named {
        #[serde(rename = "@kind", default)]
        kind: String,
        #[serde(rename = "Name")]
        name: String,
    }

    #[test]
    fn leaf_text_keeps_its_spaces_and_layout_is_ignored() {
        let xml = "<?xml version=\"1.0\"?>\n<Item kind=\" x \">\n  <Name> \t a &amp; b \n</Name>\n</Item>\n";
        let got: Named = from_str(xml).unwrap();
        assert_eq!(got.name, " \t a & b \n");
        assert_eq!(got.kind, " x ");
        let blank: Named = from_str("<Item><Name>   </Name></Item>").unwrap();
        assert_eq!(blank.name, "   ");
        let empty: Named = from_str("<Item><Name/></Item>").unwrap();
        assert_eq!(empty.name, "");
    }

    #[test]
    fn malformed_xml_is_a_decode_error_and_a_misfit_a_deserialization_error() {
        for bad in [
            "<Item><Name>a</Name>",
            "<Item><Name>a</Nam></Item>",
            "<Item><Name>&bogus;</Name></Item>",
            "<Item><Name>a</Name></Item></Extra>",
        ] {
            let err = from_str::<Named>(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Decode, "{bad}: {err}");
            assert!(err.to_string().starts_with("XML is invalid: "), "{err}");
        }
        let err = from_slice::<Named>(b"<Item><Name>\xFF</Name></Item>").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        let err = from_str::<Named>("<Item><Other>a</Other></Item>").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Deserialization, "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_without_recursing() {
        let deep = "<a>".repeat(100_000);
        let err = from_str::<Named>(&deep).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.to_string().contains("deeper than 128"), "{err}");
    }
}
