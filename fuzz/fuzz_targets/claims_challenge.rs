//! `claims_challenge` on arbitrary `WWW-Authenticate` values: never panics, and whatever it
//! finds is the decoded claims of an `insufficient_claims` Bearer challenge in that value.
#![no_main]

use clientcore_proto::policies::auth::claims_challenge;
use http::{header::WWW_AUTHENTICATE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Several header values, split at NUL (which a header value cannot hold).
    let mut headers = HeaderMap::new();
    for part in data.split(|b| *b == 0) {
        if let Ok(v) = HeaderValue::from_bytes(part) {
            headers.append(WWW_AUTHENTICATE, v);
        }
    }
    if let Some(claims) = claims_challenge(&headers) {
        let all: Vec<String> = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            // A quoted-string may escape any character (`insuffici\ent_claims` is
            // `insufficient_claims`), so the oracle drops every backslash before looking.
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .to_ascii_lowercase()
                    .replace('\\', "")
            })
            .collect();
        assert!(
            all.iter()
                .any(|v| v.contains("bearer") && v.contains("insufficient_claims")),
            "{all:?} -> {claims:?}"
        );
    }
});
