//! Turning response bytes into text the way the reference implementation does.
//!
//! The reference looks a `charset` up with Python's codec registry, so the labels it accepts
//! and what they mean are Python's, not the WHATWG Encoding Standard's: `latin-1` and
//! `iso-8859-1` are ISO-8859-1 (bytes 0x80-0x9F are U+0080-U+009F), not windows-1252;
//! `ascii` is strict 7-bit; `utf-16` and `utf-32` read a byte-order mark of either order and
//! default to little-endian without one. [`Charset::for_label`] gives those Python codecs;
//! any other label goes to `encoding_rs`, which covers the legacy encodings services still send.

use std::borrow::Cow;

use encoding_rs::Encoding;
use http::HeaderMap;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The `charset` parameter of a `Content-Type` header, if any.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::text::charset;
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

/// A text encoding, as the reference's codec lookup resolves a label.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::text::Charset;
///
/// let latin1 = Charset::for_label("latin-1").unwrap();
/// assert_eq!(latin1.decode(b"caf\xE9 \x80").as_deref(), Some("café \u{80}"));
///
/// // utf-16 follows the byte-order mark, big-endian included, and drops it.
/// let utf16 = Charset::for_label("utf-16").unwrap();
/// assert_eq!(utf16.decode(b"\xFE\xFF\x00h\x00i").as_deref(), Some("hi"));
///
/// assert_eq!(Charset::for_label("no-such-charset"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Charset {
    /// UTF-8; a leading byte-order mark is dropped.
    Utf8,
    /// ISO-8859-1: every byte is the code point of the same value.
    Latin1,
    /// 7-bit ASCII; any byte above 0x7F is an error.
    Ascii,
    /// UTF-16 in the order of its byte-order mark (dropped), little-endian without one.
    Utf16,
    /// UTF-16LE; a byte-order mark is kept as U+FEFF, as Python's `utf-16-le` does.
    Utf16Le,
    /// UTF-16BE; a byte-order mark is kept as U+FEFF.
    Utf16Be,
    /// UTF-32 in the order of its byte-order mark (dropped), little-endian without one.
    Utf32,
    /// UTF-32LE; a byte-order mark is kept.
    Utf32Le,
    /// UTF-32BE; a byte-order mark is kept.
    Utf32Be,
    /// Another encoding, by the WHATWG Encoding Standard (`encoding_rs`).
    Other(&'static Encoding),
}

impl Charset {
    /// The encoding a `charset` label names: Python's codec names and aliases for the
    /// Unicode, Latin-1 and ASCII codecs (case, `-`, `_`, ` ` and `.` do not matter), else
    /// the WHATWG label. `None` when neither knows the label.
    pub fn for_label(label: &str) -> Option<Charset> {
        // Python's codec lookup: lower case, runs of punctuation and spaces become one `_`.
        let mut norm = String::with_capacity(label.len());
        for c in label.trim().chars() {
            if c.is_ascii_alphanumeric() {
                norm.push(c.to_ascii_lowercase());
            } else if !norm.ends_with('_') {
                norm.push('_');
            }
        }
        let norm = norm.trim_matches('_');
        let python = match norm {
            "utf_8" | "utf8" | "u8" | "utf" | "utf_8_sig" | "utf8_sig" | "cp65001"
            | "utf8_ucs2" | "utf8_ucs4" => Charset::Utf8,
            "latin_1" | "latin1" | "latin" | "l1" | "iso_8859_1" | "iso8859_1" | "8859"
            | "cp819" | "ibm819" | "iso_ir_100" | "csisolatin1" | "iso_8859_1_1987" => {
                Charset::Latin1
            }
            "ascii" | "us_ascii" | "646" | "us" | "ansi_x3_4_1968" | "ansi_x3_4_1986" | "cp367"
            | "csascii" | "ibm367" | "iso646_us" | "iso_646_irv_1991" | "iso_ir_6" => {
                Charset::Ascii
            }
            "utf_16" | "utf16" | "u16" => Charset::Utf16,
            "utf_16_le" | "utf_16le" | "unicodelittleunmarked" => Charset::Utf16Le,
            "utf_16_be" | "utf_16be" | "unicodebigunmarked" => Charset::Utf16Be,
            "utf_32" | "utf32" | "u32" => Charset::Utf32,
            "utf_32_le" | "utf_32le" => Charset::Utf32Le,
            "utf_32_be" | "utf_32be" => Charset::Utf32Be,
            _ => {
                return Encoding::for_label_no_replacement(label.trim().as_bytes())
                    .map(Charset::Other)
            }
        };
        Some(python)
    }

