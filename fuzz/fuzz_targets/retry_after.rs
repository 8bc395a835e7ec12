//! `retry_after` on one header chosen by the first byte, its value the rest. It never panics,
//! never asks for a zero wait, and a value of digits only (RFC 9110's delay-seconds, however
//! long) always gives a wait: too large to represent is the longest wait, never "malformed".
#![no_main]

use std::time::{Duration, SystemTime};

use clientcore_proto::pipeline::retry::retry_after;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 3] = ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"];

fuzz_target!(|data: &[u8]| {
    let Some((&which, value)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(which) % NAMES.len()];
    let Ok(v) = HeaderValue::from_bytes(value) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(name, v);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let wait = retry_after(&headers, now);
    assert_ne!(wait, Some(Duration::ZERO));
    // Only a value that is visible ASCII is read at all (a header value with other bytes is
    // not text the parser trusts); `trim` would also take Unicode spaces such as U+00A0.
    let text = std::str::from_utf8(value)
        .ok()
        .filter(|t| t.is_ascii())
        .unwrap_or("")
        .trim();
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if digits && text.bytes().any(|b| b != b'0') {
        assert!(wait.is_some(), "{name}: {text} gave no wait");
    }
});
