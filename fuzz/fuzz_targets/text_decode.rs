//! `format::text::decode` with a charset label taken from the input: bytes up to the first
//! `\n` (at most 40) are the label, the rest is the body.
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
});