    /// The encoding's name.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Latin1 => "iso-8859-1",
            Charset::Ascii => "ascii",
            Charset::Utf16 => "utf-16",
            Charset::Utf16Le => "utf-16-le",
            Charset::Utf16Be => "utf-16-be",
            Charset::Utf32 => "utf-32",
            Charset::Utf32Le => "utf-32-le",
            Charset::Utf32Be => "utf-32-be",
            Charset::Other(enc) => enc.name(),
        }
    }

    /// Decodes strictly, as Python's `bytes.decode(codec)`: `None` when the bytes are not
    /// valid in the encoding. A byte-order mark is dropped where the codec drops it, and
    /// always for UTF-8.
    pub fn decode(self, body: &[u8]) -> Option<Cow<'_, str>> {
        match self {
            Charset::Utf8 => std::str::from_utf8(body.strip_prefix(UTF8_BOM).unwrap_or(body))
                .ok()
                .map(Cow::Borrowed),
            Charset::Latin1 => Some(latin1(body)),
            Charset::Ascii => body
                .is_ascii()
                .then(|| std::str::from_utf8(body).ok().map(Cow::Borrowed))
                .flatten(),
            Charset::Utf16 => match body {
                [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
                [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
                _ => utf16(body, false),
            },
            Charset::Utf16Le => utf16(body, false),
            Charset::Utf16Be => utf16(body, true),
            Charset::Utf32 => match body {
                [0, 0, 0xFE, 0xFF, rest @ ..] => utf32(rest, true),
                [0xFF, 0xFE, 0, 0, rest @ ..] => utf32(rest, false),
                _ => utf32(body, false),
            },
            Charset::Utf32Le => utf32(body, false),
            Charset::Utf32Be => utf32(body, true),
            Charset::Other(enc) => {
                // Python's cp1252 leaves five bytes undefined; WHATWG maps them to C1 controls.
                if enc == encoding_rs::WINDOWS_1252
                    && body
                        .iter()
                        .any(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
                {
                    return None;
                }
                let (text, had_errors) = enc.decode_with_bom_removal(body);
                (!had_errors).then_some(text)
            }
        }
    }

    /// Decodes, replacing what is not valid with U+FFFD; byte-order marks as
    /// [`decode`](Self::decode).
    pub fn decode_lossy(self, body: &[u8]) -> Cow<'_, str> {
        if let Some(text) = self.decode(body) {
            return text;
        }
        match self {
            Charset::Utf8 | Charset::Ascii | Charset::Latin1 => lossy(body),
            Charset::Utf16 | Charset::Utf16Le | Charset::Utf16Be => {
                let (enc, body) = match (self, body) {
                    (Charset::Utf16 | Charset::Utf16Be, [0xFE, 0xFF, rest @ ..]) => {
                        (encoding_rs::UTF_16BE, rest)
                    }
                    (Charset::Utf16, [0xFF, 0xFE, rest @ ..]) => (encoding_rs::UTF_16LE, rest),
                    (Charset::Utf16Be, _) => (encoding_rs::UTF_16BE, body),
                    _ => (encoding_rs::UTF_16LE, body),
                };
                enc.decode_without_bom_handling(body).0
            }
            Charset::Utf32 | Charset::Utf32Le | Charset::Utf32Be => {
                let (big, body) = match (self, body) {
                    (Charset::Utf32, [0, 0, 0xFE, 0xFF, rest @ ..]) => (true, rest),
                    (Charset::Utf32, [0xFF, 0xFE, 0, 0, rest @ ..]) => (false, rest),
                    (Charset::Utf32Be, _) => (true, body),
                    _ => (false, body),
                };
                Cow::Owned(
                    body.chunks(4)
                        .map(|c| {
                            <[u8; 4]>::try_from(c)
                                .ok()
                                .map(|w| {
                                    if big {
                                        u32::from_be_bytes(w)
                                    } else {
                                        u32::from_le_bytes(w)
                                    }
                                })
                                .and_then(char::from_u32)
                                .unwrap_or(char::REPLACEMENT_CHARACTER)
                        })
                        .collect(),
                )
            }
            Charset::Other(enc) => enc.decode_with_bom_removal(body).0,
        }
    }
}

fn latin1(body: &[u8]) -> Cow<'_, str> {
    if body.is_ascii() {
        // ASCII is the same in both: borrow.
        std::str::from_utf8(body).map_or_else(|_| Cow::Owned(String::new()), Cow::Borrowed)
    } else {
        Cow::Owned(body.iter().map(|&b| char::from(b)).collect())
    }
}

fn utf16(body: &[u8], big_endian: bool) -> Option<Cow<'_, str>> {
    let enc = if big_endian {
        encoding_rs::UTF_16BE
    } else {
        encoding_rs::UTF_16LE
    };
    enc.decode_without_bom_handling_and_without_replacement(body)
}

fn utf32(body: &[u8], big_endian: bool) -> Option<Cow<'_, str>> {
    if !body.len().is_multiple_of(4) {
        return None;
    }
    body.chunks_exact(4)
        .map(|c| {
            let w = [c[0], c[1], c[2], c[3]];
            char::from_u32(if big_endian {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            })
        })
        .collect::<Option<String>>()
        .map(Cow::Owned)
}

