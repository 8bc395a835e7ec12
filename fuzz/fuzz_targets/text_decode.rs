//! `format::text::decode` with a charset label taken from the input: bytes up to the first
//! `\n` (at most 40) are the label, the rest is the body. The same label is also tried as a
//! forced encoding (`text::decode_forced`, `Charset`).
#![no_main]

use clientcore_proto::format::text;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().take(41).position(|&b| b == b'\n');
    let (label, body) = match split {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let mut headers = HeaderMap::new();
    let mut ct = b"text/plain; charset=".to_vec();
    ct.extend_from_slice(label);
    let declared = HeaderValue::from_bytes(&ct).is_ok_and(|v| {
        let ok = v.to_str().is_ok();
        headers.insert(http::header::CONTENT_TYPE, v);
        ok
    });
    let _ = text::charset(&String::from_utf8_lossy(&ct));
    let decoded = text::decode(&headers, body);
    if !declared || label.is_empty() {
        // No usable charset: lossy UTF-8 without the byte-order mark.
        let stripped = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        assert_eq!(
            decoded.as_deref(),
            Some(&*String::from_utf8_lossy(stripped))
        );
    }
    let _ = text::lossy(body);
    // A label as a forced `response_encoding` (and as Python's codec lookup reads it): the
    // strict decode, when it succeeds, is what the lossy one gives, and neither panics.
    let label = String::from_utf8_lossy(label);
    if let Some(charset) = text::Charset::for_label(&label) {
        let lossy = charset.decode_lossy(body);
        if let Some(strict) = charset.decode(body) {
            assert_eq!(strict, lossy);
        }
        assert_eq!(text::decode_forced(&label, body).as_deref(), Some(&*lossy));
    } else {
        assert_eq!(text::decode_forced(&label, body), None);
    }
});
