//! JSON:API / Azion / Django REST error lists: `ErrorList::from_json` and its `Display`.
#![no_main]

use clientcore_proto::format::{self, ErrorFormat, ErrorList, ServiceError};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;

fn check(list: &ErrorList) {
    assert!(!list.entries().is_empty());
    // The list is bounded, whatever the body.
    assert!(
        list.entries().len() <= 256,
        "{} entries",
        list.entries().len()
    );
    let _ = (list.code(), list.message(), list.to_string());
    for e in list.entries() {
        let _ = (e.field(), e.status(), e.title(), e.detail(), e.message());
        let _ = e.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let headers = HeaderMap::new();
    if let Some(se) = format::parse(ErrorFormat::ErrorList, &headers, data) {
        let ServiceError::List(list) = &se else {
            panic!("ErrorList gave {se:?}");
        };
        check(list);
        assert_eq!(se.entries().len(), list.entries().len());
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Some(list) = ErrorList::from_json(&value) {
            check(&list);
        }
    }
});
