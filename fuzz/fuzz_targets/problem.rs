//! RFC 9457 problem details: `ProblemDetails::from_json` and its `Display`.
#![no_main]

use clientcore_proto::format::{self, ErrorFormat, ProblemDetails, ServiceError};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;

fn check(p: &ProblemDetails) {
    let text = p.to_string();
    assert!(text.contains("\nType: "));
    for k in ["type", "title", "status", "detail", "instance"] {
        assert!(!p.extensions().contains_key(k), "{k} kept as an extension");
    }
    let _ = (p.code(), p.status(), p.instance());
}

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/problem+json"),
    );
    for fmt in [ErrorFormat::Problem, ErrorFormat::Auto] {
        if let Some(se) = format::parse(fmt, &headers, data) {
            if let ServiceError::Problem(p) = &se {
                check(p);
            } else {
                assert_eq!(fmt, ErrorFormat::Auto, "Problem gave {se:?}");
            }
            let _ = (se.code(), se.message(), se.entries(), se.to_string());
        }
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Some(p) = ProblemDetails::from_json(&value) {
            check(&p);
        }
    }
});