/// The charset a response declares in `Content-Type`, when it names a known encoding: the
/// label as sent, and the encoding. This is the reference's `response.encoding` when none is
/// forced.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::text::{declared, Charset};
/// use http::{HeaderMap, header::CONTENT_TYPE};
///
/// let mut h = HeaderMap::new();
/// h.insert(CONTENT_TYPE, "text/plain; charset=latin-1".parse().unwrap());
/// assert_eq!(declared(&h), Some(("latin-1", Charset::Latin1)));
/// h.insert(CONTENT_TYPE, "text/plain; charset=klingon".parse().unwrap());
/// assert_eq!(declared(&h), None);
/// ```
pub fn declared(headers: &HeaderMap) -> Option<(&str, Charset)> {
    let label = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(charset)?;
    Charset::for_label(label).map(|c| (label, c))
}

/// Decodes a body as text, following the reference implementation.
///
/// - With a `charset` that names a known encoding ([`Charset::for_label`]) the decode is
///   strict: bytes that are not valid in it give `None` (the reference then omits the
///   `Content:` part of the message). A leading byte-order mark is removed as
///   [`Charset::decode`] says.
/// - With no charset, or an unknown one, the body is read as UTF-8 with the byte-order mark
///   removed and every invalid sequence replaced by U+FFFD.
///
/// Valid UTF-8 (the common case) is borrowed, not copied.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::text::decode;
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
    match declared(headers) {
        Some((_, charset)) => charset.decode(body),
        None => Some(lossy(body)),
    }
}

/// Decodes a body with a forced encoding (the `response_encoding` option, the reference's
/// `response.encoding = label`): `None` when nobody knows the label. A byte-order mark is
/// removed as [`Charset::decode`] says; bytes that are not valid become U+FFFD.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::format::text::decode_forced;
///
/// assert_eq!(decode_forced("latin-1", b"\xE9").as_deref(), Some("é"));
/// assert_eq!(decode_forced("utf-8", b"\xEF\xBB\xBFok").as_deref(), Some("ok"));
/// assert_eq!(decode_forced("no-such-encoding", b"ok"), None);
/// ```
pub fn decode_forced<'a>(label: &str, body: &'a [u8]) -> Option<Cow<'a, str>> {
    Charset::for_label(label).map(|c| c.decode_lossy(body))
}

/// UTF-8 with the byte-order mark removed and invalid sequences replaced by U+FFFD.
pub fn lossy(body: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(body.strip_prefix(UTF8_BOM).unwrap_or(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::CONTENT_TYPE;

    fn with_charset(label: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            format!("application/json; charset={label}")
                .parse()
                .unwrap(),
        );
        h
    }

    #[test]
    fn latin1_labels_are_iso_8859_1_not_windows_1252() {
        for label in ["latin-1", "latin1", "iso-8859-1", "ISO_8859-1", "l1"] {
            let text = decode(&with_charset(label), b"\x80\x9F\xE9").unwrap();
            assert_eq!(text, "\u{80}\u{9F}é", "{label}");
        }
        // windows-1252 keeps its own meaning of 0x80.
        assert_eq!(
            decode(&with_charset("windows-1252"), b"\x80").as_deref(),
            Some("€")
        );
        // ... and, as Python's cp1252, has no character for 0x81.
        assert_eq!(decode(&with_charset("cp1252"), b"\x81"), None);
    }

    #[test]
    fn utf16_follows_its_byte_order_mark() {
        let be = b"\xFE\xFF\x00{\x00}";
        let le = b"\xFF\xFE{\x00}\x00";
        assert_eq!(decode(&with_charset("utf-16"), be).as_deref(), Some("{}"));
        assert_eq!(decode(&with_charset("utf-16"), le).as_deref(), Some("{}"));
        // Without a mark: little-endian, as Python on every platform we run on.
        assert_eq!(
            decode(&with_charset("utf-16"), b"{\x00}\x00").as_deref(),
            Some("{}")
        );
        // The explicit orders keep a mark as U+FEFF, as Python's codecs do.
        assert_eq!(
            decode(&with_charset("utf-16-be"), be).as_deref(),
            Some("\u{feff}{}")
        );
        assert_eq!(decode(&with_charset("utf-16"), b"{\x00}"), None);
    }

    #[test]
    fn utf32_and_ascii() {
        let be = b"\x00\x00\xFE\xFF\x00\x00\x00A";
        assert_eq!(decode(&with_charset("utf-32"), be).as_deref(), Some("A"));
        assert_eq!(decode(&with_charset("utf-32"), b"A\x00\x00"), None);
        assert_eq!(decode(&with_charset("ascii"), b"ok").as_deref(), Some("ok"));
        assert_eq!(decode(&with_charset("us-ascii"), b"\xE9"), None);
        assert_eq!(
            Charset::Utf32.decode_lossy(b"A\x00\x00\x00\x00\xD8\x00\x00"),
            "A\u{fffd}"
        );
    }

    #[test]
    fn unknown_labels_are_lossy_utf8() {
        assert_eq!(
            decode(&with_charset("klingon"), b"\xEF\xBB\xBFa\xFF").as_deref(),
            Some("a\u{fffd}")
        );
    }
}
