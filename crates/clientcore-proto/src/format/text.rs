//! Turning response bytes into text the way the reference implementation does.

use std::borrow::Cow;

use http::HeaderMap;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The `charset` parameter of a `Content-Type` header, if any.
///
/// # Examples
///
/// ```
/// use clientcore_proto::format::text::charset;
/// assert_eq!(charset("application/json; Charset=\"UTF-8\""), Some("UTF-8"));
/// assert_eq!(charset("application/json"), None);
/// ```
pub fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("charset") {
            let value = value.trim().trim_matches('"');
            (!value.is_empty()).then_some(value)
        } else {
            None
        }
    })
}

/// Decodes a body as text, following the reference implementation.
///
/// - With a `charset` that names a known encoding the decode is strict: bytes that are not valid
///   in it give `None` (the reference then omits the `Content:` part of the message). For UTF-8 a
///   leading byte-order mark is removed.
/// - With no charset, or an unknown one, the body is read as UTF-8 with the byte-order mark
///   removed and every invalid sequence replaced by U+FFFD.
///
/// Valid UTF-8 (the common case) is borrowed, not copied.
///
/// # Examples
///
/// ```
/// use clientcore_proto::format::text::decode;
/// use http::{HeaderMap, header::CONTENT_TYPE};
///
/// let none = HeaderMap::new();
/// assert_eq!(decode(&none, b"\xff\xfe abc").as_deref(), Some("\u{fffd}\u{fffd} abc"));
///
/// let mut utf8 = HeaderMap::new();
/// utf8.insert(CONTENT_TYPE, "text/plain; charset=utf-8".parse().unwrap());
/// assert_eq!(decode(&utf8, b"\xff\xfe abc"), None);
/// assert_eq!(decode(&utf8, b"\xEF\xBB\xBFok").as_deref(), Some("ok"));
/// ```
pub fn decode<'a>(headers: &HeaderMap, body: &'a [u8]) -> Option<Cow<'a, str>> {
    let declared = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(charset)
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    match declared {
        Some(enc) if enc == encoding_rs::UTF_8 => {
            let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
            std::str::from_utf8(body).ok().map(Cow::Borrowed)
        }
        Some(enc) => {
            // Python's codecs drop a byte-order mark of their own encoding (utf-16 above all).
            let (text, had_errors) = enc.decode_with_bom_removal(body);
            (!had_errors).then_some(text)
        }
        None => Some(lossy(body)),
    }
}

/// UTF-8 with the byte-order mark removed and invalid sequences replaced by U+FFFD.
pub fn lossy(body: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(body.strip_prefix(UTF8_BOM).unwrap_or(body))
}
