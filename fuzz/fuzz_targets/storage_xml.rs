//! Azure Storage XML errors: `StorageError::from_xml` and its `Display`.
#![no_main]

use clientcore_proto::format::{self, ErrorFormat, ServiceError, StorageError};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;

fn check(e: &StorageError) {
    assert!(e.code().is_some() || e.message().is_some());
    assert!(e.extra().len() <= 64, "{} extra elements", e.extra().len());
    let text = e.to_string();
    assert!(text.starts_with('('));
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(e) = StorageError::from_xml(&text) {
        check(&e);
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml"),
    );
    for fmt in [ErrorFormat::StorageXml, ErrorFormat::Auto] {
        if let Some(se) = format::parse(fmt, &headers, data) {
            let ServiceError::Storage(e) = &se else {
                panic!("{fmt:?} on XML gave {se:?}");
            };
            check(e);
            let _ = (se.code(), se.message(), se.entries());
        }
    }
});
