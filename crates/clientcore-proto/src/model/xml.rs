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
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Serialize;

use crate::error::{Error, ErrorKind};
use crate::paging::Page;
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
    from_str_seed(text, std::marker::PhantomData::<T>)
}

/// [`from_str`] for a [`DeserializeSeed`]: the document checked and its text kept the same
/// way, then read by `seed` (a model whose element names are only known at run time).
fn from_str_seed<S, V>(text: &str, seed: S) -> Result<V, Error>
where
    S: for<'de> DeserializeSeed<'de, Value = V>,
{
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let kept = keep_text(text)?;
    let mut de = quick_xml::de::Deserializer::from_str(&kept);
    seed.deserialize(&mut de).map_err(|e| match e {
        quick_xml::DeError::InvalidXml(e) => invalid(&e),
        other => {
            let message = format!("the XML does not fit the model: {other}");
            Error::with_source(ErrorKind::Deserialization, other).with_message(message)
        }
    })
}

/// The items of an XML list, whatever their element's name: `<Queues><Queue>…</Queue>…</Queues>`,
/// `<QueueMessagesList><QueueMessage>…</QueueMessage></QueueMessagesList>`. An empty element
/// is an empty list.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::xml::{self, List};
///
/// #[derive(serde::Deserialize)]
/// struct Blob {
///     #[serde(rename = "Name")]
///     name: String,
/// }
///
/// let body = "<Blobs><Blob><Name>a</Name></Blob><Blob><Name> b</Name></Blob></Blobs>";
/// let list: List<Blob> = xml::from_str(body)?;
/// let names: Vec<_> = list.items.iter().map(|b| b.name.as_str()).collect();
/// assert_eq!(names, ["a", " b"]);
/// assert!(xml::from_str::<List<Blob>>("<Blobs/>")?.items.is_empty());
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct List<T> {
    /// The items, in document order.
    #[serde(rename = "$value", default = "Vec::new")]
    pub items: Vec<T>,
}

/// The items of an XML list document ([`List`]), as [`from_slice`] reads it.
///
/// # Errors
///
/// As [`from_slice`].
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::xml;
///
/// let ids: Vec<u32> = xml::list(b"<Ids><Id>1</Id><Id>2</Id></Ids>")?;
/// assert_eq!(ids, [1, 2]);
/// # Ok::<(), clientcore::Error>(())
/// ```
pub fn list<T: DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, Error> {
    Ok(from_slice::<List<T>>(body)?.items)
}

/// One page of an XML listing: the items of the root's child element `items` (a [`List`];
/// none when the element is absent or empty) and the text of its child `marker` as the
/// continuation token (none when absent or empty: the last page). Other elements and
/// attributes are skipped. The shape of every Azure Storage listing
/// (`<EnumerationResults>…<Queues>…</Queues><NextMarker>…</NextMarker></EnumerationResults>`);
/// give it to a pager's `with_decode` with a strategy that sends the marker back
/// ([`PageStrategy::token_in_body`](crate::paging::PageStrategy::token_in_body)`("NextMarker", "marker")`).
///
/// # Errors
///
/// As [`from_slice`]; an element `items` whose children do not fit `T` is a
/// [`Deserialization`](ErrorKind::Deserialization) error.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::xml;
///
/// #[derive(Debug, serde::Deserialize)]
/// struct Queue {
///     #[serde(rename = "Name")]
///     name: String,
/// }
///
/// let body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\
///     <EnumerationResults ServiceEndpoint=\"https://a.queue.example/\"><Prefix>q</Prefix>\
///     <Queues><Queue><Name>q1</Name></Queue><Queue><Name>q2</Name></Queue></Queues>\
///     <NextMarker>/a/q3</NextMarker></EnumerationResults>";
/// let page = xml::page::<Queue>(body, "Queues", "NextMarker")?;
/// assert_eq!(page.items.len(), 2);
/// assert_eq!(page.items[1].name, "q2");
/// assert_eq!(page.continuation_token.as_deref(), Some("/a/q3"));
///
/// let last = xml::page::<Queue>(b"<R><Queues/><NextMarker/></R>", "Queues", "NextMarker")?;
/// assert!(last.items.is_empty() && last.continuation_token.is_none());
/// # Ok::<(), clientcore::Error>(())
/// ```
pub fn page<T: DeserializeOwned>(body: &[u8], items: &str, marker: &str) -> Result<Page<T>, Error> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|e| invalid(&e))?;
    from_str_seed(
        text,
        PageSeed {
            items,
            marker,
            item: std::marker::PhantomData,
        },
    )
}

/// Reads the root element of a listing as a map of its children, keeping two by name.
struct PageSeed<'n, T> {
    items: &'n str,
    marker: &'n str,
    item: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for PageSeed<'_, T> {
    type Value = Page<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Page<T>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for PageSeed<'_, T> {
    type Value = Page<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a listing with <{}> and <{}>", self.items, self.marker)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<T>, A::Error> {
        let mut page = Page {
            items: Vec::new(),
            continuation_token: None,
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == self.items {
                page.items.extend(map.next_value::<List<T>>()?.items);
            } else if key == self.marker {
                let marker = map.next_value::<String>()?;
                page.continuation_token = Some(marker).filter(|m| !m.is_empty());
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(page)
    }
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
    fn a_listing_page_keeps_its_items_and_marker_and_skips_the_rest() {
        let body =
            b"\xEF\xBB\xBF<EnumerationResults A=\"x\"><Prefix>p</Prefix><MaxResults>2</MaxResults>\
            <Queues><Queue><Name> q 1 </Name></Queue><Queue><Name>q2</Name></Queue></Queues>\
            <NextMarker> /acct/q3 </NextMarker><Other><Deep>1</Deep></Other></EnumerationResults>";
        let first = page::<Named>(body, "Queues", "NextMarker").unwrap();
        let names: Vec<_> = first.items.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, [" q 1 ", "q2"]);
        assert_eq!(first.continuation_token.as_deref(), Some(" /acct/q3 "));
        // Absent list and marker: an empty last page.
        let last = page::<Named>(b"<R><Prefix/></R>", "Queues", "NextMarker").unwrap();
        assert!(last.items.is_empty());
        assert_eq!(last.continuation_token, None);
        let empty = page::<Named>(
            b"<R><Queues></Queues><NextMarker></NextMarker></R>",
            "Queues",
            "NextMarker",
        )
        .unwrap();
        assert!(empty.items.is_empty() && empty.continuation_token.is_none());
        // Bad documents and items that do not fit are errors, never a silent last page.
        let err = page::<Named>(b"<R><Queues><Queue>", "Queues", "NextMarker").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        let err = page::<Named>(
            b"<R><Queues><Queue><Other/></Queue></Queues></R>",
            "Queues",
            "NextMarker",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Deserialization, "{err}");
        let err =
            page::<Named>(&"<a>".repeat(10_000).into_bytes(), "Queues", "NextMarker").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    }

    #[test]
    fn a_list_reads_items_of_any_element_name() {
        let items: Vec<Named> =
            list(b"<QueueMessagesList><QueueMessage><Name>a</Name></QueueMessage><Item><Name>b</Name></Item></QueueMessagesList>").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].name, "b");
        assert!(list::<Named>(b"<QueueMessagesList/>").unwrap().is_empty());
    }

    #[test]
    fn deep_nesting_is_refused_without_recursing() {
        let deep = "<a>".repeat(100_000);
        let err = from_str::<Named>(&deep).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.to_string().contains("deeper than 128"), "{err}");
    }
}
